"""Shared test settings: PyTorch, the oracle, runs single-threaded (tiny tensors are faster that way),
and every test starts from the same random state in both libraries, whichever tests ran before it in
its worker (so a draw that lands near a tolerance cannot come and go between runs)."""
import pytest
import torch

import tinygrad_edu

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def same_random_state_for_every_test():
    tinygrad_edu.manual_seed(0)
    torch.manual_seed(0)


def pytest_addoption(parser):
    parser.addoption("--device", default=None, choices=("cpu", "stand_in", "cuda"),
                     help="where tests put tensors by default: cpu, stand_in (a strict CuPy stand-in: the GPU "
                          "code path without a GPU) or cuda (real CuPy on a GPU); also TINYGRAD_EDU_TEST_DEVICE")
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="how many random programs tests/test_fuzz.py compares with PyTorch (default: a few hundred)")


def _test_device(config):
    import os
    return config.getoption("--device") or os.environ.get("TINYGRAD_EDU_TEST_DEVICE") or "cpu"


def pytest_configure(config):
    device = _test_device(config)
    if device == "stand_in":
        from stand_in_device import run_suite_on_stand_in
        run_suite_on_stand_in()
    elif device == "cuda":
        if not tinygrad_edu.cuda.is_available():
            raise pytest.UsageError('--device cuda needs CuPy and a GPU (pip install "tinygrad-edu[gpu]"); '
                                    "--device stand_in runs the same code path without one")
        from stand_in_device import run_suite_on_cuda
        run_suite_on_cuda()


def pytest_collection_modifyitems(config, items):
    if _test_device(config) in ("stand_in", "cuda"):
        from stand_in_device import skip_cpu_only_tests
        skip_cpu_only_tests(items)
