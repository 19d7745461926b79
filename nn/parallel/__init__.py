"""``tinygrad_edu.nn.parallel``: torch's multi-GPU wrappers, as single-device stand-ins.

``DataParallel`` runs the wrapped module as torch's does when there is one device or none;
``DistributedDataParallel`` needs process groups, which tinygrad_edu does not have.
"""
from tinygrad_edu.nn.parallel.data_parallel import DataParallel
from tinygrad_edu.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
