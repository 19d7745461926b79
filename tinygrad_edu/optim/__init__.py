"""``tinygrad_edu.optim``: the optimizers and learning-rate schedulers, as ``torch.optim``.

The code lives in the ``nn`` package (``nn/optim.py``, ``nn/lr_scheduler.py``); this
module gives it PyTorch's import path:

>>> from tinygrad_edu import optim
>>> optimizer = optim.Adam(model.parameters(), lr=1e-3)
>>> scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)
"""
from tinygrad_edu.nn.optim import (
    SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RMSprop,
)
from tinygrad_edu.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "lr_scheduler"]
