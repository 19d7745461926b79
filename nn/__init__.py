"""Neural-network building blocks that mirror ``torch.nn``.

Imported as ``tinygrad_edu.nn``: ``from tinygrad_edu import nn`` works as ``from torch import nn``.
"""
from tinygrad_edu.nn import functional, init
# -- modules (each area adds its imports below this line) --
from tinygrad_edu.nn import utils
from tinygrad_edu.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from tinygrad_edu.nn.pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d,
                                     AdaptiveMaxPool2d)
from tinygrad_edu.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm
from tinygrad_edu.nn.upsampling import Upsample
from tinygrad_edu.nn.linear import Identity, Linear, Bilinear
from tinygrad_edu.nn.flatten import Flatten, Unflatten
from tinygrad_edu.nn.activation import (ReLU, LeakyReLU, ELU, GELU, SiLU, Mish, Sigmoid, Tanh, LogSigmoid, Softmax,
                                        LogSoftmax, Softplus, Hardtanh, ReLU6, Threshold, BinaryStep)
from tinygrad_edu.nn.dropout import Dropout, Dropout2d
from tinygrad_edu.nn.sparse import Embedding
from tinygrad_edu.nn.loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
                                  CrossEntropyLoss, NLLLoss, KLDivLoss, CosineEmbeddingLoss, MarginRankingLoss)
from tinygrad_edu.nn.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from tinygrad_edu.nn.activation_attention import MultiheadAttention
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
