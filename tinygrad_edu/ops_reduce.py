"""Reductions, softmax and matrix multiplication, each forward with its backward underneath.

``dims`` is always a tuple of non-negative axes (``Tensor`` normalises user input).
A backward first puts the reduced axes back (size 1) and then expands to the input's
shape, which is the gradient of "sum these axes away". ``Expand`` (broadcasting) lives here
too: its backward is a sum, and a sum's backward is an expand.
"""
import math

from tinygrad_edu.function import Op
from tinygrad_edu.ops_elementwise import Exp, Sign, ZeroWhere


# -- broadcasting: an expand and its adjoint, the sum (each one's backward is the other) --

class Expand(Op):
    """Broadcast to a larger shape without copying; the backward sums over the broadcast axes."""
    is_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, grad_output):
        return sum_to_shape(grad_output, self.input_shape)


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    extra = grad.ndim - len(shape)
    stretched = tuple(extra + axis for axis, size in enumerate(shape) if size == 1 and grad.shape[extra + axis] != 1)
    axes = tuple(range(extra)) + stretched
    if axes:
        grad = Sum.apply(grad, dims=axes, keepdim=True)
    return grad.reshape(shape) if grad.shape != tuple(shape) else grad


def _unreduce(grad_output, input_shape, dims, keepdim):
    """Give a reduced gradient its size-1 axes back, then expand it to ``input_shape``."""
    if not keepdim:
        kept_shape = [1 if axis in dims else size for axis, size in enumerate(input_shape)]
        grad_output = grad_output.reshape(kept_shape)
    return Expand.apply(grad_output, shape=input_shape)


class Sum(Op):
    def forward(self, x, dims, keepdim):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim)

    def name(self):
        return "SumBackward1" if len(self.dims) < len(self.input_shape) else "SumBackward0"

    def backward(self, grad_output):
        return _unreduce(grad_output, self.input_shape, self.dims, self.keepdim)


class Mean(Op):
    def forward(self, x, dims, keepdim):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        count = math.prod(x.shape[d] for d in dims)
        self.count = max(1, count)
        if not count:  # NumPy's mean would warn "Mean of empty slice"; torch is silent
            return x.sum(axis=dims, keepdims=keepdim) * math.nan
        return x.mean(axis=dims, keepdims=keepdim)

    def name(self):
        return "MeanBackward1" if len(self.dims) < len(self.input_shape) else "MeanBackward0"

    def backward(self, grad_output):
        return _unreduce(grad_output / self.count, self.input_shape, self.dims, self.keepdim)


class Var(Op):
    """Variance over ``dims`` with Bessel's ``correction``; the backward is torch's
    ``grad * 2 * (x - mean) / (N - correction)``, so an infinite upstream gradient gives ±inf, not NaN."""

    def forward(self, x, dims, keepdim, correction):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        count = math.prod(x.shape[d] for d in dims)
        denominator = max(count - correction, 0)
        self.scale = 2 / denominator if denominator else math.inf
        self.save_for_backward(x)
        centered = _centered(x, dims)
        squares = (centered * centered).sum(axis=dims, keepdims=keepdim)
        return squares / denominator if denominator else squares * math.inf

    def backward(self, grad_output):
        x, = self.saved_tensors
        return _unreduce(grad_output, self.input_shape, self.dims, self.keepdim) * _centered(x, self.dims) * self.scale


def _centered(x, dims):
    """``x`` minus its mean over ``dims``, computed from ``x`` minus its first element there: equal values give
    exact zeros (the mean of three equal floats need not equal them), as torch's running mean does."""
    first = x[tuple(slice(0, 1) if axis in dims else slice(None) for axis in range(x.ndim))]
    shifted = x - first
    return shifted - Mean.apply(shifted, dims=dims, keepdim=True)


class StdOfVar(Op):
    """The square root of a variance, whose gradient is 0 where it is 0 (torch's std: constant
    values have a zero gradient, whatever the upstream gradient)."""
    backward_name = "StdBackward0"

    def forward(self, variance):
        output = self.xp.sqrt(variance)
        self.save_for_backward(output, output == 0)
        return output

    def backward(self, grad_output):
        output, zero = self.saved_tensors
        return ZeroWhere.apply(grad_output / (2 * output), mask=zero)


class Prod(Op):
    """Product along one axis (``Tensor.prod`` flattens first for a full reduction)."""

    def forward(self, x, dim, keepdim):
        self.input_shape, self.dims, self.keepdim = x.shape, (dim,), keepdim
        output = x.prod(axis=dim, keepdims=keepdim)
        self.has_zero = bool((x == 0).any())
        self.save_for_backward(x, self._product_of_others(x, dim) if self.has_zero else output)
        return output

    def _product_of_others(self, x, dim):
        """For each element, the product of the others in its group: exact when zeros are present."""
        xp = self.xp
        moved = xp.moveaxis(x, dim, -1)
        ones = xp.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], -1), -1)
        after = xp.cumprod(xp.concatenate([ones, moved[..., :0:-1]], -1), -1)[..., ::-1]
        return xp.moveaxis(before * after, -1, dim)

    def backward(self, grad_output):
        x, saved = self.saved_tensors
        grad = _unreduce(grad_output, self.input_shape, self.dims, self.keepdim)
        if self.has_zero:
            return grad * saved
        return grad * _unreduce(saved, self.input_shape, self.dims, self.keepdim) / x


class Amax(Op):
    """max/min over axes; tied extremes share the gradient evenly, as torch's amax does."""

    def forward(self, x, dims, keepdim, smallest=False, whole=False):
        self.input_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        self.backward_name = ("MinBackward1" if smallest else "MaxBackward1") if whole else \
            ("AminBackward0" if smallest else "AmaxBackward0")
        output = (x.min if smallest else x.max)(axis=dims, keepdims=True)
        is_extreme = x == output
        self.save_for_backward((is_extreme / is_extreme.sum(axis=dims, keepdims=True)).astype(x.dtype))
        return output if keepdim else output.squeeze(dims)

    def backward(self, grad_output):
        share, = self.saved_tensors
        return _unreduce(grad_output, self.input_shape, self.dims, self.keepdim) * share


class MaxAlongDim(Op):
    """Values of ``max(dim)``/``min(dim)``; the gradient goes to the returned index only."""
    backward_name = "MaxBackward0"

    def forward(self, x, dim, keepdim, indices, smallest=False):
        self.input_shape, self.dim, self.keepdim = x.shape, dim, keepdim
        self.backward_name = "MinBackward0" if smallest else "MaxBackward0"
        self.save_for_backward(self.xp.expand_dims(indices, dim))
        values = self.xp.take_along_axis(x, self.xp.expand_dims(indices, dim), dim)
        return values if keepdim else values.squeeze(dim)

    def backward(self, grad_output):
        index, = self.saved_tensors
        if not self.keepdim:
            grad_output = grad_output.reshape(index.shape)
        return ScatterAdd.apply(grad_output, index, dim=self.dim, shape=self.input_shape)


class ScatterAdd(Op):
    """Zeros of ``shape`` with ``values`` added at ``index`` along ``dim`` (gather's adjoint)."""

    def forward(self, values, index, dim, shape):
        self.dim = dim
        self.save_for_backward(index)
        output = self.xp.zeros(shape, dtype=values.dtype)
        self.device.scatter_add(output, _positions_along(self.xp, index, dim), values)
        return output

    def backward(self, grad_output):
        index, = self.saved_tensors
        return Gather.apply(grad_output, index, dim=self.dim), None


def _positions_along(xp, index, dim):
    """The full index of ``take_along_axis(x, index, dim)``: ``index`` along ``dim``, aranges elsewhere."""
    positions = []
    for axis, size in enumerate(index.shape):
        shape = [1] * index.ndim
        shape[axis] = size
        positions.append(index if axis == dim else xp.arange(size).reshape(shape))
    return tuple(positions)


class Gather(Op):
    """``out[i][j] = x[index[i][j]][j]`` (dim 0): the output has the index's shape, which may be smaller
    than ``x`` in the other dims, as in torch (no broadcasting)."""

    def forward(self, x, index, dim):
        self.dim, self.input_shape = dim, x.shape
        self.save_for_backward(index)
        return x[_positions_along(self.xp, index, dim)]

    def backward(self, grad_output):
        index, = self.saved_tensors
        return ScatterAdd.apply(grad_output, index, dim=self.dim, shape=self.input_shape), None


class Softmax(Op):
    def forward(self, x, dim):
        self.dim = dim
        if not x.size:  # nothing to normalise (and x.max would refuse)
            output = x.copy()
            self.save_for_backward(output)
            return output
        exp = self.xp.exp(x - x.max(axis=dim, keepdims=True))
        output = exp / exp.sum(axis=dim, keepdims=True)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        grad_times_output = grad_output * output
        return grad_times_output - output * Sum.apply(grad_times_output, dims=(self.dim,), keepdim=True)


class LogSoftmax(Op):
    def forward(self, x, dim):
        self.dim = dim
        if not x.size:  # nothing to normalise (and x.max would refuse)
            output = x.copy()
            self.save_for_backward(output)
            return output
        shifted = x - x.max(axis=dim, keepdims=True)
        output = shifted - self.xp.log(self.xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        output, = self.saved_tensors
        return grad_output - Exp.apply(output) * Sum.apply(grad_output, dims=(self.dim,), keepdim=True)


class MatMul(Op):
    """Matrix product of two tensors with at least 2 dims and equal batch dims (or a 2-D one)."""
    backward_name = "MmBackward0"

    def forward(self, a, b):
        self.save_for_backward(a if self.needs_input_grad[1] else None,
                               b if self.needs_input_grad[0] else None)
        self.ndim = max(a.ndim, b.ndim)
        return a @ b

    def name(self):
        return "MmBackward0" if self.ndim == 2 else "BmmBackward0"

    def backward(self, grad_output):
        a, b = self.saved_tensors
        return (grad_output @ b.swapaxes(-1, -2) if self.needs_input_grad[0] else None,
                a.swapaxes(-1, -2) @ grad_output if self.needs_input_grad[1] else None)


class Scatter(Op):
    """A copy of ``x`` with ``src`` written at ``index`` along ``dim``; x's gradient is zero where overwritten."""

    def forward(self, x, src, index, dim):
        self.dim = dim
        positions = _positions_along(self.xp, index, dim)
        output = x.copy()
        output[positions] = src
        kept = self.xp.ones(x.shape, dtype=x.dtype)
        kept[positions] = 0
        self.save_for_backward(kept, index)
        return output

    def backward(self, grad_output):
        kept, index = self.saved_tensors
        return (grad_output * kept if self.needs_input_grad[0] else None,
                Gather.apply(grad_output, index, dim=self.dim) if self.needs_input_grad[1] else None, None)


class VectorNorm(Op):
    """(sum |x|^ord)^(1/ord) over ``dims``; max |x| for ord=inf, min for -inf, the count of nonzeros for 0.

    Where the norm is zero the gradient is zero (not NaN), as in torch.
    """
    backward_name = "LinalgVectorNormBackward0"

    def forward(self, x, ord, dims, keepdim):
        self.input_shape, self.dims, self.keepdim, self.ord = x.shape, dims, keepdim, ord
        xp, magnitude = self.xp, self.xp.abs(x)
        if ord in (math.inf, -math.inf):
            norm = (magnitude.max if ord > 0 else magnitude.min)(axis=dims, keepdims=True)
            is_extreme = magnitude == norm
            share = (is_extreme / is_extreme.sum(axis=dims, keepdims=True)).astype(x.dtype)
        elif ord == 0:
            norm = (x != 0).sum(axis=dims, keepdims=True).astype(x.dtype)
        elif ord == 1:
            norm = magnitude.sum(axis=dims, keepdims=True)
        elif ord == 2:
            norm = xp.sqrt((x * x).sum(axis=dims, keepdims=True))
        else:
            norm = ((magnitude ** ord).sum(axis=dims, keepdims=True) ** (1 / ord)).astype(x.dtype, copy=False)
        output = norm if keepdim else norm.squeeze(dims)
        self.save_for_backward(x, output, share if ord in (math.inf, -math.inf) else (norm == 0).astype(x.dtype))
        return output

    def backward(self, grad_output):
        ord = self.ord
        if ord == 0:
            return None  # a count: torch leaves the gradient undefined
        x, norm, constant = self.saved_tensors
        grad = _unreduce(grad_output, self.input_shape, self.dims, self.keepdim)
        if ord in (math.inf, -math.inf):
            return grad * Sign.apply(x) * constant  # the extremes share it evenly, as for amax
        if ord == 1:
            return grad * Sign.apply(x)
        safe_norm = _unreduce(norm, self.input_shape, self.dims, self.keepdim) + \
            _unreduce(constant, self.input_shape, self.dims, True)  # 1 where the norm is 0, so x / norm = 0
        if ord == 2:
            return grad * x / safe_norm
        return grad * Sign.apply(x) * abs(x) ** (ord - 1) / safe_norm ** (ord - 1)
