"""The scalar engine at work: an MLP of ``Value``s learns the two-moons data set, as in micrograd's demo.

Every weight, input and intermediate result is one ``tinygrad_edu.Value`` (one float), so the
graph has one node per multiplication or addition: slow, but every step can be followed by hand.
The recipe is micrograd's demo.ipynb: MLP(2, [16, 16, 1]), a max-margin (hinge) loss with labels
-1/+1 plus L2 regularization, full-batch gradient descent with a learning rate decaying from 1.0
to 0.1. The two moons are made with NumPy (no scikit-learn needed).

It also draws the graph of one neuron (micrograd's ``trace_graph`` picture: data and grad of
every node) to runs/neuron_graph.svg, and prints the learned decision boundary as text.

    python examples/micrograd_moons.py
    python examples/micrograd_moons.py --steps 50 --samples 60
"""
import argparse
import os
import random
import sys

import numpy as np

from tinygrad_edu import Value, draw_graph
from tinygrad_edu.scalar import MLP


def make_moons(n_samples=100, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's make_moons): points (n, 2) and labels 0/1 (n,)."""
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    points = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                             np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], 1)])
    labels = np.concatenate([np.zeros(n_outer, dtype=int), np.ones(n_inner, dtype=int)])
    order = rng.permutation(n_samples)
    return points[order] + rng.normal(scale=noise, size=(n_samples, 2)), labels[order]


def loss_and_accuracy(model, points, labels, alpha=1e-4):
    """micrograd's loss: mean hinge loss max(0, 1 - y * score) plus alpha * sum of squared weights."""
    inputs = [list(map(Value, point)) for point in points]
    scores = [model(x) for x in inputs]
    hinge = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(hinge) * (1.0 / len(hinge))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    accuracy = np.mean([(y > 0) == (score.data > 0) for y, score in zip(labels, scores)])
    return data_loss + reg_loss, accuracy


def train(model, points, labels, steps):
    for step in range(steps):
        loss, accuracy = loss_and_accuracy(model, points, labels)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if step % max(steps // 10, 1) == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    return accuracy


def print_decision_boundary(model, points, labels, width=60, height=20):
    """The plane as text: '.'/' ' where the model says -1/+1, 'o'/'x' for the data points."""
    (x_min, y_min), (x_max, y_max) = points.min(0) - 0.25, points.max(0) + 0.25
    grid = [[" " if model([Value(x), Value(y)]).data > 0 else "."
             for x in np.linspace(x_min, x_max, width)] for y in np.linspace(y_max, y_min, height)]
    for (x, y), label in zip(points, labels):
        column = round((x - x_min) / (x_max - x_min) * (width - 1))
        row = round((y_max - y) / (y_max - y_min) * (height - 1))
        grid[row][column] = "x" if label > 0 else "o"
    print("\n".join("|" + "".join(row) + "|" for row in grid))


def draw_one_neuron(path):
    """The graph of o = tanh(x1*w1 + x2*w2 + b), every node labelled, after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    o.backward()
    picture = draw_graph(o)
    try:
        written = picture.render(path, format="svg", cleanup=True)
    except Exception as error:  # graphviz.ExecutableNotFound when Graphviz's dot is missing
        print(f"neuron graph not drawn ({type(error).__name__}): install Graphviz (`apt-get install graphviz`)")
        return None
    print(f"drew one neuron's graph to {written}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100, help="points in the data set (default: 100)")
    parser.add_argument("--steps", type=int, default=100, help="gradient descent steps (default: 100)")
    parser.add_argument("--seed", type=int, default=1337, help="random seed (default: 1337, micrograd's)")
    parser.add_argument("--out", default="runs", help="folder for the neuron's graph (default: runs)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 30 points, 5 steps")
    args = parser.parse_args(argv)
    samples, steps = (30, 5) if args.quick else (args.samples, args.steps)

    random.seed(args.seed)                        # the scalar MLP draws its weights from Python's random
    points, labels = make_moons(samples, noise=0.1, seed=args.seed)
    labels = labels * 2 - 1                       # -1 / +1 for the hinge loss
    model = MLP(2, [16, 16, 1])
    print(f"MLP(2, [16, 16, 1]): {len(model.parameters())} parameters, {samples} points")
    accuracy = train(model, points, labels, steps)
    print_decision_boundary(model, points, labels)
    os.makedirs(args.out, exist_ok=True)
    draw_one_neuron(os.path.join(args.out, "neuron_graph"))
    return accuracy


if __name__ == "__main__":
    main(sys.argv[1:])
