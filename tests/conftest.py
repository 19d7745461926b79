"""Shared test settings: PyTorch, the oracle, runs single-threaded (tiny tensors are faster that way)."""
import torch

torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--device", default=None, choices=("cpu", "stand_in"),
                     help="where tests put tensors by default: cpu, or stand_in (a strict CuPy stand-in: the GPU "
                          "code path without a GPU); also TINYGRAD_EDU_TEST_DEVICE")


def _on_stand_in(config):
    import os
    return (config.getoption("--device") or os.environ.get("TINYGRAD_EDU_TEST_DEVICE")) == "stand_in"


def pytest_configure(config):
    if _on_stand_in(config):
        from stand_in_device import run_suite_on_stand_in
        run_suite_on_stand_in()


def pytest_collection_modifyitems(config, items):
    if _on_stand_in(config):
        from stand_in_device import skip_cpu_only_tests
        skip_cpu_only_tests(items)
