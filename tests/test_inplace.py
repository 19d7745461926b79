"""In-place ops: values, version counters, leaf protection and graph rebasing, each run in torch too.

Every scenario is one function of the framework module ``m`` (``tinygrad_edu`` or ``torch``);
the tests run it on both and compare what it returns, or check both raise the same error.
"""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from helpers import to_numpy

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"
LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
BASE = np.array([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]])
OTHER = np.array([1.5, -2.0, 0.5])
UPSTREAM = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])


def start(m, requires_grad=False):
    return m.tensor(BASE.copy(), requires_grad=requires_grad)


def run_both(scenario):
    """Run ``scenario`` with each framework; compare the arrays (or tensors) it returns."""
    ours, theirs = scenario(tg), scenario(torch)
    assert len(ours) == len(theirs)
    for index, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None, f"result {index}: torch gives None"
            continue
        a = to_numpy(a) if not isinstance(a, np.ndarray) else a
        b = to_numpy(b) if not isinstance(b, np.ndarray) else b
        assert a.dtype == b.dtype, f"result {index}: dtype {a.dtype} != torch {b.dtype}"
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=f"result {index}")


def raise_both(scenario, error, message):
    """``scenario`` raises ``error`` with ``message`` in torch, and in tinygrad_edu alike."""
    for m in (torch, tg):
        with pytest.raises(error, match=message):
            scenario(m)


VALUE_CASES = {
    "add_": lambda m, x: x.add_(m.tensor(OTHER)),
    "add_alpha": lambda m, x: x.add_(m.tensor(OTHER), alpha=2),
    "add_scalar": lambda m, x: x.add_(1.5),
    "sub_alpha": lambda m, x: x.sub_(m.tensor(OTHER), alpha=0.5),
    "mul_tensor": lambda m, x: x.mul_(m.tensor(OTHER)),
    "mul_scalar": lambda m, x: x.mul_(3),
    "div_": lambda m, x: x.div_(m.tensor(OTHER)),
    "zero_": lambda m, x: x.zero_(),
    "fill_": lambda m, x: x.fill_(7.0),
    "copy_broadcast": lambda m, x: x.copy_(m.tensor(OTHER)),
    "copy_other_dtype": lambda m, x: x.copy_(m.tensor([[1, 2, 3], [4, 5, 6]])),
    "clamp_": lambda m, x: x.clamp_(-1.0, 1.0),
    "clamp_min": lambda m, x: x.clamp_(min=0.0),
    "addcmul_": lambda m, x: x.addcmul_(m.tensor(OTHER), m.tensor(OTHER), value=0.5),
    "addcdiv_": lambda m, x: x.addcdiv_(m.tensor(OTHER), m.tensor(OTHER) + 3, value=2),
    "lerp_": lambda m, x: x.lerp_(m.tensor(OTHER), 0.25),
    "sqrt_": lambda m, x: x.clamp_(min=0.1).sqrt_(),
    "relu_": lambda m, x: x.relu_(),
}


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_inplace_values_and_self_return(name):
    def scenario(m):
        x = start(m)
        result = VALUE_CASES[name](m, x)
        assert result is x
        return [result]
    run_both(scenario)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_keeps_dtype(dtype):
    x = tg.tensor(BASE, dtype=getattr(tg, dtype))
    x.add_(tg.tensor(OTHER))
    x.mul_(2.5)
    x.copy_(tg.tensor([1, 2, 3]))
    assert x.dtype is getattr(tg, dtype)


SETITEM_CASES = {
    "int_scalar": lambda m, x: x.__setitem__(0, 9.0),
    "slice_tensor": lambda m, x: x.__setitem__((slice(None), slice(1, None)), m.tensor([[1.0, 2.0], [3.0, 4.0]])),
    "broadcast_row": lambda m, x: x.__setitem__(1, m.tensor(OTHER)),
    "mask": lambda m, x: x.__setitem__(x > 0, 0.0),
    "int_tensor": lambda m, x: x.__setitem__((slice(None), m.tensor([0, 2])), -1.0),
    "ellipsis": lambda m, x: x.__setitem__((Ellipsis, -1), 5.0),
}


@pytest.mark.parametrize("name", sorted(SETITEM_CASES))
def test_setitem_values(name):
    def scenario(m):
        x = start(m)
        SETITEM_CASES[name](m, x)
        return [x]
    run_both(scenario)


def test_random_fills_keep_shape_and_dtype():
    x = tg.zeros(500, dtype=tg.float64)
    assert x.uniform_(-2.0, 3.0) is x and x.dtype == tg.float64
    assert -2.0 <= x.numpy().min() and x.numpy().max() < 3.0
    x.normal_(1.0, 0.5)
    assert abs(x.numpy().mean() - 1.0) < 0.1 and abs(x.numpy().std() - 0.5) < 0.1


# -- gradients through in-place ops on non-leaves --
GRAD_CASES = {}


def grad_case(scenario):
    GRAD_CASES[scenario.__name__] = scenario
    return scenario


@grad_case
def rebase_add_mul(m, x, w):
    y = x * 2
    y.add_(1)
    y.mul_(3)
    return y


@grad_case
def rebase_sub_div(m, x, w):
    y = x * x
    y.sub_(w, alpha=2)
    y.div_(4)
    return y


@grad_case
def rebase_clamp(m, x, w):
    y = x * 2
    y.clamp_(-1.0, 2.0)
    return y


@grad_case
def mul_by_tensor(m, x, w):
    y = x * 1.5
    y.mul_(w)
    return y


@grad_case
def zero_then_add(m, x, w):
    y = x * 1.0
    y.zero_()
    y.add_(w)
    return y


@grad_case
def copy_from_w(m, x, w):
    y = x * 1.0
    y.copy_(w)
    return y * x


@grad_case
def fill_a_row_view(m, x, w):
    y = x * x
    y[0].fill_(2.0)
    return y


@grad_case
def setitem_scalar(m, x, w):
    y = x * 3
    y[0] = 0.0
    return y


@grad_case
def setitem_tensor(m, x, w):
    y = x.sin()
    y[:, 1] = w[:2] * 2
    return y


@grad_case
def setitem_mask(m, x, w):
    y = x * 2
    y[y > 0] = 0.5
    return y


@grad_case
def unsaved_input_changed(m, x, w):
    y = x * 2
    z = y + w
    y.mul_(10)
    return z


@grad_case
def sum_needs_no_values(m, x, w):
    y = x * 2
    z = y.sum(0)
    y.add_(5)
    return z


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_inplace_on_non_leaf_gives_torch_gradients(name):
    def scenario(m):
        x = start(m, requires_grad=True)
        w = m.tensor(OTHER, requires_grad=True)
        out = GRAD_CASES[name](m, x, w)
        out.backward(m.tensor(UPSTREAM[:, :out.shape[-1]] if out.dim() == 2 else UPSTREAM[0, :out.shape[0]]))
        return [out, x.grad, w.grad]
    run_both(scenario)


def test_rebased_graph_keeps_node_names():
    for m in (tg, torch):
        y = start(m, requires_grad=True) * 2
        y.add_(1)
        assert y.grad_fn.name() == "AddBackward0" and not y.is_leaf
        y.mul_(3)
        assert y.grad_fn.name() == "MulBackward0"


# -- version counters: modifying what backward needs raises at backward --
ERROR_CASES = {}


def error_case(scenario):
    ERROR_CASES[scenario.__name__] = scenario
    return scenario


@error_case
def saved_output_of_sigmoid(x):
    y = x.sigmoid()
    y.mul_(2)
    return y


@error_case
def saved_output_of_exp(x):
    y = x.exp()
    y.add_(1)
    return y


@error_case
def saved_input_of_mul(x):
    y = x * 2
    z = y * y
    y.add_(1)
    return z


@error_case
def saved_input_via_setitem(x):
    y = x.abs() + 1
    z = y.log()
    y[0] = 1.0
    return z


@error_case
def saved_input_via_copy(x):
    y = x.abs() + 1
    z = y.log()
    y.copy_(x * 0)
    return z


@error_case
def saved_output_through_a_view(x):
    y = x.exp()
    y[0].mul_(2)
    return y


@error_case
def saved_input_via_zero(x):
    y = x + 1
    z = y ** 2
    y.zero_()
    return z


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_modifying_a_saved_tensor_raises_at_backward(name):
    def scenario(m):
        x = start(m, requires_grad=True)
        ERROR_CASES[name](x).sum().backward()
    raise_both(scenario, RuntimeError, MODIFIED)


def test_leaf_changed_under_no_grad_after_use_raises_at_backward():
    def scenario(m):
        w = start(m, requires_grad=True)
        loss = (w * w).sum()
        with m.no_grad():
            w.add_(1.0)
        loss.backward()
    raise_both(scenario, RuntimeError, MODIFIED)


def test_leaf_updated_under_no_grad_then_reused_is_fine():
    def scenario(m):
        w = start(m, requires_grad=True)
        (w * w).sum().backward()
        with m.no_grad():
            w.sub_(0.1 * w.grad)
            w.grad.zero_()
        (w * m.tensor(OTHER)).sum().backward()
        return [w, w.grad]
    run_both(scenario)


LEAF_CASES = {
    "add_": lambda m, x: x.add_(1),
    "mul_": lambda m, x: x.mul_(2),
    "zero_": lambda m, x: x.zero_(),
    "fill_": lambda m, x: x.fill_(1.0),
    "copy_": lambda m, x: x.copy_(m.zeros(2, 3)),
    "clamp_": lambda m, x: x.clamp_(0, 1),
    "setitem": lambda m, x: x.__setitem__(0, 1.0),
}


@pytest.mark.parametrize("name", sorted(LEAF_CASES))
def test_inplace_on_a_leaf_that_requires_grad_raises(name):
    def scenario(m):
        x = start(m, requires_grad=True)
        try:
            LEAF_CASES[name](m, x)
        finally:
            np.testing.assert_array_equal(to_numpy(x), BASE)
    raise_both(scenario, RuntimeError, LEAF)


def test_requires_grad_in_place():
    x = start(tg)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    y = start(tg, requires_grad=True) * 2
    y.requires_grad_(True)
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables."):
        y.requires_grad_(False)


@pytest.mark.parametrize("name", ["saved_input_via_zero", "saved_output_of_exp"])
def test_modifying_a_saved_tensor_raises_when_the_backward_is_recorded(name):
    """With create_graph=True the saved values come back as Tensors: the same check, the same message."""
    def scenario(m):
        x = start(m, requires_grad=True)
        m.autograd.grad(ERROR_CASES[name](x).sum(), x, create_graph=True)
    raise_both(scenario, RuntimeError, MODIFIED)


class _TorchSavedExp(torch.autograd.Function):
    """exp that saves its input and its output, in torch's style of Function..."""
    @staticmethod
    def forward(ctx, x):
        output = x.exp()
        ctx.save_for_backward(x, output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        x, output = ctx.saved_tensors
        return grad_output * output


class _SavedExp(tg.autograd.Function):
    """...and in ours: forward on arrays, backward on the saved values as Tensors."""
    def forward(self, x):
        output = self.xp.exp(x)
        self.save_for_backward(x, output)
        return output

    def backward(self, grad_output):
        x, output = self.saved_tensors
        return grad_output * output


@pytest.mark.parametrize("modify", ["input", "output"])
def test_modifying_what_a_user_function_saved_raises_at_backward(modify):
    def scenario(m):
        x = start(m, requires_grad=True)
        y = x * 1
        z = (_TorchSavedExp if m is torch else _SavedExp).apply(y)
        with m.no_grad():
            (y if modify == "input" else z).mul_(2)
        z.sum().backward()
    raise_both(scenario, RuntimeError, MODIFIED)


# ---- x += y and friends: in place, as in torch (the tutorials' ``param -= lr * param.grad``) ----------

AUGMENTED = [
    ("+=", lambda t, o: t.__iadd__(o)), ("-=", lambda t, o: t.__isub__(o)), ("*=", lambda t, o: t.__imul__(o)),
    ("/=", lambda t, o: t.__itruediv__(o)), ("**=", lambda t, o: t.__ipow__(o)),
]


@pytest.mark.parametrize("name, augmented", AUGMENTED, ids=[name for name, _ in AUGMENTED])
def test_augmented_assignment_updates_a_leaf_in_place_under_no_grad(name, augmented):
    results = []
    for lib in (torch, tg):
        param = lib.tensor([1.5, 2.0, 3.0], requires_grad=True)
        same = param
        with lib.no_grad():
            param = augmented(param, lib.tensor([0.5, 2.0, 1.5]))
            param = augmented(param, 2.0)
        results.append((param is same, param.detach().numpy(), param.requires_grad, param.grad_fn is None))
    (same_t, values_t, *rest_t), (same_o, values_o, *rest_o) = results
    assert same_o and same_t and rest_o == rest_t
    np.testing.assert_allclose(values_o, values_t, rtol=1e-6)


def test_augmented_assignment_on_a_leaf_that_requires_grad_raises_as_torch():
    param = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        param -= 1


def test_augmented_assignment_inside_a_graph_records_as_torch():
    def compute(lib):
        x = lib.tensor([1.0, 2.0, -3.0], requires_grad=True)
        y = x * 2
        y += 1
        y *= x
        y /= 3
        y.backward(lib.tensor([0.3, -1.0, 2.0]))
        return y.detach().numpy(), x.grad.numpy()
    for ours, theirs in zip(compute(tg), compute(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_augmented_assignment_on_integer_and_bool_tensors():
    def compute(lib):
        a, b = lib.tensor([7, -7, 5]), lib.tensor([7, -7, 5])
        a //= 2
        b %= 3
        c = lib.tensor([True, False, True])
        c &= lib.tensor([True, True, False])
        c |= lib.tensor([False, True, False])
        c ^= lib.tensor([True, True, True])
        return a.tolist(), b.tolist(), c.tolist()
    assert compute(tg) == compute(torch)


# -- in-place ops on views: the base's graph is rebased (torch's CopySlices) --
VIEW_KINDS = {
    "slice": lambda y: y[:, 1:3],
    "select": lambda y: y[1],
    "transpose": lambda y: y.t()[1:],
    "reshape": lambda y: y.reshape(2, 6)[1, 2:5],
    "view_of_view": lambda y: y[1:].transpose(0, 1)[::2],
    "unsqueeze": lambda y: y[0].unsqueeze(0),
}
VIEW_OPS = {
    "relu_": lambda m, v, w: v.relu_(),
    "mul_": lambda m, v, w: v.mul_(w[:v.shape[-1]]),
    "add_": lambda m, v, w: v.add_(w[:v.shape[-1]] * 2),
    "leaky_relu_inplace": lambda m, v, w: m.nn.LeakyReLU(0.2, inplace=True)(v),
    "clamp_": lambda m, v, w: v.clamp_(-2.0, 3.0),
    "copy_": lambda m, v, w: v.copy_(w[:v.shape[-1]].sin()),
    "setitem": lambda m, v, w: v.__setitem__(..., w[:v.shape[-1]] * 3),
}


def view_scenario(kind, op, dtype):
    """``y = x * 2`` in the graph, an in-place op on a view of it, then both used."""
    def scenario(m):
        rng = np.random.default_rng(7)
        x = m.tensor(rng.standard_normal((3, 4)) * 3, dtype=getattr(m, dtype), requires_grad=True)
        w = m.tensor(rng.standard_normal(4), dtype=getattr(m, dtype), requires_grad=True)
        y = x * 2
        v = VIEW_KINDS[kind](y)
        VIEW_OPS[op](m, v, w)
        assert v.requires_grad and y.grad_fn.name().endswith("CopySlices")
        loss = (y * m.tensor(rng.standard_normal((3, 4)), dtype=getattr(m, dtype))).sum() \
            + (v * v.detach().sin()).sum()
        loss.backward()
        return [y, v, x.grad, w.grad]
    return scenario


@pytest.mark.parametrize("kind", sorted(VIEW_KINDS))
@pytest.mark.parametrize("op", sorted(VIEW_OPS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_inplace_on_a_view_rebases_the_base_as_torch(kind, op, dtype):
    ours, theirs = view_scenario(kind, op, dtype)(tg), view_scenario(kind, op, dtype)(torch)
    for what, a, b in zip(["base", "view", "x.grad", "w.grad"], ours, theirs):
        assert (a is None) == (b is None), what
        if b is not None:
            assert to_numpy(a).dtype == to_numpy(b).dtype
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5 if dtype == "float32" else 1e-12,
                                       atol=1e-6 if dtype == "float32" else 1e-12, err_msg=what)


def test_leaky_relu_inplace_after_a_conv_slice():
    def scenario(m):
        rng = np.random.default_rng(3)
        conv = m.nn.Conv2d(2, 4, 3)
        with m.no_grad():
            conv.weight.copy_(m.tensor(rng.standard_normal((4, 2, 3, 3))))
            conv.bias.copy_(m.tensor(rng.standard_normal(4)))
        x = m.tensor(rng.standard_normal((2, 2, 5, 5)), dtype=m.float32, requires_grad=True)
        out = conv(x)
        m.nn.LeakyReLU(0.1, inplace=True)(out[:, :2])
        out.backward(m.tensor(rng.standard_normal(tuple(out.shape)), dtype=m.float32))
        return [out, x.grad, conv.weight.grad, conv.bias.grad]
    ours, theirs = scenario(tg), scenario(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-5)


def test_two_inplace_ops_on_one_view_and_a_base_without_grad():
    def scenario(m):
        x = m.tensor(BASE.copy(), requires_grad=True)
        w = m.tensor(OTHER, requires_grad=True)
        out = m.zeros(3, 3, dtype=m.float64)
        row = out[1]
        row.copy_(w)
        row.mul_(x[0])
        out[:, 0].add_(x[1])
        out.backward(m.tensor(np.arange(9.0).reshape(3, 3)))
        assert out.requires_grad
        return [out, x.grad, w.grad]
    run_both(scenario)


def test_inplace_on_a_view_with_create_graph():
    def scenario(m):
        x = m.tensor(BASE.copy(), requires_grad=True)
        y = x * x
        y[0].mul_(x[1])
        grad_x, = m.autograd.grad((y * y).sum(), x, create_graph=True)
        grad_x.sum().backward()
        return [grad_x, x.grad]
    run_both(scenario)


VIEW_ERRORS = {
    "view_of_a_leaf": (lambda m, x, w: x[0].mul_(2),
                       "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    "view_made_under_no_grad": (lambda m, x, w: _no_grad_view(m, x * 1).mul_(2), "A view was created in no_grad mode"),
    "no_grad_view_other_needs_grad": (lambda m, x, w: _no_grad_view(m, m.zeros(2, 3)).mul_(w),
                                      "A view was created in no_grad mode and is being modified inplace"),
    "split": (lambda m, x, w: (x * 1).split(2, 1)[1].mul_(2), "Output 1 of Split is a view and is being modified "
              "inplace. This view is the output of a function that returns multiple views. Such functions do not "
              "allow the output views to be modified inplace. You should replace the inplace operation by an "
              "out-of-place one."),
    "split_with_sizes": (lambda m, x, w: (x * 1).split([1, 2], 1)[0].relu_(), "Output 0 of SplitWithSizes is a view"),
    "chunk": (lambda m, x, w: (x * 1).chunk(2)[1].add_(w), "Output 1 of Split is a view"),
    "unbind": (lambda m, x, w: (x * 1).unbind(1)[2].mul_(w[0]), "Output 2 of Unbind is a view"),
    "split_of_a_leaf": (lambda m, x, w: x.split(1)[0].mul_(2), "Output 0 of Split is a view"),
    "expanded": (lambda m, x, w: (x * 1)[:1].expand(3, 3).mul_(2),
                 r"unsupported operation: more than one element of the written-to tensor refers to a single memory"),
}


def _no_grad_view(m, base):
    with m.no_grad():
        return base[0]


@pytest.mark.parametrize("name", sorted(VIEW_ERRORS))
def test_inplace_on_a_view_raises_where_torch_does(name):
    scenario, message = VIEW_ERRORS[name]
    raise_both(lambda m: scenario(m, start(m, requires_grad=True), m.tensor(OTHER, requires_grad=True)),
               RuntimeError, message)


def test_untracked_inplace_on_a_view_writes_the_base():
    def scenario(m):
        x = start(m)
        x[:, 1:].t().mul_(10)
        with m.no_grad():
            y = start(m, requires_grad=True)
            y[0].relu_()
        return [x, y]
    run_both(scenario)


def test_the_views_a_view_was_taken_from_see_the_change():
    def scenario(m):
        x = m.tensor(BASE.copy(), requires_grad=True)
        y = x * 2
        rows = y[:, 1:]
        corner = rows.t()[0]
        corner.mul_(x[:, 0])
        (rows * m.tensor(UPSTREAM[:, :2])).sum().backward()
        return [y, rows, corner, x.grad]
    run_both(scenario)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_activations_after_conv_and_linear_layers(dtype):
    """conv -> ReLU(inplace) -> conv -> BatchNorm -> LeakyReLU(inplace) -> flatten -> linear -> ReLU(inplace)."""
    def scenario(m):
        rng = np.random.default_rng(5)
        model = m.nn.Sequential(m.nn.Conv2d(2, 3, 3), m.nn.ReLU(inplace=True), m.nn.Conv2d(3, 4, 3, padding=1),
                                m.nn.BatchNorm2d(4), m.nn.LeakyReLU(0.1, inplace=True), m.nn.Flatten(),
                                m.nn.Linear(4 * 3 * 3, 5), m.nn.ReLU(inplace=True)).to(getattr(m, dtype))
        with m.no_grad():
            for parameter in model.parameters():
                parameter.copy_(m.tensor(rng.standard_normal(tuple(parameter.shape))))
        x = m.tensor(rng.standard_normal((2, 2, 5, 5)), dtype=getattr(m, dtype), requires_grad=True)
        out = model(x)
        out.backward(m.tensor(rng.standard_normal(tuple(out.shape)), dtype=getattr(m, dtype)))
        return [out, x.grad] + [p.grad for p in model.parameters()]
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for a, b in zip(scenario(tg), scenario(torch)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), **tolerance)


def test_inplace_on_split_outputs_is_fine_where_nothing_records():
    def scenario(m):
        x = start(m)
        for piece in x.split(1, 1):
            piece.mul_(2)
        y = start(m, requires_grad=True)
        with m.no_grad():
            y.unbind(0)[1].zero_()
        return [x, y]
    run_both(scenario)


STALE_VIEW_CASES = {
    # a view taken before its base changed in place, used after: its grad_fn is replayed from the base
    "base_mul_": lambda m, x, w: _use_after(m, x * 2, lambda y: y.mul_(w[0]), lambda y: y[1]),
    "base_relu_": lambda m, x, w: _use_after(m, x - 1, lambda y: y.relu_(), lambda y: y.t()[2]),
    "sibling_view_": lambda m, x, w: _use_after(m, x * x, lambda y: y[0].mul_(w), lambda y: y[:, 1:]),
    "base_gets_grad": lambda m, x, w: _use_after(m, m.zeros(2, 3, dtype=m.float64), lambda y: y.add_(x),
                                                 lambda y: y[1]),
}


def _use_after(m, base, change, take_view):
    view = take_view(base)
    change(base)
    return view * 3


@pytest.mark.parametrize("name", sorted(STALE_VIEW_CASES))
def test_a_view_used_after_its_base_changed_gets_torch_gradients(name):
    def scenario(m):
        x = start(m, requires_grad=True)
        w = m.tensor(OTHER, requires_grad=True)
        out = STALE_VIEW_CASES[name](m, x, w)
        out.backward(m.tensor(np.arange(out.numel(), dtype=float).reshape(tuple(out.shape)) - 2))
        return [out, x.grad, w.grad]
    run_both(scenario)
