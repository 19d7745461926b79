"""Gradient clipping, as ``torch.nn.utils.clip_grad``.

>>> loss.backward()
>>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
>>> optimizer.step()

The norms and rescaling are tensor operations under ``no_grad``, in place on the
gradients, outside the autograd graph (as PyTorch runs them).
"""
import math
import types
import warnings


import tinygrad_edu
from tinygrad_edu import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _gradients(parameters):
    return [param.grad for param in _as_list(parameters) if param.grad is not None]


def _vector_norm(tensor, norm_type):
    """The p-norm of all elements: max |x| for inf, min |x| for -inf, the count of non-zeros for 0."""
    if norm_type == math.inf:
        return tensor.abs().max()
    if norm_type == -math.inf:
        return tensor.abs().min()
    if norm_type == 0:
        return (tensor != 0).sum().to(tensor.dtype)
    if norm_type == 2:
        return (tensor * tensor).sum().sqrt()
    return tensor.abs().pow(norm_type).sum().pow(1 / norm_type)


@tinygrad_edu.no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors``: their norm as if concatenated into one vector.

    >>> get_total_norm([tensor([3.0]), tensor([4.0])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return tinygrad_edu.tensor(0.0)
    norms = [_vector_norm(tensor, norm_type) for tensor in tensors]
    total_norm = _vector_norm(tinygrad_edu.stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total_norm.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return total_norm


@tinygrad_edu.no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _gradients(parameters)
    if len(grads) == 0:
        return
    clip_coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)  # NaN for a non-finite norm, as in torch
    for grad in grads:
        grad.mul_(clip_coef.to(grad.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` in place so that their total ``norm_type``-norm is
    at most ``max_norm``; returns the total norm before clipping, as a tensor.

    >>> total_norm = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total_norm = get_total_norm(_gradients(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("`tinygrad_edu.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`tinygrad_edu.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` into ``[-clip_value, clip_value]``, in place.

    >>> clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    with tinygrad_edu.no_grad():
        for grad in _gradients(parameters):
            grad.clamp_(-clip_value, clip_value)
