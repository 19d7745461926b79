"""``tinygrad_edu.cuda``: is a GPU usable, how many, and waiting for it (as ``torch.cuda``)."""
from tinygrad_edu import device as _device


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def is_available():
    """True when CuPy is installed and sees at least one CUDA GPU."""
    return device_count() > 0


def device_count():
    """The number of CUDA GPUs CuPy sees (0 without CuPy)."""
    cupy = _cupy()
    return 0 if cupy is None else _device._cuda_device_count(cupy)


def synchronize(device=None):
    """Wait until every queued GPU kernel has finished (does nothing without a GPU)."""
    cupy = _cupy()
    if cupy is not None and device_count():
        cupy.cuda.runtime.deviceSynchronize()


def current_device():
    cupy = _cupy()
    return cupy.cuda.runtime.getDevice() if cupy is not None and device_count() else 0
