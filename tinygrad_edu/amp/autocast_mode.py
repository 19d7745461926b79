"""``autocast``, as ``torch.amp.autocast_mode``: here every op keeps its inputs' dtype."""
import functools
import warnings

from tinygrad_edu import cuda

_told = set()


def is_autocast_available(device_type):
    return device_type in ("cpu", "cuda")


class autocast:  # noqa: N801  (torch's name)
    """A context manager (and decorator) that torch uses to run ops in float16 or bfloat16.

    Without a GPU, ``device_type="cuda"`` disables itself with torch's warning. Otherwise ops still run
    in their inputs' dtype (there are no half-precision kernels here), which a one-time warning says.

    >>> with autocast(device_type="cpu"):
    ...     loss = loss_fn(model(x), y)
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device_type, self.fast_dtype, self._enabled = device_type, dtype, enabled
        if enabled and device_type == "cuda" and not cuda.is_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            self._enabled = False
        elif enabled and device_type not in _told:
            _told.add(device_type)
            warnings.warn(f"autocast on '{device_type}': tinygrad_edu has no lower-precision kernels, so ops "
                          "run in their inputs' dtype", stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run_under_autocast(*args, **kwargs):
            with self:
                return function(*args, **kwargs)
        return run_under_autocast
