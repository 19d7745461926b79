"""Tensor: an array, the gradient it will receive, and the Function that made it.

Methods are thin: they check and normalise arguments (shapes, dims, dtypes), then
call one op from ``ops_*.py`` or compose a few other methods. A composite needs no
backward of its own: autograd differentiates the ops it is made of.
"""
import copy
import math
import weakref
from collections import namedtuple

import numpy

from tinygrad_edu import dtypes
from tinygrad_edu import graph
from tinygrad_edu import ops_elementwise as elementwise
from tinygrad_edu import ops_movement as movement
from tinygrad_edu import ops_reduce as reduce
from tinygrad_edu import ops_reduce as reduce_ops
from tinygrad_edu.device import CPU, Device
from tinygrad_edu.function import (AccumulateGrad, Function, _raise_device_mismatch, restore_numpy_warnings,
                                   silence_numpy_warnings)

_NUMPY_TO_DTYPE = dtypes._BY_NUMPY
ValuesIndices = namedtuple("return_types", ["values", "indices"])


class Size(tuple):
    """A tensor's shape: a tuple that prints like torch's ``Size``."""

    def __repr__(self):
        return f"tinygrad_edu.Size([{', '.join(map(str, self))}])"

    def numel(self):
        return math.prod(self)


class _RemovableHandle:
    def __init__(self, owner, attribute, hook):
        self.owner, self.attribute, self.hook = owner, attribute, hook

    def remove(self):
        hooks = getattr(self.owner, self.attribute) or ()
        setattr(self.owner, self.attribute, tuple(h for h in hooks if h is not self.hook) or None)


class Tensor:
    """A multi-dimensional array that records the operations done to it for autograd.

    >>> x = tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("_data", "_device", "_requires_grad", "_grad", "grad_fn", "_version_counter",
                 "_accumulator", "_leaf_hooks", "_view", "__weakref__")
    __hash__ = object.__hash__
    __array_priority__ = 1000

    def __init__(self, *data, dtype=None, device=None, requires_grad=False):
        """``Tensor(data)`` copies data as float32; ``Tensor(2, 3)`` is an uninitialised 2x3 tensor."""
        from tinygrad_edu.creation import array_from_data, resolve_device
        target = resolve_device(device)
        if len(data) == 1 and not isinstance(data[0], int):
            array = array_from_data(data[0], dtypes.as_dtype(dtype) or dtypes.get_default_dtype(), target)
        else:
            shape = data[0] if len(data) == 1 and isinstance(data[0], (tuple, list)) else data
            dtype = (dtypes.as_dtype(dtype) or dtypes.get_default_dtype()).numpy
            with target.selected():
                array = target.xp.empty(tuple(shape), dtype=dtype)
        self._set(array, target, False)
        self.requires_grad = requires_grad

    def _set(self, array, device, requires_grad):
        self._data, self._device, self._requires_grad = array, device, requires_grad
        self._grad = self.grad_fn = self._accumulator = self._leaf_hooks = self._view = None
        self._version_counter = [0]

    @staticmethod
    def _wrap(array, device, requires_grad=False):
        """A Tensor around an existing array (no copy, no checks): the ops' fast path."""
        tensor = object.__new__(Tensor)
        if device is CPU and array.__class__ is not numpy.ndarray:
            array = numpy.asarray(array)
        tensor._data, tensor._device, tensor._requires_grad = array, device, requires_grad
        tensor._grad = tensor.grad_fn = tensor._accumulator = tensor._leaf_hooks = tensor._view = None
        tensor._version_counter = [0]
        return tensor

    def _constant(self, array):
        return Tensor._wrap(array, self._device)

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the size of one dimension."""
        return Size(self._data.shape) if dim is None else self._data.shape[self._dim(dim)]

    def dim(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def dtype(self):
        return _NUMPY_TO_DTYPE[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def element_size(self):
        return self._data.itemsize

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The gradient that backward accumulated here (None before). Assigning one checks it as torch does:
        a tensor of this tensor's shape and dtype, or None."""
        return self._grad

    @grad.setter
    def grad(self, gradient):
        if gradient is not None:
            self._check_assigned_gradient(gradient)
        self._grad = gradient

    def _check_assigned_gradient(self, gradient):
        if not isinstance(gradient, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                            f"{type(gradient).__name__}")
        if gradient._data.shape != self._data.shape:
            raise RuntimeError(f"attempting to assign a gradient of size '{_bracketed(gradient.shape)}' to a tensor of "
                               f"size '{_bracketed(self.shape)}'. Please ensure that the gradient and the tensor are "
                               "the same size")
        if gradient._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"attempting to assign a gradient with dtype '{gradient.dtype.c_name}' to a tensor with "
                f"grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's grad_dtype "
                "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                "and its gradient may break downstream systems that assume they match.")

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return self._version_counter[0]

    @property
    def data(self):
        """A tensor sharing this one's storage, outside the graph (changes to it are not tracked)."""
        return Tensor._wrap(self._data, self._device)

    @data.setter
    def data(self, other):
        self._data, self._device = other._data, other._device
        self._view = None  # no longer shares the memory it viewed

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return self.transpose(-2, -1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.T

    # ----------------------------------------------------------------- conversions
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self):
        return self._host_array().tolist()

    def numpy(self, *, force=False):
        """The NumPy array behind this CPU tensor (shared memory, like torch)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if force:
                return self._host_array()
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(t)`` shares this CPU tensor's memory; ``numpy.array(t)`` copies it, as with torch."""
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """NumPy's ufuncs (``numpy.exp(t)``, ``numpy.clip(t, 0, 1)``) give back a tensor, as in torch
        (bool results as uint8, as torch does)."""
        if array.dtype == numpy.bool_:
            array = array.astype(numpy.uint8)
        return Tensor._wrap(numpy.asarray(array), CPU)

    def __reduce_ex__(self, protocol):
        """Pickle the values, device and requires_grad; like torch, not ``.grad`` and not the graph."""
        return (_rebuild_tensor, (self._data, self._device, self._requires_grad))

    def __deepcopy__(self, memo):
        """A copy with its own storage, ``.grad`` and ``requires_grad``; tensors that viewed one
        storage still do after one ``deepcopy`` of them all (a module's state, a list)."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        if id(self) not in memo:
            copied = object.__new__(type(self))
            copied._set(_deepcopy_array(self._data, memo), self._device, self._requires_grad)
            copied._version_counter = copy.deepcopy(self._version_counter, memo)
            memo[id(self)] = copied
            copied.grad = copy.deepcopy(self.grad, memo)
        return memo[id(self)]

    def _host_array(self):
        return self._data if self._device.type == "cpu" else self._data.get()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """Share this tensor's memory through DLPack: ``numpy.from_dlpack(t)``, ``torch.from_dlpack(t)``."""
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        options = {"stream": stream, "max_version": max_version, "dl_device": dl_device, "copy": copy}
        return self._data.__dlpack__(**{name: value for name, value in options.items() if value is not None})

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to(self, *args, **kwargs):
        """Cast to a dtype and/or move to a device: ``to(float64)``, ``to("cuda")``, ``to(other)``."""
        dtype, device = kwargs.get("dtype"), kwargs.get("device")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, Device)):
                device = arg
            elif arg is not None:
                dtype = arg
        result = self
        if device is not None and Device(device) != self._device:
            from tinygrad_edu.device_ops import ToDevice
            result = ToDevice.apply(result, device=Device(device))
        dtype = dtypes.as_dtype(dtype)
        if dtype is not None and dtype is not result.dtype:
            result = elementwise.Cast.apply(result, dtype=dtype.numpy)
        return result

    def type(self, dtype=None, non_blocking=False):
        """Without an argument, the legacy type name (``'tinygrad_edu.FloatTensor'``); with one,
        this tensor cast to it: a dtype, a legacy type (``tinygrad_edu.DoubleTensor``) or its
        name, with torch's prefix or ours (``'torch.LongTensor'``, ``'tinygrad_edu.cuda.FloatTensor'``).

        >>> tinygrad_edu.ones(2).type()
        'tinygrad_edu.FloatTensor'
        >>> tinygrad_edu.ones(2).type('torch.LongTensor')
        tensor([1, 1])
        """
        if dtype is None:
            cuda = ".cuda" if self._device.type == "cuda" else ""
            return f"tinygrad_edu{cuda}.{self.dtype.tensor_type_name}"
        device = None
        if isinstance(dtype, str):
            dtype, device = dtypes.from_tensor_type_name(dtype)
        elif isinstance(getattr(dtype, "dtype", None), dtypes.DType):    # a legacy type such as FloatTensor
            dtype, device = dtype.dtype, dtype.device_type
        if device is not None and device != self._device.type:
            return self.to(dtype=dtype, device=device)
        return self.to(dtype)

    def type_as(self, other):
        """This tensor cast to ``other``'s dtype (and device type): ``self.type(other.type())``."""
        return self.type(other.type())

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else Device("cuda", device) if isinstance(device, int) else device)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def share_memory_(self):
        """Move this CPU tensor's values into memory shared with processes forked later (in place).

        A ``multiprocessing`` child started with the ``fork`` method then reads and writes the
        same values (Hogwild training); a tensor sent through a Queue or to a ``spawn``-ed child
        arrives as a copy. CUDA tensors are left as they are.
        """
        if self._device.type == "cpu" and not self.is_shared():
            import mmap
            buffer = mmap.mmap(-1, max(self._data.nbytes, 1))
            shared = numpy.frombuffer(buffer, self._data.dtype, self._data.size).reshape(self._data.shape)
            shared[...] = self._data
            self._data = shared
        return self

    def is_shared(self):
        """Whether ``share_memory_`` has put this tensor's values in shared memory."""
        import mmap
        base = self._data
        while isinstance(base, numpy.ndarray) and base.base is not None:
            base = base.base
        return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self):
        from tinygrad_edu.printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    # ----------------------------------------------------------------- autograd
    def _gradient_edge(self):
        """The node that gradients for this tensor flow into: its grad_fn, or its leaf accumulator."""
        if self.grad_fn is not None:
            return self.grad_fn
        if not self._requires_grad:
            return None
        node = self._accumulator() if self._accumulator is not None else None
        if node is None:
            node = AccumulateGrad(self)
            self._accumulator = weakref.ref(node)
        return node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph leaves.

        The gradients are accumulated into the leaves' ``.grad``. ``gradient`` is the
        gradient of some final result with respect to this tensor (needed unless this is
        a scalar). The graph's saved arrays are freed afterwards unless ``retain_graph``.
        """
        from tinygrad_edu.autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            self._leaf_hooks = (self._leaf_hooks or ()) + (hook,)
            return _RemovableHandle(self, "_leaf_hooks", hook)
        self.grad_fn._hooks = (self.grad_fn._hooks or ()) + (hook,)
        return _RemovableHandle(self.grad_fn, "_hooks", hook)

    def detach(self):
        """A tensor sharing this one's storage, cut from the graph."""
        detached = Tensor._wrap(self._data, self._device)
        detached._version_counter = self._version_counter
        return detached

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ----------------------------------------------------------------- operands and broadcasting
    def _dim(self, dim, ndim=None):
        ndim = self._data.ndim if ndim is None else ndim
        low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
        if not low <= dim <= high:
            raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
        return dim % ndim if ndim else 0

    def _dims(self, dim):
        if dim is None or (isinstance(dim, tuple) and not dim):
            return tuple(range(self._data.ndim))
        if isinstance(dim, (tuple, list)):
            return tuple(sorted(self._dim(d) for d in dim))
        return (self._dim(dim),)

    def _operand(self, other):
        """``other`` as a tensor: a Python number takes this tensor's dtype when that loses nothing."""
        if isinstance(other, Tensor):
            if other._device is not self._device and other._device != self._device:
                _raise_device_mismatch(self._device, other._device)
            return other
        if isinstance(other, (int, float, bool)):
            dtype = dtypes.number_dtype(other, self.dtype)
            return Tensor._wrap(self._device.xp.asarray(other, dtype=dtype.numpy), self._device)
        return Tensor._wrap(self._device.xp.asarray(other), self._device) if hasattr(other, "__array__") \
            else _tensor_from(other, self._device)

    def _broadcast(self, other, reverse=False):
        """Both operands with one dtype, expanded to one shape wherever a gradient flows back."""
        other = self._operand(other)
        a, b = (other, self) if reverse else (self, other)
        if a._data.dtype != b._data.dtype:
            target = dtypes.promote(a.dtype, a.ndim == 0, b.dtype, b.ndim == 0)
            a, b = a.to(target), b.to(target)
        if a._data.shape != b._data.shape:
            shape = broadcast_shapes(a._data.shape, b._data.shape)
            if graph._grad_mode.enabled:
                if a._requires_grad and a._data.shape != shape:
                    a = reduce.Expand.apply(a, shape=shape)
                if b._requires_grad and b._data.shape != shape:
                    b = reduce.Expand.apply(b, shape=shape)
        return a, b

    def _float_operands(self, other, reverse=False):
        a, b = self._broadcast(other, reverse)
        if not a.dtype.is_floating_point:
            a, b = a.to(dtypes.get_default_dtype()), b.to(dtypes.get_default_dtype())
        return a, b

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return elementwise.Add.apply(*self._broadcast(other))

    def __radd__(self, other):
        return elementwise.Add.apply(*self._broadcast(other, reverse=True))

    def __sub__(self, other):
        return elementwise.Sub.apply(*self._broadcast(other))

    def __rsub__(self, other):
        return elementwise.Sub.apply(*self._broadcast(other, reverse=True))

    def __mul__(self, other):
        return elementwise.Mul.apply(*self._broadcast(other))

    def __rmul__(self, other):
        return elementwise.Mul.apply(*self._broadcast(other, reverse=True))

    def __truediv__(self, other):
        return elementwise.Div.apply(*self._float_operands(other))

    def __rtruediv__(self, other):
        return elementwise.Div.apply(*self._float_operands(other, reverse=True))

    def __neg__(self):
        self._check_not_bool_for_negation()
        return elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        return self._operand(base).pow(self) if not isinstance(base, Tensor) else base.pow(self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._operand(other).matmul(self)

    mul = __mul__
    multiply = __mul__
    true_divide = __truediv__
    neg = __neg__
    negative = __neg__

    def add(self, other, *, alpha=1):
        """self + alpha * other."""
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        """self - alpha * other."""
        return self - (other * alpha if alpha != 1 else other)

    subtract = sub

    def pow(self, exponent):
        """self ** exponent, for a number or a tensor exponent (both differentiable)."""
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            base = self if self.dtype.is_floating_point or (isinstance(exponent, int) and exponent >= 0) \
                else self.to(dtypes.get_default_dtype())
            return elementwise.PowScalar.apply(base, exponent=exponent)
        return elementwise.Pow.apply(*self._broadcast(exponent))

    def exp(self):
        return elementwise.Exp.apply(self._as_float())

    def log(self):
        return elementwise.Log.apply(self._as_float())

    def log1p(self):
        return elementwise.Log1p.apply(self._as_float())

    def sqrt(self):
        return elementwise.Sqrt.apply(self._as_float())

    def rsqrt(self):
        return elementwise.Rsqrt.apply(self._as_float())

    def sin(self):
        return elementwise.Sin.apply(self._as_float())

    def cos(self):
        return elementwise.Cos.apply(self._as_float())

    def tanh(self):
        return elementwise.Tanh.apply(self._as_float())

    def sigmoid(self):
        return elementwise.Sigmoid.apply(self._as_float())

    def relu(self):
        return elementwise.Relu.apply(self)

    def abs(self):
        return elementwise.Abs.apply(self)

    absolute = abs
    __abs__ = abs

    def sign(self):
        return elementwise.Sign.apply(self)

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self

    def clamp(self, min=None, max=None):
        """Limit values to [min, max]; the gradient flows where ``min <= x <= max``."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return self._clamp_to_tensors(min, max)
        return elementwise.Clamp.apply(self, min=min, max=max)

    def _clamp_to_tensors(self, low, high):
        """clamp with tensor bounds: all three broadcast together (a missing bound is an infinite one)."""
        low = self._operand(-math.inf if low is None else low).to(self.dtype)
        high = self._operand(math.inf if high is None else high).to(self.dtype)
        shape = broadcast_shapes(broadcast_shapes(self.shape, low.shape), high.shape)
        x, low, high = (t if t.shape == shape else t.expand(shape) for t in (self, low, high))
        return elementwise.ClampTensors.apply(x, low, high)

    clip = clamp

    def maximum(self, other):
        return elementwise.Maximum.apply(*self._broadcast(other))

    def minimum(self, other):
        return elementwise.Minimum.apply(*self._broadcast(other))

    def where(self, condition, other):
        """Elements of self where ``condition`` is True, else of ``other``."""
        return where(condition, self, other)

    def _as_float(self):
        return self if self.dtype.is_floating_point else self.to(dtypes.get_default_dtype())

    def clone(self):
        return elementwise.Clone.apply(self)

    def contiguous(self):
        return self if self._data.flags.c_contiguous else self.clone()

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    # ----------------------------------------------------------------- comparisons (no gradient)
    def _compare(self, other, compare):
        other = self._operand(other)
        broadcast_shapes(self._data.shape, other._data.shape)
        return Tensor._wrap(compare(self._data, other._data), self._device)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self):
        if self.dtype is not dtypes.bool_ and self.dtype.is_floating_point:
            raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
        return self._constant(~self._data)

    def logical_not(self):
        return self._constant(self._device.xp.logical_not(self._data))

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    def __xor__(self, other):
        return self._compare(other, lambda a, b: a ^ b)

    def isnan(self):
        return self._constant(self._device.xp.isnan(self._data))

    def isinf(self):
        return self._constant(self._device.xp.isinf(self._data))

    def isfinite(self):
        return self._constant(self._device.xp.isfinite(self._data))

    def any(self, dim=None, keepdim=False):
        return self._constant(self._data.any(axis=self._dims(dim) if dim is not None else None, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        return self._constant(self._data.all(axis=self._dims(dim) if dim is not None else None, keepdims=keepdim))

    def equal(self, other):
        return self.shape == other.shape and bool((self._data == other._data).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(self._device.xp.allclose(self._data, other._data, rtol, atol, equal_nan))

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum over ``dim`` (an int, a tuple, or all dims when None)."""
        source = self if dtype is None else self.to(dtype)
        if not source.dtype.is_floating_point and source.dtype is not dtypes.int64:
            source = source.to(dtypes.int64)
        return reduce.Sum.apply(source, dims=self._dims(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        """Average over ``dim`` (an int, a tuple, or all dims when None)."""
        source = self if dtype is None else self.to(dtype)
        if not source.dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {source.dtype.scalar_name}")
        return reduce.Mean.apply(source, dims=self._dims(dim), keepdim=keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        source = self if dtype is None else self.to(dtype)
        if dim is None:
            return reduce.Prod.apply(source.reshape(-1), dim=0, keepdim=False)
        return reduce.Prod.apply(source, dim=self._dim(dim), keepdim=keepdim)

    def _extreme(self, dim, keepdim, smallest):
        if dim is None:
            self._check_not_empty("max" if not smallest else "min")
            return reduce.Amax.apply(self, dims=self._dims(None), keepdim=False, smallest=smallest, whole=True)
        if isinstance(dim, Tensor):
            return self.minimum(dim) if smallest else self.maximum(dim)
        axis = self._dim(dim)
        self._check_reduced_dims_not_empty("min" if smallest else "max", (axis,))
        indices = (self._data.argmin if smallest else self._data.argmax)(axis=axis) if self.ndim else \
            self._device.xp.zeros((), dtype=numpy.int64)
        values = reduce.MaxAlongDim.apply(self, dim=axis, keepdim=keepdim, indices=indices, smallest=smallest)
        indices = self._device.xp.expand_dims(indices, axis) if keepdim else indices
        return ValuesIndices(values, self._constant(indices.astype(numpy.int64)))

    def _check_not_empty(self, name):
        if self._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")

    def max(self, dim=None, keepdim=False):
        """Largest value; with ``dim``, the named tuple ``(values, indices)``."""
        return self._extreme(dim, keepdim, smallest=False)

    def min(self, dim=None, keepdim=False):
        """Smallest value; with ``dim``, the named tuple ``(values, indices)``."""
        return self._extreme(dim, keepdim, smallest=True)

    def _check_reduced_dims_not_empty(self, name, dims):
        """max, min and their kin have no value over nothing: torch's error for a size-0 reduced dim."""
        for axis in dims:
            if self.ndim and self._data.shape[axis] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")

    def amax(self, dim=(), keepdim=False):
        dims = self._dims(dim)
        self._check_reduced_dims_not_empty("amax", dims)
        return reduce.Amax.apply(self, dims=dims, keepdim=keepdim)

    def amin(self, dim=(), keepdim=False):
        dims = self._dims(dim)
        self._check_reduced_dims_not_empty("amin", dims)
        return reduce.Amax.apply(self, dims=dims, keepdim=keepdim, smallest=True)

    def argmax(self, dim=None, keepdim=False):
        return self._arg_extreme(dim, keepdim, self._data.argmax)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_extreme(dim, keepdim, self._data.argmin)

    def _arg_extreme(self, dim, keepdim, find):
        if dim is not None:
            self._check_reduced_dims_not_empty(find.__name__, (self._dim(dim),))
        if dim is None:
            index = find()
            shape = (1,) * self.ndim if keepdim else ()
            return self._constant(self._device.xp.asarray(index, dtype=numpy.int64).reshape(shape))
        return self._constant(find(axis=self._dim(dim), keepdims=keepdim).astype(numpy.int64))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased=False`` is 0)."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        if not self.dtype.is_floating_point:
            raise RuntimeError("std and var only support floating point and complex dtypes")
        return reduce.Var.apply(self, dims=self._dims(dim), keepdim=keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation: the square root of ``var`` with the same arguments (gradient 0 where it is 0)."""
        return reduce.StdOfVar.apply(self.var(dim, unbiased, keepdim, correction=correction))

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over ``dim``, computed without overflow."""
        dims = self._dims(dim)
        if any(self._data.shape[axis] == 0 for axis in dims) if self.ndim else False:
            shift = self.detach().sum(dims, keepdim=True) * 0  # nothing to shift by: the sum of nothing is 0
        else:
            shift = self.detach().amax(dims, keepdim=True)
            shift = shift.where(shift.isfinite(), 0)
        result = (self - shift).exp().sum(dims, keepdim=True).log() + shift
        return result if keepdim else result.squeeze(dims)

    def softmax(self, dim=None, dtype=None):
        """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
        source = (self if dtype is None else self.to(dtype))._softmax_source("softmax", dim)
        return reduce.Softmax.apply(source, dim=self._dim(_softmax_dim(dim, self.ndim)) if self.ndim else 0)

    def log_softmax(self, dim=None, dtype=None):
        """log(softmax(x)) along ``dim``, computed as x - logsumexp(x)."""
        source = (self if dtype is None else self.to(dtype))._softmax_source("log_softmax", dim)
        return reduce.LogSoftmax.apply(source, dim=self._dim(_softmax_dim(dim, self.ndim)) if self.ndim else 0)

    def _softmax_source(self, name, dim):
        """Self, when softmax can run on it: torch has no integer softmax (pass ``dtype=`` to convert)."""
        if self.dtype.is_floating_point:
            return self
        last = self.ndim == 0 or self._dim(_softmax_dim(dim, self.ndim)) == self.ndim - 1
        raise NotImplementedError(f'"{name}{"_lastdim" if last else ""}_kernel_impl" not implemented for '
                                  f"'{self.dtype.scalar_name}'")

    def cumsum(self, dim):
        """Running sum along ``dim``."""
        dim = self._dim(dim)
        size = self._data.shape[dim]
        lower = Tensor._wrap(self._device.xp.tril(self._device.xp.ones((size, size), dtype=self._data.dtype)),
                             self._device)
        return (self.transpose(dim, -1) @ lower.mT).transpose(dim, -1)

    # ----------------------------------------------------------------- matrix products
    def matmul(self, other):
        """Matrix product with torch's rules for 1-D, 2-D and batched (broadcast) operands."""
        other = self._operand(other)
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{a.dtype.c_name} != {b.dtype.c_name}")
        if a.ndim == 1 and b.ndim == 1:
            if a.shape[0] != b.shape[0]:
                raise RuntimeError(
                    f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the "
                    f"same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
            return (a.unsqueeze(0) @ b.unsqueeze(1)).reshape(())
        if a.ndim == 1:
            return (a.unsqueeze(0) @ b).squeeze(-2)
        if b.ndim == 1:
            return (a @ b.unsqueeze(1)).squeeze(-1)
        _check_matmul_shapes(a.shape, b.shape)
        if b.ndim == 2 and a.ndim > 2:
            rows = a.reshape(-1, a.shape[-1])
            return reduce.MatMul.apply(rows, b).reshape(*a.shape[:-1], b.shape[-1])
        if a.ndim > 2 or b.ndim > 2:
            batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
            a, b = a._expand_batch(batch), b._expand_batch(batch)
        return reduce.MatMul.apply(a, b)

    def _expand_batch(self, batch):
        shape = tuple(batch) + tuple(self.shape[-2:])
        needs = self._requires_grad and graph._grad_mode.enabled
        return self.expand(shape) if needs and self.shape != shape else self

    def mm(self, mat2):
        """Product of two matrices (2-D only)."""
        if self.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if mat2.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return self.matmul(mat2)

    def bmm(self, mat2):
        """Product of two batches of matrices (3-D only, equal batch sizes)."""
        if self.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if mat2.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{self.shape[0]}, {self.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
        return self.matmul(mat2)

    def dot(self, other):
        return self.matmul(other)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        """The same elements in a new shape (a view when possible); one size may be -1."""
        shape = _infer_shape(_unpack_shape(shape), self._data.size)
        if shape == self._data.shape:
            return self if not self._requires_grad else movement.Reshape.apply(self, shape=shape)
        return movement.Reshape.apply(self, shape=shape)

    def view(self, *shape):
        """Like reshape, but always a view: raises if the elements are not laid out for it."""
        shape = _infer_shape(_unpack_shape(shape), self._data.size)
        probe = self._data.view()
        try:
            probe.shape = shape
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead.") from None
        return movement.Reshape.apply(self, shape=shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = self._dim(start_dim), self._dim(end_dim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        return self.reshape(*shape[:start], -1 if self.numel() else math.prod(shape[start:end + 1]), *shape[end + 1:])

    def unflatten(self, dim, sizes):
        dim = self._dim(dim)
        shape = self.shape
        return self.reshape(*shape[:dim], *_infer_shape(tuple(sizes), shape[dim]), *shape[dim + 1:])

    def squeeze(self, dim=None):
        """Remove size-1 dims (all of them, or those named by ``dim``)."""
        dims = self._dims(dim) if dim is not None else range(self.ndim)
        shape = [size for axis, size in enumerate(self.shape) if not (axis in dims and size == 1)]
        return self.reshape(shape) if len(shape) != self.ndim else self

    def unsqueeze(self, dim):
        """Insert a size-1 dim at position ``dim``."""
        dim = self._dim(dim, self.ndim + 1)
        shape = list(self.shape)
        shape.insert(dim, 1)
        return self.reshape(shape)

    def permute(self, *dims):
        dims = tuple(self._dim(d) for d in _unpack_shape(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        return movement.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dim0, dim1 = self._dim(dim0), self._dim(dim1)
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return movement.Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    def expand(self, *sizes):
        """Broadcast size-1 dims to larger sizes without copying (-1 keeps a size)."""
        shape = _expanded_shape(self.shape, _unpack_shape(sizes), self)
        return self if shape == self.shape else reduce.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dim (torch's repeat, NumPy's tile)."""
        sizes = _unpack_shape(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               "dimensions of tensor")
        source = self.reshape((1,) * (len(sizes) - self.ndim) + tuple(self.shape))
        interleaved = [value for repeat, size in zip(sizes, source.shape) for value in (1, size)]
        expanded = [value for repeat, size in zip(sizes, source.shape) for value in (repeat, size)]
        return source.reshape(interleaved).expand(expanded).reshape(
            [repeat * size for repeat, size in zip(sizes, source.shape)])

    def narrow(self, dim, start, length):
        """``length`` elements along ``dim`` from ``start`` (negative counts from the end), as a view."""
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        dim = self._dim(dim)
        size = self._data.shape[dim]
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        index = (slice(None),) * dim + (slice(start, start + length),)
        return self[index]

    def flip(self, dims):
        return movement.Flip.apply(self, dims=self._dims(dims))

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
        dim = self._dim(dim)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sections = [min(step, size - start) for start in range(0, size, step)] or [0]
        else:
            sections = list(split_size_or_sections)
            if sum(sections) != size:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                                   f"size at dimension {dim}), but got split_sizes={sections}")
        pieces, start = [], 0
        for length in sections:
            pieces.append(self.narrow(dim, start, length))
            start += length
        return _multiple_views(pieces, "Split" if isinstance(split_size_or_sections, int) else "SplitWithSizes")

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self.shape[self._dim(dim)]
        return self.split(max(math.ceil(size / chunks), 1), dim)

    def unbind(self, dim=0):
        dim = self._dim(dim)
        return _multiple_views([self.select(dim, i) for i in range(self.shape[dim])], "Unbind")

    def select(self, dim, index):
        dim = self._dim(dim)
        return self[(slice(None),) * dim + (index,)]

    def tril(self, diagonal=0):
        return self._triangle(self._device.xp.tril, diagonal)

    def triu(self, diagonal=0):
        return self._triangle(self._device.xp.triu, diagonal)

    def _triangle(self, keep, diagonal):
        if self.ndim < 2:
            raise RuntimeError("tril/triu: input tensor must have at least 2 dimensions")
        mask = keep(self._device.xp.ones(self.shape[-2:], dtype=bool), diagonal)
        return self.where(self._constant(mask), 0)

    # ----------------------------------------------------------------- indexing
    def __getitem__(self, index):
        return movement.GetItem.apply(self, index=self._normalize_index(index))

    def _normalize_index(self, index):
        """Turn a user index into a tuple NumPy understands, with torch's checks and messages."""
        items = index if isinstance(index, tuple) else (index,)
        normalized, axis = [], 0
        for item in items:
            item = _plain_index(item)
            if isinstance(item, Tensor):
                item = _index_array(self._index_on_this_device(item))
            elif isinstance(item, (list, numpy.ndarray)):
                item = _index_array(_tensor_from(item, self._device))
            elif isinstance(item, self._device.xp.ndarray):
                pass  # an index already normalized (a backward indexing with its forward's index)
            elif isinstance(item, bool) or item is None:
                item = None if item is None else self._device.xp.asarray(item)
            elif isinstance(item, int):
                size = self._shape_at(axis)
                if not -size <= item < size:
                    raise IndexError(f"index {item} is out of bounds for dimension {axis} with size {size}")
            elif not (isinstance(item, slice) or item is Ellipsis):
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                                 f"are valid indices (got {type(item).__name__})")
            if getattr(item, "dtype", None) == numpy.bool_ and item.ndim:
                self._check_mask_shape(item, axis)
            if item is Ellipsis:
                axis = self.ndim - (len(items) - items.index(Ellipsis) - 1 - sum(i is None for i in items))
            elif item is not None:
                axis += item.ndim if getattr(item, "dtype", None) == numpy.bool_ else 1
            if getattr(item, "ndim", 0) and item.dtype != numpy.bool_:
                self._check_index_bounds(item, axis - 1)
            normalized.append(item)
        return tuple(normalized)

    def _index_on_this_device(self, index):
        """An index tensor on this tensor's device: a CPU index is copied over, as torch allows."""
        if index._device is self._device:
            return index
        if index._device.type != "cpu":
            raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                               f"({self._device})")
        return index.to(self._device)

    def _check_mask_shape(self, mask, axis):
        for offset, size in enumerate(mask.shape):
            if axis + offset < self.ndim and self._data.shape[axis + offset] != size:
                raise IndexError(f"The shape of the mask [{', '.join(map(str, mask.shape))}] at index {offset} does "
                                 f"not match the shape of the indexed tensor [{', '.join(map(str, self.shape))}] "
                                 f"at index {axis + offset}")

    def _shape_at(self, axis):
        if axis >= self.ndim:
            raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
        return self._data.shape[axis]

    def _check_index_bounds(self, index_array, axis):
        size = self._shape_at(axis)
        if not index_array.size:
            return
        low, high = index_array.min(), index_array.max()
        if bool((high >= size) | (low < -size)):  # the one wait for a GPU: CuPy would wrap bad indices silently
            bad = int(high) if high >= size else int(low)
            raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")

    def __setitem__(self, index, value):
        """``x[index] = value``, in place; recorded for autograd when a gradient flows through."""
        self._check_inplace()
        index = self._normalize_index(index)
        value = self._operand(value)
        try:
            if graph._grad_mode.enabled and (self._requires_grad or (value._requires_grad and self.is_floating_point())):
                value = value.to(self.dtype)
                return self._rebase(lambda old: movement.SetItem.apply(old, value, index=index))
            self._data[index] = value._data
        except ValueError:  # NumPy's words for a value that does not fit the indexed place
            raise self._setitem_shape_error(index, value) from None
        self._version_counter[0] += 1

    def _setitem_shape_error(self, index, value):
        target = self._data[index].shape
        if movement.is_basic_index(index):
            _expanded_shape(value.shape, target, value)  # raises expand's error, as torch's copy into the view does
        return RuntimeError(f"shape mismatch: value tensor of shape {_bracketed(value.shape)} cannot be broadcast to "
                            f"indexing result of shape {_bracketed(target)}")

    def gather(self, dim, index):
        """Values at ``index`` along ``dim``: out[i][j] = self[index[i][j]][j] for dim 0."""
        if index.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        dim = self._dim(dim)
        if index.ndim != self.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for axis, (size, limit) in enumerate(zip(index.shape, self.shape)):
            if axis != dim and size > limit:
                raise RuntimeError(f"Size does not match at dimension {axis} expected index {list(index.shape)} to "
                                   f"be no larger than self {list(self.shape)} apart from dimension {dim}")
        self._check_index_range(index, dim)
        return reduce.Gather.apply(self, index, dim=dim)

    def scatter_add(self, dim, index, src):
        """A copy of self with ``src`` added at ``index`` along ``dim``."""
        src = self._scatter_source(dim, index, src)
        return self + reduce.ScatterAdd.apply(src, index, dim=self._dim(dim), shape=self.shape)

    def _check_index_range(self, index, dim):
        """gather's and scatter's check: every index in [0, size) along ``dim``."""
        if not index.numel():
            return
        low, high = index._data.min(), index._data.max()
        if bool((low < 0) | (high >= self._data.shape[dim])):
            raise RuntimeError(f"index {int(high) if high >= self._data.shape[dim] else int(low)} is out of bounds "
                               f"for dimension {dim} with size {self._data.shape[dim]}")

    def index_select(self, dim, index):
        """The entries at ``index`` (a vector, or one number) along ``dim``."""
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if index.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        dim = self._dim(dim)
        if index.numel() and bool((index._data.min() < 0) | (index._data.max() >= self._data.shape[dim])):
            raise IndexError("index out of range in self")
        return self[(slice(None),) * dim + (index.reshape(-1),)]

    def masked_fill(self, mask, value):
        """Replace elements where ``mask`` is True by ``value``."""
        if mask.dtype is not dtypes.bool_:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{mask.dtype.c_name}")
        return where(mask, self._operand(value).to(self.dtype), self)

    def pad_widths(self, widths, value=0):
        """Pad with ``widths`` given per dim as (before, after), first dim first."""
        return movement.Pad.apply(self, widths=tuple(map(tuple, widths)), value=value)

    # ----------------------------------------------------------------- rounding and division
    def floor(self):
        """Round down elementwise (integer tensors come back unchanged); the gradient is zero."""
        return elementwise.Rounding.apply(self, how="floor")

    def ceil(self):
        """Round up elementwise; the gradient is zero."""
        return elementwise.Rounding.apply(self, how="ceil")

    def trunc(self):
        """Round toward zero elementwise; the gradient is zero."""
        return elementwise.Rounding.apply(self, how="trunc")

    fix = trunc

    def round(self, *, decimals=0):
        """Round half to even, to ``decimals`` places (negative: to tens, hundreds...).

        >>> tensor([0.5, 1.5, 1.234]).round(decimals=1)
        tensor([0.5000, 1.5000, 1.2000])
        """
        if decimals and not self.dtype.is_floating_point:
            raise RuntimeError(f"\"round_cpu\" not implemented for '{self.dtype.scalar_name}'")
        return elementwise.Rounding.apply(self, how="round", decimals=decimals)

    def frac(self):
        """The fractional part, ``x - trunc(x)``, with the sign of x; the gradient is 1."""
        if not self.dtype.is_floating_point:
            raise RuntimeError(f"\"frac_cpu\" not implemented for '{self.dtype.scalar_name}'")
        return self - self.trunc()

    def floor_divide(self, other):
        """``self // other`` rounded toward minus infinity, as Python's ``//`` (torch has no gradient for it)."""
        return elementwise.FloorDivide.apply(*_checked_divisor(*self._broadcast(other)))

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return elementwise.FloorDivide.apply(*_checked_divisor(*self._broadcast(other, reverse=True)))

    def remainder(self, other):
        """``self % other`` with the sign of ``other``, as Python's ``%``.

        >>> tensor([-3.0, 3.0]) % 2
        tensor([1., 1.])
        """
        return elementwise.Remainder.apply(*_checked_divisor(*self._broadcast(other)))

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return elementwise.Remainder.apply(*_checked_divisor(*self._broadcast(other, reverse=True)))

    def fmod(self, other):
        """The remainder of ``self / other`` with the sign of ``self``, as C's fmod.

        >>> tensor([-3.0, 3.0]).fmod(2)
        tensor([-1.,  1.])
        """
        return elementwise.Fmod.apply(*_checked_divisor(*self._broadcast(other)))

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode='trunc'`` rounds toward zero, ``'floor'`` as ``//``."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "trunc":
            dividend, divisor = _checked_divisor(*self._broadcast(other))
            rounded = (dividend / divisor).trunc()
            return rounded if dividend.dtype.is_floating_point else rounded.to(dividend.dtype)
        if rounding_mode == "floor":
            return self.floor_divide(other)
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")

    divide = div

    # ----------------------------------------------------------------- special functions
    def erf(self):
        """The error function, 2/√π ∫₀ˣ exp(-t²) dt (W. J. Cody's approximations, float64-exact)."""
        return elementwise.Erf.apply(self._as_float())

    def erfc(self):
        """1 - erf(x), accurate where it is tiny."""
        return elementwise.Erfc.apply(self._as_float())

    def erfinv(self):
        """The inverse of erf on [-1, 1] (±inf at ±1, NaN outside)."""
        return elementwise.Erfinv.apply(self._as_float())

    def clamp_min(self, min):
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Where ``|self - other| <= atol + rtol * |other|`` (no gradient)."""
        other = self._operand(other)
        return self._constant(self._device.xp.isclose(self._data, other._data, rtol, atol, equal_nan))

    # ----------------------------------------------------------------- sorting and selection
    def sort(self, dim=-1, descending=False, stable=False):
        """Values sorted along ``dim`` and where they came from: ``(values, indices)``.

        Equal values keep their order (the sort is always stable).

        >>> tensor([3.0, 1.0, 2.0]).sort(descending=True).indices
        tensor([0, 2, 1])
        """
        indices = self._sort_indices(dim, descending)
        return ValuesIndices(self._take_along(dim, indices), indices)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort ``dim`` (no gradient)."""
        return self._sort_indices(dim, descending)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest first."""
        axis = self._dim(dim)
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        indices = self._sort_indices(axis, descending=largest)
        indices = indices.narrow(axis, 0, k) if self.ndim else indices
        return ValuesIndices(self._take_along(axis, indices), indices)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest value along ``dim`` (k counts from 1) and its index."""
        axis = self._dim(dim)
        size = self.shape[axis] if self.ndim else 1
        if not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
        if self.ndim == 0:
            return ValuesIndices(self.clone(), self._sort_indices(0, False))
        indices = self._sort_indices(axis, descending=False).narrow(axis, k - 1, 1)
        values = self._take_along(axis, indices)
        return ValuesIndices(values, indices) if keepdim else ValuesIndices(values.squeeze(axis), indices.squeeze(axis))

    def median(self, dim=None, keepdim=False):
        """The lower median (the smaller of the two middle values for an even count); NaN if there is one.

        With ``dim``, the named tuple ``(values, indices)``; the gradient goes to the chosen element.

        >>> tensor([[3.0, 1.0, 2.0, 5.0]]).median(dim=1)
        return_types(values=tensor([2.]), indices=tensor([2]))
        """
        if dim is None:
            return self.reshape(-1).median(0).values
        axis = self._dim(dim)
        if self.ndim == 0:
            return ValuesIndices(self.clone(), self._sort_indices(0, False))
        size = self.shape[axis]
        if size == 0:
            raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
        indices = self._sort_indices(axis, descending=False).narrow(axis, (size - 1) // 2, 1)._data
        xp, is_nan = self._device.xp, self._device.xp.isnan(self._data)
        if self.dtype.is_floating_point and is_nan.any():  # NaN wins, at its first position, as in torch
            indices = xp.where(is_nan.any(axis, keepdims=True), is_nan.argmax(axis, keepdims=True), indices)
        indices = self._constant(indices.astype(numpy.int64))
        values = self._take_along(axis, indices)
        return ValuesIndices(values, indices) if keepdim else ValuesIndices(values.squeeze(axis), indices.squeeze(axis))

    def _sort_indices(self, dim, descending):
        """Stable argsort along ``dim`` as an int64 tensor; NaN counts as the largest value, as in torch."""
        device, xp = self._device, self._device.xp
        if self.ndim == 0:
            return self._constant(xp.zeros((), dtype=numpy.int64))
        axis = self._dim(dim)
        if not descending:
            return self._constant(device.stable_argsort(self._data, axis).astype(numpy.int64))
        order = device.stable_argsort(xp.flip(self._data, axis), axis)  # ties in reverse order...
        last = self._data.shape[axis] - 1
        return self._constant((last - xp.flip(order, axis)).astype(numpy.int64))  # ...reversed back

    def _take_along(self, dim, indices):
        return self.gather(dim, indices) if self.ndim else self.clone()

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
        xp = self._device.xp
        if self.ndim == 0:
            count = int(bool(self._data))
            if as_tuple:
                return (self._constant(xp.zeros(count, dtype=numpy.int64)),)
            return self._constant(xp.zeros((count, 0), dtype=numpy.int64))
        if as_tuple:
            return tuple(self._constant(axis.astype(numpy.int64)) for axis in xp.nonzero(self._data))
        return self._constant(xp.argwhere(self._data).astype(numpy.int64))

    def argwhere(self):
        """``nonzero()``: the (n, ndim) indices of the nonzero elements."""
        return self.nonzero()

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast with self) is True, as a 1-D tensor."""
        if not isinstance(mask, Tensor) or mask.dtype is not dtypes.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = broadcast_shapes(self.shape, mask.shape)
        return self.expand(shape)[mask.expand(shape)]

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (always sorted), with the inverse indices and counts when asked.

        >>> tensor([3, 1, 3]).unique(return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
        """
        axis = None if dim is None else self._dim(dim)
        values, inverse, counts = self._device.xp.unique(self._data, return_inverse=True, return_counts=True,
                                                         axis=axis)
        inverse = inverse.reshape(self.shape if axis is None else (-1,)).astype(numpy.int64)
        results = (self._constant(values),) + ((self._constant(inverse),) if return_inverse else ()) + \
            ((self._constant(counts.astype(numpy.int64)),) if return_counts else ())
        return results[0] if len(results) == 1 else results

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy of self with ``src`` (a tensor, or a number) written at ``index`` along ``dim``:
        ``out[index[i][j]][j] = src[i][j]`` for dim 0.

        >>> zeros(3).scatter(0, tensor([2, 0]), tensor([5.0, 6.0]))
        tensor([6., 0., 5.])
        """
        axis = self._dim(dim)
        src = self._scatter_source(dim, index, value if src is None else src)
        if reduce is None:
            return reduce_ops.Scatter.apply(self, src, index, dim=axis)
        if reduce == "add":
            return self.scatter_add(dim, index, src)
        if reduce == "multiply":
            result = self._data.copy()
            self._device.xp.multiply.at(result, reduce_ops._positions_along(self._device.xp, index._data, axis),
                                        src._data)
            return self._constant(result)
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")

    def _scatter_source(self, dim, index, src):
        """``src`` checked against ``index`` and cut to its shape (torch reads only that corner of src)."""
        if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
        if index.ndim != self.ndim or isinstance(src, Tensor) and src.ndim != self.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        dim = self._dim(dim)
        too_large = isinstance(src, Tensor) and any(size > limit for size, limit in zip(index.shape, src.shape))
        if too_large or any(axis != dim and size > limit for axis, (size, limit) in enumerate(zip(index.shape, self.shape))):
            source = f" and to be no larger size than src {list(src.shape)}" if isinstance(src, Tensor) else ""
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(self.shape)} apart "
                               f"from dimension {dim}{source}")
        self._check_index_range(index, dim)
        if not isinstance(src, Tensor):
            from tinygrad_edu.creation import full
            return full(index.shape, src, dtype=self.dtype, device=self._device)
        if src.dtype is not self.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if src.shape != index.shape:
            src = src[tuple(slice(0, size) for size in index.shape)]
        return src

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """In-place ``scatter``."""
        return self.copy_(self.scatter(dim, index, src, value=value, reduce=reduce))

    def scatter_add_(self, dim, index, src):
        """In-place ``scatter_add``."""
        return self.copy_(self.scatter_add(dim, index, src))

    # ----------------------------------------------------------------- rearranging
    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` cyclically (over the flattened tensor when ``dims`` is None).

        >>> tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
        """
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        result = self
        for shift, dim in zip(shifts, dims):
            axis = self._dim(dim)
            size = self.shape[axis]
            step = shift % size if size else 0
            if step:
                tail, head = result.narrow(axis, size - step, step), result.narrow(axis, 0, size - step)
                result = movement.Cat.apply(tail, head, dim=axis)
        return result

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the (dim1, dim2) planes, as a last dim; ``offset`` > 0 is above the main one."""
        first, second = self._dim(dim1), self._dim(dim2)
        if first == second:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        others = [axis for axis in range(self.ndim) if axis not in (first, second)]
        rows, columns = self.shape[first], self.shape[second]
        length = max(0, min(rows, columns - offset) if offset >= 0 else min(rows + offset, columns))
        steps = numpy.arange(length)
        moved = self.permute(*others, first, second)
        return moved[(Ellipsis, steps + max(-offset, 0), steps + max(offset, 0))]

    def diag(self, diagonal=0):
        """A vector's square diagonal matrix, or a matrix's diagonal as a vector."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return self.diag_embed(diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices whose (offset) diagonal is the last dim of self, placed at ``dim1``, ``dim2``."""
        size = self.shape[-1]
        identity = self._constant(self._device.xp.eye(size, dtype=self._data.dtype))
        square = self.unsqueeze(-1) * identity  # (..., size, size)
        shift = abs(offset)
        corner = ((0, shift), (shift, 0)) if offset >= 0 else ((shift, 0), (0, shift))
        matrices = movement.Pad.apply(square, widths=((0, 0),) * (self.ndim - 1) + corner, value=0)
        ndim = self.ndim + 1
        first, second = self._dim(dim1, ndim), self._dim(dim2, ndim)
        if first == second:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        batch = iter(range(ndim - 2))
        order = [ndim - 2 if axis == first else ndim - 1 if axis == second else next(batch) for axis in range(ndim)]
        return matrices.permute(*order) if order != list(range(ndim)) else matrices

    def cumprod(self, dim, *, dtype=None):
        """Running product along ``dim``; its gradient is exact also where there are zeros.

        Built as the product, for each position j, of the elements up to j: n² work for a dim of size n.
        """
        source = self if dtype is None else self.to(dtype)
        if not source.dtype.is_floating_point and source.dtype is not dtypes.int64:
            source = source.to(dtypes.int64)
        if self.ndim == 0:
            return source.clone()
        axis = self._dim(dim)
        size = self.shape[axis]
        rows = source.transpose(axis, -1).unsqueeze(-1)  # (..., n, 1): element m in row m
        up_to = self._constant(self._device.xp.triu(self._device.xp.ones((size, size), dtype=bool)))  # m <= j
        return rows.expand(*rows.shape[:-1], size).where(up_to, 1).prod(-2).transpose(axis, -1)

    def resize_as_(self, other):
        """``resize_`` to the shape of ``other``."""
        return self.resize_(other.shape)

    # ----------------------------------------------------------------- products and norms
    def outer(self, vec2):
        """The outer product of two vectors: ``out[i][j] = self[i] * vec2[j]``."""
        for name, vector in (("self", self), ("vec2", vec2)):
            if vector.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {vector.ndim}-D")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
        from tinygrad_edu.linalg import cross
        if dim is None:
            sizes = broadcast_shapes(self.shape, other.shape)
            dim = next((axis for axis, size in enumerate(sizes) if size == 3), None)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        return cross(self, other, dim=dim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The ``p``-norm over ``dim`` (all elements when None): 2 ('fro'), 1, inf, 0 or any number.

        >>> tensor([3.0, 4.0]).norm()
        tensor(5.)
        """
        from tinygrad_edu import linalg
        if p == "nuc":
            return linalg.matrix_norm(self, "nuc", (0, 1) if dim is None else dim, keepdim, dtype=dtype)
        if p == "fro":
            p = 2
        elif isinstance(p, str):
            raise RuntimeError(f"norm(): unknown p {p!r}: expected a number, 'fro' or 'nuc'")
        return linalg.vector_norm(self, p, dim, keepdim, dtype=dtype)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``; with beta=0, self is ignored (NaN does not spread)."""
        return self._add_scaled_product(mat1.mm(mat2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``beta * self + alpha * (batch1 @ batch2)`` for batches of matrices."""
        return self._add_scaled_product(batch1.bmm(batch2), beta, alpha)

    def _add_scaled_product(self, product, beta, alpha):
        added = self.expand(product.shape)
        if beta == 0:
            added = added.masked_fill(self._constant(self._device.xp.ones(product.shape, dtype=bool)), 0)
        elif beta != 1:
            added = added * beta
        return added + (product * alpha if alpha != 1 else product)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Draw ``num_samples`` indices per row, with probabilities proportional to the row."""
        from tinygrad_edu.creation import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    # ----------------------------------------------------------------- in-place forms of the ops above
    def _apply_inplace(self, out_of_place, *others):
        """``self = out_of_place(self, *others)`` in place; recorded (on a copy of the old value, see
        ``_rebase``) when a gradient flows, so ops that saved their input still see it."""
        self._check_inplace()
        others = [self._operand(other) for other in others]
        for other in others:
            self._check_broadcasts_into(other.shape)
        if graph._grad_mode.enabled and (self._requires_grad or any(other._requires_grad for other in others)):
            return self._rebase(lambda old: out_of_place(old, *others).to(self.dtype))
        self._device.xp.copyto(self._data, out_of_place(self, *others)._data, casting="same_kind")
        self._version_counter[0] += 1
        return self

    def floor_(self):
        return self._apply_inplace(Tensor.floor)

    def ceil_(self):
        return self._apply_inplace(Tensor.ceil)

    def trunc_(self):
        return self._apply_inplace(Tensor.trunc)

    fix_ = trunc_

    def round_(self, *, decimals=0):
        return self._apply_inplace(lambda old: old.round(decimals=decimals))

    def frac_(self):
        return self._apply_inplace(Tensor.frac)

    def sign_(self):
        return self._apply_inplace(Tensor.sign)

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def remainder_(self, other):
        return self._apply_inplace(Tensor.remainder, other)

    def fmod_(self, other):
        return self._apply_inplace(Tensor.fmod, other)

    def floor_divide_(self, other):
        return self._apply_inplace(Tensor.floor_divide, other)

    def erf_(self):
        return self._apply_inplace(Tensor.erf)

    def erfinv_(self):
        return self._apply_inplace(Tensor.erfinv)

    def cumprod_(self, dim):
        return self._apply_inplace(lambda old: old.cumprod(dim))

    # ----------------------------------------------------------------- in place
    def _check_inplace(self):
        if not graph._grad_mode.enabled:
            return
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if self._view is not None:
            _check_view_inplace(self, *self._view)

    def _rebase(self, compute):
        """Record an in-place op: compute it on a copy of the old value, then write it back here.

        The new node takes over this tensor's place in the graph; tensors computed from the
        old value keep their edges to the old node, as in torch.
        """
        if self._view is not None:
            return self._rebase_view(self._view, compute)
        old = Tensor._wrap(self._data.copy(), self._device, self._requires_grad)
        old.grad_fn, old._accumulator = self.grad_fn, self._accumulator
        result = compute(old)
        self._data[...] = result._data
        self.grad_fn, self._requires_grad = result.grad_fn, result._requires_grad
        self._version_counter[0] += 1
        return self

    def _rebase_view(self, view, compute):
        """Record an in-place op on a view: the base's graph gains a CopySlices node that writes the
        op's result into the viewed elements, and the view (with the views it was taken from) becomes
        a view of that node's output."""
        _check_view_inplace(self, *view, recording=True)
        base, steps = view[:2]
        old_base = Tensor._wrap(base._data.copy(), base._device, base._requires_grad)
        old_base.grad_fn, old_base._accumulator = base.grad_fn, base._accumulator
        result = compute(movement.replay_view(old_base, steps))
        new_base = movement.CopySlices.apply(old_base, result, steps=steps)
        self._data[...] = result._data
        base.grad_fn, base._requires_grad = new_base.grad_fn, new_base._requires_grad
        self._version_counter[0] += 1
        if base._version_counter is not self._version_counter:
            base._version_counter[0] += 1
        view_tensor = self
        while view_tensor is not None:
            view_tensor._replay_from_base()
            view_tensor = view_tensor._view[3]
        return self

    def _view_edge(self):
        """This view's node for an op recording it: replayed from the base first if the base changed in place
        since this view's grad_fn was made (torch regenerates such a view's grad_fn the same way)."""
        if self._view[5] != self._version_counter[0] and self._view[0]._requires_grad:
            self._replay_from_base()
        return self.grad_fn or self._gradient_edge()

    def _view_requires_grad(self):
        """Whether this view now requires grad: its base may have come to require it through an in-place op."""
        if self._view[5] != self._version_counter[0] and self._view[0]._requires_grad and graph._grad_mode.enabled:
            self._replay_from_base()
        return self._requires_grad

    def _replay_from_base(self):
        view = self._view
        self.grad_fn, self._requires_grad = movement.replay_view(view[0], view[1]).grad_fn, True
        self._view = view[:5] + (self._version_counter[0],)

    def _inplace(self, other, out_of_place, ufunc):
        """Apply ``self = out_of_place(self, other)`` in place; untracked, it is one ufunc call."""
        self._check_inplace()
        other = self._operand(other) if other is not None else None
        if other is not None:
            self._check_broadcasts_into(other._data.shape)
        tracked = graph._grad_mode.enabled and (self._requires_grad or (
            other is not None and other._requires_grad and self.dtype.is_floating_point))  # an integer result: no grad
        if tracked:
            return self._rebase(lambda old: out_of_place(old, other).to(self.dtype))
        quiet = silence_numpy_warnings()
        try:
            if other is None:
                ufunc(self._data, out=self._data)
            else:
                ufunc(self._data, other._data, out=self._data, casting="same_kind")
        except TypeError:  # NumPy refuses to write a float result into an integer or bool tensor
            raise self._cast_error(other) from None
        finally:
            restore_numpy_warnings(quiet)
        self._version_counter[0] += 1
        return self

    def _cast_error(self, other, name_of=lambda dtype: dtype.scalar_name):
        """torch's error for an in-place op whose (float) result cannot be stored in this tensor's dtype."""
        result = dtypes.get_default_dtype()
        if other is not None:
            promoted = dtypes.promote(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
            result = promoted if promoted.is_floating_point else result
        return RuntimeError(f"result type {result.scalar_name} can't be cast to the desired output type "
                            f"{name_of(self.dtype)}")

    def _check_broadcasts_into(self, shape):
        result = broadcast_shapes(self._data.shape, shape)
        if result != self._data.shape:
            raise RuntimeError(f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the broadcast "
                               f"shape [{', '.join(map(str, result))}]")

    def add_(self, other, *, alpha=1):
        """In-place ``self += alpha * other``."""
        return self._inplace(other * alpha if alpha != 1 else other, Tensor.__add__, self._device.xp.add)

    def sub_(self, other, *, alpha=1):
        """In-place ``self -= alpha * other``."""
        return self._inplace(other * alpha if alpha != 1 else other, Tensor.__sub__, self._device.xp.subtract)

    def mul_(self, other):
        return self._inplace(other, Tensor.__mul__, self._device.xp.multiply)

    def div_(self, other):
        return self._inplace(other, Tensor.__truediv__, self._device.xp.true_divide)

    def pow_(self, exponent):
        return self._inplace(exponent, Tensor.__pow__, self._device.xp.power)

    # ``x += y`` changes x in place, as in torch (without these Python would rebind x to a new tensor)
    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_
    __ifloordiv__, __imod__ = floor_divide_, remainder_

    def __iand__(self, other):
        return self._inplace(other, Tensor.__and__, self._device.xp.bitwise_and)

    def __ior__(self, other):
        return self._inplace(other, Tensor.__or__, self._device.xp.bitwise_or)

    def __ixor__(self, other):
        return self._inplace(other, Tensor.__xor__, self._device.xp.bitwise_xor)

    def neg_(self):
        self._check_not_bool_for_negation()
        return self._inplace(None, lambda old, _: -old, self._device.xp.negative)

    def _check_not_bool_for_negation(self):
        if self._data.dtype == numpy.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")

    def sqrt_(self):
        return self._inplace(None, lambda old, _: old.sqrt(), self._device.xp.sqrt)

    def exp_(self):
        return self._inplace(None, lambda old, _: old.exp(), self._device.xp.exp)

    def relu_(self):
        return self._inplace(0, lambda old, _: old.relu(), self._device.xp.maximum)

    def sigmoid_(self):
        if not self.dtype.is_floating_point:
            raise self._cast_error(None)
        return self.copy_(self.sigmoid())

    def tanh_(self):
        if not self.dtype.is_floating_point:
            raise self._cast_error(None)
        return self.copy_(self.tanh())

    def clamp_(self, min=None, max=None):
        if not graph._grad_mode.enabled or not self._requires_grad:
            self._check_inplace()
            try:
                self._device.xp.clip(self._data, min, max, out=self._data)
            except TypeError:  # a float bound for an integer tensor
                raise self._cast_error(None, lambda dtype: dtype.c_name) from None
            self._version_counter[0] += 1
            return self
        return self.copy_(self.clamp(min, max))

    clip_ = clamp_

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """In-place ``self += value * tensor1 * tensor2``."""
        return self.add_(tensor1 * tensor2, alpha=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """In-place ``self += value * tensor1 / tensor2``."""
        return self.add_(tensor1 / tensor2, alpha=value)

    def lerp_(self, end, weight):
        """In-place ``self += weight * (end - self)``."""
        return self.add_((end - self) * weight)

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + tensor1 * tensor2 * value

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + tensor1 / tensor2 * value

    def copy_(self, source):
        """Overwrite self with ``source`` (broadcast and cast to self's shape, dtype and device)."""
        if isinstance(source, Tensor) and source._device is not self._device:
            source = source.to(self._device)
        source = self._operand(source)
        return self._inplace(source, lambda old, other: (other + old * 0).to(self.dtype),
                             lambda target, values, out, casting: self._device.xp.copyto(out, values, casting="unsafe"))

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace()
        value_requires_grad = isinstance(value, Tensor) and value._requires_grad
        if graph._grad_mode.enabled and (self._requires_grad or value_requires_grad):
            return self.copy_(value.expand(self.shape) if isinstance(value, Tensor) else value)
        self._data.fill(value.item() if isinstance(value, Tensor) else value)
        self._version_counter[0] += 1
        return self

    def masked_fill_(self, mask, value):
        return self.copy_(self.masked_fill(mask, value)) if self._requires_grad else self._fill_where(mask, value)

    def _fill_where(self, mask, value):
        self._check_inplace()
        self._data[self._device.xp.broadcast_to(mask._data, self._data.shape)] = value
        self._version_counter[0] += 1
        return self

    def resize_(self, *sizes):
        """Give this tensor a new shape in place, keeping its leading elements (new ones are zero)."""
        self._check_inplace()
        shape = _unpack_shape(sizes)
        flat = self._data.reshape(-1)
        count = math.prod(shape)
        if count <= flat.size:
            self._data = flat[:count].reshape(shape)
        else:
            grown = self._device.xp.zeros(count, dtype=self._data.dtype)
            grown[:flat.size] = flat
            self._data = grown.reshape(shape)
        self._version_counter[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill in place with samples from U(a, b)."""
        from tinygrad_edu.creation import random_array
        return self._fill_random(random_array("uniform", self.shape, self.dtype, self._device, generator, a, b))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill in place with samples from N(mean, std**2)."""
        from tinygrad_edu.creation import random_array
        return self._fill_random(random_array("normal", self.shape, self.dtype, self._device, generator, mean, std))

    def bernoulli_(self, p=0.5, *, generator=None):
        from tinygrad_edu.creation import random_array
        draws = random_array("uniform", self.shape, self.dtype, self._device, generator, 0.0, 1.0)
        return self._fill_random((draws < p).astype(self._data.dtype))

    def _fill_random(self, values):
        self._check_inplace()
        self._data[...] = values
        self._version_counter[0] += 1
        return self

    # ----------------------------------------------------------------- new tensors like this one
    def new(self, *args, device=None):
        """The legacy constructor: ``t.new(2, 3)`` (uninitialised) or ``t.new(data)``, with
        this tensor's dtype and device; prefer ``new_empty`` and ``new_tensor``."""
        return legacy_new(args, self.dtype, self._device if device is None else Device(device))

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from tinygrad_edu.creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_filled(size, 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_filled(size, 1, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new_filled((size,), fill_value, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_filled(size, 0, dtype, device, requires_grad)

    def _new_filled(self, size, value, dtype, device, requires_grad):
        from tinygrad_edu.creation import full
        return full(_unpack_shape(size), value, dtype=dtype or self.dtype, device=device or self._device,
                    requires_grad=requires_grad)


# --------------------------------------------------------------------- module-level helpers
def where(condition, input, other):
    """Elements of ``input`` where ``condition`` is True, else of ``other`` (broadcast together)."""
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition.dtype is not dtypes.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype.scalar_name}")
    if not isinstance(input, Tensor):
        input = other._operand(input) if isinstance(other, Tensor) else condition._operand(input)
    x, y = input._broadcast(other)
    if condition._device is not x._device:
        _raise_device_mismatch(condition._device, x._device)
    shape = broadcast_shapes(broadcast_shapes(x.shape, y.shape), condition.shape)
    if graph._grad_mode.enabled:
        x = x.expand(shape) if x._requires_grad else x
        y = y.expand(shape) if y._requires_grad else y
    return elementwise.Where.apply(x, y, condition=condition._data)


def legacy_new(args, dtype, device):
    """What ``Tensor.new`` and the legacy types (``FloatTensor(...)``) make of their arguments:
    sizes give an uninitialised tensor, data a copy, a tensor of the same type a view of it."""
    from tinygrad_edu.creation import empty, tensor
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if (other.dtype, other._device.type) != (dtype, device.type):
            raise TypeError(f"expected TensorOptions(dtype={dtype.c_name}, device={device.type}) "
                            f"(got TensorOptions(dtype={other.dtype.c_name}, device={other._device.type}))")
        return other.detach()
    if not args or all(isinstance(size, int) for size in args) or (len(args) == 1 and isinstance(args[0], Size)):
        return empty(_unpack_shape(args) if args else (0,), dtype=dtype, device=device)
    if len(args) == 1:
        return tensor(args[0], dtype=dtype, device=device)
    raise TypeError(f"new() received an invalid combination of arguments - got "
                    f"({', '.join(type(arg).__name__ for arg in args)})")


def broadcast_shapes(a, b):
    """The shape two shapes broadcast to, or torch's error naming the clashing sizes."""
    if a == b or not b:
        return tuple(a)
    if not a:
        return tuple(b)
    ndim = max(len(a), len(b))
    a_padded, b_padded = (1,) * (ndim - len(a)) + tuple(a), (1,) * (ndim - len(b)) + tuple(b)
    shape = []
    for axis, (size_a, size_b) in enumerate(zip(a_padded, b_padded)):
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise RuntimeError(f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) at "
                               f"non-singleton dimension {axis}")
        shape.append(size_b if size_a == 1 else size_a)
    return tuple(shape)


def _check_matmul_shapes(a, b):
    if a[-1] != b[-2]:
        rows_a = math.prod(a[:-1]) if len(a) > 2 and len(b) == 2 else a[-2]
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows_a}x{a[-1]} and {b[-2]}x{b[-1]})")


def _multiple_views(pieces, name):
    """Mark views that one op returned together (split, unbind): torch refuses in-place ops on them."""
    for index, piece in enumerate(pieces):
        if piece._view is not None:
            piece._view = piece._view[:4] + ((name, index),) + piece._view[5:]
    return tuple(pieces)


def _check_view_inplace(view, base, steps, made_with_grad, parent, multi_output, version, recording=False):
    """torch's refusals for an in-place op on a view while grad mode records."""
    if multi_output is not None and (recording or view._requires_grad):
        name, index = multi_output
        raise RuntimeError(f"Output {index} of {name} is a view and is being modified inplace. This view is the "
                           "output of a function that returns multiple views. Such functions do not allow the output "
                           "views to be modified inplace. You should replace the inplace operation by an "
                           "out-of-place one.")
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if not made_with_grad and (recording or base._requires_grad):
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
            "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both "
            "the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
            "tracked) or both outside (if you want the inplace to be tracked).")
    if any(stride == 0 and size > 1 for stride, size in zip(view._data.strides, view._data.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")


def _unpack_shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    shape = tuple(int(s) for s in shape)
    unknown = [axis for axis, size in enumerate(shape) if size == -1]
    for axis, size in enumerate(shape):
        if size < -1:
            raise RuntimeError(f"invalid shape dimension {size} at index {axis} of shape {_bracketed(shape)}")
    known = math.prod(size for size in shape if size != -1)
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if unknown and not known and not numel:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_bracketed(shape)} because the "
                           "unspecified dimension size -1 can be any value and is ambiguous")
    if unknown and known and numel % known == 0:
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif unknown or known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    _check_numel_fits(shape)
    return shape


def _check_numel_fits(shape):
    """A shape whose element count overflows int64 on the way (an empty one can: 2**40 * 2**40 * 0)."""
    count = 1
    for size in shape:
        count *= size
        if count > 2 ** 63 - 1:
            raise RuntimeError("numel: integer multiplication overflow")


def _expanded_shape(shape, sizes, tensor):
    """The shape ``tensor`` (of shape ``shape``) expands to; its dtype only names it in errors."""
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.{tensor.dtype.tensor_type_name}{{[{', '.join(map(str, shape))}]}}, "
                           f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) "
                           f"must be greater or equal to the number of dimensions in the tensor ({len(shape)})")
    padded = (None,) * (len(sizes) - len(shape)) + tuple(shape)
    result = []
    for axis, (old, new) in enumerate(zip(padded, sizes)):
        if new == -1:
            if old is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {axis}")
            new = old
        elif old is not None and old != 1 and old != new:
            raise RuntimeError(f"The expanded size of the tensor ({new}) must match the existing size ({old}) at "
                               f"non-singleton dimension {axis}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                               f"Tensor sizes: [{', '.join(map(str, shape))}]")
        result.append(new)
    return tuple(result)


def _rebuild_tensor(array, device, requires_grad):
    return Tensor._wrap(array, device, requires_grad)


def _deepcopy_array(array, memo):
    """A deep copy of ``array``; a view of a NumPy array becomes a view of that array's (memoised) copy."""
    root = array
    while isinstance(root.base, numpy.ndarray):
        root = root.base
    if root is array or not root.flags.c_contiguous:
        return copy.deepcopy(array, memo)
    root_copy = copy.deepcopy(root, memo)
    offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return numpy.ndarray(array.shape, array.dtype, buffer=root_copy, offset=offset, strides=array.strides)


def _checked_divisor(dividend, divisor):
    """Integer division by zero raises, as in torch (NumPy would give 0 with a warning)."""
    if not divisor.dtype.is_floating_point and not bool(divisor._data.all()):
        raise RuntimeError("ZeroDivisionError")
    return dividend, divisor


def _softmax_dim(dim, ndim):
    if dim is not None:
        return dim
    return 0 if ndim in (0, 1, 3) else 1


def _plain_index(item):
    """NumPy's scalars as Python's, a ``range`` as a list: indices torch accepts too."""
    if isinstance(item, numpy.integer):
        return int(item)
    return list(item) if isinstance(item, range) else item


def _index_array(tensor):
    if tensor.dtype.is_floating_point:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return tensor._data


def _tensor_from(data, device):
    from tinygrad_edu.creation import tensor
    return tensor(data, device=device)


def _bracketed(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


Function._Tensor = Tensor
