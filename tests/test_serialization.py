"""save/load in the safetensors format: round trips, compatibility with the safetensors
package and torch both ways, and clear errors on damaged files that leave a model unchanged."""
import io
import json

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.serialization import STRUCTURE_KEY, load, save

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def random_array(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def assert_tensor_equal(ours, expected_array):
    assert isinstance(ours, tg.Tensor)
    assert ours.dtype.name == np.dtype(expected_array.dtype).name
    assert tuple(ours.shape) == expected_array.shape
    np.testing.assert_array_equal(ours.numpy(), expected_array)


class TwoLayer(nn.Module):
    """tanh(x W1^T + b1) W2^T + b2, with the parameter names of TorchTwoLayer."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(tg.randn(4, 3))
        self.b1 = nn.Parameter(tg.randn(4))
        self.w2 = nn.Parameter(tg.randn(2, 4))
        self.b2 = nn.Parameter(tg.randn(2))

    def forward(self, x):
        return (x @ self.w1.T + self.b1).tanh() @ self.w2.T + self.b2


class TorchTwoLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(4, 3))
        self.b1 = torch.nn.Parameter(torch.randn(4))
        self.w2 = torch.nn.Parameter(torch.randn(2, 4))
        self.b2 = torch.nn.Parameter(torch.randn(2))

    def forward(self, x):
        return torch.tanh(x @ self.w1.T + self.b1) @ self.w2.T + self.b2


def weights_of(model):
    return {name: value.numpy().copy() for name, value in model.state_dict().items()}


# -- round trips --

def test_all_dtypes_round_trip(tmp_path):
    arrays = {f"t.{dtype}": random_array((2, 3), dtype, seed) for seed, dtype in enumerate(DTYPES)}
    arrays.update(scalar=np.array(2.5, np.float32), empty=np.zeros((0, 4), np.int64))
    save({name: tg.from_numpy(array) for name, array in arrays.items()}, tmp_path / "all.safetensors")
    loaded = load(tmp_path / "all.safetensors")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        assert_tensor_equal(loaded[name], array)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=4), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_round_trip_through_file_objects_and_safetensors(shape, dtype, seed):
    array = random_array(tuple(shape), dtype, seed)
    buffer = io.BytesIO()
    save({"x": tg.from_numpy(array), "y": tg.ones(2)}, buffer)
    assert_tensor_equal(load(io.BytesIO(buffer.getvalue()))["x"], array)
    np.testing.assert_array_equal(safetensors.numpy.load(buffer.getvalue())["x"], array)


def test_model_state_dict_round_trip(tmp_path):
    tg.manual_seed(0)
    model, other = TwoLayer(), TwoLayer()
    save(model.state_dict(), tmp_path / "model.safetensors")
    other.load_state_dict(load(tmp_path / "model.safetensors", map_location="cpu"))
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(other(x).detach().numpy(), model(x).detach().numpy())


def test_non_contiguous_tensors_are_saved_in_logical_order(tmp_path):
    base = tg.arange(6).reshape(2, 3)
    save({"t": base.T}, tmp_path / "t.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "t.safetensors")["t"].numpy(), np.arange(6).reshape(2, 3).T)


def optimizer_like_state():
    return {
        "state": {0: {"step": tg.tensor(3.0), "exp_avg": tg.randn(4, 3), "exp_avg_sq": tg.rand(4, 3)},
                  1: {"step": tg.tensor(3.0), "exp_avg": tg.randn(4), "exp_avg_sq": tg.rand(4)},
                  3: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                          "amsgrad": False, "foreach": None, "params": [0, 1, 2, 3], "name": "all"}],
    }


def assert_same_structure(loaded, original):
    assert type(loaded) is type(original)
    if isinstance(original, tg.Tensor):
        assert loaded.dtype == original.dtype and loaded.shape == original.shape
        np.testing.assert_array_equal(loaded.numpy(), original.numpy())
    elif isinstance(original, dict):
        assert list(loaded) == list(original)
        for key in original:
            assert_same_structure(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original)
        for loaded_item, original_item in zip(loaded, original):
            assert_same_structure(loaded_item, original_item)
    else:
        assert loaded == original


def test_optimizer_state_dict_round_trip(tmp_path):
    state = optimizer_like_state()
    save(state, tmp_path / "optim.safetensors")
    assert_same_structure(load(tmp_path / "optim.safetensors"), state)
    stored = safetensors.torch.load_file(tmp_path / "optim.safetensors")
    assert sorted(stored) == sorted(f"state.{i}.{name}" for i in (0, 1) for name in ("step", "exp_avg", "exp_avg_sq"))
    np.testing.assert_array_equal(stored["state.0.exp_avg"].numpy(), state["state"][0]["exp_avg"].numpy())


def test_real_optimizer_state_dict_round_trip(tmp_path):
    optim = pytest.importorskip("tinygrad_edu.optim")
    tg.manual_seed(0)
    model = TwoLayer()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        optimizer.zero_grad()
        model(tg.randn(5, 3)).backward(tg.randn(5, 2))
        optimizer.step()
    save(optimizer.state_dict(), tmp_path / "adam.safetensors")
    restored = optim.Adam(TwoLayer().parameters(), lr=0.5)
    restored.load_state_dict(load(tmp_path / "adam.safetensors"))
    assert_same_structure(restored.state_dict(), optimizer.state_dict())


def test_checkpoint_with_plain_values_and_special_keys(tmp_path):
    checkpoint = {"epoch": 7, "loss": float("inf"), "model": {"w": tg.ones(2)}, "tags": ["a", ("b", 1.5)],
                  "odd": {"__tensor__": "not a tensor"}, "weird keys": {(1, 2): True, None: "none", 2.5: [None]}}
    save(checkpoint, tmp_path / "checkpoint.safetensors")
    assert_same_structure(load(tmp_path / "checkpoint.safetensors"), checkpoint)


@pytest.mark.parametrize("obj", [tg.arange(5), [tg.zeros(2), tg.ones(1)], {"a": [tg.zeros(1)], "a.0": tg.ones(1)},
                                 {"__metadata__": tg.ones(1)}, {}])
def test_tensors_outside_state_dicts(tmp_path, obj):
    save(obj, tmp_path / "obj.safetensors")
    assert_same_structure(load(tmp_path / "obj.safetensors"), obj)


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError, match=r"save: cannot store a set \(at 'extra.seen'\): only tensors, numbers, "
                                        r"strings, bools, None, and dicts, lists and tuples of them can be saved"):
        save({"extra": {"seen": {1, 2}}, "w": tg.ones(1)}, io.BytesIO())


# -- compatibility with torch and the safetensors package --

def test_file_from_safetensors_torch_loads_into_our_model(tmp_path):
    torch.manual_seed(0)
    torch_model = TorchTwoLayer()
    safetensors.torch.save_file(torch_model.state_dict(), tmp_path / "torch.safetensors")
    model = TwoLayer()
    model.load_state_dict(load(tmp_path / "torch.safetensors"))
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    expected = torch_model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(tg.tensor(x)).detach().numpy(), expected, rtol=1.3e-6, atol=1e-5)


def test_our_file_loads_into_torch(tmp_path):
    tg.manual_seed(1)
    model = TwoLayer()
    save(model.state_dict(), tmp_path / "ours.safetensors")
    torch_model = TorchTwoLayer()
    torch_model.load_state_dict(safetensors.torch.load_file(tmp_path / "ours.safetensors"))
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    expected = model(tg.tensor(x)).detach().numpy()
    np.testing.assert_allclose(torch_model(torch.from_numpy(x)).detach().numpy(), expected, rtol=1.3e-6, atol=1e-5)


def test_torch_dtypes_load_here(tmp_path):
    tensors = {name: torch.from_numpy(random_array((3,), name, i)) for i, name in enumerate(DTYPES)}
    tensors["bf16"] = torch.tensor([1.5, -2.0, 3.0e10], dtype=torch.bfloat16)
    tensors["bf16 scalar"] = torch.tensor(-0.25, dtype=torch.bfloat16)
    safetensors.torch.save_file(tensors, tmp_path / "dtypes.safetensors", metadata={"format": "pt"})
    loaded = load(tmp_path / "dtypes.safetensors")
    for name in DTYPES:
        assert_tensor_equal(loaded[name], tensors[name].numpy())
    assert_tensor_equal(loaded["bf16"], tensors["bf16"].float().numpy())
    assert_tensor_equal(loaded["bf16 scalar"], tensors["bf16 scalar"].float().numpy())


# -- damaged files --

def good_file_bytes():
    buffer = io.BytesIO()
    save({"w1": tg.ones(4, 3), "b1": tg.zeros(4)}, buffer)
    return buffer.getvalue()


def with_header(header, body=b"\x00" * 64):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + body


def torch_zip_checkpoint():
    buffer = io.BytesIO()
    torch.save({"w1": torch.ones(2)}, buffer)
    return buffer.getvalue()


DAMAGED = {
    "shorter than 8 bytes": (lambda: good_file_bytes()[:5],
                             "is not a safetensors file: it is 5 bytes long, shorter than the 8-byte header length"),
    "cut inside the header": (lambda: good_file_bytes()[:40], "the header length says .* bytes, but only 32 bytes follow"),
    "cut inside the data": (lambda: good_file_bytes()[:-8],
                            r"tensor 'b1' has data_offsets \[48, 64\] beyond the end of the data \(56 bytes\)"),
    "header not JSON": (lambda: (5).to_bytes(8, "little") + b"{oops", "the header is not valid JSON"),
    "header not an object": (lambda: with_header([1, 2]), "the header should be a JSON object, got list"),
    "offsets beyond the file": (lambda: with_header({"w1": {"dtype": "F32", "shape": [4], "data_offsets": [0, 400]}}),
                                r"tensor 'w1' has data_offsets \[0, 400\] beyond the end of the data \(64 bytes\)"),
    "unknown dtype": (lambda: with_header({"w1": {"dtype": "F33", "shape": [4], "data_offsets": [0, 16]}}),
                      "tensor 'w1' has dtype 'F33'; expected one of BOOL, U8, I8, I16, I32, I64, F16, F32, F64, BF16"),
    "size mismatch": (lambda: with_header({"w1": {"dtype": "F64", "shape": [4], "data_offsets": [0, 16]}}),
                      r"tensor 'w1' of dtype F64 and shape \[4\] needs 32 bytes, but its data_offsets \[0, 16\] span 16"),
    "bad shape": (lambda: with_header({"w1": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}),
                  r"tensor 'w1' has shape \[-4\]; expected a list of sizes"),
    "missing fields": (lambda: with_header({"w1": {"dtype": "F32"}}),
                       "the header entry of tensor 'w1' should hold 'dtype', 'shape' and 'data_offsets'"),
    "torch pickle checkpoint": (torch_zip_checkpoint, "is a zip file, as torch.save writes; tinygrad_edu reads only "
                                                      "safetensors files"),
    "bad structure metadata": (lambda: with_header({"__metadata__": {STRUCTURE_KEY: "{not json"}}, b""),
                               f"the metadata '{STRUCTURE_KEY}' is not valid JSON"),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_damaged_files_raise_and_leave_the_model_unchanged(tmp_path, case):
    make_bytes, message = DAMAGED[case]
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(make_bytes())
    tg.manual_seed(0)
    model = TwoLayer()
    before = weights_of(model)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(load(path))
    after = weights_of(model)
    assert all(np.array_equal(before[name], after[name]) for name in before)


def test_damaged_file_object_error_names_it():
    with pytest.raises(ValueError, match="load: <file object> is not a safetensors file"):
        load(io.BytesIO(b"abc"))


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load("/nonexistent/model.safetensors")
