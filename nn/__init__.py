"""Neural-network building blocks that mirror ``torch.nn``.

Imported as ``tinygrad_edu.nn``: ``from tinygrad_edu import nn`` works as ``from torch import nn``.
The layers live in ``tinygrad_edu.nn.modules.<file>`` as torch's do; ``functional``, ``init``,
``parameter`` and ``utils`` are torch's modules of the same names.
"""
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.modules import *  # noqa: F403  (every layer, as torch.nn has them)
from tinygrad_edu.nn import functional, init, modules, utils
from tinygrad_edu.nn import parallel
from tinygrad_edu.nn.parallel import DataParallel
