"""Convolutions (conv1d, conv2d, conv_transpose2d, unfold, fold) against torch: outputs and every gradient."""
import doctest
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

TOLERANCES = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1.3e-6, atol=1e-5)}
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel lengths")
MODULES = (nn.modules.conv,)
rng = np.random.default_rng(0)


def pair_of(shape, dtype=np.float64, requires_grad=True):
    """The same random array as a tinygrad_edu tensor and a torch tensor."""
    array = rng.standard_normal(shape).astype(dtype)
    return (tg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def assert_close(ours, theirs, dtype=np.float64):
    assert ours is not None and theirs is not None
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCES[dtype])


def check_against_torch(our_fn, torch_fn, shapes, dtype=np.float64, optional=()):
    """Run the same function on the same inputs in both libraries; compare the output and
    the gradient of every input under a random upstream gradient. ``None`` shapes pass None."""
    ours, theirs = [], []
    for shape in shapes:
        if shape is None:
            ours.append(None), theirs.append(None)
        else:
            mine, torchs = pair_of(shape, dtype)
            ours.append(mine), theirs.append(torchs)
    out, expected = our_fn(*ours), torch_fn(*theirs)
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out, expected, dtype)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for mine, torchs in zip(ours, theirs):
        if mine is not None:
            assert_close(mine.grad, torchs.grad, dtype)
    return out


# ----------------------------------------------------------------------------- conv2d

CONV2D_CASES = [
    # (input shape, weight shape, bias?, kwargs)
    ((2, 3, 7, 7), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), True, dict(stride=2, padding=1)),
    ((1, 4, 8, 9), (6, 2, 3, 3), True, dict(groups=2, dilation=2, padding=(2, 1))),
    ((2, 1, 9, 9), (5, 1, 3, 3), True, dict(padding="same")),
    ((2, 2, 6, 7), (3, 2, 4, 2), False, dict(padding="same")),
    ((2, 2, 6, 7), (3, 2, 2, 4), True, dict(padding="same", dilation=(2, 1))),
    ((1, 3, 5, 5), (2, 3, 3, 3), True, dict(padding="valid", stride=(1, 2))),
    ((2, 6, 5, 5), (6, 1, 3, 3), True, dict(groups=6, padding=1)),
    ((3, 2, 4, 4), (2, 2, 1, 1), True, dict(stride=3)),
    ((2, 2, 4, 5), (3, 2, 1, 1), True, dict(padding=1)),
    ((2, 4, 6, 6), (4, 2, 3, 1), False, dict(groups=2, padding=(3, 0))),
]


@pytest.mark.parametrize("x_shape,w_shape,with_bias,kwargs", CONV2D_CASES)
def test_conv2d_matches_torch_float64(x_shape, w_shape, with_bias, kwargs):
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, **kwargs),
                        lambda x, w, b: TF.conv2d(x, w, b, **kwargs),
                        [x_shape, w_shape, w_shape[:1] if with_bias else None])


@pytest.mark.parametrize("x_shape,w_shape,with_bias,kwargs", CONV2D_CASES[:4])
def test_conv2d_matches_torch_float32(x_shape, w_shape, with_bias, kwargs):
    out = check_against_torch(lambda x, w, b: F.conv2d(x, w, b, **kwargs),
                              lambda x, w, b: TF.conv2d(x, w, b, **kwargs),
                              [x_shape, w_shape, w_shape[:1] if with_bias else None], dtype=np.float32)
    assert out.dtype == tg.float32


def test_conv2d_unbatched_input():
    check_against_torch(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
                        [(3, 5, 5), (2, 3, 3, 3)])


@st.composite
def conv_arguments(draw, spatial_dims):
    groups = draw(st.integers(1, 2))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(spatial_dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(spatial_dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(spatial_dims))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(spatial_dims))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(draw(st.integers(max(1, s - 2 * p), s + 4)) for s, p in zip(span, padding))
    batch = draw(st.integers(1, 2))
    return dict(x=(batch, in_channels) + size, w=(out_channels, in_channels // groups) + kernel,
                kwargs=dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
                bias=draw(st.booleans()))


@settings(max_examples=30, deadline=None)
@given(conv_arguments(spatial_dims=2))
def test_conv2d_property(args):
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, **args["kwargs"]),
                        lambda x, w, b: TF.conv2d(x, w, b, **args["kwargs"]),
                        [args["x"], args["w"], args["w"][:1] if args["bias"] else None])


@settings(max_examples=20, deadline=None)
@given(conv_arguments(spatial_dims=1))
def test_conv1d_property(args):
    check_against_torch(lambda x, w, b: F.conv1d(x, w, b, **args["kwargs"]),
                        lambda x, w, b: TF.conv1d(x, w, b, **args["kwargs"]),
                        [args["x"], args["w"], args["w"][:1] if args["bias"] else None])


@pytest.mark.parametrize("kwargs", [dict(padding="same"), dict(padding="same", dilation=2), dict(padding=2),
                                    dict(stride=2, groups=2)])
def test_conv1d_matches_torch(kwargs):
    check_against_torch(lambda x, w, b: F.conv1d(x, w, b, **kwargs),
                        lambda x, w, b: TF.conv1d(x, w, b, **kwargs),
                        [(2, 4, 9), (6, 4 // kwargs.get("groups", 1), 4), (6,)])


def test_conv1d_unbatched_input():
    check_against_torch(lambda x, w: F.conv1d(x, w), lambda x, w: TF.conv1d(x, w), [(3, 7), (2, 3, 3)])


# ----------------------------------------------------------------------------- conv_transpose2d

CONV_TRANSPOSE_CASES = [
    ((2, 3, 4, 4), (3, 2, 3, 3), dict()),
    ((2, 4, 3, 5), (4, 3, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 2, 4, 4), (2, 3, 3, 3), dict(stride=(2, 3), dilation=(1, 2), output_padding=(1, 0))),
    ((1, 2, 3, 3), (2, 2, 3, 3), dict(stride=1, dilation=3, output_padding=2, padding=1)),
    ((2, 2, 5, 5), (2, 1, 4, 4), dict(stride=2, padding=3)),
]


@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV_TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs):
    out_channels = w_shape[1] * kwargs.get("groups", 1)
    check_against_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
                        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kwargs),
                        [x_shape, w_shape, (out_channels,)])


def test_conv_transpose2d_float32_and_unbatched():
    check_against_torch(lambda x, w: F.conv_transpose2d(x, w, stride=2),
                        lambda x, w: TF.conv_transpose2d(x, w, stride=2), [(3, 4, 4), (3, 2, 3, 3)],
                        dtype=np.float32)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_conv_transpose2d_property(data):
    groups = data.draw(st.integers(1, 2))
    in_channels, out_per_group = groups * data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(2))
    output_padding = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = tuple(data.draw(st.integers(1, 4)) for _ in range(2))
    full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride, dilation, kernel)]
    padding = tuple(data.draw(st.integers(0, (f - 1) // 2)) for f in full)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    check_against_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
                        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kwargs),
                        [(2, in_channels) + size, (in_channels, out_per_group) + kernel, (out_per_group * groups,)])


# ----------------------------------------------------------------------------- unfold / fold

@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2, padding=1),
                                    dict(kernel_size=3, dilation=2, padding=(2, 1), stride=(1, 2))])
def test_unfold_matches_torch(kwargs):
    check_against_torch(lambda x: F.unfold(x, **kwargs), lambda x: TF.unfold(x, **kwargs), [(2, 3, 7, 6)])


def test_unfold_unbatched_and_float32():
    check_against_torch(lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), [(3, 5, 5)], dtype=np.float32)


@pytest.mark.parametrize("output_size,kwargs", [((4, 4), dict(kernel_size=2)),
                                                ((7, 6), dict(kernel_size=(2, 3), stride=2, padding=1)),
                                                ((6, 7), dict(kernel_size=3, dilation=2, padding=(2, 1)))])
def test_fold_matches_torch(output_size, kwargs):
    blocks = TF.unfold(torch.zeros(1, 2, *output_size), **kwargs).shape
    check_against_torch(lambda x: F.fold(x, output_size, **kwargs), lambda x: TF.fold(x, output_size, **kwargs),
                        [(2,) + tuple(blocks[1:])])
    check_against_torch(lambda x: F.fold(x, output_size, **kwargs), lambda x: TF.fold(x, output_size, **kwargs),
                        [tuple(blocks[1:])])


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_unfold_fold_property(data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(2))
    padding = tuple(data.draw(st.integers(0, 2)) for _ in range(2))
    size = tuple(data.draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
                 for k, d, p in zip(kernel, dilation, padding))
    kwargs = dict(kernel_size=kernel, stride=stride, dilation=dilation, padding=padding)
    check_against_torch(lambda x: F.unfold(x, **kwargs), lambda x: TF.unfold(x, **kwargs), [(2, 2) + size])
    blocks = TF.unfold(torch.zeros(1, 2, *size), **kwargs).shape
    check_against_torch(lambda x: F.fold(x, size, **kwargs), lambda x: TF.fold(x, size, **kwargs),
                        [(2,) + tuple(blocks[1:])])


# ----------------------------------------------------------------------------- higher order

def test_gradcheck_conv2d():
    x = tg.randn(1, 2, 5, 4, dtype=tg.float64, requires_grad=True)
    w = tg.randn(4, 1, 3, 2, dtype=tg.float64, requires_grad=True)
    b = tg.randn(4, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                                          groups=2), (x, w, b))


def test_gradcheck_unfold_fold_and_conv_transpose2d():
    x = tg.randn(1, 2, 5, 4, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (x,))
    columns = tg.randn(1, 8, 6, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda c: F.fold(c, (4, 5), 2, stride=(1, 2)), (columns,))
    w = tg.randn(2, 3, 2, 2, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1), (x, w))


def test_double_backward_conv2d_matches_torch():
    """d/dw of a function of dL/dx exercises Im2Col's and Col2Im's backward of backward."""
    x, x_t = pair_of((2, 2, 6, 5))
    w, w_t = pair_of((3, 2, 3, 3))
    upstream = rng.standard_normal((2, 3, 3, 3))
    probe = rng.standard_normal((2, 2, 6, 5))
    (grad_x,) = tg.autograd.grad(F.conv2d(x, w, stride=2, padding=1), (x,), tg.tensor(upstream), create_graph=True)
    (grad_x_t,) = torch.autograd.grad(TF.conv2d(x_t, w_t, stride=2, padding=1), (x_t,), torch.tensor(upstream),
                                      create_graph=True)
    assert_close(grad_x, grad_x_t)
    (grad_x * tg.tensor(probe)).sum().backward()
    (grad_x_t * torch.tensor(probe)).sum().backward()
    assert_close(w.grad, w_t.grad)


@pytest.mark.parametrize("kwargs", [dict(padding=1), dict(padding="same", dilation=(2, 1)), dict(groups=2),
                                    dict(padding=(1, 0), groups=2, dilation=2)])
def test_double_backward_of_stride_one_conv2d_matches_torch(kwargs):
    """At stride 1 the input's gradient is itself a convolution (of the flipped kernels): its own
    gradients, with respect to the kernels and to the upstream gradient, must be torch's."""
    x, x_t = pair_of((2, 4, 7, 6))
    w, w_t = pair_of((6, 4 // kwargs.get("groups", 1), 3, 2))
    out, out_t = F.conv2d(x, w, **kwargs), TF.conv2d(x_t, w_t, **kwargs)
    upstream, upstream_t = pair_of(tuple(out_t.shape))
    (grad_x,) = tg.autograd.grad(out, (x,), upstream, create_graph=True)
    (grad_x_t,) = torch.autograd.grad(out_t, (x_t,), upstream_t, create_graph=True)
    assert_close(grad_x, grad_x_t)
    probe = rng.standard_normal(tuple(x_t.shape))
    (grad_x * tg.tensor(probe)).sum().backward()
    (grad_x_t * torch.tensor(probe)).sum().backward()
    assert_close(w.grad, w_t.grad)
    assert_close(upstream.grad, upstream_t.grad)


# ----------------------------------------------------------------------------- modules

def copy_parameters(ours, theirs):
    for (name, mine), (other_name, torchs) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == other_name and tuple(mine.shape) == tuple(torchs.shape)
        with torch.no_grad():
            torchs.copy_(torch.from_numpy(mine.detach().numpy().copy()))


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 64, kernel_size=3, padding="same"),
    lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False),
    lambda nn: nn.Conv1d(3, 4, 5, padding=2, stride=1),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
])
def test_modules_match_torch_with_copied_weights(make):
    ours, theirs = make(nn), make(torch.nn)
    copy_parameters(ours, theirs)
    spatial = (9,) if isinstance(ours, nn.Conv1d) else (9, 8)
    x, x_t = pair_of((2, ours.in_channels) + spatial, dtype=np.float32)
    out, expected = ours(x), theirs(x_t)
    assert_close(out, expected, np.float32)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(x.grad, x_t.grad, np.float32)
    for mine, torchs in zip(ours.parameters(), theirs.parameters()):
        assert_close(mine.grad, torchs.grad, np.float32)


def test_seed_network_shape():
    conv = nn.Conv2d(in_channels=1, out_channels=64, kernel_size=3, padding="same")
    assert tuple(conv(tg.randn(8, 1, 9, 9)).shape) == (8, 64, 9, 9)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 64, 3, padding="same"),
    lambda nn: nn.Conv2d(1, 64, (3, 5), stride=2, padding=1, dilation=2, bias=False),
    lambda nn: nn.Conv2d(2, 4, 3, groups=2, padding=(1, 2)),
    lambda nn: nn.Conv1d(2, 4, 3),
    lambda nn: nn.Conv1d(2, 4, 3, padding="valid"),
    lambda nn: nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2),
    lambda nn: nn.ConvTranspose2d(2, 4, 3, dilation=2, bias=False),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make", [lambda nn: nn.Conv2d(3, 8, (3, 2), groups=1),
                                  lambda nn: nn.Conv1d(4, 6, 5, groups=2),
                                  lambda nn: nn.ConvTranspose2d(4, 6, 3, groups=2)])
def test_default_init_bounds_and_shapes(make):
    ours, theirs = make(nn), make(torch.nn)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    assert ours.weight.dtype == tg.float32 and ours.weight.requires_grad
    fan_in = theirs.weight.shape[1] * math.prod(theirs.kernel_size)
    bound = 1 / math.sqrt(fan_in)        # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    weights, biases = ours.weight.detach().numpy(), ours.bias.detach().numpy()
    assert np.abs(weights).max() <= bound and np.abs(biases).max() <= bound
    assert weights.std() > bound / 4     # actually spread over the range, not all zeros
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]


def test_conv_transpose2d_module_output_size():
    ours, theirs = nn.ConvTranspose2d(2, 3, 3, stride=2), torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    copy_parameters(ours, theirs)
    x, x_t = pair_of((1, 2, 4, 4), dtype=np.float32)
    out = ours(x, output_size=(10, 10))
    assert_close(out, theirs(x_t, output_size=(10, 10)), np.float32)
    with pytest.raises(ValueError, match="requested an output size of"):
        ours(x, output_size=(12, 12))


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call,error,message", [
    (lambda: F.conv2d(tg.randn(2, 3), tg.randn(4, 3, 3, 3)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]"),
    (lambda: F.conv2d(tg.randn(1, 1, 9, 9), tg.randn(64, 3, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[64, 3, 3, 3\], expected input\[1, 1, 9, 9\] to have 3 channels, "
     r"but got 1 channels instead"),
    (lambda: F.conv2d(tg.randn(1, 9, 9), tg.randn(64, 3, 3, 3)), RuntimeError,
     r"expected input\[1, 1, 9, 9\] to have 3 channels"),
    (lambda: F.conv2d(tg.randn(1, 4, 9, 9), tg.randn(64, 2, 3, 3), groups=3), RuntimeError,
     r"Given groups=3, expected weight to be divisible by 3 at dimension 0"),
    (lambda: F.conv2d(tg.randn(1, 3, 9, 9), tg.randn(4, 3, 3, 3), stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(tg.randn(1, 3, 9, 9), tg.randn(4, 3, 3, 3), padding="foo"), RuntimeError,
     "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(tg.randn(1, 3, 2, 2), tg.randn(4, 3, 3, 3)), RuntimeError,
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't be "
     "greater than actual input size"),
    (lambda: F.conv2d(tg.randn(1, 3, 5, 5), tg.randn(4, 3, 3, 3), bias=tg.randn(3)), RuntimeError,
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\] instead"),
    (lambda: F.conv2d(tg.randn(1, 3, 5, 5), tg.randn(4, 3, 3, 3), stride=0), RuntimeError,
     "non-positive stride is not supported"),
    (lambda: F.conv2d(tg.randn(1, 3, 5, 5), tg.randn(4, 3, 3, 3), padding=-1), RuntimeError,
     "negative padding is not supported"),
    (lambda: F.conv2d(tg.randn(1, 3, 5, 5), tg.randn(4, 3, 3, 3), padding=(1, 2, 3)), RuntimeError,
     r"expected padding to be a single integer value or a list of 2 values"),
    (lambda: F.conv1d(tg.randn(1, 3, 2, 3), tg.randn(4, 3, 3)), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got input of size: \[1, 3, 2, 3\]"),
    (lambda: F.conv1d(tg.randn(1, 2, 5), tg.randn(4, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[4, 3, 3\], expected input\[1, 2, 5\] to have 3 channels"),
    (lambda: F.conv_transpose2d(tg.randn(1, 3, 5, 5), tg.randn(4, 3, 3, 3)), RuntimeError,
     r"Given transposed=1, weight of size \[4, 3, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels, "
     "but got 3 channels instead"),
    (lambda: F.conv_transpose2d(tg.randn(1, 3, 5, 5), tg.randn(3, 3, 3, 3), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(tg.randn(1, 4, 5, 5), tg.randn(4, 3, 3, 3), padding=4), RuntimeError,
     r"Calculated output size per channel: \(-1 x -1\). Output size is too small"),
    (lambda: F.unfold(tg.randn(1, 3, 5, 5), 6), RuntimeError,
     r"calculated shape of the array of sliding blocks as \(0, 0\), but its components must be at least one"),
    (lambda: F.fold(tg.randn(1, 12, 8), (4, 4), 2), RuntimeError,
     r"match the calculated number of sliding blocks 3 \* 3 = 9, but got input.size\(2\)=8"),
    (lambda: F.fold(tg.randn(1, 13, 9), (4, 4), 2), RuntimeError,
     r"Expected size of input's dimension 1 to be divisible by the product of kernel_size"),
    (lambda: nn.Conv2d(3, 4, 3, padding="foo"), ValueError,
     r"Invalid padding string 'foo', should be one of \{'valid', 'same'\}"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError, "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_failed_conv_leaves_gradients_untouched():
    x = tg.randn(1, 1, 9, 9, requires_grad=True)
    with pytest.raises(RuntimeError):
        F.conv2d(x, tg.randn(4, 3, 3, 3))
    assert x.grad is None and x.grad_fn is None


def test_exports():
    assert nn.Conv2d is nn.modules.conv.Conv2d and F.conv2d is nn.modules.conv.conv2d
    for name in ("conv1d", "conv2d", "conv_transpose2d", "unfold", "fold"):
        assert callable(getattr(F, name))


def test_docstring_examples_run():
    for module in MODULES:
        failures, tried = doctest.testmod(module, extraglobs={"tg": tg, "nn": nn, "F": F})
        assert tried > 0 and failures == 0
