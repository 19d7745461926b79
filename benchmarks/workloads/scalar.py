"""The scalar engine against micrograd: a training step of MLP(2, [16, 16, 1]) over 100 points.

This is micrograd's demo: two interleaving half moons, a max-margin loss
``mean(relu(1 - y * score))`` plus L2 regularisation, backward, and an SGD update of
every parameter. Both engines build the same graph (about 40,000 nodes) from the same
weights: ``random.seed`` before each model makes their initial weights identical.
"""
import math
import random

import numpy

from benchmarks.workloads.common import Case, require

NAME = "scalar"
TITLE = "scalar engine: MLP(2,[16,16,1]) step over 100 points"
UNIT = "ms/step"
FRAMEWORKS = ("tinygrad_edu", "micrograd")
DEVICES = ("cpu",)
LEARNING_RATE = 0.05
REGULARISATION = 1e-4


def sizes(quick):
    if quick:
        return [{"label": "MLP(2,[4,4,1]), 10 points (tiny)", "points": 10, "layers": [4, 4, 1]}]
    return [{"label": "MLP(2,[16,16,1]), 100 points", "points": 100, "layers": [16, 16, 1]}]


def moons(points, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's make_moons) as Python floats; labels are -1 and 1."""
    rng = numpy.random.default_rng(seed)
    upper = points // 2
    angles = numpy.concatenate([numpy.linspace(0, math.pi, upper), numpy.linspace(0, math.pi, points - upper)])
    xs = numpy.where(numpy.arange(points) < upper, numpy.cos(angles), 1 - numpy.cos(angles))
    ys = numpy.where(numpy.arange(points) < upper, numpy.sin(angles), 0.5 - numpy.sin(angles))
    coordinates = numpy.stack([xs, ys], axis=1) + rng.normal(0, noise, (points, 2))
    labels = numpy.where(numpy.arange(points) < upper, -1.0, 1.0)
    return coordinates.tolist(), labels.tolist()


def engine(framework):
    """The Value class and the MLP class of ``framework``."""
    if framework == "micrograd":
        require("micrograd")
        from micrograd.engine import Value
        from micrograd.nn import MLP
        return Value, MLP
    require("tinygrad_edu")
    from tinygrad_edu.scalar import MLP, Value
    return Value, MLP


def training_step(framework, size):
    """A function doing one training step (returns the loss Value), and the model's parameters."""
    Value, MLP = engine(framework)
    random.seed(0)
    model = MLP(2, size["layers"])
    parameters = model.parameters()
    coordinates, labels = moons(size["points"])

    def step():
        model.zero_grad()
        scores = [model([Value(x), Value(y)]) for x, y in coordinates]
        losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + REGULARISATION * sum(p * p for p in parameters)
        loss.backward()
        for p in parameters:
            p.data -= LEARNING_RATE * p.grad
        return loss
    return step, parameters


def build(framework, size, device):
    step, _ = training_step(framework, size)
    return Case(step)


def gradients(framework, size):
    """The loss and every parameter's gradient after one step, as a NumPy array."""
    step, parameters = training_step(framework, size)
    loss = step()
    return {"loss": numpy.array(loss.data), "parameters": numpy.array([p.grad for p in parameters])}
