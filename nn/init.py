"""Weight initialisation, as ``torch.nn.init``.

Every function fills its tensor in place, without recording anything for autograd,
and returns the same tensor, so it works on a Parameter that requires grad:

>>> w = nn.Parameter(tinygrad_edu.empty(256, 128))
>>> nn.init.kaiming_uniform_(w, nonlinearity="relu") is w
True

Random draws come from the generator that ``tinygrad_edu.manual_seed`` seeds (or from
the ``generator=`` given), so a seeded script initialises its model the same way every run.
"""
import math
import warnings

import numpy

import tinygrad_edu

_LINEAR_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d",
                          "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for weights feeding ``nonlinearity``, as torch defines it.

    >>> calculate_gain("relu")        # sqrt(2)
    1.4142135623730951
    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity in _LINEAR_NONLINEARITIES or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + _negative_slope(param) ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _negative_slope(param):
    if param is None:
        return 0.01
    if isinstance(param, (int, float)) and not isinstance(param, bool):
        return param
    raise ValueError(f"negative_slope {param} not a valid number")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * kernel and out * kernel."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` with values drawn uniformly from [a, b)."""
    with tinygrad_edu.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` with values drawn from N(mean, std²)."""
    with tinygrad_edu.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill ``tensor`` with N(mean, std²) values redrawn until they lie in [a, b].

    ``a`` and ``b`` are absolute bounds (not multiples of ``std``). Rejection
    sampling gives exactly the truncated normal distribution; it slows down when
    [a, b] holds little of the distribution's mass.

    >>> trunc_normal_(tinygrad_edu.empty(3, 5), std=0.02, a=-0.04, b=0.04)
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    with tinygrad_edu.no_grad():
        tensor.normal_(mean, std, generator=generator)
        outside = (tensor < a) | (tensor > b)
        while outside.any().item():
            redrawn = tinygrad_edu.empty(int(outside.sum().item()), dtype=tensor.dtype, device=tensor.device)
            tensor[outside] = redrawn.normal_(mean, std, generator=generator)
            outside = (tensor < a) | (tensor > b)
    return tensor


def constant_(tensor, val):
    """Fill ``tensor`` with ``val``."""
    with tinygrad_edu.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill ``tensor`` with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill ``tensor`` with zeros."""
    with tinygrad_edu.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with tinygrad_edu.no_grad():
        return tensor.copy_(tinygrad_edu.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _is_empty(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    ``a`` is the negative slope of a following leaky ReLU; ``mode`` picks fan_in
    (keeps the forward variance) or fan_out (keeps the backward variance).
    ``nn.Linear`` uses ``kaiming_uniform_(weight, a=math.sqrt(5))``.
    """
    if _is_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std²) with std = gain / sqrt(fan)."""
    if _is_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``.

    Dimensions after the first are flattened: the result, viewed as
    (rows, cols), has orthonormal rows or columns (whichever are fewer). It is the
    Q of the QR decomposition of a standard normal matrix, signs fixed so that the
    distribution is uniform over orthogonal matrices.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = tinygrad_edu.randn(max(rows, cols), min(rows, cols), dtype=tinygrad_edu.float64, generator=generator,
                                  device="cpu")      # a small QR, done on the host whatever the tensor's device
    q, r = numpy.linalg.qr(gaussian.numpy())       # q: (max, min) with orthonormal columns
    q = q * numpy.sign(numpy.diagonal(r))
    if rows < cols:
        q = q.T
    with tinygrad_edu.no_grad():
        tensor.copy_(tinygrad_edu.tensor(q.reshape(tensor.shape) * gain, dtype=tensor.dtype, device=tensor.device))
    return tensor
