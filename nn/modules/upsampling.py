"""Nearest-neighbour resizing: ``interpolate(mode='nearest')`` and ``Upsample``.

Each output position along a spatial axis copies input position
``min(floor(out_index * scale), in_size - 1)`` (torch's ``nearest_idx`` rule, ``scale`` in
float32; an axis that keeps its size is left alone, one that doubles takes ``out_index // 2``).
torch's 1-D and 3-D forward kernels skip those two shortcuts although their backward
kernels use them; this module follows the rule everywhere (as torch's 2-D kernels do).
one ``index_select`` per axis does the copying, and its backward adds the gradients
of the copies back together. Only ``mode='nearest'`` is implemented.
"""
import math

import tinygrad_edu as tg
from tinygrad_edu.nn.modules.module import Module

SUPPORTED_MODE = "nearest"


def _output_sizes(input, size, scale_factor):
    """The output's spatial sizes, and the scale factors torch passes down (None where absent)."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (tuple, list)):
            if len(size) != len(spatial):
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            return [int(s) for s in size], [None] * len(spatial)
        return [int(size)] * len(spatial), [None] * len(spatial)
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (tuple, list)):
        if len(scale_factor) != len(spatial):
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * len(spatial)
    return [math.floor(length * scale) for length, scale in zip(spatial, scales)], scales


def _nearest_sources(in_size, out_size, scale, device):
    """The input index each output index copies along one axis (torch's ``nearest_idx``:
    exact halving when the size doubles, else ``1/scale_factor`` or ``in/out`` steps)."""
    if out_size == 2 * in_size:
        step = 0.5
    else:
        step = in_size / out_size if scale is None or scale <= 0 else 1.0 / scale
    positions = tg.arange(out_size, dtype=tg.float32, device=device) * step
    return positions.long().clamp(max=in_size - 1)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *spatial)`` (1 to 3 spatial axes) to ``size`` or by ``scale_factor``, as
    ``torch.nn.functional.interpolate``; only ``mode='nearest'`` is supported.

    >>> interpolate(tg.randn(1, 3, 4, 4), scale_factor=2).shape
    tinygrad_edu.Size([1, 3, 8, 8])
    """
    if mode != SUPPORTED_MODE:
        raise NotImplementedError(f"interpolate supports mode='{SUPPORTED_MODE}' only, got mode='{mode}'")
    if align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if input.dim() not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                                  f"area | nearest-exact (got {mode})")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    output_sizes, scales = _output_sizes(input, size, scale_factor)
    if recompute_scale_factor:
        scales = [None] * len(scales)
    out = input
    for axis, (in_size, out_size, scale) in enumerate(zip(input.shape[2:], output_sizes, scales), start=2):
        if out_size != in_size:
            out = out.index_select(axis, _nearest_sources(in_size, out_size, scale, input.device))
    return out


class Upsample(Module):
    """Upsample ``(N, C, *spatial)`` inputs to ``size`` or by ``scale_factor``, as ``torch.nn.Upsample``
    (``mode='nearest'`` only; any other mode raises NotImplementedError).

    >>> up = Upsample(scale_factor=2)
    >>> up
    Upsample(scale_factor=2.0, mode='nearest')
    >>> up(tg.randn(1, 3, 4, 4)).shape
    tinygrad_edu.Size([1, 3, 8, 8])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if mode != SUPPORTED_MODE:
            raise NotImplementedError(f"Upsample supports mode='{SUPPORTED_MODE}' only, got mode='{mode}'")
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"
