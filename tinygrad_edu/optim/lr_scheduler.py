"""``tinygrad_edu.optim.lr_scheduler``, as ``torch.optim.lr_scheduler``; the code is in ``nn/lr_scheduler.py``."""
from tinygrad_edu.nn.lr_scheduler import (  # noqa: F401
    EPOCH_DEPRECATION_WARNING, ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
    ExponentialLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR, MultiStepLR, OneCycleLR, PolynomialLR,
    ReduceLROnPlateau, SequentialLR, StepLR, __all__,
)
