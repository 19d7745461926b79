"""DataParallel: a wrapper that runs its module, as ``torch.nn.DataParallel`` on one device."""
import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.nn.modules.module import Module


class DataParallel(Module):
    """Wrap ``module`` as ``torch.nn.DataParallel`` does; the wrapped module is ``.module``.

    torch splits each batch across several GPUs; here the whole batch runs on one device.
    Without a GPU this is exactly torch's behaviour (``device_ids`` is empty and ``forward``
    calls the module). With GPUs, ``device_ids`` lists them as in torch and the inputs are
    moved to the first, where the module must live (``model.cuda()``), as torch requires.
    The state_dict's keys start with ``module.``, as torch's do.

    >>> model = nn.DataParallel(nn.Linear(2, 3))
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not tinygrad_edu.cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(tinygrad_edu.cuda.device_count()))
        self.device_ids = [_index(device) for device in device_ids]
        self.output_device = _index(output_device if output_device is not None else self.device_ids[0])
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        device = tinygrad_edu.device("cuda", self.device_ids[0])
        return self.module(*_moved(inputs, device), **_moved(kwargs, device))


def _index(device):
    return device if isinstance(device, int) else tinygrad_edu.device(device).index


def _moved(value, device):
    """``value`` with every tensor in it (in lists, tuples, dicts) moved to ``device``."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(item, device) for item in value)
    if isinstance(value, dict):
        return {key: _moved(item, device) for key, item in value.items()}
    return value
