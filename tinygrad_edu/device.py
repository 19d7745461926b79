"""Devices: where a tensor's array lives, and which array module computes on it.

A CPU tensor holds a NumPy array; a CUDA tensor holds a CuPy array. Every op asks
its inputs' device for the array module (``device.xp``) instead of importing NumPy
or CuPy itself, so one implementation serves both. The few things NumPy and CuPy
spell differently (``numpy.add.at`` is ``cupyx.scatter_add``) are methods of
``Device``. This is the only file that imports CuPy.
"""
import contextlib

import numpy

GPU_INSTALL_HINT = ('in the clone of tinygrad_edu, with its virtual environment active: pip install -e ".[gpu]" '
                    '(CuPy for CUDA 12; or pip install cupy-cuda12x)')


class Device:
    """A device such as ``device("cpu")`` or ``device("cuda:0")``.

    Naming a CUDA device needs nothing; putting a tensor there needs CuPy and a GPU.

    >>> device("cuda:1").index
    1
    >>> device("cpu").xp            # the array module its tensors compute with
    <module 'numpy' ...>
    """

    __slots__ = ("type", "index", "xp")
    _cache = {}

    def __new__(cls, spec="cpu", index=None):
        if isinstance(spec, Device):
            return spec
        key = _parse(spec, index)
        self = cls._cache.get(key)
        if self is None:
            self = super().__new__(cls)
            self.type, self.index = key
            if self.type == "cpu":
                self.xp = numpy
            cls._cache[key] = self
        return self

    def __getattr__(self, name):
        # Reached only while a CUDA device's array module is not loaded yet: load CuPy now.
        if name != "xp":
            raise AttributeError(f"'device' object has no attribute '{name}'")
        self.xp = _cupy_module(self.index)
        return self.xp

    def scatter_add(self, array, index, values):
        """``array[index] += values`` in place, where every repeat of a position in ``index`` adds.

        NumPy's ``add.at``; CuPy has no ``ufunc.at`` everywhere, so it is ``cupyx.scatter_add``.
        """
        if self.type == "cpu":
            numpy.add.at(array, index, values)
        else:
            _import_cupyx().scatter_add(array, index, values)

    def stable_argsort(self, array, axis):
        """The indices that sort ``array`` along ``axis``, equal values in their order (CuPy's sort always is
        stable and takes no ``kind``)."""
        if self.type == "cpu":
            return numpy.argsort(array, axis=axis, kind="stable")
        return self.xp.argsort(array, axis=axis)

    def selected(self):
        """A context in which CuPy allocates and computes on this GPU (does nothing for the CPU).

        CuPy works on one current GPU: arrays for ``cuda:1`` are made inside ``cuda:1``'s context.
        """
        return contextlib.nullcontext() if self.type == "cpu" else self.xp.cuda.Device(self.index)

    def synchronize(self):
        """Wait until every kernel queued on this device has finished (nothing to wait for on the CPU)."""
        if self.type == "cuda":
            with self.selected():
                self.xp.cuda.runtime.deviceSynchronize()

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (Device, (str(self),))


device = Device


def _parse(spec, index):
    """``(type, index)`` from ``"cuda:1"`` or ``("cuda", 1)``, with torch's checks and words."""
    if not isinstance(spec, str):
        raise TypeError(f"device() received an invalid combination of arguments: {spec!r}")
    kind, colon, number = spec.partition(":")
    if kind not in ("cpu", "cuda"):
        raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {spec}")
    if colon and not (number.isdigit() and number.isascii() and (number == "0" or not number.startswith("0"))):
        raise RuntimeError(f"Invalid device string: '{spec}'")
    if colon and index is not None:
        raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {spec}")
    if index is not None and index < 0:
        raise RuntimeError("Device index must not be negative")
    if number:
        index = int(number)
    if kind == "cuda" and index is None:
        index = 0
    return kind, index


def _import_cupy():
    """The ``cupy`` module (raises ImportError without it)."""
    import cupy
    return cupy


def _import_cupyx():
    """The ``cupyx`` module: CuPy's functions that NumPy has no counterpart for."""
    import cupyx
    return cupyx


def installed_cupy():
    """The ``cupy`` module, or None when it is not installed."""
    try:
        return _import_cupy()
    except ImportError:
        return None


def _cupy_module(index):
    cupy = installed_cupy()
    if cupy is None:
        raise RuntimeError(f"CUDA needs CuPy, which is not installed: {GPU_INSTALL_HINT}")
    count, reason = _count_devices(cupy)
    if count == 0:
        raise RuntimeError(f"No CUDA GPUs are available: CuPy is installed but sees no GPU ({reason}). Check that "
                           "nvidia-smi lists one, that CUDA_VISIBLE_DEVICES does not hide it, and that CuPy's CUDA "
                           "version suits the driver (pip install -e \".[gpu]\" installs CuPy for CUDA 12)")
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{index} was asked for, but CuPy sees "
                           f"{count} GPU(s) (cuda:0 to cuda:{count - 1})")
    return cupy


def cuda_device_count(cupy):
    """How many GPUs ``cupy`` sees (0 when the driver or the runtime is missing)."""
    return _count_devices(cupy)[0]


def _count_devices(cupy):
    """(how many GPUs ``cupy`` sees, why none when it sees none)."""
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no runtime library, no device
        return 0, f"{type(error).__name__}: {error}"
    return count, "the driver reports 0 devices"


CPU = Device("cpu")
_default_device = CPU


def get_default_device():
    """The device that factories use when they get no ``device=``."""
    return _default_device


def set_default_device(spec):
    """Make factories (``zeros``, ``randn``, ``tensor``...) create tensors on ``spec``.

    >>> set_default_device("cuda")
    >>> zeros(2).device
    device(type='cuda', index=0)
    """
    global _default_device
    _default_device = CPU if spec is None else Device(spec)


def device_of_array(array):
    """The Device an array lives on (NumPy → cpu, CuPy → its CUDA device)."""
    if isinstance(array, numpy.ndarray) or numpy.isscalar(array):
        return CPU
    cuda_device = getattr(array, "device", None)
    return Device("cuda", getattr(cuda_device, "id", 0))
