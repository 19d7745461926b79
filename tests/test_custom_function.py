"""Functions written as torch users write them — ``@staticmethod forward(ctx, ...)`` on tensors and
``backward(ctx, *grad_outputs)`` — against torch: values, gradients, several outputs, non-tensor
arguments, saved inputs and outputs, higher derivatives and torch's errors."""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg

RNG = np.random.default_rng(0)


def define(lib):
    """The same Functions, built on either library's ``autograd.Function``."""
    class LegendreP3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            result = input.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    class ScaleBy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, factor, other):
            ctx.factor = factor
            ctx.save_for_backward(other)
            return input * factor * other

        @staticmethod
        def backward(ctx, grad_output):
            other, = ctx.saved_tensors
            grad_input = grad_output * ctx.factor * other if ctx.needs_input_grad[0] else None
            return grad_input, None, None

    class SplitSquares(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input ** 2, input * 3

        @staticmethod
        def backward(ctx, grad_square, grad_triple):
            input, = ctx.saved_tensors
            return grad_square * 2 * input + grad_triple * 3

    class MulSetup(lib.autograd.Function):
        @staticmethod
        def forward(a, b):
            return a * b

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            return grad_output * b, grad_output * a

    class SortValues(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            values, indices = input.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            indices, = ctx.saved_tensors
            grad = grad_values.new_zeros(grad_values.shape)
            return grad.scatter(0, indices, grad_values)

    return dict(LegendreP3=LegendreP3, Exp=Exp, ScaleBy=ScaleBy, SplitSquares=SplitSquares, MulSetup=MulSetup,
                SortValues=SortValues)


OURS, THEIRS = define(tg), define(torch)

CASES = {
    "legendre": (lambda f, x, y: f["LegendreP3"].apply(x), ),
    "exp": (lambda f, x, y: f["Exp"].apply(x) * 2, ),
    "non-tensor argument": (lambda f, x, y: f["ScaleBy"].apply(x, 2.5, y.detach()), ),
    "two outputs": (lambda f, x, y: (lambda a, b: a * y + b)(*f["SplitSquares"].apply(x)), ),
    "one of two outputs used": (lambda f, x, y: f["SplitSquares"].apply(x)[1] * y, ),
    "setup_context": (lambda f, x, y: f["MulSetup"].apply(x, y), ),
    "non-differentiable output": (lambda f, x, y: f["SortValues"].apply(x)[0] * y, ),
}


def run_case(functions, lib, case, dtype):
    x = lib.tensor(INPUT[0].astype(dtype), requires_grad=True)
    y = lib.tensor(INPUT[1].astype(dtype), requires_grad=True)
    out = CASES[case][0](functions, x, y)
    out.backward(lib.tensor(UPSTREAM.astype(dtype)))
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, y)]
    return out.detach().numpy(), grads


INPUT = RNG.standard_normal((2, 5))
UPSTREAM = RNG.standard_normal(5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch(case, dtype):
    (ours, our_grads), (theirs, their_grads) = run_case(OURS, tg, case, dtype), run_case(THEIRS, torch, case, dtype)
    tolerance = dict(rtol=1e-10) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours, theirs, **tolerance)
    for mine, expected in zip(our_grads, their_grads):
        assert (mine is None) == (expected is None)
        if expected is not None:
            np.testing.assert_allclose(mine, expected, **tolerance)


def test_node_and_flags_as_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = OURS["LegendreP3"].apply(x)
    assert out.requires_grad and out.grad_fn.name() == "LegendreP3Backward"
    values, indices = OURS["SortValues"].apply(x)
    assert values.requires_grad and not indices.requires_grad
    with tg.no_grad():
        assert not OURS["LegendreP3"].apply(x).requires_grad
    assert not OURS["LegendreP3"].apply(x.detach()).requires_grad


def test_second_derivatives_flow_through_a_recorded_backward():
    def second(lib, functions):
        x = lib.tensor(INPUT[0], requires_grad=True)
        (grad,) = lib.autograd.grad(functions["LegendreP3"].apply(x).sum(), x, create_graph=True)
        (grad2,) = lib.autograd.grad((grad * lib.tensor(UPSTREAM)).sum(), x)
        return grad.detach().numpy(), grad2.numpy()
    for ours, theirs in zip(second(tg, OURS), second(torch, THEIRS)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def messages(lib, action):
    try:
        action(lib)
    except RuntimeError as error:
        return str(error).replace("torch.", "tinygrad_edu.")
    return None


def test_wrong_number_of_gradients_is_torchs_error():
    def action(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * 2 + b

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * 2
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        Twice.apply(a, b).sum().backward()
    assert messages(tg, action) == messages(torch, action) is not None


def test_saved_input_changed_in_place_raises_and_a_second_backward_too():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = OURS["LegendreP3"].apply(y)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out = OURS["Exp"].apply(x)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()


def test_set_materialize_grads_false_hands_none_for_unused_outputs_as_torch():
    def seen(lib):
        received = []

        class TwoOutputs(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, grad_double, grad_triple):
                received.append((grad_double is None, grad_triple is None))
                return grad_double * 2

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        TwoOutputs.apply(x)[0].sum().backward()
        return received, x.grad.tolist()
    assert seen(tg) == seen(torch) == ([(False, True)], [2.0, 2.0])
