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
from tinygrad_edu.nn.conv import conv1d, conv2d, conv_transpose2d, unfold, fold
from tinygrad_edu.nn.pooling import (max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool2d,
                                     adaptive_max_pool2d)
from tinygrad_edu.nn.normalization import batch_norm, layer_norm, group_norm
from tinygrad_edu.nn.upsampling import interpolate
from tinygrad_edu.nn.linear import linear, bilinear
from tinygrad_edu.nn.activation import (binary_step, leaky_relu, elu, gelu, silu, mish, softplus, logsigmoid,
                                        hardtanh, relu6, threshold)
from tinygrad_edu.nn.dropout import dropout, dropout2d
from tinygrad_edu.nn.sparse import embedding, one_hot
from tinygrad_edu.nn.loss import (mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
                                  binary_cross_entropy_with_logits, cross_entropy, nll_loss, kl_div,
                                  cosine_embedding_loss, margin_ranking_loss)
from tinygrad_edu.nn.attention import scaled_dot_product_attention
