"""Per-op overhead: a chain of small elementwise ops on a 4x4 tensor, forward and backward.

On 16 numbers the arithmetic costs almost nothing: what is timed is everything a
framework does around it (making the op, recording the graph, walking it back,
accumulating gradients). The chain repeats ``y = exp(tanh(y * w + b))`` (four ops) with
parameters ``w`` and ``b`` that require grad; the result is microseconds per op.
"""
import numpy

from benchmarks.workloads.common import Case, require, synchronizer, tensor

NAME = "per_op"
TITLE = "per-op overhead: elementwise op chain on 4x4, fwd+bwd"
UNIT = "us/op"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu", "cuda")
OPS_PER_BLOCK = 4  # y * w, + b, tanh, exp


def sizes(quick):
    ops = 8 if quick else 100
    return [{"label": f"{ops} ops on 4x4", "ops": ops}]


def make(dtype, seed=0):
    """x, w, b and the upstream gradient, 4x4 each."""
    rng = numpy.random.default_rng(seed)
    return {name: rng.standard_normal((4, 4)).astype(dtype) for name in ("x", "w", "b", "upstream")}


def chain(x, w, b, blocks):
    """The chain, in any framework whose tensors have tanh and exp."""
    y = x
    for _ in range(blocks):
        y = (y * w + b).tanh().exp()
    return y


def forward_backward(xp, arrays, blocks):
    """The chain and the gradients of w and b, by hand."""
    w, b = arrays["w"], arrays["b"]
    saved, y = [], arrays["x"]
    for _ in range(blocks):
        t = xp.tanh(y * w + b)
        e = xp.exp(t)
        saved.append((y, t, e))
        y = e
    grad, grad_w, grad_b = arrays["upstream"], xp.zeros_like(w), xp.zeros_like(b)
    for y, t, e in reversed(saved):
        grad = grad * e               # exp
        grad = grad * (1 - t * t)     # tanh
        grad_b += grad                # + b
        grad_w += grad * y            # * w
        grad = grad * w
    return {"w": grad_w, "b": grad_b}


def build(framework, size, device):
    blocks = size["ops"] // OPS_PER_BLOCK
    arrays = make(numpy.float32)
    lib = require(framework, device)
    if framework == "numpy":
        arrays = {name: lib.asarray(array) for name, array in arrays.items()}
        return Case(lambda: forward_backward(lib, arrays, blocks), per=size["ops"],
                    sync=synchronizer(framework, device))
    x, upstream = tensor(lib, arrays["x"], device), tensor(lib, arrays["upstream"], device)
    w, b = (tensor(lib, arrays[name], device, requires_grad=True) for name in ("w", "b"))

    def run():
        w.grad = b.grad = None
        chain(x, w, b, blocks).backward(upstream)
    return Case(run, per=size["ops"], sync=synchronizer(framework, device))


def gradients(framework, size, dtype=numpy.float64):
    """The gradients of w and b after one forward and backward pass, as NumPy arrays."""
    blocks = size["ops"] // OPS_PER_BLOCK
    arrays = make(dtype)
    if framework == "numpy":
        return forward_backward(numpy, arrays, blocks)
    lib = require(framework)
    x, upstream = tensor(lib, arrays["x"]), tensor(lib, arrays["upstream"])
    w, b = (tensor(lib, arrays[name], requires_grad=True) for name in ("w", "b"))
    chain(x, w, b, blocks).backward(upstream)
    return {"w": w.grad.numpy(), "b": b.grad.numpy()}
