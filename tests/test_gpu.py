"""The CUDA path on a real GPU with CuPy: the stand-in's checks (``test_device.py``) repeated for real.

Every test here is marked ``gpu``; the module skips, with the reason, where CuPy is missing
or sees no GPU (``pytest -m gpu`` runs only these). The stand-in proves that no op leaks to
NumPy; these prove that CuPy computes what NumPy does.
"""
import importlib

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from helpers import cases, check, to_numpy
from stand_in_device import forget_loaded_modules
from test_device import LAYERS, LOSSES, OPTIMIZERS, compare_layer, on_gpu, train_both, twins
from test_tensor_ops import ALL_OPS
from tinygrad_edu import nn

pytestmark = pytest.mark.gpu
device_module = importlib.import_module("tinygrad_edu.device")


def real_cupy():
    """CuPy and cupyx when installed with at least one GPU, else the reason to skip."""
    try:
        import cupy
        import cupyx
    except ImportError:
        return None, None, 'CuPy is not installed (pip install -e ".[gpu]")'
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device
        return None, None, f"CuPy sees no GPU: {error}"
    return (cupy, cupyx, None) if count else (None, None, "CuPy sees no GPU")


CUPY, CUPYX, NO_GPU = real_cupy()
if NO_GPU:
    pytest.skip(NO_GPU, allow_module_level=True)


@pytest.fixture
def gpu(monkeypatch):
    """Real CuPy behind device "cuda" (even when the session runs on the stand-in)."""
    cupy, cupyx = CUPY, CUPYX
    monkeypatch.setattr(device_module, "_import_cupy", lambda: cupy)
    monkeypatch.setattr(device_module, "_import_cupyx", lambda: cupyx)
    forget_loaded_modules()
    previous = tg.get_default_device()
    yield cupy
    tg.set_default_device(previous)
    monkeypatch.undo()
    forget_loaded_modules()


@pytest.fixture
def gpu_by_default(gpu):
    tg.set_default_device("cuda")
    yield gpu


def test_cuda_module_sees_the_gpus(gpu):
    assert tg.cuda.is_available() and tg.cuda.device_count() == gpu.cuda.runtime.getDeviceCount()
    tensor = tg.ones(3, device="cuda")
    assert on_gpu(tensor) and isinstance(tensor._data, gpu.ndarray)
    tg.cuda.synchronize()
    assert tensor.cpu().tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_core_op_on_a_gpu(fn, inputs, options, dtype, gpu_by_default):
    check(fn, *inputs, dtype=dtype, **options)


@pytest.mark.parametrize("spec, kwargs, arrays", [pytest.param(*row[1:], id=row[0]) for row in LAYERS])
def test_layers_on_a_gpu(spec, kwargs, arrays, gpu):
    compare_layer(*twins(*spec, **kwargs), arrays)


@pytest.mark.parametrize("name, kwargs, arrays", [pytest.param(*row[1:], id=row[0]) for row in LOSSES])
def test_losses_on_a_gpu(name, kwargs, arrays, gpu):
    compare_layer(*twins(name, **kwargs), arrays)


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[row[0] for row in OPTIMIZERS])
def test_optimizers_on_a_gpu(name, kwargs, gpu):
    train_both(name, kwargs, steps=4, move_after=2)


def test_a_small_convnet_trains_on_a_gpu(gpu):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 3)).cuda()
    optimizer = tg.optim.Adam(model.parameters(), lr=0.05)
    x, y = tg.randn(8, 1, 8, 8, device="cuda"), tg.randint(0, 3, (8,), device="cuda")
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2


def test_dlpack_shares_memory_with_cupy_both_ways(gpu):
    array = gpu.arange(4.0)
    tensor = tg.from_dlpack(array)
    assert on_gpu(tensor) and tensor.device == "cuda:0"
    tensor[0] = 10.0
    assert float(array[0]) == 10.0
    ours = tg.zeros(3, device="cuda")
    gpu.from_dlpack(ours)[1] = 5.0
    assert ours.tolist() == [0.0, 5.0, 0.0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="this PyTorch has no CUDA")
def test_dlpack_shares_memory_with_pytorch_cuda_both_ways(gpu):
    theirs = torch.arange(4.0, device="cuda")
    ours = tg.from_dlpack(theirs)
    ours[2] = -1.0
    assert theirs.tolist() == [0.0, 1.0, -1.0, 3.0]
    shared = torch.from_dlpack(tg.ones(2, device="cuda"))
    assert shared.device.type == "cuda"


def test_results_match_the_cpu_bit_for_bit_where_they_should(gpu):
    tg.manual_seed(0)
    cpu = tg.randn(4, 5, dtype=tg.float64)
    np.testing.assert_array_equal(to_numpy(cpu.cuda()), to_numpy(cpu))
    np.testing.assert_allclose(to_numpy((cpu.cuda() @ cpu.cuda().T).cpu()), to_numpy(cpu @ cpu.T), rtol=1e-12)
