"""Ops that move or select elements without arithmetic: views, indexing, concatenation, padding.

View ops (``is_view = True``) return arrays that share memory with their input, and
their output shares the input's version counter, so an in-place change through
either is seen by the autograd checks of both.
"""
from tinygrad_edu.function import Function, Op
from tinygrad_edu.ops_reduce import sum_to_shape


class Reshape(Op):
    is_view = True
    backward_name = "ViewBackward0"

    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad_output):
        return grad_output.reshape(self.input_shape)


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


def replay_view(base, steps):
    """The view ``steps`` ((op, params), ...) applied again to ``base`` (an array or a Tensor)."""
    for op, params in steps:
        base = op.apply(base, **params)
    return base


class CopySlices(Op):
    """The base of a view after an in-place op on the view: ``base`` with ``values`` written where the
    view ``steps`` select (replayed on a copy of ``base``, a view of it as on the original).

    The base's gradient passes through except where it was overwritten; ``values`` get the rest.
    """
    backward_name = "CopySlices"

    def forward(self, base, values, steps):
        self.steps, self.base_shape, self.dtype = steps, base.shape, base.dtype
        self.covers_all = values.size == base.size  # a view without repeats (expanded views are refused)
        output = self.xp.empty_like(base, order="C") if self.covers_all else base.copy()
        self._select(output)[...] = values
        return output

    def backward(self, grad_output):
        grad_values = replay_view(grad_output, self.steps) if self.needs_input_grad[1] else None
        if not self.needs_input_grad[0]:
            return None, grad_values
        if isinstance(grad_output, self.xp.ndarray):
            if self.covers_all:
                return self.xp.zeros_like(grad_output), grad_values
            grad_base = grad_output.copy()
            self._select(grad_base)[...] = 0
            return grad_base, grad_values
        overwritten = self.xp.zeros(self.base_shape, dtype=bool)  # recording the backward (create_graph)
        self._select(overwritten)[...] = True
        return grad_output.masked_fill(self._Tensor._wrap(overwritten, grad_output.device), 0.0), grad_values

    def _select(self, array):
        """The elements of ``array`` the view selects, as a view into it (``array`` is C-contiguous)."""
        selected = replay_view(array, self.steps)
        if self.xp.may_share_memory(selected, array):
            return selected
        return _FlatSelection(array, replay_view(self.xp.arange(array.size).reshape(array.shape), self.steps))


class _FlatSelection:
    """Where replaying a reshape on a fresh copy copies: write through the flat positions instead."""

    def __init__(self, array, positions):
        self.array, self.positions = array, positions

    def __setitem__(self, index, values):
        self.array.reshape(-1)[self.positions] = values


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
