"""Image transforms with torchvision's names: ``ToTensor``, ``Normalize``, ``Compose``, ``Lambda``,
and the geometric ones ``Pad``, ``RandomCrop``, ``CenterCrop``, ``RandomHorizontalFlip``, ``Resize``.

The datasets hand a transform the image as a uint8 NumPy array of shape (H, W) or
(H, W, C), which is what ``ToTensor`` expects. The geometric transforms take such an array
(where torchvision takes a PIL image) and give back an array of the same layout, or take a
tensor (..., H, W) and give back a tensor, as torchvision's tensor path does; a tensor's
result records no gradient.

>>> from tinygrad_edu import datasets, transforms
>>> train = datasets.FashionMNIST(train=True, transform=transforms.Compose([
...     transforms.RandomCrop(28, padding=4), transforms.RandomHorizontalFlip(),
...     transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))]))
"""
import enum
import numbers
import warnings
from collections.abc import Sequence

import numpy

from tinygrad_edu.creation import from_numpy, tensor
from tinygrad_edu.random import numpy_generator
from tinygrad_edu.tensor import Tensor


class Compose:
    """Apply several transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        inner = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """A uint8 image (H, W) or (H, W, C) becomes a float32 tensor (C, H, W) scaled to [0, 1]."""

    def __call__(self, image):
        array = numpy.asarray(image)
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3:
            raise ValueError(f"pic should be 2 or 3 dimensional. Got {array.ndim} dimensions.")
        chw = numpy.ascontiguousarray(array.transpose(2, 0, 1))
        if chw.dtype == numpy.uint8:
            return from_numpy(chw.astype(numpy.float32) / 255)
        return from_numpy(chw.astype(numpy.float32, copy=False))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(image - mean) / std per channel, for a float tensor (C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = tuple(mean), tuple(std), inplace

    def __call__(self, image):
        if not isinstance(image, Tensor):
            raise TypeError(f"Input tensor should be a tensor. Got {type(image)}.")
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to {image.dtype}, leading to division by zero.")
        shape = (-1,) + (1,) * (image.ndim - 1)
        mean = tensor(self.mean, dtype=image.dtype).reshape(shape)
        std = tensor(self.std, dtype=image.dtype).reshape(shape)
        return (image - mean) / std

    def __repr__(self):
        return f"Normalize(mean={list(self.mean)}, std={list(self.std)})"


class Lambda:
    """Wrap any function as a transform."""

    def __init__(self, function):
        self.function = function

    def __call__(self, image):
        return self.function(image)

    def __repr__(self):
        return "Lambda()"


# -- geometric transforms --

class InterpolationMode(enum.Enum):
    """How ``Resize`` computes new pixels, as ``torchvision.transforms.InterpolationMode``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_INTERPOLATION_CODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                            4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


class Pad:
    """Pad an image's borders by ``padding``: one int for all four sides, ``(left/right, top/bottom)``
    or ``(left, top, right, bottom)``; ``padding_mode`` is ``"constant"`` (with ``fill``), ``"edge"``,
    ``"reflect"`` (mirror without the edge pixel) or ``"symmetric"`` (mirror with it).

    >>> Pad(2)(numpy.zeros((28, 28), numpy.uint8)).shape
    (32, 32)
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(
                f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, image):
        return pad(image, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """Crop a random ``size`` window (an int for a square, or ``(height, width)``), after padding the
    image by ``padding`` (see ``Pad``) and, with ``pad_if_needed``, up to ``size``. The position is
    drawn from the default generator, which ``tinygrad_edu.manual_seed`` seeds.

    >>> RandomCrop(28, padding=4)(numpy.zeros((28, 28, 3), numpy.uint8)).shape
    (28, 28, 3)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for size."))
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(image, output_size):
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        height, width = _height_width(image)
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(f"Required crop size {(crop_height, crop_width)} is larger than input image size "
                             f"{(height, width)}")
        if (height, width) == (crop_height, crop_width):
            return 0, 0, height, width
        rng = numpy_generator()
        top = int(rng.integers(0, height - crop_height + 1))
        left = int(rng.integers(0, width - crop_width + 1))
        return top, left, crop_height, crop_width

    def __call__(self, image):
        if self.padding is not None:
            image = pad(image, self.padding, self.fill, self.padding_mode)
        height, width = _height_width(image)
        if self.pad_if_needed and width < self.size[1]:
            image = pad(image, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            image = pad(image, [0, self.size[0] - height], self.fill, self.padding_mode)
        return crop(image, *self.get_params(image, self.size))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` window (an int for a square, or ``(height, width)``); an image
    smaller than ``size`` is first padded with zeros.

    >>> CenterCrop(24)(numpy.zeros((28, 28), numpy.uint8)).shape
    (24, 24)
    """

    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, image):
        return center_crop(image, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomHorizontalFlip:
    """Mirror the image left to right with probability ``p`` (drawn from the default generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        if numpy_generator().random() < self.p:
            return hflip(image)
        return image

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class Resize:
    """Resize an image to ``size``: ``(height, width)``, or an int for the shorter side, the longer
    one keeping the aspect ratio (``int(size * long / short)``, at most ``max_size``).

    Bilinear interpolation (the default) with ``antialias=True`` widens its filter when shrinking,
    as torchvision (and PIL) do, so a downscaled image does not alias; NEAREST is also there.

    >>> Resize(14)(numpy.zeros((28, 56), numpy.uint8)).shape
    (14, 28)
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        if isinstance(interpolation, int):
            interpolation = _PIL_INTERPOLATION_CODES[interpolation]
        self.size, self.max_size, self.interpolation, self.antialias = size, max_size, interpolation, antialias

    def __call__(self, image):
        return resize(image, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


# -- the functions behind them (torchvision.transforms.functional's names) --

def pad(image, padding, fill=0, padding_mode="constant"):
    """``image`` with ``padding`` added around it; see ``Pad``."""
    pixels, restore = _image_array(image)
    if isinstance(image, Tensor) and not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    left, right, top, bottom = _parse_padding(padding)
    height, width = pixels.shape[-2:]
    pixels = pixels[..., max(-top, 0):height - max(-bottom, 0), max(-left, 0):width - max(-right, 0)]  # negative: crop
    left, right, top, bottom = (max(side, 0) for side in (left, right, top, bottom))
    if padding_mode != "constant":
        widths = [(0, 0)] * (pixels.ndim - 2) + [(top, bottom), (left, right)]
        return restore(numpy.pad(pixels, widths, mode=padding_mode))
    height, width = pixels.shape[-2:]
    padded = numpy.empty(pixels.shape[:-2] + (height + top + bottom, width + left + right), pixels.dtype)
    padded[...] = numpy.reshape(fill, (-1, 1, 1)) if isinstance(fill, (tuple, list)) else fill
    padded[..., top:top + height, left:left + width] = pixels
    return restore(padded)


def crop(image, top, left, height, width):
    """The ``height`` x ``width`` window of ``image`` whose top-left corner is at ``(top, left)``."""
    pixels, restore = _image_array(image)
    return restore(pixels[..., top:top + height, left:left + width])


def center_crop(image, output_size):
    """The central ``output_size`` window of ``image``, zero-padded first when it is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    crop_height, crop_width = output_size
    height, width = _height_width(image)
    if crop_width > width or crop_height > height:
        extra_width, extra_height = max(crop_width - width, 0), max(crop_height - height, 0)
        image = pad(image, [extra_width // 2, extra_height // 2, (extra_width + 1) // 2, (extra_height + 1) // 2])
        height, width = _height_width(image)
        if (crop_height, crop_width) == (height, width):
            return image
    return crop(image, int(round((height - crop_height) / 2.0)), int(round((width - crop_width) / 2.0)),
                crop_height, crop_width)


def hflip(image):
    """``image`` mirrored left to right."""
    pixels, restore = _image_array(image)
    return restore(pixels[..., ::-1])


def resize(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """``image`` resized to ``size``; see ``Resize``."""
    if isinstance(size, (list, tuple)) and max_size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                         "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    if interpolation not in (InterpolationMode.BILINEAR, InterpolationMode.NEAREST):
        raise NotImplementedError(f"Resize supports InterpolationMode.BILINEAR and NEAREST, not {interpolation}; "
                                  "use one of those two")
    height, width = _height_width(image)
    output_size = _resized_output_size((height, width), [size] if isinstance(size, int) else list(size), max_size)
    if [height, width] == output_size:
        return image
    is_tensor = isinstance(image, Tensor)
    if not is_tensor and antialias is False:
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
    pixels, restore = _image_array(image)
    if interpolation == InterpolationMode.NEAREST:
        rows = _nearest_sources(height, output_size[0], half_pixel=not is_tensor)
        columns = _nearest_sources(width, output_size[1], half_pixel=not is_tensor)
        return restore(pixels[..., rows[:, None], columns])
    smooth = antialias or not is_tensor
    row_weights = _bilinear_weights(height, output_size[0], smooth)
    column_weights = _bilinear_weights(width, output_size[1], smooth)
    resized = row_weights @ pixels.astype(numpy.float64) @ column_weights.T
    if pixels.dtype.kind in "iub":
        resized = numpy.round(resized)     # the weights are convex: no clipping needed
    return restore(resized.astype(pixels.dtype))


def _bilinear_weights(in_size, out_size, antialias):
    """The (out_size, in_size) matrix of bilinear interpolation along one axis, pixel centres at +0.5:
    a triangle filter, widened by the shrinking factor when ``antialias`` (PIL's and torch's filter)."""
    scale = in_size / out_size
    support = max(scale, 1.0) if antialias else 1.0
    centres = (numpy.arange(out_size) + 0.5) * scale
    sources = numpy.arange(in_size) + 0.5
    weights = numpy.maximum(0.0, 1.0 - numpy.abs(sources[None, :] - centres[:, None]) / support)
    return weights / weights.sum(axis=1, keepdims=True)


def _nearest_sources(in_size, out_size, half_pixel):
    """The source pixel of each output pixel: PIL's rule (from pixel centres) for arrays, torch's
    ``mode='nearest'`` (from pixel corners) for tensors."""
    offset = 0.5 if half_pixel else 0.0
    return numpy.minimum(numpy.floor((numpy.arange(out_size) + offset) * (in_size / out_size)).astype(numpy.int64),
                         in_size - 1)


def _resized_output_size(image_size, size, max_size):
    height, width = image_size
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
    return [new_height, new_width]


def _setup_size(size, error_message):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_message)
    return size


def _parse_padding(padding):
    """``(left, right, top, bottom)`` from torchvision's 1-, 2- or 4-number padding."""
    if isinstance(padding, numbers.Number):
        padding = [padding]
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[0]), int(padding[1]), int(padding[1])
    return int(padding[0]), int(padding[2]), int(padding[1]), int(padding[3])


def _height_width(image):
    shape = tuple(image.shape) if isinstance(image, Tensor) else numpy.shape(image)
    if len(shape) < 2:
        raise TypeError("Tensor is not a torch image." if isinstance(image, Tensor) else
                        f"img should be a NumPy image array (H, W) or (H, W, C) or a Tensor. Got shape {shape}")
    return shape[-2:] if isinstance(image, Tensor) else shape[:2]


def _image_array(image):
    """The pixels as a NumPy array (..., H, W), and the function that turns such an array back into
    the kind of image given: a NumPy array (H, W) or (H, W, C), or a tensor on its device."""
    if isinstance(image, Tensor):
        if image.ndim < 2:
            raise TypeError("Tensor is not a torch image.")
        device = image.device
        return image.detach().cpu().numpy(), lambda pixels: from_numpy(numpy.ascontiguousarray(pixels)).to(device)
    array = numpy.asarray(image)
    if array.ndim == 2:
        return array, numpy.ascontiguousarray
    if array.ndim == 3:
        return array.transpose(2, 0, 1), lambda pixels: numpy.ascontiguousarray(pixels.transpose(1, 2, 0))
    raise TypeError(f"img should be a NumPy image array (H, W) or (H, W, C) or a Tensor. Got {type(image)} "
                    f"of shape {array.shape}")
