"""A scalar autograd engine in the style of micrograd, and a tiny neural-net library on top of it.

Every ``Value`` holds one number (``data``), the gradient of the final output with respect
to it (``grad``) and the Values it was computed from. An operation records, next to the
number it computes, its *local derivatives*: how much its output moves when each input
moves. ``backward()`` then applies the chain rule once per edge of the graph:
``child.grad += local_grad * node.grad``, where a node's children are its inputs
(micrograd's word for them; graph.py calls them parents).

Differences from micrograd's engine.py, all for speed or depth:

- ``__slots__`` and no closures: a node stores plain numbers, so it is small, cheap to make
  and freed as soon as nothing refers to it (a micrograd node's ``_backward`` closure refers
  back to the node, a reference cycle only the garbage collector can free).
- ``a - b``, ``a / b`` and ``-a`` are one node each (micrograd builds them from ``+ * **``).
- The graph walk is iterative, so a chain a million operations deep backpropagates.

Arithmetic follows Python's floats: dividing by zero raises ZeroDivisionError, ``log`` of
a negative number raises ValueError, ``exp`` of a huge number raises OverflowError.

>>> a = Value(-4.0); b = Value(2.0)
>>> c = a * b + b**3
>>> c.backward()
>>> a.grad, b.grad
(2.0, 8.0)
"""
import math
import numbers
import random

from tinygrad_edu.graph import topological_order

__all__ = ["Value", "Module", "Neuron", "Layer", "MLP"]


class Value:
    """One scalar in a computation graph, with the gradient of the output with respect to it.

    ``_children`` are the Values this one was computed from, ``_op`` names the operation
    (shown by graph drawings) and ``_local_grads`` holds d(self)/d(child) for each child.

    >>> x = Value(3.0, label='x')
    >>> y = x * x + 2 * x          # dy/dx = 2x + 2
    >>> y.backward()
    >>> y, x.grad
    (Value(data=15.0, grad=1.0), 8.0)

    A new operation is one function that returns its result and local derivatives:

    >>> def cube(v):
    ...     return Value(v.data ** 3, (v,), 'cube', _local_grads=(3 * v.data ** 2,))
    """

    __slots__ = ("data", "grad", "label", "_op", "_children", "_local_grads")

    def __init__(self, data, _children=(), _op="", label="", _local_grads=()):
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._children = _children
        self._local_grads = _local_grads

    @property
    def _prev(self):
        """The set of Values this one was computed from, as micrograd exposes it."""
        return set(self._children)

    @property
    def _backward(self):
        raise AttributeError(_NO_BACKWARD_CLOSURE)

    @_backward.setter
    def _backward(self, closure):
        raise AttributeError(_NO_BACKWARD_CLOSURE)

    # -- arithmetic: each result carries d(result)/d(input) for each input -----------------

    def __add__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "+")
        return Value(self.data + other.data, (self, other), "+", "", (1.0, 1.0))

    def __sub__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "-")
        return Value(self.data - other.data, (self, other), "-", "", (1.0, -1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "*")
        return Value(self.data * other.data, (self, other), "*", "", (other.data, self.data))

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else _constant(other, "/")
        quotient = self.data / other.data
        return Value(quotient, (self, other), "/", "", (1.0 / other.data, -quotient / other.data))

    def __pow__(self, exponent):
        """``self ** exponent`` for an int, a float or a Value exponent."""
        if isinstance(exponent, Value):
            return self._pow_by_value(exponent)
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"Value ** expects an int, a float or a Value exponent, got {type(exponent).__name__}")
        base = self.data
        return Value(_power(base, exponent), (self,), f"**{exponent}", "", (_power_derivative(base, exponent),))

    def _pow_by_value(self, exponent):
        base, p = self.data, exponent.data
        power = _power(base, p)
        # d(b ** p)/dp = b ** p * log(b): 0 at b == 0 (as torch), undefined (nan) for b < 0
        d_exponent = power * math.log(base) if base > 0 else (0.0 if base == 0 else math.nan)
        return Value(power, (self, exponent), "**", "", (_power_derivative(base, p), d_exponent))

    def __neg__(self):
        return Value(-self.data, (self,), "neg", "", (-1.0,))

    def __radd__(self, other):
        return self + other

    def __rsub__(self, other):
        return _constant(other, "-") - self

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return _constant(other, "/") / self

    def __rpow__(self, base):
        return _constant(base, "**") ** self

    # -- activations and elementary functions -----------------------------------------------

    def relu(self):
        """max(0, x); its derivative is 1 where x > 0 and 0 elsewhere."""
        x = self.data
        return Value(x, (self,), "ReLU", "", (1.0,)) if x > 0 else Value(0.0, (self,), "ReLU", "", (0.0,))

    def tanh(self):
        """Hyperbolic tangent; d tanh(x)/dx = 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", "", (1.0 - t * t,))

    def sigmoid(self):
        """1 / (1 + exp(-x)), computed without overflow; its derivative is s * (1 - s)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, (self,), "sigmoid", "", (s * (1.0 - s),))

    def exp(self):
        """e ** x; it is its own derivative."""
        e = math.exp(self.data)
        return Value(e, (self,), "exp", "", (e,))

    def log(self):
        """Natural logarithm; d log(x)/dx = 1 / x."""
        return Value(math.log(self.data), (self,), "log", "", (1.0 / self.data,))

    # -- backpropagation --------------------------------------------------------------------

    def backward(self, gradient=1.0):
        """Add d(self)/d(v) * ``gradient`` to ``v.grad`` for every Value ``v`` this one depends on.

        The root's grad is set to ``gradient`` (1.0: d(self)/d(self)); every other grad is
        *added to*, as in micrograd, so zero the grads between training steps.
        """
        self.grad = gradient
        for node in topological_order(self, _children_of):
            node_grad = node.grad
            for child, local_grad in zip(node._children, node._local_grads):
                child.grad += local_grad * node_grad

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


_NO_BACKWARD_CLOSURE = (
    "tinygrad_edu's Value has no _backward closure: an operation passes its local derivatives "
    "instead, e.g. Value(t, (x,), 'tanh', _local_grads=(1 - t*t,))"
)


def _children_of(node):
    return node._children


def _constant(number, op):
    """Wrap a plain number met in an operation as a leaf Value."""
    if isinstance(number, numbers.Real):
        return Value(number)
    raise TypeError(f"unsupported operand type for {op} with a Value: {type(number).__name__} "
                    "(expected int, float or Value)")


def _power(base, exponent):
    """``base ** exponent``, raising ValueError where a float result does not exist."""
    result = base ** exponent
    if isinstance(result, complex):
        raise ValueError(f"math domain error: {base} ** {exponent} is not a real number")
    return result


def _power_derivative(base, exponent):
    """d(base ** exponent)/d(base); infinite where the curve is vertical, as ``x ** 0.5`` at 0."""
    if exponent == 0:
        return 0.0
    if base == 0 and exponent < 1:
        return math.inf
    return exponent * _power(base, exponent - 1)


class Module:
    """Base of Neuron, Layer and MLP: something with parameters to train.

    >>> model = MLP(2, [4, 1])
    >>> model.zero_grad()           # before each backward
    >>> len(model.parameters())
    17
    """

    def zero_grad(self):
        """Set the grad of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        """Every Value this module trains, as a list."""
        return []


class Neuron(Module):
    """``relu(w · x + b)`` (or ``w · x + b`` when ``nonlin=False``) for a list ``x`` of ``nin`` inputs.

    Weights start uniform in [-1, 1] from Python's ``random`` (``random.seed`` reproduces
    them, in micrograd's order); the bias starts at 0.

    >>> n = Neuron(2)
    >>> out = n([1.0, -2.0])        # a Value
    >>> n
    ReLUNeuron(2)
    """

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` Neurons reading the same ``nin`` inputs; extra keyword arguments go to each Neuron.

    Returns a list of ``nout`` Values, or a single Value when ``nout == 1``.

    >>> layer = Layer(3, 2, nonlin=False)
    >>> layer
    Layer of [LinearNeuron(3), LinearNeuron(3)]
    """

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ReLU layers of the sizes in ``nouts``, the last one linear.

    >>> model = MLP(2, [16, 16, 1])
    >>> score = model([Value(0.5), Value(-1.0)])        # a Value: the last layer has one neuron
    >>> loss = (1 - score).relu()
    >>> model.zero_grad(); loss.backward()
    >>> for p in model.parameters():
    ...     p.data -= 0.05 * p.grad
    """

    def __init__(self, nin, nouts):
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
