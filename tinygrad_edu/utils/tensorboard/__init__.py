"""``tinygrad_edu.utils.tensorboard``: log scalars and histograms for TensorBoard, as ``torch.utils.tensorboard``.

Needs the ``tensorboard`` package (``pip install tensorboard``, or the ``tensorboard``
extra: ``pip install "tinygrad-edu[tensorboard]"``); importing this without it raises
ImportError, as torch's does.

>>> from tinygrad_edu.utils.tensorboard import SummaryWriter
>>> with SummaryWriter("runs/exp1") as writer:
...     writer.add_scalar("loss/train", 0.25, global_step=1)
"""
try:
    import tensorboard
except ImportError:
    tensorboard = None

if tensorboard is None or tuple(int(part) for part in tensorboard.__version__.split(".")[:2]) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above: "
                      'pip install tensorboard (or pip install "tinygrad-edu[tensorboard]")')
del tensorboard

from tinygrad_edu.utils.tensorboard.writer import FileWriter, SummaryWriter  # noqa: E402

__all__ = ["FileWriter", "SummaryWriter"]
