"""backward, autograd.grad, grad modes, hooks, custom Functions, gradcheck and anomaly mode."""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function, Op
from helpers import cases, float_outputs, make_inputs
from test_tensor_ops import DIFFERENTIABLE


def leaf(values, dtype=None):
    return tg.tensor(values, dtype=dtype, requires_grad=True)


# -- backward --
def test_backward_of_a_scalar_needs_no_gradient():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.grad.dtype == tg.float32 and not x.grad.requires_grad


def test_backward_with_an_upstream_gradient():
    x = leaf([1.0, 2.0, 3.0])
    (x * 3).backward(tg.tensor([1.0, 10.0, 100.0]))
    assert x.grad.tolist() == [3.0, 30.0, 300.0]


def test_backward_takes_gradient_as_keyword():
    x = leaf([2.0])
    (x ** 2).backward(gradient=tg.tensor([0.5]))
    assert x.grad.tolist() == [2.0]


def test_gradients_accumulate_into_leaves():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]


def test_a_leaf_used_twice_gets_the_sum():
    x = leaf([3.0])
    y = x * x + x.exp() * x
    y.backward(tg.tensor([1.0]))
    torch_x = torch.tensor([3.0], requires_grad=True)
    (torch_x * torch_x + torch_x.exp() * torch_x).backward(torch.tensor([1.0]))
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1.3e-6)


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_implicit_gradient_only_for_scalar_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    assert x.grad is None


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf([1.0, 2.0])
    hidden = x * 3
    kept = x * 2
    kept.retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    assert kept.grad.tolist() == [3.0, 6.0] and kept.retains_grad
    assert x.grad.tolist() == [12.0, 24.0]


def test_leaves_that_do_not_require_grad_get_none():
    x, constant = leaf([1.0]), tg.tensor([2.0])
    (x * constant).sum().backward()
    assert constant.grad is None and not constant.requires_grad


def test_create_graph_makes_grad_differentiable():
    x = leaf([2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.tolist() == [12.0]
    first = x.grad
    x.grad = None
    first.sum().backward()
    assert x.grad.tolist() == [12.0]


# -- autograd.grad --
def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gw = tg.autograd.grad((x * w).sum(), (x, w))
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None


def test_grad_with_grad_outputs_and_single_input():
    x = leaf([1.0, 2.0])
    gx, = tg.autograd.grad(x * x, x, grad_outputs=tg.tensor([1.0, 0.5]))
    assert gx.tolist() == [2.0, 2.0]


def test_grad_with_several_outputs():
    x = leaf([1.0, 2.0])
    gx, = tg.autograd.grad([(x * 2).sum(), (x * x).sum()], [x])
    assert gx.tolist() == [4.0, 6.0]


def test_grad_without_create_graph_is_not_differentiable():
    x = leaf([1.0, 2.0])
    gx, = tg.autograd.grad((x * x).sum(), x)
    assert not gx.requires_grad and gx.grad_fn is None


def test_grad_of_non_leaf_input():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    gh, = tg.autograd.grad((hidden ** 2).sum(), hidden)
    assert gh.tolist() == [4.0, 8.0]


def test_grad_unused_input_raises_unless_allowed():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used "
                                           "in the graph. Set allow_unused=True if this is the desired behavior."):
        tg.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = tg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_frees_the_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x.exp()).sum()
    tg.autograd.grad(y, x, retain_graph=True)
    tg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        tg.autograd.grad(y, x)


# -- grad modes --
def test_no_grad_as_context_manager_and_decorator():
    x = leaf([1.0])
    with tg.no_grad():
        assert not (x * 2).requires_grad

    @tg.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and double(x).grad_fn is None
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with tg.no_grad():
        with tg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

        @tg.enable_grad()
        def double(t):
            return t * 2

        assert double(x).requires_grad


def test_set_grad_enabled_as_context_call_and_decorator():
    x = leaf([1.0])
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    tg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @tg.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert not double(x).requires_grad and (x * 2).requires_grad


def test_inference_mode_as_context_manager_and_decorator():
    x = leaf([1.0])
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and (x * 2).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("boom")
    assert (leaf([1.0]) * 2).requires_grad


# -- detach and hooks --
def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    with tg.no_grad():
        d.add_(1.0)
    assert y.tolist() == [3.0, 5.0]


def test_detach_in_place_turns_a_node_into_a_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None


def test_hook_returning_a_tensor_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda grad: seen.append(grad.tolist()))
    y.register_hook(lambda grad: grad * 10)
    (y * y).sum().backward()
    assert seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [180.0, 360.0]


def test_hook_on_a_leaf_changes_what_is_accumulated():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda grad: grad + 1)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_hook_fires_once_with_the_total_gradient():
    x = leaf([1.0, 2.0])
    hidden = x * 2
    calls = []
    hidden.register_hook(lambda grad: calls.append(grad.tolist()))
    (hidden * hidden + hidden * 3).sum().backward()
    assert calls == [[7.0, 11.0]]


def test_hook_matches_torch():
    x, torch_x = leaf([0.5, -1.0]), torch.tensor([0.5, -1.0], requires_grad=True)
    for t in (x, torch_x):
        hidden = t.exp()
        hidden.register_hook(lambda grad: grad.clamp(max=0.7))
        (hidden * t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), torch_x.grad.numpy(), rtol=1.3e-6)


# -- custom Functions --
class Cube(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, grad_output):
        x, = self.saved_tensors
        return 3 * x * x * grad_output


class ScaledProduct(Function):
    def forward(self, a, b, scale=1.0):
        self.save_for_backward(a, b)
        self.scale = scale
        return a * b * scale

    def backward(self, grad_output):
        a, b = self.saved_tensors
        grad_a = grad_output * b * self.scale if self.needs_input_grad[0] else None
        grad_b = grad_output * a * self.scale if self.needs_input_grad[1] else None
        return grad_a, grad_b


class WrongSquare(Function):
    """Forward is x², backward claims 3x: gradcheck must catch it."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad_output):
        x, = self.saved_tensors
        return 3 * x * grad_output


class FlatSquare(Function):
    """Right first derivative, but the backward is detached: gradgradcheck must catch it."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad_output):
        x, = self.saved_tensors
        return 2 * x.detach() * grad_output


class NanGradient(Function):
    def forward(self, x):
        return x * 1

    def backward(self, grad_output):
        return grad_output * float("nan")


def test_custom_function_forward_backward_and_double_backward():
    x = leaf([2.0, -1.0], dtype=tg.float64)
    y = Cube.apply(x)
    assert y.tolist() == [8.0, -1.0] and y.requires_grad and y.grad_fn is not None
    first, = tg.autograd.grad(y, x, grad_outputs=tg.ones_like(y), create_graph=True)
    assert first.tolist() == [12.0, 3.0]
    second, = tg.autograd.grad(first.sum(), x)
    assert second.tolist() == [12.0, -6.0]


def test_custom_function_with_params_and_needs_input_grad():
    a, b = leaf([1.0, 2.0]), tg.tensor([3.0, 4.0])
    y = ScaledProduct.apply(a, b, scale=0.5)
    assert y.grad_fn.needs_input_grad == (True, False)
    y.backward(tg.tensor([1.0, 1.0]))
    assert a.grad.tolist() == [1.5, 2.0] and b.grad is None
    with tg.no_grad():
        assert not ScaledProduct.apply(a, b).requires_grad


def test_gradcheck_passes_on_a_right_function_and_fails_on_a_wrong_one():
    x = leaf(np.array([0.7, -1.3, 2.1]))
    assert tg.autograd.gradcheck(Cube.apply, (x,))
    assert tg.autograd.gradgradcheck(Cube.apply, (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        tg.autograd.gradcheck(WrongSquare.apply, (x,))
    assert tg.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_fails_on_a_wrong_second_derivative():
    x = leaf(np.array([0.7, -1.3, 2.1]))
    assert tg.autograd.gradcheck(FlatSquare.apply, (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        tg.autograd.gradgradcheck(FlatSquare.apply, (x,))
    assert tg.autograd.gradgradcheck(FlatSquare.apply, (x,), raise_exception=False) is False


@pytest.mark.parametrize("fn, inputs, options", cases(DIFFERENTIABLE))
def test_gradcheck_every_op(fn, inputs, options):
    ours, _ = make_inputs(inputs, "float64", positive=options.get("positive", False))
    assert tg.autograd.gradcheck(float_outputs(fn), tuple(ours))


# -- anomaly detection --
def _capture_anomaly(capsys, recwarn, run):
    with pytest.raises(RuntimeError) as error:
        run()
    captured = capsys.readouterr()
    text = str(error.value) + captured.out + captured.err + "".join(str(w.message) for w in recwarn)
    return str(error.value), text


def test_detect_anomaly_names_the_backward_that_made_nan(capsys, recwarn):
    x = leaf([0.0, 1.0])

    def run():
        with tg.autograd.detect_anomaly():
            y = x.sqrt() * 0
            y.sum().backward()

    message, text = _capture_anomaly(capsys, recwarn, run)
    assert "Function 'SqrtBackward0' returned nan values in its 0th output." in message
    assert "y = x.sqrt() * 0" in text
    assert "test_autograd.py" in text


def test_set_detect_anomaly_catches_a_custom_function(capsys, recwarn):
    x = leaf([1.0, 2.0])
    tg.autograd.set_detect_anomaly(True)
    try:
        message, text = _capture_anomaly(capsys, recwarn, lambda: NanGradient.apply(x).sum().backward())
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert "NanGradient" in message and "returned nan values in its 0th output" in message
    assert "NanGradient.apply(x)" in text


def test_anomaly_mode_is_restored_after_the_block():
    assert not tg.autograd.is_anomaly_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with tg.autograd.detect_anomaly():
            assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_without_anomaly_mode_nan_passes_silently():
    x = leaf([0.0, 1.0])
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


# -- the two ways a backward runs: on arrays, or recorded on Tensors --
def _probes():
    seen = []

    class ProbeOp(Op):
        def forward(self, x):
            return x * 2

        def backward(self, grad_output):
            seen.append(("op", type(grad_output).__name__))
            return grad_output * 2

    class ProbeFunction(tg.autograd.Function):
        def forward(self, x):
            return x * 3

        def backward(self, grad_output):
            seen.append(("function", type(grad_output).__name__))
            return grad_output * 3

    return seen, ProbeOp, ProbeFunction


def test_an_op_backward_gets_arrays_and_a_user_function_gets_tensors():
    seen, ProbeOp, ProbeFunction = _probes()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    ProbeFunction.apply(ProbeOp.apply(x)).sum().backward()
    assert seen[0] == ("function", "Tensor") and seen[1][0] == "op" and seen[1][1] != "Tensor"  # an array
    assert x.grad.tolist() == [6.0, 6.0]


def test_with_create_graph_every_backward_gets_tensors_and_is_recorded():
    seen, ProbeOp, ProbeFunction = _probes()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (grad_x,) = tg.autograd.grad((ProbeFunction.apply(ProbeOp.apply(x)) * x).sum(), x, create_graph=True)
    assert seen == [("function", "Tensor"), ("op", "Tensor")]
    assert grad_x.requires_grad and grad_x.tolist() == [6.0 * 1 + 6.0 * 1, 6.0 * 2 + 6.0 * 2]


def test_an_op_applied_to_arrays_only_computes():
    from tinygrad_edu.ops_elementwise import Tanh
    array = np.array([0.0, 1.0])
    result = Tanh.apply(array)
    assert type(result) is np.ndarray and np.allclose(result, np.tanh(array))


def test_a_gradient_sent_to_two_leaves_is_not_added_into_in_place():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    upstream = tg.tensor([1.0, 10.0])
    (a + b).backward(upstream)
    (a + b * 2).backward(upstream)
    assert a.grad.tolist() == [2.0, 20.0]
    assert b.grad.tolist() == [3.0, 30.0]
    assert upstream.tolist() == [1.0, 10.0]


def test_a_leaf_used_twice_sums_its_gradients_without_touching_the_upstream():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    upstream = tg.tensor([1.0, 1.0])
    y = x.exp()
    (y + y + x).backward(upstream)
    assert np.allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]) + 1)
    assert upstream.tolist() == [1.0, 1.0]
