"""Containers that hold modules or parameters and register them: Sequential, ModuleList,
ModuleDict, ParameterList, ParameterDict (as ``torch.nn``'s)."""
import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from itertools import chain

from tinygrad_edu import Tensor
from tinygrad_edu.nn.modules.module import Module, _addindent, _typename
from tinygrad_edu.nn.parameter import Parameter


def _absolute_index(index, length):
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range")
    return index % length if length else index


def _numbered(modules):
    return OrderedDict((str(position), module) for position, module in enumerate(modules))


def _renumber(modules):
    return _numbered(modules.values())


def _inserted(modules, index, module):
    """``modules`` (a dict) with ``module`` inserted as ``list.insert`` would, renumbered."""
    values = list(modules.values())
    values.insert(index, module)
    return _numbered(values)


class Sequential(Module):
    """Modules applied one after the other: the output of each is the input of the next.

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 8)), ("act", nn.ReLU())]))
    >>> model[0], model[-1], model[:2]      # a layer, the last layer, a new Sequential
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for position, module in enumerate(args):
                self.add_module(str(position), module)

    def _key_at(self, index):
        return list(self._modules)[_absolute_index(index, len(self))]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key_at(index)]

    def __setitem__(self, index, module):
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index):
        if isinstance(index, slice):
            for key in list(self._modules)[index]:
                delattr(self, key)
        else:
            delattr(self, self._key_at(index))
        self._modules = _renumber(self._modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects "
                             f"of Sequential class, but {str(type(other))} is given.")
        combined = Sequential()
        for layer in chain(self, other):
            combined.append(layer)
        return combined

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects "
                             f"of Sequential class, but {str(type(other))} is given.")
        return self.extend(other)

    def __mul__(self, times):
        if not isinstance(times, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(times)}")
        if times <= 0:
            raise ValueError(f"Non-positive multiplication factor {times} for {type(self)}")
        combined = Sequential()
        for _ in range(times):
            combined.extend(self)
        return combined

    __rmul__ = __mul__

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def append(self, module):
        """Add ``module`` at the end; returns the Sequential."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Put ``module`` at position ``index`` (negative counts from the end), shifting the rest.

        Like deleting, inserting renumbers the entries ``0, 1, ...`` (names given with an
        OrderedDict are lost, as in torch).
        """
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        length = len(self._modules)
        if not -length <= index <= length:
            raise IndexError(f"Index out of range: {index}")
        self._modules = _inserted(self._modules, index, module)
        return self

    def extend(self, sequential):
        """Append every module of ``sequential`` (any iterable of modules); returns the Sequential."""
        for layer in list(sequential):
            self.append(layer)
        return self

    def pop(self, index):
        """Remove the module at ``index`` and return it."""
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A Python list of modules whose entries are registered as submodules.

    >>> self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
    >>> for block in self.blocks:
    ...     x = block(x).relu()
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _key_at(self, index):
        return str(_absolute_index(index, len(self)))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.__class__(list(self._modules.values())[index])
        return self._modules[self._key_at(index)]

    def __setitem__(self, index, module):
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index):
        if isinstance(index, slice):
            for position in range(len(self._modules))[index]:
                delattr(self, str(position))
        else:
            delattr(self, self._key_at(index))
        self._modules = _renumber(self._modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for position, module in enumerate(chain(self, other)):
            combined.add_module(str(position), module)
        return combined

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def __repr__(self):
        """Like Module's, but runs of identical entries shrink to ``(0-2): 3 x Linear(...)``."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first, last, text]
        for position, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        lines = []
        for first, last, text in runs:
            line = f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index, module):
        """Put ``module`` before position ``index``, as ``list.insert`` does."""
        self._modules = _inserted(self._modules, index, module)

    def append(self, module):
        """Add ``module`` at the end; returns the list."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of the iterable ``modules``; returns the list."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an "
                            "iterable, but got " + type(modules).__name__)
        offset = len(self)
        for position, module in enumerate(modules):
            self.add_module(str(offset + position), module)
        return self

    def pop(self, index):
        """Remove the module at ``index`` and return it."""
        module = self[index]
        del self[index]
        return module


class ModuleDict(Module):
    """A dict of modules (insertion-ordered) whose entries are registered as submodules.

    >>> self.heads = nn.ModuleDict({"class": nn.Linear(8, 10), "box": nn.Linear(8, 4)})
    >>> self.heads["box"](features)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every entry."""
        self._modules.clear()

    def pop(self, key):
        """Remove the entry ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add entries from a mapping or an iterable of ``(key, module)`` pairs."""
        for key, module in _pairs("ModuleDict", modules, sort_plain_dicts=False):
            self[key] = module


def _pairs(kind, entries, sort_plain_dicts):
    """The ``(key, value)`` pairs of a mapping or of an iterable of pairs, checked as torch does."""
    if not isinstance(entries, Iterable):
        label = "ParametersDict" if kind == "ParameterDict" else kind
        raise TypeError(f"{label}.update should be called with an "
                        "iterable of key/value pairs, but got " + type(entries).__name__)
    if isinstance(entries, (OrderedDict, ModuleDict, ParameterDict)) or (
            isinstance(entries, Mapping) and not sort_plain_dicts):
        return list(entries.items())
    if isinstance(entries, Mapping):
        return sorted(entries.items())
    pairs = []
    for position, pair in enumerate(entries):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{kind} update sequence element #{position} should be Iterable; is"
                            + type(pair).__name__)
        if len(pair) != 2:
            raise ValueError(f"{kind} update sequence element #{position} has length {len(pair)}; "
                             "2 is required")
        pairs.append((pair[0], pair[1]))
    return pairs


def _describe_tensor(tensor, type_text):
    size = "x".join(str(size) for size in tensor.shape)
    device = f" ({tensor.device})" if tensor.device.type == "cuda" else ""
    kind = "Parameter" if isinstance(tensor, Parameter) else "Tensor"
    return f"{kind} containing: [{type_text} of size {size}{device}]"


def _entry_repr(key, value, type_text_of):
    if isinstance(value, Tensor):
        return f"  ({key}): " + _describe_tensor(value, type_text_of(value))
    return f"  ({key}): Object of type: " + type(value).__name__


class ParameterList(Module):
    """A list of parameters, each registered with the module (plain tensors are wrapped).

    >>> self.scales = nn.ParameterList([nn.Parameter(tinygrad_edu.ones(4)) for _ in range(3)])
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            sliced = self.__class__()
            for position in range(*index.indices(len(self))):
                sliced.append(self[position])
            return sliced
        return getattr(self, str(_absolute_index(index, len(self))))

    def __setitem__(self, index, value):
        index = _absolute_index(index, len(self))
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, str(index), value)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[position] for position in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Add ``value`` at the end (a tensor becomes a Parameter); returns the list."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        """Append every entry of the iterable ``values``; returns the list."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an "
                            "iterable, but got " + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_entry_repr(position, value, lambda tensor: repr(tensor.dtype))
                         for position, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters, each registered with the module (plain tensors are wrapped).

    >>> self.gains = nn.ParameterDict({"left": nn.Parameter(tinygrad_edu.ones(3))})
    >>> self.gains["left"]
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key_to_attribute(key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is "
                            f"not a string (type is '{type(key).__name__}'). Open an issue on "
                            "github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attribute(key))

    def __setitem__(self, key, value):
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, self._key_to_attribute(key), value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attribute(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def copy(self):
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict((key, self[key]) for key in self._keys))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove the last-added entry and return it as ``(key, parameter)``."""
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((key, default) for key in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((key, self[key]) for key in self._keys)

    def values(self):
        return (self[key] for key in self._keys)

    def update(self, parameters):
        """Add entries from a mapping (a plain dict in sorted key order, as torch does) or pairs."""
        for key, value in _pairs("ParameterDict", parameters, sort_plain_dicts=True):
            self[key] = value

    def extra_repr(self):
        return "\n".join(_entry_repr(key, value, _typename) for key, value in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        combined = self.copy()
        combined.update(other)
        return combined

    def __ror__(self, other):
        combined = other.copy()
        combined.update(self)
        return combined

    def __ior__(self, other):
        self.update(other)
        return self
