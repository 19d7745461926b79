"""Functional forms of the layers, activations and losses, as ``torch.nn.functional``.

``import tinygrad_edu.nn.functional as F``. The layer-specific functions live next to
the layer that uses them (``nn/modules/conv.py`` holds ``conv2d``); this module gathers them
in one namespace.
"""
from tinygrad_edu.nn.modules.activation import (relu, sigmoid, tanh, softmax, log_softmax, binary_step, leaky_relu,
                                                elu, gelu, silu, mish, softplus, logsigmoid, hardtanh, relu6,
                                                threshold)
from tinygrad_edu.nn.modules.conv import conv1d, conv2d, conv_transpose2d, unfold, fold
from tinygrad_edu.nn.modules.pooling import (max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool2d,
                                             adaptive_max_pool2d)
from tinygrad_edu.nn.modules.batchnorm import batch_norm
from tinygrad_edu.nn.modules.normalization import layer_norm, group_norm
from tinygrad_edu.nn.modules.upsampling import interpolate, upsample, upsample_nearest, upsample_bilinear
from tinygrad_edu.nn.modules.instancenorm import instance_norm
from tinygrad_edu.nn.modules.pixelshuffle import pixel_shuffle, pixel_unshuffle
from tinygrad_edu.nn.modules.padding import pad
from tinygrad_edu.nn.modules.linear import linear, bilinear
from tinygrad_edu.nn.modules.dropout import dropout, dropout2d
from tinygrad_edu.nn.modules.sparse import embedding, one_hot
from tinygrad_edu.nn.modules.loss import (mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
                                          binary_cross_entropy_with_logits, cross_entropy, nll_loss, kl_div,
                                          cosine_embedding_loss, margin_ranking_loss)
from tinygrad_edu.nn.attention import scaled_dot_product_attention
