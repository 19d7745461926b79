"""Batch normalisation, as ``torch.nn.modules.batchnorm``: ``BatchNorm1d``, ``BatchNorm2d`` and
``F.batch_norm``: statistics per channel over the batch and spatial axes.

In training, the one a convolutional network runs at every layer, batch norm is one node,
``BatchNormTraining``, whose backward is the closed form: a few passes over the input instead of
the dozen a composition of Tensor ops would make.
"""
import tinygrad_edu as tg
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.normalization import _affine, _affine_parameters, _statistics
from tinygrad_edu.ops_reduce import Sum


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
        if not self.on_arrays:
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
