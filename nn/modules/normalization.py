"""Normalisation layers, as ``torch.nn.modules.normalization``: ``LayerNorm`` and ``GroupNorm``
(``batchnorm.py`` holds batch norm, ``instancenorm.py`` instance norm).

All of them normalise the same way, ``(x - mean) / sqrt(var + eps)`` with the biased
variance, and differ only in which axes the statistics run over: the batch and
spatial axes per channel (batch norm), the trailing ``normalized_shape`` axes per
sample (layer norm), or the channels of a group and the spatial axes per sample
(group norm). The shared steps are here.
"""
import tinygrad_edu as tg
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter


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
