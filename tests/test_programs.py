"""Complete PyTorch programs in the style of the official examples and the popular tutorials
(``tests/programs/``), each run twice through one import switch (``tests/run_program.py``): as written,
on torch, and with ``torch``/``torchvision`` resolved to tinygrad_edu. Each prints ``RESULT {json}``;
the two results are compared: exactly where the program is deterministic, within a band where it
draws random numbers (the two libraries' generators differ), and on the goal where training is noisy."""
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def same(key, rtol=1e-6, atol=0.0):
    """Equal values (numbers within tolerance; anything else exactly)."""
    def check(ours, theirs):
        if isinstance(theirs[key], (int, float)) and not isinstance(theirs[key], bool):
            assert ours[key] == pytest.approx(theirs[key], rel=rtol, abs=atol), key
        else:
            assert ours[key] == theirs[key], key
    return check


def near(key, within):
    """Within ``within`` of torch's value: the same recipe from other random numbers."""
    def check(ours, theirs):
        assert abs(ours[key] - theirs[key]) <= within, (key, ours[key], theirs[key])
    return check


def both(description, predicate):
    """Both runs reach the program's goal."""
    def check(ours, theirs):
        assert predicate(theirs), ("torch", description, theirs)
        assert predicate(ours), ("tinygrad_edu", description, ours)
    return check


PROGRAMS = {
    "micrograd_sanity": [same("sanity", rtol=1e-12), same("more_ops")],
    "custom_function": [same("loss", rtol=1e-4), same("b", rtol=1e-4), same("d", rtol=1e-4)],
    "boilerplate": [same(key) for key in ("device", "params", "keys", "shown", "is_float", "label_type",
                                          "weights", "grad_shape")],
    "polynomial_nn": [near("loss", 1.0), near("b", 0.01), near("d", 0.005)],
    "checkpoint": [same("epoch"), same("loss"), both("resumed exactly", lambda r: r["resumed_exactly"])],
    "validation_split": [same("seen"), same("train_batches"), both("separable", lambda r: r["val_accuracy"] > 0.95)],
    "mnist_cnn": [same("lr"), near("accuracy", 0.1), both("learns", lambda r: r["accuracy"] > 0.6)],
    "quickstart": [same("actual"), near("accuracy", 0.1), both("reloads", lambda r: r["reloaded_accuracy"] == r["accuracy"])],
    "vae": [same("sample_shape"), near("loss", 0.1 * 430)],
    "gan": [both("generator near N(4, 1.25)", lambda r: abs(r["mean"] - 4) < 1.0 and 0.3 < r["std"] < 2.5)],
    "char_lstm": [both("learns the sentence", lambda r: r["loss"] < 0.5 and r["sample"].startswith("the "))],
    "transformer_lm": [both("learns the cycle", lambda r: r["last_loss"] < 0.2 * r["first_loss"] and r["accuracy"] > 0.9)],
    "reinforce": [both("walks right sooner", lambda r: r["last_lengths"] < 0.6 * r["first_lengths"])],
    "lbfgs_sine": [same("prediction_shape"), both("fits the waves", lambda r: r["train_loss"] < 0.02)],
    "word_lm": [near("best_val_loss", 0.15), same("uniform"),
                both("better than uniform; reloads", lambda r: r["best_val_loss"] < r["uniform"] - 0.1
                     and r["reloaded_val_loss"] == pytest.approx(r["best_val_loss"]))],
    "attention_copy": [same("weights_shape"), both("reverses", lambda r: r["accuracy"] > 0.9)],
    "cifar_style": [same("lr", atol=1e-12), both("trains", lambda r: r["last_loss"] < r["first_loss"] + 0.05)],
}
NEEDS_DATA = {"mnist_cnn", "quickstart", "vae"}


@pytest.fixture(autouse=True)
def on_the_cpu_only(request):
    """The programs run in processes of their own, on the CPU: a pass on another device would repeat them."""
    if (request.config.getoption("--device") or os.environ.get("TINYGRAD_EDU_TEST_DEVICE", "cpu")) != "cpu":
        pytest.skip("the programs run in their own processes on the CPU, whatever the suite's device")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """Fashion-MNIST as torchvision leaves a downloaded MNIST: ``<root>/MNIST/raw`` (and FashionMNIST)."""
    if not FASHION_MNIST.is_dir():
        pytest.skip(f"{FASHION_MNIST} is missing (Debian's dataset-fashion-mnist package)")
    root = tmp_path_factory.mktemp("data")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for packed in FASHION_MNIST.glob("*.gz"):
        with gzip.open(packed) as source, open(raw / packed.stem, "wb") as target:
            shutil.copyfileobj(source, target)
    (root / "FashionMNIST").symlink_to(root / "MNIST")
    return root


def run(framework, name, data_root, folder):
    folder.mkdir()
    environment = dict(os.environ, PROGRAM_DATA=str(data_root or ""), OMP_NUM_THREADS="1",
                       OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(HERE / "run_program.py"), framework,
                             str(HERE / "programs" / f"{name}.py")],
                            cwd=folder, env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{framework} {name}:\n{result.stderr[-3000:]}"
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def test_every_program_has_its_checks():
    assert sorted(PROGRAMS) == sorted(path.stem for path in (HERE / "programs").glob("*.py"))
    assert len(PROGRAMS) >= 15


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_runs_on_both_with_only_the_import_changed(name, request, tmp_path):
    data_root = request.getfixturevalue("data_root") if name in NEEDS_DATA else None
    theirs = run("torch", name, data_root, tmp_path / "torch")
    ours = run("tinygrad_edu", name, data_root, tmp_path / "tinygrad_edu")
    for check in PROGRAMS[name]:
        check(ours, theirs)


def test_the_switch_resolves_torchs_module_paths():
    program = ("import sys; sys.argv = ['x']\n"
               "import torch, torch.nn.functional as F\n"
               "from torch.utils.data.sampler import SubsetRandomSampler\n"
               "from torchvision import datasets, transforms\n"
               "import tinygrad_edu\n"
               "assert torch is tinygrad_edu and F is tinygrad_edu.nn.functional\n"
               "assert SubsetRandomSampler is tinygrad_edu.utils.data.SubsetRandomSampler\n"
               "assert datasets is tinygrad_edu.datasets\n"
               "print('RESULT {}')\n")
    path = HERE / "programs" / "_switch_check.py"
    try:
        path.write_text(program)
        result = subprocess.run([sys.executable, str(HERE / "run_program.py"), "tinygrad_edu", str(path)],
                                capture_output=True, text=True, timeout=120)
    finally:
        path.unlink()
    assert result.returncode == 0, result.stderr
