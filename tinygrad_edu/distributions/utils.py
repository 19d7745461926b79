"""Helpers shared by the distributions, as ``torch.distributions.utils``."""
from functools import update_wrapper
from numbers import Number

import numpy

import tinygrad_edu
from tinygrad_edu import Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property"]

euler_constant = 0.57721566490153286060  # Euler–Mascheroni constant


def broadcast_all(*values):
    """Tensors (numbers become tensors of the first tensor's dtype and device, or of the default
    dtype) broadcast to one shape.

    >>> loc, scale = broadcast_all(tinygrad_edu.zeros(3), 1.0)
    """
    if not all(isinstance(value, (Tensor, Number)) for value in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    reference = next((value for value in values if isinstance(value, Tensor)), None)
    options = ({"dtype": reference.dtype, "device": reference.device} if reference is not None
               else {"dtype": tinygrad_edu.get_default_dtype()})
    tensors = [value if isinstance(value, Tensor) else tinygrad_edu.tensor(value, **options) for value in values]
    return tinygrad_edu.broadcast_tensors(*tensors)


def finfo(tensor):
    """The floating-point limits of ``tensor``'s dtype (``eps``, ``min``, ``max``...)."""
    return numpy.finfo(tensor.dtype.numpy)


def _sum_rightmost(value, dim):
    """``value`` summed over its ``dim`` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: the sigmoid for a binary event, else the softmax over the last dim."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs):
    """``probs`` kept within [eps, 1 - eps] of its dtype, so that their logs stay finite."""
    eps = float(finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log(p) − log(1 − p) for a binary event, else log(p)."""
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


def softplus(x):
    """log(1 + exp(x)), and x itself above 20 where that is exact (nn.functional.softplus's formula;
    the distributions stay below nn)."""
    return x.where(x > 20, x.clamp(max=20).exp().log1p())


def binary_cross_entropy_with_logits(logits, target):
    """Elementwise −[target·log σ(logits) + (1 − target)·log(1 − σ(logits))], stable for any logit."""
    return (1 - target) * logits + softplus(-logits)


class lazy_property:
    """A property computed on first access (with gradients enabled) and then stored on the instance:
    a distribution built from ``probs`` computes its ``logits`` only when asked."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with tinygrad_edu.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
