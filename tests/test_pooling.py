"""Pooling (max, average, adaptive) and nearest upsampling against torch: outputs, indices, gradients."""
import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

TOLERANCES = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1.3e-6, atol=1e-5)}
MODULES = (nn.modules.pooling, nn.modules.upsampling)
rng = np.random.default_rng(1)


def assert_close(ours, theirs, dtype=np.float64):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCES[dtype])


def check_against_torch(our_fn, torch_fn, array, upstream_seed=None):
    """Same input in both libraries; compare output(s) (values and indices) and the input gradient."""
    dtype = array.dtype.type
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = our_fn(x), torch_fn(x_t)
    if isinstance(expected, tuple):
        (out, indices), (expected, expected_indices) = out, expected
        assert indices.dtype == tg.int64
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert tuple(out.shape) == tuple(expected.shape)
    assert out.dtype == x.dtype
    assert_close(out, expected, dtype)
    upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(x.grad, x_t.grad, dtype)


def every_window_touches_input(size, kernel, stride, padding, dilation, ceil_mode):
    """False when dilation makes some window hold padding only (torch then returns -inf and an
    out-of-range index; this library returns -inf and the first padded position)."""
    out = TF.max_pool2d(torch.zeros((1, 1) + size), kernel, stride, padding, dilation, ceil_mode).shape[2:]
    for length, n, k, s, p, d in zip(size, out, kernel, stride, padding, dilation):
        for o in range(n):
            if not any(0 <= o * s - p + i * d < length for i in range(k)):
                return False
    return True


def tied(shape):
    """Small integers: many ties inside windows, to check that the first maximum wins."""
    return rng.integers(0, 3, shape).astype(np.float64)


# ----------------------------------------------------------------------------- max pooling

MAX_POOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
]


@pytest.mark.parametrize("kwargs", MAX_POOL2D_CASES)
@pytest.mark.parametrize("make_input", [lambda s: rng.standard_normal(s), tied])
def test_max_pool2d_matches_torch(kwargs, make_input):
    check_against_torch(lambda x: F.max_pool2d(x, return_indices=True, **kwargs),
                        lambda x: TF.max_pool2d(x, return_indices=True, **kwargs), make_input((2, 3, 7, 8)))


def test_max_pool2d_float32_unbatched_and_module():
    array = rng.standard_normal((3, 6, 6)).astype(np.float32)
    check_against_torch(lambda x: nn.MaxPool2d(2)(x), lambda x: torch.nn.MaxPool2d(2)(x), array)
    check_against_torch(lambda x: nn.MaxPool2d(3, 2, 1, return_indices=True)(x),
                        lambda x: torch.nn.MaxPool2d(3, 2, 1, return_indices=True)(x), array)


@pytest.mark.parametrize("kernel_size", [2, 3, (2, 3), (1, 2)])
@pytest.mark.parametrize("make_input", [lambda s: rng.standard_normal(s), tied,
                                        lambda s: np.maximum(rng.standard_normal(s), 0)])  # ReLU's zeros
@pytest.mark.parametrize("size", [(6, 6), (7, 8), (5, 9)])
def test_max_pool2d_over_tiles_matches_torch(kernel_size, make_input, size):
    """Stride equal to the kernel, no padding: the one-node tiled path, cropping odd edges as torch does."""
    array = make_input((2, 3) + size)
    assert F.max_pool2d(tg.tensor(array, requires_grad=True), kernel_size).grad_fn.name() == \
        "MaxPool2DWithIndicesBackward0"
    check_against_torch(lambda x: F.max_pool2d(x, kernel_size), lambda x: TF.max_pool2d(x, kernel_size), array)
    check_against_torch(lambda x: nn.MaxPool2d(kernel_size)(x), lambda x: torch.nn.MaxPool2d(kernel_size)(x),
                        array.astype(np.float32))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=(2, 3)), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=2, return_indices=True)])
def test_max_pool2d_with_nans_picks_the_element_torch_picks(kwargs):
    """A window holding NaN gives NaN; its gradient (and index) goes to the window's last NaN, as in torch."""
    array = rng.standard_normal((2, 2, 6, 6))
    array[rng.random(array.shape) < 0.3] = np.nan
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = F.max_pool2d(x, **kwargs), TF.max_pool2d(x_t, **kwargs)
    if isinstance(expected, tuple):
        (out, indices), (expected, expected_indices) = out, expected
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    upstream = rng.standard_normal(tuple(expected.shape))
    out.backward(tg.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy())


def test_adaptive_max_pool2d_with_nans_picks_the_element_torch_picks():
    array = rng.standard_normal((2, 2, 7, 6))
    array[rng.random(array.shape) < 0.3] = np.nan
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    (out, indices), (expected, expected_indices) = (F.adaptive_max_pool2d(x, (3, 2), return_indices=True),
                                                    TF.adaptive_max_pool2d(x_t, (3, 2), return_indices=True))
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x_t.grad.numpy())


def test_max_pool2d_over_tiles_backward_recorded_matches_torch():
    array = tied((2, 2, 6, 7))
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    upstream = rng.standard_normal((2, 2, 3, 3))
    (grad,) = tg.autograd.grad(F.max_pool2d(x, 2), x, tg.tensor(upstream), create_graph=True)
    (grad_t,) = torch.autograd.grad(TF.max_pool2d(x_t, 2), x_t, torch.tensor(upstream), create_graph=True)
    assert_close(grad, grad_t)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_max_pool2d_property(data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(2))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(data.draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
                 for k, d, p in zip(kernel, dilation, padding))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                  ceil_mode=data.draw(st.booleans()), return_indices=True)
    assume(every_window_touches_input(size, kernel, stride, padding, dilation, kwargs["ceil_mode"]))
    make_input = data.draw(st.sampled_from([rng.standard_normal, tied]))
    check_against_torch(lambda x: F.max_pool2d(x, **kwargs), lambda x: TF.max_pool2d(x, **kwargs),
                        make_input((2, 2) + size))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=2, dilation=3, stride=1)])
def test_max_pool1d_matches_torch(kwargs):
    check_against_torch(lambda x: F.max_pool1d(x, return_indices=True, **kwargs),
                        lambda x: TF.max_pool1d(x, return_indices=True, **kwargs), tied((2, 3, 9)))
    check_against_torch(lambda x: nn.MaxPool1d(**kwargs)(x), lambda x: torch.nn.MaxPool1d(**kwargs)(x),
                        rng.standard_normal((3, 9)).astype(np.float32))


def test_max_pool_double_backward_matches_torch():
    array, probe = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((1, 2, 5, 5))
    x, x_t = tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    upstream, upstream_t = tg.tensor(np.ones((1, 2, 2, 2)), requires_grad=True), \
        torch.ones(1, 2, 2, 2, dtype=torch.float64, requires_grad=True)
    (grad,) = tg.autograd.grad(F.max_pool2d(x, 2), (x,), upstream, create_graph=True)
    (grad_t,) = torch.autograd.grad(TF.max_pool2d(x_t, 2), (x_t,), upstream_t, create_graph=True)
    (grad * tg.tensor(probe)).sum().backward()
    (grad_t * torch.tensor(probe)).sum().backward()
    assert_close(upstream.grad, upstream_t.grad)


# ----------------------------------------------------------------------------- average pooling

AVG_POOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(3, 1), divisor_override=4),
]


@pytest.mark.parametrize("kwargs", AVG_POOL2D_CASES)
def test_avg_pool2d_matches_torch(kwargs):
    check_against_torch(lambda x: F.avg_pool2d(x, **kwargs), lambda x: TF.avg_pool2d(x, **kwargs),
                        rng.standard_normal((2, 3, 7, 8)))


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_avg_pool2d_property(data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(data.draw(st.integers(max(1, k - 2 * p), 7)) for k, p in zip(kernel, padding))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=data.draw(st.booleans()),
                  count_include_pad=data.draw(st.booleans()))
    check_against_torch(lambda x: F.avg_pool2d(x, **kwargs), lambda x: TF.avg_pool2d(x, **kwargs),
                        rng.standard_normal((2, 2) + size))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                              count_include_pad=False)])
def test_avg_pool1d_and_modules_match_torch(kwargs):
    array = rng.standard_normal((2, 3, 9)).astype(np.float32)
    check_against_torch(lambda x: F.avg_pool1d(x, **kwargs), lambda x: TF.avg_pool1d(x, **kwargs), array)
    check_against_torch(lambda x: nn.AvgPool1d(**kwargs)(x), lambda x: torch.nn.AvgPool1d(**kwargs)(x), array[0])
    array = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    check_against_torch(lambda x: nn.AvgPool2d(**kwargs)(x), lambda x: torch.nn.AvgPool2d(**kwargs)(x), array)


def test_gradcheck_avg_pool2d():
    x = tg.randn(1, 2, 5, 4, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                                        count_include_pad=False), (x,))


# ----------------------------------------------------------------------------- adaptive pooling

ADAPTIVE_SIZES = [1, 2, 3, (2, 5), (None, 3), (4, None), (7, 9)]


@pytest.mark.parametrize("output_size", ADAPTIVE_SIZES)
def test_adaptive_avg_pool2d_matches_torch(output_size):
    check_against_torch(lambda x: F.adaptive_avg_pool2d(x, output_size),
                        lambda x: TF.adaptive_avg_pool2d(x, output_size), rng.standard_normal((2, 3, 7, 9)))


@pytest.mark.parametrize("output_size", ADAPTIVE_SIZES)
@pytest.mark.parametrize("make_input", [lambda s: rng.standard_normal(s), tied])
def test_adaptive_max_pool2d_matches_torch(output_size, make_input):
    check_against_torch(lambda x: F.adaptive_max_pool2d(x, output_size, return_indices=True),
                        lambda x: TF.adaptive_max_pool2d(x, output_size, return_indices=True),
                        make_input((2, 3, 7, 9)))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7), st.integers(1, 7))
def test_adaptive_pools_property(height, width, out_h, out_w):
    array = tied((1, 2, height, width))
    check_against_torch(lambda x: F.adaptive_max_pool2d(x, (out_h, out_w), True),
                        lambda x: TF.adaptive_max_pool2d(x, (out_h, out_w), True), array)
    check_against_torch(lambda x: F.adaptive_avg_pool2d(x, (out_h, out_w)),
                        lambda x: TF.adaptive_avg_pool2d(x, (out_h, out_w)), array)


def test_adaptive_modules_float32_unbatched():
    array = rng.standard_normal((3, 7, 7)).astype(np.float32)
    check_against_torch(lambda x: nn.AdaptiveAvgPool2d((1, 1))(x), lambda x: torch.nn.AdaptiveAvgPool2d((1, 1))(x),
                        array)
    check_against_torch(lambda x: nn.AdaptiveMaxPool2d(3, return_indices=True)(x),
                        lambda x: torch.nn.AdaptiveMaxPool2d(3, return_indices=True)(x), array)


# ----------------------------------------------------------------------------- upsampling

@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 3, 4), dict(scale_factor=2)),
    ((1, 2, 3, 4), dict(scale_factor=(1.5, 2.5))),
    ((2, 2, 5), dict(size=12)),
    ((1, 2, 5, 7), dict(size=(3, 4))),
    ((1, 1, 4, 3, 2), dict(scale_factor=(2, 1, 3))),
    ((1, 2, 7, 7), dict(scale_factor=0.6)),
    ((1, 2, 5, 6), dict(scale_factor=1.7, recompute_scale_factor=True)),
])
def test_interpolate_nearest_matches_torch(shape, kwargs):
    check_against_torch(lambda x: F.interpolate(x, **kwargs), lambda x: TF.interpolate(x, **kwargs),
                        rng.standard_normal(shape))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 13), st.floats(0.3, 4.0))
def test_interpolate_property(size, out_size, scale):
    array = rng.standard_normal((1, 2, size, 2))
    check_against_torch(lambda x: F.interpolate(x, size=(out_size, 3)),
                        lambda x: TF.interpolate(x, size=(out_size, 3)), array)
    if int(size * scale) >= 1:
        check_against_torch(lambda x: F.interpolate(x, scale_factor=(scale, 1.5)),
                            lambda x: TF.interpolate(x, scale_factor=(scale, 1.5)), array)


def test_interpolate_1d_follows_torch_2d_rule():
    """torch's 1-D forward kernel maps scale 2.1 on 3 elements to sources 0,0,0,1,1,2 but its backward
    to 0,0,1,1,2,2 (the doubling shortcut); we follow the shortcut in both, as torch's 2-D kernel does."""
    array = rng.standard_normal((1, 2, 3))
    check_against_torch(lambda x: F.interpolate(x, scale_factor=2.1),
                        lambda x: TF.interpolate(x.unsqueeze(2), scale_factor=(1, 2.1)).squeeze(2), array)


def test_upsample_module_float32():
    array = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    check_against_torch(lambda x: nn.Upsample(scale_factor=2)(x), lambda x: torch.nn.Upsample(scale_factor=2)(x),
                        array)


@pytest.mark.parametrize("make", [lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(3, 4)),
                                  lambda nn: nn.Upsample(scale_factor=(2, 3)), lambda nn: nn.Upsample(size=4)])
def test_upsample_repr(make):
    assert repr(make(nn)) == repr(make(torch.nn))


# ----------------------------------------------------------------------------- repr and errors

@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True),
    lambda nn: nn.MaxPool1d(2),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AvgPool1d(3, 2, 1, True, False),
    lambda nn: nn.AvgPool2d((2, 3), divisor_override=3),
    lambda nn: nn.AdaptiveAvgPool2d((None, 3)),
    lambda nn: nn.AdaptiveMaxPool2d(2),
    lambda nn: nn.AdaptiveAvgPool2d(1),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.max_pool2d(tg.randn(1, 3, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda: F.max_pool2d(tg.randn(1, 3, 1, 1), 2), RuntimeError,
     r"Given input size: \(3x1x1\). Calculated output size: \(3x0x0\). Output size is too small"),
    (lambda: F.max_pool2d(tg.randn(3, 5), 2), RuntimeError,
     r"non-empty 3D or 4D \(batch mode\) tensor expected for input"),
    (lambda: F.max_pool2d(tg.randn(1, 3, 5, 5), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(tg.randn(1, 3, 5, 5), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda: F.max_pool1d(tg.randn(5), 2), RuntimeError,
     r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[5\]"),
    (lambda: F.max_pool1d(tg.randn(1, 3, 1), 2), RuntimeError, "max_pool1d\\(\\) Invalid computed output size: 0"),
    (lambda: F.avg_pool2d(tg.randn(1, 3, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda: F.avg_pool1d(tg.randn(3), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self'"),
    (lambda: F.adaptive_avg_pool2d(tg.randn(3), 2), RuntimeError,
     r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[3\]"),
    (lambda: F.adaptive_max_pool2d(tg.randn(3), 2), RuntimeError,
     r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[3\]"),
    (lambda: F.interpolate(tg.randn(1, 2, 3, 3), scale_factor=2, mode="linear"), NotImplementedError,
     "Got 4D input, but linear mode needs 3D input"),
    (lambda: nn.Upsample(scale_factor=2, mode="bicubic")(tg.randn(1, 2, 3)), NotImplementedError,
     r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 3D\).*\(got bicubic\)"),
    (lambda: F.interpolate(tg.randn(1, 2, 3)), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(tg.randn(1, 2, 3), size=3, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(tg.randn(2, 3), size=3), NotImplementedError,
     r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)"),
    (lambda: F.interpolate(tg.randn(1, 2, 3, 3), size=(3, 4, 5)), ValueError,
     "Input and output must have the same number of spatial dimensions"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_exports():
    for name in ("max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
                 "adaptive_max_pool2d", "interpolate"):
        assert callable(getattr(F, name))
    for name in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
                 "Upsample"):
        assert issubclass(getattr(nn, name), nn.Module)


def test_docstring_examples_run():
    for module in MODULES:
        failures, tried = doctest.testmod(module, extraglobs={"tg": tg, "nn": nn, "F": F})
        assert tried > 0 and failures == 0
