"""Functions that make tensors: from data, filled with constants, ranges, and random draws."""
import math

import numpy

from tinygrad_edu import dtypes
from tinygrad_edu.device import CPU, Device, device_of_array, get_default_device
from tinygrad_edu.device_ops import move_array
from tinygrad_edu.random import numpy_generator
from tinygrad_edu.tensor import Tensor, _unpack_shape


def resolve_device(device):
    return get_default_device() if device is None else Device(device)


def _finish(array, device, requires_grad):
    result = Tensor._wrap(array, device)
    if requires_grad:
        result.requires_grad = True
    return result


def array_from_data(data, dtype, device):
    """An array on ``device`` holding ``data`` (numbers, nested lists, arrays or tensors)."""
    if isinstance(data, Tensor):
        array = data._data if data.device == device else data.to(device)._data
        return array.astype(dtype.numpy) if dtype is not None else array.copy()
    if _is_gpu_array(data):
        array = move_array(data, device)  # always a copy
        return array if dtype is None else array.astype(dtype.numpy, copy=False)
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in _flatten(data)):
        data = _nested_tensors_to_lists(data)
    host = numpy.array(data)
    if dtype is None:
        dtype = _inferred_dtype(data, host)
    if host.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    host = host.astype(dtype.numpy, copy=False)
    return move_array(host, device)


def _is_gpu_array(data):
    return hasattr(data, "__cuda_array_interface__")


def _flatten(data):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def _nested_tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested_tensors_to_lists(item) for item in data]
    return data


def _inferred_dtype(data, host):
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        return dtypes.from_numpy_dtype(host.dtype)
    if host.dtype.kind == "f":
        return dtypes.get_default_dtype()
    if host.dtype.kind in "iu":
        return dtypes.int64
    if host.dtype.kind == "b":
        return dtypes.bool_
    if host.size == 0:
        return dtypes.get_default_dtype()
    return dtypes.from_numpy_dtype(host.dtype)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data``.

    Python floats give the default dtype (float32), ints give int64, bools give bool;
    a NumPy array keeps its dtype.

    >>> tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tensor([[1., 2.],
            [3., 4.]], requires_grad=True)
    """
    if device is None and (isinstance(data, Tensor) or _is_gpu_array(data)):
        target = data.device if isinstance(data, Tensor) else device_of_array(data)
    else:
        target = resolve_device(device)
    array = array_from_data(data, dtypes.as_dtype(dtype), target)
    return _finish(array.copy() if not isinstance(data, Tensor) and array is data else array, target, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor``, but shares memory with a NumPy array or tensor when nothing must change."""
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) is data.dtype) \
            and (device is None or Device(device) == data.device):
        return data
    if isinstance(data, numpy.ndarray) and (dtype is None or dtypes.as_dtype(dtype).numpy == data.dtype) \
            and resolve_device(device).type == "cpu":
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array, Device("cpu"))


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any array that speaks DLPack: NumPy, PyTorch, CuPy, JAX...

    Changes through either side show in the other (no copy is made).

    >>> array = numpy.zeros(3)
    >>> t = from_dlpack(array)
    >>> t[0] = 1.0      # array is now [1., 0., 0.]
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack_device__"):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ and __dlpack_device__ (a NumPy, PyTorch or "
                        f"CuPy array), not {type(ext_tensor).__name__}")
    kind, index = ext_tensor.__dlpack_device__()
    if kind == DLPACK_CPU:
        target = CPU
    elif kind == DLPACK_CUDA:
        target = Device("cuda", int(index))
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {kind} (only CPU and CUDA memory)")
    array = target.xp.from_dlpack(ext_tensor)
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array, target)


DLPACK_CPU, DLPACK_CUDA = 1, 2


def _filled(size, value, dtype, device, requires_grad, default_dtype=None):
    dtype = dtypes.as_dtype(dtype) or default_dtype or dtypes.get_default_dtype()
    target = resolve_device(device)
    shape = _unpack_shape(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: [{', '.join(map(str, shape))}]")
    with target.selected():
        return _finish(target.xp.full(shape, value, dtype=dtype.numpy), target, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor whose values are not set (here: zeros)."""
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64 or float)."""
    default = dtypes.python_scalar_dtype(fill_value) if isinstance(fill_value, (bool, int, float)) else None
    return _filled(size if isinstance(size, (tuple, list)) else (size,), fill_value, dtype, device,
                   requires_grad, default)


def _like(input, dtype):
    return dtypes.as_dtype(dtype) or input.dtype


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    return zeros(input.shape, dtype=_like(input, dtype), device=device or input.device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    return ones(input.shape, dtype=_like(input, dtype), device=device or input.device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, dtype=_like(input, dtype), device=device or input.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` by ``step``."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    numbers = (start, end, step)
    is_float = any(isinstance(n, float) for n in numbers)
    dtype = dtypes.as_dtype(dtype) or (dtypes.get_default_dtype() if is_float else dtypes.int64)
    count = max(0, math.ceil((end - start) / step))
    target = resolve_device(device)
    with target.selected():
        array = (target.xp.arange(count, dtype=numpy.float64) * step + start).astype(dtype.numpy)
    return _finish(array, target, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    target = resolve_device(device)
    with target.selected():
        return _finish(target.xp.linspace(start, end, steps).astype(dtype.numpy), target, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    target = resolve_device(device)
    with target.selected():
        return _finish(target.xp.eye(n, m, dtype=dtype.numpy), target, requires_grad)


def random_array(kind, shape, dtype, device, generator, a=0.0, b=1.0):
    """Draw an array from the seeded generator: 'uniform' on [a, b) or 'normal'(mean=a, std=b)."""
    rng = numpy_generator(generator)
    if kind == "uniform":
        host = rng.random(tuple(shape), dtype=numpy.float64) * (b - a) + a
    else:
        host = rng.standard_normal(tuple(shape), dtype=numpy.float64) * b + a
    host = host.astype(dtype.numpy, copy=False)
    return move_array(host, device)


def _random(kind, size, dtype, device, requires_grad, generator):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"{kind}\" not implemented for '{dtype.name}'")
    target = resolve_device(device)
    return _finish(random_array(kind, _unpack_shape(size), dtype, target, generator), target, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers on [0, 1), from the seeded generator."""
    return _random("uniform", size, dtype, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random numbers, from the seeded generator."""
    return _random("normal", size, dtype, device, requires_grad, generator)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, dtype=_like(input, dtype), device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, dtype=_like(input, dtype), device=device or input.device, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers from ``low`` (inclusive) to ``high`` (exclusive): ``randint(10, (3,))``."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    target = resolve_device(device)
    host = numpy_generator(generator).integers(low, high, size=tuple(size)).astype(dtype.numpy)
    return _finish(move_array(host, target), target, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    return randint(low, high, input.shape, dtype=_like(input, dtype), device=device or input.device)


def randperm(n, *, generator=None, dtype=None, device=None):
    """A random permutation of 0..n-1."""
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    target = resolve_device(device)
    host = numpy_generator(generator).permutation(n).astype(dtype.numpy)
    return _finish(move_array(host, target), target, False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal random numbers: tensor or float ``mean``/``std`` (broadcast), or a ``size`` for floats."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        reference = mean if isinstance(mean, Tensor) else std
        shape = numpy.broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        noise = randn(shape, generator=generator, dtype=reference.dtype, device=reference.device)
        return (noise * std + mean).detach()
    result = randn(size, generator=generator, dtype=dtype, device=device)
    return _finish((result._data * std + mean).astype(result._data.dtype), result.device, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise), else 0."""
    draws = random_array("uniform", input.shape, input.dtype, input.device, generator)
    return Tensor._wrap((draws < (input._data if p is None else p)).astype(input._data.dtype), input.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` indices per row with probabilities proportional to ``input``.

    Without replacement, each row's draws are distinct, and zero-probability indices come only once
    the others are used up, as in torch.
    """
    rows = _probability_rows(input, num_samples, replacement)
    rng = numpy_generator(generator)
    if replacement:
        picks = [rng.choice(rows.shape[1], num_samples, p=row / row.sum()) for row in rows]
    else:  # the largest p / Exponential(1) keys: a draw without replacement, as torch makes it
        keys = rows / rng.exponential(size=rows.shape)
        picks = numpy.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    result = numpy.asarray(picks, dtype=numpy.int64).reshape(*input.shape[:-1], num_samples)
    return Tensor._wrap(move_array(result, input.device), input.device)


def _probability_rows(input, num_samples, replacement):
    """``input`` as float64 rows of probabilities, checked with torch's messages."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.scalar_name}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = input.detach().numpy(force=True).reshape(-1, input.shape[-1]).astype(numpy.float64)
    if not numpy.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    return rows
