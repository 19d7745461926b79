"""DistributedDataParallel: needs process groups (``torch.distributed``), which tinygrad_edu lacks."""
from tinygrad_edu.nn.modules.module import Module


class DistributedDataParallel(Module):
    """Not available: training across processes needs ``torch.distributed``, which tinygrad_edu
    does not have. Train in one process: use the model itself, or ``nn.DataParallel``."""

    def __init__(self, module, *args, **kwargs):
        raise NotImplementedError(
            "DistributedDataParallel is not supported: tinygrad_edu has no process groups "
            "(tinygrad_edu.distributed.is_available() is False). Train in one process: use the model "
            "itself, or nn.DataParallel(model), which runs it on one device")
