"""``tinygrad_edu.backends``: the switches of ``torch.backends`` that programs set, as stand-ins.

There is no cuDNN or Metal backend here (GPU kernels are CuPy's): ``cudnn`` and ``mps``
answer what torch answers on a machine without them; their flags, and ``cuda.matmul``'s,
are kept but change nothing.

>>> tinygrad_edu.backends.cudnn.benchmark = True     # accepted; nothing to tune
>>> tinygrad_edu.backends.mps.is_available()
False
"""
from tinygrad_edu.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
