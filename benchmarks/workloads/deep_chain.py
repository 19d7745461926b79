"""Backward through a deep chain: ``y = tanh(tanh(...tanh(x)))``, 10^4, 10^5 and 10^6 ops deep.

Only the backward pass is timed (building the chain is untimed setup); the result is
microseconds per node, so a walk that is linear in depth shows the same number at
every depth. A recursive walk (micrograd's) cannot go this deep at all.
"""
import numpy

from benchmarks.workloads.common import Case, require, tensor

NAME = "deep_chain"
TITLE = "backward through a deep tanh chain"
UNIT = "us/node"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu",)
MAX_REPEATS = 3


def sizes(quick):
    depths = (100, 1_000) if quick else (10_000, 100_000, 1_000_000)
    return [{"label": f"depth {depth:.0e}".replace("e+0", "e"), "depth": depth} for depth in depths]


def build(framework, size, device):
    lib = require(framework, device)
    depth = size["depth"]
    if framework == "numpy":
        return _hand_written_case(depth)
    graph = {}

    def setup(depth=depth):
        y = tensor(lib, numpy.array([0.5], numpy.float32), requires_grad=True)
        for _ in range(depth):
            y = y.tanh()
        graph["output"] = y

    def run():
        graph["output"].backward(tensor(lib, numpy.array([1.0], numpy.float32)))
    setup(depth=10)
    run()  # a short chain first: a framework's first backward may load code lazily (torch does)
    return Case(run, setup=setup, teardown=graph.clear, per=depth)


def _hand_written_case(depth):
    """The chain's forward values stored by hand; backward multiplies by 1 - tanh² node by node."""
    outputs = []

    def setup():
        y = numpy.array([0.5], numpy.float32)
        for _ in range(depth):
            y = numpy.tanh(y)
            outputs.append(y)

    def run():
        grad = numpy.array([1.0], numpy.float32)
        for y in reversed(outputs):
            grad = grad * (1 - y * y)
        return grad
    return Case(run, setup=setup, teardown=outputs.clear, per=depth)
