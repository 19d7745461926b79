"""Image utilities, as ``torchvision.utils``: ``make_grid`` tiles a batch of images into one, and
``save_image`` writes one as a PNG file (with the standard library's zlib; no Pillow needed).

    >>> from tinygrad_edu.vision.utils import make_grid, save_image
    >>> images = tinygrad_edu.rand(16, 1, 28, 28)
    >>> make_grid(images, nrow=4).shape              # 3 channels, padding 2 around each image
    tinygrad_edu.Size([3, 122, 122])
    >>> save_image(images, "samples.png", nrow=4)
"""
import math
import os

import numpy

from tinygrad_edu.creation import from_numpy
from tinygrad_edu.png import encode_png
from tinygrad_edu.tensor import Tensor



def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch of images (B, C, H, W), or a list of (C, H, W) images, into one image
    (C, rows * (H + padding) + padding, nrow * (W + padding) + padding), ``nrow`` images a row.

    One-channel images become three-channel (grey) ones. With ``normalize``, values are clamped
    to ``value_range`` (default: the images' min and max) and shifted and scaled to [0, 1], per
    image when ``scale_each``. The gaps are filled with ``pad_value``. A batch of one image
    comes back as that image, unpadded.

    >>> make_grid(tinygrad_edu.rand(10, 3, 8, 8), nrow=5, padding=1).shape
    tinygrad_edu.Size([3, 19, 46])
    """
    images, device = _as_batch(tensor)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        images = images.copy()
        for part in (images if scale_each is True else [images]):
            _normalize_in_place(part, value_range)
    if images.shape[0] == 1:
        return from_numpy(images[0]).to(device)
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = int(math.ceil(float(count) / columns))
    cell_height, cell_width = height + padding, width + padding
    grid = numpy.full((channels, cell_height * rows + padding, cell_width * columns + padding), pad_value,
                      images.dtype)
    for index, image in enumerate(images):
        top = (index // columns) * cell_height + padding
        left = (index % columns) * cell_width + padding
        grid[:, top:top + height, left:left + width] = image
    return from_numpy(grid).to(device)


def save_image(tensor, fp, format=None, **kwargs):
    """Write an image (C, H, W) with values in [0, 1], or a batch of them tiled by ``make_grid``
    (``kwargs`` are its arguments), to ``fp`` (a path or a binary file) as an 8-bit PNG.

    Pixels are ``clamp(value * 255 + 0.5, 0, 255)`` truncated to uint8, as in torchvision. Other
    formats than PNG are written through Pillow when it is installed.

    >>> save_image(tinygrad_edu.rand(3, 32, 32), "noise.png")
    """
    grid = make_grid(tensor, **kwargs).detach().cpu().numpy()
    pixels = numpy.clip(grid * 255 + 0.5, 0, 255).astype(numpy.uint8).transpose(1, 2, 0)
    if _format_of(fp, format) != "PNG":
        _save_with_pillow(pixels, fp, format)
        return
    data = encode_png(pixels)
    if hasattr(fp, "write"):
        fp.write(data)
    else:
        with open(fp, "wb") as file:
            file.write(data)


def _as_batch(tensor):
    """The images as a NumPy array (B, C, H, W), one channel made three, and their device."""
    if isinstance(tensor, list):
        for item in tensor:
            if not isinstance(item, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(item)}")
        images = numpy.stack([item.detach().cpu().numpy() for item in tensor])
        device = tensor[0].device
    elif isinstance(tensor, Tensor):
        images, device = tensor.detach().cpu().numpy(), tensor.device
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[None]
    if images.ndim == 4 and images.shape[1] == 1:
        images = numpy.concatenate([images] * 3, axis=1)
    return images, device


def _normalize_in_place(images, value_range):
    low, high = value_range if value_range is not None else (float(images.min()), float(images.max()))
    numpy.clip(images, low, high, out=images)
    images -= images.dtype.type(low)
    images /= images.dtype.type(max(high - low, 1e-5))


def _format_of(fp, format):
    if format is not None:
        return format.upper()
    name = os.fspath(fp) if isinstance(fp, (str, os.PathLike)) else getattr(fp, "name", "")
    extension = os.path.splitext(str(name))[1].lower()
    if not extension:
        raise ValueError("unknown file extension: give format='PNG' to save_image when fp has no name")
    return {".png": "PNG"}.get(extension, extension[1:].upper())


def _save_with_pillow(pixels, fp, format):
    try:
        from PIL import Image
    except ImportError:
        raise NotImplementedError("save_image writes PNG files itself; for other formats install Pillow "
                                  "(pip install pillow), or save as .png") from None
    Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(fp, format=format)
