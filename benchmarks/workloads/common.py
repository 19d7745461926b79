"""What the workload modules share: the Case a benchmark times, the frameworks, weights copied across.

Every workload builds the same computation in each framework from the same NumPy
arrays (weights in PyTorch's layout, loaded with ``load_state_dict``), so the
frameworks compute the same numbers and the timings compare like with like.
Frameworks are imported only when a workload asks for them: a process measuring
NumPy's memory never loads torch.
"""
import importlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy

THREADS = int(os.environ.get("OMP_NUM_THREADS", "2"))  # run.py sets it before NumPy loads
LEARNING_RATE = 0.01
FRAMEWORK_NAMES = {"tinygrad_edu": "tinygrad_edu", "torch": "PyTorch", "numpy": "NumPy by hand",
                   "micrograd": "micrograd"}


@dataclass
class Case:
    """One framework's version of a workload, ready to be timed.

    ``run`` is the timed unit of work (one training step, one backward pass). ``setup``
    and ``teardown``, when given, run untimed before and after each ``run`` (to build the
    graph a backward pass walks, then drop it). Timings are divided by ``per`` (the ops
    in a chain, to report time per op). ``sync`` waits for the GPU before the clock is read.
    """

    run: Callable[[], object]
    setup: Optional[Callable[[], None]] = None
    teardown: Optional[Callable[[], None]] = None
    per: int = 1
    sync: Optional[Callable[[], None]] = None


class Unavailable(Exception):
    """A framework (or a device for it) is missing: the benchmark skips it with this message."""


def require(framework, device="cpu"):
    """The module of ``framework`` ready for ``device``, or Unavailable saying why not."""
    if framework == "numpy":
        return array_module(device)
    if importlib.util.find_spec(framework) is None:
        hint = 'pip install "tinygrad-edu[bench]"' if framework in ("torch", "micrograd") else "pip install -e ."
        raise Unavailable(f"{framework} is not installed ({hint})")
    module = importlib.import_module(framework)
    if framework == "torch":
        module.set_num_threads(THREADS)
    if device == "cuda":
        _require_cuda(framework, module)
    return module


def _require_cuda(framework, module):
    if framework == "tinygrad_edu" and not module.cuda.is_available():
        raise Unavailable("tinygrad_edu.cuda.is_available() is False (no CuPy or no GPU)")
    if framework == "torch" and not module.cuda.is_available():
        raise Unavailable("torch.cuda.is_available() is False (a CPU-only torch, or no GPU)")
    if framework == "micrograd":
        raise Unavailable("micrograd computes with Python floats: there is no GPU version")


def array_module(device):
    """NumPy for the CPU; CuPy (as tinygrad_edu finds it) for ``cuda``."""
    if device == "cpu":
        return numpy
    tinygrad_edu = require("tinygrad_edu", device)
    return tinygrad_edu.device("cuda").xp


def synchronizer(framework, device):
    """A function that waits for the GPU's queued work, or None on the CPU."""
    if device == "cpu":
        return None
    if framework == "torch":
        return importlib.import_module("torch").cuda.synchronize
    return importlib.import_module("tinygrad_edu").cuda.synchronize


def host(array):
    """A NumPy copy of a NumPy or CuPy array, or of a tensor's data."""
    if hasattr(array, "detach"):
        array = array.detach()
        array = array.cpu().numpy() if hasattr(array, "cpu") else array.numpy()
    return array.get() if hasattr(array, "get") else numpy.array(array)


def tensor(lib, array, device="cpu", requires_grad=False):
    """``array`` as a tensor of ``lib`` (tinygrad_edu or torch) on ``device``."""
    result = lib.tensor(numpy.ascontiguousarray(array), device=device)
    return result.requires_grad_() if requires_grad else result


def load_weights(lib, model, params, device, dtype):
    """Cast ``model`` to ``dtype``, load ``params`` (NumPy arrays by state_dict key), move it to ``device``."""
    model.to(getattr(lib, numpy.dtype(dtype).name))
    model.load_state_dict({name: lib.from_numpy(array.copy()) for name, array in params.items()})
    return model.to(device)


def training_case(lib, model, inputs, labels, device, momentum=0.0):
    """One SGD step of ``model`` on a cross-entropy loss, as a Case (same code for torch and tinygrad_edu)."""
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=momentum)
    inputs, labels = tensor(lib, inputs, device), tensor(lib, labels, device)

    def step():
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
    return Case(step)


def model_gradients(lib, model, inputs, labels, device="cpu"):
    """The loss and the gradient of every parameter after one forward and backward pass."""
    loss = lib.nn.functional.cross_entropy(model(tensor(lib, inputs, device)), tensor(lib, labels, device))
    loss.backward()
    grads = {name: host(parameter.grad) for name, parameter in model.named_parameters()}
    return {"loss": host(loss), **grads}


def sgd_(params, grads, lr=LEARNING_RATE):
    """params[name] -= lr * grads[name], in place (the gradient arrays are used as scratch)."""
    for name, grad in grads.items():
        grad *= lr
        params[name] -= grad


def softmax_cross_entropy(xp, logits, labels):
    """Mean cross entropy of ``logits`` (N, C) against class indices, and its gradient wrt the logits."""
    rows = xp.arange(len(labels))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = xp.exp(shifted)
    sums = exps.sum(axis=1, keepdims=True)
    loss = (xp.log(sums[:, 0]) - shifted[rows, labels]).mean()
    grad = exps
    grad /= sums
    grad[rows, labels] -= 1
    grad /= len(labels)
    return loss, grad


def uniform(rng, shape, fan_in, dtype):
    """Weights uniform in ±1/sqrt(fan_in), PyTorch's default for Linear, Conv2d and LSTM."""
    bound = 1 / numpy.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(dtype)


def classification_data(rng, batch, input_shape, classes, dtype):
    """Random inputs (standard normal) and class labels (int64)."""
    inputs = rng.standard_normal((batch, *input_shape)).astype(dtype)
    return inputs, rng.integers(0, classes, batch)


# -- training workloads (MLP, CNN, LSTM): one builder for every framework ---------------------
# A training workload is three functions: make(size, dtype) -> (params, inputs, labels),
# model(nn, size) -> a torch-style Module, and forward_backward(xp, params, inputs, labels)
# -> (loss, grads): the same math written by hand with NumPy (or CuPy).

def build_training_case(make, model, forward_backward, framework, size, device, momentum=0.0):
    """A Case running one SGD training step (with ``momentum``) in ``framework`` on ``device``."""
    lib = require(framework, device)
    params, inputs, labels = make(size, numpy.float32)
    if framework == "numpy":
        case = hand_written_case(lib, forward_backward, params, inputs, labels)
    else:
        case = training_case(lib, load_weights(lib, model(lib.nn, size), params, device, numpy.float32), inputs,
                             labels, device, momentum)
    case.sync = synchronizer(framework, device)
    return case


def hand_written_case(xp, forward_backward, params, inputs, labels):
    """One SGD step with the gradients computed by hand, updating ``params`` in place."""
    params = {name: xp.asarray(array) for name, array in params.items()}
    inputs, labels = xp.asarray(inputs), xp.asarray(labels)

    def step():
        _, grads = forward_backward(xp, params, inputs, labels)
        sgd_(params, grads)
    return Case(step)


def training_gradients(make, model, forward_backward, framework, size, dtype=numpy.float64):
    """The loss and every parameter's gradient after one forward and backward pass, as NumPy arrays."""
    lib = require(framework)
    params, inputs, labels = make(size, dtype)
    if framework == "numpy":
        loss, grads = forward_backward(numpy, params, inputs, labels)
        return {"loss": loss, **grads}
    network = load_weights(lib, model(lib.nn, size), params, "cpu", dtype)
    return model_gradients(lib, network, inputs, labels)


def linear_forward(x, weight, bias):
    """x @ weight.T + bias, as nn.Linear computes it."""
    out = x @ weight.T
    out += bias
    return out


def linear_backward(grad_out, x, weight, name, grads, input_grad=True):
    """Store the weight and bias gradients of a linear layer under ``name``; return the input's gradient."""
    grads[f"{name}.weight"] = grad_out.T @ x
    grads[f"{name}.bias"] = grad_out.sum(axis=0)
    return grad_out @ weight if input_grad else None


def relu_(xp, x):
    """max(x, 0) in place."""
    return xp.maximum(x, 0, out=x)
