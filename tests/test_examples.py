"""Smoke tests of examples/: each script runs in-process (its ``main(argv)``) with ``--quick`` on tiny data.

These check that the examples run end to end and write what they promise, not how well they
learn: the accuracies they reach with their default settings are recorded in examples/README.md.
"""
import importlib
import json
import os
import pathlib
import sys

import pytest

import tinygrad_edu as tg
import stand_in_device

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
SCRIPTS = ["neuron", "micrograd_moons", "xor", "fashion_mnist_mlp", "fashion_mnist_cnn", "fashion_mnist_rnn",
           "keras_style", "seq2seq_attention", "compare_with_pytorch"]
needs_fashion_mnist = pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                                         reason="needs Debian's dataset-fashion-mnist")


@pytest.fixture
def stand_in_gpu(monkeypatch):
    """``device("cuda")`` backed by the strict CuPy stand-in of tests/stand_in_device.py."""
    stand_in_device.install(monkeypatch)
    yield
    monkeypatch.undo()
    stand_in_device.forget_loaded_modules()


def example(name):
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    return importlib.import_module(name)


def has_dot():
    return any(os.access(os.path.join(folder, "dot"), os.X_OK) for folder in os.environ["PATH"].split(os.pathsep))


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        example(name).main(["--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_neuron_three_ways_agree():
    neuron_output, network_output = example("neuron").main([])
    assert 0 < neuron_output < 1 and 0 < network_output < 1


def test_neuron_is_reproducible():
    assert example("neuron").main(["--seed", "3"]) == example("neuron").main(["--seed", "3"])


def test_xor_learns():
    assert example("xor").main(["--epochs", "1500"]) == 1.0


def test_micrograd_moons(tmp_path, capsys):
    accuracy = example("micrograd_moons").main(["--quick", "--out", str(tmp_path)])
    assert 0 <= accuracy <= 1
    output = capsys.readouterr().out
    assert "step   4" in output and "|" in output
    if has_dot():
        assert (tmp_path / "neuron_graph.svg").exists()


def test_make_moons_shapes():
    points, labels = example("micrograd_moons").make_moons(7, seed=1)
    assert points.shape == (7, 2) and sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1, 1]


def test_keras_style_summary(capsys):
    model = example("keras_style").main([])
    output = capsys.readouterr().out
    assert "Total params: 7,605,145" in output
    assert "[-1, 81, 9]" in output
    assert sum(p.numel() for p in model.parameters()) == 7_605_145


@pytest.mark.parametrize("argv", [["--task", "reverse"], ["--task", "sort", "--cell", "lstm", "--length", "5"]])
def test_seq2seq_attention(argv, capsys):
    small = ["--batch-size", "16", "--hidden-size", "16"]
    digit_accuracy, sequence_accuracy = example("seq2seq_attention").main(["--quick", *small, *argv])
    assert 0 <= sequence_accuracy <= digit_accuracy <= 1
    assert "attention (rows" in capsys.readouterr().out


def test_seq2seq_shapes():
    module = example("seq2seq_attention")
    tg.manual_seed(0)
    model = module.Seq2Seq("gru", embedding_dim=8, hidden_size=8, num_heads=2)
    inputs, targets = module.make_batch(__import__("numpy").random.default_rng(0), 3, 4, "reverse")
    assert targets.tolist() == [row[::-1] for row in inputs.tolist()]
    assert model(inputs, targets).shape == (3, 4, module.DIGITS)
    predictions, attention = model.generate(inputs)
    assert predictions.shape == (3, 4) and attention.shape == (3, 4, 4)


@needs_fashion_mnist
@pytest.mark.parametrize("name, extra", [
    ("fashion_mnist_mlp", []),
    ("fashion_mnist_cnn", []),
    ("fashion_mnist_rnn", ["--cell", "gru", "--hidden-size", "16"]),
])
def test_fashion_mnist_quick(name, extra, tmp_path, capsys):
    accuracy = example(name).main(["--quick", "--no-progress", "--out", str(tmp_path), *extra])
    assert 0 <= accuracy <= 1
    assert "test accuracy" in capsys.readouterr().out
    weights = next(tmp_path.glob("*.safetensors"))
    model_state = tg.load(str(weights))
    assert all(isinstance(tensor, tg.Tensor) for tensor in model_state.values())
    if has_dot():
        graph = next(tmp_path.glob("*_graph.svg"))
        assert "<title>loss</title>" in graph.read_text() and not list(tmp_path.glob("*_graph"))  # no DOT file left
    history = json.loads(next(tmp_path.glob("*_history.json")).read_text())
    assert history["framework"] == "tinygrad_edu" and history["epoch"] == [1] and history["threads"] == 1
    assert history["test_accuracy"] == [accuracy] and len(history["train_loss"]) == len(history["seconds"]) == 1
    if importlib.util.find_spec("matplotlib"):
        assert next(tmp_path.glob("*_curves.svg")).stat().st_size > 0


@needs_fashion_mnist
def test_fashion_mnist_mlp_in_torch(tmp_path, capsys):
    pytest.importorskip("torch")
    accuracy = example("fashion_mnist_mlp").main(["--quick", "--no-progress", "--framework", "torch",
                                                  "--threads", "1", "--out", str(tmp_path)])
    assert 0 <= accuracy <= 1
    assert (tmp_path / "fashion_mnist_mlp_torch.pt").exists()
    history = json.loads((tmp_path / "fashion_mnist_mlp_torch_history.json").read_text())
    assert history["framework"] == "torch" and history["test_accuracy"] == [accuracy]


def test_fashion_mnist_models_match_torch_shapes():
    torch = pytest.importorskip("torch")
    for name, builder in example("compare_with_pytorch").MODELS.items():
        ours, theirs = builder(tg.nn), builder(torch.nn)
        assert list(ours.state_dict()) == list(theirs.state_dict()), name
        assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()], name


def test_compare_with_pytorch_agrees():
    pytest.importorskip("torch")
    worst = example("compare_with_pytorch").main(["--quick"])
    assert set(worst) == {"mlp", "gru"}
    assert max(worst.values()) < 1e-10


@needs_fashion_mnist
@pytest.mark.parametrize("name", ["fashion_mnist_mlp", "fashion_mnist_cnn", "fashion_mnist_rnn"])
def test_fashion_mnist_on_the_gpu_code_path(name, stand_in_gpu, tmp_path):
    """``--device cuda`` on the CuPy stand-in (tests/stand_in_device.py): no array leaks to the host."""
    argv = ["--quick", "--no-progress", "--device", "cuda", "--out", str(tmp_path)]
    accuracy = example(name).main(argv + (["--hidden-size", "16"] if name.endswith("rnn") else []))
    assert 0 <= accuracy <= 1
    assert next(tmp_path.glob("*.safetensors")).stat().st_size > 0


def make_history(framework, losses, accuracies):
    epochs = list(range(1, len(losses) + 1))
    return {"framework": framework, "epoch": epochs, "train_loss": losses, "test_accuracy": accuracies,
            "seconds": [10.0 * epoch for epoch in epochs]}


def test_training_curves_draw_every_framework_found(tmp_path):
    pytest.importorskip("matplotlib")
    curves = example("training_curves")
    assert curves.draw_curves(str(tmp_path), "net") == str(tmp_path / "net_curves.svg")  # no history yet: empty axes
    theirs = make_history("torch", [0.6, 0.4, 0.35], [0.82, 0.86, 0.87])
    ours = make_history("tinygrad_edu", [0.5, 0.4], [0.84, 0.86])
    assert curves.save_history(theirs, str(tmp_path), "net") == str(tmp_path / "net_torch_history.json")
    assert curves.save_history(ours, str(tmp_path), "net") == str(tmp_path / "net_history.json")
    assert curves.load_histories(str(tmp_path), "net") == [ours, theirs]
    path = curves.draw_curves(str(tmp_path), "net")
    svg = pathlib.Path(path).read_text()
    assert svg.startswith("<?xml") and svg.count("<svg") == 1
    assert curves.draw_curves(str(tmp_path), "net") == path and pathlib.Path(path).read_text() == svg  # same again


def test_training_curves_without_matplotlib_say_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    curves = example("training_curves")
    curves.save_history(make_history("tinygrad_edu", [0.5], [0.8]), str(tmp_path), "net")
    assert curves.draw_curves(str(tmp_path), "net") is None
    assert 'matplotlib is not installed (pip install -e ".[plot]")' in capsys.readouterr().out
    assert os.listdir(tmp_path) == ["net_history.json"]


def test_threads_limit_numpys_blas_and_refuse_zero(capsys):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    threads = example("threads")
    parser = __import__("argparse").ArgumentParser()
    threads.add_threads_option(parser)
    assert parser.parse_args([]).threads == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["--threads", "0"])
    assert "must be at least 1, got 0" in capsys.readouterr().err
    with threadpoolctl.threadpool_limits(limits=None):  # restores the limits when done
        threads.use_threads(1)
        blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
