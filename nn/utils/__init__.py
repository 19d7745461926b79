"""Gradient and parameter utilities, as ``torch.nn.utils``.

>>> loss.backward()
>>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
>>> optimizer.step()

The norms and rescaling work on the arrays behind the gradients, in place, outside
the autograd graph (as PyTorch runs them under ``no_grad``).
"""
import math
import types
import warnings

import numpy

import tinygrad_edu
from tinygrad_edu import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _gradients(parameters):
    return [param.grad for param in _as_list(parameters) if param.grad is not None]


def _vector_norm(array, norm_type, xp):
    """The p-norm of all elements: max |x| for inf, min |x| for -inf, the count of non-zeros for 0."""
    return xp.linalg.norm(array.ravel(), norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors``: their norm as if concatenated into one vector.

    >>> get_total_norm([tensor([3.0]), tensor([4.0])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return tinygrad_edu.tensor(0.0)
    device = tensors[0].device
    xp = device.xp
    norms = [_vector_norm(tensor._data, norm_type, xp) for tensor in tensors]
    total_norm = _vector_norm(xp.stack(norms), norm_type, xp)
    if error_if_nonfinite and not math.isfinite(float(total_norm)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return Tensor._wrap(xp.asarray(total_norm), device)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _gradients(parameters)
    if len(grads) == 0:
        return
    xp = total_norm.device.xp
    clip_coef = xp.minimum(float(max_norm) / (total_norm._data + 1e-6), 1.0)
    with numpy.errstate(invalid="ignore"):  # a non-finite norm scales to NaN silently, as in torch
        for grad in grads:
            grad._data *= clip_coef
            grad._version_counter[0] += 1


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
    for grad in _gradients(parameters):
        grad.device.xp.clip(grad._data, -clip_value, clip_value, out=grad._data)
        grad._version_counter[0] += 1


def _check_same_device(param, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable).

    >>> parameters_to_vector(model.parameters()).shape
    torch.Size([n_parameters])
    """
    device = None
    pieces = []
    for param in parameters:
        device = _check_same_device(param, device)
        pieces.append(param.reshape(-1))
    return tinygrad_edu.cat(pieces)


def vector_to_parameters(vec, parameters):
    """Make each parameter's ``.data`` the matching slice of ``vec`` (the inverse of
    :func:`parameters_to_vector`); the parameters then share ``vec``'s memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tinygrad_edu.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_same_device(param, device)
        count = param.numel()
        param.data = vec[pointer:pointer + count].view(param.shape).data
        pointer += count


from tinygrad_edu.nn.utils import rnn  # noqa: E402  (torch.nn.utils.rnn)
