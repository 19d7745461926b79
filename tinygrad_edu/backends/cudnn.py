"""``tinygrad_edu.backends.cudnn``: torch's cuDNN switches, kept but without effect (no cuDNN here).

``benchmark``, ``deterministic`` and ``enabled`` hold what a program sets, with torch's
defaults; convolutions here are deterministic whatever they say.
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    """False: GPU convolutions here run on CuPy, not cuDNN (torch's answer without cuDNN)."""
    return False


def version():
    """None: no cuDNN is loaded (torch's answer without cuDNN)."""
    return None
