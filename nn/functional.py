"""Functional forms of the layers, activations and losses, as ``torch.nn.functional``.

``import tinygrad_edu.nn.functional as F``. The layer-specific functions live next to
the layer that uses them (``nn/conv.py`` holds ``conv2d``); this module gathers them
in one namespace.
"""


def relu(input, inplace=False):
    """max(0, x) elementwise. ``inplace=True`` overwrites ``input``."""
    return input.relu_() if inplace else input.relu()


def sigmoid(input):
    """1 / (1 + exp(-x)) elementwise."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x)."""
    return input.log_softmax(dim, dtype=dtype)


# -- each area adds its imports below this line --
