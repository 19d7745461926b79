"""Run one computation in tinygrad_edu and in PyTorch, compare the results and every gradient.

>>> check(lambda x, y: x * y, (3, 4), (4,))            # shapes: random float64 inputs
>>> check(lambda x: lib(x).where(x > 0, x, 0 * x), (5,))  # lib(x): tinygrad_edu or torch

The same lambda runs on both frameworks: write Tensor methods, and reach module-level
functions through ``lib(t)`` (``tinygrad_edu`` or ``torch``) or ``F(t)`` (their
``nn.functional``). Each output is compared in value, shape and dtype; then a random
upstream gradient flows back through both graphs and every input's ``.grad`` is compared.
"""
import numpy as np
import torch

import tinygrad_edu as tg

TOLERANCES = {
    "float64": dict(rtol=1e-7, atol=1e-9),
    "float32": dict(rtol=1.3e-6, atol=1e-5),
    "float16": dict(rtol=1e-3, atol=1e-5),
}
FLOAT_DTYPES = ("float16", "float32", "float64")


class Const:
    """An input given as an array that must not require grad (a mask, an index, a constant)."""

    def __init__(self, array):
        self.array = np.asarray(array)


def lib(tensor):
    """The framework a tensor belongs to: ``torch`` or ``tinygrad_edu``."""
    return torch if isinstance(tensor, torch.Tensor) else tg


def F(tensor):
    """The ``nn.functional`` module of the tensor's framework."""
    return torch.nn.functional if isinstance(tensor, torch.Tensor) else tg.nn.functional


def dtype_name(dtype):
    """'float32' for ``torch.float32`` and for ``tinygrad_edu.float32``."""
    return str(dtype).rsplit(".", 1)[-1]


def to_numpy(tensor):
    """A NumPy copy of either framework's tensor (detached, from any device)."""
    return np.array(tensor.detach().cpu().numpy())


def random_array(shape, dtype="float64", rng=None, positive=False):
    """Standard normal values of ``shape``; ``positive=True``: values in [0.5, 2.5)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    values = rng.uniform(0.5, 2.5, size=shape) if positive else rng.standard_normal(shape)
    return np.asarray(values, dtype=dtype)


def make_inputs(specs, dtype="float64", grad=True, positive=False, seed=0):
    """Build matching (ours, torch) input lists from shapes, arrays and ``Const`` arrays.

    Shapes become random float arrays of ``dtype``; float arrays are cast to ``dtype``;
    integer and boolean arrays keep their type and never require grad.
    """
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for index, spec in enumerate(specs):
        wants_grad = grad and not isinstance(spec, Const)
        if isinstance(spec, Const):
            array = spec.array
        elif isinstance(spec, tuple):
            is_positive = positive if isinstance(positive, bool) else index in positive
            array = random_array(spec, dtype, rng, is_positive)
        else:
            array = np.asarray(spec)
            if array.dtype.kind == "f":
                array = array.astype(dtype)
        wants_grad = wants_grad and array.dtype.kind == "f"
        ours.append(tg.tensor(array.copy(), requires_grad=wants_grad))
        theirs.append(torch.tensor(array.copy(), requires_grad=wants_grad))
    return ours, theirs


def flatten_outputs(output):
    """The tensors of an op's result: one tensor, or the tensors of a (named) tuple or list."""
    if isinstance(output, (tuple, list)):
        return [tensor for item in output for tensor in flatten_outputs(item)]
    return [output]


def float_outputs(fn):
    """Wrap an op so gradcheck sees only its floating outputs (``max(dim)`` also returns indices)."""
    def wrapped(*inputs):
        outputs = [o for o in flatten_outputs(fn(*inputs)) if o.dtype.is_floating_point]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)
    return wrapped


def assert_close(ours, theirs, rtol=None, atol=None, what="value"):
    """Compare a tinygrad_edu tensor with a torch tensor: shape, dtype and values."""
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} != torch {tuple(theirs.shape)}"
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), f"{what}: dtype {ours.dtype} != torch {theirs.dtype}"
    expected = to_numpy(theirs)
    actual = to_numpy(ours)
    if expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    tolerance = dict(TOLERANCES[dtype_name(theirs.dtype)])
    tolerance.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})
    np.testing.assert_allclose(actual, expected, equal_nan=True, err_msg=what, **tolerance)


def check(fn, *inputs, torch_fn=None, dtype="float64", grad=True, positive=False, seed=0, rtol=None, atol=None,
          create_graph=False):
    """Run ``fn`` on both frameworks from the same inputs; compare outputs and input gradients.

    ``inputs``: shapes (random ``dtype`` data), arrays, or ``Const(array)`` (no grad).
    ``torch_fn``: the torch computation when it differs from ``fn``.
    ``positive``: True, or a tuple of input positions, for inputs drawn from [0.5, 2.5).
    ``create_graph``: run our backward with Tensors (recorded) instead of arrays.
    Returns the (ours, torch) input tensors for further checks.
    """
    ours_inputs, torch_inputs = make_inputs(inputs, dtype, grad, positive, seed)
    ours_outputs = flatten_outputs(fn(*ours_inputs))
    torch_outputs = flatten_outputs((torch_fn or fn)(*torch_inputs))
    assert len(ours_outputs) == len(torch_outputs), "number of outputs differs from torch"
    for index, (ours, theirs) in enumerate(zip(ours_outputs, torch_outputs)):
        assert isinstance(ours, tg.Tensor), f"output {index} is {type(ours).__name__}, not a Tensor"
        assert not ours_inputs or ours.device == ours_inputs[0].device, f"output {index} is on {ours.device}"
        assert_close(ours, theirs, rtol, atol, what=f"output {index}")
        assert ours.requires_grad == theirs.requires_grad, f"output {index}: requires_grad differs from torch"
    if grad and any(t.requires_grad for t in torch_outputs):
        _backward_both(ours_outputs, torch_outputs, dtype, seed, create_graph)
        for index, (ours, theirs) in enumerate(zip(ours_inputs, torch_inputs)):
            if theirs.grad is None:
                assert ours.grad is None, f"input {index}: torch has no grad, ours has one"
            else:
                assert ours.grad is not None, f"input {index}: no grad (torch has one)"
                assert ours.grad.device == ours.device, f"grad of input {index} is on {ours.grad.device}"
                assert_close(ours.grad, theirs.grad, rtol, atol, what=f"grad of input {index}")
    return ours_inputs, torch_inputs


def _backward_both(ours_outputs, torch_outputs, dtype, seed, create_graph=False):
    """Backward with the same random upstream gradient through every differentiable output."""
    rng = np.random.default_rng(seed + 1)
    pairs = [(o, t) for o, t in zip(ours_outputs, torch_outputs) if t.requires_grad]
    upstream = [random_array(tuple(t.shape), dtype_name(t.dtype), rng) for _, t in pairs]
    if len(pairs) == 1:
        (ours, theirs), = pairs
        ours.backward(tg.tensor(upstream[0]), create_graph=create_graph)
        theirs.backward(torch.tensor(upstream[0]))
        return
    ours_total = sum((o * tg.tensor(g)).sum() for (o, _), g in zip(pairs, upstream))
    torch_total = sum((t * torch.tensor(g)).sum() for (_, t), g in zip(pairs, upstream))
    ours_total.backward(create_graph=create_graph)
    torch_total.backward()


def cases(table):
    """Turn ``(name, fn, inputs[, options])`` rows into pytest params with readable ids."""
    import pytest
    return [pytest.param(row[1], row[2], row[3] if len(row) > 3 else {}, id=row[0]) for row in table]
