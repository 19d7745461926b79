"""Elementwise ops: each forward, with its backward right underneath.

Each backward is written with operators only, so it computes the same on arrays and on
Tensors (see ``Op``); ``Pow`` and ``Where`` use Tensor methods and stay Functions.

Inputs of binary ops arrive with equal shapes wherever a gradient is needed:
broadcasting happens once, in ``Tensor._broadcast``, through ``Expand`` (whose
backward sums). Masks and other arrays saved here are constants of the backward.
"""
import math

import numpy

from tinygrad_edu.function import Function, Op


class Add(Op):
    def forward(self, x, y):
        return x + y

    def backward(self, grad_output):
        return grad_output, grad_output


class Sub(Op):
    def forward(self, x, y):
        return x - y

    def backward(self, grad_output):
        return grad_output, -grad_output


class Mul(Op):
    def forward(self, x, y):
        self.save_for_backward(x if self.needs_input_grad[1] else None,
                               y if self.needs_input_grad[0] else None)
        return x * y

    def backward(self, grad_output):
        x, y = self.saved_tensors
        return (grad_output * y if self.needs_input_grad[0] else None,
                grad_output * x if self.needs_input_grad[1] else None)


class Div(Op):
    def forward(self, x, y):
        output = x / y
        self.save_for_backward(y, output)
        return output

    def backward(self, grad_output):
        y, output = self.saved_tensors
        grad_x = grad_output / y
        return grad_x, (-grad_x * output if self.needs_input_grad[1] else None)


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, grad_output):
        return -grad_output


class Pow(Function):
    """A tensor raised to a tensor: both base and exponent get gradients."""
    backward_name = "PowBackward1"

    def forward(self, base, exponent):
        output = base ** exponent
        self.save_for_backward(base, exponent, output)
        return output

    def backward(self, grad_output):
        base, exponent, output = self.saved_tensors
        grad_base = grad_exponent = None
        if self.needs_input_grad[0]:
            grad_base = grad_output * exponent * base ** (exponent - 1)
        if self.needs_input_grad[1]:
            safe_log = base.where(base != 0, 1).log()
            grad_exponent = grad_output * output * safe_log
        return grad_base, grad_exponent


class PowScalar(Op):
    """A tensor raised to a Python number."""
    backward_name = "PowBackward0"

    def forward(self, base, exponent):
        self.exponent = exponent
        self.save_for_backward(base)
        return base ** exponent

    def backward(self, grad_output):
        base, = self.saved_tensors
        if self.exponent == 0:
            return grad_output * 0
        return grad_output * self.exponent * base ** (self.exponent - 1)


class Exp(Op):
    def forward(self, x):
        output = self.xp.exp(x)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output * output


class Log(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output / x


class Log1p(Op):
    backward_name = "Log1PBackward0"

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log1p(x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output / (x + 1)


class Sqrt(Op):
    def forward(self, x):
        output = self.xp.sqrt(x)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output / (2 * output)


class Rsqrt(Op):
    def forward(self, x):
        output = 1 / self.xp.sqrt(x)
        self.save_for_backward(output)
        return output.astype(x.dtype, copy=False)

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output * -0.5 * output ** 3


class Sin(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * Cos.apply(x)


class Cos(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * -Sin.apply(x)


class Tanh(Op):
    def forward(self, x):
        output = self.xp.tanh(x)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output * (1 - output * output)


class Sigmoid(Op):
    def forward(self, x):
        output = sigmoid(self.xp, x)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output * output * (1 - output)


def sigmoid(xp, x):
    """1 / (1 + exp(-x)) in one new array, as torch computes it: below x = -88 (float32) exp(-x)
    overflows to inf, silently, and the result is 0."""
    output = xp.negative(x, out=xp.empty_like(x))  # out=: an array even for 0-d x
    xp.exp(output, out=output)
    output += 1
    return xp.reciprocal(output, out=output)


class ZeroWhere(Op):
    """``grad`` with zeros where ``mask`` is True: how masking ops send their gradient back.

    A select, not a product with a 0/1 mask, so a NaN or inf gradient stays out of masked-off places.
    """
    backward_name = "MaskedFillBackward0"

    def forward(self, grad, mask):
        self.mask = mask = getattr(mask, "_data", mask)  # an array, or a saved mask come back as a constant Tensor
        return self.xp.where(mask, self.xp.zeros((), dtype=grad.dtype), grad)

    def backward(self, grad_output):
        return ZeroWhere.apply(grad_output, mask=self.mask)


class Relu(Op):
    """Gradient zero where the result is ``<= 0``, as torch: a NaN input passes its gradient on."""
    backward_name = "ReluBackward0"

    def forward(self, x):
        output = self.xp.maximum(x, 0, dtype=x.dtype)
        self.save_for_backward(output <= 0)
        return output

    def backward(self, grad_output):
        not_positive, = self.saved_tensors
        return ZeroWhere.apply(grad_output, mask=not_positive)


class Abs(Op):
    def forward(self, x):
        self.save_for_backward(sign(self.xp, x))
        return self.xp.abs(x)

    def backward(self, grad_output):
        sign_of_x, = self.saved_tensors
        return grad_output * sign_of_x


class Sign(Op):
    def forward(self, x):
        return sign(self.xp, x)

    def backward(self, grad_output):
        return ZeroWhere.apply(grad_output, mask=self.xp.asarray(True))  # zeros, even where the gradient is NaN


def sign(xp, x):
    """-1, 0 or 1 as torch computes it: 0 for NaN too (NumPy's sign of NaN is NaN)."""
    return xp.nan_to_num(xp.sign(x, out=xp.empty_like(x)), copy=False, nan=0.0)  # out=: an array even for 0-d x


class Clamp(Op):
    """Gradient flows where ``min <= x <= max``, as in torch."""
    backward_name = "ClampBackward1"

    def forward(self, x, min=None, max=None):
        inside = True
        if min is not None:
            inside = x >= min
        if max is not None:
            inside = inside & (x <= max)
        self.save_for_backward(~inside)  # NaN is outside too: torch's gradient there is 0
        return self.xp.clip(x, min, max).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        outside, = self.saved_tensors
        return ZeroWhere.apply(grad_output, mask=outside)


class ClampTensors(Op):
    """``x`` limited to [low, high] given as tensors (of x's shape), with torch's gradients: x's flows where
    ``low <= x <= high``; a bound's where it is the result (``high`` wins where ``high < low``)."""
    backward_name = "ClampBackward0"

    def forward(self, x, low, high):
        x_outside = ~((x >= low) & (x <= high))
        low_loses = ~((x < low) & (low < high))
        high_loses = ~((x > high) | (high < low))
        self.save_for_backward(x_outside, low_loses, high_loses)
        return self.xp.minimum(self.xp.maximum(x, low), high)

    def backward(self, grad_output):
        masks = self.saved_tensors
        return tuple(ZeroWhere.apply(grad_output, mask=mask) if needed else None
                     for mask, needed in zip(masks, self.needs_input_grad))


class Maximum(Op):
    """Elementwise max, with torch's gradient: the larger side gets it, each side half where they are equal,
    and both all of it where a NaN makes them incomparable."""

    def forward(self, x, y):
        self.save_for_backward(x < y, x > y, _tie_share(self.xp, x, y))
        return self.xp.maximum(x, y)

    def backward(self, grad_output):
        x_loses, y_loses, tie_share = self.saved_tensors
        if tie_share is not None:
            grad_output = grad_output * tie_share
        return (ZeroWhere.apply(grad_output, mask=x_loses) if self.needs_input_grad[0] else None,
                ZeroWhere.apply(grad_output, mask=y_loses) if self.needs_input_grad[1] else None)


class Minimum(Maximum):
    def forward(self, x, y):
        self.save_for_backward(x > y, x < y, _tie_share(self.xp, x, y))
        return self.xp.minimum(x, y)


def _tie_share(xp, x, y):
    """0.5 where ``x == y`` and 1 elsewhere, or None when nothing ties (the usual case)."""
    ties = x == y
    return xp.where(ties, 0.5, 1.0).astype(x.dtype) if ties.any() else None


class Where(Function):
    """``where(condition, x, y)``; the condition is a constant bool array."""

    def forward(self, x, y, condition):
        self.save_for_backward(condition)
        return self.xp.where(condition, x, y)

    def backward(self, grad_output):
        condition, = self.saved_tensors
        zero = grad_output.new_zeros(())
        return (grad_output.where(condition, zero) if self.needs_input_grad[0] else None,
                zero.where(condition, grad_output) if self.needs_input_grad[1] else None)


class Cast(Op):
    backward_name = "ToCopyBackward0"

    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad_output):
        return Cast.apply(grad_output, dtype=self.input_dtype)


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, grad_output):
        return grad_output


class Rounding(Op):
    """floor, ceil, trunc and round (to ``decimals`` places): steps, whose gradient is zero as in torch."""

    def forward(self, x, how, decimals=0):
        self.backward_name = f"{how.capitalize()}Backward{1 if decimals else 0}"
        if x.dtype.kind in "iub":
            return x.copy()
        if how != "round":
            return getattr(self.xp, how)(x)
        if decimals >= 0:  # torch's order of operations: x * 10^d, or x / 10^-d, then rint
            scale = 10.0 ** decimals
            return (self.xp.rint(x * scale) / scale).astype(x.dtype, copy=False)
        scale = 10.0 ** -decimals
        return (self.xp.rint(x / scale) * scale).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        return grad_output * 0


class FloorDivide(Op):
    """``x // y`` rounded toward minus infinity (Python's rule); torch has no derivative for it."""

    def forward(self, x, y):
        return self.xp.floor_divide(x, y)  # x // 0.0 is inf or NaN, silently as in torch

    def backward(self, grad_output):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Op):
    """``x % y`` with the sign of ``y`` (Python's rule); ``y``'s gradient is ``-floor(x / y)``."""

    def forward(self, x, y):
        self.save_for_backward(self.xp.floor_divide(x, y) if self.needs_input_grad[1] else None)
        return self.xp.remainder(x, y)

    def backward(self, grad_output):
        quotient, = self.saved_tensors
        return grad_output, (-grad_output * quotient if self.needs_input_grad[1] else None)


class Fmod(Op):
    """``x % y`` with the sign of ``x`` (C's fmod); ``y``'s gradient is ``-trunc(x / y)``."""

    def forward(self, x, y):
        quotient = self.xp.trunc(x / y).astype(x.dtype, copy=False) if self.needs_input_grad[1] else None
        self.save_for_backward(quotient)
        return self.xp.fmod(x, y)

    def backward(self, grad_output):
        quotient, = self.saved_tensors
        return grad_output, (-grad_output * quotient if self.needs_input_grad[1] else None)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return erf(self.xp, x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * _TWO_OVER_SQRT_PI * Exp.apply(-(x * x))


class Erfc(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return erfc(self.xp, x)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * -_TWO_OVER_SQRT_PI * Exp.apply(-(x * x))


class Erfinv(Op):
    def forward(self, x):
        output = erfinv(self.xp, x)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output / _TWO_OVER_SQRT_PI * Exp.apply(output * output)


# W. J. Cody's rational approximations (Math. Comp. 23, 1969), as in his CALERF: erf on |x| <= 0.46875,
# erfc on 0.46875 < |x| <= 4 and on |x| > 4; relative error below 1e-16 in float64.
_ERF_SMALL = ((3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
               1.85777706184603153e-1),
              (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03))
_ERFC_MIDDLE = ((5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
                 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
                 2.15311535474403846e-8),
                (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
                 3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03))
_ERFC_LARGE = ((3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
                6.58749161529837803e-4, 1.63153871373020978e-2),
               (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
                2.33520497626869185e-3))


def _rational(z, coefficients):
    """Cody's ratio of polynomials in z: the numerator's leading coefficient comes last, the denominator's is 1."""
    numerator, denominator = coefficients
    top, bottom = numerator[-1] * z, z
    for a, b in zip(numerator[:-2], denominator[:-1]):
        top, bottom = (top + a) * z, (bottom + b) * z
    return (top + numerator[-2]) / (bottom + denominator[-1])


def _erfc_of_large(xp, y):
    """erfc(y) for y > 0.46875 (or NaN)."""
    result = xp.empty_like(y)
    middle = y <= 4.0
    result[middle] = _rational(y[middle], _ERFC_MIDDLE)
    far = y[~middle]
    inverse_square = 1 / (far * far)
    result[~middle] = (1 / math.sqrt(math.pi) - inverse_square * _rational(inverse_square, _ERFC_LARGE)) / far
    rounded = xp.trunc(y * 16) / 16  # exp(-y²) in two factors keeps its last digits
    result = result * xp.exp(-rounded * rounded) * xp.exp(-(y - rounded) * (y + rounded))
    return xp.where(y == math.inf, 0, result)


def _split_erf(xp, x):
    """(x in working precision, |x|, mask of |x| <= 0.46875, erf there, erfc(|x|) elsewhere)."""
    work = x.astype(numpy.float32) if x.dtype == numpy.float16 else x
    magnitude = xp.abs(work)
    small = magnitude <= 0.46875
    near_zero = work[small]
    return work, small, near_zero * _rational(near_zero * near_zero, _ERF_SMALL), _erfc_of_large(xp, magnitude[~small])


def erf(xp, x):
    """The error function, elementwise, in the dtype of ``x``."""
    work, small, erf_small, erfc_large = _split_erf(xp, x)
    result = xp.empty_like(work)
    result[small] = erf_small
    result[~small] = xp.copysign((0.5 - erfc_large) + 0.5, work[~small])
    return result.astype(x.dtype, copy=False)


def erfc(xp, x):
    """1 - erf(x), accurate also where it is tiny (large x)."""
    work, small, erf_small, erfc_large = _split_erf(xp, x)
    result = xp.empty_like(work)
    result[small] = 1 - erf_small
    result[~small] = xp.where(work[~small] < 0, 2 - erfc_large, erfc_large)
    return result.astype(x.dtype, copy=False)


def erfinv(xp, x):
    """The inverse of erf on [-1, 1]: Winitzki's closed form refined by Newton steps on erf
    (on erfc near ±1, where 1 - |x| is exact and erf is flat)."""
    work = x.astype(numpy.float64)
    magnitude = xp.abs(work)
    inside = magnitude < 1
    a = magnitude[inside]
    log_term = xp.log1p(-a * a)
    first = 2 / (math.pi * 0.147) + log_term / 2
    z = xp.sqrt(xp.sqrt(first * first - log_term / 0.147) - first)
    near_one = a > 0.5
    for _ in range(4):
        residual = xp.where(near_one, (1 - a) - erfc(xp, z), erf(xp, z) - a)
        z = z - residual / (_TWO_OVER_SQRT_PI * xp.exp(-z * z))
    result = xp.where(magnitude == 1, math.inf, math.nan)
    result[inside] = z
    return xp.copysign(result, work).astype(x.dtype, copy=False)
