"""BatchNorm, LayerNorm and GroupNorm against torch: outputs, every gradient, running statistics."""
import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

TOLERANCES = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1.3e-6, atol=1e-5)}
MODULES = (nn.modules.normalization,)
rng = np.random.default_rng(2)


def assert_close(ours, theirs, dtype=np.float64):
    assert ours is not None and theirs is not None
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCES[dtype])


def randomize_parameters(ours, theirs):
    """Give both modules the same random (not 1/0) affine parameters, in the module's dtype."""
    for (name, mine), (_, torchs) in zip(ours.named_parameters(), theirs.named_parameters()):
        values = rng.standard_normal(tuple(mine.shape)).astype(mine.detach().numpy().dtype)
        with tg.no_grad():
            mine.copy_(tg.tensor(values))
        with torch.no_grad():
            torchs.copy_(torch.from_numpy(values))


def step(ours, theirs, shape, dtype):
    """One forward/backward of both modules on the same input and upstream gradient; compare all."""
    array = (3 * rng.standard_normal(shape) + 1).astype(dtype)
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = ours(x), theirs(x_t)
    assert out.dtype == x.dtype
    assert_close(out, expected, dtype)
    upstream = rng.standard_normal(shape).astype(dtype)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(x.grad, x_t.grad, dtype)
    for (name, mine), (_, torchs) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(mine.grad, torchs.grad, dtype)
        mine.grad, torchs.grad = None, None


def compare_buffers(ours, theirs, dtype):
    our_buffers, their_buffers = dict(ours.named_buffers()), dict(theirs.named_buffers())
    assert list(our_buffers) == list(their_buffers)
    for name, mine in our_buffers.items():
        if name == "num_batches_tracked":
            assert mine.dtype == tg.int64 and mine.item() == their_buffers[name].item()
        else:
            assert_close(mine, their_buffers[name], dtype)


# ----------------------------------------------------------------------------- batch norm

BATCH_NORM_CASES = [
    ("BatchNorm1d", (6, 4), {}),
    ("BatchNorm1d", (5, 4, 3), dict(momentum=None)),
    ("BatchNorm1d", (3, 4), dict(affine=False)),
    ("BatchNorm2d", (4, 3, 5, 4), {}),
    ("BatchNorm2d", (2, 3, 3, 3), dict(momentum=0.3, eps=1e-3, bias=False)),
    ("BatchNorm2d", (3, 3, 2, 2), dict(momentum=None, affine=False)),
    ("BatchNorm2d", (4, 3, 5, 4), dict(track_running_stats=False)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,shape,kwargs", BATCH_NORM_CASES)
def test_batch_norm_train_then_eval_matches_torch(name, shape, kwargs, dtype):
    ours = getattr(nn, name)(shape[1], **kwargs)
    theirs = getattr(torch.nn, name)(shape[1], **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    randomize_parameters(ours, theirs)
    for _ in range(3):
        step(ours, theirs, shape, dtype)
        compare_buffers(ours, theirs, dtype)
    ours.eval(), theirs.eval()
    for _ in range(2):
        step(ours, theirs, shape, dtype)
    compare_buffers(ours, theirs, dtype)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_matches_torch(training):
    shape = (4, 3, 5)
    stats = [rng.standard_normal(3), rng.uniform(0.5, 2, 3)]
    ours_stats = [tg.tensor(s) for s in stats]
    their_stats = [torch.tensor(s) for s in stats]
    arrays = [rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.batch_norm(ours[0], *ours_stats, ours[1], ours[2], training=training, momentum=0.2, eps=1e-4)
    expected = TF.batch_norm(theirs[0], *their_stats, theirs[1], theirs[2], training=training, momentum=0.2,
                             eps=1e-4)
    assert_close(out, expected)
    upstream = rng.standard_normal(shape)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for mine, torchs in zip(ours + ours_stats, theirs + their_stats):
        assert_close(mine if mine.grad is None else mine.grad, torchs if torchs.grad is None else torchs.grad)


def test_batch_norm_without_running_stats():
    x = rng.standard_normal((4, 3))
    out = F.batch_norm(tg.tensor(x), None, None, training=True)
    assert_close(out, TF.batch_norm(torch.tensor(x), None, None, training=True))


def test_batch_norm_buffers_state_dict_and_reset():
    bn = nn.BatchNorm2d(3)
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm2d(3).state_dict())
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    bn(tg.randn(4, 3, 2, 2))
    assert bn.num_batches_tracked.item() == 1 and bn.running_var.numpy().std() > 0
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3, np.float32))
    assert nn.BatchNorm1d(3, track_running_stats=False).running_mean is None


def test_batch_norm_running_stats_do_not_require_grad():
    bn = nn.BatchNorm1d(3)
    out = bn(tg.randn(4, 3, requires_grad=True))
    assert out.requires_grad and not bn.running_mean.requires_grad and bn.running_mean.grad_fn is None


# ----------------------------------------------------------------------------- layer norm and group norm

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("normalized_shape,shape,kwargs", [
    (5, (2, 3, 5), {}),
    ((3, 5), (2, 3, 5), dict(eps=1e-3)),
    ((4,), (4,), dict(bias=False)),
    ((2, 3), (4, 2, 3), dict(elementwise_affine=False)),
])
def test_layer_norm_matches_torch(normalized_shape, shape, kwargs, dtype):
    ours, theirs = nn.LayerNorm(normalized_shape, **kwargs), torch.nn.LayerNorm(normalized_shape, **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    randomize_parameters(ours, theirs)
    step(ours, theirs, shape, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("groups,channels,shape,kwargs", [
    (2, 6, (3, 6, 4, 4), {}),
    (1, 3, (2, 3, 5), dict(eps=1e-3)),
    (3, 3, (2, 3, 2), dict(affine=False)),
    (2, 4, (2, 4, 2, 3, 2), dict(bias=False)),
])
def test_group_norm_matches_torch(groups, channels, shape, kwargs, dtype):
    ours, theirs = nn.GroupNorm(groups, channels, **kwargs), torch.nn.GroupNorm(groups, channels, **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    randomize_parameters(ours, theirs)
    step(ours, theirs, shape, dtype)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.lists(st.integers(1, 4), max_size=2))
def test_group_norm_and_layer_norm_property(batch, groups, per_group, spatial):
    channels = groups * per_group
    shape = (batch, channels) + tuple(spatial)
    if np.prod(shape[2:], dtype=int) * per_group > 1:
        ours, theirs = nn.GroupNorm(groups, channels).double(), torch.nn.GroupNorm(groups, channels).double()
        randomize_parameters(ours, theirs)
        step(ours, theirs, shape, np.float64)
    ours, theirs = nn.LayerNorm(shape[1:]).double(), torch.nn.LayerNorm(shape[1:]).double()
    randomize_parameters(ours, theirs)
    step(ours, theirs, shape, np.float64)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 4), st.integers(1, 3), st.lists(st.integers(1, 3), max_size=2), st.booleans())
def test_batch_norm_property(batch, channels, spatial, training):
    shape = (batch, channels) + tuple(spatial)
    name = "BatchNorm2d" if len(spatial) == 2 else "BatchNorm1d"
    ours, theirs = getattr(nn, name)(channels).double(), getattr(torch.nn, name)(channels).double()
    randomize_parameters(ours, theirs)
    ours.train(training), theirs.train(training)
    step(ours, theirs, shape, np.float64)
    compare_buffers(ours, theirs, np.float64)


def test_gradcheck_norms():
    x = tg.randn(3, 4, 2, dtype=tg.float64, requires_grad=True)
    w = tg.randn(4, dtype=tg.float64, requires_grad=True)
    b = tg.randn(4, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert tg.autograd.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert tg.autograd.gradcheck(lambda x: F.layer_norm(x, (4, 2)), (x,))


# ----------------------------------------------------------------------------- repr and errors

@pytest.mark.parametrize("make", [
    lambda nn: nn.BatchNorm1d(3),
    lambda nn: nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False),
    lambda nn: nn.BatchNorm2d(4, bias=False),
    lambda nn: nn.LayerNorm(5),
    lambda nn: nn.LayerNorm((2, 3), elementwise_affine=False),
    lambda nn: nn.LayerNorm(4, bias=False),
    lambda nn: nn.GroupNorm(2, 6),
    lambda nn: nn.GroupNorm(1, 3, affine=False),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("call,error,message", [
    (lambda: nn.BatchNorm1d(3)(tg.randn(1, 3)), ValueError,
     r"Expected more than 1 value per channel when training, got input size .*\[1, 3\]"),
    (lambda: nn.BatchNorm1d(3)(tg.randn(2, 3, 4, 5)), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    (lambda: nn.BatchNorm2d(3)(tg.randn(2, 3, 4)), ValueError, r"expected 4D input \(got 3D input\)"),
    (lambda: nn.BatchNorm2d(3)(tg.randn(2, 4, 4, 4)), RuntimeError, "running_mean should contain 4 elements not 3"),
    (lambda: F.batch_norm(tg.randn(2, 5, 3), None, None, training=False), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda: nn.LayerNorm(3)(tg.randn(2, 4)), RuntimeError,
     r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of size\[2, 4\]"),
    (lambda: nn.LayerNorm((2, 3))(tg.randn(2, 4)), RuntimeError,
     r"Given normalized_shape=\[2, 3\], expected input with shape \[\*, 2, 3\]"),
    (lambda: nn.GroupNorm(4, 6), ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)"),
    (lambda: nn.GroupNorm(2, 6)(tg.randn(2, 4, 3)), RuntimeError,
     r"Expected weight to be a vector of size equal to the number of channels in input, but got weight of "
     r"shape \[6\] and input of shape \[2, 4, 3\]"),
    (lambda: F.group_norm(tg.randn(2, 5, 3), 2), RuntimeError,
     r"Expected number of channels in input to be divisible by num_groups, but got input of shape \[2, 5, 3\] "
     "and num_groups=2"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_failed_batch_norm_leaves_running_stats_alone():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(RuntimeError):
        bn(tg.randn(2, 4, 4, 4))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3, np.float32))


def test_exports():
    for name in ("batch_norm", "layer_norm", "group_norm"):
        assert callable(getattr(F, name))
    for name in ("BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"):
        assert issubclass(getattr(nn, name), nn.Module)


def test_docstring_examples_run():
    for module in MODULES:
        failures, tried = doctest.testmod(module, extraglobs={"tg": tg, "nn": nn, "F": F})
        assert tried > 0 and failures == 0


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 2, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_second_order_gradients_match_torch(shape, affine):
    """The training node's backward, recorded under create_graph, differentiates again like torch's."""
    arrays = [rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.standard_normal(shape[1])]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    params = (lambda t: t[1:]) if affine else (lambda t: [None, None])
    out = F.batch_norm(ours[0], None, None, *params(ours), training=True)
    expected = TF.batch_norm(theirs[0], None, None, *params(theirs), training=True)
    assert out.grad_fn.name() == expected.grad_fn.name() == "NativeBatchNormBackward0"
    upstream, direction = rng.standard_normal(shape), rng.standard_normal(shape)
    inputs = ours if affine else ours[:1]
    their_inputs = theirs if affine else theirs[:1]
    grads = tg.autograd.grad(out, inputs, tg.tensor(upstream), create_graph=True)
    their_grads = torch.autograd.grad(expected, their_inputs, torch.tensor(upstream), create_graph=True)
    for mine, torchs in zip(grads, their_grads):
        assert_close(mine, torchs)
    second = tg.autograd.grad(grads[0], inputs[:2], tg.tensor(direction))          # the bias drops out
    their_second = torch.autograd.grad(their_grads[0], their_inputs[:2], torch.tensor(direction))
    for mine, torchs in zip(second, their_second):
        assert_close(mine, torchs)


def test_batch_norm_float32_gradients_match_torch_on_a_conv_sized_input():
    array = (2 * rng.standard_normal((8, 16, 12, 12)) + 0.5).astype(np.float32)
    upstream = rng.standard_normal(array.shape).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(16), torch.nn.BatchNorm2d(16)
    randomize_parameters(ours, theirs)
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = ours(x), theirs(x_t)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(out, expected, np.float32)
    for mine, torchs in ((x, x_t), (ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        np.testing.assert_allclose(mine.grad.numpy(), torchs.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-6)
