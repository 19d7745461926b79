"""Mixed precision, as ``torch.amp``: ``autocast`` and ``GradScaler``.

There are no lower-precision kernels to switch to here, so ``autocast`` leaves every op in its own
dtype (saying so once); ``GradScaler`` scales and unscales as torch's does, and on ``"cuda"`` without
a GPU turns itself off with torch's warning, so a mixed-precision training loop runs unchanged.
"""
from tinygrad_edu.amp.autocast_mode import autocast, is_autocast_available
from tinygrad_edu.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
