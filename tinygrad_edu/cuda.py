"""``tinygrad_edu.cuda``: is a GPU usable, how many, and waiting for it (as ``torch.cuda``).

>>> device = "cuda" if tinygrad_edu.cuda.is_available() else "cpu"
"""
from tinygrad_edu.device import Device, cuda_device_count, installed_cupy


def is_available():
    """True when CuPy is installed and sees at least one CUDA GPU."""
    return device_count() > 0


def device_count():
    """The number of CUDA GPUs CuPy sees (0 without CuPy)."""
    cupy = installed_cupy()
    return 0 if cupy is None else cuda_device_count(cupy)


def synchronize(device=None):
    """Wait until every queued GPU kernel has finished (does nothing without a GPU).

    GPU kernels run asynchronously: time a GPU computation with ``synchronize()`` before
    reading the clock, as with ``torch.cuda.synchronize()``.
    """
    if is_available():
        _cuda_device(device).synchronize()


def current_device():
    """The index of the GPU that operations run on (0 without a GPU)."""
    cupy = installed_cupy()
    return cupy.cuda.runtime.getDevice() if cupy is not None and device_count() else 0


def set_device(device):
    """Make ``device`` (an index or ``"cuda:1"``) the GPU that operations run on."""
    target = _cuda_device(device)
    target.xp.cuda.Device(target.index).use()


def manual_seed(seed):
    """Seed the numbers GPU tensors draw; does nothing without a GPU (as in torch).

    Every random number here is drawn from the one default generator, whatever the device
    (see ``tinygrad_edu.random``): with a GPU this seeds it, as ``tinygrad_edu.manual_seed`` does.
    """
    if is_available():
        from tinygrad_edu.random import manual_seed as seed_default_generator
        seed_default_generator(seed)


def manual_seed_all(seed):
    """Seed the numbers every GPU's tensors draw (one generator serves them all): ``manual_seed``."""
    manual_seed(seed)


def empty_cache():
    """Give the GPU memory CuPy keeps for reuse back to the driver (does nothing without a GPU)."""
    if is_available():
        installed_cupy().get_default_memory_pool().free_all_blocks()


class device:
    """Run the code inside on one GPU: ``with tinygrad_edu.cuda.device(1): ...`` (as ``torch.cuda.device``).

    CuPy computes on its current GPU; tensors on ``cuda:1`` are computed on inside this.
    """

    def __init__(self, device):
        self.target = _cuda_device(device)

    def __enter__(self):
        self.context = self.target.selected()
        self.context.__enter__()
        return self

    def __exit__(self, *exc_info):
        self.context.__exit__(*exc_info)


def _cuda_device(device):
    if device is None:
        return Device("cuda", current_device())
    if isinstance(device, int):
        return Device("cuda", device)
    return Device(device)


from tinygrad_edu.legacy_types import CUDA_TYPES  # noqa: E402  (FloatTensor... for CUDA tensors)
globals().update(CUDA_TYPES)
