"""Padding layers and ``F.pad``: constant (zeros), reflect, replicate and circular borders.

The non-constant modes pick, for every output position along a padded axis, the input position it
copies (mirrored, clamped to the edge, or wrapped around), and gather those with one
``index_select`` per axis; its backward adds each copy's gradient back to its source.
"""
import tinygrad_edu as tg
from tinygrad_edu.nn.modules.module import Module

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _reflect(position, size):
    position = abs(position)
    return (size - 1) - abs(size - 1 - position) if size > 1 else 0


_SOURCES = {
    "reflect": _reflect,
    "replicate": lambda position, size: min(max(position, 0), size - 1),
    "circular": lambda position, size: position % size,
}


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims, as ``torch.nn.functional.pad``: ``pad`` lists (before, after)
    widths from the last dim backwards; ``mode`` is 'constant' (with ``value``, default 0), 'reflect',
    'replicate' or 'circular'.

    >>> pad(tg.arange(4.0).reshape(1, 1, 4), (2, 1), mode="reflect")
    tensor([[[2., 1., 0., 1., 2., 3., 2.]]])
    """
    if mode not in PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return tg.pad(input, pad, value=value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    padded_dims = len(pad) // 2
    if padded_dims > 3 or input.dim() not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    output = input
    for k in range(padded_dims):
        dim = input.dim() - 1 - k
        output = _pad_axis(output, dim, pad[2 * k], pad[2 * k + 1], mode)
    return output


def _pad_axis(input, dim, before, after, mode):
    size = input.shape[dim]
    if mode == "reflect" and (before >= size or after >= size):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({before}, {after}) at dimension {dim} of input "
                           f"[{', '.join(map(str, input.shape))}]")
    if mode == "circular" and (before > size or after > size):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode == "replicate" and size == 0:
        raise RuntimeError(f"Expected input's dimension {dim} to be non-zero when using replicate padding")
    source = _SOURCES[mode]
    positions = [source(position, size) for position in range(-before, size + after)]
    return input.index_select(dim, tg.tensor(positions, dtype=tg.int64, device=input.device))


class _PadNd(Module):
    mode = "constant"
    value = 0.0

    def __init__(self, padding, dims):
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * dims)
        if len(self.padding) != 2 * dims:
            raise ValueError(f"{type(self).__name__} expects padding of {2 * dims} ints, got {self.padding}")

    def forward(self, input):
        return pad(input, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value``, as ``torch.nn.ConstantPad1d``.

    >>> ConstantPad1d((1, 2), 3.5)(tg.zeros(1, 2, 3)).shape
    tinygrad_edu.Size([1, 2, 6])
    """
    _dims = 1

    def __init__(self, padding, value):
        super().__init__(padding, self._dims)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims with ``value``: ``padding`` is an int or (left, right, top, bottom)."""
    _dims = 2


class ConstantPad3d(ConstantPad1d):
    """Pad the last three dims with ``value``."""
    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros, as ``torch.nn.ZeroPad1d``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros: ``padding`` is an int or (left, right, top, bottom).

    >>> ZeroPad2d(1)(tg.ones(1, 1, 2, 2)).shape
    tinygrad_edu.Size([1, 1, 4, 4])
    """
    _dims = 2


class ZeroPad3d(ZeroPad1d):
    _dims = 3


def _mode_pad(mode_name, dims, doc):
    class Pad(_PadNd):
        mode = mode_name

        def __init__(self, padding):
            super().__init__(padding, dims)
    Pad.__doc__ = doc
    return Pad


ReflectionPad1d = _mode_pad("reflect", 1, "Mirror the last dim at its edges (the edge not repeated).")
ReflectionPad2d = _mode_pad("reflect", 2, """Mirror the last two dims at their edges, as ``torch.nn.ReflectionPad2d``.

    >>> ReflectionPad2d(1)(tg.arange(4.0).reshape(1, 1, 2, 2))[0, 0, 0]
    tensor([3., 2., 3., 2.])
    """)
ReflectionPad3d = _mode_pad("reflect", 3, "Mirror the last three dims at their edges.")
ReplicationPad1d = _mode_pad("replicate", 1, "Repeat the edge values of the last dim.")
ReplicationPad2d = _mode_pad("replicate", 2, "Repeat the edge values of the last two dims, as torch.nn.ReplicationPad2d.")
ReplicationPad3d = _mode_pad("replicate", 3, "Repeat the edge values of the last three dims.")
CircularPad1d = _mode_pad("circular", 1, "Wrap the last dim around (periodic padding).")
CircularPad2d = _mode_pad("circular", 2, "Wrap the last two dims around (periodic padding).")
CircularPad3d = _mode_pad("circular", 3, "Wrap the last three dims around (periodic padding).")
for _name in ("ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
              "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"):
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name
