"""Global switches torch keeps at its top level, kept here with torch's defaults and checks.

Neither changes a result here: every op is deterministic, and float32 matrix products
always run at full float32 precision. Programs that set them run unchanged.

>>> tinygrad_edu.use_deterministic_algorithms(True)
>>> tinygrad_edu.set_float32_matmul_precision("high")
"""
import warnings

_deterministic = {"mode": False, "warn_only": False}
_matmul_precision = "highest"
_MATMUL_PRECISIONS = ("highest", "high", "medium")
_threads = {"count": None}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms: every op here already is one (the setting is kept)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled():
    """What ``use_deterministic_algorithms`` last set (False by default)."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    """The ``warn_only`` that ``use_deterministic_algorithms`` last set (False by default)."""
    return _deterministic["warn_only"]


def set_float32_matmul_precision(precision):
    """Accept torch's 'highest', 'high' or 'medium' (float32 products stay full precision here)."""
    global _matmul_precision
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision = precision


def get_float32_matmul_precision():
    """What ``set_float32_matmul_precision`` last set ('highest' by default)."""
    return _matmul_precision


def set_num_threads(count):
    """The threads NumPy's BLAS may use (torch's intra-op threads), through ``threadpoolctl``."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(count).__name__}")
    if count <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads["count"] = count
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(limits=count)  # stays in force: nothing restores it


def get_num_threads():
    """What ``set_num_threads`` last set, else the BLAS's own thread count."""
    if _threads["count"] is not None:
        return _threads["count"]
    try:
        import threadpoolctl
    except ImportError:
        return 1
    return max((pool["num_threads"] for pool in threadpoolctl.threadpool_info()), default=1)

