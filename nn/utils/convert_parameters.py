"""Parameters as one vector and back, as ``torch.nn.utils.convert_parameters``."""
import tinygrad_edu
from tinygrad_edu import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


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
