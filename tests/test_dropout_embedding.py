"""Dropout and Dropout2d (statistics, eval identity, gradient = mask / (1 - p)), Embedding and
one_hot against torch (outputs, weight gradients, padding_idx, max_norm, from_pretrained)."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from helpers import assert_close
from tinygrad_edu import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only adds contention


# ------------------------------------------------------------------------------ dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_keeps_the_mean(p):
    tg.manual_seed(0)
    x = tg.ones(200, 500)
    out = F.dropout(x, p).numpy()
    kept = out != 0
    assert np.mean(kept) == pytest.approx(1 - p, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    assert out.mean() == pytest.approx(1.0, abs=0.03)
    torch_out = TF.dropout(torch.ones(200, 500), p).numpy()
    assert np.mean(torch_out != 0) == pytest.approx(np.mean(kept), abs=0.015)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_gradient_is_the_mask_over_one_minus_p(p, dtype):
    tg.manual_seed(1)
    x = tg.randn(30, 40, dtype=dtype, requires_grad=True)
    out = nn.Dropout(p)(x)
    upstream = tg.randn(30, 40, dtype=dtype)
    out.backward(upstream)
    mask = (out.detach().numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy(), upstream.numpy() * mask / (1 - p), rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * mask / (1 - p), rtol=1e-6)
    assert out.dtype == dtype and x.grad.dtype == dtype


def test_dropout_in_eval_mode_or_with_p_zero_is_the_identity():
    x = tg.randn(4, 5, requires_grad=True)
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert nn.Dropout2d(0.3).eval()(x.reshape(1, 4, 5, 1)).shape == (1, 4, 5, 1)
    assert TF.dropout(torch.ones(2), 0.5, training=False).tolist() == [1.0, 1.0]


def test_dropout_follows_train_and_eval_switches():
    tg.manual_seed(2)
    x = tg.ones(1000)
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    dropout = model[1]
    assert (dropout(x).numpy() == 0).any()
    model.eval()
    assert not dropout.training and dropout(x) is x
    model.train()
    assert (dropout(x).numpy() == 0).any()


def test_dropout_with_p_one_zeroes_everything_and_its_gradient():
    x = tg.randn(3, 4, requires_grad=True)
    out = F.dropout(x, 1.0)
    out.backward(tg.ones(3, 4))
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_dropout_masks_are_reproducible_with_manual_seed():
    tg.manual_seed(42)
    first = F.dropout(tg.ones(50), 0.5).numpy()
    tg.manual_seed(42)
    second = F.dropout(tg.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, F.dropout(tg.ones(50), 0.5).numpy())


def test_dropout_inplace_overwrites_the_input():
    tg.manual_seed(3)
    x = tg.ones(100)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and (x.numpy() == 0).any() and set(np.unique(x.numpy())) == {0.0, 2.0}
    leaf = tg.ones(100, requires_grad=True)
    hidden = leaf * 1
    nn.Dropout(0.5, inplace=True)(hidden).backward(tg.ones(100))
    np.testing.assert_allclose(leaf.grad.numpy(), hidden.detach().numpy())


def test_dropout_repr_and_probability_check_match_torch():
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(0.2, inplace=True)) == repr(torch.nn.Dropout(0.2, inplace=True))
    assert repr(nn.Dropout2d(0.1)) == repr(torch.nn.Dropout2d(0.1))
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {bad}"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {bad}"):
            F.dropout2d(tg.ones(2, 2, 2, 2), bad)


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout2d_drops_whole_channels(p):
    tg.manual_seed(4)
    x = tg.ones(40, 30, 3, 4, requires_grad=True)
    out = nn.Dropout2d(p)(x)
    maps = out.detach().numpy().reshape(40, 30, -1)
    dropped = (maps == 0).all(-1)
    assert np.all(dropped | np.isclose(maps, 1 / (1 - p)).all(-1))
    assert np.mean(dropped) == pytest.approx(p, abs=0.04)
    upstream = tg.randn(40, 30, 3, 4)
    out.backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), upstream.numpy() * out.detach().numpy(), rtol=1e-6)


def test_dropout2d_warns_like_torch_for_other_ranks():
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout behavior is desired"):
        out = F.dropout2d(tg.ones(20, 30, 8), 0.5)
    assert ((out.numpy() == 0).all(-1) | (out.numpy() == 2).all(-1)).all()
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(tg.ones(3, 4), 0.5)
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(tg.ones(2, 3, 4, 2, 2), 0.5)


# ------------------------------------------------------------------------------ embedding
def embedding_pair(num, dim, dtype="float64", **options):
    """An Embedding in both libraries, ours holding torch's table."""
    theirs = torch.nn.Embedding(num, dim, dtype=getattr(torch, dtype), **options)
    ours = nn.Embedding(num, dim, dtype=getattr(tg, dtype), **options)
    with tg.no_grad():
        ours.weight.copy_(tg.tensor(theirs.weight.detach().numpy().copy()))
    return ours, theirs


def run_embedding(ours, theirs, indices, dtype="float64", seed=0):
    out = ours(tg.tensor(indices))
    expected = theirs(torch.tensor(indices))
    assert_close(out, expected, what="output")
    upstream = np.random.default_rng(seed).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(ours.weight.grad, theirs.weight.grad, what="weight grad")
    assert_close(ours.weight.detach(), theirs.weight.detach(), what="weight after forward")
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("indices", [[1, 2, 4, 4, 9], [[0, 2, 0, 5], [4, 3, 2, 9]], 3, [[[1], [1]]]],
                         ids=["1d-repeats", "2d", "scalar", "3d"])
def test_embedding_matches_torch(indices, dtype):
    ours, theirs = embedding_pair(10, 3, dtype)
    run_embedding(ours, theirs, np.array(indices, dtype=np.int64), dtype)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), num=st.integers(1, 8), dim=st.integers(1, 4),
       data=st.data())
def test_embedding_any_index_shape(shape, num, dim, data):
    indices = np.array(data.draw(st.lists(st.integers(0, num - 1), min_size=int(np.prod(shape)),
                                          max_size=int(np.prod(shape)))), dtype=np.int64).reshape(shape)
    ours, theirs = embedding_pair(num, dim)
    out = run_embedding(ours, theirs, indices)
    assert tuple(out.shape) == tuple(shape) + (dim,)


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_row_starts_at_zero_and_gets_no_gradient(padding_idx):
    tg.manual_seed(0)
    layer = nn.Embedding(6, 4, padding_idx=padding_idx)
    row = padding_idx % 6
    assert layer.padding_idx == torch.nn.Embedding(6, 4, padding_idx=padding_idx).padding_idx == row
    np.testing.assert_array_equal(layer.weight.detach().numpy()[row], np.zeros(4))
    ours, theirs = embedding_pair(6, 4, padding_idx=padding_idx)
    run_embedding(ours, theirs, np.array([[row, 1, row], [2, row, 5]]))
    np.testing.assert_array_equal(ours.weight.grad.numpy()[row], np.zeros(4))


def test_scale_grad_by_freq_matches_torch():
    ours, theirs = embedding_pair(8, 3, scale_grad_by_freq=True, padding_idx=2)
    run_embedding(ours, theirs, np.array([[1, 1, 1, 2], [5, 2, 5, 7]]))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_the_used_rows_like_torch(norm_type):
    ours, theirs = embedding_pair(10, 4, max_norm=1.5, norm_type=norm_type)
    with tg.no_grad():
        ours.weight.mul_(3.0)
    with torch.no_grad():
        theirs.weight.mul_(3.0)
    run_embedding(ours, theirs, np.array([[1, 3, 3], [0, 9, 1]]))
    untouched = [2, 4, 5, 6, 7, 8]
    assert_close(ours.weight.detach()[untouched], theirs.weight.detach()[untouched])


def test_embedding_default_init_is_standard_normal_and_seeded():
    tg.manual_seed(9)
    weight = nn.Embedding(500, 200).weight.detach().numpy()
    assert weight.mean() == pytest.approx(0.0, abs=0.01) and weight.std() == pytest.approx(1.0, rel=0.01)
    tg.manual_seed(9)
    np.testing.assert_array_equal(nn.Embedding(500, 200).weight.detach().numpy(), weight)


def test_embedding_accepts_int32_indices_and_functional_form():
    weight = tg.randn(5, 2, requires_grad=True)
    out = F.embedding(tg.tensor([1, 4], dtype=tg.int32), weight)
    np.testing.assert_array_equal(out.detach().numpy(), weight.detach().numpy()[[1, 4]])
    torch_weight = torch.tensor(weight.detach().numpy(), requires_grad=True)
    TF.embedding(torch.tensor([[1, 1], [4, 0]]), torch_weight, padding_idx=1).backward(torch.ones(2, 2, 2))
    F.embedding(tg.tensor([[1, 1], [4, 0]]), weight, padding_idx=1).backward(tg.ones(2, 2, 2))
    np.testing.assert_array_equal(weight.grad.numpy(), torch_weight.grad.numpy())


def test_from_pretrained_shares_the_table_and_freezes_it():
    table = tg.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_allclose(frozen(tg.tensor([1])).numpy(), [[4.0, 5.1, 6.3]])
    assert np.shares_memory(frozen.weight.detach().numpy(), table.numpy())
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    np.testing.assert_allclose(trainable.weight.detach().numpy()[0], [1.0, 2.3, 3.0])    # kept, not zeroed
    trainable(tg.tensor([0, 1, 0])).backward(tg.ones(3, 3))
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0, 0, 0], [1, 1, 1]])
    assert repr(trainable) == repr(torch.nn.Embedding.from_pretrained(torch.ones(2, 3), padding_idx=0))


@pytest.mark.parametrize("options", [dict(), dict(padding_idx=2), dict(max_norm=1.0), dict(norm_type=1.0),
                                     dict(scale_grad_by_freq=True), dict(sparse=True),
                                     dict(padding_idx=-1, max_norm=2.0, norm_type=3.0)])
def test_embedding_repr_matches_torch(options):
    assert repr(nn.Embedding(10, 3, **options)) == repr(torch.nn.Embedding(10, 3, **options))


EMBEDDING_ERRORS = [
    (RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
                   "but got torch.FloatTensor instead \\(while checking arguments for embedding\\)",
     lambda: F.embedding(tg.randn(3), tg.randn(5, 2))),
    (IndexError, "index out of range in self", lambda: F.embedding(tg.tensor([1, 7]), tg.randn(5, 2))),
    (IndexError, "index out of range in self", lambda: F.embedding(tg.tensor([1, -1]), tg.randn(5, 2))),
    (AssertionError, "Padding_idx must be within num_embeddings", lambda: nn.Embedding(5, 2, padding_idx=5)),
    (AssertionError, "Padding_idx must be within num_embeddings", lambda: nn.Embedding(5, 2, padding_idx=-6)),
    (AssertionError, "Padding_idx must be within num_embeddings",
     lambda: F.embedding(tg.tensor([1]), tg.randn(5, 2), padding_idx=5)),
    (AssertionError, "Shape of weight does not match num_embeddings and embedding_dim",
     lambda: nn.Embedding(5, 2, _weight=tg.randn(4, 2))),
    (AssertionError, "Embeddings parameter is expected to be 2-dimensional",
     lambda: nn.Embedding.from_pretrained(tg.randn(4))),
    (RuntimeError, "'weight' must be 2-D", lambda: F.embedding(tg.tensor([1]), tg.randn(5))),
]


@pytest.mark.parametrize("error,message,call", EMBEDDING_ERRORS)
def test_embedding_errors_use_torch_messages(error, message, call):
    with pytest.raises(error, match=message):
        call()


def test_failed_lookup_leaves_the_table_untouched():
    layer = nn.Embedding(5, 2, max_norm=0.1)
    before = layer.weight.detach().numpy().copy()
    with pytest.raises(IndexError):
        layer(tg.tensor([0, 9]))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), before)


# ------------------------------------------------------------------------------ one_hot
@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([0, 2, 1], 5), ([[1, 0], [3, 3]], -1), (2, 4),
                                                ([], 3)])
def test_one_hot_matches_torch(values, num_classes):
    ours = F.one_hot(tg.tensor(values, dtype=tg.int64), num_classes)
    expected = TF.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    assert ours.dtype == tg.int64
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    assert tuple(ours.shape) == tuple(expected.shape)


@pytest.mark.parametrize("message,call", [
    ("one_hot is only applicable to index tensor of type LongTensor.", lambda: F.one_hot(tg.tensor([1.0, 2.0]))),
    ("one_hot is only applicable to index tensor of type LongTensor.",
     lambda: F.one_hot(tg.tensor([1, 2], dtype=tg.int32))),
    ("Class values must be smaller than num_classes.", lambda: F.one_hot(tg.tensor([1, 5]), 3)),
    ("Class values must be non-negative.", lambda: F.one_hot(tg.tensor([1, -1]), 3)),
    ("Can not infer total number of classes from empty tensor.",
     lambda: F.one_hot(tg.tensor([], dtype=tg.int64))),
])
def test_one_hot_errors_use_torch_messages(message, call):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_embedding_and_dropout_train_together():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(20, 8, padding_idx=0), nn.Dropout(0.1), nn.Flatten(), nn.Linear(24, 2))
    tokens = tg.tensor([[0, 3, 5], [7, 0, 19]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(model(tokens), tg.tensor([0, 1]))
    loss.backward()
    embedding = model[0]
    np.testing.assert_array_equal(embedding.weight.grad.numpy()[0], np.zeros(8))
    assert np.abs(embedding.weight.grad.numpy()[[3, 5, 7, 19]]).sum() > 0
