"""Reverse-mode differentiation: the backward pass, ``grad``, gradcheck and anomaly detection.

``backward`` walks the graph of nodes (``Function`` instances and one ``AccumulateGrad``
per leaf) once, in topological order, so each node runs after every node that uses its
output: by then its gradient is complete. The walk is an explicit loop, never
recursion, so graphs a million ops deep are fine.
"""
import contextlib
import gc
import warnings

import numpy

from tinygrad_edu import graph
from tinygrad_edu.function import AccumulateGrad, Function, Op, _anomaly, _GradSlots, _type_name
from tinygrad_edu.graph import topological_order
from tinygrad_edu.tensor import Tensor

__all__ = ["backward", "grad", "Function", "Op", "Variable", "gradcheck", "gradgradcheck", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "GradcheckError"]


class _Roots:
    """A stand-in node whose parents are all the roots of one backward call."""

    def __init__(self, nodes):
        self._next = nodes


def _parents(node):
    return node._next


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradient of ``tensors`` (weighted by ``grad_tensors``)."""
    tensors = _as_tuple(tensors)
    grads = _initial_grads(tensors, _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors))
    capture = None
    if inputs is not None:
        capture = {tensor._gradient_edge(): tensor for tensor in _as_tuple(inputs)}
    _run(tensors, grads, retain_graph if retain_graph is not None else create_graph, create_graph,
         capture=capture, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    >>> x = tensor(3.0, requires_grad=True)
    >>> (dy_dx,) = grad(x ** 2, x, create_graph=True)   # 6.0, itself differentiable
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs))
    edges = [tensor._gradient_edge() for tensor in inputs]
    found = _run(outputs, grads, retain_graph if retain_graph is not None else create_graph, create_graph,
                 capture={edge: None for edge in edges}, accumulate=False)
    results = []
    for position, (tensor, edge) in enumerate(zip(inputs, edges)):
        result = found.get(edge)
        if result is None and materialize_grads:
            result = tensor.new_zeros(tensor.shape)
        elif result is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {position} appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
        results.append(result)
    return tuple(results)


def _as_tuple(value):
    if isinstance(value, Tensor) or value is None:
        return (value,)
    return tuple(value)


def _initial_grads(outputs, grad_outputs):
    if len(grad_outputs) != len(outputs):
        raise RuntimeError("grad can be implicitly created only for scalar outputs"
                           if not grad_outputs else
                           f"Mismatch in number of outputs: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    grads = []
    for output, gradient in zip(outputs, grad_outputs):
        if not output.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if output.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            gradient = output.new_ones(output.shape)
        elif not isinstance(gradient, Tensor):
            gradient = output.new_tensor(gradient)
        if tuple(gradient.shape) != tuple(output.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {gradient.shape} and output[0] "
                               f"has a shape of {output.shape}.")
        grads.append(gradient)
    return grads


def _run(outputs, output_grads, retain_graph, create_graph, capture, accumulate):
    """The backward pass. ``capture`` maps nodes whose incoming gradient should be returned.

    Without ``create_graph`` the gradients travel as plain arrays: an ``Op`` computes on them
    directly and any other Function gets them wrapped as Tensors. With it they are Tensors,
    and every backward is recorded.
    """
    on_arrays = not create_graph
    roots = [output._gradient_edge() for output in outputs]
    pending = {}
    shared = set()  # ids of arrays that may be seen elsewhere: never added into in place
    for node, gradient in zip(roots, output_grads):
        gradient = gradient._data if on_arrays else gradient
        shared.add(id(_array_of(gradient)))
        _add_grad(pending, node, gradient, shared)
    captured = {}
    with graph.set_grad_enabled(create_graph), _garbage_collector_paused(), numpy.errstate(all="ignore"):
        for node in topological_order(_Roots(roots), _parents)[1:]:
            grad_output = pending.pop(node, None)
            if grad_output is None:
                continue
            at_leaf = node.__class__ is AccumulateGrad
            if at_leaf or node._hooks is not None:
                grad_output = _run_hooks(node, grad_output, on_arrays, shared)
            if capture is not None and node in capture:
                captured[node] = _as_tensor(grad_output, _device_of_node(node))
                shared.add(id(_array_of(grad_output)))
            if at_leaf:
                if accumulate and (capture is None or node in capture):
                    node.accumulate(grad_output, shared)
                continue
            if node._retained is not None:
                _keep_retained_grad(node, grad_output)
            input_grads = _call_backward(node, grad_output, on_arrays, shared)
            if len(input_grads) > 1 and on_arrays:
                _mark_repeats(input_grads, shared)
            for parent, input_grad in zip(node._next, input_grads):
                if parent is not None and input_grad is not None:
                    if input_grad is grad_output:
                        shared.add(id(_array_of(input_grad)))
                    _add_grad(pending, parent, input_grad, shared)
            if not retain_graph:
                node._release()
    return captured


@contextlib.contextmanager
def _garbage_collector_paused():
    """The walk makes no reference cycles, but its many small allocations would start collections
    that each traverse the whole graph: pausing the collector keeps the walk linear in depth."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _add_grad(pending, node, gradient, shared):
    """Sum the gradients reaching ``node``: in place when the running sum is an array of our own."""
    existing = pending.get(node)
    if existing is None:
        pending[node] = gradient
    elif not isinstance(existing, Tensor) and existing.base is None and id(existing) not in shared \
            and existing.shape == gradient.shape:
        existing += gradient
        pending[node] = existing  # a NumPy scalar is immutable: there += made a new one
    else:
        pending[node] = existing + gradient


def _mark_repeats(input_grads, shared):
    """Mark the arrays of a backward that sends one array to two inputs: none may be added into in place."""
    if len(input_grads) == 2:  # most ops: one comparison
        if input_grads[0] is input_grads[1] and input_grads[0] is not None:
            shared.add(id(input_grads[0]))
        return
    ids = [id(input_grad) for input_grad in input_grads if input_grad is not None]
    if len(set(ids)) < len(ids):
        shared.update(ids)


def _array_of(gradient):
    return gradient._data if isinstance(gradient, Tensor) else gradient


def _as_tensor(gradient, device):
    if isinstance(gradient, (Tensor, _GradSlots)):
        return gradient
    return Tensor._wrap(gradient, device)


def _device_of_node(node):
    return node.variable._device if isinstance(node, AccumulateGrad) else node.output_info[2]


def _run_hooks(node, grad_output, on_arrays, shared):
    hooks = node.variable._leaf_hooks if isinstance(node, AccumulateGrad) else node._hooks
    if not hooks:
        return grad_output
    gradient = _as_tensor(grad_output, _device_of_node(node))
    for hook in hooks:
        replaced = hook(gradient)
        if replaced is not None:
            _check_hook_result(hook, gradient, replaced)
            gradient = replaced
    shared.add(id(gradient._data))  # a hook may keep the tensor it was given
    return gradient._data if on_arrays else gradient


def _check_hook_result(hook, gradient, replaced):
    """A hook may change a gradient's values, never its shape or dtype (torch's rule and words)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(replaced, Tensor) or replaced._data.shape != gradient._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if replaced._data.dtype != gradient._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {_type_name(gradient)} "
                           f"got {_type_name(replaced)})")


def _keep_retained_grad(node, grad_output):
    tensor = node._retained()
    if tensor is not None:
        detached = grad_output if graph.is_grad_enabled() else _as_tensor(grad_output, _device_of_node(node)).clone()
        tensor._grad = detached if tensor._grad is None else tensor._grad + detached


def _call_backward(node, grad_output, on_arrays, shared):
    """The node's input gradients: arrays when ``on_arrays``, else Tensors."""
    if on_arrays and node.backward_on_arrays:
        node.on_arrays = True
        try:
            input_grads = node.backward(grad_output)
        finally:
            node.on_arrays = False
    elif on_arrays:
        input_grads = node.backward(_as_tensor(grad_output, _device_of_node(node)))
        input_grads = _arrays_of_results(input_grads, shared)
    else:
        input_grads = node.backward(grad_output)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if _anomaly["enabled"]:
        _check_for_nan(node, input_grads)
    return input_grads


def _arrays_of_results(input_grads, shared):
    """A Function's Tensor results as arrays, each marked as possibly seen elsewhere."""
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    arrays = tuple(None if grad is None else grad._data for grad in input_grads)
    shared.update(id(array) for array in arrays)
    return arrays


# --------------------------------------------------------------------- anomaly detection
def _check_for_nan(node, input_grads):
    for position, input_grad in enumerate(input_grads):
        if input_grad is not None and _anomaly["check_nan"] and bool((input_grad != input_grad).any()):
            trace = getattr(node, "_forward_trace", None)
            where = f"\nThe forward call that created it:\n{trace}" if trace else ""
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {position}th output.{where}")


def is_anomaly_enabled():
    return _anomaly["enabled"]


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, or as a context manager.

    When on, each op remembers the traceback of its forward call, and a backward
    that produces NaN raises an error naming the op and showing that traceback.
    """

    def __init__(self, mode, check_nan=True):
        self._previous = dict(_anomaly)
        _anomaly["enabled"], _anomaly["check_nan"] = bool(mode), check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _anomaly.update(self._previous)
        return False


@contextlib.contextmanager
def detect_anomaly(check_nan=True):
    """Context manager: anomaly detection inside the block (see ``set_detect_anomaly``)."""
    warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                  "enabled for debugging.", stacklevel=3)
    with set_detect_anomaly(True, check_nan):
        yield


# --------------------------------------------------------------------- numerical gradient checks
class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _differentiable_inputs(inputs):
    return [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _outputs_of(func, inputs):
    outputs = func(*inputs)
    return (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)


def _numerical_jacobian(func, inputs, output_index, eps):
    """d output / d input by central differences, one column per input element."""
    columns = []
    for _, x in _differentiable_inputs(inputs):
        flat = x._data.reshape(-1)
        jacobian = numpy.zeros((flat.size, _outputs_of(func, inputs)[output_index].numel()))
        for k in range(flat.size):
            original = flat[k].item()
            flat[k] = original + eps
            plus = _outputs_of(func, inputs)[output_index].detach().numpy(force=True).astype(numpy.float64).ravel()
            flat[k] = original - eps
            minus = _outputs_of(func, inputs)[output_index].detach().numpy(force=True).astype(numpy.float64).ravel()
            flat[k] = original
            jacobian[k] = (plus - minus) / (2 * eps)
        columns.append(jacobian)
    return columns


def _analytical_jacobian(func, inputs, output_index):
    output = _outputs_of(func, inputs)[output_index]
    differentiable = [x for _, x in _differentiable_inputs(inputs)]
    jacobians = [numpy.zeros((x.numel(), output.numel())) for x in differentiable]
    for j in range(output.numel()):
        unit = numpy.zeros(output.numel())
        unit[j] = 1
        upstream = output.new_tensor(unit.reshape(output.shape))
        grads = grad(output, differentiable, upstream, retain_graph=True, allow_unused=True)
        for jacobian, g in zip(jacobians, grads):
            if g is not None:
                jacobian[:, j] = g.detach().numpy(force=True).astype(numpy.float64).ravel()
    return jacobians


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Compare autograd's gradients of ``func`` with central finite differences.

    Use float64 inputs with ``requires_grad=True``. Returns True, or raises
    ``GradcheckError`` (or returns False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    for _, x in _differentiable_inputs(inputs):
        if x.dtype.name != "float64":
            warnings.warn(f"Input #{_} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating point.")
    for output_index, output in enumerate(_outputs_of(func, inputs)):
        if not output.requires_grad:
            continue
        numerical = _numerical_jacobian(func, inputs, output_index, eps)
        analytical = _analytical_jacobian(func, inputs, output_index)
        for position, (n, a) in enumerate(zip(numerical, analytical)):
            if not numpy.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {output_index} with respect to input {position},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the gradient: checks second derivatives of ``func``."""
    inputs = _as_tuple(inputs)
    outputs = _outputs_of(func, inputs)
    if grad_outputs is None:
        rng = numpy.random.default_rng(0)
        grad_outputs = tuple(o.new_tensor(rng.standard_normal(o.shape)).requires_grad_() for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    differentiable = [x for _, x in _differentiable_inputs(inputs)]
    count = len(inputs)

    def first_derivatives(*values):
        outs = _outputs_of(func, values[:count])
        used = [(o, g) for o, g in zip(outs, values[count:]) if o.requires_grad]
        return grad([o for o, _ in used], [x for _, x in _differentiable_inputs(values[:count])],
                    [g for _, g in used], create_graph=True, allow_unused=True, materialize_grads=True)

    del differentiable
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """What torch < 0.4 wrapped tensors in; now every tensor is one (as in torch ≥ 0.4).

    ``Variable(t, requires_grad=True)`` returns a new leaf sharing ``t``'s values, and
    ``isinstance(t, Variable)`` is True for every tensor.

    >>> x = Variable(tinygrad_edu.ones(2), requires_grad=True)
    >>> x.requires_grad, isinstance(x, tinygrad_edu.Tensor)
    (True, True)
    """

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with tinygrad_edu.no_grad():` instead.",
                          stacklevel=2)
        if data is None:
            from tinygrad_edu.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
