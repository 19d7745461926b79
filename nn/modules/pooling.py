"""Pooling layers: max and average pooling over fixed or adaptive windows.

Fixed windows come from ``Im2Col`` (a strided view of the padded input, see
``nn/modules/conv.py``); a reduction over the window axes pools them. Max pooling picks each
window's first maximum (in a window holding NaN, its last NaN) and ``gather``s it, so the
gradient flows to exactly that input position, as in torch. Windows that tile the input (stride equal to
the kernel, no padding or dilation: the usual ``MaxPool2d(2)``) take a shortcut, one
``MaxPoolTiles`` node over a reshaped view.
"""
import tinygrad_edu as tg
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn.modules.conv import Im2Col
from tinygrad_edu.nn.modules.module import Module


# ----------------------------------------------------------------------------- argument handling

def _pair(value):
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * 2


def _single(value):
    return (int(value[0]),) if isinstance(value, (tuple, list)) else (int(value),)


def _pooled_size(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's pooling output length; in ceil mode the last window must start inside input or left padding."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_geometry(input_size, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the arguments; return the output size and the per-side padding that makes every
    window (including ceil mode's partial last one) lie inside the padded input."""
    if any(k <= 0 for k in kernel_size):
        raise RuntimeError(f"kernel_size must be greater than zero, but got kernel_size={kernel_size}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                           f"dilationW: {dilation[1]}")
    for p, k, d in zip(padding, kernel_size, dilation):
        if p < 0 or p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    output_size = tuple(_pooled_size(*args, ceil_mode) for args in
                        zip(input_size, kernel_size, stride, padding, dilation))
    sides = []
    for size, out, k, s, p, d in zip(input_size, output_size, kernel_size, stride, padding, dilation):
        overhang = (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p)
        sides.append((p, p + max(overhang, 0)))
    return output_size, tuple(sides)


def _check_output_size(input, output_size):
    if any(size < 1 for size in output_size):
        channels, height, width = input.shape[-3:]
        raise RuntimeError(f"Given input size: ({channels}x{height}x{width}). Calculated output size: "
                           f"({channels}x{output_size[0]}x{output_size[1]}). Output size is too small")


def _batched(input, name, expected_dims):
    """Add a batch axis to an unbatched input; check the rank against torch's message for ``name``."""
    if input.dim() not in expected_dims:
        raise RuntimeError(_RANK_MESSAGES[name].format(shape=list(input.shape), dim=input.dim()))
    return input if input.dim() == max(expected_dims) else input.unsqueeze(0)


_RANK_MESSAGES = {
    "max_pool1d": "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                  "but got:{shape}",
    "max_pool2d": "non-empty 3D or 4D (batch mode) tensor expected for input",
    "avg_pool1d": "Expected 2 to 3 dimensions, but got {dim}-dimensional tensor for argument #1 'self' "
                  "(while checking arguments for avg_pool1d)",
    "avg_pool2d": "non-empty 3D or 4D (batch mode) tensor expected for input",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {shape}",
    "adaptive_max_pool2d": "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {shape}",
}


def _each(result, transform):
    """Apply ``transform`` to a result, or to both tensors of a ``(values, indices)`` result."""
    return tuple(transform(r) for r in result) if isinstance(result, tuple) else transform(result)


def _unbatched_like(input, result, batched_dims):
    """Drop the batch axis that ``_batched`` added to an unbatched ``input``."""
    return result if input.dim() == batched_dims else _each(result, lambda r: r.squeeze(0))


# ----------------------------------------------------------------------------- max pooling

def _max_over_windows(windows, index_table, return_indices):
    """Max over the last axis of ``(N, C, oH, oW, K)`` windows (first maximum on ties).

    ``index_table`` ``(oH, oW, K)`` holds each window element's flat position in the input
    plane; it gives the indices that ``return_indices`` asks for.
    """
    position = _pooled_position(windows)
    values = windows.gather(-1, position).squeeze(-1)
    if not return_indices:
        return values
    table = index_table.expand(*windows.shape)
    return values, table.gather(-1, position).squeeze(-1)


def _pooled_position(windows):
    """Which element of each window (last axis, ``K`` long) torch's max pooling picks, as ``(..., 1)``:
    the first maximum, or in a window holding NaN the last NaN."""
    is_nan = windows.isnan()
    last_nan = windows.shape[-1] - 1 - is_nan.flip(-1).to(tg.uint8).argmax(dim=-1, keepdim=True)
    return last_nan.where(is_nan.any(dim=-1, keepdim=True), windows.argmax(dim=-1, keepdim=True))


def _flat_index_table(rows, cols, width):
    """``rows (oH, kH)`` and ``cols (oW, kW)`` -> flat ``row*width + col`` as ``(oH, oW, kH*kW)``."""
    out_h, kernel_h = rows.shape
    out_w, kernel_w = cols.shape
    table = rows.reshape(out_h, 1, kernel_h, 1) * width + cols.reshape(1, out_w, 1, kernel_w)
    return table.reshape(out_h, out_w, kernel_h * kernel_w)


def _window_starts(out_size, kernel, stride, padding, dilation, device):
    """Input position of every element of every window: ``(out_size, kernel)`` int64."""
    starts = tg.arange(out_size, device=device).reshape(out_size, 1) * stride - padding
    return starts + tg.arange(kernel, device=device) * dilation


class MaxPoolTiles(Op):
    """Max pooling whose windows tile the input: ``(N, C, H, W)`` seen as ``(N, C, oH, kH, oW, kW)``.

    Rows and columns past the last whole tile are left out, as floor mode does. The gradient
    goes to each tile's first maximum in scan order, or in a tile holding NaN to its last NaN,
    as in torch. Which entry of its tile that is, ``choice`` (``(N, C, oH, oW)``, 0 to kH*kW - 1),
    is all the backward needs.
    """
    backward_name = "MaxPool2DWithIndicesBackward0"

    def forward(self, x, kernel_size):
        self.kernel_size, self.input_shape = kernel_size, x.shape
        entries = tile_entries(x, kernel_size)
        output = entries[0].copy()
        for entry in entries[1:]:
            self.xp.maximum(output, entry, out=output)  # faster than a max over the tile axes
        self.choice = self._first_maximum(entries, output)
        return output

    def _first_maximum(self, entries, output):
        xp = self.xp
        choice = xp.zeros(output.shape, dtype=xp.uint8)
        found = entries[0] == output
        for entry in entries[1:]:
            choice += ~found                     # not found yet: the maximum is further on
            found |= entry == output
        # NaN equals nothing: in a tile holding NaN the last NaN wins. The CPU first checks for one;
        # on a GPU that question would make the host wait, so the pass always runs there.
        if self.device.type != "cpu" or xp.isnan(output).any():
            for position, entry in enumerate(entries):
                choice = xp.where(xp.isnan(entry), xp.uint8(position), choice)
        return choice

    def backward(self, grad_output):
        return ToTileChoice.apply(grad_output, choice=self.choice, kernel_size=self.kernel_size,
                                  input_shape=self.input_shape)


class ToTileChoice(Op):
    """The max pooling's backward: each value of ``(N, C, oH, oW)`` goes to the entry ``choice``
    picks in its tile of an ``input_shape`` array of zeros. Its own backward picks those entries."""

    def forward(self, values, choice, kernel_size, input_shape):
        self.choice, self.kernel_size, self.input_shape = choice, kernel_size, input_shape
        grad = self.xp.zeros(input_shape, dtype=values.dtype)
        for position, entry in enumerate(tile_entries(grad, kernel_size)):
            self.xp.multiply(values, choice == position, out=entry)
        return grad

    def backward(self, grad_output):
        picked = 0
        for position, entry in enumerate(tile_entries(grad_output, self.kernel_size)):
            picked = picked + entry * (self.choice == position)
        return picked


def tile_entries(x, kernel_size):
    """Views of the entries of every whole ``kH x kW`` tile of ``(N, C, H, W)``, in scan order:
    ``kH*kW`` arrays (or Tensors) of ``(N, C, oH, oW)``."""
    (kernel_h, kernel_w), (n, channels, height, width) = kernel_size, x.shape
    out_h, out_w = height // kernel_h, width // kernel_w
    tiles = x[:, :, :out_h * kernel_h, :out_w * kernel_w].reshape(n, channels, out_h, kernel_h, out_w, kernel_w)
    return [tiles[:, :, :, i, :, j] for i in range(kernel_h) for j in range(kernel_w)]


def _max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """Max pooling of a batched ``(N, C, H, W)`` input."""
    output_size, sides = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    _check_output_size(x, output_size)
    tiles_the_input = (stride == kernel_size and not any(padding) and dilation == (1, 1)
                       and output_size == tuple(size // k for size, k in zip(x.shape[2:], kernel_size)))
    if tiles_the_input and not return_indices:
        return MaxPoolTiles.apply(x, kernel_size=kernel_size)
    windows = Im2Col.apply(x, kernel_size=kernel_size, dilation=dilation, padding=sides, stride=stride,
                           pad_value=float("-inf"))                           # (N, C, kH, kW, oH, oW)
    n, channels, kernel_h, kernel_w, out_h, out_w = windows.shape
    windows = windows.permute(0, 1, 4, 5, 2, 3).reshape(n, channels, out_h, out_w, kernel_h * kernel_w)
    index_table = None
    if return_indices:
        rows = _window_starts(out_h, kernel_h, stride[0], padding[0], dilation[0], x.device)
        cols = _window_starts(out_w, kernel_w, stride[1], padding[1], dilation[1], x.device)
        index_table = _flat_index_table(rows, cols, x.shape[3])
    return _max_over_windows(windows, index_table, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` (or ``(C, H, W)``), as ``torch.nn.functional.max_pool2d``.

    With ``return_indices=True`` also returns each maximum's flat index in its ``H*W`` plane.

    >>> max_pool2d(tg.randn(1, 3, 8, 8), 2).shape
    tinygrad_edu.Size([1, 3, 4, 4])
    """
    x = _batched(input, "max_pool2d", (3, 4))
    kernel_size = _pair(kernel_size)
    stride = kernel_size if stride is None or stride == [] else _pair(stride)
    result = _max_pool2d(x, kernel_size, stride, _pair(padding), _pair(dilation), ceil_mode, return_indices)
    return _unbatched_like(input, result, batched_dims=4)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over ``(N, C, L)`` (or ``(C, L)``), as ``torch.nn.functional.max_pool1d``.

    >>> max_pool1d(tg.randn(2, 3, 10), 3, stride=2).shape
    tinygrad_edu.Size([2, 3, 4])
    """
    x = _batched(input, "max_pool1d", (2, 3)).unsqueeze(2)
    kernel_size = _single(kernel_size)
    stride = kernel_size if stride is None or stride == [] else _single(stride)
    padding, dilation = _single(padding), _single(dilation)
    length = _pooled_size(x.shape[3], kernel_size[0], stride[0], padding[0], dilation[0], ceil_mode)
    if length < 1 and stride[0] > 0 and dilation[0] > 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    result = _max_pool2d(x, (1,) + kernel_size, (1,) + stride, (0,) + padding, (1,) + dilation, ceil_mode,
                         return_indices)
    return _unbatched_like(input, _each(result, lambda r: r.squeeze(2)), batched_dims=3)


# ----------------------------------------------------------------------------- average pooling

def _window_sizes(size, out_size, kernel, stride, padding, count_include_pad, device):
    """How many elements each window along one axis averages (torch's divisor rule)."""
    starts = tg.arange(out_size, device=device) * stride - padding
    ends = (starts + kernel).clamp(max=size + padding)
    if not count_include_pad:
        starts, ends = starts.clamp(min=0), ends.clamp(max=size)
    return ends - starts


def _avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling of a batched ``(N, C, H, W)`` input."""
    output_size, sides = _pool_geometry(x.shape[2:], kernel_size, stride, padding, (1, 1), ceil_mode)
    _check_output_size(x, output_size)
    windows = Im2Col.apply(x, kernel_size=kernel_size, dilation=(1, 1), padding=sides, stride=stride)
    sums = windows.sum(dim=(2, 3))
    if divisor_override:
        return sums / divisor_override
    rows, cols = (_window_sizes(size, out, k, s, p, count_include_pad, x.device)
                  for size, out, k, s, p in zip(x.shape[2:], output_size, kernel_size, stride, padding))
    divisor = (rows.reshape(-1, 1) * cols).to(x.dtype)
    return sums / divisor


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    ``count_include_pad=False`` leaves zero padding out of each window's divisor;
    ``divisor_override`` replaces the divisor altogether.

    >>> avg_pool2d(tg.randn(1, 3, 8, 8), 2).shape
    tinygrad_edu.Size([1, 3, 4, 4])
    """
    x = _batched(input, "avg_pool2d", (3, 4))
    kernel_size = _pair(kernel_size)
    stride = kernel_size if stride is None or stride == [] else _pair(stride)
    out = _avg_pool2d(x, kernel_size, stride, _pair(padding), ceil_mode, count_include_pad, divisor_override)
    return _unbatched_like(input, out, batched_dims=4)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over ``(N, C, L)`` (or ``(C, L)``), as ``torch.nn.functional.avg_pool1d``.

    >>> avg_pool1d(tg.randn(2, 3, 10), 2).shape
    tinygrad_edu.Size([2, 3, 5])
    """
    x = _batched(input, "avg_pool1d", (2, 3)).unsqueeze(2)
    kernel_size = _single(kernel_size)
    stride = kernel_size if stride is None or stride == [] else _single(stride)
    out = _avg_pool2d(x, (1,) + kernel_size, (1,) + stride, (0,) + _single(padding), ceil_mode,
                      count_include_pad, None)
    return _unbatched_like(input, out.squeeze(2), batched_dims=3)


# ----------------------------------------------------------------------------- adaptive pooling

def _adaptive_output_size(input, output_size):
    """An int or a pair whose ``None`` entries keep the input's size."""
    wanted = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return tuple(int(input.shape[-2 + i]) if size is None else int(size) for i, size in enumerate(wanted))


def _adaptive_bounds(size, out_size):
    """torch's adaptive windows along one axis: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    starts = [i * size // out_size for i in range(out_size)]
    ends = [-(-(i + 1) * size // out_size) for i in range(out_size)]
    return starts, ends


def _averaging_matrix(size, out_size, dtype, device):
    """``(out_size, size)`` matrix whose row ``i`` averages adaptive window ``i``."""
    starts, ends = _adaptive_bounds(size, out_size)
    starts = tg.tensor(starts, device=device).reshape(-1, 1)
    ends = tg.tensor(ends, device=device).reshape(-1, 1)
    positions = tg.arange(size, device=device)
    inside = (positions >= starts).to(dtype) * (positions < ends).to(dtype)
    return inside / (ends - starts).to(dtype)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size``, whatever the input size (``AdaptiveAvgPool2d``).

    Adaptive averaging is separable, so it is two small matmuls: ``rows @ x @ cols.T``.

    >>> adaptive_avg_pool2d(tg.randn(1, 3, 7, 9), (2, 3)).shape
    tinygrad_edu.Size([1, 3, 2, 3])
    """
    x = _batched(input, "adaptive_avg_pool2d", (3, 4))
    out_h, out_w = _adaptive_output_size(x, output_size)
    rows = _averaging_matrix(x.shape[2], out_h, x.dtype, x.device)
    cols = _averaging_matrix(x.shape[3], out_w, x.dtype, x.device)
    return _unbatched_like(input, rows @ x @ cols.T, batched_dims=4)


def _adaptive_window_table(size, out_size, device):
    """``(out_size, longest window)`` input positions of each adaptive window; shorter windows
    repeat their last position (a repeat never changes a max nor wins a tie)."""
    starts, ends = _adaptive_bounds(size, out_size)
    longest = max(e - s for s, e in zip(starts, ends))
    table = [[min(s + t, e - 1) for t in range(longest)] for s, e in zip(starts, ends)]
    return tg.tensor(table, device=device)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``output_size`` (``AdaptiveMaxPool2d``); ``return_indices`` as ``max_pool2d``.

    >>> adaptive_max_pool2d(tg.randn(1, 3, 7, 9), 2).shape
    tinygrad_edu.Size([1, 3, 2, 2])
    """
    x = _batched(input, "adaptive_max_pool2d", (3, 4))
    n, channels, height, width = x.shape
    out_h, out_w = _adaptive_output_size(x, output_size)
    rows = _adaptive_window_table(height, out_h, x.device)                       # (oH, kH)
    cols = _adaptive_window_table(width, out_w, x.device)                        # (oW, kW)
    kernel_h, kernel_w = rows.shape[1], cols.shape[1]
    windows = x.index_select(2, rows.reshape(-1)).index_select(3, cols.reshape(-1))
    windows = windows.reshape(n, channels, out_h, kernel_h, out_w, kernel_w).permute(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, channels, out_h, out_w, kernel_h * kernel_w)
    index_table = _flat_index_table(rows, cols, width) if return_indices else None
    result = _max_over_windows(windows, index_table, return_indices)
    return _unbatched_like(input, result, batched_dims=4)


# ----------------------------------------------------------------------------- modules

class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of ``(N, C, L)`` inputs, as ``torch.nn.MaxPool1d``.

    >>> MaxPool1d(2)(tg.randn(1, 4, 10)).shape
    tinygrad_edu.Size([1, 4, 5])
    """

    def forward(self, input):
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of ``(N, C, H, W)`` inputs, as ``torch.nn.MaxPool2d``.

    >>> MaxPool2d(2)(tg.randn(1, 4, 28, 28)).shape
    tinygrad_edu.Size([1, 4, 14, 14])
    """

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """Average over sliding windows of ``(N, C, L)`` inputs, as ``torch.nn.AvgPool1d``.

    >>> AvgPool1d(3, stride=2)(tg.randn(1, 4, 9)).shape
    tinygrad_edu.Size([1, 4, 4])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average over sliding windows of ``(N, C, H, W)`` inputs, as ``torch.nn.AvgPool2d``.

    >>> AvgPool2d(2)(tg.randn(1, 4, 28, 28)).shape
    tinygrad_edu.Size([1, 4, 14, 14])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average-pool any ``(N, C, H, W)`` input to ``output_size`` (``None`` keeps that dimension).

    >>> AdaptiveAvgPool2d((1, 1))(tg.randn(2, 8, 7, 7)).shape
    tinygrad_edu.Size([2, 8, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max-pool any ``(N, C, H, W)`` input to ``output_size`` (``None`` keeps that dimension).

    >>> AdaptiveMaxPool2d(2)(tg.randn(2, 8, 7, 7)).shape
    tinygrad_edu.Size([2, 8, 2, 2])
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"
