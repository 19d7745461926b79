"""Graph walking and grad-mode switches, shared by the scalar and the tensor engine.

Both engines record a directed acyclic graph as they compute. Reverse-mode
differentiation needs the nodes in topological order: every node before the nodes
it was computed from. The walk here is iterative (an explicit stack), so a graph
a million nodes deep needs no deep Python recursion.
"""
import functools
import threading


def topological_order(root, parents_of):
    """Return the nodes reachable from ``root``, each one before all of its parents.

    ``parents_of(node)`` returns the nodes ``node`` was computed from (None entries
    are skipped). The result starts with ``root``: walking it front to back visits
    a node only after every node that used it, which is the order backward needs.
    """
    order, visited = [], {id(root)}
    stack = [(root, iter(parents_of(root)))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent is not None and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parents_of(parent))))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


class _GradMode(threading.local):
    enabled = True
    inference = False
    module_scope = None  # the (name, module) path of the nn.Module calls under way, for draw_graph


_grad_mode = _GradMode()


class module_scope:
    """While an ``nn.Module`` runs: the ops recorded inside are marked with the path of modules
    under way, which ``draw_graph`` frames (``Module.__call__`` enters it)."""

    __slots__ = ("entry", "parent")

    def __init__(self, module):
        self.entry = (type(module).__name__, module)

    def __enter__(self):
        self.parent = _grad_mode.module_scope
        _grad_mode.module_scope = (self.parent or ()) + (self.entry,)

    def __exit__(self, *exc_info):
        _grad_mode.module_scope = self.parent


def is_grad_enabled():
    """True when operations on tensors that require grad are being recorded."""
    return _grad_mode.enabled


def is_inference_mode_enabled():
    """True inside an ``inference_mode()`` block."""
    return _grad_mode.inference


class _GradModeContext:
    """A context manager that is also a decorator, as torch's grad-mode switches are."""

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return function(*args, **kwargs)
        return wrapper

    _args = ()

    def __enter__(self):
        self._previous = (_grad_mode.enabled, _grad_mode.inference)
        self._switch()

    def __exit__(self, *exc_info):
        _grad_mode.enabled, _grad_mode.inference = self._previous
        return False


class no_grad(_GradModeContext):
    """Context manager and decorator that stops recording operations for autograd.

    >>> with no_grad():
    ...     y = x * 2        # y.requires_grad is False
    """

    def _switch(self):
        _grad_mode.enabled = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    def _switch(self):
        _grad_mode.enabled = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode):
        self._args = (mode,)
        self._previous = (_grad_mode.enabled, _grad_mode.inference)
        _grad_mode.enabled = bool(mode)

    def __call__(self, function):
        _grad_mode.enabled, _grad_mode.inference = self._previous
        return super().__call__(function)

    def __enter__(self):
        pass

    def _switch(self):
        _grad_mode.enabled = bool(self._args[0])


class inference_mode(_GradModeContext):
    """Like ``no_grad``: nothing is recorded. ``inference_mode(False)`` does nothing."""

    def __init__(self, mode=True):
        self._args = (mode,)

    def _switch(self):
        if self._args[0]:
            _grad_mode.enabled, _grad_mode.inference = False, True
