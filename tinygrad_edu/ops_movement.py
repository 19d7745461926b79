"""Ops that move or select elements without arithmetic: views, indexing, concatenation, padding.

View ops (``is_view = True``) return arrays that share memory with their input, and
their output shares the input's version counter, so an in-place change through
either is seen by the autograd checks of both.
"""
from tinygrad_edu import ops_reduce as reduce
from tinygrad_edu.function import Function, Op


class Reshape(Op):
    is_view = True
    backward_name = "ViewBackward0"

    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad_output):
        return grad_output.reshape(self.input_shape)


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
        grad = reduce.Sum.apply(grad, dims=axes, keepdim=True)
    return grad.reshape(shape) if grad.shape != tuple(shape) else grad


class Permute(Op):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad_output):
        inverse = [0] * len(self.dims)
        for position, axis in enumerate(self.dims):
            inverse[axis] = position
        return Permute.apply(grad_output, dims=tuple(inverse))


class GetItem(Op):
    """``x[index]``: basic indexing gives a view; integer-array and mask indexing copy."""
    backward_name = "IndexBackward0"
    is_view = True

    def forward(self, x, index):
        self.input_shape, self.index = x.shape, index
        if not is_basic_index(index):
            self.is_view = False  # integer-array and mask indexing copy
        return x[index]

    def backward(self, grad_output):
        return IndexAdd.apply(grad_output, index=self.index, shape=self.input_shape)


class IndexAdd(Op):
    """Zeros of ``shape`` with ``values`` added at ``index``; repeated indices accumulate."""
    backward_name = "IndexPutBackward0"

    def forward(self, values, index, shape):
        self.index = index
        output = self.xp.zeros(shape, dtype=values.dtype)
        if is_basic_index(index):
            output[index] = values
        else:
            self.device.scatter_add(output, index, values)
        return output

    def backward(self, grad_output):
        return grad_output[self.index]


def is_basic_index(index):
    """True when ``index`` holds only ints, slices, None and Ellipsis (so no element repeats)."""
    return all(item is None or item is Ellipsis or isinstance(item, (int, slice)) for item in index)


class SetItem(Function):
    """``x[index] = value`` recorded out of place: x's gradient is zero where it was overwritten."""
    backward_name = "CopySlices"

    def forward(self, x, value, index):
        self.index, self.value_shape = index, value.shape
        output = x.copy()
        output[index] = value
        return output

    def backward(self, grad_output):
        grad_x = grad_output.clone()
        grad_x._data[self.index] = 0
        grad_value = None
        if self.needs_input_grad[1]:
            grad_value = sum_to_shape(grad_output[self.index], self.value_shape)
        return grad_x, grad_value


class Cat(Op):
    def forward(self, *arrays, dim):
        self.dim = dim
        self.sizes = [array.shape[dim] for array in arrays]
        return self.xp.concatenate(arrays, axis=dim)

    def backward(self, grad_output):
        grads, start = [], 0
        before = (slice(None),) * self.dim
        for size in self.sizes:
            grads.append(grad_output[before + (slice(start, start + size),)])
            start += size
        return tuple(grads)


class Pad(Op):
    """Constant padding; ``widths`` is ((before, after), ...) per axis, negatives crop."""
    backward_name = "ConstantPadNdBackward0"

    def forward(self, x, widths, value):
        self.input_shape = x.shape
        cropped = x[tuple(slice(max(-before, 0), size - max(-after, 0))
                          for (before, after), size in zip(widths, x.shape))]
        self.kept = tuple(slice(max(before, 0), max(before, 0) + size)
                          for (before, _), size in zip(widths, cropped.shape))
        self.crop = widths
        positive = [(max(before, 0), max(after, 0)) for before, after in widths]
        return self.xp.pad(cropped, positive, constant_values=value)

    def backward(self, grad_output):
        inner = grad_output[self.kept]
        return Pad.apply(inner, widths=tuple((max(-before, 0), max(-after, 0)) for before, after in self.crop), value=0)


class Flip(Op):
    def forward(self, x, dims):
        self.dims = dims
        return self.xp.flip(x, dims)

    def backward(self, grad_output):
        return Flip.apply(grad_output, dims=self.dims)
