"""Transformer, its encoder and decoder and their layers: torch's weights loaded into ours, then
outputs and every gradient compared (dropout 0, train and eval mode, float64 and float32)."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from helpers import assert_close, to_numpy

nn = tg.nn
D_MODEL, NHEAD, FEEDFORWARD = 8, 2, 12


def load_torch_weights(ours, theirs):
    state = {key: tg.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()}
    ours.load_state_dict(state)


def build(m, kind, dtype, **options):
    """The same module in either framework; torch's nested-tensor warning silenced."""
    options = dict(dict(dim_feedforward=FEEDFORWARD, dropout=0.0), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "encoder_layer":
            module = m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, **options)
        elif kind == "decoder_layer":
            module = m.nn.TransformerDecoderLayer(D_MODEL, NHEAD, **options)
        elif kind == "encoder":
            norm = m.nn.LayerNorm(D_MODEL)
            module = m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, **options), 2, norm)
        elif kind == "decoder":
            module = m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D_MODEL, NHEAD, **options), 2)
        else:
            module = m.nn.Transformer(D_MODEL, NHEAD, 2, 2, **options)
    return module.to(getattr(m, dtype))


@pytest.fixture(autouse=True)
def _quiet_mismatched_mask_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Support for mismatched key_padding_mask")
        yield


def compare(kind, dtype, options, inputs, train=True, upstream_seed=1):
    """Run ``kind`` on both frameworks from torch's weights; compare outputs and every gradient.

    ``inputs(m, dtype)`` returns (positional tensors, keyword tensors)."""
    torch.manual_seed(0)
    theirs = build(torch, kind, dtype, **options)
    ours = build(tg, kind, dtype, **options)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    load_torch_weights(ours, theirs)
    ours.train(train), theirs.train(train)
    results = []
    for m, module in ((tg, ours), (torch, theirs)):
        args, kwargs = inputs(m, dtype)
        output = module(*args, **kwargs)
        upstream = np.random.default_rng(upstream_seed).standard_normal(tuple(output.shape))
        output.backward(m.tensor(upstream, dtype=getattr(m, dtype)))
        grads = {name: p.grad for name, p in module.named_parameters()}
        results.append((output, [a.grad for a in args if a.requires_grad], grads))
    (out, input_grads, grads), (t_out, t_input_grads, t_grads) = results
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else {}
    assert_close(out, t_out, what="output", **tolerance)
    for index, (a, b) in enumerate(zip(input_grads, t_input_grads)):
        assert_close(a, b, what=f"grad of input {index}", **tolerance)
    assert set(grads) == set(t_grads)
    for name, grad in t_grads.items():
        if grad is None:
            assert grads[name] is None, name
        else:
            assert_close(grads[name], grad, what=f"grad of {name}", **tolerance)


def seq(m, dtype, *shape, seed=0):
    values = np.random.default_rng(seed).standard_normal(shape)
    return m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)


PADDING = np.array([[False, False, False, True, True], [False, False, False, False, False]])
CAUSAL5 = np.triu(np.ones((5, 5), dtype=bool), 1)
ENCODER_INPUTS = {
    "plain": lambda m, d: ((seq(m, d, 5, 2, D_MODEL),), {}),
    "causal_float_mask": lambda m, d: ((seq(m, d, 5, 2, D_MODEL),), dict(
        src_mask=m.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(m, d)), is_causal=True)),
    "bool_mask_and_padding": lambda m, d: ((seq(m, d, 5, 2, D_MODEL),), dict(
        src_mask=m.tensor(CAUSAL5), src_key_padding_mask=m.tensor(PADDING))),
    "unbatched": lambda m, d: ((seq(m, d, 5, D_MODEL),), {}),
}
LAYER_OPTIONS = {
    "defaults": {},
    "norm_first": dict(norm_first=True),
    "gelu": dict(activation="gelu"),
    "callable": dict(activation=lambda x: x.tanh() * 2),
    "no_bias": dict(bias=False),
    "eps": dict(layer_norm_eps=1e-3),
}


@pytest.mark.parametrize("inputs", sorted(ENCODER_INPUTS))
@pytest.mark.parametrize("options", sorted(LAYER_OPTIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_layer_matches_torch(inputs, options, dtype):
    compare("encoder_layer", dtype, LAYER_OPTIONS[options], ENCODER_INPUTS[inputs])


def stack_inputs(m, d):
    return (seq(m, d, 5, 2, D_MODEL),), dict(mask=m.tensor(CAUSAL5), src_key_padding_mask=m.tensor(PADDING))


def batch_first_inputs(m, d):
    return (seq(m, d, 2, 5, D_MODEL),), dict(src_key_padding_mask=m.tensor(PADDING))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_encoder_stack_matches_torch(train, dtype):
    compare("encoder", dtype, {}, stack_inputs, train)
    compare("encoder", dtype, dict(batch_first=True, norm_first=True), batch_first_inputs, train)


DECODER_INPUTS = {
    "plain": lambda m, d: ((seq(m, d, 4, 2, D_MODEL), seq(m, d, 5, 2, D_MODEL, seed=1)), {}),
    "masks": lambda m, d: ((seq(m, d, 4, 2, D_MODEL), seq(m, d, 5, 2, D_MODEL, seed=1)), dict(
        tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(m, d)), tgt_is_causal=True,
        memory_mask=m.tensor(np.eye(4, 5, 2, dtype=bool)), memory_key_padding_mask=m.tensor(PADDING),
        tgt_key_padding_mask=m.tensor(PADDING[:, 1:]))),
    "unbatched": lambda m, d: ((seq(m, d, 4, D_MODEL), seq(m, d, 3, D_MODEL, seed=1)), {}),
}


@pytest.mark.parametrize("inputs", sorted(DECODER_INPUTS))
@pytest.mark.parametrize("options", ["defaults", "norm_first", "gelu", "no_bias"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_decoder_layer_matches_torch(inputs, options, dtype):
    compare("decoder_layer", dtype, LAYER_OPTIONS[options], DECODER_INPUTS[inputs])


@pytest.mark.parametrize("train", [True, False])
def test_decoder_stack_matches_torch(train):
    compare("decoder", "float64", {}, DECODER_INPUTS["masks"], train)


def transformer_inputs(batch_first):
    def inputs(m, d):
        src, tgt = (seq(m, d, 2, 5, D_MODEL), seq(m, d, 2, 4, D_MODEL, seed=1)) if batch_first else \
            (seq(m, d, 5, 2, D_MODEL), seq(m, d, 4, 2, D_MODEL, seed=1))
        return (src, tgt), dict(tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(m, d)),
                                src_key_padding_mask=m.tensor(PADDING), memory_key_padding_mask=m.tensor(PADDING))
    return inputs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_transformer_matches_torch(batch_first, train, dtype):
    compare("transformer", dtype, dict(batch_first=batch_first), transformer_inputs(batch_first), train)


def test_transformer_norm_first_gelu_no_bias():
    compare("transformer", "float64", dict(norm_first=True, activation="gelu", bias=False), transformer_inputs(False))


def test_transformer_defaults_structure_and_init():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer()
    ours = nn.Transformer()
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    layer = ours.encoder.layers[0]
    assert (layer.linear1.out_features, layer.dropout.p, layer.norm1.eps, layer.norm_first) == (2048, 0.1, 1e-5, False)
    assert ours.d_model == 512 and ours.nhead == 8 and ours.batch_first is False
    bound = np.sqrt(6 / (512 + 2048))  # xavier_uniform_ on every matrix
    weight = to_numpy(layer.linear1.weight)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert ours.encoder.layers[0] is not ours.encoder.layers[1]
    assert not np.array_equal(to_numpy(ours.encoder.layers[0].linear1.weight),
                              to_numpy(ours.encoder.layers[1].linear1.weight))


def test_activation_module_is_registered_as_torch_does():
    ours = nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation=nn.GELU())
    theirs = torch.nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation=torch.nn.GELU())
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_generate_square_subsequent_mask_matches_torch():
    for size, dtype in ((1, None), (4, None), (3, "float64")):
        ours = nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(tg, dtype))
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(torch, dtype))
        assert_close(ours, theirs)


def test_dropout_is_active_in_training_only():
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, dim_feedforward=FEEDFORWARD, dropout=0.5)
    x = tg.randn(5, 2, D_MODEL)
    layer.eval()
    np.testing.assert_array_equal(to_numpy(layer(x)), to_numpy(layer(x)))
    layer.train()
    assert not np.array_equal(to_numpy(layer(x)), to_numpy(layer(x)))


ERRORS = [
    (lambda m: m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    (lambda m: build(m, "transformer", "float32")(m.zeros(5, 2, D_MODEL), m.zeros(4, 3, D_MODEL)), RuntimeError,
     "the batch number of src and tgt must be equal"),
    (lambda m: build(m, "transformer", "float32")(m.zeros(5, 2, D_MODEL), m.zeros(4, 2, 6)), RuntimeError,
     "the feature number of src and tgt must be equal to d_model"),
    (lambda m: build(m, "encoder_layer", "float32")(m.zeros(5, 2, D_MODEL), is_causal=True), RuntimeError,
     "Need attn_mask if specifying the is_causal hint"),
]


@pytest.mark.parametrize("scenario, error, message", ERRORS)
def test_errors_match_torch(scenario, error, message):
    for m in (torch, tg):
        with pytest.raises(error, match=message):
            scenario(m)


def test_mismatched_mask_types_warn_as_torch():
    for m in (torch, tg):
        layer = build(m, "decoder_layer", "float32")
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
            layer(m.zeros(4, 2, D_MODEL), m.zeros(5, 2, D_MODEL),
                  tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(4),
                  tgt_key_padding_mask=m.tensor(PADDING[:, 1:]))
