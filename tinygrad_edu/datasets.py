"""``from tinygrad_edu import datasets`` works as ``from torchvision import datasets``.

The code lives in ``tinygrad_edu.nn.datasets``; this module only re-exports it.
"""
from tinygrad_edu.nn.datasets import MNIST, FashionMNIST

__all__ = ["FashionMNIST", "MNIST"]
