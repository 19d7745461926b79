"""Instance normalisation: each sample's channel normalised over its own spatial axes.

``instance_norm`` is ``batch_norm`` with the statistics taken per (sample, channel) instead of per
channel; with running statistics, the batch's per-sample statistics are averaged into them, as torch does.
"""
import warnings

import tinygrad_edu as tg  # noqa: F401  (the docstrings' examples use it)
from tinygrad_edu.nn.modules.batchnorm import _BatchNorm, _update_running_stats
from tinygrad_edu.nn.modules.normalization import _affine, _statistics


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise every ``(sample, channel)`` of ``(N, C, *spatial)`` over its spatial axes, as
    ``torch.nn.functional.instance_norm``; ``use_input_stats=False`` uses the running statistics instead.

    >>> instance_norm(tg.randn(2, 3, 8)).shape
    tinygrad_edu.Size([2, 3, 8])
    """
    channels = input.shape[1]
    shape = (1, channels) + (1,) * (input.dim() - 2)
    if not use_input_stats:
        normalized = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
        return _affine(normalized, weight, bias, shape)
    dims = tuple(range(2, input.dim()))
    mean, centered, var = _statistics(input, dims)
    normalized = centered * (var + eps).rsqrt()
    if running_mean is not None:
        count = input.numel() // (input.shape[0] * channels)
        _update_running_stats(running_mean, running_var, mean.detach().mean(0), var.detach().mean(0), count,
                              momentum)
    return _affine(normalized, weight, bias, shape)


class _InstanceNorm(_BatchNorm):
    """What InstanceNorm1d and InstanceNorm2d share; torch's defaults: no affine, no running stats."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        if input.dim() not in (self._spatial_dims + 1, self._spatial_dims + 2):
            raise ValueError(f"expected {self._spatial_dims + 1}D or {self._spatial_dims + 2}D input "
                             f"(got {input.dim()}D input)")
        unbatched = input.dim() == self._spatial_dims + 1
        if unbatched:
            input = input.unsqueeze(0)
        self._check_features(input, unbatched)
        spatial = input.numel() // max(input.shape[0] * input.shape[1], 1)
        if self.training and spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{(input.squeeze(0) if unbatched else input).shape!r}")
        use_input_stats = self.training or not self.track_running_stats
        stats = (self.running_mean, self.running_var) if self.track_running_stats else (None, None)
        momentum = self.momentum if self.momentum is not None else 0.0  # torch counts no batches here
        out = instance_norm(input, *stats, self.weight, self.bias, use_input_stats, momentum, self.eps)
        return out.squeeze(0) if unbatched else out

    def _check_features(self, input, unbatched):
        if input.shape[1] == self.num_features:
            return
        if self.affine:
            raise ValueError(f"expected input's size at dim={0 if unbatched else 1} to match num_features "
                             f"({self.num_features}), but got: {input.shape[1]}.")
        warnings.warn(f"input's size at dim={0 if unbatched else 1} does not match num_features. You can silence "
                      "this warning by not passing in num_features, which is not used because affine=False")

    def _check_input_dim(self, input):
        pass


class InstanceNorm1d(_InstanceNorm):
    """Normalise each sample's channels over length, for ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.InstanceNorm1d``.

    >>> InstanceNorm1d(3, affine=True)(tg.randn(2, 3, 10)).shape
    tinygrad_edu.Size([2, 3, 10])
    """
    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalise each sample's channels over height and width, for ``(N, C, H, W)`` or ``(C, H, W)``,
    as ``torch.nn.InstanceNorm2d`` (style transfer's normalisation).

    >>> InstanceNorm2d(3)(tg.randn(2, 3, 8, 8)).shape
    tinygrad_edu.Size([2, 3, 8, 8])
    """
    _spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Normalise each sample's channels over depth, height and width, for ``(N, C, D, H, W)`` or
    ``(C, D, H, W)``, as ``torch.nn.InstanceNorm3d``."""
    _spatial_dims = 3
