"""``tinygrad_edu.backends.cuda``: torch's CUDA matmul switches, kept but without effect here.

GPU matrix products run in CuPy at the tensors' own precision (no TF32): the flags hold
what a program sets, with torch's defaults.

>>> tinygrad_edu.backends.cuda.matmul.allow_tf32 = True      # accepted, changes nothing
"""
import types

from tinygrad_edu.device import installed_cupy

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """True when CUDA tensors are possible at all here: CuPy is installed (a GPU may still be missing)."""
    return installed_cupy() is not None
