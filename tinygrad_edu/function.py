"""Function: one differentiable operation, and the node it leaves in the graph.

``forward`` computes on raw arrays (NumPy or CuPy) and returns one array.
``backward`` receives the gradient of that output as a Tensor and returns the
gradient of each input, written with Tensor operations: run with ``create_graph=True``
it is recorded like any forward pass, which is all that higher-order gradients need.

The built-in ops are ``Op``s: their backward uses only arithmetic operators, ``@``,
indexing, ``reshape`` and other ops' ``apply``, which mean the same on an array and on
a Tensor. So one formula serves twice: given Tensors (``create_graph=True``) it is
recorded; given arrays (every other backward) it is plain NumPy, with no Tensor, node
or graph made along the way. ``Op.apply`` on arrays just computes its forward.

Users write their own ``Function`` the way torch users do, on tensors:

>>> class Square(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, grad_output):
...         x, = ctx.saved_tensors
...         return 2 * x * grad_output
>>> y = Square.apply(tensor([3.0], requires_grad=True))

(The built-in ops are written ``def forward(self, *arrays)`` on arrays instead: no tensor is made
inside them. A Function written that way works too.)
"""
import functools
import traceback
import weakref

import numpy

from tinygrad_edu import graph
from tinygrad_edu.device import device_of_array

_OUTPUT = object()
_NO_GRADS = ((), (False,), (False, False), (False, False, False))
_anomaly = {"enabled": False, "check_nan": True}


def _numpy_warnings_switch():
    """``(silence, restore)``: ``token = silence()`` stops NumPy's divide/overflow/invalid RuntimeWarnings
    (torch is silent: the infs and NaNs are the result) until ``restore(token)``.

    NumPy 2 keeps that state in a context variable; setting and resetting it costs ~0.2 µs an op where
    ``numpy.errstate`` costs ~1 µs (the ops themselves cost 2-4 µs). Other NumPy versions get ``numpy.errstate``.
    """
    try:
        from numpy._core._ufunc_config import _extobj_contextvar as state
    except ImportError:
        state = None
    if state is None:
        def silence():
            quiet = numpy.errstate(all="ignore")
            quiet.__enter__()
            return quiet
        return silence, lambda quiet: quiet.__exit__(None, None, None)
    with numpy.errstate(all="ignore"):
        ignoring = state.get()
    return functools.partial(state.set, ignoring), state.reset


silence_numpy_warnings, restore_numpy_warnings = _numpy_warnings_switch()

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A vertex of the backward graph: what to call with a gradient, and where to send the results."""

    __slots__ = ("_next", "__weakref__", "__dict__")
    _hooks = _retained = _forward_trace = None  # set on the few nodes that have them

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """The nodes this node's gradients flow into, as torch's ``((node, 0), ...)`` pairs."""
        return tuple((node, 0) for node in self._next)

    def register_hook(self, hook):
        self._hooks = (self._hooks or ()) + (hook,)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class Function(Node):
    """Base class of every differentiable op: subclass it, write ``forward`` and ``backward``,
    call it with ``MyOp.apply(*tensors, **params)``."""

    __slots__ = ("needs_input_grad", "device", "xp", "_saved", "output_info", "module_scope", "on_arrays")
    _Tensor = None  # set by tensor.py, which imports this module
    _output = None  # (array, version counter, device) when the op saved its own output
    output_device = None
    is_view = False
    backward_on_arrays = False  # True for an Op: autograd may call backward with arrays

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod) or \
                isinstance(cls.__dict__.get("backward"), staticmethod):
            _make_torch_style(cls)  # torch's style: forward(ctx, ...) on tensors

    def name(self):
        return getattr(self, "backward_name", type(self).__name__ + "Backward0")

    def save_for_backward(self, *arrays):
        """Keep arrays (tensors, in a torch-style Function) for backward; ``saved_tensors`` gives them
        back as tensors, checked against in-place changes since."""
        self._saved = arrays

    def mark_non_differentiable(self, *tensors):
        """In a torch-style Function: these outputs get no gradient (integer outputs never do)."""
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        """Accepted as torch does; an input that forward changed and returns comes back as a new tensor
        sharing its memory (torch hands back the input itself)."""
        self.dirty_tensors = tensors

    def set_materialize_grads(self, value):
        """Whether backward sees zeros (True, the default) or None for outputs that got no gradient."""
        self.materialize_grads = value

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on tensors and, when any input requires grad, record it in the graph.

        Given arrays instead of tensors, it only computes (how an ``Op``'s backward calls other ops).
        """
        node = object.__new__(cls)
        try:
            device = node.device = inputs[0]._device
        except AttributeError:
            return node._compute(inputs, params)
        for tensor in inputs:
            if tensor._device is not device:
                _raise_device_mismatch(device, tensor._device)
        node.xp = device.xp
        needs = tuple([t._requires_grad or t._view is not None and t._view_requires_grad() for t in inputs]) \
            if graph._grad_mode.enabled else ()
        record = True in needs
        node.needs_input_grad = needs if record else _NO_GRADS[len(inputs)] if len(inputs) < 4 else (False,) * len(inputs)
        node._saved = ()
        quiet = silence_numpy_warnings()
        try:
            if len(inputs) == 2 and not params:  # the common calls spelled out: a call with * costs more
                output_array = node.forward(inputs[0]._data, inputs[1]._data)
            elif len(inputs) == 1 and not params:
                output_array = node.forward(inputs[0]._data)
            else:
                output_array = node.forward(*[t._data for t in inputs], **params)
        finally:
            restore_numpy_warnings(quiet)
        output = cls._Tensor._wrap(output_array, node.output_device or device, record)
        if record:
            node._next = tuple([t.grad_fn or t._gradient_edge() if t._view is None else t._view_edge()
                                for t in inputs])
            node.on_arrays = False  # True while autograd runs the backward on arrays
            node.output_info = (output_array.shape, output_array.dtype, output._device)
            node.module_scope = graph._grad_mode.module_scope
            if node._saved:
                node._keep_saved(inputs, output_array, output)
            output.grad_fn = node
            if _anomaly["enabled"]:
                node._forward_trace = "".join(traceback.format_stack()[:-2])
        if cls.is_view:
            _record_view(cls, inputs[0], output, params)
        return output

    def _compute(self, arrays, params):
        device = self.device = device_of_array(arrays[0])
        self.xp = device.xp
        self.needs_input_grad = (False,) * len(arrays)
        self._saved = ()
        return self.forward(*arrays, **params)

    def _keep_saved(self, inputs, output_array, output):
        saved = []
        for array in self._saved:
            if array is None:
                saved.append((None, None))
                continue
            for tensor in inputs:
                if array is tensor._data:
                    saved.append((tensor, tensor._version_counter[0]))
                    break
            else:
                if array is output_array:
                    self._output = (output_array, output._version_counter, output._device)
                    saved.append((_OUTPUT, 0))
                else:
                    saved.append((array, None))
        self._saved = saved

    @property
    def saved_tensors(self):
        """The saved arrays as tensors, checked against in-place changes since forward.

        While autograd runs an ``Op``'s backward on arrays, they come back as arrays.
        """
        if self._saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        if self.on_arrays:
            return self._saved_arrays()
        Tensor = self._Tensor
        unpacked = []
        for item, version in self._saved:
            if item is None:
                unpacked.append(None)
            elif isinstance(item, Tensor):
                if item._version_counter[0] != version:
                    self._raise_modified(item._version_counter[0], version, item)
                unpacked.append(item)
            elif item is _OUTPUT:
                array, counter, device = self._output
                if counter[0] != 0:
                    self._raise_modified(counter[0], 0, array)
                output = Tensor._wrap(array, device, True)
                output.grad_fn = self
                unpacked.append(output)
            else:
                unpacked.append(Tensor._wrap(item, self._device_of(item), False))
        return tuple(unpacked)

    def _saved_arrays(self):
        unpacked = []
        for item, version in self._saved:
            if item is None or version is None:
                unpacked.append(item)
            elif item is _OUTPUT:
                array, counter, _ = self._output
                if counter[0] != 0:
                    self._raise_modified(counter[0], 0, array)
                unpacked.append(array)
            else:
                if item._version_counter[0] != version:
                    self._raise_modified(item._version_counter[0], version, item)
                unpacked.append(item._data)
        return tuple(unpacked)

    def _device_of(self, array):
        return device_of_array(array)

    def _raise_modified(self, current, saved, item):
        """A saved array was changed in place after forward: its gradient would be wrong."""
        shape = "[" + ", ".join(map(str, item.shape)) + "]"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{_type_name(item)} {shape}], which is output 0 of {self.name()}, is at "
            f"version {current}; expected version {saved} instead. Hint: the backtrace further above "
            "can be found with anomaly detection enabled (set_detect_anomaly(True)).")

    def _release(self):
        self._saved = None
        if self._output is not None:
            self._output = None


class Op(Function):
    """A Function whose backward means the same on arrays and on Tensors (see the module's docstring).

    Autograd runs it on arrays unless the backward itself is being recorded (``create_graph=True``).
    """
    backward_on_arrays = True


def _record_view(cls, source, output, params):
    """Note that ``output`` views ``source``'s memory: it shares its version counter and remembers its base
    (the tensor at the root of a chain of views), the view ops that lead from the base to it, whether grad
    mode was on, the view it was taken from, (name, index) when it comes from an op with several
    outputs (split, unbind), and the version its grad_fn was made at. An in-place op on the view
    replays the ops to write the change into the base's graph (torch's CopySlices); a view whose base
    changed in place since gets its grad_fn replayed from the base when it is next used."""
    array, source_array = output._data, source._data
    owner = array.base
    if owner is None:
        return  # indexing with an array: a new tensor, not a view
    if owner is not source_array and owner is not source_array.base and \
            not source._device.xp.may_share_memory(array, source_array):
        return  # a reshape that had to copy
    output._version_counter = source._version_counter
    step = ((cls, params),)
    view = source._view
    grad_mode = graph._grad_mode.enabled
    version = source._version_counter[0]
    if view is None:
        output._view = (source, step, grad_mode, None, None, version)
    else:
        base, steps, made_with_grad, _, multi_output, _ = view
        output._view = (base, steps + step, made_with_grad and grad_mode, source, multi_output, version)


def _raise_device_mismatch(first, second):
    raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                       f"{first} and {second}!")


def _type_name(item):
    return getattr(getattr(item, "dtype", None), "tensor_type_name", "Tensor")


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds the gradient that reaches it into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable
        self._next = ()

    def name(self):
        return "AccumulateGrad"

    def register_hook(self, hook):
        self.variable._leaf_hooks = (self.variable._leaf_hooks or ()) + (hook,)

    def accumulate(self, grad, shared):
        """Add ``grad`` (a Tensor, or an array when no graph is recorded) into ``leaf.grad``.

        ``grad`` is copied first when it may be aliased elsewhere (``shared``: ids of arrays), since later
        gradients are added into ``leaf.grad`` in place.
        """
        leaf = self.variable
        on_arrays = not isinstance(grad, Function._Tensor)
        if leaf._grad is None:
            if on_arrays:
                leaf._grad = Function._Tensor._wrap(grad.copy() if _needs_copy(grad, shared) else grad, leaf._device)
            else:
                leaf._grad = grad if grad.requires_grad or not _needs_copy(grad._data, shared) else grad.clone()
        elif graph._grad_mode.enabled:
            leaf._grad = leaf._grad + grad
        else:
            leaf._grad._data += grad if on_arrays else grad._data
            leaf._grad._version_counter[0] += 1



def _needs_copy(array, shared):
    """True when ``array`` may be seen elsewhere: a marked alias, a view, or read-only memory."""
    return id(array) in shared or array.base is not None or not getattr(array.flags, "writeable", True)


def weak(tensor):
    return weakref.ref(tensor)


# --------------------------------------------------------------------- Functions written as torch users write them
def _make_torch_style(cls):
    """``@staticmethod def forward(ctx, ...)`` computes on tensors (the built-in ops and Functions written
    with ``def forward(self, *arrays)`` compute on arrays): such a class gets its own apply and backward."""
    user_backward = next(klass.__dict__["backward"] for klass in cls.__mro__ if "backward" in klass.__dict__)
    if isinstance(user_backward, staticmethod):
        cls._user_backward = user_backward
    cls.apply = classmethod(_apply_torch_style)
    cls.backward = _backward_torch_style
    cls.backward_name = cls.__name__ + "Backward"


def _apply_torch_style(cls, *args, **kwargs):
    """``MyFunction.apply(*args)``: forward on tensors without recording, then one node (``ctx``) for
    all of it in the graph, whose backward is the user's ``backward(ctx, *grad_outputs)``."""
    Tensor = cls._Tensor
    ctx = object.__new__(cls)
    ctx.materialize_grads, ctx.non_differentiable = True, ()
    ctx.needs_input_grad = tuple(isinstance(arg, Tensor) and arg.requires_grad for arg in args)
    ctx._saved = ()
    with graph.no_grad():
        if getattr(cls, "setup_context", None) is not None:  # torch's newer style: forward without ctx
            outputs = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args, **kwargs)
    if not (graph._grad_mode.enabled and True in ctx.needs_input_grad):
        return outputs
    ctx._saved = [(tensor, None if tensor is None else tensor._version_counter[0]) for tensor in ctx._saved]
    return _record_torch_style(ctx, args, outputs)


def _record_torch_style(ctx, args, outputs):
    Tensor = type(ctx)._Tensor
    single = not isinstance(outputs, tuple)
    results = [_as_output(ctx, output, args) for output in ((outputs,) if single else outputs)]
    ctx.output_shapes = [(tuple(r.shape), r._data.dtype, r._device) if isinstance(r, Tensor) else None
                         for r in results]
    ctx.output_info = next(shape for shape in ctx.output_shapes if shape is not None)
    ctx.device, ctx.on_arrays = ctx.output_info[2], False
    ctx.xp = ctx.device.xp
    ctx.module_scope = graph._grad_mode.module_scope
    ctx._next = tuple(_edge_of(arg) if needs else None for arg, needs in zip(args, ctx.needs_input_grad))
    if single:
        _attach(results[0], ctx)
        return results[0]
    for index, result in enumerate(results):
        if isinstance(result, Tensor) and not any(result is kept for kept in ctx.non_differentiable):
            _attach(result, _OutputSlot(ctx, index, len(results)))
    return tuple(results)


def _as_output(ctx, output, args):
    """The tensor to hand out: forward's own result, or a new tensor on an input it returned as it was."""
    if not isinstance(output, type(ctx)._Tensor):
        return output
    if any(output is arg for arg in args):
        return type(ctx)._Tensor._wrap(output._data, output._device)
    return output


def _attach(tensor, node):
    if tensor.dtype.is_floating_point:
        tensor._requires_grad, tensor.grad_fn = True, node


def _edge_of(tensor):
    return tensor.grad_fn or tensor._gradient_edge() if tensor._view is None else tensor._view_edge()


def _backward_torch_style(ctx, grad_output):
    """Call the user's ``backward(ctx, *grad_outputs)`` with tensors; check what it returns."""
    grads = grad_output.grads if isinstance(grad_output, _GradSlots) else [grad_output]
    grad_outputs = [_grad_tensor(ctx, grad, shape) for grad, shape in zip(grads, ctx.output_shapes)]
    input_grads = type(ctx)._user_backward(ctx, *grad_outputs)
    input_grads = input_grads if isinstance(input_grads, tuple) else (input_grads,)
    if len(input_grads) != len(ctx.needs_input_grad):
        raise RuntimeError(f"function {type(ctx).__name__}Backward returned an incorrect number of gradients "
                           f"(expected {len(ctx.needs_input_grad)}, got {len(input_grads)})")
    return tuple(grad if needs else None for grad, needs in zip(input_grads, ctx.needs_input_grad))


def _grad_tensor(ctx, grad, shape):
    Tensor = type(ctx)._Tensor
    if grad is None:
        if shape is None or not ctx.materialize_grads:
            return None
        return Tensor._wrap(shape[2].xp.zeros(shape[0], dtype=shape[1]), shape[2])
    return grad if isinstance(grad, Tensor) else Tensor._wrap(grad, ctx.device)


class _GradSlots:
    """The gradients of a torch-style Function's outputs, gathered slot by slot on their way to it."""
    base = ()  # tells the backward walk to add these with +, never in place

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return _GradSlots([mine if theirs is None else theirs if mine is None else mine + theirs
                           for mine, theirs in zip(self.grads, other.grads)])


class _OutputSlot(Node):
    """The grad_fn of output ``index`` of a torch-style Function with several outputs: hands its gradient
    to the Function's node in that output's slot."""
    backward_on_arrays = True
    on_arrays = False

    def __init__(self, ctx, index, count):
        self._next, self.index, self.count = (ctx,), index, count
        self.output_info = ctx.output_shapes[index]

    def name(self):
        return self._next[0].name()

    def backward(self, grad_output):
        grads = [None] * self.count
        grads[self.index] = grad_output
        return (_GradSlots(grads),)

    def _release(self):
        pass
