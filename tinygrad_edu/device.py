"""Devices: where a tensor's array lives, and which array module computes on it.

A CPU tensor holds a NumPy array; a CUDA tensor holds a CuPy array. Every op asks
its inputs' device for the array module (``device.xp``) instead of importing NumPy
or CuPy itself, so one implementation serves both. This is the only file that
imports CuPy.
"""
import numpy

GPU_INSTALL_HINT = 'pip install "tinygrad-edu[gpu]"'


class Device:
    """A device such as ``device("cpu")`` or ``device("cuda:0")``.

    >>> device("cuda:1").index
    1
    """

    __slots__ = ("type", "index", "xp")
    _cache = {}

    def __new__(cls, spec="cpu", index=None):
        if isinstance(spec, Device):
            return spec
        key = _parse(spec, index)
        if key not in cls._cache:
            self = super().__new__(cls)
            self.type, self.index = key
            self.xp = numpy if self.type == "cpu" else _cupy_module(self.index)
            cls._cache[key] = self
        return cls._cache[key]

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
    if not isinstance(spec, str):
        raise TypeError(f"device() received an invalid combination of arguments: {spec!r}")
    kind, _, number = spec.partition(":")
    if kind not in ("cpu", "cuda"):
        raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {spec}")
    if number:
        index = int(number)
    if kind == "cuda" and index is None:
        index = 0
    return kind, index


def _cupy_module(index):
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(f"CUDA needs CuPy, which is not installed: {GPU_INSTALL_HINT}") from error
    if index >= _cuda_device_count(cupy):
        raise RuntimeError(
            f"CUDA device {index} is not available (CuPy sees {_cuda_device_count(cupy)} GPU(s)); "
            "run on 'cpu' or on a machine with an NVIDIA GPU")
    return cupy


def _cuda_device_count(cupy):
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


CPU = Device("cpu")
_default_device = CPU


def get_default_device():
    """The device that factories use when they get no ``device=``."""
    return _default_device


def set_default_device(spec):
    """Make factories (``zeros``, ``randn``, ``tensor``...) create tensors on ``spec``."""
    global _default_device
    _default_device = CPU if spec is None else Device(spec)


def device_of_array(array):
    """The Device an array lives on (NumPy → cpu, CuPy → its CUDA device)."""
    if isinstance(array, numpy.ndarray) or numpy.isscalar(array):
        return CPU
    cuda_device = getattr(array, "device", None)
    return Device("cuda", getattr(cuda_device, "id", 0))
