"""An LSTM(64 -> 128) training step over 32 time steps at batch 32.

The model runs ``nn.LSTM(64, 128)`` over a (32, 32, 64) sequence and classifies the last
hidden state with ``nn.Linear(128, 10)``; cross-entropy and SGD. The hand-written
version projects every time step's input at once (one matmul), then computes each step's
four gates with one matmul of the hidden state, and backpropagates through time by hand.
"""
import numpy

from benchmarks.workloads.common import (build_training_case, linear_backward, linear_forward,
                                         softmax_cross_entropy, training_gradients, uniform)

NAME = "lstm"
TITLE = "LSTM training step"
UNIT = "ms/step"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu", "cuda")


def sizes(quick):
    if quick:
        return [{"label": "3 steps, batch 2, 4->5 (tiny)", "steps": 3, "batch": 2, "input": 4, "hidden": 5}]
    return [{"label": "32 steps, batch 32, 64->128", "steps": 32, "batch": 32, "input": 64, "hidden": 128}]


def make(size, dtype, seed=0, classes=10):
    """Weights (by state_dict key, PyTorch's layout and initialisation), a sequence and labels."""
    rng = numpy.random.default_rng(seed)
    hidden, inputs = size["hidden"], size["input"]
    params = {"lstm.weight_ih_l0": uniform(rng, (4 * hidden, inputs), hidden, dtype),
              "lstm.weight_hh_l0": uniform(rng, (4 * hidden, hidden), hidden, dtype),
              "lstm.bias_ih_l0": uniform(rng, (4 * hidden,), hidden, dtype),
              "lstm.bias_hh_l0": uniform(rng, (4 * hidden,), hidden, dtype),
              "head.weight": uniform(rng, (classes, hidden), hidden, dtype),
              "head.bias": uniform(rng, (classes,), hidden, dtype)}
    sequence = rng.standard_normal((size["steps"], size["batch"], inputs)).astype(dtype)
    return params, sequence, rng.integers(0, classes, size["batch"])


def model(nn, size, classes=10):
    """An LSTM and a linear head on its last hidden state, built from ``nn`` (torch.nn or tinygrad_edu.nn)."""

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(size["input"], size["hidden"])
            self.head = nn.Linear(size["hidden"], classes)

        def forward(self, sequence):                     # (T, B, input)
            _, (last_hidden, _) = self.lstm(sequence)    # (1, B, hidden)
            return self.head(last_hidden[0])             # (B, classes)
    return LSTMClassifier()


def forward_backward(xp, params, sequence, labels):
    """The loss and every parameter's gradient, written by hand (backpropagation through time)."""
    steps, batch, _ = sequence.shape
    weight_hh = params["lstm.weight_hh_l0"]
    hidden = weight_hh.shape[1]
    input_gates = linear_forward(sequence.reshape(steps * batch, -1), params["lstm.weight_ih_l0"],
                                 params["lstm.bias_ih_l0"] + params["lstm.bias_hh_l0"]).reshape(steps, batch, -1)
    hs = xp.zeros((steps + 1, batch, hidden), dtype=sequence.dtype)   # hs[0] = h0 = 0
    cs = xp.zeros_like(hs)
    gates = xp.empty_like(input_gates)                                  # activated i, f, g, o per step
    tanh_cs = xp.empty_like(hs[1:])
    for t in range(steps):
        step_gates = gates[t]
        xp.add(input_gates[t], hs[t] @ weight_hh.T, out=step_gates)
        i, f, g, o = _split(step_gates, hidden)
        _sigmoid_(xp, step_gates[:, :2 * hidden])                       # i and f
        xp.tanh(g, out=g)
        _sigmoid_(xp, o)
        cs[t + 1] = f * cs[t] + i * g
        xp.tanh(cs[t + 1], out=tanh_cs[t])
        xp.multiply(o, tanh_cs[t], out=hs[t + 1])
    loss, grad_logits = softmax_cross_entropy(xp, linear_forward(hs[-1], params["head.weight"],
                                                                  params["head.bias"]), labels)
    grads = {}
    grad_h = linear_backward(grad_logits, hs[-1], params["head.weight"], "head", grads)
    grad_gates = _backward_through_time(xp, grad_h, gates, cs, tanh_cs, weight_hh)
    grad_gates = grad_gates.reshape(steps * batch, -1)                  # (T*B, 4*hidden)
    grads["lstm.weight_ih_l0"] = grad_gates.T @ sequence.reshape(steps * batch, -1)
    grads["lstm.weight_hh_l0"] = grad_gates.T @ hs[:-1].reshape(steps * batch, hidden)
    grads["lstm.bias_ih_l0"] = grad_gates.sum(axis=0)
    grads["lstm.bias_hh_l0"] = grads["lstm.bias_ih_l0"].copy()
    return loss, grads


def _backward_through_time(xp, grad_h, gates, cs, tanh_cs, weight_hh):
    """The gradient of the loss with respect to every step's gate pre-activations, (T, B, 4*hidden)."""
    hidden = weight_hh.shape[1]
    grad_c = xp.zeros_like(grad_h)
    grad_gates = xp.empty_like(gates)
    for t in reversed(range(len(gates))):
        i, f, g, o = _split(gates[t], hidden)
        grad_i, grad_f, grad_g, grad_o = _split(grad_gates[t], hidden)
        grad_c += grad_h * o * (1 - tanh_cs[t] * tanh_cs[t])
        grad_o[...] = grad_h * tanh_cs[t] * o * (1 - o)
        grad_i[...] = grad_c * g * i * (1 - i)
        grad_f[...] = grad_c * cs[t] * f * (1 - f)
        grad_g[...] = grad_c * i * (1 - g * g)
        grad_c *= f
        if t > 0:
            grad_h = grad_gates[t] @ weight_hh
    return grad_gates


def _split(gates, hidden):
    return gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]


def _sigmoid_(xp, x):
    """1 / (1 + exp(-x)), in place."""
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    return xp.reciprocal(x, out=x)


def build(framework, size, device):
    return build_training_case(make, model, forward_backward, framework, size, device)


def gradients(framework, size, dtype=numpy.float64):
    return training_gradients(make, model, forward_backward, framework, size, dtype)
