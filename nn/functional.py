"""Functional forms of the layers, activations and losses, as ``torch.nn.functional``.

``import tinygrad_edu.nn.functional as F``. Each function lives next to the layer
that uses it; this module gathers them in one namespace.
"""
from tinygrad_edu.ops_activation import relu, sigmoid, tanh, softmax, log_softmax
# -- each area adds its imports below this line --
