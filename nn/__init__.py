"""Neural-network building blocks that mirror ``torch.nn``.

Imported as ``tinygrad_edu.nn``: ``from tinygrad_edu import nn`` works as ``from torch import nn``.
"""
from tinygrad_edu.nn import functional, init
# -- modules (each area adds its imports below this line) --
