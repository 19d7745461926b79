"""Deep graphs need no recursion, and training loops do not leak memory."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg


def chain(depth):
    """x + 1 + 1 + ... (``depth`` additions): a graph ``depth`` nodes deep."""
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + 1.0
    return x, y


def test_backward_through_a_1_000_000_op_chain():
    x, y = chain(1_000_000)
    y.backward(tg.tensor([2.0]))
    assert y.item() == 1_000_001.0 and x.grad.tolist() == [2.0]
    del y
    gc.collect()


def test_deep_chain_through_autograd_grad_and_dropping_an_unused_graph():
    x = tg.tensor([0.5], dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    grad, = tg.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(grad.numpy(), [1.0001 ** 20_000], rtol=1e-9)
    unused = x
    for _ in range(20_000):
        unused = unused.tanh()
    del unused
    gc.collect()


class TinyModel:
    """Two dense layers trained with plain SGD, built from Tensor ops only."""

    def __init__(self, rng):
        self.w1 = tg.tensor(rng.standard_normal((4, 16)) * 0.5, requires_grad=True)
        self.b1 = tg.zeros(16, dtype=tg.float64, requires_grad=True)
        self.w2 = tg.tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True)

    def step(self, x, target, lr=0.01):
        hidden = (x @ self.w1 + self.b1).relu()
        loss = ((hidden @ self.w2 - target) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            for parameter in (self.w1, self.b1, self.w2):
                parameter.sub_(lr * parameter.grad)
                parameter.grad = None
        return loss.item()


def test_training_loop_memory_stays_flat():
    rng = np.random.default_rng(0)
    model = TinyModel(rng)
    x, target = tg.tensor(rng.standard_normal((8, 4))), tg.tensor(rng.standard_normal((8, 1)))
    traced = {}
    tracemalloc.start()
    try:
        for iteration in range(1, 1001):
            model.step(x, target)
            if iteration in (100, 1000):
                gc.collect()
                traced[iteration] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert traced[1000] - traced[100] < 16_384, f"memory grew by {traced[1000] - traced[100]} bytes in 900 steps"


def test_graph_is_freed_without_the_cycle_collector():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    gc.disable()
    try:
        hidden = x * 2
        loss = hidden.exp().sum()
        node, intermediate = weakref.ref(loss.grad_fn), weakref.ref(hidden)
        del hidden
        loss.backward()
        del loss
        assert node() is None and intermediate() is None
    finally:
        gc.enable()


def test_backward_releases_saved_arrays():
    x = tg.tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    loss = (y * y).sum()
    saved = weakref.ref(y._data)
    del y
    assert saved() is not None
    loss.backward()
    gc.collect()
    assert saved() is None


def traced_memory_of_training(model, inputs, target, warm_up=1000, steps=3000, keep=None):
    """Bytes traced after ``warm_up`` and after ``steps`` steps of Adam on ``model`` (an MSE loss);
    ``keep``, a list, is given each step's loss (a leak on purpose, to show the measure sees one).

    NumPy's and CPython's small caches fill during the first few thousand steps (to about 16 kB over
    steps 500 to 3,000 of the LSTM, flat to within 200 bytes from 3,000 to 12,000), hence the warm-up."""
    optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)
    traced = {}
    tracemalloc.start()
    try:
        for step in range(1, steps + 1):
            optimizer.zero_grad()
            output = model(inputs)
            loss = tg.nn.functional.mse_loss(output[0] if isinstance(output, tuple) else output, target)
            loss.backward()
            optimizer.step()
            if keep is not None:
                keep.append(loss.detach())
            if step in (warm_up, steps):
                gc.collect()
                traced[step] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return traced[warm_up], traced[steps]


def small_mlp():
    return tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 1)), tg.randn(16, 4), tg.randn(16, 1)


def small_lstm():
    return tg.nn.LSTM(2, 3), tg.randn(2, 1, 2), tg.randn(2, 1, 3)


GROWTH_ALLOWED = 24_576  # bytes from step 1,000 to 3,000: 12 a step, less than the smallest object kept each step


@pytest.mark.parametrize("build", [small_mlp, small_lstm], ids=["mlp", "lstm"])
def test_memory_stays_flat_over_3000_training_steps(build):
    after_warm_up, at_the_end = traced_memory_of_training(*build())
    assert at_the_end - after_warm_up < GROWTH_ALLOWED, \
        f"memory grew by {at_the_end - after_warm_up} bytes from step 1,000 to step 3,000"


def test_the_memory_measure_sees_each_steps_loss_kept():
    after_warm_up, at_the_end = traced_memory_of_training(*small_mlp(), steps=1500, keep=[])
    assert at_the_end - after_warm_up > GROWTH_ALLOWED
