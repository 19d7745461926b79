"""``tinygrad_edu.distributed``: no process groups here, as torch built without distributed support.

``is_available()`` is False and ``is_initialized()`` False, so the usual guard
``if dist.is_available() and dist.is_initialized(): ...`` skips the distributed code.
``init_process_group`` and every other ``torch.distributed`` name raise NotImplementedError
naming the alternative: one process, or several through ``tinygrad_edu.multiprocessing``.
"""
_ALTERNATIVE = ("tinygrad_edu has no process groups (tinygrad_edu.distributed.is_available() is False): train in "
                "one process, or run independent workers with tinygrad_edu.multiprocessing (Queue, "
                "share_memory() for Hogwild-style shared weights)")
_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def is_available():
    """False: tinygrad_edu is built without distributed support."""
    return False


def is_initialized():
    """False: no process group is ever initialised here."""
    return False


def init_process_group(*args, **kwargs):
    """Not supported: raises NotImplementedError naming the alternative."""
    raise NotImplementedError(f"init_process_group is not supported: {_ALTERNATIVE}")


def get_rank(group=None):
    """Raises ValueError, as torch does before ``init_process_group`` (which is not supported here)."""
    raise ValueError(_NOT_INITIALIZED)


def get_world_size(group=None):
    """Raises ValueError, as torch does before ``init_process_group`` (which is not supported here)."""
    raise ValueError(_NOT_INITIALIZED)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise NotImplementedError(f"tinygrad_edu.distributed.{name} is not supported: {_ALTERNATIVE}")
