"""The legacy tensor types of torch < 0.4: ``FloatTensor``, ``LongTensor``... (and ``cuda.FloatTensor``).

Old programs and tutorials still build tensors with them and test for them:

>>> x = tinygrad_edu.FloatTensor(2, 3)          # uninitialised 2x3 float32, as torch.empty(2, 3)
>>> y = tinygrad_edu.LongTensor([1, 2])         # from data, as torch.tensor([1, 2])
>>> isinstance(x, tinygrad_edu.FloatTensor), isinstance(y, tinygrad_edu.FloatTensor)
(True, False)
>>> x.type(tinygrad_edu.DoubleTensor).dtype
tinygrad_edu.float64

Each is a class that is never instantiated: calling it makes a ``Tensor`` of its dtype,
and ``isinstance`` asks whether a tensor has that dtype and device type.
"""
from tinygrad_edu import dtypes
from tinygrad_edu.device import Device
from tinygrad_edu.tensor import Tensor, legacy_new


class TensorType(type):
    """The metaclass of the legacy types: what calling one and ``isinstance`` mean."""

    def __instancecheck__(cls, instance):
        return (isinstance(instance, Tensor) and instance.dtype is cls.dtype
                and instance.device.type == cls.device_type)

    def __call__(cls, *args, device=None):
        """``FloatTensor(2, 3)``: uninitialised sizes; ``FloatTensor([1, 2])``: a copy of data."""
        return legacy_new(args, cls.dtype, Device(cls.device_type if device is None else device))

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make_types(module, device_type):
    """One legacy type per dtype, named ``FloatTensor``... and living in ``module``."""
    return {dtype.tensor_type_name: TensorType(dtype.tensor_type_name, (), {
        "dtype": dtype, "device_type": device_type, "is_cuda": device_type == "cuda", "__module__": module,
        "__doc__": f"The legacy type of {device_type} tensors of dtype {dtype!r}."})
        for dtype in dtypes.ALL}


CPU_TYPES = _make_types("tinygrad_edu", "cpu")
CUDA_TYPES = _make_types("tinygrad_edu.cuda", "cuda")
globals().update(CPU_TYPES)
__all__ = list(CPU_TYPES)
