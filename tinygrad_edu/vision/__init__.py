"""torchvision's layout over tinygrad_edu's image tools: ``import tinygrad_edu.vision as torchvision``
makes ``torchvision.datasets.MNIST``, ``torchvision.transforms.ToTensor`` and
``torchvision.utils.save_image`` work as in a program written for torchvision.

``datasets`` and ``transforms`` are the modules ``tinygrad_edu.datasets`` and
``tinygrad_edu.transforms`` themselves (also importable as ``tinygrad_edu.vision.datasets``
and ``tinygrad_edu.vision.transforms``); ``utils`` holds ``make_grid`` and ``save_image``.

    >>> import tinygrad_edu.vision as torchvision
    >>> from tinygrad_edu.vision import datasets, transforms, utils
    >>> train = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
    >>> utils.save_image(torchvision.utils.make_grid(train.data[:16].unsqueeze(1) / 255), "digits.png")
"""
import sys

from tinygrad_edu import datasets, transforms
from tinygrad_edu.vision import utils

sys.modules[__name__ + ".datasets"] = datasets
sys.modules[__name__ + ".transforms"] = transforms

__all__ = ["datasets", "transforms", "utils"]
