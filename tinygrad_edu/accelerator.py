"""``tinygrad_edu.accelerator``: the device-neutral questions of ``torch.accelerator``.

The one accelerator here is CUDA (through CuPy). Without CuPy or a GPU, every answer is
what torch gives on a machine without one: ``is_available()`` is False,
``current_accelerator()`` is None, and asking for a device index raises RuntimeError.

>>> device = (tinygrad_edu.accelerator.current_accelerator()
...           if tinygrad_edu.accelerator.is_available() else tinygrad_edu.device("cpu"))
"""
import warnings

from tinygrad_edu import cuda
from tinygrad_edu.device import Device

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available():
    """True when a CUDA GPU is usable (CuPy installed and seeing a GPU)."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device(type='cuda', index=0)`` when CuPy is installed and sees a GPU, else None.

    ``check_available`` is accepted as in torch: the answer is None whenever no GPU is usable.
    """
    return Device("cuda") if cuda.is_available() else None


def device_count():
    """The number of CUDA GPUs (0 without CuPy or a GPU)."""
    return cuda.device_count()


def current_device_index():
    """The index of the GPU that operations run on."""
    _check_available()
    return cuda.current_device()


def set_device_index(device):
    """Make ``device`` (an index, ``"cuda:1"`` or a device) the GPU that operations run on."""
    _check_available()
    cuda.set_device(device)


def synchronize(device=None):
    """Wait until every kernel queued on ``device`` (default: the current GPU) has finished."""
    _check_available()
    cuda.synchronize(device)


def current_device_idx():
    """Deprecated name of ``current_device_index``."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device):
    """Deprecated name of ``set_device_index``."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def _check_available():
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
