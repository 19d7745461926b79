"""``benchmarks/run.py`` on the CuPy stand-in (``tests/stand_in_device.py``): the GPU code path of
the benchmarks, checked on a machine without a GPU. Takes run.py's options; its timings mean nothing.

    python benchmarks/stand_in_run.py --device cuda --workloads mlp,resnet --quick
"""
import importlib.util
import os
import sys

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPOSITORY, os.path.join(REPOSITORY, "tests")]

from stand_in_device import install  # noqa: E402


def load_runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", os.path.join(REPOSITORY, "benchmarks", "run.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner


if __name__ == "__main__":
    install(pytest.MonkeyPatch())
    load_runner().main(sys.argv[1:])
