"""The torchvision stand-ins against torchvision: transforms on arrays (torchvision's PIL path) and on
tensors (its tensor path), make_grid and save_image, FakeData and CIFAR10, the vision package."""
import io
import os
import pickle
import struct
import subprocess
import sys
import zlib
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.vision as vision
from tinygrad_edu import datasets, transforms
from tinygrad_edu.utils.data import DataLoader
from tinygrad_edu.vision.utils import make_grid, save_image


def import_torchvision():
    """torchvision, or None. A wheel built for CUDA cannot load its compiled operators next to a CPU
    torch, and registering their fake kernels then fails at import: that registration is skipped,
    since only torchvision's Python code serves here."""
    try:
        with mock.patch.object(torch.library, "register_fake", lambda *args, **kwargs: (lambda function: function)):
            import torchvision
    except ImportError:
        return None
    return torchvision


torchvision = import_torchvision()
needs_torchvision = pytest.mark.skipif(torchvision is None, reason="torchvision is not installed (dev extra)")
if torchvision is not None:
    import torchvision.transforms.functional as TF
    from PIL import Image


def uint8_image(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def their_array_result(transform, array):
    """torchvision's transform applied to the PIL image of ``array``, back as an array."""
    return np.asarray(transform(Image.fromarray(array)))


def our_tensor(array):
    return tg.from_numpy(array.copy())


# -- the vision package --

def test_vision_package_has_torchvisions_layout():
    import tinygrad_edu.vision.datasets as vision_datasets
    import tinygrad_edu.vision.transforms as vision_transforms
    from tinygrad_edu.vision.transforms import ToTensor

    assert vision_datasets is datasets and vision.datasets is datasets
    assert vision_transforms is transforms and ToTensor is transforms.ToTensor
    assert vision.utils.make_grid is make_grid and vision.utils.save_image is save_image


def test_vision_imports_from_outside_the_repository_without_torch(tmp_path):
    program = ("import sys\n"
               "import tinygrad_edu.vision as torchvision\n"
               "import tinygrad_edu.vision.transforms as T\n"
               "from tinygrad_edu.vision.datasets import CIFAR10\n"
               "from tinygrad_edu.vision.utils import save_image\n"
               "assert T.Resize is torchvision.transforms.Resize and 'torch' not in sys.modules\n"
               "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_a_torchvision_program_runs_with_the_import_changed(tmp_path):
    import tinygrad_edu.vision as torchvision_stand_in

    data = torchvision_stand_in.datasets.FakeData(size=20, image_size=(1, 28, 28), num_classes=10,
                                                  transform=torchvision_stand_in.transforms.Compose([
                                                      torchvision_stand_in.transforms.RandomCrop(28, padding=2),
                                                      torchvision_stand_in.transforms.ToTensor()]))
    images, labels = next(iter(DataLoader(data, batch_size=8)))
    assert images.shape == (8, 1, 28, 28) and labels.dtype == tg.int64
    torchvision_stand_in.utils.save_image(images, tmp_path / "batch.png", nrow=4)
    assert read_png(tmp_path / "batch.png").shape == (2 * 30 + 2, 4 * 30 + 2, 3)


# -- transforms: Pad --

PAD_CASES = [(2, 0, "constant"), ((1, 3), 7, "constant"), ((1, 2, 3, 4), 255, "constant"), ([3], 0, "edge"),
             ((2, 1), 0, "reflect"), ((1, 2, 3, 0), 0, "symmetric"), ((0, 0, 4, 1), 0, "edge")]


@needs_torchvision
@pytest.mark.parametrize("padding, fill, mode", PAD_CASES)
@pytest.mark.parametrize("shape", [(5, 6), (5, 6, 3)])
def test_pad_on_arrays_matches_torchvision_on_pil_images(padding, fill, mode, shape):
    array = uint8_image(shape)
    ours = transforms.Pad(padding, fill, mode)(array)
    assert isinstance(ours, np.ndarray) and ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, their_array_result(torchvision.transforms.Pad(padding, fill, mode), array))


@needs_torchvision
@pytest.mark.parametrize("padding, fill, mode", PAD_CASES + [((-1, 2, 1, -2), 3, "constant")])
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_pad_on_tensors_matches_torchvision(padding, fill, mode, dtype):
    array = uint8_image((2, 3, 5, 6)).astype(dtype)
    ours = transforms.Pad(padding, fill, mode)(our_tensor(array))
    theirs = torchvision.transforms.Pad(padding, fill, mode)(torch.from_numpy(array))
    assert isinstance(ours, tg.Tensor) and ours.dtype.name == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_pad_by_hand():
    array = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(transforms.Pad((1, 0), fill=9)(array), [[9, 1, 2, 9], [9, 3, 4, 9]])
    np.testing.assert_array_equal(transforms.Pad((0, 0, 2, 0), padding_mode="reflect")(array), [[1, 2, 1, 2],
                                                                                                  [3, 4, 3, 4]])
    rgb = np.zeros((1, 1, 3), np.uint8)
    np.testing.assert_array_equal(transforms.Pad(1, fill=(10, 20, 30))(rgb)[0, 0], [10, 20, 30])


PAD_ERRORS = [
    (dict(padding="2"), TypeError, "Got inappropriate padding arg"),
    (dict(padding=2, fill="white"), TypeError, "Got inappropriate fill arg"),
    (dict(padding=2, padding_mode="wrap"), ValueError, "Padding mode should be either constant, edge, reflect or "
                                                       "symmetric"),
    (dict(padding=(1, 2, 3)), ValueError, "Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element "
                                          "tuple"),
]


@pytest.mark.parametrize("kwargs, error, message", PAD_ERRORS)
def test_pad_errors(kwargs, error, message):
    with pytest.raises(error) as ours:
        transforms.Pad(**kwargs)
    assert str(ours.value) == message
    if torchvision is not None:
        with pytest.raises(error) as theirs:
            torchvision.transforms.Pad(**kwargs)
        assert str(theirs.value) == message


@needs_torchvision
def test_pad_with_a_tuple_fill_on_a_tensor_is_refused_as_torchvision_does():
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        torchvision.transforms.Pad(1, fill=(1, 2, 3))(torch.zeros(3, 2, 2))
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        transforms.Pad(1, fill=(1, 2, 3))(tg.zeros(3, 2, 2))


# -- transforms: crops and flips --

@needs_torchvision
@pytest.mark.parametrize("size", [4, (3, 5), [2], (7, 8), (9, 11)])
@pytest.mark.parametrize("shape", [(7, 8), (7, 8, 3), "tensor"])
def test_center_crop_matches_torchvision(size, shape):
    if shape == "tensor":
        array = uint8_image((3, 7, 8)).astype(np.float64)
        ours = transforms.CenterCrop(size)(our_tensor(array)).numpy()
        theirs = torchvision.transforms.CenterCrop(size)(torch.from_numpy(array)).numpy()
    else:
        array = uint8_image(shape)
        ours = transforms.CenterCrop(size)(array)
        theirs = their_array_result(torchvision.transforms.CenterCrop(size), array)
    np.testing.assert_array_equal(ours, theirs)


def test_center_crop_by_hand():
    array = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(transforms.CenterCrop(2)(array), [[5, 6], [9, 10]])
    np.testing.assert_array_equal(transforms.CenterCrop((1, 6))(array[:1, :2]), [[0, 0, 0, 1, 0, 0]])


def windows(image, height, width):
    """Every height x width window of an array (..., H, W) with its position."""
    for top in range(image.shape[-2] - height + 1):
        for left in range(image.shape[-1] - width + 1):
            yield (top, left), image[..., top:top + height, left:left + width]


@needs_torchvision
@pytest.mark.parametrize("kwargs", [dict(size=4), dict(size=(3, 5), padding=2), dict(size=6, padding=(1, 2),
                                                                                      padding_mode="reflect"),
                                    dict(size=(9, 10), pad_if_needed=True, fill=5),
                                    dict(size=8, padding=1, pad_if_needed=True, padding_mode="edge")])
def test_random_crop_is_a_window_of_torchvisions_padded_image(kwargs):
    array = uint8_image((3, 6, 7)).astype(np.float32)
    ours_transform = transforms.RandomCrop(**kwargs)
    theirs_padded = torch.from_numpy(array)
    if kwargs.get("padding") is not None:
        theirs_padded = TF.pad(theirs_padded, kwargs["padding"], kwargs.get("fill", 0),
                               kwargs.get("padding_mode", "constant"))
    height, width = ours_transform.size
    if kwargs.get("pad_if_needed"):
        extra = [max(width - theirs_padded.shape[-1], 0), max(height - theirs_padded.shape[-2], 0)]
        theirs_padded = TF.pad(theirs_padded, [extra[0], 0], kwargs.get("fill", 0), kwargs.get("padding_mode",
                                                                                                 "constant"))
        theirs_padded = TF.pad(theirs_padded, [0, extra[1]], kwargs.get("fill", 0), kwargs.get("padding_mode",
                                                                                                "constant"))
    candidates = dict(windows(theirs_padded.numpy(), height, width))
    tg.manual_seed(0)
    seen = set()
    for _ in range(60):
        crop = ours_transform(our_tensor(array)).numpy()
        matches = [position for position, window in candidates.items() if np.array_equal(window, crop)]
        assert matches, "the crop is no window of the padded image"
        seen.update(matches)
    assert len(seen) > 1 or len(candidates) == 1


def test_random_crop_positions_are_uniform():
    array = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6)
    tg.manual_seed(3)
    corners = [int(transforms.RandomCrop((3, 3))(array)[0, 0]) for _ in range(3000)]
    counts = np.bincount(corners, minlength=30)[[6 * top + left for top in range(3) for left in range(4)]]
    expected = 3000 / 12
    assert counts.sum() == 3000 and np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_random_crop_on_hwc_arrays_keeps_the_layout():
    array = uint8_image((10, 12, 3))
    crop = transforms.RandomCrop((4, 5), padding=3)(array)
    assert crop.shape == (4, 5, 3) and crop.dtype == np.uint8


def test_random_crop_errors_match_torchvision():
    message = "Required crop size (5, 5) is larger than input image size (4, 4)"
    with pytest.raises(ValueError) as ours:
        transforms.RandomCrop(5)(np.zeros((4, 4), np.uint8))
    assert str(ours.value) == message
    for transform_class in (transforms.RandomCrop, transforms.CenterCrop):
        with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size."):
            transform_class((1, 2, 3))
    if torchvision is not None:
        with pytest.raises(ValueError) as theirs:
            torchvision.transforms.RandomCrop(5)(torch.zeros(1, 4, 4))
        assert str(theirs.value) == message


@needs_torchvision
def test_random_horizontal_flip_matches_torchvision():
    array = uint8_image((4, 5, 3))
    flipped = their_array_result(torchvision.transforms.RandomHorizontalFlip(p=1.0), array)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1.0)(array), flipped)
    assert transforms.RandomHorizontalFlip(p=0.0)(array) is array
    tensor = uint8_image((2, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1.0)(our_tensor(tensor)).numpy(),
                                  torchvision.transforms.RandomHorizontalFlip(p=1.0)(torch.from_numpy(tensor)).numpy())


def test_random_horizontal_flip_probability():
    array = np.array([[0, 1]], np.uint8)
    tg.manual_seed(0)
    flips = [int(transforms.RandomHorizontalFlip(p=0.3)(array)[0, 0]) for _ in range(4000)]
    assert abs(np.mean(flips) - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 4000)
    tg.manual_seed(0)
    assert [int(transforms.RandomHorizontalFlip(p=0.3)(array)[0, 0]) for _ in range(4000)] == flips


def test_transform_reprs_match_torchvision():
    ours = [transforms.Pad(2), transforms.RandomCrop(4, padding=1), transforms.CenterCrop(3),
            transforms.RandomHorizontalFlip(), transforms.Resize(8)]
    assert [repr(t) for t in ours] == [
        "Pad(padding=2, fill=0, padding_mode=constant)", "RandomCrop(size=(4, 4), padding=1)",
        "CenterCrop(size=(3, 3))", "RandomHorizontalFlip(p=0.5)",
        "Resize(size=8, interpolation=bilinear, max_size=None, antialias=True)"]
    if torchvision is not None:
        theirs = [torchvision.transforms.Pad(2), torchvision.transforms.RandomCrop(4, padding=1),
                  torchvision.transforms.CenterCrop(3), torchvision.transforms.RandomHorizontalFlip(),
                  torchvision.transforms.Resize(8)]
        assert [repr(t) for t in ours] == [repr(t) for t in theirs]


# -- transforms: Resize --

@needs_torchvision
@settings(max_examples=40, deadline=None)
@given(in_size=st.tuples(st.integers(1, 17), st.integers(1, 17)),
       out_size=st.tuples(st.integers(1, 17), st.integers(1, 17)), antialias=st.booleans())
def test_resize_float_tensors_matches_torchvision(in_size, out_size, antialias):
    assume(not (antialias and out_size[1] == 1))    # torch's antialiased kernel errs there: see the next test
    array = np.random.default_rng(sum(in_size)).standard_normal((2, *in_size))
    ours = transforms.Resize(out_size, antialias=antialias)(our_tensor(array))
    theirs = torchvision.transforms.Resize(out_size, antialias=antialias)(torch.from_numpy(array))
    assert ours.dtype == tg.float64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


@needs_torchvision
@pytest.mark.parametrize("in_size, out_size", [((2, 1), (3, 1)), ((5, 3), (2, 1)), ((4, 6), (3, 1))])
def test_resize_to_one_column_matches_pil(in_size, out_size):
    """torch 2.13's antialiased bilinear kernel copies the first row when the output is one pixel wide;
    PIL, whose filter it ports, and this resize interpolate the rows."""
    array = np.random.default_rng(0).standard_normal(in_size).astype(np.float32)
    pil = np.asarray(Image.fromarray(array, mode="F").resize(out_size[::-1], Image.BILINEAR))
    ours = transforms.Resize(out_size)(our_tensor(array[None])).numpy()[0]
    np.testing.assert_allclose(ours, pil, rtol=1e-5, atol=1e-6)
    theirs = torchvision.transforms.Resize(out_size)(torch.from_numpy(array[None])).numpy()[0]
    assert np.all(theirs == theirs[0])


@needs_torchvision
@pytest.mark.parametrize("size", [4, [6], (5, 9), 12, (3, 3)])
def test_resize_float32_and_uint8_tensors_match_torchvision(size):
    array = uint8_image((3, 8, 10))
    for dtype, tolerance in (("float32", 3e-4), ("uint8", 1)):     # torch sums in float32, values to 255
        ours = transforms.Resize(size)(our_tensor(array.astype(dtype)))
        theirs = torchvision.transforms.Resize(size)(torch.from_numpy(array.astype(dtype)))
        assert ours.dtype.name == dtype and tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy(), rtol=0, atol=tolerance)


@needs_torchvision
@pytest.mark.parametrize("size", [4, (5, 9), 12, (20, 3), (8, 10)])
@pytest.mark.parametrize("shape", [(8, 10), (8, 10, 3)])
def test_resize_arrays_matches_torchvision_on_pil_images(size, shape):
    array = uint8_image(shape, seed=4)
    ours = transforms.Resize(size)(array)
    theirs = their_array_result(torchvision.transforms.Resize(size), array)
    assert ours.dtype == np.uint8 and ours.shape == theirs.shape
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1    # PIL computes in fixed point


@needs_torchvision
@pytest.mark.parametrize("size", [(4, 5), (13, 7), 6])
def test_resize_nearest_matches_torchvision(size):
    nearest = transforms.InterpolationMode.NEAREST
    array = uint8_image((9, 11, 3), seed=5)
    ours = transforms.Resize(size, interpolation=nearest)(array)
    their_mode = torchvision.transforms.InterpolationMode.NEAREST
    np.testing.assert_array_equal(ours, their_array_result(torchvision.transforms.Resize(size, their_mode), array))
    tensor = array.transpose(2, 0, 1).astype(np.float32)
    np.testing.assert_array_equal(transforms.Resize(size, interpolation=nearest)(our_tensor(tensor)).numpy(),
                                  torchvision.transforms.Resize(size, their_mode)(torch.from_numpy(tensor)).numpy())


def test_resize_by_hand():
    array = np.array([[0.0, 4.0, 8.0, 12.0]])
    np.testing.assert_allclose(transforms.Resize((1, 2), antialias=False)(our_tensor(array)).numpy(), [[2.0, 10.0]])
    # antialiased: a triangle two pixels wide, weights 3/7, 3/7, 1/7 from the nearest pixels outwards
    np.testing.assert_allclose(transforms.Resize((1, 2))(our_tensor(array)).numpy(), [[20 / 7, 64 / 7]])
    np.testing.assert_allclose(transforms.Resize((1, 8))(our_tensor(array[:, :2])).numpy(),
                               [[0, 0, 0.5, 1.5, 2.5, 3.5, 4, 4]])
    assert transforms.Resize(14)(np.zeros((28, 56), np.uint8)).shape == (14, 28)
    assert transforms.Resize(14)(np.zeros((57, 28), np.uint8)).shape == (28, 14)
    assert transforms.Resize(14, max_size=20)(np.zeros((28, 56), np.uint8)).shape == (10, 20)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((8.0,), {}, TypeError, "Size should be int or sequence. Got <class 'float'>"),
    (((1, 2, 3),), {}, ValueError, "If size is a sequence, it should have 1 or 2 values"),
    ((4,), dict(max_size=4), ValueError, "max_size = 4 must be strictly greater than the requested size for the "
                                         "smaller edge size = [4]"),
    (((4, 5),), dict(max_size=9), ValueError, "max_size should only be passed if size specifies the length of the "
                                              "smaller edge, i.e. size should be an int or a sequence of length 1 "
                                              "in torchscript mode."),
])
def test_resize_errors_match_torchvision(args, kwargs, error, message):
    def attempt(module, image):
        with pytest.raises(error) as caught:
            module.Resize(*args, **kwargs)(image)
        return str(caught.value)

    ours = attempt(transforms, np.zeros((6, 8), np.uint8))
    assert ours == message
    if torchvision is not None:
        assert attempt(torchvision.transforms, torch.zeros(1, 6, 8)) == ours


def test_resize_of_an_unsupported_interpolation_says_what_to_use():
    with pytest.raises(NotImplementedError, match="BILINEAR and NEAREST"):
        transforms.Resize(4, interpolation=transforms.InterpolationMode.BICUBIC)(np.zeros((8, 8), np.uint8))


def test_resize_warns_that_arrays_are_always_antialiased():
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        transforms.Resize(4, antialias=False)(np.zeros((8, 8), np.uint8))


def test_geometric_transforms_keep_the_tensor_device_and_record_no_graph():
    image = tg.rand(3, 8, 8, requires_grad=True)
    for transform in (transforms.Pad(1), transforms.CenterCrop(4), transforms.Resize(4),
                      transforms.RandomHorizontalFlip(1.0), transforms.RandomCrop(4)):
        result = transform(image)
        assert result.device == image.device and not result.requires_grad
    with pytest.raises(TypeError, match="Tensor is not a torch image."):
        transforms.Pad(1)(tg.zeros(3))


# -- make_grid and save_image --

@needs_torchvision
@settings(max_examples=40, deadline=None)
@given(count=st.integers(1, 7), channels=st.sampled_from([1, 3]), nrow=st.integers(1, 5), padding=st.integers(0, 3),
       normalize=st.booleans(), scale_each=st.booleans(), pad_value=st.sampled_from([0.0, 0.5, 1.0]),
       value_range=st.sampled_from([None, (-0.5, 0.5), (0.0, 2.0)]), as_list=st.booleans())
def test_make_grid_matches_torchvision(count, channels, nrow, padding, normalize, scale_each, pad_value,
                                       value_range, as_list):
    images = np.random.default_rng(count).standard_normal((count, channels, 4, 5)).astype(np.float32)
    kwargs = dict(nrow=nrow, padding=padding, normalize=normalize, value_range=value_range, scale_each=scale_each,
                  pad_value=pad_value)
    ours_input = [our_tensor(image) for image in images] if as_list else our_tensor(images)
    theirs_input = [torch.from_numpy(image) for image in images] if as_list else torch.from_numpy(images)
    ours, theirs = make_grid(ours_input, **kwargs), torchvision.utils.make_grid(theirs_input, **kwargs)
    assert ours.dtype == tg.float32 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ours_input.numpy() if not as_list else ours_input[0].numpy(),
                                  images if not as_list else images[0])     # the input is left as it was


@needs_torchvision
@pytest.mark.parametrize("shape", [(5, 6), (1, 5, 6), (3, 5, 6), (2, 5, 6), (1, 1, 5, 6)])
def test_make_grid_of_single_images_matches_torchvision(shape):
    image = np.random.default_rng(0).random(shape)
    np.testing.assert_array_equal(make_grid(our_tensor(image)).numpy(),
                                  torchvision.utils.make_grid(torch.from_numpy(image)).numpy())


def test_make_grid_by_hand():
    images = tg.tensor([[[[1.0]]], [[[2.0]]], [[[3.0]]]])       # three 1x1 grey images
    grid = make_grid(images, nrow=2, padding=1, pad_value=9.0)
    assert tuple(grid.shape) == (3, 5, 5)
    np.testing.assert_array_equal(grid[0].numpy(), [[9, 9, 9, 9, 9], [9, 1, 9, 2, 9], [9, 9, 9, 9, 9],
                                                    [9, 3, 9, 9, 9], [9, 9, 9, 9, 9]])
    normalized = make_grid(images, nrow=3, padding=0, normalize=True)
    np.testing.assert_allclose(normalized[0].numpy(), [[0.0, 0.5, 1.0]])


@pytest.mark.parametrize("value, kwargs, message", [
    ("image", {}, "tensor or list of tensors expected, got <class 'str'>"),
    ([np.zeros((3, 2, 2))], {}, "tensor or list of tensors expected, got a list containing <class 'numpy.ndarray'>"),
    ("tensor", dict(normalize=True, value_range=[0, 1]),
     "value_range has to be a tuple (min, max) if specified. min and max are numbers"),
])
def test_make_grid_errors_match_torchvision(value, kwargs, message):
    ours_value = tg.zeros(2, 3, 2, 2) if value == "tensor" else value
    with pytest.raises(TypeError) as ours:
        make_grid(ours_value, **kwargs)
    assert str(ours.value) == message
    if torchvision is not None:
        theirs_value = torch.zeros(2, 3, 2, 2) if value == "tensor" else value
        with pytest.raises(TypeError) as theirs:
            torchvision.utils.make_grid(theirs_value, **kwargs)
        assert str(theirs.value) == message


def read_png(source):
    """The pixels of an 8-bit, non-interlaced PNG whose rows use filter 0, checking every CRC."""
    data = source.getvalue() if isinstance(source, io.BytesIO) else open(source, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and interlace == 0 and b"IEND" in chunks
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, 1 + width * channels)
    assert np.all(rows[:, 0] == 0)
    return rows[:, 1:].reshape(height, width, channels)


def test_save_image_writes_a_png_by_hand(tmp_path):
    image = tg.tensor([[[0.0, 0.5], [1.0, 2.0]], [[-1.0, 0.25], [0.998, 0.002]], [[0.1, 0.2], [0.3, 0.4]]])
    save_image(image, tmp_path / "small.png")
    pixels = read_png(tmp_path / "small.png")
    assert pixels.shape == (2, 2, 3)
    np.testing.assert_array_equal(pixels[..., 0], [[0, 128], [255, 255]])
    np.testing.assert_array_equal(pixels[..., 1], [[0, 64], [254, 1]])     # 0.998 * 255 + 0.5 = 254.99
    buffer = io.BytesIO()
    save_image(image, buffer, format="png")
    assert buffer.getvalue() == (tmp_path / "small.png").read_bytes()


@needs_torchvision
@pytest.mark.parametrize("shape, kwargs", [((3, 7, 9), {}), ((6, 1, 5, 4), dict(nrow=4)), ((1, 4, 3, 3), {}),
                                           ((2, 2, 3, 3), dict(padding=0)), ((5, 3, 4, 4), dict(normalize=True))])
def test_save_image_pixels_match_torchvision(tmp_path, shape, kwargs):
    values = np.random.default_rng(1).random(shape).astype(np.float32) * 1.2 - 0.1
    save_image(our_tensor(values), tmp_path / "ours.png", **kwargs)
    torchvision.utils.save_image(torch.from_numpy(values), tmp_path / "theirs.png", **kwargs)
    theirs = np.asarray(Image.open(tmp_path / "theirs.png"))
    theirs = theirs if theirs.ndim == 3 else theirs[..., None]
    ours_by_pillow = np.asarray(Image.open(tmp_path / "ours.png"))
    np.testing.assert_array_equal(read_png(tmp_path / "ours.png"), theirs)
    np.testing.assert_array_equal(ours_by_pillow.reshape(theirs.shape), theirs)
    assert Image.open(tmp_path / "ours.png").mode == Image.open(tmp_path / "theirs.png").mode


def test_save_image_of_another_format_needs_pillow(tmp_path):
    try:
        import PIL  # noqa: F401
    except ImportError:
        with pytest.raises(NotImplementedError, match="install Pillow"):
            save_image(tg.rand(3, 4, 4), tmp_path / "image.jpg")
    else:
        save_image(tg.rand(3, 4, 4), tmp_path / "image.jpg")
        assert (tmp_path / "image.jpg").read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(ValueError, match="give format='PNG'"):
        save_image(tg.rand(3, 4, 4), io.BytesIO())


# -- FakeData --

def test_fake_data_items():
    data = datasets.FakeData(size=12, image_size=(3, 6, 5), num_classes=4)
    image, label = data[3]
    assert len(data) == 12 and isinstance(label, int) and 0 <= label < 4
    assert tuple(image.shape) == (3, 6, 5) and image.dtype == tg.float32
    assert 0 <= image.min().item() and image.max().item() <= 1
    again, label_again = data[3]
    np.testing.assert_array_equal(again.numpy(), image.numpy())
    assert label_again == label
    assert not np.array_equal(data[4][0].numpy(), image.numpy())
    shifted = datasets.FakeData(size=12, image_size=(3, 6, 5), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(shifted[2][0].numpy(), image.numpy())
    assert {data[i][1] for i in range(12)} != {label}


def test_fake_data_leaves_the_global_generator_alone_and_hands_transforms_arrays():
    seen = []
    data = datasets.FakeData(size=3, image_size=(3, 4, 5), transform=lambda image: seen.append(image) or 0,
                             target_transform=lambda label: -1)
    tg.manual_seed(0)
    expected = tg.rand(3)
    tg.manual_seed(0)
    assert data[0] == (0, -1)
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected.numpy())
    assert seen[0].shape == (4, 5, 3) and seen[0].dtype == np.uint8
    grey = datasets.FakeData(size=2, image_size=(1, 4, 5), transform=lambda image: image)
    assert grey[1][0].shape == (4, 5)


def test_fake_data_index_error_matches_torchvision():
    with pytest.raises(IndexError) as ours:
        datasets.FakeData(size=2)[2]
    assert str(ours.value) == "FakeData index out of range"
    if torchvision is not None:
        with pytest.raises(IndexError) as theirs:
            torchvision.datasets.FakeData(size=2)[2]
        assert str(theirs.value) == str(ours.value)


@needs_torchvision
def test_fake_data_shapes_and_types_match_torchvision():
    ours = datasets.FakeData(size=5, image_size=(3, 8, 6), num_classes=3, transform=transforms.ToTensor())
    theirs = torchvision.datasets.FakeData(size=5, image_size=(3, 8, 6), num_classes=3,
                                           transform=torchvision.transforms.ToTensor())
    (our_image, our_label), (their_image, their_label) = ours[1], theirs[1]
    assert tuple(our_image.shape) == tuple(their_image.shape) and our_image.dtype == tg.float32
    assert type(our_label) is type(their_label) is int and len(ours) == len(theirs)


# -- CIFAR10 --

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar(root, per_batch=3, protocol=2, as_bytes=False):
    """A small cifar-10-batches-py folder; returns {file name: (data, labels)}."""
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    key = (lambda name: name.encode()) if as_bytes else (lambda name: name)
    written = {}
    for index, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        rng = np.random.default_rng(index)
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        batch = {key("batch_label"): key(f"batch {index}"), key("labels"): labels, key("data"): data,
                 key("filenames"): [key(f"image_{index}_{i}.png") for i in range(per_batch)]}
        with open(os.path.join(folder, name), "wb") as file:
            pickle.dump(batch, file, protocol=protocol)
        written[name] = (data, labels)
    meta = {key("num_cases_per_batch"): per_batch, key("label_names"): [key(name) for name in CIFAR_CLASSES],
            key("num_vis"): 3072}
    with open(os.path.join(folder, "batches.meta"), "wb") as file:
        pickle.dump(meta, file, protocol=protocol)
    return written


@pytest.mark.parametrize("protocol, as_bytes", [(2, True), (2, False), (pickle.HIGHEST_PROTOCOL, False)])
def test_cifar10_reads_the_batch_files(tmp_path, protocol, as_bytes):
    written = write_cifar(tmp_path, protocol=protocol, as_bytes=as_bytes)
    train = datasets.CIFAR10(tmp_path, train=True)
    test = datasets.CIFAR10(str(tmp_path), train=False, download=True)
    expected = np.vstack([written[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    assert len(train) == 15 and len(test) == 3
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data, expected.transpose(0, 2, 3, 1))
    assert train.targets == sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert test.targets == written["test_batch"][1]
    assert train.classes == CIFAR_CLASSES and train.class_to_idx["truck"] == 9
    image, label = train[4]
    assert tuple(image.shape) == (3, 32, 32) and image.dtype == tg.float32 and label == train.targets[4]
    np.testing.assert_allclose(image.numpy(), expected[4] / 255, rtol=1e-6)
    seen = []
    datasets.CIFAR10(tmp_path, transform=lambda array: seen.append(array), target_transform=str)[0]
    assert seen[0].shape == (32, 32, 3) and seen[0].dtype == np.uint8


@needs_torchvision
def test_cifar10_matches_torchvision_on_the_same_files(tmp_path):
    write_cifar(tmp_path)
    with mock.patch("torchvision.datasets.cifar.check_integrity", return_value=True):
        theirs = torchvision.datasets.CIFAR10(tmp_path, train=True, transform=torchvision.transforms.ToTensor())
    ours = datasets.CIFAR10(tmp_path, train=True, transform=transforms.ToTensor())
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.targets == theirs.targets and ours.classes == theirs.classes
    assert ours.class_to_idx == theirs.class_to_idx
    for index in (0, 7, 14):
        np.testing.assert_array_equal(ours[index][0].numpy(), theirs[index][0].numpy())
        assert ours[index][1] == theirs[index][1]
    our_batch = next(iter(DataLoader(datasets.CIFAR10(tmp_path), batch_size=4)))
    assert tuple(our_batch[0].shape) == (4, 3, 32, 32) and our_batch[1].dtype == tg.int64


class RunsAShellCommand:
    def __reduce__(self):
        return os.system, ("touch should_not_exist",)


def test_cifar10_refuses_a_pickle_that_would_run_code(tmp_path, monkeypatch):
    write_cifar(tmp_path)
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_2", "wb") as file:
        pickle.dump({"data": RunsAShellCommand(), "labels": []}, file, protocol=2)
    with pytest.raises(RuntimeError, match=r"data_batch_2 cannot be read as a dataset batch file: refusing to load "
                                           r"(posix|os|nt)\.system"):
        datasets.CIFAR10(tmp_path)
    assert not (tmp_path / "should_not_exist").exists()


def test_cifar10_says_which_files_are_missing_and_where_to_get_them(tmp_path):
    with pytest.raises(RuntimeError) as missing:
        datasets.CIFAR10(tmp_path)
    message = str(missing.value)
    assert message.startswith("CIFAR10: not found: missing data_batch_1, data_batch_2")
    assert "cifar-10-python.tar.gz" in message and "https://www.cs.toronto.edu/~kriz/cifar.html" in message
    write_cifar(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "test_batch")
    with pytest.raises(RuntimeError, match="download=True was given, but tinygrad_edu downloads nothing: "
                                           "missing test_batch in"):
        datasets.CIFAR10(tmp_path, train=True, download=True)


def test_cifar10_with_mismatched_labels_says_so(tmp_path):
    write_cifar(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as file:
        pickle.dump({"data": np.zeros((2, 3072), np.uint8), "labels": [1]}, file)
    with pytest.raises(RuntimeError, match="hold 2 images but 1 labels"):
        datasets.CIFAR10(tmp_path, train=False)


@pytest.mark.parametrize("content, message", [
    (pickle.dumps({"data": np.zeros((2, 100), np.uint8), "labels": [1, 2]}),
     r"'data' should be a uint8 array \(N, 3072\) of 32x32 RGB images, found uint8 \(2, 100\)"),
    (pickle.dumps({"labels": [1, 2]}), r"the batch has no 'data' entry \(it has \['labels'\]\)"),
    (pickle.dumps([1, 2]), "should hold a dict, found a list"),
    (b"\x80\x02}q\x00", "test_batch cannot be read as a dataset batch file"),
])
def test_cifar10_with_a_damaged_batch_file_says_what_is_wrong(tmp_path, content, message):
    write_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(content)
    with pytest.raises(RuntimeError, match=message):
        datasets.CIFAR10(tmp_path, train=False)
