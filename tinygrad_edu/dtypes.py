"""Data types, named as torch names them, each backed by a NumPy dtype.

Promotion follows torch's rules: categories bool < integer < floating; within a
category the wider type wins, except that a 0-dimensional tensor or a Python number
never widens a tensor of its own category (``float32_tensor * 0.5`` stays float32).
"""
import numpy


class DType:
    """A tensor element type such as ``tinygrad_edu.float32``.


    ``name`` is torch's (``float32``); ``scalar_name`` is the word torch's messages use
    (``Float``), ``tensor_type_name`` the legacy tensor type (``FloatTensor``, what
    ``Tensor.type()`` returns) and ``c_name`` the C++ type some messages name (``float``).
    """

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize", "category", "scalar_name", "c_name")

    def __init__(self, name, numpy_dtype, category, scalar_name, c_name):
        self.name = name
        self.numpy = numpy.dtype(numpy_dtype)
        self.category = category
        self.is_floating_point = category == 2
        self.itemsize = self.numpy.itemsize
        self.scalar_name, self.c_name = scalar_name, c_name

    @property
    def tensor_type_name(self):
        return self.scalar_name + "Tensor"

    def __repr__(self):
        return f"tinygrad_edu.{self.name}"

    def __reduce__(self):
        return (from_numpy_dtype, (self.numpy.str,))


bool_ = DType("bool", numpy.bool_, 0, "Bool", "bool")
uint8 = DType("uint8", numpy.uint8, 1, "Byte", "unsigned char")
int8 = DType("int8", numpy.int8, 1, "Char", "signed char")
int16 = DType("int16", numpy.int16, 1, "Short", "short int")
int32 = DType("int32", numpy.int32, 1, "Int", "int")
int64 = DType("int64", numpy.int64, 1, "Long", "long int")
float16 = DType("float16", numpy.float16, 2, "Half", "c10::Half")
float32 = DType("float32", numpy.float32, 2, "Float", "float")
float64 = DType("float64", numpy.float64, 2, "Double", "double")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, int=int32, long=int64, short=int16)
_BY_TENSOR_TYPE_NAME = {d.tensor_type_name: d for d in ALL}

_default_float = float32


def get_default_dtype():
    """The floating dtype that factories and Python floats use (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype):
    """Set the default floating dtype (float32 or float64)."""
    global _default_float
    if not dtype.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {dtype}")
    _default_float = dtype


def from_numpy_dtype(numpy_dtype):
    """Our DType for a NumPy dtype; raises TypeError for types we do not support."""
    try:
        return _BY_NUMPY[numpy.dtype(numpy_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {numpy.dtype(numpy_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def as_dtype(dtype):
    """Accept a DType, a NumPy dtype, a Python type or a name; return a DType (or None)."""
    if dtype is None or isinstance(dtype, DType):
        return dtype
    if dtype is float:
        return _default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    return from_numpy_dtype(dtype)


def python_scalar_dtype(value):
    """The dtype torch gives a Python number: bool, int64, or the default float."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return _default_float


def promote(a_dtype, a_is_scalar, b_dtype, b_is_scalar):
    """Result dtype of a binary op between tensors; ``*_is_scalar``: the tensor is 0-d."""
    if a_dtype is b_dtype:
        return a_dtype
    if a_dtype.category != b_dtype.category:
        return a_dtype if a_dtype.category > b_dtype.category else b_dtype
    if a_is_scalar != b_is_scalar:
        return b_dtype if a_is_scalar else a_dtype
    return from_numpy_dtype(numpy.promote_types(a_dtype.numpy, b_dtype.numpy))


def number_dtype(value, tensor_dtype):
    """The dtype a Python number takes next to a tensor: the tensor's own dtype when the
    number's category is no higher, else the number's default (int64 or the default float)."""
    own = python_scalar_dtype(value)
    return tensor_dtype if own.category <= tensor_dtype.category else own


def from_tensor_type_name(text):
    """The (DType, device type) a legacy type name stands for: ``"torch.FloatTensor"``,
    ``"tinygrad_edu.cuda.LongTensor"``; raises ValueError for anything else."""
    module, _, type_name = text.rpartition(".")
    device_type = "cuda" if module.endswith(".cuda") else "cpu"
    if module.removesuffix(".cuda") not in ("torch", "tinygrad_edu") or type_name not in _BY_TENSOR_TYPE_NAME:
        raise ValueError(f"invalid type: '{text}'")
    return _BY_TENSOR_TYPE_NAME[type_name], device_type
