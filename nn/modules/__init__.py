"""The layers, as ``torch.nn.modules``: one file per family under torch's file names
(``linear``, ``conv``, ``activation``, ``rnn``, ...), each holding its modules and their functional forms."""
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.modules.container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from tinygrad_edu.nn.modules.linear import Identity, Linear, Bilinear
from tinygrad_edu.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from tinygrad_edu.nn.modules.pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d,
                                             AdaptiveMaxPool2d)
from tinygrad_edu.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from tinygrad_edu.nn.modules.normalization import LayerNorm, GroupNorm
from tinygrad_edu.nn.modules.upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d
from tinygrad_edu.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tinygrad_edu.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
from tinygrad_edu.nn.modules.padding import (ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad1d, ZeroPad2d,
                                             ZeroPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                                             ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, CircularPad1d,
                                             CircularPad2d, CircularPad3d)
from tinygrad_edu.nn.modules.flatten import Flatten, Unflatten
from tinygrad_edu.nn.modules.activation import (ReLU, LeakyReLU, ELU, GELU, SiLU, Mish, Sigmoid, Tanh, LogSigmoid,
                                                Softmax, LogSoftmax, Softplus, Hardtanh, ReLU6, Threshold, BinaryStep,
                                                MultiheadAttention)
from tinygrad_edu.nn.modules.dropout import Dropout, Dropout2d
from tinygrad_edu.nn.modules.sparse import Embedding
from tinygrad_edu.nn.modules.loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
                                          CrossEntropyLoss, NLLLoss, KLDivLoss, CosineEmbeddingLoss,
                                          MarginRankingLoss)
from tinygrad_edu.nn.modules.transformer import (Transformer, TransformerEncoder, TransformerDecoder,
                                                 TransformerEncoderLayer, TransformerDecoderLayer)
from tinygrad_edu.nn.modules.rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell

__all__ = [name for name in dir() if name[0].isupper()]
