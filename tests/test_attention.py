"""F.scaled_dot_product_attention and nn.MultiheadAttention against torch: values and every gradient."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from helpers import Const, F, assert_close, check, random_array
from tinygrad_edu import nn

# -- F.scaled_dot_product_attention -------------------------------------------------------------------

Q, K, V = (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)   # (B, heads, L or S, E)


def bool_mask(shape, seed=0):
    """A random True-means-attend mask where every query keeps key 0."""
    mask = np.random.default_rng(seed).random(shape) > 0.4
    mask[..., 0] = True
    return mask


def float_mask(shape, dtype="float64", seed=0):
    mask = random_array(shape, dtype, np.random.default_rng(seed))
    mask[bool_mask(shape, seed + 1) == False] = -np.inf  # noqa: E712 (NumPy elementwise)
    return mask


def sdpa(**options):
    def run(q, k, v, *mask):
        return F(q).scaled_dot_product_attention(q, k, v, *mask, **options)
    return run


SDPA_CASES = [
    ("plain", sdpa(), [Q, K, V]),
    ("bool_mask", sdpa(), [Q, K, V, Const(bool_mask((4, 6)))]),
    ("bool_mask_broadcast", sdpa(), [Q, K, V, Const(bool_mask((2, 1, 4, 6)))]),
    ("float_mask", sdpa(), [Q, K, V, Const(float_mask((4, 6)))]),
    ("float_mask_full", sdpa(), [Q, K, V, Const(float_mask((2, 3, 4, 6)))]),
    ("causal_rectangular", sdpa(is_causal=True), [Q, K, V]),
    ("causal_square", sdpa(is_causal=True), [(2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4)]),
    ("scale", sdpa(scale=0.3), [Q, K, V]),
    ("three_dims", sdpa(), [(2, 4, 5), (2, 6, 5), (2, 6, 3)]),
    ("broadcast_batch", sdpa(), [(2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 7)]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fn,inputs", [pytest.param(fn, inputs, id=name) for name, fn, inputs in SDPA_CASES])
def test_sdpa_matches_torch(fn, inputs, dtype):
    inputs = [Const(i.array.astype(dtype)) if isinstance(i, Const) and i.array.dtype.kind == "f" else i
              for i in inputs]
    check(fn, *inputs, dtype=dtype)


def test_sdpa_query_with_nothing_to_attend_gets_zeros_like_torch():
    mask = bool_mask((4, 6))
    mask[2] = False
    check(sdpa(), Q, K, V, Const(mask))
    float_version = np.where(mask, 0.0, -np.inf)
    check(sdpa(), Q, K, V, Const(float_version))


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 3), heads=st.integers(1, 3), target=st.integers(1, 5), source=st.integers(1, 5),
       features=st.integers(1, 6), value_features=st.integers(1, 6),
       masking=st.sampled_from(["none", "causal", "bool_mask"]), seed=st.integers(0, 2 ** 16))
def test_sdpa_shapes_float32(batch, heads, target, source, features, value_features, masking, seed):
    inputs = [(batch, heads, target, features), (batch, heads, source, features),
              (batch, heads, source, value_features)]
    if masking == "bool_mask":
        inputs.append(Const(bool_mask((target, source), seed)))
    check(sdpa(is_causal=masking == "causal"), *inputs, dtype="float32", seed=seed)


def test_sdpa_dropout_drops_weights():
    q, k, v = (tg.tensor(random_array(shape)) for shape in (Q, K, V))
    tg.manual_seed(0)
    first = tg.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    second = tg.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert first.shape == second.shape == (2, 3, 4, 7)
    assert not np.allclose(first.numpy(), second.numpy())
    dropped_all = tg.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    np.testing.assert_array_equal(dropped_all.numpy(), 0.0)


def test_sdpa_errors_in_torch_words():
    q = tg.randn(1, 2, 3)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype"):
        tg.nn.functional.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        tg.nn.functional.scaled_dot_product_attention(q, q, q, tg.ones(2, 2, dtype=tg.bool), is_causal=True)


# -- nn.MultiheadAttention ------------------------------------------------------------------------------

EMBED, HEADS, TARGET, SOURCE, BATCH, KDIM, VDIM = 8, 2, 3, 4, 2, 5, 6


def build_pair(dtype, seed=0, **kwargs):
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, **kwargs, dtype=getattr(torch, dtype))
    ours = nn.MultiheadAttention(EMBED, HEADS, **kwargs, dtype=getattr(tg, dtype))
    ours.load_state_dict({name: tg.tensor(value.numpy().copy()) for name, value in theirs.state_dict().items()})
    return theirs, ours


def mask_of_kind(shape, kind, dtype, seed):
    """A torch MHA mask: bool (True = do not attend) or float (random, -inf = do not attend); key 0 stays open."""
    blocked = ~bool_mask(shape, seed)
    if kind == "bool":
        return blocked
    return np.where(blocked, -np.inf, random_array(shape, dtype, np.random.default_rng(seed)))


def mha_masks(attn_kind, padding_kind, unbatched, source, dtype, seed):
    """(attn_mask, key_padding_mask) arrays or None; attn_kind is 'none' or like '2d_bool', '3d_float'."""
    batch = 1 if unbatched else BATCH
    attn_mask = padding_mask = None
    if attn_kind != "none":
        dims, kind = attn_kind.split("_")
        shape = (TARGET, source) if dims == "2d" else (batch * HEADS, TARGET, source)
        attn_mask = mask_of_kind(shape, kind, dtype, seed)
    if padding_kind != "none":
        shape = (source,) if unbatched else (BATCH, source)
        padding_mask = mask_of_kind(shape, padding_kind, dtype, seed + 7)
    return attn_mask, padding_mask


def run_mha(module, query, key, value, masks, framework, **options):
    attn_mask, key_padding_mask = (None if m is None else framework.tensor(m.copy()) for m in masks)
    return module(query, key, value, key_padding_mask=key_padding_mask, attn_mask=attn_mask, **options)


def check_mha(dtype="float64", seed=0, unbatched=False, self_attention=True, separate_dims=False,
              attn_kind="none", padding_kind="none", need_weights=True, average_attn_weights=True,
              is_causal=False, **kwargs):
    if separate_dims:
        kwargs.update(kdim=KDIM, vdim=VDIM)
        self_attention = False
    theirs, ours = build_pair(dtype, seed, **kwargs)
    rng = np.random.default_rng(seed)
    batch_first = kwargs.get("batch_first", False)

    def shape(length, features):
        if unbatched:
            return (length, features)
        return (BATCH, length, features) if batch_first else (length, BATCH, features)

    arrays = [random_array(shape(TARGET, EMBED), dtype, rng)]
    if not self_attention:
        arrays += [random_array(shape(SOURCE, KDIM if separate_dims else EMBED), dtype, rng),
                   random_array(shape(SOURCE, VDIM if separate_dims else EMBED), dtype, rng)]
    ours_inputs = [tg.tensor(a.copy(), requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    masks = mha_masks(attn_kind, padding_kind, unbatched, TARGET if self_attention else SOURCE, dtype, seed)
    options = dict(need_weights=need_weights, average_attn_weights=average_attn_weights, is_causal=is_causal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        triple = (lambda inputs: inputs * 3) if self_attention else (lambda inputs: inputs)
        ours_output, ours_weights = run_mha(ours, *triple(ours_inputs), masks, tg, **options)
        torch_output, torch_weights = run_mha(theirs, *triple(torch_inputs), masks, torch, **options)

    assert_close(ours_output, torch_output, what="attn_output")
    assert (ours_weights is None) == (torch_weights is None)
    outputs = [(ours_output, torch_output)]
    if torch_weights is not None:
        assert_close(ours_weights, torch_weights, what="attn_weights")
        outputs.append((ours_weights, torch_weights))
    upstream = [random_array(tuple(t.shape), dtype, np.random.default_rng(seed + 1)) for _, t in outputs]
    sum((o * tg.tensor(g)).sum() for (o, _), g in zip(outputs, upstream)).backward()
    sum((t * torch.tensor(g)).sum() for (_, t), g in zip(outputs, upstream)).backward()
    for index, (o, t) in enumerate(zip(ours_inputs, torch_inputs)):
        assert_close(o.grad, t.grad, what=f"grad of input {index}")
    ours_parameters = dict(ours.named_parameters())
    assert list(ours_parameters) == [name for name, _ in theirs.named_parameters()]
    for name, parameter in theirs.named_parameters():
        assert_close(ours_parameters[name].grad, parameter.grad, what=f"grad of {name}")


MHA_CASES = {
    "self_attention": dict(),
    "cross_attention": dict(self_attention=False),
    "batch_first": dict(batch_first=True),
    "unbatched": dict(unbatched=True, self_attention=False),
    "unbatched_batch_first": dict(unbatched=True, batch_first=True),
    "kdim_vdim": dict(separate_dims=True),
    "kdim_vdim_batch_first_no_bias": dict(separate_dims=True, batch_first=True, bias=False),
    "no_bias": dict(bias=False),
    "no_weights": dict(need_weights=False, self_attention=False),
    "per_head_weights": dict(average_attn_weights=False),
    "per_head_weights_unbatched": dict(average_attn_weights=False, unbatched=True),
    "attn_mask_bool": dict(attn_kind="2d_bool", self_attention=False),
    "attn_mask_float": dict(attn_kind="2d_float", self_attention=False),
    "attn_mask_3d_bool": dict(attn_kind="3d_bool", self_attention=False),
    "attn_mask_3d_float_unbatched": dict(attn_kind="3d_float", self_attention=False, unbatched=True),
    "padding_mask_bool": dict(padding_kind="bool", self_attention=False),
    "padding_mask_float": dict(padding_kind="float", batch_first=True, self_attention=False),
    "padding_mask_unbatched": dict(padding_kind="bool", unbatched=True, self_attention=False),
    "both_masks": dict(attn_kind="2d_bool", padding_kind="bool", self_attention=False),
    "both_masks_no_weights": dict(attn_kind="2d_float", padding_kind="float", need_weights=False,
                                  self_attention=False),
    "self_attention_masks": dict(attn_kind="2d_bool", padding_kind="bool"),
    "add_bias_kv": dict(add_bias_kv=True, attn_kind="2d_bool", padding_kind="bool", self_attention=False),
    "add_zero_attn": dict(add_zero_attn=True, attn_kind="2d_float", padding_kind="bool", self_attention=False),
    "bias_kv_and_zero_attn_kdim": dict(add_bias_kv=True, add_zero_attn=True, separate_dims=True),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", list(MHA_CASES.values()), ids=list(MHA_CASES))
def test_mha_matches_torch(options, dtype):
    check_mha(dtype, **options)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_causal_hint_with_causal_mask(need_weights):
    """is_causal=True with the causal mask: torch may take another path, the result is the same."""
    theirs, ours = build_pair("float64")
    causal = np.triu(np.ones((TARGET, TARGET), dtype=bool), 1)
    x = random_array((TARGET, BATCH, EMBED))
    ours_out, _ = ours(*[tg.tensor(x)] * 3, attn_mask=tg.tensor(causal), is_causal=True, need_weights=need_weights)
    torch_out, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(causal), is_causal=True,
                          need_weights=need_weights)
    assert_close(ours_out, torch_out)


@settings(max_examples=30, deadline=None)
@given(unbatched=st.booleans(), batch_first=st.booleans(), separate_dims=st.booleans(), bias=st.booleans(),
       add_bias_kv=st.booleans(), add_zero_attn=st.booleans(), need_weights=st.booleans(),
       average_attn_weights=st.booleans(), attn_kind=st.sampled_from(["none", "2d_bool", "2d_float", "3d_bool"]),
       padding_kind=st.sampled_from(["none", "bool", "float"]), seed=st.integers(0, 2 ** 16))
def test_mha_option_combinations_float32(unbatched, batch_first, separate_dims, bias, add_bias_kv, add_zero_attn,
                                         need_weights, average_attn_weights, attn_kind, padding_kind, seed):
    check_mha("float32", seed, unbatched=unbatched, self_attention=False, separate_dims=separate_dims,
              attn_kind=attn_kind, padding_kind=padding_kind, need_weights=need_weights,
              average_attn_weights=average_attn_weights, batch_first=batch_first, bias=bias,
              add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)


def test_mha_dropout_acts_in_training_only():
    mha = nn.MultiheadAttention(EMBED, HEADS, dropout=0.5, dtype=tg.float64)
    x = tg.tensor(random_array((TARGET, BATCH, EMBED)))
    tg.manual_seed(0)
    with tg.no_grad():
        first, _ = mha(x, x, x)
        second, _ = mha(x, x, x)
        mha.eval()
        evaluated, again = mha(x, x, x)[0], mha(x, x, x)[0]
    assert not np.allclose(first.numpy(), second.numpy())
    np.testing.assert_array_equal(evaluated.numpy(), again.numpy())


@pytest.mark.parametrize("kwargs", [dict(), dict(kdim=3, vdim=5, bias=False), dict(add_bias_kv=True)])
def test_mha_parameters_repr_and_init_match_torch(kwargs):
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, **kwargs)
    ours = nn.MultiheadAttention(EMBED, HEADS, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert isinstance(ours.out_proj, nn.Linear)
    if ours.in_proj_bias is not None:
        np.testing.assert_array_equal(ours.in_proj_bias.detach().numpy(), 0.0)
        np.testing.assert_array_equal(ours.out_proj.bias.detach().numpy(), 0.0)
    if ours.in_proj_weight is not None:
        bound = np.sqrt(6 / (EMBED + 3 * EMBED))
        values = ours.in_proj_weight.detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound


def test_mha_errors_in_torch_words():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    mha = nn.MultiheadAttention(EMBED, HEADS)
    x = tg.randn(TARGET, BATCH, EMBED)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
        mha(x[0, 0], x[0, 0], x[0, 0])
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D but found 2-D and 3-D"):
        mha(x, x[0], x)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is .*, but should be \\(3, 3\\)"):
        mha(x, x, x, attn_mask=tg.zeros(2, 3))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
        mha(x, x, x, attn_mask=tg.zeros(3, 3, dtype=tg.int64))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 4"):
        mha(x[..., :4], x, x)
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 3, but got 2"):
        mha(x, x, x, key_padding_mask=tg.zeros(BATCH, 2, dtype=tg.bool))
