"""Devices: CPU and CUDA behind one seam, the CUDA path run on the strict CuPy stand-in.

The stand-in (``stand_in_device.py``) is what ``tinygrad_edu`` finds when it looks for
CuPy: its arrays refuse to turn into NumPy arrays or to mix with them, so an op that
leaks to the host fails here. The whole suite also runs on it with
``pytest --device stand_in``; this file checks, in process, the device API and a
representative set against torch: every op of the core table, each kind of layer,
the losses and the optimizers.
"""
import importlib
import pathlib
import re
import types

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from helpers import cases, check, to_numpy
from stand_in_device import (StandInArray, count_host_syncs, cpu_session_fixture, forget_loaded_modules,
                             stand_in_fixture)
from test_tensor_ops import ALL_OPS
from tinygrad_edu import nn

device_module = importlib.import_module("tinygrad_edu.device")
MIXED = (r"Expected all tensors to be on the same device, but found at least two devices, "
         r"(cpu and cuda:0|cuda:0 and cpu)!")
F64 = dict(rtol=1e-7, atol=1e-9)


stand_in = pytest.fixture(stand_in_fixture)
cpu_by_default = pytest.fixture(autouse=True)(cpu_session_fixture)  # these tests name their devices


@pytest.fixture
def on_stand_in(stand_in):
    """Factories without ``device=`` put tensors on the stand-in GPU (as the helpers' ``check`` makes them)."""
    tg.set_default_device("cuda")
    yield stand_in
    tg.set_default_device("cpu")


def on_gpu(tensor):
    """True when the tensor is on a GPU and its array really is that GPU's (a stand-in or a CuPy array)."""
    return tensor.device.type == "cuda" and isinstance(tensor._data, tensor.device.xp.ndarray) \
        and not isinstance(tensor._data, np.ndarray)


# ----------------------------------------------------------------------------- the device type
def test_device_names_parse_and_print_as_torch():
    for spec in ("cpu", "cuda", "cuda:1"):
        ours, theirs = tg.device(spec), torch.device(spec)
        assert (ours.type, ours.index) == (theirs.type, 0 if spec == "cuda" else theirs.index)
    assert repr(tg.device("cuda:1")) == repr(torch.device("cuda:1")) and str(tg.device("cuda:1")) == "cuda:1"
    assert tg.device("cuda") == "cuda:0" and tg.device("cpu") != tg.device("cuda") and tg.device("cpu").xp is np
    with pytest.raises(RuntimeError, match="device type at start of device string: tpu"):
        tg.device("tpu")


def test_naming_a_gpu_needs_no_cupy_but_using_one_says_what_is_missing(monkeypatch):
    def missing():
        raise ImportError("No module named 'cupy'")
    monkeypatch.setattr(device_module, "_import_cupy", missing)
    forget_loaded_modules()
    gpu = tg.device("cuda")
    assert not tg.cuda.is_available() and tg.cuda.device_count() == 0
    tg.cuda.synchronize()
    for make in (lambda: tg.zeros(2, device=gpu), lambda: tg.ones(2).cuda(), lambda: tg.randn(2, device="cuda"),
                 lambda: nn.Linear(2, 2).to("cuda")):
        with pytest.raises(RuntimeError, match=re.escape('CUDA needs CuPy, which is not installed: in the clone '
                                                         'of tinygrad_edu, with its virtual environment active: '
                                                         'pip install -e ".[gpu]"')):
            make()
    forget_loaded_modules()


def test_cupy_without_a_gpu_says_so(monkeypatch):
    def no_driver():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    gpuless = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_driver)))
    monkeypatch.setattr(device_module, "_import_cupy", lambda: gpuless)
    forget_loaded_modules()
    assert not tg.cuda.is_available()
    with pytest.raises(RuntimeError, match=re.escape("No CUDA GPUs are available: CuPy is installed but sees no "
                                                     "GPU (RuntimeError: cudaErrorNoDevice: no CUDA-capable device")):
        tg.zeros(1, device="cuda")
    forget_loaded_modules()
    no_devices = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=int)))
    monkeypatch.setattr(device_module, "_import_cupy", lambda: no_devices)
    with pytest.raises(RuntimeError, match=r"sees no GPU \(the driver reports 0 devices\).*CUDA_VISIBLE_DEVICES"):
        nn.Linear(2, 2).to("cuda")
    forget_loaded_modules()


def test_cuda_module_reports_the_stand_in(stand_in):
    assert tg.cuda.is_available() and tg.cuda.device_count() == 2 and tg.cuda.current_device() == 0
    tg.cuda.synchronize()
    tg.cuda.synchronize("cuda:1")
    with pytest.raises(RuntimeError, match="invalid device ordinal: cuda:5"):
        tg.zeros(1, device="cuda:5")


def test_only_the_device_module_imports_cupy():
    package = pathlib.Path(tg.__file__).parent
    importers = [path.name for path in sorted(package.glob("*.py")) + sorted((package.parent / "nn").glob("*.py"))
                 if re.search(r"^\s*(import cupy|from cupy|import cupyx)", path.read_text(), re.MULTILINE)]
    assert importers == ["device.py"]


# ----------------------------------------------------------------------------- the stand-in catches leaks
def test_stand_in_arrays_refuse_numpy_as_cupy_does(stand_in):
    array = stand_in.arange(3.0)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(array)
    with pytest.raises(TypeError, match="Unsupported type"):
        array + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        np.concatenate([array, np.ones(3)])
    with pytest.raises(TypeError, match="ufunc.at is not supported"):
        np.add.at(array, stand_in.asarray([0]), 1.0)
    assert isinstance(array.sum(), StandInArray) and array.sum().ndim == 0
    assert not hasattr(array.flags, "writeable")
    np.testing.assert_array_equal(array.get(), [0.0, 1.0, 2.0])


# ----------------------------------------------------------------------------- moving tensors
def test_to_cuda_cpu_and_to_another_tensor_move_data_and_keep_values(stand_in):
    x = tg.tensor([[1.0, -2.0], [3.0, 4.5]], dtype=tg.float64)
    gpu = x.to("cuda")
    assert on_gpu(gpu) and gpu.device == tg.device("cuda:0") and gpu.is_cuda and gpu.dtype == tg.float64
    assert x.cuda().device == gpu.device and x.to(tg.device("cuda")).device == gpu.device
    back = gpu.cpu()
    assert back.device.type == "cpu" and isinstance(back._data, np.ndarray) and back.tolist() == x.tolist()
    like = x.to(tg.zeros(1, dtype=tg.float32, device="cuda"))
    assert on_gpu(like) and like.dtype == tg.float32
    assert x.to("cpu") is x and gpu.to("cuda") is gpu
    assert gpu.tolist() == x.tolist() and gpu[1, 1].item() == 4.5


def test_gradient_flows_back_across_a_move(stand_in):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.cuda() * x.cuda()).sum().cpu()
    y.backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.cuda().grad_fn.name() == "ToCopyBackward0"
    gpu_leaf = tg.ones(2, device="cuda", requires_grad=True)
    (gpu_leaf.cpu() * 3).sum().backward()
    assert on_gpu(gpu_leaf.grad) and gpu_leaf.grad.tolist() == [3.0, 3.0]


FACTORIES = {
    "tensor": lambda device: tg.tensor([1.0, 2.0], device=device),
    "as_tensor": lambda device: tg.as_tensor(np.ones(2), device=device),
    "Tensor": lambda device: tg.Tensor([1.0, 2.0], device=device),
    "zeros": lambda device: tg.zeros(2, 3, device=device),
    "ones": lambda device: tg.ones(2, device=device),
    "empty": lambda device: tg.empty(2, device=device),
    "full": lambda device: tg.full((2,), 7.0, device=device),
    "arange": lambda device: tg.arange(5, device=device),
    "linspace": lambda device: tg.linspace(0, 1, 5, device=device),
    "eye": lambda device: tg.eye(3, device=device),
    "rand": lambda device: tg.rand(3, device=device),
    "randn": lambda device: tg.randn(3, device=device),
    "randint": lambda device: tg.randint(0, 5, (3,), device=device),
    "randperm": lambda device: tg.randperm(4, device=device),
    "normal": lambda device: tg.normal(0.0, 1.0, (3,), device=device),
    "zeros_like": lambda device: tg.zeros_like(tg.ones(2), device=device),
    "ones_like": lambda device: tg.ones_like(tg.ones(2), device=device),
    "full_like": lambda device: tg.full_like(tg.ones(2), 3.0, device=device),
    "rand_like": lambda device: tg.rand_like(tg.ones(2), device=device),
    "randn_like": lambda device: tg.randn_like(tg.ones(2), device=device),
    "randint_like": lambda device: tg.randint_like(tg.ones(2), 0, 4, device=device),
    "new_zeros": lambda device: tg.ones(2).new_zeros(3, device=device),
    "new_tensor": lambda device: tg.ones(2).new_tensor([1.0], device=device),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_every_factory_takes_device_and_follows_the_default_device(name, stand_in):
    assert on_gpu(FACTORIES[name]("cuda"))
    assert FACTORIES[name]("cpu").device.type == "cpu"
    tg.set_default_device("cuda")
    try:
        made = FACTORIES[name](None)
        assert on_gpu(made) if not name.endswith("_like") and not name.startswith("new_") else True
    finally:
        tg.set_default_device(None)
    assert tg.get_default_device() == "cpu"


def test_layers_are_made_on_the_default_device(stand_in):
    tg.set_default_device("cuda")
    try:
        layer = nn.Linear(3, 2)
        norm = nn.BatchNorm1d(2)
    finally:
        tg.set_default_device("cpu")
    assert all(on_gpu(t) for t in [*layer.parameters(), *norm.parameters(), *norm.buffers()])
    assert on_gpu(nn.Conv2d(1, 2, 3, device="cuda").weight)


def test_random_numbers_are_the_same_on_every_device(stand_in):
    draws = {}
    for device in ("cpu", "cuda"):
        tg.manual_seed(3)
        dropped = F.dropout(tg.ones(6, device=device), 0.5)
        draws[device] = [tg.rand(4, device=device), tg.randn(2, 3, device=device),
                         tg.randint(0, 9, (5,), device=device),
                         tg.randperm(6, device=device), tg.empty(4, device=device).normal_(), dropped]
    for ours, theirs in zip(draws["cpu"], draws["cuda"]):
        assert on_gpu(theirs) and ours.tolist() == theirs.tolist()


def test_copy_crosses_devices_and_load_state_dict_from_cpu_works(stand_in):
    gpu = tg.zeros(3, device="cuda")
    gpu.copy_(tg.tensor([1.0, 2.0, 3.0]))
    assert on_gpu(gpu) and gpu.tolist() == [1.0, 2.0, 3.0]
    cpu = tg.zeros(3)
    cpu.copy_(gpu * 2)
    assert cpu.tolist() == [2.0, 4.0, 6.0]
    model = nn.Linear(2, 2).cuda()
    model.load_state_dict(nn.Linear(2, 2).state_dict())
    assert on_gpu(model.weight)


def test_tensor_from_a_gpu_array_stays_on_its_gpu(stand_in):
    array = stand_in.arange(3.0)
    made = tg.tensor(array)
    assert on_gpu(made) and made.tolist() == [0.0, 1.0, 2.0] and made._data is not array
    assert tg.tensor(array, device="cpu").device.type == "cpu"


def test_numpy_and_repr_of_a_gpu_tensor_as_torch(stand_in):
    gpu = tg.tensor([1.0, 2.0], device="cuda")
    message = "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu()"
    with pytest.raises(TypeError, match=re.escape(message)):
        gpu.numpy()
    np.testing.assert_array_equal(gpu.numpy(force=True), [1.0, 2.0])
    assert repr(gpu) == "tensor([1., 2.], device='cuda:0')"
    assert repr(gpu.requires_grad_()) == "tensor([1., 2.], device='cuda:0', requires_grad=True)"


def test_a_second_gpu_is_used_inside_its_context(stand_in):
    second = tg.arange(3.0, device="cuda:1")
    assert second.device == "cuda:1" and second._data.device.id == 1
    moved = tg.ones(3).to("cuda:1")
    assert moved._data.device.id == 1
    with tg.cuda.device(1):
        total = (second * 2 + moved).sum()
    assert total.device == "cuda:1" and total.item() == 9.0
    with pytest.raises(ValueError, match="Array device must be same as the current device"):
        second * 2          # CuPy computes on its current GPU, as here
    assert second.to("cuda:0")._data.device.id == 0


# ----------------------------------------------------------------------------- mixing devices
MIXED_OPS = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: b + a,
    "mul": lambda a, b: a * b,
    "maximum": lambda a, b: a.maximum(b),
    "pow": lambda a, b: a ** b,
    "matmul": lambda a, b: a @ b.T,
    "cat": lambda a, b: tg.cat([a, b]),
    "stack": lambda a, b: tg.stack([a, b]),
    "where_condition": lambda a, b: tg.where(b > 0, a, a),
    "where_values": lambda a, b: tg.where(a > 0, a, b),
    "masked_fill": lambda a, b: a.masked_fill(b > 0, 0.0),
    "gather": lambda a, b: a.gather(1, (b > 0).long()),
    "scatter_add": lambda a, b: a.scatter_add(1, (a > 0).long(), b),
    "einsum": lambda a, b: tg.einsum("ij,ij->i", a, b),
    "mse_loss": lambda a, b: F.mse_loss(a, b),
    "cross_entropy": lambda a, b: F.cross_entropy(a, (b[:, 0] > 0).long()),
    "linear": lambda a, b: F.linear(a, b),
    "add_": lambda a, b: a.add_(b),
    "mul_": lambda a, b: a.mul_(b),
    "setitem": lambda a, b: a.__setitem__(0, b[0]),
}


@pytest.mark.parametrize("name", MIXED_OPS)
@pytest.mark.parametrize("gpu_first", [True, False], ids=["gpu_cpu", "cpu_gpu"])
def test_mixing_devices_raises_torchs_error(name, gpu_first, stand_in):
    cpu = tg.tensor([[0.5, -1.0], [2.0, 3.0]])
    gpu = cpu.cuda()
    a, b = (gpu, cpu) if gpu_first else (cpu, gpu)
    before = a.tolist()
    with pytest.raises(RuntimeError, match=MIXED):
        MIXED_OPS[name](a, b)
    assert a.tolist() == before


def test_a_custom_function_on_two_devices_raises():
    class Plus(tg.autograd.Function):
        def forward(self, x, y):
            return x + y

        def backward(self, grad_output):
            return grad_output, grad_output

    x = tg.ones(2)
    fake = tg.Tensor._wrap(np.ones(2), tg.device("cuda:1"))
    with pytest.raises(RuntimeError, match="found at least two devices, cpu and cuda:1!"):
        Plus.apply(x, fake)


def test_indexing_takes_cpu_indices_but_not_indices_on_another_gpu(stand_in):
    gpu = tg.arange(6.0, device="cuda", requires_grad=True)
    picked = gpu[tg.tensor([4, 0])]
    assert on_gpu(picked) and picked.tolist() == [4.0, 0.0]
    picked.sum().backward()
    assert on_gpu(gpu.grad) and gpu.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    with pytest.raises(RuntimeError, match=re.escape("indices should be either on cpu or on the same device as the "
                                                     "indexed tensor (cpu)")):
        tg.arange(6.0)[tg.tensor([1], device="cuda")]


# ----------------------------------------------------------------------------- every op on the stand-in
@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_core_op_runs_on_the_stand_in(fn, inputs, options, dtype, on_stand_in):
    check(fn, *inputs, dtype=dtype, **options)


def twins(name, *args, **kwargs):
    """torch's layer and ours on the stand-in GPU, in float64, with torch's weights."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    ours.load_state_dict({key: tg.tensor(value.detach().numpy().copy()) for key, value in theirs.state_dict().items()})
    return ours.cuda(), theirs


def as_pair(array):
    return tg.tensor(array, device="cuda", requires_grad=array.dtype.kind == "f"), \
        torch.tensor(array, requires_grad=array.dtype.kind == "f")


def float_tensors(output):
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in float_tensors(item)]
    return [output] if output is not None and output.dtype.is_floating_point else []


def compare_layer(ours, theirs, arrays, call=lambda module, *inputs: module(*inputs)):
    """Outputs, input gradients and parameter gradients of a layer against torch's."""
    pairs = [as_pair(array) for array in arrays]
    our_outputs = float_tensors(call(ours, *[p[0] for p in pairs]))
    their_outputs = float_tensors(call(theirs, *[p[1] for p in pairs]))
    rng = np.random.default_rng(1)
    our_total, their_total = 0, 0
    for mine, torchs in zip(our_outputs, their_outputs, strict=True):
        assert on_gpu(mine)
        np.testing.assert_allclose(to_numpy(mine), to_numpy(torchs), **F64)
        upstream = rng.standard_normal(tuple(torchs.shape))
        our_total = our_total + (mine * tg.tensor(upstream, device="cuda")).sum()
        their_total = their_total + (torchs * torch.tensor(upstream)).sum()
    our_total.backward()
    their_total.backward()
    for (mine, _), (_, torchs) in zip(pairs, pairs):
        if torchs.grad is not None:
            assert on_gpu(mine.grad)
            np.testing.assert_allclose(to_numpy(mine.grad), to_numpy(torchs.grad), **F64)
    their_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert on_gpu(parameter) and on_gpu(parameter.grad), name
        np.testing.assert_allclose(to_numpy(parameter.grad), to_numpy(their_parameters[name].grad), err_msg=name, **F64)


def normal(*shape):
    return np.random.default_rng(0).standard_normal(shape)


LAYERS = [
    ("conv1d", ("Conv1d", 2, 3, 3), dict(padding=1), [normal(2, 2, 5)]),
    ("conv2d", ("Conv2d", 2, 4, 3), dict(stride=2, padding=1), [normal(2, 2, 5, 5)]),
    ("conv2d_groups", ("Conv2d", 4, 4, 3), dict(groups=2, dilation=2, padding="same"), [normal(1, 4, 6, 6)]),
    ("conv_transpose2d", ("ConvTranspose2d", 2, 3, 3), dict(stride=2, padding=1), [normal(1, 2, 4, 4)]),
    ("max_pool2d", ("MaxPool2d", 2), {}, [normal(2, 2, 4, 4)]),
    ("max_pool1d", ("MaxPool1d", 3), dict(stride=2, padding=1), [normal(2, 2, 7)]),
    ("avg_pool2d", ("AvgPool2d", 3), dict(stride=2, padding=1), [normal(1, 2, 5, 5)]),
    ("adaptive_avg_pool2d", ("AdaptiveAvgPool2d", (2, 3)), {}, [normal(1, 2, 5, 7)]),
    ("adaptive_max_pool2d", ("AdaptiveMaxPool2d", 2), {}, [normal(1, 2, 5, 5)]),
    ("batch_norm1d", ("BatchNorm1d", 3), {}, [normal(4, 3)]),
    ("batch_norm2d", ("BatchNorm2d", 2), {}, [normal(2, 2, 3, 3)]),
    ("layer_norm", ("LayerNorm", 4), {}, [normal(2, 3, 4)]),
    ("group_norm", ("GroupNorm", 2, 4), {}, [normal(2, 4, 3)]),
    ("linear", ("Linear", 3, 2), {}, [normal(4, 3)]),
    ("bilinear", ("Bilinear", 3, 2, 4), {}, [normal(5, 3), normal(5, 2)]),
    ("embedding", ("Embedding", 10, 3), {}, [np.array([[1, 2, 9], [0, 2, 2]])]),
    ("rnn", ("RNN", 3, 4), dict(num_layers=2), [normal(5, 2, 3)]),
    ("lstm", ("LSTM", 3, 4), dict(batch_first=True, bidirectional=True), [normal(2, 5, 3)]),
    ("gru", ("GRU", 3, 4), {}, [normal(5, 2, 3)]),
    ("lstm_cell", ("LSTMCell", 3, 4), {}, [normal(2, 3)]),
    ("upsample", ("Upsample",), dict(scale_factor=2), [normal(1, 2, 3, 3)]),
    ("gelu", ("GELU",), {}, [normal(3, 4)]),
    ("softmax", ("Softmax",), dict(dim=1), [normal(3, 4)]),
    ("mish", ("Mish",), {}, [normal(3, 4)]),
]


@pytest.mark.parametrize("spec, kwargs, arrays", [pytest.param(*row[1:], id=row[0]) for row in LAYERS])
def test_layers_run_on_the_stand_in_as_in_torch(spec, kwargs, arrays, stand_in):
    compare_layer(*twins(*spec, **kwargs), arrays)


def test_multihead_attention_with_masks_runs_on_the_stand_in(stand_in):
    ours, theirs = twins("MultiheadAttention", 4, 2, batch_first=True)
    padding = np.array([[False, False, True], [False, False, False]])
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)

    def attend(module, x, key_padding_mask, attn_mask):
        return module(x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
    compare_layer(ours, theirs, [normal(2, 3, 4), padding, causal], attend)


LOSSES = [
    ("mse", "MSELoss", {}, [normal(3, 4), normal(3, 4)]),
    ("l1", "L1Loss", dict(reduction="sum"), [normal(3, 4), normal(3, 4)]),
    ("smooth_l1", "SmoothL1Loss", dict(beta=0.5), [normal(3, 4), 2 * normal(3, 4)]),
    ("huber", "HuberLoss", dict(delta=0.7), [normal(3, 4), 2 * normal(3, 4)]),
    ("bce", "BCELoss", {}, [np.linspace(0.1, 0.9, 6), np.array([0.0, 1.0, 1.0, 0.0, 0.5, 1.0])]),
    ("bce_logits", "BCEWithLogitsLoss", dict(pos_weight=None), [normal(6), np.array([0.0, 1, 1, 0, 0.5, 1])]),
    ("cross_entropy", "CrossEntropyLoss", dict(label_smoothing=0.1), [normal(4, 3), np.array([0, 2, 1, 2])]),
    ("cross_entropy_ignore", "CrossEntropyLoss", dict(ignore_index=1), [normal(2, 3, 4), np.array([[0, 1, 2, 2]] * 2)]),
    ("cross_entropy_probs", "CrossEntropyLoss", {}, [normal(4, 3), np.full((4, 3), 1 / 3)]),
    ("nll", "NLLLoss", dict(reduction="none"), [-np.abs(normal(4, 3)), np.array([0, 2, 1, 2])]),
    ("kl_div", "KLDivLoss", dict(reduction="batchmean"), [-np.abs(normal(3, 4)), np.full((3, 4), 0.25)]),
    ("cosine_embedding", "CosineEmbeddingLoss", dict(margin=0.2), [normal(3, 4), normal(3, 4)[::-1].copy(),
                                                                   np.array([1.0, -1.0, 1.0])]),
    ("margin_ranking", "MarginRankingLoss", dict(margin=0.1), [normal(5), normal(5)[::-1].copy(),
                                                              np.array([1.0, -1, 1, -1, 1])]),
]


@pytest.mark.parametrize("name, kwargs, arrays", [pytest.param(*row[1:], id=row[0]) for row in LOSSES])
def test_losses_run_on_the_stand_in_as_in_torch(name, kwargs, arrays, stand_in):
    compare_layer(*twins(name, **kwargs), arrays)


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict(lr=0.5)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
]


def train_both(name, kwargs, steps, move_after=None):
    """The same model trained by our optimizer on the stand-in GPU and by torch's on the CPU."""
    ours, theirs = twins("Linear", 3, 2)
    if move_after is not None:
        ours.cpu()
    optimizers = getattr(tg.optim, name)(ours.parameters(), **kwargs), getattr(torch.optim, name)(theirs.parameters(),
                                                                                                 **kwargs)
    x = normal(4, 3)
    for step in range(steps):
        if step == move_after:
            ours.cuda()
        for model, optimizer, lib in ((ours, optimizers[0], tg), (theirs, optimizers[1], torch)):
            optimizer.zero_grad()
            inputs = tg.tensor(x).to(ours.weight.device) if lib is tg else torch.tensor(x)
            ((model(inputs) - 1) ** 2).mean().backward()
            optimizer.step()
    for (key, mine), torchs in zip(ours.named_parameters(), theirs.parameters()):
        assert on_gpu(mine), key
        np.testing.assert_allclose(to_numpy(mine), to_numpy(torchs), err_msg=key, **F64)
    return optimizers[0]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[row[0] for row in OPTIMIZERS])
def test_optimizers_step_on_the_stand_in_as_in_torch(name, kwargs, stand_in):
    optimizer = train_both(name, kwargs, steps=3)
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, tg.Tensor) and key not in ("step", "mu_product"):
                assert on_gpu(value), key


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[row[0] for row in OPTIMIZERS])
def test_optimizer_state_follows_a_model_moved_after_some_steps(name, kwargs, stand_in):
    train_both(name, kwargs, steps=4, move_after=2)


def test_module_to_moves_parameters_in_place_so_the_optimizer_keeps_them(stand_in):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    parameters = list(model.parameters())
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    model(tg.randn(5, 3)).sum().backward()
    assert model.to("cuda") is model and list(model.parameters()) == parameters
    assert all(on_gpu(t) for t in [*model.parameters(), *model.buffers()] + [p.grad for p in parameters])
    optimizer.step()
    assert all(p is q for p, q in zip(optimizer.param_groups[0]["params"], parameters))
    model.cpu()
    assert all(t.device.type == "cpu" for t in [*model.parameters(), *model.buffers()])


def test_optimizer_state_loaded_from_the_cpu_lands_on_the_parameters_device(stand_in):
    cpu_model = nn.Linear(2, 2)
    cpu_optimizer = tg.optim.Adam(cpu_model.parameters())
    cpu_model(tg.ones(1, 2)).sum().backward()
    cpu_optimizer.step()
    gpu_model = nn.Linear(2, 2).cuda()
    gpu_optimizer = tg.optim.Adam(gpu_model.parameters())
    gpu_optimizer.load_state_dict(cpu_optimizer.state_dict())
    state = gpu_optimizer.state[gpu_model.weight]
    assert on_gpu(state["exp_avg"]) and state["step"].device.type == "cpu"


# ----------------------------------------------------------------------------- no hidden host round trips
def training_step_syncs(model, x, target, loss_fn, optimizer=tg.optim.Adam):
    model.cuda()
    step = optimizer(model.parameters(), lr=1e-3)
    x, target = x.cuda(), target.cuda()
    for _ in range(2):
        with count_host_syncs() as syncs:
            step.zero_grad()
            loss_fn(model(x), target).backward()
            step.step()
    return syncs()


def test_a_training_step_never_waits_for_the_gpu(stand_in):
    mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8, 2))
    rnn = nn.LSTM(3, 4)
    assert training_step_syncs(mlp, tg.randn(5, 4), tg.randn(5, 1), nn.MSELoss()) == 0
    assert training_step_syncs(cnn, tg.randn(2, 1, 4, 4), tg.randn(2, 2), nn.SmoothL1Loss(), tg.optim.SGD) == 0
    assert training_step_syncs(rnn, tg.randn(5, 2, 3), tg.randn(5, 2, 4), lambda out, y: F.mse_loss(out[0], y)) == 0


def test_class_index_checks_wait_once(stand_in):
    """Out-of-range class indices raise torch's error: CuPy would wrap them silently, so one wait is spent on it."""
    mlp = nn.Linear(4, 3)
    assert training_step_syncs(mlp, tg.randn(5, 4), tg.tensor([0, 1, 2, 0, 1]), nn.CrossEntropyLoss()) == 1
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(tg.randn(2, 3, device="cuda"), tg.tensor([0, 3], device="cuda"))


# ----------------------------------------------------------------------------- DLPack
def test_dlpack_shares_memory_with_numpy_both_ways():
    array = np.arange(4.0)
    tensor = tg.from_dlpack(array)
    tensor[0] = 10.0
    assert array[0] == 10.0 and tensor.dtype == tg.float64
    back = np.from_dlpack(tg.arange(3.0))
    assert back.tolist() == [0.0, 1.0, 2.0]
    ours = tg.zeros(3)
    np.from_dlpack(ours)[1] = 5.0
    assert ours.tolist() == [0.0, 5.0, 0.0] and ours.__dlpack_device__() == (1, 0)


def test_dlpack_shares_memory_with_pytorch_both_ways():
    theirs = torch.arange(4.0)
    ours = tg.from_dlpack(theirs)
    ours[2] = -1.0
    assert theirs.tolist() == [0.0, 1.0, -1.0, 3.0]
    mine = tg.ones(2, 2, dtype=tg.float64)
    shared = torch.from_dlpack(mine)
    shared[0, 0] = 7.0
    assert mine.tolist() == [[7.0, 1.0], [1.0, 1.0]] and shared.dtype == torch.float64


def test_dlpack_refuses_what_torch_refuses():
    message = "Can't export tensors that require gradient, use tensor.detach()"
    with pytest.raises(RuntimeError, match=re.escape(message)):
        np.from_dlpack(tg.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="from_dlpack expects an object with __dlpack__"):
        tg.from_dlpack([1.0, 2.0])


def test_dlpack_of_a_gpu_tensor_names_its_gpu_and_imports_on_it(stand_in):
    gpu = tg.zeros(3, device="cuda")
    assert gpu.__dlpack_device__() == (2, 0)
    shared = tg.from_dlpack(gpu._data)
    assert on_gpu(shared)
    shared[1] = 4.0
    assert gpu.tolist() == [0.0, 4.0, 0.0]


def test_save_from_a_gpu_and_load_onto_one(stand_in, tmp_path):
    model = nn.Linear(2, 3).cuda()
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    loaded = tg.load(tmp_path / "model.safetensors", map_location="cuda")
    assert all(on_gpu(value) for value in loaded.values())
    assert loaded["weight"].tolist() == model.weight.tolist()
    assert tg.load(tmp_path / "model.safetensors")["bias"].device.type == "cpu"
