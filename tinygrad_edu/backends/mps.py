"""``tinygrad_edu.backends.mps``: Apple's Metal backend, which tinygrad_edu does not have."""


def is_available():
    """False: there is no Metal (MPS) device here; use ``"cpu"`` or ``"cuda"``."""
    return False


def is_built():
    """False: tinygrad_edu is not built with Metal (MPS) support."""
    return False
