"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
import tinygrad_edu
from tinygrad_edu import Tensor


class Parameter(Tensor):
    """A Tensor that a Module picks up in ``parameters()`` when assigned as an attribute.

    ``Parameter(t)`` shares ``t``'s storage (no copy) and is a leaf that requires
    grad unless ``requires_grad=False``.

    >>> w = Parameter(tinygrad_edu.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = tinygrad_edu.empty(0)
        parameter = Tensor.__new__(cls)
        _share_storage(parameter, data.detach())
        parameter.requires_grad = requires_grad
        return parameter

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.detach().clone(), self.requires_grad)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


def _share_storage(target, source):
    """Copy every slot of ``source`` onto ``target``: same array, no copy of the data."""
    for klass in type(source).__mro__:
        for name in getattr(klass, "__slots__", ()):
            if name != "__weakref__" and hasattr(source, name):
                object.__setattr__(target, name, getattr(source, name))
