"""Dropout: during training, zero random elements (or whole channels) and rescale the rest.

Each element is kept with probability 1 - p and then multiplied by 1 / (1 - p), so
the expected value of every output equals its input; in eval mode (``model.eval()``)
the layers return their input unchanged. Masks come from the seeded default
generator, so ``tinygrad_edu.manual_seed`` makes them reproducible.
"""
import warnings

import tinygrad_edu
from tinygrad_edu.nn.modules.module import Module


def _check_probability(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, mask_shape, p, inplace):
    """input * (keep / (1 - p)) with keep ~ Bernoulli(1 - p) of ``mask_shape`` (broadcast over input)."""
    if p == 1.0:
        scaled_mask = tinygrad_edu.zeros(*mask_shape, dtype=input.dtype, device=input.device)
    else:
        keep = tinygrad_edu.rand(*mask_shape, dtype=input.dtype, device=input.device) < 1 - p
        scaled_mask = keep.to(input.dtype) * (1 / (1 - p))
    return input.mul_(scaled_mask) if inplace else input * scaled_mask


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p); identity
    when ``training`` is False.

    >>> _ = tinygrad_edu.manual_seed(0)
    >>> F.dropout(tinygrad_edu.ones(6), p=0.5)
    tensor([0., 2., 2., 2., 0., 0.])
    """
    _check_probability(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, input.shape, p, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, H, W), each (n, c) feature map kept or dropped as one.

    A 3-D input is read as (N, C, L), as torch currently does (with a warning).
    """
    _check_probability(p)
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    channel_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)   # (N, C, 1, 1)
    return _apply_mask(input, channel_shape, p, inplace)


class Dropout(Module):
    """During training, zeroes each element with probability ``p`` and scales the rest by 1/(1-p).

    >>> layer = nn.Dropout(p=0.5)
    >>> layer
    Dropout(p=0.5, inplace=False)
    >>> layer.eval()(x) is x      # no dropout in eval mode
    True
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_probability(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """During training, zeroes whole channels of an (N, C, H, W) input with probability ``p``.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single
    pixels barely regularises a convolutional layer; dropping a whole map does.

    >>> nn.Dropout2d(p=0.2)(tinygrad_edu.randn(20, 16, 32, 32)).shape
    tinygrad_edu.Size([20, 16, 32, 32])
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)
