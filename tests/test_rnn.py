"""RNN, LSTM, GRU and their cells against torch: outputs, final states and every gradient.

Each case builds torch's layer, loads its state_dict into ours (through NumPy), feeds both
the same input and initial state, backpropagates the same random upstream gradient from
the output and from every final state, and compares values, input/state gradients and
the gradient of every parameter.
"""
import itertools
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from helpers import assert_close, random_array
from tinygrad_edu import nn

KINDS = {
    "rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}
CELLS = {
    "rnn_tanh": ("RNNCell", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
    "lstm": ("LSTMCell", {}),
    "gru": ("GRUCell", {}),
}
SEQ, BATCH, INPUT, HIDDEN = 3, 2, 3, 4


def torch_dtype(dtype):
    return getattr(torch, dtype)


def build_pair(class_name, kwargs, dtype, seed=0):
    """torch's module and ours with torch's weights loaded through its state_dict."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, class_name)(**kwargs, dtype=torch_dtype(dtype))
        ours = getattr(nn, class_name)(**kwargs, dtype=getattr(tg, dtype))
    ours.load_state_dict({name: tg.tensor(value.numpy().copy()) for name, value in theirs.state_dict().items()})
    return theirs, ours


def to_both(array):
    """(ours, torch) leaf tensors requiring grad for an array; tuples map element-wise; None stays None."""
    if array is None:
        return None, None
    if isinstance(array, tuple):
        pairs = [to_both(item) for item in array]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return tg.tensor(array.copy(), requires_grad=True), torch.tensor(array.copy(), requires_grad=True)


def flat(value):
    if value is None:
        return []
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in flat(item)]
    return [value]


def structure(value):
    """The nesting of a result: 'T' per tensor, tuples kept, so (output, (h, c)) -> ('T', ('T', 'T'))."""
    return tuple(structure(item) for item in value) if isinstance(value, (tuple, list)) else "T"


def compare_run(theirs, ours, input_array, state_array, dtype, seed=0):
    """Forward both, backward the same random upstream gradient, compare everything."""
    ours_input, torch_input = to_both(input_array)
    ours_state, torch_state = to_both(state_array)
    ours_result, torch_result = ours(ours_input, ours_state), theirs(torch_input, torch_state)
    ours_outputs, torch_outputs = flat(ours_result), flat(torch_result)
    assert structure(ours_result) == structure(torch_result)
    for index, (o, t) in enumerate(zip(ours_outputs, torch_outputs)):
        assert_close(o, t, what=f"result {index}")

    rng = np.random.default_rng(seed + 1)
    upstream = [random_array(tuple(t.shape), dtype, rng) for t in torch_outputs]
    sum((o * tg.tensor(g)).sum() for o, g in zip(ours_outputs, upstream)).backward()
    sum((t * torch.tensor(g)).sum() for t, g in zip(torch_outputs, upstream)).backward()

    for index, (o, t) in enumerate(zip([ours_input] + flat(ours_state), [torch_input] + flat(torch_state))):
        assert_close(o.grad, t.grad, what=f"grad of input/state {index}")
    ours_parameters = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        assert_close(ours_parameters[name].grad, parameter.grad, what=f"grad of {name}")


def layer_arrays(kind, kwargs, dtype, unbatched, with_state, seed):
    """A random input and initial state (or None) shaped for a layer and its options."""
    rng = np.random.default_rng(seed)
    if unbatched:
        input_shape = (SEQ, INPUT)
    elif kwargs.get("batch_first"):
        input_shape = (BATCH, SEQ, INPUT)
    else:
        input_shape = (SEQ, BATCH, INPUT)
    input_array = random_array(input_shape, dtype, rng)
    if not with_state:
        return input_array, None
    num_states = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    proj_size = kwargs.get("proj_size", 0)
    sizes = (proj_size or HIDDEN, HIDDEN) if kind == "lstm" else (HIDDEN,)
    states = tuple(random_array((num_states,) + (() if unbatched else (BATCH,)) + (size,), dtype, rng)
                   for size in sizes)
    return input_array, states if kind == "lstm" else states[0]


def check_layer(kind, dtype="float64", seed=0, unbatched=False, with_state=False, **options):
    class_name, kwargs = KINDS[kind]
    kwargs = dict(kwargs, input_size=INPUT, hidden_size=HIDDEN, **options)
    theirs, ours = build_pair(class_name, kwargs, dtype, seed)
    input_array, state_array = layer_arrays(kind, kwargs, dtype, unbatched, with_state, seed)
    compare_run(theirs, ours, input_array, state_array, dtype, seed)


# -- layers: every combination in float64, a sample in float32 -----------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,bias,unbatched,with_state",
                         list(itertools.product([1, 2], [False, True], [False, True], [True, False],
                                                [False, True], [False, True])))
def test_layer_matches_torch_float64(kind, num_layers, bidirectional, batch_first, bias, unbatched, with_state):
    check_layer(kind, "float64", unbatched=unbatched, with_state=with_state, num_layers=num_layers,
                bidirectional=bidirectional, batch_first=batch_first, bias=bias)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(list(KINDS)), num_layers=st.sampled_from([1, 2]), bidirectional=st.booleans(),
       batch_first=st.booleans(), bias=st.booleans(), unbatched=st.booleans(), with_state=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_layer_matches_torch_float32(kind, num_layers, bidirectional, batch_first, bias, unbatched, with_state,
                                     seed):
    check_layer(kind, "float32", seed, unbatched=unbatched, with_state=with_state, num_layers=num_layers,
                bidirectional=bidirectional, batch_first=batch_first, bias=bias)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers,bidirectional,unbatched,with_state",
                         [(1, False, False, True), (2, True, False, True), (2, False, True, True),
                          (1, True, False, False)])
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_with_projection_matches_torch(dtype, num_layers, bidirectional, unbatched, with_state):
    check_layer("lstm", dtype, unbatched=unbatched, with_state=with_state, num_layers=num_layers,
                bidirectional=bidirectional, proj_size=2)


def test_longer_sequence_float32():
    """A longer, wider run (T=12) keeps float32 within torch's tolerance."""
    for kind in KINDS:
        class_name, kwargs = KINDS[kind]
        kwargs = dict(kwargs, input_size=5, hidden_size=8, num_layers=2, bidirectional=True)
        theirs, ours = build_pair(class_name, kwargs, "float32")
        rng = np.random.default_rng(3)
        compare_run(theirs, ours, random_array((12, 3, 5), "float32", rng), None, "float32")


# -- cells ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias,unbatched,with_state",
                         list(itertools.product([True, False], [False, True], [False, True])))
def test_cell_matches_torch(dtype, kind, bias, unbatched, with_state):
    class_name, kwargs = CELLS[kind]
    theirs, ours = build_pair(class_name, dict(kwargs, input_size=INPUT, hidden_size=HIDDEN, bias=bias), dtype)
    rng = np.random.default_rng(1)
    batch = () if unbatched else (BATCH,)
    input_array = random_array(batch + (INPUT,), dtype, rng)
    state = None
    if with_state:
        states = tuple(random_array(batch + (HIDDEN,), dtype, rng) for _ in range(2 if kind == "lstm" else 1))
        state = states if kind == "lstm" else states[0]
    compare_run(theirs, ours, input_array, state, dtype)


def test_cell_steps_chain_like_a_layer():
    """Running LSTMCell step by step gives LSTM's output when the weights are shared."""
    layer = nn.LSTM(3, 4, dtype=tg.float64)
    cell = nn.LSTMCell(3, 4, dtype=tg.float64)
    cell.load_state_dict({name[:-3]: value for name, value in layer.state_dict().items()})
    x = tg.tensor(random_array((5, 2, 3)))
    with tg.no_grad():
        output, (h_n, c_n) = layer(x)
        h = c = tg.zeros(2, 4, dtype=tg.float64)
        for t in range(5):
            h, c = cell(x[t], (h, c))
            np.testing.assert_allclose(h.numpy(), output[t].numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), c_n[0].numpy(), rtol=1e-12)


# -- parameters, state_dict, repr, initialisation --------------------------------------------------

@pytest.mark.parametrize("class_name,kwargs", [
    ("RNN", dict(num_layers=2, nonlinearity="relu", bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
    ("LSTM", dict(num_layers=3, bias=False)),
    ("GRU", dict(num_layers=2, bidirectional=True, bias=False)),
    ("RNNCell", dict(bias=False)),
    ("LSTMCell", {}),
    ("GRUCell", {}),
])
def test_parameter_names_shapes_and_order_match_torch(class_name, kwargs):
    theirs = getattr(torch.nn, class_name)(3, 5, **kwargs)
    ours = getattr(nn, class_name)(3, 5, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("make", [
    lambda m: m.RNN(3, 4),
    lambda m: m.RNN(3, 4, 2, "relu", False, True, 0.5, True),
    lambda m: m.LSTM(28, 128, num_layers=2, batch_first=True),
    lambda m: m.LSTM(3, 4, proj_size=2, dropout=0.25, num_layers=2),
    lambda m: m.GRU(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True),
    lambda m: m.RNNCell(3, 4, nonlinearity="relu"),
    lambda m: m.LSTMCell(3, 4, bias=False),
    lambda m: m.GRUCell(3, 4),
])
def test_repr_matches_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(make(nn)) == repr(make(torch.nn))


def test_positional_arguments_follow_torch():
    rnn = nn.RNN(3, 4, 2, "relu", False, True, 0.5, True)
    assert (rnn.num_layers, rnn.nonlinearity, rnn.bias, rnn.batch_first, rnn.dropout, rnn.bidirectional) == \
           (2, "relu", False, True, 0.5, True)
    lstm = nn.LSTM(3, 4, 2, False, True, 0.5, True, 2)
    assert (lstm.bias, lstm.batch_first, lstm.dropout, lstm.bidirectional, lstm.proj_size) == \
           (False, True, 0.5, True, 2)


@pytest.mark.parametrize("make", [lambda: nn.LSTM(3, 16, num_layers=2), lambda: nn.GRUCell(3, 16)])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(make):
    tg.manual_seed(0)
    module = make()
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    bound = 1 / np.sqrt(16)
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.9 * bound
    assert abs(values.mean()) < 0.05 and abs(values.std() - bound / np.sqrt(3)) < 0.02
    assert all(p.requires_grad and p.dtype == tg.float32 for p in module.parameters())


def test_all_weights_groups_parameters_per_layer_and_direction():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert len(lstm.all_weights) == 4
    assert lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    lstm.flatten_parameters()


# -- dropout between layers ---------------------------------------------------------------------------

def test_dropout_between_layers_acts_in_training_only():
    theirs, ours = build_pair("GRU", dict(input_size=3, hidden_size=4, num_layers=2, dropout=0.5), "float64")
    x = random_array((4, 2, 3))
    ours.eval()
    theirs.eval()
    compare_run(theirs, ours, x, None, "float64")

    ours.train()
    tg.manual_seed(0)
    with tg.no_grad():
        first, first_h = ours(tg.tensor(x))
        second, _ = ours(tg.tensor(x))
        ours.eval()
        evaluated, evaluated_h = ours(tg.tensor(x))
    assert not np.allclose(first.numpy(), second.numpy())
    assert not np.allclose(first.numpy(), evaluated.numpy())
    # dropout acts between layers only: the first layer's final state is the same in both modes
    np.testing.assert_allclose(first_h[0].numpy(), evaluated_h[0].numpy())


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


def test_gradient_reaches_every_parameter_in_training_with_dropout():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.3, bidirectional=True)
    output, (h_n, c_n) = lstm(tg.randn(5, 2, 3))
    (output.sum() + h_n.sum() + c_n.sum()).backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in lstm.parameters())


# -- errors, in torch's words ---------------------------------------------------------------------------

@pytest.mark.parametrize("make,error,match", [
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity 'sigmoid'"),
    (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, r"dropout should be a number in range \[0, 1\]"),
    (lambda: nn.GRU(3, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.GRU(3.0, 4), TypeError, "input_size should be of type int, got: float"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("call,error,match", [
    (lambda m: m(tg.randn(2, 3, 4, 3)), ValueError, "Expected input to be 2D or 3D, got 4D"),
    (lambda m: m(tg.randn(5, 2, 7)), RuntimeError, "input.size\\(-1\\) must be equal to input_size. Expected 3, got 7"),
    (lambda m: m(tg.randn(5, 2, 3).double()), ValueError, "does not match weight dtype"),
    (lambda m: m(tg.randn(0, 2, 3)), RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
    (lambda m: m(tg.randn(5, 2, 3), (tg.zeros(1, 2, 4), tg.zeros(1, 4))), RuntimeError,
     "hx and cx should also be 3-D but got \\(3-D, 2-D\\) tensors"),
    (lambda m: m(tg.randn(5, 2, 3), (tg.zeros(1, 3, 4), tg.zeros(1, 2, 4))), RuntimeError,
     "Expected hidden\\[0\\] size \\(1, 2, 4\\), got \\[1, 3, 4\\]"),
])
def test_lstm_forward_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.LSTM(3, 4))


def test_gru_hidden_errors():
    gru = nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        gru(tg.randn(5, 3), tg.zeros(1, 1, 4))
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 2, 4\\), got \\[2, 2, 4\\]"):
        gru(tg.randn(5, 2, 3), tg.zeros(2, 2, 4))


def test_cell_errors():
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.GRUCell(3, 4)(tg.randn(1, 2, 3))
    with pytest.raises(ValueError, match="LSTMCell: Expected hx\\[1\\] to be 1D or 2D, got 3D instead"):
        nn.LSTMCell(3, 4)(tg.randn(2, 3), (tg.zeros(2, 4), tg.zeros(1, 2, 4)))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_second_derivatives_through_a_layer_match_torch(kind):
    """The gradient of a gradient: the step's backward recorded with create_graph, as torch records it."""
    theirs, ours = build_pair(kind, dict(input_size=3, hidden_size=4), "float64")
    array = random_array((5, 2, 3), "float64", np.random.default_rng(4))
    probe = random_array((5, 2, 3), "float64", np.random.default_rng(5))
    results = []
    for lib, model in ((torch, theirs), (tg, ours)):
        x = lib.tensor(array, requires_grad=True)
        output, _ = model(x)
        (grad_x,) = lib.autograd.grad((output * output).sum(), x, create_graph=True)
        (grad_grad_x,) = lib.autograd.grad((grad_x * lib.tensor(probe)).sum(), x)
        results.append((grad_x, grad_grad_x))
    (torch_grad, torch_second), (ours_grad, ours_second) = results
    assert_close(ours_grad, torch_grad, what="gradient")
    assert_close(ours_second, torch_second, what="second derivative")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_second_derivatives_reach_the_state_and_weights_like_torch(kind, bidirectional):
    """create_graph through a one-node layer: the recorded backward runs the steps again as
    recorded ops, so the gradient is differentiable in the initial state and the weights too."""
    theirs, ours = build_pair(kind, dict(input_size=3, hidden_size=4, bidirectional=bidirectional), "float64")
    directions = 2 if bidirectional else 1
    rng = np.random.default_rng(6)
    x_array, h_array, c_array = (random_array(shape, "float64", rng)
                                 for shape in ((5, 2, 3), (directions, 2, 4), (directions, 2, 4)))
    results = []
    for lib, model in ((torch, theirs), (tg, ours)):
        x, h0, c0 = (lib.tensor(array, requires_grad=True) for array in (x_array, h_array, c_array))
        if kind == "LSTM":
            output, (h_n, c_n) = model(x, (h0, c0))
            loss, wanted = (output * output).sum() + (h_n * c_n).sum(), (x, h0, c0)
        else:
            output, h_n = model(x, h0)
            loss, wanted = (output * output).sum() + (h_n * h_n * h_n).sum(), (x, h0)
        wanted += (model.weight_ih_l0, model.weight_hh_l0, model.bias_hh_l0)
        first = lib.autograd.grad(loss, wanted, create_graph=True)
        penalty = sum((grad * grad).sum() for grad in first)
        results.append(first + lib.autograd.grad(penalty, wanted))
    count = len(results[0]) // 2
    for index, (o, t) in enumerate(zip(results[1], results[0])):
        assert_close(o, t, what=f"{'first' if index < count else 'second'} derivative {index % count}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_output_takes_in_place_ops_like_torch(kind):
    """A residual added in place to the output (out += x) works, as in torch."""
    theirs, ours = build_pair(kind, dict(input_size=4, hidden_size=4), "float64")
    array = random_array((5, 2, 4), "float64", np.random.default_rng(7))
    grads = []
    for lib, model in ((torch, theirs), (tg, ours)):
        x = lib.tensor(array, requires_grad=True)
        output, state = model(x)
        h_n = state[0] if kind == "LSTM" else state
        output += x
        ((output * output).sum() + h_n.sum()).backward()
        grads.append((x.grad, model.weight_ih_l0.grad))
    for o, t in zip(grads[1], grads[0]):
        assert_close(o, t)


def test_lstm_layer_is_one_node_keeping_float32():
    """The steps of a layer live inside one node, and float32 stays float32 through it."""
    lstm = nn.LSTM(3, 4)
    output, (h_n, c_n) = lstm(tg.randn(6, 2, 3))
    layer = output.grad_fn.next_functions[0][0].next_functions[0][0]
    assert layer.name() == "LSTMLayerBackward0"
    # the input, h0 and c0 (none needs a gradient), W_ih, W_hh and b_ih + b_hh
    assert [node and node.name() for node, _ in layer.next_functions] == [None, None, None, "AccumulateGrad",
                                                                          "AccumulateGrad", "AddBackward0"]
    assert {output.dtype, h_n.dtype, c_n.dtype} == {tg.float32}
    h_n.sum().backward()
    assert {parameter.grad.dtype for parameter in lstm.parameters()} == {tg.float32}


def test_gru_layer_is_one_node_keeping_float32():
    gru = nn.GRU(3, 4)
    output, h_n = gru(tg.randn(6, 2, 3))
    layer = output.grad_fn.next_functions[0][0]
    assert layer.name() == "GRULayerBackward0"
    # the input and h0 (no gradient needed), W_ih, W_hh, b_ih and b_hh
    assert [node and node.name() for node, _ in layer.next_functions] == [None, None] + ["AccumulateGrad"] * 4
    assert {output.dtype, h_n.dtype} == {tg.float32}
    h_n.sum().backward()
    assert {parameter.grad.dtype for parameter in gru.parameters()} == {tg.float32}
