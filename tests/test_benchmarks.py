"""The benchmark suite runs, writes its JSON, and its hand-written NumPy baselines compute the same math.

No timings are checked here: only that ``benchmarks/run.py --quick`` works end to end on
tiny sizes, and that every framework a workload compares gets the same gradients.
"""
import importlib.util
import json
import os
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from stand_in_device import stand_in  # noqa: F401

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPOSITORY)

from benchmarks.workloads import WORKLOADS, cnn, lstm, matmul, mlp, per_op, resnet, scalar  # noqa: E402
from benchmarks.workloads.common import host, load_weights, training_case  # noqa: E402

ROW_KEYS = {"workload", "title", "size", "device", "framework", "unit", "median", "min", "max", "samples", "ratios",
            "ratios_of_minimums"}


def load_runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", os.path.join(REPOSITORY, "benchmarks", "run.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "results.json"
    document = load_runner().main(["--quick", "--workloads", "per_op,mlp,deep_chain", "--json", str(path)])
    return document, path


def test_quick_run_writes_the_document_it_returns(quick_run):
    document, path = quick_run
    assert json.loads(path.read_text()) == json.loads(json.dumps(document))
    assert {"meta", "results", "skipped", "targets"} <= set(document)
    assert {"date", "cpu", "cores", "threads_per_library", "versions", "load_average_start",
            "load_average_end"} <= set(document["meta"])


def test_quick_run_has_one_row_per_workload_size_and_framework(quick_run):
    document, _ = quick_run
    rows = document["results"]
    assert [reason for reason in document["skipped"] if reason["framework"] in ("tinygrad_edu", "numpy")] == []
    measured = {(row["workload"], row["size"], row["framework"]) for row in rows}
    assert len(measured) == len(rows)
    for row in rows:
        assert ROW_KEYS <= set(row)
        assert len(row["samples"]) == 1 and row["min"] <= row["median"] <= row["max"]
        assert row["device"] == "cpu"
    assert {row["workload"] for row in rows} == {"per_op", "mlp", "deep_chain"}
    assert {"tinygrad_edu", "numpy"} <= {row["framework"] for row in rows}
    numpy_row = next(row for row in rows if row["framework"] == "numpy")
    assert numpy_row["ratios"]["numpy"] == pytest.approx(1.0)


def test_quick_run_evaluates_every_target(quick_run):
    document, _ = quick_run
    targets = document["targets"]
    assert all({"target", "goal", "measured", "met"} <= set(target) for target in targets)
    by_name = {target["target"]: target for target in targets}
    assert by_name["per-op overhead (fwd+bwd)"]["met"] in (True, False)
    assert by_name["scalar engine vs micrograd"]["met"] is None  # not run here


def test_device_cuda_is_skipped_with_a_message_without_a_gpu(tmp_path, capsys):
    if tg.cuda.is_available():
        pytest.skip("a GPU is present")
    document = load_runner().main(["--quick", "--device", "cuda", "--workloads", "matmul", "--json",
                                   str(tmp_path / "results.json")])
    assert document["results"] == []
    assert document["skipped"] == [{"device": "cuda", "reason": "tinygrad_edu.cuda.is_available() is False "
                                                                "(no CuPy or no GPU)"}]
    assert "skipping --device cuda: tinygrad_edu.cuda.is_available() is False" in capsys.readouterr().out


def test_device_cuda_measures_cpu_and_gpu_side_by_side(stand_in, tmp_path, capsys):  # noqa: F811
    document = load_runner().main(["--quick", "--device", "cuda", "--workloads", "mlp", "--frameworks",
                                   "tinygrad_edu,numpy", "--json", str(tmp_path / "results.json")])
    measured = {(row["framework"], row["device"]) for row in document["results"]}
    assert measured == {(framework, device) for framework in ("tinygrad_edu", "numpy") for device in ("cpu", "cuda")}
    assert "CPU against GPU" in capsys.readouterr().out


def test_resnet_runs_on_the_cuda_code_path(stand_in, tmp_path):  # noqa: F811
    document = load_runner().main(["--quick", "--device", "cuda", "--workloads", "resnet", "--frameworks",
                                   "tinygrad_edu", "--json", str(tmp_path / "results.json")])
    assert {row["device"] for row in document["results"]} == {"cpu", "cuda"}


def test_unknown_workload_is_refused():
    with pytest.raises(SystemExit):
        load_runner().parse_arguments(["--workloads", "nothing"])


def test_every_workload_describes_itself():
    for name, workload in WORKLOADS.items():
        assert workload.NAME == name and workload.UNIT.split("/")[0] in ("ms", "us", "MiB")
        assert workload.sizes(quick=True) and workload.sizes(quick=False)
        assert hasattr(workload, "build") or hasattr(workload, "measure")


@pytest.mark.parametrize("workload", [per_op, mlp, cnn, lstm, matmul], ids=lambda module: module.NAME)
def test_numpy_by_hand_computes_the_gradients_tinygrad_edu_and_torch_compute(workload):
    size = workload.sizes(quick=True)[0]
    by_hand = workload.gradients("numpy", size)
    ours = workload.gradients("tinygrad_edu", size)
    theirs = workload.gradients("torch", size)
    assert set(by_hand) == set(ours) == set(theirs)
    for name in by_hand:
        np.testing.assert_allclose(by_hand[name], ours[name], rtol=1e-7, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(by_hand[name], theirs[name], rtol=1e-7, atol=1e-9, err_msg=name)


def test_cnn_by_hand_matches_on_a_larger_odd_batch():
    size = {"label": "test", "batch": 3, "image": 12, "channels": (3, 4)}
    by_hand, ours = cnn.gradients("numpy", size), cnn.gradients("tinygrad_edu", size)
    for name in by_hand:
        np.testing.assert_allclose(by_hand[name], ours[name], rtol=1e-7, atol=1e-9, err_msg=name)


def test_scalar_engine_and_micrograd_train_the_same_model():
    pytest.importorskip("micrograd")
    size = scalar.sizes(quick=True)[0]
    ours, theirs = scalar.gradients("tinygrad_edu", size), scalar.gradients("micrograd", size)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-12)
    np.testing.assert_allclose(ours["parameters"], theirs["parameters"], rtol=1e-9, atol=1e-12)


RETAINED_PAGE_FAULTS = """
import importlib.util, resource, sys
import numpy
spec = importlib.util.spec_from_file_location("benchmarks_run", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
if sys.argv[2] == "retain":
    runner.retain_freed_memory()

def step():  # four 8 MiB temporaries alive at once, then all dropped
    arrays = [numpy.ones(2 ** 20) for _ in range(4)]
    del arrays

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_retain_freed_memory_stops_the_page_faults_of_reused_temporaries():
    """--retain-freed-memory: large temporaries made again every step reuse the heap's pages."""
    import subprocess
    runner_path = os.path.join(REPOSITORY, "benchmarks", "run.py")
    faults = {mode: int(subprocess.run([sys.executable, "-c", RETAINED_PAGE_FAULTS, runner_path, mode],
                                       capture_output=True, text=True, check=True).stdout)
              for mode in ("default", "retain")}
    pages_made = 20 * 4 * 2 ** 23 // 4096
    assert faults["retain"] < pages_made // 100, faults
    assert faults["default"] > faults["retain"], faults


def test_retain_freed_memory_says_when_malloc_refuses(monkeypatch):
    runner = load_runner()

    class RefusingLibc:
        def mallopt(self, option, value):
            return 0

    monkeypatch.setattr(runner.ctypes, "CDLL", lambda name: RefusingLibc())
    with pytest.raises(RuntimeError, match="mallopt refused the thresholds: is this glibc\\?"):
        runner.retain_freed_memory()


def test_resnet_workload_gets_torch_s_gradients():
    size = resnet.sizes(quick=True)[0]
    ours, theirs = resnet.gradients("tinygrad_edu", size), resnet.gradients("torch", size)
    assert set(ours) == set(theirs) and "layer2.0.shortcut.0.weight" in ours
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-7, atol=1e-9, err_msg=name)


def test_resnet_workload_trains_with_momentum_like_torch():
    """Three SGD-with-momentum steps leave the same weights and BatchNorm running statistics."""
    import torch
    size = resnet.sizes(quick=True)[0]
    params, inputs, labels = resnet.make(size, np.float64)
    states = []
    for lib in (tg, torch):
        network = load_weights(lib, resnet.model(lib.nn, size), params, "cpu", np.float64)
        case = training_case(lib, network, inputs, labels, "cpu", momentum=resnet.MOMENTUM)
        for _ in range(3):
            case.run()
        states.append({name: host(value) for name, value in network.state_dict().items()})
    ours, theirs = states
    assert set(ours) == set(theirs) == set(params)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-7, atol=1e-9, err_msg=name)
    assert not np.allclose(ours["fc.weight"], params["fc.weight"])
