"""A 1024x1024 matmul, forward and backward: C = A @ B, then dA = G @ B^T and dB = A^T @ G.

Three BLAS calls of 2n^3 flops each: a framework's overhead is invisible here unless
it copies (a transposed operand made contiguous, a gradient cloned, float64 sneaking in).
"""
import numpy

from benchmarks.workloads.common import Case, require, synchronizer, tensor

NAME = "matmul"
TITLE = "matmul fwd+bwd"
UNIT = "ms"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu", "cuda")


def sizes(quick):
    n = 32 if quick else 1024
    return [{"label": f"{n}x{n}", "n": n}]


def make(size, dtype, seed=0):
    """A, B and the upstream gradient G, each n x n."""
    rng = numpy.random.default_rng(seed)
    return {name: rng.standard_normal((size["n"], size["n"])).astype(dtype) for name in ("a", "b", "upstream")}


def forward_backward(a, b, upstream):
    """The product and the gradients of both factors, by hand."""
    return a @ b, upstream @ b.T, a.T @ upstream


def build(framework, size, device):
    arrays = make(size, numpy.float32)
    lib = require(framework, device)
    if framework == "numpy":
        a, b, upstream = (lib.asarray(arrays[name]) for name in ("a", "b", "upstream"))
        return Case(lambda: forward_backward(a, b, upstream), sync=synchronizer(framework, device))
    a, b = (tensor(lib, arrays[name], device, requires_grad=True) for name in ("a", "b"))
    upstream = tensor(lib, arrays["upstream"], device)

    def run():
        a.grad = b.grad = None
        (a @ b).backward(upstream)
    return Case(run, sync=synchronizer(framework, device))


def gradients(framework, size, dtype=numpy.float64):
    """The gradients of A and B, as NumPy arrays."""
    arrays = make(size, dtype)
    if framework == "numpy":
        _, grad_a, grad_b = forward_backward(arrays["a"], arrays["b"], arrays["upstream"])
        return {"a": grad_a, "b": grad_b}
    lib = require(framework)
    a, b = (tensor(lib, arrays[name], requires_grad=True) for name in ("a", "b"))
    (a @ b).backward(tensor(lib, arrays["upstream"]))
    return {"a": a.grad.numpy(), "b": b.grad.numpy()}
