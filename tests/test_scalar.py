"""The scalar engine against PyTorch (float64), and micrograd's own tests with only the import changed."""
import doctest
import gc
import math
import random

import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu.scalar
from tinygrad_edu.scalar import MLP, Layer, Module, Neuron, Value

RTOL, ATOL = 1e-9, 1e-12
upstream_rng = random.Random(0)


def assert_close(ours, theirs, rtol=RTOL, atol=ATOL):
    both_nan = math.isnan(ours) and math.isnan(theirs)
    assert both_nan or math.isclose(ours, theirs, rel_tol=rtol, abs_tol=atol), (ours, theirs)


def check_against_torch(build, inputs, rtol=RTOL, atol=ATOL):
    """Run ``build`` on Values and on float64 torch scalars; compare the output and every input's grad."""
    upstream = upstream_rng.choice([-1, 1]) * upstream_rng.uniform(0.5, 2)
    values = [Value(x) for x in inputs]
    out = build(*values)
    out.backward(upstream)
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    expected = build(*tensors)
    expected.backward(torch.tensor(upstream, dtype=torch.float64))
    assert_close(out.data, expected.item(), rtol, atol)
    for value, tensor in zip(values, tensors):
        theirs = tensor.grad.item() if tensor.grad is not None else 0.0
        assert_close(value.grad, theirs, rtol, atol)


# -- each op, its reflected form and its gradient ---------------------------------------------

UNARY = {
    "neg": lambda a: -a,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.exp(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "power 0": lambda a: a**0,
    "reciprocal": lambda a: a**-1,
    "power -2.5 of abs": lambda a: abs_value(a) ** -2.5,
    "sqrt of abs": lambda a: abs_value(a) ** 0.5,
    "log of abs": lambda a: abs_value(a).log(),
    "add number": lambda a: a + 1.5,
    "radd number": lambda a: 1.5 + a,
    "sub number": lambda a: a - 1.5,
    "rsub number": lambda a: 1.5 - a,
    "mul number": lambda a: a * -2.5,
    "rmul number": lambda a: -2.5 * a,
    "div number": lambda a: a / 4.0,
    "rdiv number": lambda a: 4.0 / a,
    "rpow number": lambda a: 2.5**a,
    "square by mul": lambda a: a * a,
    "double by add": lambda a: a + a,
    "zero by sub": lambda a: a - a,
    "one by div": lambda a: a / a,
}


def abs_value(a):
    """|a| built from ops both engines share (relu(a) + relu(-a))."""
    return a.relu() + (-a).relu()


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [-2.3, -0.4, 0.7, 3.1])
def test_unary_op_matches_torch(name, x):
    check_against_torch(UNARY[name], [x])


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow by a Value": lambda a, b: abs_value(a) ** b,
    "mixed": lambda a, b: (a * b - a / b + 3) ** 2 - 2 / (a + b),
    "diamond": lambda a, b: (a * b).tanh() * (a * b).sigmoid() + (a * b),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("x, y", [(-2.3, 0.6), (0.7, -1.9), (1.3, 2.2)])
def test_binary_op_matches_torch(name, x, y):
    check_against_torch(BINARY[name], [x, y])


@pytest.mark.parametrize("x", [-800.0, -40.0, 0.0, 40.0, 800.0])
def test_sigmoid_does_not_overflow(x):
    check_against_torch(lambda a: a.sigmoid(), [x])


@pytest.mark.parametrize("x", [-1.0, 0.0, 1.0])
def test_relu_gradient_is_zero_at_and_below_zero(x):
    check_against_torch(lambda a: a.relu(), [x])


def test_power_derivative_at_zero_matches_torch():
    check_against_torch(lambda a: a**0.5, [0.0], atol=0)
    check_against_torch(lambda a: a**0, [0.0])
    check_against_torch(lambda a, b: a**b, [0.0, 2.0])


def test_negative_base_to_value_exponent_has_nan_exponent_gradient():
    check_against_torch(lambda a, b: a**b, [-2.0, 3.0])


def test_ops_accept_ints_and_other_real_numbers():
    x = Value(2)
    assert (x * 3).data == 6 and (3 - x).data == 1 and (x ** 2).data == 4
    assert (x + True).data == 3


def test_op_names_and_children():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    assert [(a + b)._op, (a - b)._op, (a * b)._op, (a / b)._op, (-a)._op] == ["+", "-", "*", "/", "neg"]
    assert [(a**2)._op, (a**b)._op, a.relu()._op, a.tanh()._op] == ["**2", "**", "ReLU", "tanh"]
    assert [a.exp()._op, a.log()._op, a.sigmoid()._op] == ["exp", "log", "sigmoid"]
    assert (a * b)._prev == {a, b} and (a + a)._prev == {a}
    assert a.label == "a" and a._prev == set() and a._op == ""


def test_custom_op_passes_its_local_gradients():
    def cube(v):
        return Value(v.data**3, (v,), "cube", _local_grads=(3 * v.data**2,))

    x = Value(2.0)
    y = cube(x) * 2
    y.backward()
    assert (y.data, x.grad) == (16.0, 24.0)


# -- random expressions -----------------------------------------------------------------------

UNARY_SAFE = {  # finite value and gradient for every finite input
    "neg": lambda a: -a,
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp of tanh": lambda a: a.tanh().exp(),
    "log1p of square": lambda a: (a * a + 1).log(),
    "sqrt1p of square": lambda a: (a * a + 1) ** 0.5,
    "square": lambda a: a**2,
    "scale": lambda a: 0.5 * a - 1,
    "reciprocal": lambda a: 1 / (a * a + 1),
}
BINARY_SAFE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 1) ** b.tanh(),
}

expressions = st.recursive(
    st.integers(0, 2),  # a leaf: one of three inputs
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY_SAFE)), inner),
        st.tuples(st.sampled_from(sorted(BINARY_SAFE)), inner, inner),
    ),
    max_leaves=10,
)


def evaluate(expression, inputs):
    if isinstance(expression, int):
        return inputs[expression]
    name, *operands = expression
    op = UNARY_SAFE.get(name) or BINARY_SAFE[name]
    return op(*(evaluate(operand, inputs) for operand in operands))


@settings(max_examples=40, deadline=None)
@given(expression=expressions, inputs=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_random_expressions_match_torch(expression, inputs):
    check_against_torch(lambda *xs: evaluate(expression, xs) * 1.0, inputs, rtol=1e-8, atol=1e-10)


# -- backward ---------------------------------------------------------------------------------

def test_backward_seeds_the_root_and_accumulates_elsewhere():
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert y.grad == 1.0 and x.grad == 12.0


@pytest.mark.slow
def test_backward_through_a_million_deep_chain():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + x
    y.backward()
    assert x.grad == 1_000_001.0 and y.data == 0.5 * 1_000_001


def test_a_graph_is_freed_as_soon_as_it_is_unused():
    freed = []

    class TrackedFloat(float):
        def __del__(self):
            freed.append(True)

    gc.disable()  # no reference cycles: reference counting alone frees the graph
    try:
        x = Value(TrackedFloat(1.5))
        loss = (x * x).tanh() + x.exp() / 2 - x**3
        loss.backward()
        del x, loss
        assert freed == [True]
    finally:
        gc.enable()


def test_assigning_a_backward_closure_explains_local_gradients():
    out = Value(1.0)
    with pytest.raises(AttributeError, match="passes its local derivatives instead"):
        out._backward = lambda: None


def test_unsupported_operands_raise_type_error():
    with pytest.raises(TypeError, match="unsupported operand type for \\+ with a Value: str"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="unsupported operand type for \\* with a Value: list"):
        [1.0] * Value(2.0)
    with pytest.raises(TypeError, match="Value \\*\\* expects an int, a float or a Value exponent, got str"):
        Value(2.0) ** "x"


def test_python_float_errors_surface():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(ValueError, match="math domain error"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="math domain error: -8.0 \\*\\* 0.5 is not a real number"):
        Value(-8.0) ** 0.5


# -- micrograd's README and test_engine.py, verbatim but for the import -----------------------

def test_sanity_check():

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops():

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


def test_readme_example(capsys):
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    print(f'{g.data:.4f}')  # prints 24.7041, the outcome of this forward pass
    g.backward()
    print(f'{a.grad:.4f}')  # prints 138.8338, i.e. the numerical value of dg/da
    print(f'{b.grad:.4f}')  # prints 645.5773, i.e. the numerical value of dg/db
    assert capsys.readouterr().out.split() == ["24.7041", "138.8338", "645.5773"]


# -- the neural-net library -------------------------------------------------------------------

def torch_mlp_forward(model, x):
    """The same MLP in torch, built from ``model``'s weights; returns outputs and parameter tensors."""
    params = []
    h = x
    for layer in model.layers:
        weight = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        bias = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        weight.requires_grad_(), bias.requires_grad_()
        params += [weight, bias]
        h = h @ weight.T + bias
        if layer.neurons[0].nonlin:
            h = h.relu()
    return h, params


def in_parameter_order(weights_and_biases):
    """Flatten nested lists [W1, b1, W2, b2, ...] as MLP.parameters() orders them (per neuron: w, then b)."""
    flat = []
    for weight, bias in zip(weights_and_biases[::2], weights_and_biases[1::2]):
        for w_row, b in zip(weight, bias):
            flat += w_row + [b]
    return flat


@pytest.mark.parametrize("nin, nouts", [(2, [16, 16, 1]), (3, [4, 5, 2]), (1, [1])])
def test_mlp_forward_and_backward_match_torch(nin, nouts):
    random.seed(7)
    model = MLP(nin, nouts)
    for p in model.parameters():  # nonzero biases, so their handling is checked too
        p.data += random.uniform(-0.5, 0.5)
    batch = [[random.uniform(-2, 2) for _ in range(nin)] for _ in range(5)]
    upstream = [[random.uniform(-1, 1) for _ in range(nouts[-1])] for _ in batch]

    inputs = [[Value(x) for x in row] for row in batch]
    outputs = [model(row) for row in inputs]
    outputs = [out if isinstance(out, list) else [out] for out in outputs]
    loss = sum(o * g for out_row, g_row in zip(outputs, upstream) for o, g in zip(out_row, g_row))
    model.zero_grad()
    loss.backward()

    x = torch.tensor(batch, dtype=torch.float64, requires_grad=True)
    expected, torch_params = torch_mlp_forward(model, x)
    expected.backward(torch.tensor(upstream, dtype=torch.float64))

    for out_row, expected_row in zip(outputs, expected.tolist()):
        for out, theirs in zip(out_row, expected_row):
            assert_close(out.data, theirs)
    expected_grads = in_parameter_order([t.grad.tolist() for t in torch_params])
    assert len(expected_grads) == len(model.parameters())
    for p, theirs in zip(model.parameters(), expected_grads):
        assert_close(p.grad, theirs)
    for row, grad_row in zip(inputs, x.grad.tolist()):
        for value, theirs in zip(row, grad_row):
            assert_close(value.grad, theirs)


def test_training_steps_match_torch_sgd():
    random.seed(3)
    model = MLP(2, [3, 1])
    batch = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(4)]
    targets = [1.0, -1.0, -1.0, 1.0]
    x = torch.tensor(batch, dtype=torch.float64)
    _, torch_params = torch_mlp_forward(model, x)
    optimizer = torch.optim.SGD(torch_params, lr=0.1)
    for _ in range(3):
        scores = [model(list(map(Value, row))) for row in batch]
        loss = sum((1 + -t * s).relu() for t, s in zip(targets, scores)) * (1.0 / len(batch))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad

        h = torch.relu(x @ torch_params[0].T + torch_params[1]) @ torch_params[2].T + torch_params[3]
        torch_loss = torch.relu(1 - torch.tensor(targets, dtype=torch.float64) * h[:, 0]).mean()
        optimizer.zero_grad()
        torch_loss.backward()
        optimizer.step()
        assert_close(loss.data, torch_loss.item())
    expected_weights = in_parameter_order([t.tolist() for t in torch_params])
    assert len(expected_weights) == len(model.parameters())
    for p, theirs in zip(model.parameters(), expected_weights):
        assert_close(p.data, theirs)


def test_weights_come_from_python_random_in_micrograd_order():
    random.seed(1337)
    model = MLP(2, [3, 1])
    random.seed(1337)
    draws = [random.uniform(-1, 1) for _ in range(2 * 3 + 3)]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert weights == draws
    assert all(n.b.data == 0 for layer in model.layers for n in layer.neurons)


def test_parameters_and_zero_grad():
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    assert Neuron(3).parameters()[-1].data == 0 and len(Layer(3, 2).parameters()) == 8
    assert Module().parameters() == []
    loss = model([Value(1.0), Value(-2.0)]) * 3 + sum(p * p for p in model.parameters())
    loss.backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_layer_returns_a_value_for_one_neuron_and_a_list_otherwise():
    x = [Value(1.0), Value(2.0)]
    assert isinstance(Layer(2, 1)(x), Value)
    assert len(Layer(2, 3)(x)) == 3


def test_reprs():
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0.0)"
    assert repr(Neuron(3)) == "ReLUNeuron(3)" and repr(Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2, nonlin=False)) == "Layer of [LinearNeuron(2), LinearNeuron(2)]"
    assert repr(MLP(2, [2, 1])) == "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"


def test_docstring_examples_run():
    random.seed(0)
    failures, tried = doctest.testmod(tinygrad_edu.scalar)
    assert tried > 0 and failures == 0
