"""Identity, Linear, Bilinear, Flatten/Unflatten and the activations, against torch.

Layers are built in both libraries, torch's weights copied into ours, and the same inputs
run through both: outputs, input gradients and parameter gradients must agree.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from helpers import F as functional_of, assert_close, check
from tinygrad_edu import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only adds contention

DTYPES = ("float64", "float32")


def layer_pair(our_layer, torch_layer, dtype="float64"):
    """``our_layer`` with torch_layer's parameters (cast to ``dtype``), and torch_layer cast too."""
    torch_layer = torch_layer.to(getattr(torch, dtype))
    for name, parameter in torch_layer.named_parameters():
        setattr(our_layer, name, nn.Parameter(tg.tensor(parameter.detach().numpy().copy())))
    return our_layer, torch_layer


def run_both(our_layer, torch_layer, *shapes, dtype="float64", seed=0):
    """Feed the same random inputs to both layers, backward a random upstream gradient,
    compare outputs, input gradients and parameter gradients."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = our_layer(*ours), torch_layer(*theirs)
    assert_close(out, expected, what="output")
    upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for index, (mine, torchs) in enumerate(zip(ours, theirs)):
        assert_close(mine.grad, torchs.grad, what=f"grad of input {index}")
    for name, parameter in torch_layer.named_parameters():
        assert_close(getattr(our_layer, name).grad, parameter.grad, what=f"grad of {name}")
    return out


# ------------------------------------------------------------------------------ Linear
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_shape", [(5, 4), (4,), (2, 3, 4), (2, 1, 3, 4)])
def test_linear_matches_torch(input_shape, bias, dtype):
    ours, theirs = layer_pair(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), dtype)
    out = run_both(ours, theirs, input_shape, dtype=dtype)
    assert out.dtype == getattr(tg, dtype)


@settings(max_examples=30, deadline=None)
@given(leading=st.lists(st.integers(1, 4), max_size=3), in_features=st.integers(1, 6),
       out_features=st.integers(1, 6), bias=st.booleans())
def test_linear_any_shape(leading, in_features, out_features, bias):
    ours, theirs = layer_pair(nn.Linear(in_features, out_features, bias),
                              torch.nn.Linear(in_features, out_features, bias))
    out = run_both(ours, theirs, tuple(leading) + (in_features,))
    assert tuple(out.shape) == tuple(leading) + (out_features,)


def test_linear_of_empty_batch():
    ours, theirs = layer_pair(nn.Linear(4, 3), torch.nn.Linear(4, 3))
    run_both(ours, theirs, (0, 4))


def test_linear_weight_without_grad_gets_none():
    layer = nn.Linear(3, 2)
    layer.weight.requires_grad_(False)
    x = tg.randn(4, 3, requires_grad=True)
    layer(x).backward(tg.randn(4, 2))
    assert layer.weight.grad is None and layer.bias.grad is not None and x.grad is not None


def test_linear_double_backward_matches_torch():
    rng = np.random.default_rng(3)
    x_array, w_array = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    results = []
    for lib, functional in ((tg, F), (torch, TF)):
        x = lib.tensor(x_array, requires_grad=True)
        w = lib.tensor(w_array, requires_grad=True)
        out = functional.linear(x, w) ** 2
        grad_x, = lib.autograd.grad(out.sum(), x, create_graph=True)
        (grad_x * grad_x).sum().backward()
        results.append((x.grad.numpy(), w.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-7, atol=1e-9)


def test_functional_linear_with_scalar_bias_and_vector_weight():
    check(lambda x, w, b: functional_of(x).linear(x, w, b), (3, 4), (5, 4), (1,))
    check(lambda x, w: functional_of(x).linear(x, w), (3, 4), (4,))


def test_linear_repr_and_parameters():
    layer = nn.Linear(784, 512)
    assert repr(layer) == "Linear(in_features=784, out_features=512, bias=True)"
    assert repr(nn.Linear(2, 3, bias=False)) == repr(torch.nn.Linear(2, 3, bias=False))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert tuple(layer.weight.shape) == (512, 784) and tuple(layer.bias.shape) == (512,)
    assert layer.weight.requires_grad and layer.weight.is_leaf
    assert nn.Linear(2, 3, bias=False).bias is None
    assert nn.Linear(2, 3, dtype=tg.float64).weight.dtype == tg.float64


def test_linear_default_init_is_kaiming_uniform_with_a_sqrt5():
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)             # gain sqrt(2/(1+5)) * sqrt(3/fan_in) = 1/sqrt(fan_in)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound
    assert abs(weight.mean()) < 0.02 * bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert bias.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)


def test_linear_init_is_reproducible_with_manual_seed():
    tg.manual_seed(123)
    first = nn.Linear(5, 4)
    tg.manual_seed(123)
    second = nn.Linear(5, 4)
    np.testing.assert_array_equal(first.weight.detach().numpy(), second.weight.detach().numpy())
    np.testing.assert_array_equal(first.bias.detach().numpy(), second.bias.detach().numpy())
    assert not np.array_equal(first.weight.detach().numpy(), nn.Linear(5, 4).weight.detach().numpy())


def test_linear_errors_use_torch_messages():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"):
        F.linear(tg.randn(3, 4), tg.randn(6, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)"):
        F.linear(tg.randn(2, 3, 4), tg.randn(6, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(1x4 and 5x6\)"):
        nn.Linear(5, 6)(tg.randn(4))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        F.linear(tg.randn(3, 4), tg.randn(5, 4, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        F.linear(tg.randn(3, 4), tg.randn(2, 5, 4))


# ------------------------------------------------------------------------------ Bilinear
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("leading", [(5,), (), (2, 3)])
def test_bilinear_matches_torch(leading, bias, dtype):
    ours, theirs = layer_pair(nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias), dtype)
    run_both(ours, theirs, leading + (3,), leading + (4,), dtype=dtype)


def test_bilinear_repr_init_and_errors():
    assert repr(nn.Bilinear(20, 30, 40)) == repr(torch.nn.Bilinear(20, 30, 40))
    assert repr(nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))
    tg.manual_seed(0)
    layer = nn.Bilinear(25, 30, 40)
    bound = 1 / math.sqrt(25)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    assert layer.weight.detach().numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    weight = tg.randn(6, 4, 5)
    with pytest.raises(RuntimeError, match="input batch dimensions do not match at dim 0: got 3 and 2"):
        F.bilinear(tg.randn(3, 4), tg.randn(2, 5), weight)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 3 but expected 4"):
        F.bilinear(tg.randn(3, 3), tg.randn(3, 5), weight)
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 6 but expected 5"):
        F.bilinear(tg.randn(3, 4), tg.randn(3, 6), weight)
    with pytest.raises(RuntimeError, match="bias size does not match weight size: got 5 but expected 6"):
        F.bilinear(tg.randn(3, 4), tg.randn(3, 5), weight, tg.randn(5))
    with pytest.raises(RuntimeError, match="input dimensions do not match: got 3 and 2"):
        F.bilinear(tg.randn(2, 3, 4), tg.randn(3, 5), weight)


# ------------------------------------------------------------------------------ Identity, Flatten
def test_identity_returns_its_input_and_ignores_arguments():
    x = tg.randn(2, 3)
    layer = nn.Identity(54, unused_argument1=0.1)
    assert layer(x) is x
    assert repr(layer) == "Identity()" and list(layer.parameters()) == []


@pytest.mark.parametrize("start_dim,end_dim", [(1, -1), (0, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start_dim, end_dim):
    layer, torch_layer = nn.Flatten(start_dim, end_dim), torch.nn.Flatten(start_dim, end_dim)
    check(lambda x: (layer if isinstance(x, tg.Tensor) else torch_layer)(x), (2, 3, 4, 5))
    assert repr(layer) == repr(torch_layer)


def test_flatten_default_keeps_the_batch_dim():
    assert tuple(nn.Flatten()(tg.rand(3, 28, 28)).shape) == (3, 784)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


@pytest.mark.parametrize("dim,sizes", [(1, (9, 9)), (1, [3, 27]), (-1, (3, -1)), (0, (2, 1))])
def test_unflatten_matches_torch(dim, sizes):
    layer, torch_layer = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    check(lambda x: (layer if isinstance(x, tg.Tensor) else torch_layer)(x), (2, 81))
    assert repr(layer) == repr(torch_layer)
    assert repr(nn.Unflatten(1, (9, 9))) == "Unflatten(dim=1, unflattened_size=(9, 9))"


def test_unflatten_rejects_sizes_that_are_not_ints():
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type "
                                        "float at pos 0"):
        nn.Unflatten(1, (2.0, 3))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 6)


# ------------------------------------------------------------------------------ activations
SPECIAL_POINTS = [0.0, -1.0, 1.0, 6.0, 0.5, -0.5, 20.0, 21.0, -20.0, 40.0, -40.0, 800.0, -800.0, 1e-8, -1e-8]


def activation_input(dtype, count=40, scale=3.0):
    """Random values plus the kinks and far ends where activations usually break."""
    values = np.random.default_rng(7).standard_normal(count) * scale
    return np.concatenate([values, SPECIAL_POINTS]).astype(dtype)


ACTIVATIONS = [
    # (id, our/torch functional call given the framework's F, module pair)
    ("relu", lambda f, x: f.relu(x), lambda n: n.ReLU()),
    ("leaky_relu", lambda f, x: f.leaky_relu(x), lambda n: n.LeakyReLU()),
    ("leaky_relu_0.2", lambda f, x: f.leaky_relu(x, 0.2), lambda n: n.LeakyReLU(0.2)),
    ("elu", lambda f, x: f.elu(x), lambda n: n.ELU()),
    ("elu_alpha", lambda f, x: f.elu(x, alpha=0.7), lambda n: n.ELU(alpha=0.7)),
    ("gelu", lambda f, x: f.gelu(x), lambda n: n.GELU()),
    ("gelu_tanh", lambda f, x: f.gelu(x, approximate="tanh"), lambda n: n.GELU(approximate="tanh")),
    ("silu", lambda f, x: f.silu(x), lambda n: n.SiLU()),
    ("mish", lambda f, x: f.mish(x), lambda n: n.Mish()),
    ("sigmoid", lambda f, x: f.sigmoid(x), lambda n: n.Sigmoid()),
    ("tanh", lambda f, x: f.tanh(x), lambda n: n.Tanh()),
    ("logsigmoid", lambda f, x: f.logsigmoid(x), lambda n: n.LogSigmoid()),
    ("softplus", lambda f, x: f.softplus(x), lambda n: n.Softplus()),
    ("softplus_beta", lambda f, x: f.softplus(x, beta=2.0, threshold=12.0), lambda n: n.Softplus(2.0, 12.0)),
    ("softplus_half", lambda f, x: f.softplus(x, beta=0.5, threshold=3.0), lambda n: n.Softplus(0.5, 3.0)),
    ("hardtanh", lambda f, x: f.hardtanh(x), lambda n: n.Hardtanh()),
    ("hardtanh_range", lambda f, x: f.hardtanh(x, -0.5, 6.0), lambda n: n.Hardtanh(-0.5, 6.0)),
    ("relu6", lambda f, x: f.relu6(x), lambda n: n.ReLU6()),
    ("threshold", lambda f, x: f.threshold(x, 0.5, -2.0), lambda n: n.Threshold(0.5, -2.0)),
    ("softmax", lambda f, x: f.softmax(x.reshape(5, -1), dim=1), None),
    ("log_softmax", lambda f, x: f.log_softmax(x.reshape(5, -1), dim=0), None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,call,_", ACTIVATIONS, ids=[row[0] for row in ACTIVATIONS])
def test_activation_functional_matches_torch(name, call, _, dtype):
    check(lambda x: call(functional_of(x), x), activation_input(dtype), dtype=dtype)


@pytest.mark.parametrize("name,call,make", [row for row in ACTIVATIONS if row[2]], ids=[r[0] for r in ACTIVATIONS if r[2]])
def test_activation_module_matches_torch_and_prints_the_same(name, call, make):
    ours, theirs = make(nn), make(torch.nn)
    check(lambda x: (ours if isinstance(x, tg.Tensor) else theirs)(x), (3, 4, 5))
    assert repr(ours) == repr(theirs)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), index=st.integers(0, len(ACTIVATIONS) - 3))
def test_activations_keep_any_shape(shape, index):
    _, call, _ = ACTIVATIONS[index]
    check(lambda x: call(functional_of(x), x), tuple(shape))


@pytest.mark.parametrize("make,text", [
    (lambda n: n.ReLU(inplace=True), "ReLU(inplace=True)"),
    (lambda n: n.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda n: n.ELU(alpha=0.5, inplace=True), "ELU(alpha=0.5, inplace=True)"),
    (lambda n: n.SiLU(inplace=True), "SiLU(inplace=True)"),
    (lambda n: n.Mish(inplace=True), "Mish(inplace=True)"),
    (lambda n: n.Hardtanh(-2.0, 2.0, inplace=True), "Hardtanh(min_val=-2.0, max_val=2.0, inplace=True)"),
    (lambda n: n.ReLU6(inplace=True), "ReLU6(inplace=True)"),
    (lambda n: n.Threshold(0.1, 20, inplace=True), "Threshold(threshold=0.1, value=20, inplace=True)"),
    (lambda n: n.Softmax(dim=1), "Softmax(dim=1)"),
    (lambda n: n.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (lambda n: n.Softmax(), "Softmax(dim=None)"),
    (lambda n: n.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda n: n.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
    (lambda n: n.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
])
def test_activation_reprs_equal_torch(make, text):
    assert repr(make(nn)) == repr(make(torch.nn)) == text


INPLACE = [
    ("relu", lambda f, x: f.relu(x, inplace=True)),
    ("leaky_relu", lambda f, x: f.leaky_relu(x, 0.1, inplace=True)),
    ("elu", lambda f, x: f.elu(x, inplace=True)),
    ("silu", lambda f, x: f.silu(x, inplace=True)),
    ("mish", lambda f, x: f.mish(x, inplace=True)),
    ("hardtanh", lambda f, x: f.hardtanh(x, inplace=True)),
    ("relu6", lambda f, x: f.relu6(x, inplace=True)),
    ("threshold", lambda f, x: f.threshold(x, 0.3, 5.0, inplace=True)),
]


@pytest.mark.parametrize("name,call", INPLACE, ids=[row[0] for row in INPLACE])
def test_inplace_activations_overwrite_their_input_and_keep_gradients(name, call):
    array = activation_input("float64", count=10)
    for lib, functional in ((tg, F), (torch, TF)):
        leaf = lib.tensor(array, requires_grad=True)
        hidden = leaf * 2
        result = call(functional, hidden)
        assert result is hidden
        result.backward(lib.tensor(np.linspace(-1, 1, array.size)))
        if lib is tg:
            ours_value, ours_grad = hidden.detach().numpy(), leaf.grad.numpy()
    np.testing.assert_allclose(ours_value, hidden.detach().numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours_grad, leaf.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        F.elu(tg.randn(3, requires_grad=True), inplace=True)
    plain = tg.tensor([-1.0, 2.0])
    assert F.leaky_relu(plain, 0.5, inplace=True) is plain
    np.testing.assert_array_equal(plain.numpy(), [-0.5, 2.0])


@pytest.mark.parametrize("name,call", [
    ("gelu", lambda f, x: f.gelu(x)), ("logsigmoid", lambda f, x: f.logsigmoid(x)),
    ("hardtanh", lambda f, x: f.hardtanh(x, -0.5, 0.5) * x), ("softplus", lambda f, x: f.softplus(x)),
    ("elu", lambda f, x: f.elu(x)), ("mish", lambda f, x: f.mish(x)),
])
def test_second_derivatives_match_torch(name, call):
    array = np.random.default_rng(1).standard_normal(12) * 2
    second = []
    for lib, functional in ((tg, F), (torch, TF)):
        x = lib.tensor(array, requires_grad=True)
        first, = lib.autograd.grad(call(functional, x).sum(), x, create_graph=True)
        (first * lib.tensor(np.linspace(-1, 1, 12))).sum().backward()
        second.append(x.grad.numpy())
    np.testing.assert_allclose(second[0], second[1], rtol=1e-7, atol=1e-9)


def test_gelu_is_exact_in_the_far_tails():
    x = tg.tensor([-30.0, -10.0, -5.0, 5.0, 10.0], dtype=tg.float64)
    lower_tails = np.array([4.906713927148187e-198, 7.619853024160527e-24, 2.866515718791939e-07])  # Φ(-30,-10,-5)
    expected = [-30 * lower_tails[0], -10 * lower_tails[1], -5 * lower_tails[2], 5 * (1 - lower_tails[2]), 10.0]
    np.testing.assert_allclose(F.gelu(x).numpy(), expected, rtol=1e-12)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(tg.randn(3), approximate="foo")
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        nn.GELU(approximate="erf")(tg.randn(3))


def test_hardtanh_needs_max_above_min():
    with pytest.raises(AssertionError, match=r"max_val \(0\) must be greater than min_val \(1\)"):
        nn.Hardtanh(1, 0)


@pytest.mark.parametrize("layer,shape,expected_dim", [(nn.Softmax, (2, 3), 1), (nn.LogSoftmax, (2, 3, 4), 0)])
def test_softmax_without_dim_warns_and_picks_torchs_legacy_dim(layer, shape, expected_dim):
    x = tg.randn(*shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for"):
        out = layer()(x)
    np.testing.assert_allclose(out.numpy(), layer(dim=expected_dim)(x).numpy())


def test_softmax_module_matches_torch_with_gradients():
    check(lambda x: (nn.Softmax(dim=-1) if isinstance(x, tg.Tensor) else torch.nn.Softmax(dim=-1))(x), (3, 5))
    check(lambda x: (nn.LogSoftmax(dim=1) if isinstance(x, tg.Tensor) else torch.nn.LogSoftmax(dim=1))(x),
          (2, 4, 3))


def test_softmax_is_stable_for_huge_logits():
    logits = tg.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    probabilities = nn.Softmax(dim=1)(logits)
    np.testing.assert_allclose(probabilities.detach().numpy(), [[1.0, 0.0, 0.0]])
    probabilities.backward(tg.tensor([[1.0, 2.0, 3.0]]))
    assert np.isfinite(logits.grad.numpy()).all()


# ------------------------------------------------------------------------------ binary step
def test_binary_step_is_one_from_zero_on():
    x = tg.tensor([-2.0, -1e-9, 0.0, 1e-9, 3.0])
    np.testing.assert_array_equal(F.binary_step(x).numpy(), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(nn.BinaryStep()(x).numpy(), np.heaviside(x.numpy(), 1.0))
    assert F.binary_step(x).dtype == x.dtype and F.binary_step(x.double()).dtype == tg.float64
    assert repr(nn.BinaryStep()) == "BinaryStep()"


def test_binary_step_gradient_is_zero_everywhere():
    x = tg.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = nn.BinaryStep()(x)
    assert out.requires_grad
    out.backward(tg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_seed_network_runs_with_our_layers():
    """The tutorial model of the seeds: Flatten, Linear/ReLU stack, Softmax, argmax."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10), nn.ReLU())
    logits = model(tg.rand(3, 28, 28))
    probabilities = nn.Softmax(dim=1)(logits)
    assert tuple(probabilities.shape) == (3, 10)
    np.testing.assert_allclose(probabilities.sum(1).detach().numpy(), np.ones(3), rtol=1e-6)
    assert tuple(probabilities.argmax(1).shape) == (3,)
    assert "(1): Linear(in_features=784, out_features=512, bias=True)\n  (2): ReLU()" in repr(model)
