"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``, and ``unfold``/``fold``.

Every convolution here is im2col: ``Im2Col`` lays the sliding windows of the input
out as a strided *view* (no data copied), one reshape copies them into a matrix per
image (``unfold``'s layout), and a batched matmul multiplies the kernels by each. Its
adjoint, ``Col2Im``, adds window-shaped gradients back into an image with one slice
addition per kernel offset. Each op's backward is the other, so gradients of any
order come for free. ``conv2d`` is one ``Convolution`` node over them, whose backward
at stride 1 convolves again instead of going through ``Col2Im``.

Window layout used throughout: ``(N, C, kH, kW, out_H, out_W)``; reshaping it to
``(N, C*kH*kW, out_H*out_W)`` gives exactly ``torch.nn.functional.unfold``'s result.
"""
import math

import tinygrad_edu as tg
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.padding import pad
from tinygrad_edu.nn.parameter import Parameter

PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


# ----------------------------------------------------------------------------- the two primitives

class Im2Col(Op):
    """Sliding windows of an ``(N, C, H, W)`` array, as ``(N, C, kH, kW, out_H, out_W)``.

    ``padding`` is ``((top, bottom), (left, right))``, filled with ``pad_value``.
    The result is a read-only strided view of the (padded) input.
    """

    def forward(self, x, kernel_size, dilation, padding, stride, pad_value=0.0):
        self.input_size = x.shape[2:]
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride
        if any(side for pair in padding for side in pair):
            x = self.xp.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=pad_value)
        (kernel_h, kernel_w), (dilation_h, dilation_w), (stride_h, stride_w) = kernel_size, dilation, stride
        span = (dilation_h * (kernel_h - 1) + 1, dilation_w * (kernel_w - 1) + 1)
        windows = self.xp.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
        windows = windows[:, :, ::stride_h, ::stride_w, ::dilation_h, ::dilation_w]
        return windows.transpose(0, 1, 4, 5, 2, 3)

    def backward(self, grad_output):
        return Col2Im.apply(grad_output, output_size=self.input_size, kernel_size=self.kernel_size,
                            dilation=self.dilation, padding=self.padding, stride=self.stride)


class Col2Im(Op):
    """Adjoint of ``Im2Col``: add ``(N, C, kH, kW, out_H, out_W)`` windows into an
    ``(N, C, H, W)`` image (``output_size`` is ``(H, W)``, the size before padding)."""

    def forward(self, columns, output_size, kernel_size, dilation, padding, stride):
        self.grid = columns.shape[4:]
        self.output_size, self.kernel_size, self.dilation = output_size, kernel_size, dilation
        self.padding, self.stride = padding, stride
        n, channels, kernel_h, kernel_w, out_h, out_w = columns.shape
        columns = self.xp.ascontiguousarray(columns)   # one copy makes the strided additions below ~2x faster
        (top, bottom), (left, right) = padding
        height, width = output_size
        image = self.xp.zeros((n, channels, top + height + bottom, left + width + right), dtype=columns.dtype)
        (dilation_h, dilation_w), (stride_h, stride_w) = dilation, stride
        for i in range(kernel_h):
            rows = slice(i * dilation_h, i * dilation_h + stride_h * (out_h - 1) + 1, stride_h)
            for j in range(kernel_w):
                cols = slice(j * dilation_w, j * dilation_w + stride_w * (out_w - 1) + 1, stride_w)
                image[:, :, rows, cols] += columns[:, :, i, j]
        return image[:, :, top:top + height, left:left + width]

    def backward(self, grad_output):
        windows = Im2Col.apply(grad_output, kernel_size=self.kernel_size, dilation=self.dilation,
                               padding=self.padding, stride=self.stride)
        out_h, out_w = self.grid
        return windows[:, :, :, :, :out_h, :out_w] if windows.shape[4:] != self.grid else windows


# ----------------------------------------------------------------------------- argument handling

def _ntuple(value, n, name="value"):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                               f"match the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _pair(value, name="value"):
    return _ntuple(value, 2, name)


def _symmetric(padding):
    """(pad_h, pad_w) -> ((top, bottom), (left, right))."""
    return tuple((p, p) for p in padding)


def _same_padding(kernel_size, dilation):
    """torch's 'same' padding: total d*(k-1) per side pair, the odd pixel going to the end."""
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return tuple((total // 2, total - total // 2) for total in totals)


def _conv_padding(padding, kernel_size, stride, dilation):
    """Normalise a conv ``padding`` (int, tuple, 'same', 'valid') to per-side pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel_size)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        return _same_padding(kernel_size, dilation)
    padding = _ntuple(padding, len(kernel_size), "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    return _symmetric(padding)


def _check_conv_args(name, input, weight, bias, stride, dilation, groups, spatial_dims, transposed=False):
    """torch's checks and messages for a convolution's input, weight and bias."""
    if input.dim() not in (spatial_dims + 1, spatial_dims + 2):
        raise RuntimeError(f"Expected {spatial_dims + 1}D (unbatched) or {spatial_dims + 2}D (batched) input "
                           f"to {name}, but got input of size: {list(input.shape)}")
    if weight.dim() != spatial_dims + 2:
        raise RuntimeError(f"{name} expects a {spatial_dims + 2}D weight, but got weight of size "
                           f"{list(weight.shape)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    batched_shape = list(input.shape) if input.dim() == spatial_dims + 2 else [1] + list(input.shape)
    weight_shape = list(weight.shape)
    if weight_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{weight_shape}] instead")
    expected_channels = weight_shape[0] if transposed else weight_shape[1] * groups
    if batched_shape[1] != expected_channels:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {given}, weight of size {weight_shape}, expected input{batched_shape} to have "
                           f"{expected_channels} channels, but got {batched_shape[1]} channels instead")
    out_channels = weight_shape[1] * groups if transposed else weight_shape[0]
    if bias is not None and tuple(bias.shape) != (out_channels,):
        given = "transposed=1, weight" if transposed else "weight"
        raise RuntimeError(f"Given {given} of size {weight_shape}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def _check_kernel_fits(input_size, padding, kernel_size, dilation):
    padded = [size + sum(pads) for size, pads in zip(input_size, padding)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    if any(span > size for span, size in zip(spans, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, spans))}). "
                           "Kernel size can't be greater than actual input size")


# ----------------------------------------------------------------------------- functional forms

def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: ``(N, C, H, W)`` -> ``(N, C*kH*kW, L)``, as ``torch.nn.functional.unfold``.

    >>> unfold(tg.randn(1, 3, 5, 5), kernel_size=2).shape
    tinygrad_edu.Size([1, 12, 16])
    """
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    kernel_size, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    blocks = [(size + 2 * p - d * (k - 1) - 1) // s + 1
              for size, k, d, p, s in zip(x.shape[2:], kernel_size, dilation, padding, stride)]
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={kernel_size}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
                           f"blocks as {tuple(blocks)}, but its components must be at least one.")
    windows = Im2Col.apply(x, kernel_size=kernel_size, dilation=dilation, padding=_symmetric(padding),
                           stride=stride)
    columns = windows.reshape(x.shape[0], -1, blocks[0] * blocks[1])
    return columns if batched else columns.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks back into an image: ``(N, C*kH*kW, L)`` -> ``(N, C, H, W)``.

    The adjoint of ``unfold`` (overlapping blocks add up), as ``torch.nn.functional.fold``.

    >>> fold(tg.ones(1, 12, 16), output_size=(5, 5), kernel_size=2).shape
    tinygrad_edu.Size([1, 3, 5, 5])
    """
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.dim()}D)")
    batched = input.dim() == 3
    columns = input if batched else input.unsqueeze(0)
    output_size, kernel_size = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    dilation, padding, stride = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    n, rows, length = columns.shape
    kernel_area = kernel_size[0] * kernel_size[1]
    if rows % kernel_area:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={rows} and kernel_size={kernel_size}.")
    blocks = [(size + 2 * p - d * (k - 1) - 1) // s + 1
              for size, k, d, p, s in zip(output_size, kernel_size, dilation, padding, stride)]
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"Given output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    windows = columns.reshape(n, rows // kernel_area, *kernel_size, *blocks)
    image = Col2Im.apply(windows, output_size=output_size, kernel_size=kernel_size, dilation=dilation,
                         padding=_symmetric(padding), stride=stride)
    return image if batched else image.squeeze(0)


class Convolution(Op):
    """Batched 2-D convolution of ``(N, C, H, W)`` by ``(O, C/G, kH, kW)`` kernels; ``padding`` as per-side pairs.

    The windows are copied once into ``unfold``'s layout, ``(N, G, C/G*kH*kW, oH*oW)``, whose
    rows are runs of output pixels; the kernels ``(G, O/G, C/G*kH*kW)`` multiply each image's
    matrix (a batched matmul), which leaves the result in torch's ``(N, O, oH, oW)`` layout.
    The gradients are convolutions again: the kernels' is the windows times the output's gradient,
    and at stride 1 the input's is the output's gradient convolved with the flipped kernels, which
    spares the window-sized gradient and its ``Col2Im``. The array backward reuses the forward's
    windows; under ``create_graph`` they are taken again from ``x``, so the graph sees where they came from.
    """
    backward_name = "ConvolutionBackward0"

    def forward(self, x, weight, stride, padding, dilation, groups):
        self.input_size, self.stride, self.padding = x.shape[2:], stride, padding
        self.dilation, self.groups = dilation, groups
        columns = self._columns(x, weight.shape)
        weight_grad = self.needs_input_grad[1]
        self.save_for_backward(x if weight_grad else None, weight, columns if weight_grad else None)
        n, out_channels = x.shape[0], weight.shape[0]
        out = weight.reshape(groups, out_channels // groups, -1) @ columns          # (N, G, O/G, oH*oW)
        return out.reshape(n, out_channels, *self.grid)

    def _columns(self, x, weight_shape):
        """The windows of ``x`` as ``(N, G, C/G*kH*kW, oH*oW)`` (one copy); keeps the output grid."""
        windows = Im2Col.apply(x, kernel_size=tuple(weight_shape[2:]), dilation=self.dilation,
                               padding=self.padding, stride=self.stride)          # (N, C, kH, kW, oH, oW)
        self.grid = tuple(windows.shape[4:])
        return windows.reshape(x.shape[0], self.groups, -1, self.grid[0] * self.grid[1])

    def backward(self, grad_output):
        x, weight, columns = self.saved_tensors
        groups, out_channels = self.groups, weight.shape[0]
        grad = grad_output.reshape(grad_output.shape[0], groups, out_channels // groups, -1)  # (N, G, O/G, oH*oW)
        grad_weight = None
        if self.needs_input_grad[1]:
            if not self.on_arrays:
                columns = self._columns(x, weight.shape)
            grad_weight = (grad @ columns.swapaxes(-1, -2)).sum(0).reshape(weight.shape)
        grad_input = None
        if self.needs_input_grad[0]:
            grad_input = self._input_gradient(grad_output, grad, weight)
        return grad_input, grad_weight

    def _input_gradient(self, grad_output, grad, weight):
        groups, (out_channels, group_channels, kernel_h, kernel_w) = self.groups, weight.shape
        spans = [d * (k - 1) for k, d in zip((kernel_h, kernel_w), self.dilation)]
        flipped_padding = tuple((span - before, span - after) for span, (before, after) in zip(spans, self.padding))
        if self.stride == (1, 1) and min(min(pair) for pair in flipped_padding) >= 0:
            flipped = weight.reshape(groups, out_channels // groups, group_channels, kernel_h, kernel_w)
            flipped = flipped.swapaxes(1, 2).reshape(groups * group_channels, -1, kernel_h, kernel_w)[..., ::-1, ::-1]
            return Convolution.apply(grad_output, flipped, stride=(1, 1), padding=flipped_padding,
                                     dilation=self.dilation, groups=groups)
        kernels = weight.reshape(groups, out_channels // groups, -1).swapaxes(-1, -2)    # (G, C/G*kH*kW, O/G)
        windows = (kernels @ grad).reshape(grad.shape[0], groups * group_channels, kernel_h, kernel_w, *self.grid)
        return Col2Im.apply(windows, output_size=self.input_size, kernel_size=(kernel_h, kernel_w),
                            dilation=self.dilation, padding=self.padding, stride=self.stride)


def _conv2d(x, weight, bias, stride, padding, dilation, groups):
    """Batched 2-D convolution (``Convolution``) plus the bias; ``padding`` as per-side pairs."""
    _check_kernel_fits(x.shape[2:], padding, tuple(weight.shape[2:]), dilation)
    out = Convolution.apply(x, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``(N, C, H, W)`` with ``(O, C/groups, kH, kW)`` kernels.

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output as large as the input;
    stride 1 only). Accepts an unbatched ``(C, H, W)`` input too.

    >>> conv2d(tg.randn(1, 3, 8, 8), tg.randn(4, 3, 3, 3), padding=1).shape
    tinygrad_edu.Size([1, 4, 8, 8])
    """
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    _check_conv_args("conv2d", input, weight, bias, stride, dilation, groups, spatial_dims=2)
    padding = _conv_padding(padding, tuple(weight.shape[2:]), stride, dilation)
    batched = input.dim() == 4
    out = _conv2d(input if batched else input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of ``(N, C, L)`` with ``(O, C/groups, k)`` kernels (a 2-D one of height 1).

    >>> conv1d(tg.randn(2, 3, 10), tg.randn(4, 3, 5), padding='same').shape
    tinygrad_edu.Size([2, 4, 10])
    """
    stride, dilation = _ntuple(stride, 1, "stride"), _ntuple(dilation, 1, "dilation")
    _check_conv_args("conv1d", input, weight, bias, stride, dilation, groups, spatial_dims=1)
    padding = _conv_padding(padding, tuple(weight.shape[2:]), stride, dilation)
    batched = input.dim() == 3
    x = (input if batched else input.unsqueeze(0)).unsqueeze(2)
    out = _conv2d(x, weight.unsqueeze(2), bias, (1,) + stride, ((0, 0),) + padding, (1,) + dilation, groups)
    out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of ``conv2d`` with respect to its input).

    ``weight`` is ``(C_in, C_out/groups, kH, kW)``. Output size per dimension:
    ``(H - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1``.

    >>> conv_transpose2d(tg.randn(1, 4, 5, 5), tg.randn(4, 2, 3, 3), stride=2).shape
    tinygrad_edu.Size([1, 2, 11, 11])
    """
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    padding, output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    _check_conv_args("conv_transpose2d", input, weight, bias, stride, dilation, groups, spatial_dims=2,
                     transposed=True)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
            f"stride_height: {stride[0]} stride_width: {stride[1]} "
            f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    n, in_channels, height, width = x.shape
    _, group_out, kernel_h, kernel_w = weight.shape
    output_size = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
                        zip((height, width), stride, padding, dilation, (kernel_h, kernel_w), output_padding))
    if any(size < 1 for size in output_size):
        raise RuntimeError(f"Given input size per channel: ({height} x {width}). Calculated output size per "
                           f"channel: ({output_size[0]} x {output_size[1]}). Output size is too small")
    group_in = in_channels // groups
    pixels = x.reshape(n, groups, group_in, height, width).permute(1, 0, 3, 4, 2)
    pixels = pixels.reshape(groups, n * height * width, group_in)                   # (G, N*H*W, C_in/G)
    kernels = weight.reshape(groups, group_in, -1)                                  # (G, C_in/G, O/G*kH*kW)
    columns = pixels @ kernels                                                      # (G, N*H*W, O/G*kH*kW)
    columns = columns.reshape(groups, n, height, width, group_out, kernel_h, kernel_w)
    columns = columns.permute(1, 0, 4, 5, 6, 2, 3).reshape(n, groups * group_out, kernel_h, kernel_w,
                                                           height, width)           # (N, O, kH, kW, H, W)
    out = Col2Im.apply(columns, output_size=output_size, kernel_size=(kernel_h, kernel_w), dilation=dilation,
                       padding=_symmetric(padding), stride=stride)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out if batched else out.squeeze(0)


# ----------------------------------------------------------------------------- modules

class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: arguments, parameters, init and repr.

    ``padding_mode`` 'reflect', 'replicate' or 'circular' pads the input with ``F.pad`` first, as torch does.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, spatial_dims, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, spatial_dims)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, but got padding_mode='{padding_mode}'")
        if transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, spatial_dims)
        self.stride = _ntuple(stride, spatial_dims)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, spatial_dims)
        self.dilation = _ntuple(dilation, spatial_dims)
        self.transposed, self.output_padding = transposed, _ntuple(output_padding, spatial_dims)
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding(self.padding, self.kernel_size, self.dilation)
        weight_shape = ((in_channels, out_channels // groups) if transposed
                        else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(tg.empty(*weight_shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(tg.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: kaiming_uniform_(a=sqrt(5)) weights, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _padded(self, input):
        """``input`` and the padding left for the convolution: non-zero modes pad here, as torch does."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), 0


def _reversed_padding(padding, kernel_size, dilation):
    """torch's ``_reversed_padding_repeated_twice``: (left, right) per spatial dim, last dim first."""
    widths = []
    for axis in reversed(range(len(kernel_size))):
        if padding == "same":
            total = dilation[axis] * (kernel_size[axis] - 1)
            widths += [total // 2, total - total // 2]
        else:
            widths += [0, 0] if padding == "valid" else [padding[axis]] * 2
    return widths


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C_in, L)`` inputs, as ``torch.nn.Conv1d`` (any ``padding_mode``).

    >>> conv = Conv1d(3, 8, kernel_size=5, padding=2)
    >>> conv(tg.randn(4, 3, 20)).shape
    tinygrad_edu.Size([4, 8, 20])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups,
                         bias, padding_mode, spatial_dims=1, device=device, dtype=dtype)

    def forward(self, input):
        input, padding = self._padded(input)
        return conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C_in, H, W)`` inputs, as ``torch.nn.Conv2d`` (any ``padding_mode``).

    >>> conv = Conv2d(1, 64, kernel_size=3, padding='same')
    >>> conv
    Conv2d(1, 64, kernel_size=(3, 3), stride=(1, 1), padding=same)
    >>> conv(tg.randn(8, 1, 9, 9)).shape
    tinygrad_edu.Size([8, 64, 9, 9])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups,
                         bias, padding_mode, spatial_dims=2, device=device, dtype=dtype)

    def forward(self, input):
        input, padding = self._padded(input)
        return conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution ("deconvolution"), as ``torch.nn.ConvTranspose2d``
    (any ``padding_mode``). ``weight`` is ``(C_in, C_out/groups, kH, kW)``.

    >>> up = ConvTranspose2d(16, 8, kernel_size=2, stride=2)
    >>> up(tg.randn(1, 16, 7, 7)).shape
    tinygrad_edu.Size([1, 8, 14, 14])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if isinstance(padding, str):
            raise ValueError(f'Only "zeros" padding mode and integer padding are supported for '
                             f"ConvTranspose2d, got padding={padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, spatial_dims=2, device=device, dtype=dtype)

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)

    def _output_padding_for(self, input, output_size):
        """The output_padding that makes the output exactly ``output_size`` (its last two entries)."""
        wanted = tuple(output_size)[-2:]
        smallest = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
                    zip(input.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size)]
        extra = tuple(w - low for w, low in zip(wanted, smallest))
        if any(e < 0 or e >= s for e, s in zip(extra, self.stride)):
            largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
            raise ValueError(f"requested an output size of {list(wanted)}, but valid sizes range from "
                             f"{smallest} to {largest} (for an input of {list(input.shape[2:])})")
        return extra
