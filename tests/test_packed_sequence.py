"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence, PackedSequence)
and packed sequences through RNN, LSTM and GRU, each against torch: values and every gradient."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.nn.utils import rnn as torch_rnn

import tinygrad_edu as tg
from helpers import assert_close, to_numpy
from tinygrad_edu.nn.utils import rnn as our_rnn

LENGTHS = [3, 6, 1, 6, 4]
SORTED = [6, 6, 4, 3, 1]


def rnn_utils(m):
    return our_rnn if m is tg else torch_rnn


def leaf(m, array, dtype="float64"):
    return m.tensor(array, dtype=getattr(m, dtype), requires_grad=True)


def backward_with_random_upstream(m, outputs, dtype="float64", seed=1):
    rng = np.random.default_rng(seed)
    total = sum((out * m.tensor(rng.standard_normal(tuple(out.shape)), dtype=getattr(m, dtype))).sum()
                for out in outputs)
    total.backward()


def compare_lists(ours, theirs, dtype="float64"):
    assert len(ours) == len(theirs)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else {}
    for index, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None, f"item {index}"
        else:
            assert_close(a, b, what=f"item {index}", **tolerance)


# -- the utilities --
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pad_sequence_matches_torch(batch_first, padding_side, dtype):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2, 3)) for n in LENGTHS]

    def scenario(m):
        sequences = [leaf(m, a, dtype) for a in arrays]
        padded = rnn_utils(m).pad_sequence(sequences, batch_first=batch_first, padding_value=-1.5,
                                           padding_side=padding_side)
        backward_with_random_upstream(m, [padded], dtype)
        return [padded] + [s.grad for s in sequences]
    compare_lists(scenario(tg), scenario(torch), dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [(SORTED, True), (LENGTHS, False), (SORTED, False)])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_and_pad_round_trip_matches_torch(batch_first, lengths, enforce_sorted, as_tensor):
    shape = (5, 7, 3) if batch_first else (7, 5, 3)
    array = np.random.default_rng(0).standard_normal(shape)

    def scenario(m):
        x = leaf(m, array)
        given = m.tensor(lengths) if as_tensor else lengths
        packed = rnn_utils(m).pack_padded_sequence(x, given, batch_first=batch_first, enforce_sorted=enforce_sorted)
        assert isinstance(packed, tuple) and packed._fields == ("data", "batch_sizes", "sorted_indices",
                                                                "unsorted_indices")
        padded, out_lengths = rnn_utils(m).pad_packed_sequence(packed, batch_first=batch_first, padding_value=9.0,
                                                               total_length=8)
        backward_with_random_upstream(m, [packed.data, padded])
        return [packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices, padded,
                out_lengths, x.grad]
    compare_lists(scenario(tg), scenario(torch))


def test_pack_sequence_and_unpack_sequence_match_torch():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((n, 2)) for n in LENGTHS]
    for enforce_sorted, order in ((False, LENGTHS), (True, SORTED)):
        def scenario(m):
            sequences = [leaf(m, arrays[LENGTHS.index(n)]) for n in order]
            packed = rnn_utils(m).pack_sequence(sequences, enforce_sorted=enforce_sorted)
            unpacked = rnn_utils(m).unpack_sequence(packed)
            backward_with_random_upstream(m, unpacked)
            return [packed.data, packed.batch_sizes, *unpacked, *[s.grad for s in sequences]]
        compare_lists(scenario(tg), scenario(torch))


def test_unpad_sequence_matches_torch():
    array = np.random.default_rng(3).standard_normal((6, 5, 2))
    results = [rnn_utils(m).unpad_sequence(m.tensor(array), m.tensor(LENGTHS)) for m in (tg, torch)]
    compare_lists(*results)


def test_packed_sequence_behaves_like_torchs():
    data = tg.arange(6.0).reshape(3, 2)
    packed = our_rnn.PackedSequence(data, tg.tensor([2, 1]), tg.tensor([1, 0]))
    assert packed.unsorted_indices.tolist() == [1, 0]
    data_, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data_ is data and batch_sizes.tolist() == [2, 1]
    double = packed.double()
    assert double.data.dtype == tg.float64 and double.batch_sizes is packed.batch_sizes
    assert packed.to(tg.float32) is packed and not packed.is_cuda
    assert type(tg.nn.utils.rnn.PackedSequence) is type(torch_rnn.PackedSequence)


UTILITY_ERRORS = [
    (lambda r, m: r.pad_sequence([m.ones(2)], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    (lambda r, m: r.pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda r, m: r.pack_padded_sequence(m.ones(3, 2, 1), [1, 2]), RuntimeError,
     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
     "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement"),
    (lambda r, m: r.pack_padded_sequence(m.ones(3, 2, 1), [0, 0], enforce_sorted=False), RuntimeError,
     "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"),
    (lambda r, m: r.pack_padded_sequence(m.ones(3, 2, 1), [3]), RuntimeError,
     r"Expected `len\(lengths\)` to be equal to batch_size, but got 1 \(batch_size=2\)"),
    (lambda r, m: r.pad_packed_sequence(r.pack_sequence([m.ones(4, 1), m.ones(2, 1)]), total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, but got total_length=2 "
     "and max sequence length being 4"),
]


@pytest.mark.parametrize("scenario, error, message", UTILITY_ERRORS)
def test_utility_errors_match_torch(scenario, error, message):
    for m in (torch, tg):
        with pytest.raises(error, match=message):
            scenario(rnn_utils(m), m)


# -- packed sequences through the recurrent layers --
LAYER_CONFIGS = [
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, proj_size=3, bidirectional=True)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=3, bidirectional=True, bias=False)),
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", batch_first=True)),
    ("LSTM", dict(batch_first=True, bidirectional=True)),
]


def run_packed(m, kind, options, dtype, lengths, enforce_sorted, with_hx, train=True):
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(4, 5, **options).to(getattr(torch, dtype))
    if m is tg:
        ours = getattr(tg.nn, kind)(4, 5, **options).to(getattr(tg, dtype))
        ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in module.state_dict().items()})
        module = ours
    module.train(train)
    rng = np.random.default_rng(0)
    batch_first = options.get("batch_first", False)
    shape = (len(lengths), max(lengths), 4) if batch_first else (max(lengths), len(lengths), 4)
    x = leaf(m, rng.standard_normal(shape), dtype)
    packed = rnn_utils(m).pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    states = ()
    if with_hx:
        layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
        sizes = [options.get("proj_size") or 5] + ([5] if kind == "LSTM" else [])
        states = tuple(leaf(m, rng.standard_normal((layers, len(lengths), size)), dtype) for size in sizes)
    hx = None if not states else states if kind == "LSTM" else states[0]
    output, hidden = module(packed, hx)
    assert type(output).__name__ == "PackedSequence"
    assert output.batch_sizes is packed.batch_sizes
    padded, _ = rnn_utils(m).pad_packed_sequence(output, batch_first=batch_first)
    hidden = hidden if isinstance(hidden, tuple) else (hidden,)
    backward_with_random_upstream(m, [output.data, padded, *hidden], dtype)
    return [output.data, padded, *hidden, x.grad, *[s.grad for s in states],
            *[p.grad for p in module.parameters()]]


@pytest.mark.parametrize("kind, options", LAYER_CONFIGS, ids=[f"{k}-{o}" for k, o in LAYER_CONFIGS])
@pytest.mark.parametrize("lengths, enforce_sorted", [(SORTED, True), (LENGTHS, False)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_packed_input_through_recurrent_layers_matches_torch(kind, options, lengths, enforce_sorted, with_hx):
    results = [run_packed(m, kind, options, "float64", lengths, enforce_sorted, with_hx) for m in (tg, torch)]
    compare_lists(*results)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_packed_input_in_float32_and_eval_mode(kind):
    options = dict(num_layers=2, bidirectional=True, dropout=0.3)
    results = [run_packed(m, kind, options, "float32", LENGTHS, False, True, train=False) for m in (tg, torch)]
    compare_lists(*results, dtype="float32")


def test_all_sequences_of_one_length_match_the_padded_forward():
    """With equal lengths, packing changes nothing: the packed output is the padded output, reordered."""
    lstm = tg.nn.LSTM(3, 4, bidirectional=True)
    x = tg.randn(5, 2, 3)
    padded_output, (h, c) = lstm(x)
    packed_output, (packed_h, packed_c) = lstm(our_rnn.pack_padded_sequence(x, [5, 5]))
    unpacked, _ = our_rnn.pad_packed_sequence(packed_output)
    for a, b in ((padded_output, unpacked), (h, packed_h), (c, packed_c)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=5), kind=st.sampled_from(["LSTM", "GRU", "RNN"]),
       bidirectional=st.booleans())
def test_random_lengths_property(lengths, kind, bidirectional):
    options = dict(num_layers=2, bidirectional=bidirectional)
    results = [run_packed(m, kind, options, "float64", lengths, False, True) for m in (tg, torch)]
    compare_lists(*results)
