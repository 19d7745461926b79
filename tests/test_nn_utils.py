"""nn.utils (gradient clipping, parameter vectors) against torch.nn.utils on the same gradients."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]
TOLERANCE = {"float64": {"rtol": 1e-7, "atol": 1e-9}, "float32": {"rtol": 1.3e-6, "atol": 1e-5}}
OUR_DTYPES = {"float64": tg.float64, "float32": tg.float32}


def make_params(dtype="float64", seed=0, scale=1.0, without_grad=(2,)):
    """The same parameters with the same gradients in both frameworks; some have no gradient."""
    rng = np.random.default_rng(seed)
    torch_params, our_params = [], []
    for index, shape in enumerate(SHAPES):
        value = rng.standard_normal(shape).astype(dtype)
        grad = (rng.standard_normal(shape) * scale).astype(dtype)
        theirs = torch.tensor(value, requires_grad=True)
        ours = tg.tensor(value, dtype=OUR_DTYPES[dtype], requires_grad=True)
        if index not in without_grad:
            theirs.grad = torch.tensor(grad)
            ours.grad = tg.tensor(grad, dtype=OUR_DTYPES[dtype])
        torch_params.append(theirs)
        our_params.append(ours)
    return torch_params, our_params


def assert_grads_match(torch_params, our_params, dtype="float64"):
    for theirs, ours in zip(torch_params, our_params):
        if theirs.grad is None:
            assert ours.grad is None
            continue
        assert ours.grad.dtype == OUR_DTYPES[dtype]
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, -math.inf, 0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    torch_params, our_params = make_params(dtype)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, max_norm, norm_type=norm_type)
    actual = nn.utils.clip_grad_norm_(our_params, max_norm, norm_type=norm_type)
    assert isinstance(actual, tg.Tensor) and actual.shape == ()
    assert actual.dtype == OUR_DTYPES[dtype]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), **TOLERANCE[dtype])
    assert_grads_match(torch_params, our_params, dtype)


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(1e-3, 1e3), max_norm=st.floats(1e-2, 1e2), seed=st.integers(0, 1000),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clip_grad_norm_random_scales(scale, max_norm, seed, norm_type):
    torch_params, our_params = make_params("float64", seed=seed, scale=scale, without_grad=())
    expected = torch.nn.utils.clip_grad_norm_(torch_params, max_norm, norm_type)
    actual = nn.utils.clip_grad_norm_(iter(our_params), max_norm, norm_type)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), **TOLERANCE["float64"])
    assert_grads_match(torch_params, our_params)
    clipped_norm = nn.utils.get_total_norm([param.grad for param in our_params], norm_type)
    assert clipped_norm.item() <= max_norm * (1 + 1e-9) or actual.item() <= max_norm


def test_clip_grad_norm_of_a_single_tensor_and_in_place():
    torch_params, our_params = make_params()
    grad = our_params[0].grad
    array = grad._data
    expected = torch.nn.utils.clip_grad_norm_(torch_params[0], 0.1)
    actual = nn.utils.clip_grad_norm_(our_params[0], 0.1)
    np.testing.assert_allclose(actual.numpy(), expected.numpy())
    assert our_params[0].grad is grad and grad._data is array
    assert_grads_match(torch_params, our_params)


def test_clip_grad_norm_without_any_gradient_returns_zero():
    _, our_params = make_params(without_grad=range(len(SHAPES)))
    total = nn.utils.clip_grad_norm_(our_params, 1.0)
    assert total.item() == 0.0 and total.shape == ()
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_warns_on_an_empty_generator():
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        nn.utils.clip_grad_norm_((param for param in []), 1.0)


@pytest.mark.parametrize("bad_value", [math.nan, math.inf])
def test_clip_grad_norm_non_finite(bad_value):
    torch_params, our_params = make_params()
    our_params[0].grad._data[0, 0] = bad_value
    torch_params[0].grad[0, 0] = bad_value
    message = ("The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be "
               "clipped. To disable this error")
    with pytest.raises(RuntimeError, match=message):
        torch.nn.utils.clip_grad_norm_(torch_params, 1.0, error_if_nonfinite=True)
    before = our_params[1].grad.numpy().copy()
    with pytest.raises(RuntimeError, match=message):
        nn.utils.clip_grad_norm_(our_params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(our_params[1].grad.numpy(), before)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 1.0)
    actual = nn.utils.clip_grad_norm_(our_params, 1.0)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    assert_grads_match(torch_params, our_params)


def test_clip_grad_norm_deprecated_alias():
    torch_params, our_params = make_params()
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        actual = nn.utils.clip_grad_norm(our_params, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 0.5)
    np.testing.assert_allclose(actual.numpy(), expected.numpy())


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    torch_params, our_params = make_params()
    torch_grads = [param.grad for param in torch_params if param.grad is not None]
    our_grads = [param.grad for param in our_params if param.grad is not None]
    expected = torch.nn.utils.get_total_norm(torch_grads, 3.0)
    actual = nn.utils.get_total_norm(our_grads, 3.0)
    np.testing.assert_allclose(actual.numpy(), expected.numpy())
    torch.nn.utils.clip_grads_with_norm_(torch_params, 0.25, expected)
    nn.utils.clip_grads_with_norm_(our_params, 0.25, actual)
    assert_grads_match(torch_params, our_params)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.1, 0.7, 5.0])
def test_clip_grad_value_matches_torch(dtype, clip_value):
    torch_params, our_params = make_params(dtype)
    assert torch.nn.utils.clip_grad_value_(torch_params, clip_value) is None
    assert nn.utils.clip_grad_value_(our_params, clip_value) is None
    assert_grads_match(torch_params, our_params, dtype)
    torch.nn.utils.clip_grad_value_(torch_params[1], clip_value / 2)
    nn.utils.clip_grad_value_(our_params[1], clip_value / 2)
    assert_grads_match(torch_params, our_params, dtype)


def test_parameters_to_vector_matches_torch_with_gradients():
    torch_params, our_params = make_params(without_grad=())
    for param in torch_params + our_params:
        param.grad = None
    expected = torch.nn.utils.parameters_to_vector(torch_params)
    actual = nn.utils.parameters_to_vector(our_params)
    assert actual.shape == tuple(expected.shape)
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(expected.shape)
    expected.backward(torch.tensor(upstream))
    actual.backward(tg.tensor(upstream))
    assert_grads_match(torch_params, our_params)


def test_vector_to_parameters_matches_torch_and_shares_memory():
    torch_params, our_params = make_params(without_grad=())
    vector = np.arange(sum(int(np.prod(shape)) for shape in SHAPES), dtype=np.float64)
    torch_vector, our_vector = torch.tensor(vector), tg.tensor(vector)
    torch.nn.utils.vector_to_parameters(torch_vector, torch_params)
    nn.utils.vector_to_parameters(our_vector, our_params)
    for theirs, ours in zip(torch_params, our_params):
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    our_vector[0] = -1.0
    assert our_params[0].detach().numpy()[0, 0] == -1.0


def test_vector_to_parameters_rejects_non_tensors():
    with pytest.raises(TypeError, match="expected tinygrad_edu.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0, 2.0], [tg.zeros(2, requires_grad=True)])


def test_import_paths():
    import tinygrad_edu.nn.utils as utils_module
    from tinygrad_edu.nn.utils import clip_grad_norm_
    assert utils_module.clip_grad_norm_ is clip_grad_norm_ is tg.nn.utils.clip_grad_norm_
