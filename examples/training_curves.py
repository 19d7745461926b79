"""Each epoch's training loss and test accuracy: a JSON history per framework, and a picture of both.

``fit`` in fashion_mnist_common.py records the history (one list per column, one entry per epoch);
``save_history`` writes it to
``runs/<name>_history.json`` (``runs/<name>_torch_history.json`` for ``--framework torch``), and
``draw_curves`` draws every history of the example found there into ``runs/<name>_curves.svg``:
tinygrad_edu's and, once the same example has also run with ``--framework torch``, PyTorch's beside it.
Drawing needs matplotlib (``pip install -e ".[plot]"``); without it the history is still written.

    >>> history = {"framework": "tinygrad_edu", "epoch": [1, 2], "train_loss": [0.45, 0.34],
    ...            "test_accuracy": [0.85, 0.87], "seconds": [19.0, 38.0]}
    >>> save_history(history, "runs", "fashion_mnist_mlp")
    'runs/fashion_mnist_mlp_history.json'
    >>> draw_curves("runs", "fashion_mnist_mlp")
    'runs/fashion_mnist_mlp_curves.svg'
"""
import json
import os

FRAMEWORKS = {"tinygrad_edu": ("", "tab:blue"), "torch": ("_torch", "tab:orange")}  # file suffix, line colour


def history_path(out, name, framework):
    return os.path.join(out, f"{name}{FRAMEWORKS[framework][0]}_history.json")


def save_history(history, out, name):
    """Write ``history`` (a dict with ``framework`` and the columns above) as JSON; return the path."""
    os.makedirs(out, exist_ok=True)
    path = history_path(out, name, history["framework"])
    with open(path, "w") as file:
        json.dump(history, file, indent=1)
    return path


def load_histories(out, name):
    """The histories of ``name`` in ``out``, tinygrad_edu's first; frameworks without one are left out."""
    histories = []
    for framework in FRAMEWORKS:
        path = history_path(out, name, framework)
        if os.path.exists(path):
            with open(path) as file:
                histories.append(json.load(file))
    return histories


def draw_curves(out, name):
    """Draw the training loss and test accuracy per epoch of every history of ``name``; return the SVG's path.

    Returns None, with a message, when matplotlib is not installed.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print('training curves not drawn: matplotlib is not installed (pip install -e ".[plot]")')
        return None
    from matplotlib.ticker import MaxNLocator
    figure, (loss_axes, accuracy_axes) = pyplot.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    histories = load_histories(out, name)
    for history in histories:
        _plot_history(loss_axes, accuracy_axes, history)
    last_epoch = max((max(history["epoch"], default=1) for history in histories), default=1)
    loss_axes.set(title="training loss (mean over the epoch)", xlabel="epoch", ylabel="cross-entropy")
    accuracy_axes.set(title="test accuracy after the epoch", xlabel="epoch", ylabel="accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.set_xlim(0.5, last_epoch + 0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        if histories:
            axes.legend()
    figure.suptitle(name)
    path = os.path.join(out, f"{name}_curves.svg")
    with matplotlib.rc_context({"svg.hashsalt": name}):  # the same run draws the same file
        figure.savefig(path, metadata={"Date": None})
    pyplot.close(figure)
    return path


def _plot_history(loss_axes, accuracy_axes, history):
    label = f"{history['framework']} ({history['seconds'][-1]:.1f} s)" if history["seconds"] else history["framework"]
    style = {"marker": "o", "color": FRAMEWORKS[history["framework"]][1], "label": label}
    loss_axes.plot(history["epoch"], history["train_loss"], **style)
    accuracy_axes.plot(history["epoch"], history["test_accuracy"], **style)
