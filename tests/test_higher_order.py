"""Higher-order gradients: create_graph=True, Hessian-vector products and gradgradcheck, against torch."""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from helpers import F, cases, float_outputs, lib, make_inputs, random_array, to_numpy
from test_tensor_ops import DIFFERENTIABLE

TIGHT = dict(rtol=1e-7, atol=1e-9)


def mlp_loss(x, w1, w2):
    """A two-layer tanh network's squared error: every kind of op in one second derivative."""
    hidden = (x @ w1).tanh()
    return ((hidden @ w2 - 1.0) ** 2).mean()


SECOND_ORDER = [
    ("exp", lambda a: a.exp(), [(3, 4)]),
    ("log", lambda a: a.log(), [(3, 4)], dict(positive=True)),
    ("sqrt", lambda a: a.sqrt(), [(3, 4)], dict(positive=True)),
    ("rsqrt", lambda a: a.rsqrt(), [(3, 4)], dict(positive=True)),
    ("tanh", lambda a: a.tanh(), [(3, 4)]),
    ("sigmoid", lambda a: a.sigmoid(), [(3, 4)]),
    ("sin_cos", lambda a: a.sin() * a.cos(), [(3, 4)]),
    ("cube", lambda a: a ** 3, [(3, 4)]),
    ("reciprocal", lambda a: 1 / a, [(3, 4)], dict(positive=True)),
    ("product", lambda a, b: a * b * a, [(3, 4), (4,)]),
    ("quotient", lambda a, b: a / b, [(3, 4), (3, 4)], dict(positive=(1,))),
    ("tensor_power", lambda a, b: a ** b, [(3, 4), (3, 4)], dict(positive=(0,))),
    ("relu_times_square", lambda a: a.relu() * a * a, [(3, 4)]),
    ("abs_cubed", lambda a: a.abs() ** 3, [(3, 4)]),
    ("maximum", lambda a, b: lib(a).maximum(a, b) ** 2, [(3, 4), (4,)]),
    ("where", lambda a, b: lib(a).where(a > 0, a * b, b.exp()), [(3, 4), (3, 4)]),
    ("matmul", lambda a, b: a @ b, [(3, 4), (4, 2)]),
    ("matmul_squared", lambda a, b: (a @ b) ** 2, [(3, 4), (4, 2)]),
    ("batched_matmul", lambda a, b: (a @ b).tanh(), [(2, 3, 4), (4, 2)]),
    ("sum_of_squares", lambda a: (a * a).sum(1), [(3, 4)]),
    ("mean", lambda a: (a ** 3).mean(), [(3, 4)]),
    ("prod", lambda a: a.prod(1), [(3, 4)]),
    ("var", lambda a: a.var(1), [(3, 4)]),
    ("std", lambda a: a.std(0), [(3, 4)]),
    ("amax", lambda a: a.amax(1) ** 2, [(3, 4)]),
    ("logsumexp", lambda a: a.logsumexp(1), [(3, 4)]),
    ("softmax", lambda a: a.softmax(-1), [(3, 4)]),
    ("log_softmax", lambda a: a.log_softmax(1), [(3, 4)]),
    ("F_log_softmax_nll", lambda a: -(F(a).log_softmax(a, dim=1)[:, 0]).mean(), [(3, 4)]),
    ("index_and_reshape", lambda a: (a[lib(a).tensor([0, 0, 2])].reshape(4, 3) ** 2).T, [(3, 4)]),
    ("cat_split", lambda a, b: lib(a).cat([a.exp(), b * a], 1).split(3, 1)[1] ** 2, [(3, 4), (3, 4)]),
    ("mlp_loss", mlp_loss, [(5, 3), (3, 4), (4, 1)]),
]


def gradient_and_hvp(m, fn, inputs, upstream, direction):
    """First gradient (with create_graph) and the Hessian-vector product along ``direction``."""
    output = fn(*inputs)
    firsts = m.autograd.grad(output, inputs, grad_outputs=m.tensor(upstream), create_graph=True)
    dot = sum((g * m.tensor(v)).sum() for g, v in zip(firsts, direction))
    seconds = m.autograd.grad(dot, inputs, allow_unused=True)
    return firsts, seconds


def as_array(tensor, like):
    """A gradient as an array; an unused input (None) counts as zeros, as it does mathematically."""
    return np.zeros(like.shape) if tensor is None else to_numpy(tensor)


@pytest.mark.parametrize("fn, inputs, options", cases(SECOND_ORDER))
def test_second_derivative_and_hvp_match_torch(fn, inputs, options):
    ours, theirs = make_inputs(inputs, "float64", positive=options.get("positive", False))
    rng = np.random.default_rng(7)
    output_shape = tuple(fn(*theirs).shape)
    upstream = random_array(output_shape, "float64", rng)
    direction = [random_array(tuple(t.shape), "float64", rng) for t in theirs]
    our_firsts, our_seconds = gradient_and_hvp(tg, fn, ours, upstream, direction)
    torch_firsts, torch_seconds = gradient_and_hvp(torch, fn, theirs, upstream, direction)
    for ours_grad, torch_grad, leaf in zip(our_firsts, torch_firsts, theirs):
        np.testing.assert_allclose(to_numpy(ours_grad), to_numpy(torch_grad), **TIGHT)
        assert ours_grad.requires_grad
    for ours_hvp, torch_hvp, leaf in zip(our_seconds, torch_seconds, theirs):
        np.testing.assert_allclose(as_array(ours_hvp, leaf), as_array(torch_hvp, leaf), **TIGHT)


def test_third_derivative():
    x = tg.tensor([1.5, -2.0], dtype=tg.float64, requires_grad=True)
    first, = tg.autograd.grad((x ** 4).sum(), x, create_graph=True)
    second, = tg.autograd.grad(first.sum(), x, create_graph=True)
    third, = tg.autograd.grad(second.sum(), x)
    np.testing.assert_allclose(to_numpy(first), 4 * np.array([1.5, -2.0]) ** 3)
    np.testing.assert_allclose(to_numpy(second), 12 * np.array([1.5, -2.0]) ** 2)
    np.testing.assert_allclose(to_numpy(third), 24 * np.array([1.5, -2.0]))


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_with_create_graph_then_backward_of_the_gradient():
    results = {}
    for m in (tg, torch):
        x = m.tensor([0.3, -0.7, 1.1], dtype=m.float64, requires_grad=True)
        (x.sin() * x ** 2).sum().backward(create_graph=True)
        penalty = (x.grad ** 2).sum()
        x.grad = None
        penalty.backward()
        results[m.__name__] = to_numpy(x.grad)
    np.testing.assert_allclose(results["tinygrad_edu"], results["torch"], **TIGHT)


def test_gradient_penalty_on_parameters():
    """A WGAN-GP-style penalty: the norm of d(out)/d(input), differentiated with respect to the weights."""
    rng = np.random.default_rng(3)
    x_array, w_array = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    results = {}
    for m in (tg, torch):
        x, w = m.tensor(x_array, requires_grad=True), m.tensor(w_array, requires_grad=True)
        out = (x @ w).tanh().sum()
        grad_x, = m.autograd.grad(out, x, create_graph=True)
        ((grad_x ** 2).sum(1).sqrt() - 1).pow(2).mean().backward()
        results[m.__name__] = (to_numpy(w.grad), to_numpy(x.grad))
    for ours, theirs in zip(results["tinygrad_edu"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, **TIGHT)


@pytest.mark.parametrize("fn, inputs, options", cases(DIFFERENTIABLE))
def test_gradgradcheck_every_op(fn, inputs, options):
    ours, _ = make_inputs(inputs, "float64", positive=options.get("positive", False))
    assert tg.autograd.gradgradcheck(float_outputs(fn), tuple(ours))
