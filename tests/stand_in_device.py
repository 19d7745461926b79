"""A strict stand-in for CuPy: the GPU code path, checked on a machine without a GPU.

``install(monkeypatch)`` makes ``tinygrad_edu`` find this module where it looks for
CuPy, so ``device("cuda")`` and ``device("cuda:1")`` run the real CUDA code path on
arrays that live in host memory but behave like CuPy's where a leak would hide:

- converting one to NumPy implicitly (``numpy.asarray(a)``, ``numpy.array(a)``) raises
  CuPy's ``TypeError``; only ``a.get()`` copies to the host;
- mixing one with a NumPy array in any operation (``a + numpy_array``, ``numpy.add``,
  ``numpy.concatenate``, indexing with a NumPy index) raises ``TypeError: Unsupported type``;
- full reductions give 0-d arrays, never NumPy scalars; ``flags`` has no ``writeable``;
  ufuncs have no ``.at`` (``cupyx.scatter_add`` is the way); ``indices`` has no ``sparse``;
  there is no ``__index__``; ``random`` is absent (numbers come from the seeded host generator);
- every array remembers its GPU, and computing on an array that is not on the current
  GPU raises CuPy's ``ValueError``, as does mixing arrays of two GPUs.

Only the tests use it; the library never imports it.
"""
import contextlib
import functools
import importlib
import types

import numpy
import pytest

device_module = importlib.import_module("tinygrad_edu.device")  # the module (``tinygrad_edu.device`` is the class)

IMPLICIT_CONVERSION = ("Implicit conversion to a NumPy array is not allowed. "
                       "Please use `.get()` to construct a NumPy array explicitly.")
GPU_COUNT = 2
MISSING = {"random", "errstate", "seterr", "geterr", "add_newdoc", "testing", "ma", "char", "rec", "ctypeslib"}
SUBMODULES = {"linalg": numpy.linalg, "lib": numpy.lib, "fft": numpy.fft}
UNSUPPORTED_KEYWORDS = {"indices": {"sparse"}}
HOST_TO_DEVICE = {"asarray", "array", "asanyarray"}
SCATTER_ADD_DTYPES = {numpy.dtype(name) for name in ("float16", "float32", "float64", "int32", "uint32", "uint64")}


class _Current:
    """The GPU that new arrays go to and kernels run on (CuPy's current device), and how many
    times the host has waited for a GPU result (``item``, ``bool``, ``float``, ``get``...)."""
    index = 0
    host_syncs = 0


@contextlib.contextmanager
def count_host_syncs():
    """``with count_host_syncs() as syncs: ...``; then ``syncs()`` is how many host round trips ran inside."""
    start = _Current.host_syncs
    finished = []
    yield lambda: (finished[0] if finished else _Current.host_syncs) - start
    finished.append(_Current.host_syncs)


def _synced():
    _Current.host_syncs += 1


def _check_device(device_id):
    if device_id != _Current.index:
        raise ValueError(f"Array device must be same as the current device: array device = {device_id} while "
                         f"current = {_Current.index}")


def _unwrap(value, devices):
    """The NumPy array behind a stand-in array; a NumPy array here is a leak."""
    if isinstance(value, StandInArray):
        devices.add(value._device_id)
        return value._array
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(value)}")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item, devices) for item in value)
    return value


def _unwrap_call(args, kwargs):
    devices = set()
    args = [_unwrap(arg, devices) for arg in args]
    kwargs = {key: _unwrap(value, devices) for key, value in kwargs.items()}
    if len(devices) > 1:
        raise ValueError(f"Array device must be same as the current device: arrays on devices {sorted(devices)}")
    for device_id in devices:
        _check_device(device_id)
    return args, kwargs


def _wrap(result):
    """NumPy results as stand-in arrays (a NumPy scalar becomes a 0-d array, as in CuPy)."""
    if isinstance(result, numpy.ndarray):
        return StandInArray(result)
    if isinstance(result, numpy.generic):
        return StandInArray(numpy.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(item) for item in result)
    if isinstance(result, list):
        return [_wrap(item) for item in result]
    return result


def _call(function, args, kwargs, owner=None):
    """Call a NumPy function on the arrays behind stand-in arrays; a result that is one of its
    inputs (``astype(copy=False)``, ``asarray``) comes back as that same stand-in array, as in CuPy."""
    originals = [value for value in (owner, *args, *kwargs.values()) if isinstance(value, StandInArray)]
    args, kwargs = _unwrap_call(args, kwargs)
    with numpy.errstate(all="ignore"):  # a GPU does not warn about log(0) or 0/0
        result = function(*args, **kwargs)
    for original in originals:
        if result is original._array:
            return original
    return _wrap(result)


class _Flags:
    """CuPy's flags: contiguity and ownership only (no ``writeable``)."""

    def __init__(self, flags):
        self.c_contiguous, self.f_contiguous, self.owndata = flags.c_contiguous, flags.f_contiguous, flags.owndata


class _CudaDevice:
    """``cupy.cuda.Device``: an index, and a context that makes it the current GPU."""

    def __init__(self, index=None):
        self.id = _Current.index if index is None else int(index)
        if not 0 <= self.id < GPU_COUNT:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")
        self._previous = []

    def __enter__(self):
        self._previous.append(_Current.index)
        _Current.index = self.id
        return self

    def __exit__(self, *exc_info):
        _Current.index = self._previous.pop()

    def use(self):
        _Current.index = self.id

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, _CudaDevice) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class StandInArray:
    """A device array: NumPy memory behind an interface that refuses to leak to NumPy."""

    __slots__ = ("_array", "_device_id", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, array, device_id=None):
        assert type(array) is numpy.ndarray, type(array)
        self._array = array
        self._device_id = _Current.index if device_id is None else device_id

    # -- refusing NumPy
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            raise TypeError(f"stand-in device: ufunc.{method} is not supported (use cupyx.scatter_add for add.at)")
        return _ufunc_call(ufunc, inputs, kwargs)

    def __array_function__(self, function, types_, args, kwargs):
        return _call(function, args, kwargs)

    def get(self, stream=None, order="C", out=None):
        """A NumPy copy in host memory: the one explicit way out."""
        _synced()
        return self._array.copy()

    # -- attributes
    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)
    ndim = property(lambda self: self._array.ndim)
    size = property(lambda self: self._array.size)
    itemsize = property(lambda self: self._array.itemsize)
    nbytes = property(lambda self: self._array.nbytes)
    strides = property(lambda self: self._array.strides)
    flags = property(lambda self: _Flags(self._array.flags))
    device = property(lambda self: _CudaDevice(self._device_id))
    T = property(lambda self: StandInArray(self._array.T, self._device_id))
    mT = property(lambda self: StandInArray(numpy.swapaxes(self._array, -1, -2), self._device_id))

    @shape.setter
    def shape(self, value):
        self._array.shape = value

    @property
    def base(self):
        base = self._array.base
        return StandInArray(base, self._device_id) if isinstance(base, numpy.ndarray) else None

    def __getattr__(self, name):
        if name not in _ARRAY_METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        method = getattr(self._array, name)

        @functools.wraps(method)
        def call(*args, **kwargs):
            _check_device(self._device_id)
            return _call(method, args, kwargs, owner=self)
        return call

    # -- conversions that CuPy allows (each one waits for the GPU)
    def item(self):
        _synced()
        return self._array.item()

    def tolist(self):
        _synced()
        return self._array.tolist()

    def __bool__(self):
        _synced()
        return bool(self._array)

    def __float__(self):
        _synced()
        return float(self._array)

    def __int__(self):
        _synced()
        return int(self._array)

    def __complex__(self):
        _synced()
        return complex(self._array)

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return (_wrap(row) for row in self._array)

    def __repr__(self):
        return "stand_in." + repr(self._array)

    # -- DLPack: the memory is host memory, announced as the GPU's (as a CuPy array announces its own)
    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (2, self._device_id)

    @property
    def __cuda_array_interface__(self):
        interface = self._array.__array_interface__
        return {"shape": interface["shape"], "typestr": interface["typestr"], "data": interface["data"],
                "strides": interface["strides"], "version": 3}

    # -- indexing
    def __getitem__(self, index):
        _check_device(self._device_id)
        return _wrap(self._array[_index(index)])

    def __setitem__(self, index, value):
        _check_device(self._device_id)
        (value,), _ = _unwrap_call((value,), {})
        self._array[_index(index)] = value


def _index(index):
    items = index if isinstance(index, tuple) else (index,)
    unwrapped = []
    for item in items:
        if isinstance(item, (list, numpy.ndarray)):
            raise TypeError(f"stand-in device: index with a device array, not {type(item).__name__} "
                            "(CuPy would copy it to the GPU on every call)")
        unwrapped.append(item._array if isinstance(item, StandInArray) else item)
    return tuple(unwrapped) if isinstance(index, tuple) else unwrapped[0]


def _ufunc_call(ufunc, inputs, kwargs):
    out = kwargs.get("out")
    if out is not None:
        kwargs = dict(kwargs, out=tuple(out) if isinstance(out, tuple) else (out,))
    result = _call(ufunc, inputs, kwargs)
    if out is not None:
        return out
    return result


def _binary(ufunc, reflected=False):
    def operator(self, other):
        if not isinstance(other, (StandInArray, numpy.ndarray, numpy.generic, int, float, bool, complex)):
            return NotImplemented
        return _ufunc_call(ufunc, (other, self) if reflected else (self, other), {})
    return operator


def _inplace(ufunc):
    def operator(self, other):
        _ufunc_call(ufunc, (self, other), {"out": self})
        return self
    return operator


def _unary(ufunc):
    return lambda self: _ufunc_call(ufunc, (self,), {})


_BINARY = {"add": numpy.add, "sub": numpy.subtract, "mul": numpy.multiply, "truediv": numpy.true_divide,
           "floordiv": numpy.floor_divide, "mod": numpy.remainder, "pow": numpy.power, "matmul": numpy.matmul,
           "and": numpy.bitwise_and, "or": numpy.bitwise_or, "xor": numpy.bitwise_xor,
           "lshift": numpy.left_shift, "rshift": numpy.right_shift}
for _name, _ufunc in _BINARY.items():
    setattr(StandInArray, f"__{_name}__", _binary(_ufunc))
    setattr(StandInArray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    setattr(StandInArray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in {"eq": numpy.equal, "ne": numpy.not_equal, "lt": numpy.less, "le": numpy.less_equal,
                      "gt": numpy.greater, "ge": numpy.greater_equal}.items():
    setattr(StandInArray, f"__{_name}__", _binary(_ufunc))
for _name, _ufunc in {"neg": numpy.negative, "pos": numpy.positive, "abs": numpy.absolute,
                      "invert": numpy.invert}.items():
    setattr(StandInArray, f"__{_name}__", _unary(_ufunc))

_ARRAY_METHODS = set("""all any argmax argmin argsort astype clip conj copy cumprod cumsum diagonal dot fill flatten
    max mean min nonzero prod ravel repeat reshape round sort squeeze std sum swapaxes take trace transpose var
    view""".split())


class _Ufunc:
    """A CuPy ufunc: callable, with no ``.at`` (use ``cupyx.scatter_add``)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout = ufunc.nin, ufunc.nout

    def __call__(self, *args, **kwargs):
        return _ufunc_call(self._ufunc, args, kwargs)


def _function(name, function):
    unsupported = UNSUPPORTED_KEYWORDS.get(name, set())

    @functools.wraps(function)
    def call(*args, **kwargs):
        for keyword in unsupported & set(kwargs):
            raise TypeError(f"{name}() got an unexpected keyword argument '{keyword}'")
        return _call(function, args, kwargs)
    return call


def _host_to_device(name):
    """``asarray``/``array``: the explicit copies from the host (NumPy arrays welcome)."""
    def convert(value, dtype=None, copy=None, order=None, **kwargs):
        if isinstance(value, StandInArray):
            same_device = value._device_id == _Current.index
            if name != "array" and same_device and (dtype is None or numpy.dtype(dtype) == value.dtype):
                return value
            return StandInArray(value._array.astype(dtype or value.dtype, copy=True))
        host = numpy.array(value, dtype=dtype, copy=True)
        return StandInArray(host)
    convert.__name__ = name
    return convert


def _scatter_add(array, index, values):
    """``cupyx.scatter_add``: NumPy's ``add.at`` on the device."""
    if array.dtype not in SCATTER_ADD_DTYPES:
        raise TypeError(f"scatter_add does not support {array.dtype}")
    (array, values), _ = _unwrap_call((array, values), {})
    numpy.add.at(array, _index(index), values)


def _from_dlpack(source):
    """``cupy.from_dlpack``: zero-copy from anything that speaks DLPack (here: host memory)."""
    class HostView:
        def __dlpack__(self, **kwargs):
            return source.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return (1, 0)
    return StandInArray(numpy.from_dlpack(HostView()))


class StandInCupy(types.ModuleType):
    """The ``cupy`` module of the stand-in device: NumPy's functions, returning stand-in arrays."""

    def __init__(self):
        super().__init__("cupy")
        self.ndarray = StandInArray
        self.cuda = types.SimpleNamespace(
            Device=_CudaDevice,
            runtime=types.SimpleNamespace(getDeviceCount=lambda: GPU_COUNT, getDevice=lambda: _Current.index,
                                          deviceSynchronize=lambda: None))
        for name, submodule in SUBMODULES.items():
            setattr(self, name, _Namespace(submodule))
        self.asnumpy = lambda array: array.get()
        self.get_array_module = lambda *arrays: self
        self.from_dlpack = _from_dlpack
        for name in HOST_TO_DEVICE:
            setattr(self, name, _host_to_device(name))
        self.cupyx = types.SimpleNamespace(scatter_add=_scatter_add)
        for name in ("sort", "argsort"):  # CuPy's sorts are always stable (kind=None means 'stable')
            setattr(self, name, _function(name, functools.partial(getattr(numpy, name), kind="stable")))

    def __getattr__(self, name):
        if name in MISSING or name.startswith("__"):
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        value = getattr(numpy, name)
        if isinstance(value, numpy.ufunc):
            value = _Ufunc(value)
        elif callable(value) and not isinstance(value, type):
            value = _function(name, value)
        elif isinstance(value, types.ModuleType):
            raise AttributeError(f"stand-in device: submodule cupy.{name} is not provided")
        setattr(self, name, value)
        return value


class _Namespace(types.SimpleNamespace):
    """A CuPy submodule (``cupy.linalg``, ``cupy.lib.stride_tricks``): NumPy's, on stand-in arrays."""

    def __init__(self, source):
        super().__init__()
        self._source = source

    def __getattr__(self, name):
        value = getattr(self._source, name)
        return _Namespace(value) if isinstance(value, types.ModuleType) else _function(name, value)


def forget_loaded_modules():
    """Make every CUDA device look up its array module again (after the CuPy lookup changed)."""
    for known in list(device_module.Device._cache.values()):
        if known.type == "cuda":
            with contextlib.suppress(AttributeError):
                del known.xp


def install(monkeypatch):
    """Make ``tinygrad_edu`` use the stand-in wherever it would use CuPy; returns the stand-in module."""
    module = StandInCupy()
    monkeypatch.setattr(device_module, "_import_cupy", lambda: module)
    monkeypatch.setattr(device_module, "_import_cupyx", lambda: module.cupyx)
    forget_loaded_modules()
    _Current.index = 0
    return module


def stand_in_fixture(monkeypatch):
    """The stand-in CUDA device for one test: ``device("cuda")`` works, backed by ``StandInCupy``.

    In a test module: ``from stand_in_device import stand_in``, then ask for the ``stand_in`` fixture.
    """
    module = install(monkeypatch)
    yield module
    monkeypatch.undo()
    forget_loaded_modules()


stand_in = pytest.fixture(stand_in_fixture, name="stand_in")


# --------------------------------------------------------------------------- the whole suite on a CUDA device
TESTS_DIRECTORY = __file__.rsplit("/", 1)[0] + "/"


def run_suite_on_stand_in():
    """``pytest --device stand_in``: every tensor the tests make without ``device=`` lands on the stand-in."""
    install(pytest.MonkeyPatch())
    run_suite_on_cuda()


def run_suite_on_cuda():
    """``pytest --device cuda`` (real CuPy, or the stand-in once installed): tensors made without
    ``device=`` land on ``cuda``.

    The tests read results with ``.numpy()``, which torch refuses on a GPU tensor; here it
    gives the tests (and only them: calls from the library still raise) a read-only host copy.
    """
    from tinygrad_edu import Tensor, set_default_device
    set_default_device("cuda")
    original_numpy = Tensor.numpy

    def numpy_for_tests(self, *, force=False):
        if self._device.type != "cpu" and not (self._requires_grad and not force) and _called_from_tests():
            return _read_only_host_copy(self)
        return original_numpy(self, force=force)

    def array_for_tests(self, dtype=None, copy=None):
        array = _read_only_host_copy(self) if self._device.type != "cpu" and _called_from_tests() else \
            original_numpy(self)
        return array if dtype is None else array.astype(dtype)

    SESSION_PATCHES.update(numpy=original_numpy, __array__=Tensor.__array__)
    Tensor.numpy, Tensor.__array__ = numpy_for_tests, array_for_tests


SESSION_PATCHES = {}


def cpu_session_fixture(monkeypatch):
    """Undo, for one test, what ``--device stand_in`` or ``cuda`` changed: CPU by default, torch's strict
    ``numpy()``."""
    from tinygrad_edu import Tensor, get_default_device, set_default_device
    previous = get_default_device()
    set_default_device("cpu")
    for name, method in SESSION_PATCHES.items():
        monkeypatch.setattr(Tensor, name, method)
    yield
    set_default_device(previous)


SHARED_MEMORY = "reads a tensor's storage through .numpy(), which shares memory only on the CPU"
PRINTS_DEVICE = "compares a repr or a drawing with torch's CPU one (a CUDA tensor names its device)"
CPU_BATCHES = "feeds DataLoader batches (CPU tensors, as in torch) to the model without moving them"
NUMPY_INTEROP = "NumPy functions on tensors: torch refuses them for a CUDA tensor, as we do"
CPU_LENGTHS = "builds packed-sequence lengths on the default device; torch takes lengths on the CPU only"
WITHOUT_A_GPU = "checks what torch does on a machine without CUDA"
NO_MULTIPLY_AT = "CuPy has no multiply.at: scatter(reduce='multiply') runs on the CPU only"
DEEPCOPY_VIEWS = "deepcopy keeps views of one storage together through NumPy's array bases (CPU only)"
CPU_ONLY = {
    "test_tensor_ops_more.py::test_numpy_functions_on_tensors_like_torch": NUMPY_INTEROP,
    "test_tensor_ops_more.py::test_numpy_array_copies_and_asarray_shares": NUMPY_INTEROP,
    "test_tensor_ops_more.py::test_error_like_torch[np_asarray_requires_grad-tinygrad_edu]": NUMPY_INTEROP,
    "test_tensor_ops_more.py::test_deepcopy_keeps_views_of_one_storage_together": DEEPCOPY_VIEWS,
    "test_tensor_ops_more.py::test_op_float64[scatter_reduce_multiply]": NO_MULTIPLY_AT,
    "test_tensor_ops_more.py::test_op_float32[scatter_reduce_multiply]": NO_MULTIPLY_AT,
    "test_packed_sequence.py::test_pack_and_pad_round_trip_matches_torch": CPU_LENGTHS,
    "test_packed_sequence.py::test_pack_sequence_and_unpack_sequence_match_torch": CPU_LENGTHS,
    "test_packed_sequence.py::test_unpad_sequence_matches_torch": CPU_LENGTHS,
    "test_packed_sequence.py::test_packed_sequence_behaves_like_torchs": CPU_LENGTHS,
    "test_compat.py::test_grad_scaler_on_cuda_without_a_gpu_turns_itself_off_as_torch": WITHOUT_A_GPU,
    "test_compat.py::test_autocast_runs_the_block_and_on_cuda_without_a_gpu_disables_itself_as_torch": WITHOUT_A_GPU,
    "test_distributions.py::test_invalid_parameters_raise_torchs_value_error": PRINTS_DEVICE,
    "test_distributions.py::test_values_outside_the_support_raise_torchs_value_error": PRINTS_DEVICE,
    "test_module.py::test_registration_errors": PRINTS_DEVICE,
    "test_init.py::test_init_fills_a_parameter_in_place_without_recording_a_graph": SHARED_MEMORY,
    "test_dropout_embedding.py::test_from_pretrained_shares_the_table_and_freezes_it": SHARED_MEMORY,
    "test_tensor_creation.py::test_repr_matches_torch": PRINTS_DEVICE,
    "test_module.py::test_repr_of_parameter_and_plain_modules": PRINTS_DEVICE,
    "test_container.py::test_parameter_list_operations_and_repr": PRINTS_DEVICE,
    "test_container.py::test_parameter_dict_operations_and_repr": PRINTS_DEVICE,
    "test_container.py::test_containers_inside_a_model_state_dict_round_trip": PRINTS_DEVICE,
    "test_viz.py::test_tensor_graph_shows_ops_leaves_and_output": PRINTS_DEVICE,
    "test_viz.py::test_tensor_graph_is_deterministic_and_numbers_nodes_in_walk_order": PRINTS_DEVICE,
    "test_viz.py::test_nan_and_inf_tensors_are_red": PRINTS_DEVICE,
    "test_viz.py::test_model_is_drawn_layer_by_layer_with_shapes_and_parameter_counts": PRINTS_DEVICE,
    "test_tensor_creation.py::test_tensor_copies_its_data_and_takes_requires_grad":
        "asserts the default device is the CPU",
    "test_seeds.py::test_fully_connected_net_with_adam_and_a_dataloader_follows_torch": CPU_BATCHES,
    "test_examples.py::test_fashion_mnist_quick": CPU_BATCHES,
    "test_examples.py::test_compare_with_pytorch_agrees": "the example reads its weights with .numpy() (CPU only)",
}


def skip_cpu_only_tests(items):
    """On a CUDA device (the stand-in or real), skip (with the reason) the tests whose subject is CPU-only
    behaviour."""
    for item in items:
        case = item.nodeid.rsplit("/", 1)[-1]
        reason = CPU_ONLY.get(case) or CPU_ONLY.get(case.split("[")[0])  # one parametrized case, or all
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"on a CUDA device by default: {reason}"))


def _read_only_host_copy(tensor):
    copy = tensor._data.get()
    copy.flags.writeable = False
    return copy


def _called_from_tests():
    """True when the function calling our caller is test code (not the library)."""
    import sys
    return sys._getframe(2).f_code.co_filename.startswith(TESTS_DIRECTORY)
