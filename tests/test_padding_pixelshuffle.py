"""Padding, pixel shuffle, instance norm, resizing and convolution padding modes, each against torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from helpers import F, assert_close, cases, check, to_numpy

nn = tg.nn

# -- F.pad in every mode --
PAD_CASES = [
    ("reflect_1d", lambda x: F(x).pad(x, (2, 1), mode="reflect"), [(2, 3, 5)]),
    ("reflect_1d_unbatched", lambda x: F(x).pad(x, (1, 3), mode="reflect"), [(3, 5)]),
    ("reflect_2d", lambda x: F(x).pad(x, (1, 2, 2, 0), mode="reflect"), [(2, 3, 4, 5)]),
    ("reflect_3d", lambda x: F(x).pad(x, (1, 1, 0, 1, 1, 0), mode="reflect"), [(1, 2, 3, 3, 4)]),
    ("replicate_1d", lambda x: F(x).pad(x, (3, 4), mode="replicate"), [(2, 3, 2)]),
    ("replicate_2d", lambda x: F(x).pad(x, (1, 2, 3, 0), mode="replicate"), [(2, 2, 3, 4)]),
    ("replicate_crop", lambda x: F(x).pad(x, (-1, 2), mode="replicate"), [(2, 2, 4)]),
    ("circular_1d", lambda x: F(x).pad(x, (2, 3), mode="circular"), [(2, 3, 4)]),
    ("circular_2d", lambda x: F(x).pad(x, (1, 1, 2, 3), mode="circular"), [(1, 2, 3, 4)]),
    ("constant", lambda x: F(x).pad(x, (1, 2, 0, 1), mode="constant", value=2.5), [(2, 3, 4)]),
    ("constant_default", lambda x: F(x).pad(x, (1, 1)), [(2, 3)]),
]


@pytest.mark.parametrize("fn, inputs, options", cases(PAD_CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pad_modes_match_torch(fn, inputs, options, dtype):
    check(fn, *inputs, dtype=dtype, **options)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(2, 6), before=st.integers(0, 5), after=st.integers(0, 5),
       mode=st.sampled_from(["reflect", "replicate", "circular"]))
def test_pad_widths_property(size, before, after, mode):
    if mode == "reflect":
        before, after = min(before, size - 1), min(after, size - 1)
    if mode == "circular":
        before, after = min(before, size), min(after, size)
    check(lambda x: F(x).pad(x, (before, after, after, before), mode=mode), (1, 2, size, size + 1))


PAD_ERRORS = [
    (lambda m: m.nn.functional.pad(m.zeros(1, 2, 3), (3, 3), mode="reflect"), RuntimeError,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) "
     r"at dimension 2 of input \[1, 2, 3\]"),
    (lambda m: m.nn.functional.pad(m.zeros(1, 2, 3), (4, 4), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda m: m.nn.functional.pad(m.zeros(1, 2, 3), (1, 1), mode="reflect", value=2.0), RuntimeError,
     'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda m: m.nn.functional.pad(m.zeros(3), (1, 1), mode="replicate"), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor."),
    (lambda m: m.nn.functional.pad(m.zeros(1, 2, 3), (1,) * 8, mode="reflect"), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got padding length 8"),
]


@pytest.mark.parametrize("scenario, error, message", PAD_ERRORS)
def test_pad_errors_match_torch(scenario, error, message):
    for m in (torch, tg):
        with pytest.raises(error, match=message):
            scenario(m)


PAD_MODULES = [
    ("ZeroPad2d", (1,)), ("ZeroPad2d", ((1, 0, 2, 3),)), ("ZeroPad1d", ((2, 1),)),
    ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 2, 0, 1), -1.0)), ("ConstantPad3d", (1, 0.5)),
    ("ReflectionPad1d", ((1, 2),)), ("ReflectionPad2d", (2,)), ("ReflectionPad2d", ((1, 0, 2, 1),)),
    ("ReflectionPad3d", (1,)), ("ReplicationPad1d", (3,)), ("ReplicationPad2d", ((0, 2, 1, 3),)),
    ("ReplicationPad3d", (1,)), ("CircularPad1d", (2,)), ("CircularPad2d", ((1, 1, 2, 0),)),
    ("CircularPad3d", (1,)),
]


@pytest.mark.parametrize("name, args", PAD_MODULES, ids=[f"{n}{a}" for n, a in PAD_MODULES])
def test_padding_modules_match_torch(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs) and tuple(ours.padding) == tuple(theirs.padding)
    shape = (2, 3, 3, 4, 4) if name.endswith("3d") else (2, 3, 4, 5) if name.endswith("2d") else (2, 3, 5)
    check(lambda x: (ours if isinstance(x, tg.Tensor) else theirs)(x), shape)


# -- pixel shuffle --
SHUFFLE_CASES = [
    ("shuffle_2", lambda x: F(x).pixel_shuffle(x, 2), [(2, 8, 3, 4)]),
    ("shuffle_3_unbatched", lambda x: F(x).pixel_shuffle(x, 3), [(9, 2, 2)]),
    ("shuffle_5d", lambda x: F(x).pixel_shuffle(x, 2), [(2, 1, 4, 2, 3)]),
    ("unshuffle_2", lambda x: F(x).pixel_unshuffle(x, 2), [(2, 3, 4, 6)]),
    ("unshuffle_3", lambda x: F(x).pixel_unshuffle(x, 3), [(1, 2, 6, 3)]),
    ("round_trip", lambda x: F(x).pixel_unshuffle(F(x).pixel_shuffle(x, 2), 2), [(1, 4, 2, 2)]),
]


@pytest.mark.parametrize("fn, inputs, options", cases(SHUFFLE_CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pixel_shuffle_matches_torch(fn, inputs, options, dtype):
    check(fn, *inputs, dtype=dtype, **options)


def test_pixel_shuffle_modules_and_errors():
    assert repr(nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    assert repr(nn.PixelUnshuffle(3)) == repr(torch.nn.PixelUnshuffle(3))
    check(lambda x: (nn.PixelShuffle(2) if isinstance(x, tg.Tensor) else torch.nn.PixelShuffle(2))(x), (1, 4, 3, 3))
    for m in (torch, tg):
        with pytest.raises(RuntimeError, match=r"pixel_shuffle expects its input's 'channel' dimension to be "
                                               r"divisible by the square of upscale_factor, but input.size\(-3\)=5 "
                                               "is not divisible by 4"):
            m.nn.functional.pixel_shuffle(m.zeros(1, 5, 2, 2), 2)
        with pytest.raises(RuntimeError, match=r"pixel_unshuffle expects height to be divisible by downscale_factor, "
                                               r"but input.size\(-2\)=3 is not divisible by 2"):
            m.nn.functional.pixel_unshuffle(m.zeros(1, 1, 3, 2), 2)


# -- instance norm --
INSTANCE_CONFIGS = [
    ("InstanceNorm1d", dict(), (3, 4, 7)),
    ("InstanceNorm1d", dict(affine=True), (2, 4, 6)),
    ("InstanceNorm1d", dict(track_running_stats=True), (3, 4, 5)),
    ("InstanceNorm1d", dict(), (4, 6)),
    ("InstanceNorm2d", dict(), (2, 3, 4, 5)),
    ("InstanceNorm2d", dict(affine=True, track_running_stats=True, momentum=0.3), (2, 3, 4, 4)),
    ("InstanceNorm2d", dict(track_running_stats=True, momentum=None), (2, 3, 3, 4)),
    ("InstanceNorm2d", dict(affine=True, eps=1e-3), (3, 5, 4)),
    ("InstanceNorm3d", dict(affine=True, track_running_stats=True), (2, 3, 2, 3, 4)),
]


@pytest.mark.parametrize("name, options, shape", INSTANCE_CONFIGS,
                         ids=[f"{n}-{o}-{s}" for n, o, s in INSTANCE_CONFIGS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_matches_torch(name, options, shape, dtype):
    channels = shape[1] if len(shape) == int(name[-2]) + 2 else shape[0]
    ours = getattr(nn, name)(channels, **options).to(getattr(tg, dtype))
    theirs = getattr(torch.nn, name)(channels, **options).to(getattr(torch, dtype))
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    rng = np.random.default_rng(0)
    if ours.affine:
        for parameter in ("weight", "bias"):
            values = rng.standard_normal(channels)
            getattr(ours, parameter).data = tg.tensor(values, dtype=getattr(tg, dtype))
            getattr(theirs, parameter).data = torch.tensor(values, dtype=getattr(torch, dtype))
    module = lambda x: ours(x) if isinstance(x, tg.Tensor) else theirs(x)  # noqa: E731
    for step in range(2):
        check(module, rng.standard_normal(shape) * 2 + step, dtype=dtype)
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, what=key)
    ours.eval(), theirs.eval()
    check(module, rng.standard_normal(shape), dtype=dtype)


def test_instance_norm_functional_and_warnings():
    check(lambda x, w, b: F(x).instance_norm(x, weight=w, bias=b, eps=1e-4), (2, 3, 5), (3,), (3,))
    for m in (torch, tg):
        with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
            m.nn.InstanceNorm1d(3)(m.randn(2, 4, 4))
        with pytest.raises(ValueError, match="Expected more than 1 spatial element when training, got input size"):
            m.nn.InstanceNorm1d(3)(m.randn(2, 3, 1))
        with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4."):
            m.nn.InstanceNorm1d(3, affine=True)(m.randn(2, 4, 5))


# -- resizing --
def interp(**options):
    return lambda x: F(x).interpolate(x, **options)


RESIZE_CASES = []
for align in (False, True):
    RESIZE_CASES += [
        (f"bilinear_x2_align{align}", interp(scale_factor=2, mode="bilinear", align_corners=align), [(2, 3, 4, 5)]),
        (f"bilinear_size_align{align}", interp(size=(7, 3), mode="bilinear", align_corners=align), [(1, 2, 4, 5)]),
        (f"bilinear_down_align{align}", interp(scale_factor=0.6, mode="bilinear", align_corners=align),
         [(1, 2, 6, 7)]),
        (f"bicubic_x2_align{align}", interp(scale_factor=2, mode="bicubic", align_corners=align), [(1, 2, 4, 5)]),
        (f"bicubic_size_align{align}", interp(size=(5, 9), mode="bicubic", align_corners=align), [(2, 1, 3, 4)]),
        (f"linear_align{align}", interp(scale_factor=2.5, mode="linear", align_corners=align), [(2, 3, 5)]),
        (f"trilinear_align{align}", interp(size=(3, 4, 5), mode="trilinear", align_corners=align),
         [(1, 2, 2, 3, 3)]),
    ]
RESIZE_CASES += [
    ("bilinear_scale_tuple", interp(scale_factor=(1.5, 2.0), mode="bilinear"), [(1, 2, 4, 4)]),
    ("bilinear_recompute", interp(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), [(1, 1, 5, 5)]),
    ("nearest_x2", interp(scale_factor=2), [(1, 2, 3, 4)]),
    ("nearest_size", interp(size=(5, 7)), [(1, 2, 3, 4)]),
    ("nearest_exact", interp(size=(5, 7), mode="nearest-exact"), [(1, 2, 3, 4)]),
    ("area", interp(size=(2, 3), mode="area"), [(1, 2, 4, 6)]),
    ("area_1d", interp(size=3, mode="area"), [(1, 2, 7)]),
]


@pytest.mark.parametrize("fn, inputs, options", cases(RESIZE_CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_interpolate_matches_torch(fn, inputs, options, dtype):
    check(fn, *inputs, dtype=dtype, **options)


@pytest.mark.parametrize("mode, align", [("bilinear", False), ("bilinear", True), ("bicubic", False),
                                         ("nearest", None)])
def test_upsample_modules_match_torch(mode, align):
    ours = nn.Upsample(scale_factor=2, mode=mode, align_corners=align)
    theirs = torch.nn.Upsample(scale_factor=2, mode=mode, align_corners=align)
    assert repr(ours) == repr(theirs)
    check(lambda x: (ours if isinstance(x, tg.Tensor) else theirs)(x), (1, 2, 3, 4))
    for name in ("UpsamplingBilinear2d", "UpsamplingNearest2d"):
        ours, theirs = getattr(nn, name)(size=(5, 6)), getattr(torch.nn, name)(size=(5, 6))
        assert repr(ours) == repr(theirs)
        check(lambda x: (ours if isinstance(x, tg.Tensor) else theirs)(x), (1, 2, 3, 4))


def test_deprecated_upsample_warns_as_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3))
    for name, options in (("upsample", dict(scale_factor=2, mode="bilinear")), ("upsample_nearest", dict(size=5)),
                          ("upsample_bilinear", dict(scale_factor=2))):
        results = []
        for m in (torch, tg):
            with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated. Use "
                                                 "`nn.functional.interpolate` instead."):
                results.append(to_numpy(getattr(m.nn.functional, name)(m.tensor(x), **options)))
        np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-12)


RESIZE_ERRORS = [
    (lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2, 2), scale_factor=2, mode="linear"), NotImplementedError,
     "Got 4D input, but linear mode needs 3D input"),
    (lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2), scale_factor=2, mode="bicubic"), NotImplementedError,
     r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 3D\) for the modes: .*\(got bicubic\)"),
    (lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2), scale_factor=2, mode="bilinear"), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2, 2), scale_factor=2, mode="foo"), NotImplementedError,
     r"Input Error: Only 3D, 4D and 5D input Tensors supported \(got 4D\)"),
    (lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2, 2), scale_factor=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
]


@pytest.mark.parametrize("scenario, error, message", RESIZE_ERRORS)
def test_interpolate_errors_match_torch(scenario, error, message):
    for m in (torch, tg):
        with pytest.raises(error, match=message):
            scenario(m)


# -- convolutions with padding_mode --
CONV_MODES = [(mode, conv, padding) for mode in ("reflect", "replicate", "circular", "zeros")
              for conv, padding in (("Conv2d", 1), ("Conv2d", (2, 1)), ("Conv2d", "same"), ("Conv1d", 2),
                                    ("Conv1d", "same"))]


@pytest.mark.parametrize("mode, conv, padding", CONV_MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_padding_mode_matches_torch(mode, conv, padding, dtype):
    ours = getattr(nn, conv)(2, 3, 3, padding=padding, padding_mode=mode).to(getattr(tg, dtype))
    theirs = getattr(torch.nn, conv)(2, 3, 3, padding=padding, padding_mode=mode).to(getattr(torch, dtype))
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    assert list(ours._reversed_padding_repeated_twice) == list(theirs._reversed_padding_repeated_twice)
    shape = (2, 2, 5, 6) if conv == "Conv2d" else (2, 2, 7)
    check(lambda x: ours(x) if isinstance(x, tg.Tensor) else theirs(x), shape, dtype=dtype)
    assert_close(ours.weight.grad, theirs.weight.grad, what="weight.grad")
    assert_close(ours.bias.grad, theirs.bias.grad, what="bias.grad")


def test_conv_transpose_refuses_other_padding_modes():
    for m in (torch, tg):
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
            m.nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
