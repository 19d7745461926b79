"""Creating tensors and reading their attributes, as torch does."""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from helpers import dtype_name, lib

DATA = [
    pytest.param([1, 2, 3], id="ints"),
    pytest.param([1.0, 2.5], id="floats"),
    pytest.param([[1, 2], [3, 4.5]], id="mixed_nested"),
    pytest.param([True, False], id="bools"),
    pytest.param([[True], [False]], id="nested_bools"),
    pytest.param(3.5, id="python_float"),
    pytest.param(7, id="python_int"),
    pytest.param(np.array([1.0, 2.0]), id="numpy_float64"),
    pytest.param(np.array([1.0, 2.0], dtype=np.float32), id="numpy_float32"),
    pytest.param(np.array([1, 2], dtype=np.int32), id="numpy_int32"),
    pytest.param(np.float64(2.5), id="numpy_scalar"),
    pytest.param([], id="empty"),
]


@pytest.mark.parametrize("data", DATA)
def test_tensor_infers_dtype_and_shape_like_torch(data):
    ours, theirs = tg.tensor(data), torch.tensor(data)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_tensor_with_dtype(name):
    ours = tg.tensor([0, 1, 2], dtype=getattr(tg, name))
    theirs = torch.tensor([0, 1, 2], dtype=getattr(torch, name))
    assert ours.dtype is getattr(tg, name)
    assert ours.numpy().dtype == theirs.numpy().dtype
    assert ours.tolist() == theirs.tolist()


def test_tensor_copies_its_data_and_takes_requires_grad():
    array = np.array([1.0, 2.0])
    t = tg.tensor(array, requires_grad=True)
    array[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.device.type == "cpu" and str(t.device) == "cpu"
    assert tg.tensor([1.0], device="cpu").device == tg.tensor([1.0]).device


def test_tensor_class_is_the_type_of_every_tensor():
    assert isinstance(tg.tensor([1.0]), tg.Tensor)
    assert isinstance(tg.zeros(2) * 2, tg.Tensor)


def test_tensor_constructor_makes_default_float_tensors():
    for data in ([1, 2], [[1.5]]):
        ours, theirs = tg.Tensor(data), torch.Tensor(data)
        assert ours.dtype is tg.float32 and ours.tolist() == theirs.tolist()
    assert tg.Tensor(2, 3).shape == (2, 3) and tg.Tensor(2, 3).dtype is tg.float32


def test_from_numpy_shares_memory():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = tg.from_numpy(array)
    assert t.dtype == tg.float64 and t.shape == (2, 3)
    array[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    with tg.no_grad():
        t.add_(1.0)
    assert array[1, 2] == 6.0
    assert tg.from_numpy(np.zeros(3, dtype=np.int32)).dtype == tg.int32


FACTORIES = [
    pytest.param(lambda m: m.zeros(2, 3), id="zeros_varargs"),
    pytest.param(lambda m: m.zeros((2, 3)), id="zeros_tuple"),
    pytest.param(lambda m: m.zeros([4], dtype=m.int64), id="zeros_list_dtype"),
    pytest.param(lambda m: m.zeros(()), id="zeros_scalar_shape"),
    pytest.param(lambda m: m.ones(3, 1), id="ones"),
    pytest.param(lambda m: m.ones(2, dtype=m.bool), id="ones_bool"),
    pytest.param(lambda m: m.full((2, 2), 7), id="full_int"),
    pytest.param(lambda m: m.full((2, 2), 1.5), id="full_float"),
    pytest.param(lambda m: m.full((2,), True), id="full_bool"),
    pytest.param(lambda m: m.full((2,), 3, dtype=m.float64), id="full_dtype"),
    pytest.param(lambda m: m.arange(5), id="arange_end"),
    pytest.param(lambda m: m.arange(2, 11, 3), id="arange_step"),
    pytest.param(lambda m: m.arange(0.0, 1.0, 0.25), id="arange_float"),
    pytest.param(lambda m: m.arange(1, 4, dtype=m.float64), id="arange_dtype"),
    pytest.param(lambda m: m.linspace(0, 1, 5), id="linspace"),
    pytest.param(lambda m: m.linspace(-1.0, 1.0, steps=4, dtype=m.float64), id="linspace_dtype"),
    pytest.param(lambda m: m.eye(3), id="eye"),
    pytest.param(lambda m: m.eye(2, 4), id="eye_rectangular"),
    pytest.param(lambda m: m.zeros_like(m.ones(2, 3, dtype=m.float64)), id="zeros_like"),
    pytest.param(lambda m: m.ones_like(m.zeros(2, dtype=m.int32)), id="ones_like"),
    pytest.param(lambda m: m.ones_like(m.zeros(2), dtype=m.int64), id="ones_like_dtype"),
    pytest.param(lambda m: m.full_like(m.zeros(2, 2), 3.5), id="full_like"),
]


@pytest.mark.parametrize("make", FACTORIES)
def test_factories_match_torch(make):
    ours, theirs = make(tg), make(torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert not ours.requires_grad


def test_factories_take_requires_grad():
    for t in (tg.zeros(2, requires_grad=True), tg.ones(2, requires_grad=True), tg.randn(2, requires_grad=True),
              tg.rand(2, requires_grad=True), tg.full((2,), 1.0, requires_grad=True),
              tg.empty(2, requires_grad=True)):
        assert t.requires_grad and t.is_leaf


RANDOM = [
    pytest.param(lambda m: m.rand(2, 3), id="rand"),
    pytest.param(lambda m: m.randn((4,)), id="randn_tuple"),
    pytest.param(lambda m: m.randn(2, 2, dtype=m.float64), id="randn_dtype"),
    pytest.param(lambda m: m.randint(0, 10, (3, 2)), id="randint"),
    pytest.param(lambda m: m.randint(5, (4,)), id="randint_high_only"),
    pytest.param(lambda m: m.normal(2.0, 3.0, size=(2, 5)), id="normal"),
    pytest.param(lambda m: m.empty(3, 2), id="empty"),
    pytest.param(lambda m: m.empty_like(m.zeros(2, dtype=m.int64)), id="empty_like"),
    pytest.param(lambda m: m.rand_like(m.zeros(3, dtype=m.float64)), id="rand_like"),
    pytest.param(lambda m: m.randn_like(m.zeros(2, 2)), id="randn_like"),
    pytest.param(lambda m: m.randint_like(m.zeros(2, 2), 10), id="randint_like"),
]


@pytest.mark.parametrize("make", RANDOM)
def test_random_factories_shape_and_dtype(make):
    ours, theirs = make(tg), make(torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)


def test_random_values_have_the_right_distribution():
    tg.manual_seed(0)
    uniform = tg.rand(20000).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0 and abs(uniform.mean() - 0.5) < 0.02
    normal = tg.randn(20000).numpy()
    assert abs(normal.mean()) < 0.05 and abs(normal.std() - 1.0) < 0.05
    shifted = tg.normal(2.0, 3.0, size=(20000,)).numpy()
    assert abs(shifted.mean() - 2.0) < 0.1 and abs(shifted.std() - 3.0) < 0.1
    integers = tg.randint(3, 7, (2000,)).numpy()
    assert set(np.unique(integers)) == {3, 4, 5, 6}


def test_manual_seed_makes_every_random_factory_reproducible():
    def draw():
        return [tg.rand(3).tolist(), tg.randn(2, 2).tolist(), tg.randint(0, 100, (4,)).tolist(),
                tg.normal(0.0, 1.0, size=(2,)).tolist(), tg.randn_like(tg.zeros(3)).tolist(),
                tg.zeros(3).uniform_(-1.0, 1.0).tolist(), tg.zeros(3).normal_().tolist()]
    tg.manual_seed(1234)
    first = draw()
    tg.manual_seed(1234)
    assert draw() == first
    tg.manual_seed(4321)
    assert draw() != first


def test_dtypes_are_exported_and_float32_is_default():
    for name in ("float16", "float32", "float64", "int32", "int64", "bool"):
        assert dtype_name(getattr(tg, name)) == name
    assert tg.tensor([1.0]).dtype is tg.float32
    assert tg.zeros(1).dtype is tg.float32 and tg.randn(1).dtype is tg.float32
    assert tg.tensor([1]).dtype is tg.int64


CONVERSIONS = ["float", "double", "long", "int", "bool", "half"]


@pytest.mark.parametrize("name", CONVERSIONS)
def test_dtype_conversions(name):
    data = [[-1.5, 0.0], [2.7, 3.0]]
    ours, theirs = getattr(tg.tensor(data), name)(), getattr(torch.tensor(data), name)()
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_to_dtype(name):
    data = [-1.5, 0.0, 2.7]
    ours, theirs = tg.tensor(data).to(getattr(tg, name)), torch.tensor(data).to(getattr(torch, name))
    assert dtype_name(ours.dtype) == name and ours.tolist() == theirs.tolist()


def test_to_dtype_is_differentiable_between_floats():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.backward(tg.tensor([1.0, 2.0], dtype=tg.float64))
    assert y.dtype == tg.float64 and x.grad.dtype == tg.float32 and x.grad.tolist() == [3.0, 6.0]


def test_shape_attributes():
    x = tg.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.shape == torch.zeros(2, 3, 4).shape
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4 and x.size(dim=0) == 2
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert tg.tensor(5.0).shape == () and tg.tensor(5.0).dim() == 0 and tg.tensor(5.0).numel() == 1
    assert tg.zeros(3, 4).T.shape == (4, 3)
    assert x.mT.shape == (2, 4, 3)
    assert len(x) == 2


def test_item_tolist_numpy_data():
    x = tg.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x[0, 1].item() == 2.0 and isinstance(x[0, 1].item(), float)
    assert isinstance(tg.tensor(3).item(), int) and isinstance(tg.tensor(True).item(), bool)
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]] and tg.tensor(2.5).tolist() == 2.5
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    assert not w.data.requires_grad and w.data.tolist() == [1.0, 2.0]
    assert w.detach().numpy().tolist() == [1.0, 2.0]


def test_item_needs_one_element():
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        tg.tensor([1.0, 2.0]).item()


def test_requires_grad_is_leaf_and_grad_fn():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name() == "MulBackward0"
    z = tg.tensor([1.0]) * 2
    assert z.is_leaf and z.grad_fn is None and not z.requires_grad


# primitives whose node names torch users see in reprs; composites (softmax, var...) may differ
GRAD_FN_NAMES = {
    "add": lambda t: t + 1, "sub": lambda t: t - t.exp(), "mul": lambda t: t * t, "div": lambda t: t / 3,
    "neg": lambda t: -t, "pow": lambda t: t ** 2, "pow_tensor": lambda t: t ** t, "exp": lambda t: t.exp(),
    "log": lambda t: t.log(), "log1p": lambda t: t.log1p(), "sqrt": lambda t: t.sqrt(), "sin": lambda t: t.sin(),
    "cos": lambda t: t.cos(), "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(), "abs": lambda t: t.abs(), "sum": lambda t: t.sum(), "mean": lambda t: t.mean(),
    "max_dim": lambda t: t.max(0)[0], "amax": lambda t: t.amax(0), "prod": lambda t: t.prod(),
    "mm": lambda t: t.reshape(2, 2) @ t.reshape(2, 2), "bmm": lambda t: t.reshape(1, 2, 2).bmm(t.reshape(1, 2, 2)),
    "view": lambda t: t.view(2, 2), "reshape": lambda t: t.reshape(4, 1),
    "permute": lambda t: t.view(2, 2).permute(1, 0),
    "expand": lambda t: t.expand(3, 4), "cat": lambda t: lib(t).cat([t, t]),
    "where": lambda t: lib(t).where(t > 2, t, -t), "gather": lambda t: t.gather(0, lib(t).tensor([1])),
    "index_tensor": lambda t: t[lib(t).tensor([1, 1])], "clamp": lambda t: t.clamp(1.5, 2.5),
    "double": lambda t: t.double(),
}


@pytest.mark.parametrize("name", sorted(GRAD_FN_NAMES))
def test_grad_fn_names_match_torch(name):
    data = [1.0, 2.0, 3.0, 4.0]
    ours = GRAD_FN_NAMES[name](tg.tensor(data, requires_grad=True)).grad_fn.name()
    theirs = GRAD_FN_NAMES[name](torch.tensor(data, requires_grad=True)).grad_fn.name()
    assert ours == theirs


def make_repr_cases():
    grad_leaf = lambda m: m.tensor([[1.5]], requires_grad=True)
    return [
        pytest.param(lambda m: m.tensor([1, 2, 3]), id="int"),
        pytest.param(lambda m: m.tensor([1.0, 2.0, 3.0]), id="whole_floats"),
        pytest.param(lambda m: m.tensor([-1.5, 2.0]), id="negative_float"),
        pytest.param(lambda m: m.tensor([0.1, 0.25, 3.0]), id="fractional"),
        pytest.param(lambda m: m.tensor(3.5), id="scalar"),
        pytest.param(lambda m: m.tensor(2), id="int_scalar"),
        pytest.param(lambda m: m.tensor([True, False]), id="bool"),
        pytest.param(lambda m: m.tensor([1.0, 2.0], dtype=m.float64), id="float64"),
        pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32), id="int32"),
        pytest.param(lambda m: m.tensor([1.0, 2.0], dtype=m.float16), id="float16"),
        pytest.param(lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]]), id="matrix"),
        pytest.param(lambda m: m.arange(6.0).reshape(2, 1, 3), id="three_dims"),
        pytest.param(lambda m: m.tensor([[0.1, 0.25], [1e-5, 3.0]]), id="scientific"),
        pytest.param(lambda m: m.tensor([]), id="empty"),
        pytest.param(grad_leaf, id="requires_grad"),
        pytest.param(lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2, id="grad_fn"),
        pytest.param(lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True), id="float64_grad"),
    ]


@pytest.mark.parametrize("make", make_repr_cases())
def test_repr_matches_torch(make):
    assert repr(make(tg)).replace("tinygrad_edu.", "") == repr(make(torch)).replace("torch.", "")


def test_lib_helper_sees_frameworks():
    assert lib(tg.zeros(1)) is tg and lib(torch.zeros(1)) is torch
