"""Activation functions: the layers (``nn.ReLU()``) and their functional forms (``F.relu``).

Each function is composed from Tensor operations, so autograd differentiates it
without a backward of its own; a few get a small ``Function`` where a composition
would be inexact (the normal CDF inside GELU, hardtanh's open interval, a
log-sigmoid that never overflows).

``inplace=True`` writes the result into the input tensor and returns it, as torch
does; it saves memory but the input's old values are gone.
"""
import math
import warnings

import tinygrad_edu
from tinygrad_edu.autograd import Function
from tinygrad_edu.nn.functional import log_softmax, relu, sigmoid, softmax, tanh
from tinygrad_edu.nn.module import Module


def _maybe_inplace(function, input, inplace):
    """``function(input)``; with ``inplace``, the input tensor overwritten by it and returned.

    While autograd records, the function runs on a clone of the input, so the values it
    saves for backward are not the ones being overwritten.
    """
    if not inplace:
        return function(input)
    recording = input.requires_grad and tinygrad_edu.is_grad_enabled()
    return input.copy_(function(input.clone() if recording else input))


# ---- functional forms ---------------------------------------------------------------
def binary_step(input):
    """1 where input >= 0, else 0 (the Heaviside step with H(0) = 1).

    Its gradient is zero everywhere (the step is flat on both sides, and the jump
    at 0 has no derivative), so a network that uses it cannot learn through it by
    gradient descent; backward runs and yields zeros.

    >>> F.binary_step(tinygrad_edu.tensor([-2.0, 0.0, 3.0]))
    tensor([0., 1., 1.])
    """
    return _BinaryStep.apply(input)


class _BinaryStep(Function):
    def forward(self, x):
        return (x >= 0).astype(x.dtype)

    def backward(self, grad_output):
        return grad_output * 0


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    return _maybe_inplace(lambda x: x.where(x > 0, x * negative_slope), input, inplace)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    # clamp: exp never overflows in the branch that where() discards
    return _maybe_inplace(lambda x: x.where(x > 0, alpha * (x.clamp(max=0).exp() - 1)), input, inplace)


def gelu(input, approximate="none"):
    """x * Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).

    >>> F.gelu(tinygrad_edu.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate == "none":
        return input * _StandardNormalCdf.apply(input)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x), also called swish."""
    return _maybe_inplace(lambda x: x * x.sigmoid(), input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _maybe_inplace(lambda x: x * softplus(x).tanh(), input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return input.where(scaled > threshold, smooth)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow for any x."""
    return _LogSigmoid.apply(input)


class _LogSigmoid(Function):
    def forward(self, x):
        xp = self.xp
        self.save_for_backward(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * (-x).sigmoid()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere."""
    return _maybe_inplace(lambda x: _Hardtanh.apply(x, min_val=min_val, max_val=max_val), input, inplace)


class _Hardtanh(Function):
    def forward(self, x, min_val, max_val):
        self.save_for_backward((x <= min_val) | (x >= max_val))  # not NaN: torch passes its gradient on
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        outside, = self.saved_tensors
        return grad_output.masked_fill(outside, 0)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    return _maybe_inplace(lambda x: x.masked_fill(x <= threshold, value), input, inplace)


threshold = _threshold  # exported as F.threshold, like torch


# ---- the standard normal CDF, for the exact GELU -------------------------------------
# Chebyshev coefficients of erfc (Numerical Recipes, 3rd ed., section 6.2.2).
_ERFC_COEFFICIENTS = (
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
    -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5,
    -1.624290004647e-6, 1.303655835580e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
    5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
    -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
    -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17)


def _erfc_of_nonnegative(xp, z):
    """erfc(z) for z >= 0, relative error below 1e-13 in float64 (Clenshaw's recurrence)."""
    t = 2 / (2 + z)
    ty = 4 * t - 2
    d = dd = xp.zeros_like(z)
    for coefficient in _ERFC_COEFFICIENTS[:0:-1]:
        d, dd = ty * d - dd + coefficient, d
    return t * xp.exp(-z * z + 0.5 * (_ERFC_COEFFICIENTS[0] + ty * d) - dd)


class _StandardNormalCdf(Function):
    """Φ(x) = P(N(0, 1) <= x); its derivative is the normal density exp(-x²/2)/√(2π)."""

    def forward(self, x):
        self.save_for_backward(x)
        upper_tail = 0.5 * _erfc_of_nonnegative(self.xp, self.xp.abs(x) * math.sqrt(0.5))  # P(N > |x|)
        return self.xp.where(x >= 0, 1 - upper_tail, upper_tail)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


def _legacy_softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


# ---- layers -----------------------------------------------------------------------------
def _inplace_suffix(inplace, separator=", "):
    return f"{separator}inplace=True" if inplace else ""


class ReLU(Module):
    """max(0, x) elementwise.

    >>> nn.ReLU()(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

    >>> nn.LeakyReLU(0.1)(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    >>> nn.ELU()(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class GELU(Module):
    """x * Φ(x) (Gaussian error linear unit); ``approximate='tanh'`` for the tanh formula.

    >>> nn.GELU()(tinygrad_edu.tensor([1.0]))
    tensor([0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x).

    >>> nn.SiLU()(tinygrad_edu.tensor([1.0]))
    tensor([0.7311])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Mish(Module):
    """x * tanh(softplus(x)).

    >>> nn.Mish()(tinygrad_edu.tensor([1.0]))
    tensor([0.8651])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return mish(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)), squashing any value into (0, 1).

    >>> nn.Sigmoid()(tinygrad_edu.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, squashing any value into (-1, 1).

    >>> nn.Tanh()(tinygrad_edu.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return tanh(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably.

    >>> nn.LogSigmoid()(tinygrad_edu.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input):
        return logsigmoid(input)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``: each slice becomes a probability distribution.

    >>> nn.Softmax(dim=1)(tinygrad_edu.zeros(1, 4))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _legacy_softmax_dim("softmax", input.dim())
        return softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x).

    >>> nn.LogSoftmax(dim=1)(tinygrad_edu.zeros(1, 2))
    tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _legacy_softmax_dim("log_softmax", input.dim())
        return log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; linear where beta * x > threshold.

    >>> nn.Softplus()(tinygrad_edu.tensor([0.0]))
    tensor([0.6931])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    >>> nn.Hardtanh()(tinygrad_edu.tensor([-3.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_suffix(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6).

    >>> nn.ReLU6()(tinygrad_edu.tensor([-1.0, 8.0]))
    tensor([0., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Threshold(Module):
    """x where x > threshold, else ``value``.

    >>> nn.Threshold(0.1, 20.0)(tinygrad_edu.tensor([0.0, 0.5]))
    tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return _threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class BinaryStep(Module):
    """1 where x >= 0, else 0: the step activation of the first perceptrons.

    Its gradient is zero everywhere, so layers before it receive no learning
    signal: use it to see why differentiable activations replaced it.

    >>> nn.BinaryStep()(tinygrad_edu.tensor([-0.5, 0.0, 2.0]))
    tensor([0., 1., 1.])
    """

    def forward(self, input):
        return binary_step(input)
