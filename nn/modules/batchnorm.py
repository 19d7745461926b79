"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

All three normalise the same way, ``(x - mean) / sqrt(var + eps)`` with the biased
variance, and differ only in which axes the statistics run over: the batch and
spatial axes per channel (batch norm), the trailing ``normalized_shape`` axes per
sample (layer norm), or the channels of a group and the spatial axes per sample
(group norm). They are composed from Tensor ops, so autograd derives the backward, except
batch norm in training, the one a convolutional network runs at every layer: ``BatchNormTraining``
is one node whose backward is the closed form, a few passes over the input instead of a dozen.
"""
import tinygrad_edu as tg
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.ops_reduce import Sum


def _statistics(input, dims):
    """The mean over ``dims``, the input minus it, and the biased variance; the statistics keep ``dims`` as size 1."""
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    return mean, centered, (centered * centered).mean(dim=dims, keepdim=True)


def _normalize(input, dims, eps):
    """``(x - mean) / sqrt(var + eps)`` over ``dims``."""
    _, centered, var = _statistics(input, dims)
    return centered * (var + eps).rsqrt()


def _affine(normalized, weight, bias, shape):
    """Scale by ``weight`` and shift by ``bias`` (either may be None), both reshaped to ``shape``."""
    if weight is not None:
        normalized = normalized * weight.reshape(shape)
    if bias is not None:
        normalized = normalized + bias.reshape(shape)
    return normalized


class BatchNormTraining(Op):
    """``(x - mean) * inv_std * weight + bias`` per channel (axis 1), with the batch's statistics.

    ``mean`` and ``inv_std`` come in computed (from ``_statistics``, shaped like ``(1, C, 1, 1)``) and
    are constants of the array backward, which is the closed form of the gradient through them.
    Under ``create_graph`` the backward recomputes them from ``x``, so that it records how they depend on it.
    """
    backward_name = "NativeBatchNormBackward0"

    def forward(self, x, weight, bias, mean, inv_std, dims, eps):
        self.dims, self.eps, self.count = dims, eps, x.size // x.shape[1]
        self.save_for_backward(x, weight, mean, inv_std)
        shape = mean.shape
        scale = inv_std * weight.reshape(shape)
        return (x - mean) * scale + bias.reshape(shape)

    def backward(self, grad_output):
        x, weight, mean, inv_std = self.saved_tensors
        if not self._unpack_arrays:
            mean, _, var = _statistics(x, self.dims)
            inv_std = (var + self.eps).rsqrt()
        normalized = (x - mean) * inv_std
        grad_bias = Sum.apply(grad_output, dims=self.dims, keepdim=True)            # (1, C, 1, 1)
        grad_weight = Sum.apply(grad_output * normalized, dims=self.dims, keepdim=True)
        grad_x = None
        if self.needs_input_grad[0]:
            scale = inv_std * weight.reshape(mean.shape)
            grad_x = (grad_output - normalized * (grad_weight / self.count) - grad_bias / self.count) * scale
        return grad_x, grad_weight.reshape(-1), grad_bias.reshape(-1), None, None


def _update_running_stats(running_mean, running_var, mean, var, count, momentum):
    """running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance."""
    with tg.no_grad():
        running_mean.mul_(1 - momentum).add_(mean.reshape(-1), alpha=momentum)
        if running_var is not None:
            unbiased_var = var.reshape(-1) * (count / max(count - 1, 1))
            running_var.mul_(1 - momentum).add_(unbiased_var, alpha=momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise each channel (axis 1) over the batch and spatial axes, as ``torch.nn.functional.batch_norm``.

    ``training=True`` uses the batch's statistics and, when given, updates ``running_mean`` /
    ``running_var`` in place; ``training=False`` normalises with the running statistics.

    >>> x = tg.randn(8, 3, 4, 4)
    >>> y = batch_norm(x, tg.zeros(3), tg.ones(3), training=True)
    """
    channels = input.shape[1] if input.dim() > 1 else 0
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and stat.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {stat.numel()}")
    shape = (1, channels) + (1,) * (input.dim() - 2)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined "
                               "in evaluation mode")
        normalized = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
        return _affine(normalized, weight, bias, shape)
    count = input.numel() // max(channels, 1)
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape!r}")
    dims = (0,) + tuple(range(2, input.dim()))
    with tg.no_grad():
        mean, _, var = _statistics(input, dims)
        inv_std = (var + eps).rsqrt()
    if running_mean is not None:
        _update_running_stats(running_mean, running_var, mean, var, count, momentum)
    if weight is None:
        weight = tg.ones(channels, dtype=input.dtype, device=input.device)
    if bias is None:
        bias = tg.zeros(channels, dtype=input.dtype, device=input.device)
    return BatchNormTraining.apply(input, weight, bias, mean, inv_std, dims=dims, eps=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes of each sample, as
    ``torch.nn.functional.layer_norm``.

    >>> layer_norm(tg.randn(2, 5, 16), (16,)).shape
    tinygrad_edu.Size([2, 5, 16])
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    trailing = tuple(input.shape[input.dim() - len(normalized_shape):]) if input.dim() >= len(normalized_shape) \
        else None
    if trailing != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    normalized = _normalize(input, dims, eps)
    return _affine(normalized, weight, bias, normalized_shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (axis 1) into ``num_groups`` groups and normalise each group of each
    sample over its channels and spatial axes, as ``torch.nn.functional.group_norm``.

    >>> group_norm(tg.randn(2, 6, 4, 4), num_groups=3).shape
    tinygrad_edu.Size([2, 6, 4, 4])
    """
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, channels = input.shape[:2]
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    for param in (weight, bias):
        if param is not None and (param.dim() != 1 or param.numel() != channels):
            raise RuntimeError(f"Expected weight to be a vector of size equal to the number of channels in input, "
                               f"but got weight of shape {list(param.shape)} and input of shape {list(input.shape)}")
    grouped = input.reshape(n, num_groups, -1)
    normalized = _normalize(grouped, (2,), eps)
    shape = (1, channels) + (1,) * (input.dim() - 2)
    return _affine(normalized.reshape(input.shape), weight, bias, shape)


# ----------------------------------------------------------------------------- modules

class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks they accept."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, affine, bias, (num_features,), device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", tg.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", tg.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tg.tensor(0, dtype=tg.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        self._check_input_dim(input)
        tracking = self.training and self.track_running_stats
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        stats = (self.running_mean, self.running_var) if tracking or not self.training else (None, None)
        out = batch_norm(input, *stats, self.weight, self.bias, use_batch_stats,
                         self._average_factor() if tracking else 0.0, self.eps)
        if tracking:
            with tg.no_grad():
                self.num_batches_tracked.add_(1)
        return out

    def _average_factor(self):
        """The weight of this batch in the running averages: ``momentum``, or 1/(batches so far) when None."""
        if self.momentum is None:
            return 1.0 / (self.num_batches_tracked.item() + 1)
        return self.momentum

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, as ``torch.nn.BatchNorm1d``.

    In training mode it normalises with the batch's statistics and keeps running averages
    (``running_mean``, unbiased ``running_var``; ``momentum=None`` averages all batches
    equally); in eval mode it uses those running averages.

    >>> bn = BatchNorm1d(16)
    >>> bn(tg.randn(32, 16)).shape
    tinygrad_edu.Size([32, 16])
    """

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs per channel, as ``torch.nn.BatchNorm2d``.

    >>> bn = BatchNorm2d(64)
    >>> bn
    BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes, as ``torch.nn.LayerNorm``.

    >>> ln = LayerNorm(16)
    >>> ln(tg.randn(2, 5, 16)).shape
    tinygrad_edu.Size([2, 5, 16])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, elementwise_affine, bias, self.normalized_shape, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation, as ``torch.nn.GroupNorm``: channels split into ``num_groups``
    groups, each normalised per sample; independent of the batch size.

    >>> gn = GroupNorm(2, 6)
    >>> gn(tg.randn(4, 6, 8, 8)).shape
    tinygrad_edu.Size([4, 6, 8, 8])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, affine, bias, (num_channels,), device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


def _affine_parameters(module, affine, bias, shape, device, dtype):
    """Register ``weight`` and ``bias`` of ``shape`` (or None in their place), as torch's norms do."""
    if affine:
        module.weight = Parameter(tg.empty(*shape, device=device, dtype=dtype))
        if bias:
            module.bias = Parameter(tg.empty(*shape, device=device, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
