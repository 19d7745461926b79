"""Image transforms with torchvision's names: ``ToTensor``, ``Normalize``, ``Compose``, ``Lambda``.

The datasets hand a transform the image as a uint8 NumPy array of shape (H, W) or
(H, W, C), which is what ``ToTensor`` expects.

>>> from tinygrad_edu import datasets, transforms
>>> train = datasets.FashionMNIST(train=True, transform=transforms.Compose([
...     transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))]))
"""
import numpy

from tinygrad_edu.creation import from_numpy, tensor
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
