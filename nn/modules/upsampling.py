"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area),
``Upsample`` and the ``UpsamplingNearest2d`` / ``UpsamplingBilinear2d`` layers.

Every mode but 'area' is separable: each spatial axis is resized in turn, an output position taking
a weighted sum of a few input positions along that axis (one for nearest, two for linear, four for
bicubic), each term one ``index_select`` whose backward adds the gradients back.

Nearest: output position ``i`` copies input position ``min(floor(i * scale), in_size - 1)`` (torch's
``nearest_idx`` rule, ``scale`` in float32; an axis that keeps its size is left alone, one that doubles
takes ``i // 2``). torch's 1-D and 3-D forward kernels skip those two shortcuts although their backward
kernels use them; this module follows the rule everywhere (as torch's 2-D kernels do).
Linear and cubic: torch's ``area_pixel_compute_source_index`` (half-pixel centres, or the corners'
alignment with ``align_corners=True``) and its cubic convolution with A = -0.75, borders clamped.
"""
import math
import warnings

import numpy

import tinygrad_edu as tg
from tinygrad_edu.nn.modules.module import Module

MODE_DIMS = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4, "bicubic": 4,
             "trilinear": 5}
CUBIC_A = -0.75


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


def _nearest_exact_sources(in_size, out_size, scale, device):
    """torch's ``nearest_neighbor_exact_compute_source_index``: floor((i + 0.5) * step), clamped."""
    step = in_size / out_size if scale is None or scale <= 0 else 1.0 / scale
    positions = (tg.arange(out_size, dtype=tg.float32, device=device) + 0.5) * step
    return positions.long().clamp(max=in_size - 1)  # non-negative: truncation is floor


def _source_coordinates(in_size, out_size, scale, align_corners, cubic):
    """Where each output position samples the input along one axis, as float64 coordinates."""
    if align_corners:
        step = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        return numpy.arange(out_size) * step
    step = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    coordinates = step * (numpy.arange(out_size) + 0.5) - 0.5
    return coordinates if cubic else numpy.maximum(coordinates, 0.0)


def _linear_taps(in_size, out_size, scale, align_corners):
    """(input index, weight) pairs per output position: the two neighbours and their linear weights."""
    coordinates = _source_coordinates(in_size, out_size, scale, align_corners, cubic=False)
    low = numpy.floor(coordinates).astype(numpy.int64)
    high = numpy.minimum(low + 1, in_size - 1)
    fraction = coordinates - low
    return [(low, 1.0 - fraction), (high, fraction)]


def _cubic_taps(in_size, out_size, scale, align_corners):
    """(input index, weight) pairs per output position: four neighbours, Keys' cubic with A = -0.75."""
    coordinates = _source_coordinates(in_size, out_size, scale, align_corners, cubic=True)
    floor = numpy.floor(coordinates)
    t = coordinates - floor
    near = lambda x: ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1  # noqa: E731  |x| <= 1
    far = lambda x: ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A  # noqa: E731  1 < |x| < 2
    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(numpy.clip(floor.astype(numpy.int64) + offset, 0, in_size - 1), weight)
            for offset, weight in zip((-1, 0, 1, 2), weights)]


def _resample_axis(input, axis, taps):
    """Sum over taps of ``input`` gathered at the tap's indices along ``axis``, times its weights."""
    shape = [1] * input.dim()
    shape[axis] = -1
    output = None
    for indices, weights in taps:
        term = input.index_select(axis, tg.tensor(indices, device=input.device))
        term = term * tg.tensor(weights.reshape(shape), dtype=input.dtype, device=input.device)
        output = term if output is None else output + term
    return output


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *spatial)`` (1 to 3 spatial axes) to ``size`` or by ``scale_factor``, as
    ``torch.nn.functional.interpolate``: ``mode`` is 'nearest', 'nearest-exact', 'linear' (3-D input),
    'bilinear' or 'bicubic' (4-D), 'trilinear' (5-D) or 'area'; ``align_corners`` for the interpolating modes.

    >>> interpolate(tg.randn(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    tinygrad_edu.Size([1, 3, 8, 8])
    """
    if input.dim() not in (3, 4, 5) or mode not in MODE_DIMS or (mode == "bicubic" and input.dim() != 4):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                                  f"area | nearest-exact (got {mode})")
    if MODE_DIMS[mode] is None and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if MODE_DIMS[mode] is not None and MODE_DIMS[mode] != input.dim():
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {MODE_DIMS[mode]}D input")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported; resize without antialias")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    output_sizes, scales = _output_sizes(input, size, scale_factor)
    if recompute_scale_factor:
        scales = [None] * len(scales)
    if mode == "area":
        return _area(input, output_sizes)
    out = input
    for axis, (in_size, out_size, scale) in enumerate(zip(input.shape[2:], output_sizes, scales), start=2):
        if mode == "nearest":
            if out_size != in_size:
                out = out.index_select(axis, _nearest_sources(in_size, out_size, scale, input.device))
        elif mode == "nearest-exact":
            out = out.index_select(axis, _nearest_exact_sources(in_size, out_size, scale, input.device))
        else:
            taps = (_cubic_taps if mode == "bicubic" else _linear_taps)(in_size, out_size, scale, bool(align_corners))
            out = _resample_axis(out, axis, taps)
    return out


def _area(input, output_sizes):
    from tinygrad_edu.nn.modules.pooling import adaptive_avg_pool2d
    if input.dim() == 3:
        return adaptive_avg_pool2d(input.unsqueeze(2), (1, output_sizes[0])).squeeze(2)
    if input.dim() == 4:
        return adaptive_avg_pool2d(input, tuple(output_sizes))
    raise NotImplementedError("interpolate(mode='area') supports 3-D and 4-D inputs; use avg_pool on 5-D ones")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``, kept as torch keeps it (with its warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Upsample(Module):
    """Upsample ``(N, C, *spatial)`` inputs to ``size`` or by ``scale_factor``, as ``torch.nn.Upsample``
    (any of ``interpolate``'s modes).

    >>> up = Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(tg.randn(1, 3, 4, 4)).shape
    tinygrad_edu.Size([1, 3, 8, 8])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
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


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for 4-D inputs, as ``torch.nn.UpsamplingNearest2d``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)``, as ``torch.nn.UpsamplingBilinear2d``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
