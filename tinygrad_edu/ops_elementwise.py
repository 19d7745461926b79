"""Elementwise ops: each forward, with its backward right underneath.

Each backward is written with operators only, so it computes the same on arrays and on
Tensors (see ``Op``); ``Pow`` and ``Where`` use Tensor methods and stay Functions.

Inputs of binary ops arrive with equal shapes wherever a gradient is needed:
broadcasting happens once, in ``Tensor._broadcast``, through ``Expand`` (whose
backward sums). Masks and other arrays saved here are constants of the backward.
"""
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
    with numpy.errstate(over="ignore"):
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
