"""Optimizers and learning-rate schedulers, as ``torch.optim``: one module per optimizer under torch's
file names (``optimizer``, ``sgd``, ``adam``, ...) and ``lr_scheduler``.

>>> from tinygrad_edu import optim
>>> optimizer = optim.Adam(model.parameters(), lr=1e-3)
>>> scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)
"""
from tinygrad_edu.optim.optimizer import Optimizer
from tinygrad_edu.optim.sgd import SGD
from tinygrad_edu.optim.adam import Adam
from tinygrad_edu.optim.adamw import AdamW
from tinygrad_edu.optim.rmsprop import RMSprop
from tinygrad_edu.optim.adagrad import Adagrad
from tinygrad_edu.optim.adadelta import Adadelta
from tinygrad_edu.optim.adamax import Adamax
from tinygrad_edu.optim.nadam import NAdam
from tinygrad_edu.optim.radam import RAdam
from tinygrad_edu.optim.rprop import Rprop
from tinygrad_edu.optim.asgd import ASGD
from tinygrad_edu.optim.lbfgs import LBFGS
from tinygrad_edu.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "LBFGS", "lr_scheduler"]
