"""Random programs run in tinygrad_edu and in PyTorch from the same inputs: outputs and every gradient must agree.

Hypothesis builds a program of 5-20 ops, one at a time: each step picks an op from ``OPS`` (elementwise,
reduction, movement, indexing, matrix products), an operand from the values made so far (usually the newest),
and whatever else the op needs (a dim, a broadcastable partner, an index) from the operand's shape. Both
libraries run the step at once, so every later choice sees real shapes. Inputs are float64, drawn from
[-2, 2] or, now and then, from a grid of halves (exact zeros and ties: where subgradient conventions show).
Ops whose math has a restricted domain get it by construction (``log`` of ``abs() + 0.1``), never by
skipping inputs. At the end a random upstream gradient flows back from the last value (and sometimes an
earlier one) and every input's gradient is compared.

CI runs ``DEFAULT_EXAMPLES``; ``pytest tests/test_fuzz.py --fuzz-examples 5000`` runs more, and
``--hypothesis-seed N`` starts from another seed.
"""
import numpy as np
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import tinygrad_edu as tg
from helpers import F, lib, to_numpy

DEFAULT_EXAMPLES = 300
MAX_ELEMENTS = 256


class Step:
    """One op of a program: ``apply(x, *partners)`` runs on either library's tensors."""

    def __init__(self, apply, partners=()):
        self.apply, self.partners = apply, partners


def const(like, array):
    """A constant (index, mask) in ``like``'s library."""
    return lib(like).tensor(array)


# --------------------------------------------------------------------- drawing choices from shapes
def draw_dim(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1)) if shape else None


def broadcastable_shape(draw, shape):
    """A shape that broadcasts with ``shape`` to ``shape`` (leading dims dropped, some sizes set to 1)."""
    kept = draw(st.integers(0, len(shape)))
    tail = list(shape[len(shape) - kept:])
    return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else size for size in tail)


# --------------------------------------------------------------------- elementwise
UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.clamp(-8, 8).exp(),
    "log": lambda x: (x.abs() + 0.1).log(),
    "log1p": lambda x: x.abs().log1p(),
    "sqrt": lambda x: (x.abs() + 0.1).sqrt(),
    "rsqrt": lambda x: (x.abs() + 0.1).rsqrt(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(),
    "sign": lambda x: x.sign() * x,
    "square": lambda x: x.square(),
    "reciprocal": lambda x: (x.abs() + 0.5).reciprocal(),
    "pow2": lambda x: x ** 2,
    "pow3": lambda x: x.clamp(-5, 5) ** 3,
    "pow_half": lambda x: (x.abs() + 0.1) ** 0.5,
    "pow_minus1": lambda x: (x.abs() + 0.5) ** -1,
    "pow0": lambda x: x ** 0,
    "add_scalar": lambda x: x + 1.5,
    "rsub_scalar": lambda x: 2 - x,
    "mul_scalar": lambda x: x * -0.75,
    "rdiv_scalar": lambda x: 1.5 / (x.abs() + 0.5),
    "gelu": lambda x: F(x).gelu(x),
    "silu": lambda x: F(x).silu(x),
    "softplus": lambda x: F(x).softplus(x),
    "elu": lambda x: F(x).elu(x),
    "leaky_relu": lambda x: F(x).leaky_relu(x, 0.1),
    "logsigmoid": lambda x: F(x).logsigmoid(x),
    "hardtanh": lambda x: F(x).hardtanh(x),
    "relu6": lambda x: F(x).relu6(x * 4),
    "mish": lambda x: F(x).mish(x),
    "clone": lambda x: x.clone(),
}


def clamp_step(draw, x):
    low = draw(st.sampled_from([None, -1.0, -0.5, 0.0]))
    high = draw(st.sampled_from([None, 0.5, 1.0] if low is not None else [0.5, 1.0]))
    return Step(lambda t: t.clamp(low, high))


BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y.abs() + 0.5),
    "maximum": lambda x, y: x.maximum(y),
    "minimum": lambda x, y: x.minimum(y),
    "pow": lambda x, y: (x.abs() + 0.1) ** y.clamp(-2, 2),
    "where": lambda x, y: lib(x).where(x > y, x, y),
    "lerp": lambda x, y: x.lerp(y, 0.3),
    "addcmul": lambda x, y: x.addcmul(y, y, value=0.5),
    "clamp_tensor": lambda x, y: x.clamp(y - 0.5, y + 0.5),
    "max_binary": lambda x, y: x.max(y),
}


def binary_step(function):
    def make(draw, x):
        return Step(function, partners=(("broadcastable", broadcastable_shape(draw, x.shape)),))
    return make


def masked_fill_step(draw, x):
    return Step(lambda t: t.masked_fill(t > 0.5, 1.5))


# --------------------------------------------------------------------- reductions
def reduce_step(method, keepdim_allowed=True):
    def make(draw, x):
        if not x.shape:
            return None
        dim = draw_dim(draw, x.shape)
        keepdim = draw(st.booleans()) if keepdim_allowed else False
        return Step(lambda t: method(t, dim, keepdim))
    return make


def variance_step(name):
    def make(draw, x):
        if not x.shape:
            return None
        dim = draw_dim(draw, x.shape)
        if x.shape[dim] < 2:
            return None
        correction = draw(st.sampled_from([0, 1]))
        keepdim = draw(st.booleans())
        return Step(lambda t: getattr(t, name)(dim, keepdim=keepdim, correction=correction))
    return make


def whole_step(function):
    def make(draw, x):
        return Step(function)
    return make


REDUCTIONS = {
    "sum_dim": reduce_step(lambda t, d, k: t.sum(d, keepdim=k)),
    "mean_dim": reduce_step(lambda t, d, k: t.mean(d, keepdim=k)),
    "prod_dim": reduce_step(lambda t, d, k: t.clamp(-1.5, 1.5).prod(d, keepdim=k)),
    "amax": reduce_step(lambda t, d, k: t.amax(d, keepdim=k)),
    "amin": reduce_step(lambda t, d, k: t.amin(d, keepdim=k)),
    "max_dim": reduce_step(lambda t, d, k: t.max(d, keepdim=k).values),
    "min_dim": reduce_step(lambda t, d, k: t.min(d, keepdim=k).values),
    "logsumexp": reduce_step(lambda t, d, k: t.logsumexp(d, keepdim=k)),
    "softmax": reduce_step(lambda t, d, k: t.softmax(d), keepdim_allowed=False),
    "log_softmax": reduce_step(lambda t, d, k: t.log_softmax(d), keepdim_allowed=False),
    "cumsum": reduce_step(lambda t, d, k: t.cumsum(d), keepdim_allowed=False),
    "var": variance_step("var"),
    "std": variance_step("std"),
    "sum_all": whole_step(lambda t: t.sum()),
    "mean_all": whole_step(lambda t: t.mean()),
    "max_all": whole_step(lambda t: t.max()),
    "min_all": whole_step(lambda t: t.min()),
    "prod_all": whole_step(lambda t: t.clamp(-1.2, 1.2).prod()),
}


def layer_norm_step(draw, x):
    if not x.shape or x.shape[-1] < 2:
        return None
    return Step(lambda t: F(t).layer_norm(t, t.shape[-1:]))


# --------------------------------------------------------------------- movement
def reshape_step(draw, x):
    numel = int(np.prod(x.shape))
    factors = [f for f in range(1, numel + 1) if numel % f == 0]
    first = draw(st.sampled_from(factors))
    shape = (first, -1) if draw(st.booleans()) else (numel // first, first)
    return Step(lambda t: t.reshape(shape))


def permute_step(draw, x):
    if len(x.shape) < 2:
        return None
    order = draw(st.permutations(range(len(x.shape))))
    return Step(lambda t: t.permute(*order))


def transpose_step(draw, x):
    if len(x.shape) < 2:
        return None
    a, b = draw_dim(draw, x.shape), draw_dim(draw, x.shape)
    return Step(lambda t: t.transpose(a, b))


def squeeze_step(draw, x):
    dim = draw(st.sampled_from([None] + list(range(len(x.shape)))))
    return Step(lambda t: t.squeeze() if dim is None else t.squeeze(dim))


def unsqueeze_step(draw, x):
    if len(x.shape) >= 4:
        return None
    dim = draw(st.integers(-len(x.shape) - 1, len(x.shape)))
    return Step(lambda t: t.unsqueeze(dim))


def expand_step(draw, x):
    shape = tuple(draw(st.integers(1, 3)) if size == 1 else size for size in x.shape)
    lead = (draw(st.integers(1, 3)),) if len(shape) < 4 and (not shape or draw(st.booleans())) else ()
    return Step(lambda t: t.expand(*(lead + shape)))


def flip_step(draw, x):
    if not x.shape:
        return None
    dims = draw(st.lists(st.integers(0, len(x.shape) - 1), min_size=1, max_size=len(x.shape), unique=True))
    return Step(lambda t: t.flip(dims))


def narrow_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    size = x.shape[dim]
    start = draw(st.integers(0, size - 1))
    length = draw(st.integers(1, size - start))
    return Step(lambda t: t.narrow(dim, start, length))


def split_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    size = draw(st.integers(1, max(1, x.shape[dim])))
    pieces = -(-x.shape[dim] // size)
    piece = draw(st.integers(0, pieces - 1))
    return Step(lambda t: t.split(size, dim)[piece])


def chunk_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    chunks = draw(st.integers(1, 4))
    piece = draw(st.integers(0, 3))
    count = len(torch.zeros(x.shape).chunk(chunks, dim))
    return Step(lambda t: t.chunk(chunks, dim)[piece % count])


def unbind_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    piece = draw(st.integers(0, x.shape[dim] - 1))
    return Step(lambda t: t.unbind(dim)[piece])


def select_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    index = draw(st.integers(-x.shape[dim], x.shape[dim] - 1))
    return Step(lambda t: t.select(dim, index))


def cat_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    other = list(x.shape)
    other[dim] = draw(st.integers(1, 3))
    return Step(lambda t, y: lib(t).cat([t, y, t], dim), partners=(("exact", tuple(other)),))


def stack_step(draw, x):
    if len(x.shape) >= 4:
        return None
    dim = draw(st.integers(0, len(x.shape)))
    return Step(lambda t, y: lib(t).stack([t, y], dim), partners=(("exact", tuple(x.shape)),))


def repeat_step(draw, x):
    repeats = tuple(draw(st.integers(1, 2)) for _ in range(max(len(x.shape), draw(st.integers(0, 3)))))
    return Step(lambda t: t.repeat(*repeats)) if repeats else None


def triangle_step(draw, x):
    if len(x.shape) < 2:
        return None
    diagonal = draw(st.integers(-2, 2))
    upper = draw(st.booleans())
    return Step(lambda t: t.triu(diagonal) if upper else t.tril(diagonal))


def pad_step(draw, x):
    if not x.shape:
        return None
    widths = tuple(draw(st.integers(-1 if size > 1 else 0, 2)) for size in x.shape[::-1][:2] for _ in range(2))
    value = draw(st.sampled_from([0.0, 1.5]))
    return Step(lambda t: (torch.nn.functional.pad if isinstance(t, torch.Tensor) else tg.pad)(t, widths, value=value))


def flatten_step(draw, x):
    if not x.shape:
        return Step(lambda t: t.flatten())
    start = draw(st.integers(0, len(x.shape) - 1))
    end = draw(st.integers(start, len(x.shape) - 1))
    return Step(lambda t: t.flatten(start, end))


def mT_step(draw, x):
    return Step(lambda t: t.mT) if len(x.shape) >= 2 else None


# --------------------------------------------------------------------- indexing
def slice_step(draw, x):
    if not x.shape:
        return None
    index = []
    for size in x.shape[:draw(st.integers(1, len(x.shape)))]:
        kind = draw(st.sampled_from(["all", "slice", "int", "none"]))
        if kind == "slice":
            start = draw(st.integers(-size, size - 1))
            index.append(slice(start, None, draw(st.integers(1, 2))))
        elif kind == "int":
            index.append(draw(st.integers(-size, size - 1)))
        elif kind == "none":
            index.append(None)
        else:
            index.append(slice(None))
    index = tuple(index)
    return Step(lambda t: t[index])


def tensor_index_step(draw, x):
    if not x.shape:
        return None
    positions = draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=5))
    return Step(lambda t: t[const(t, np.array(positions))])


def mask_index_step(draw, x):
    return Step(lambda t: t[t > 0]) if x.shape else None


def gather_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    shape = [draw(st.integers(1, size)) for size in x.shape]
    shape[dim] = draw(st.integers(1, 4))
    index = np.array(draw(st.lists(st.integers(0, x.shape[dim] - 1), min_size=int(np.prod(shape)),
                                   max_size=int(np.prod(shape))))).reshape(shape)
    return Step(lambda t: t.gather(dim, const(t, index)))


def index_select_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    positions = draw(st.lists(st.integers(0, x.shape[dim] - 1), min_size=1, max_size=4))
    return Step(lambda t: t.index_select(dim, const(t, np.array(positions))))


def scatter_add_step(draw, x):
    if not x.shape:
        return None
    dim = draw_dim(draw, x.shape)
    positions = np.array(draw(st.lists(st.integers(0, x.shape[dim] - 1), min_size=int(np.prod(x.shape)),
                                       max_size=int(np.prod(x.shape))))).reshape(x.shape)
    target = list(x.shape)
    target[dim] = draw(st.integers(x.shape[dim], x.shape[dim] + 1))
    return Step(lambda t, base: base.scatter_add(dim, const(t, positions), t), partners=(("exact", tuple(target)),))


def setitem_step(draw, x):
    if not x.shape:
        return None
    row = draw(st.integers(0, x.shape[0] - 1))
    return Step(_set_row(row), partners=(("broadcastable", broadcastable_shape(draw, x.shape[1:])),))


def _set_row(row):
    def apply(t, value):
        copy = t * 1
        copy[row] = value
        return copy
    return apply


# --------------------------------------------------------------------- matrix products
def matmul_step(draw, x):
    if not x.shape:
        return None
    columns = draw(st.integers(1, 3))
    shape = (x.shape[-1], columns) if draw(st.booleans()) else (x.shape[-1],)
    return Step(lambda t, w: t @ w, partners=(("exact", shape),))


def gram_step(draw, x):
    return Step(lambda t: t @ t.mT) if len(x.shape) >= 2 else None


def batched_matmul_step(draw, x):
    if len(x.shape) < 2:
        return None
    batch = broadcastable_shape(draw, x.shape[:-2])
    return Step(lambda t, w: t.matmul(w), partners=(("exact", batch + (x.shape[-1], draw(st.integers(1, 3)))),))


def linear_step(draw, x):
    if not x.shape:
        return None
    features = draw(st.integers(1, 3))
    return Step(lambda t, w, b: F(t).linear(t, w, b), partners=(("exact", (features, x.shape[-1])),
                                                                ("exact", (features,))))


def einsum_step(draw, x):
    if len(x.shape) < 2:
        return None
    return Step(lambda t, w: lib(t).einsum("...ij,jk->...ik", t, w), partners=(("exact", (x.shape[-1], 2)),))


def vector_matmul_step(draw, x):
    if not x.shape:
        return None
    return Step(lambda t, v: v @ t if len(t.shape) >= 2 else t @ v,
                partners=(("exact", (x.shape[-2] if len(x.shape) >= 2 else x.shape[-1],)),))


OPS = {}
OPS.update({name: whole_step(function) for name, function in UNARY.items()})
OPS.update({name: binary_step(function) for name, function in BINARY.items()})
OPS.update(REDUCTIONS)
OPS.update({
    "clamp": clamp_step, "masked_fill": masked_fill_step, "layer_norm": layer_norm_step,
    "reshape": reshape_step, "permute": permute_step, "transpose": transpose_step, "squeeze": squeeze_step,
    "unsqueeze": unsqueeze_step, "expand": expand_step, "flip": flip_step, "narrow": narrow_step,
    "split": split_step, "chunk": chunk_step, "unbind": unbind_step, "select": select_step, "cat": cat_step,
    "stack": stack_step, "repeat": repeat_step, "triangle": triangle_step, "pad": pad_step,
    "flatten": flatten_step, "mT": mT_step,
    "slice": slice_step, "tensor_index": tensor_index_step, "mask_index": mask_index_step, "gather": gather_step,
    "index_select": index_select_step, "scatter_add": scatter_add_step, "setitem": setitem_step,
    "matmul": matmul_step, "gram": gram_step, "batched_matmul": batched_matmul_step, "linear": linear_step,
    "einsum": einsum_step, "vector_matmul": vector_matmul_step,
})


# --------------------------------------------------------------------- running a program
class Program:
    """The values made so far, each an (ours, torch) pair, and the leaves they came from."""

    def __init__(self, draw):
        self.draw = draw
        self.rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
        self.on_grid = draw(st.integers(0, 3)) == 0
        self.leaves, self.values, self.log = [], [], []

    def leaf(self, shape):
        if self.on_grid:
            array = self.rng.integers(-4, 5, size=shape) / 2.0
        else:
            array = self.rng.uniform(-2, 2, size=shape)
        pair = (tg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))
        self.leaves.append(pair)
        self.log.append(f"leaf {len(self.leaves) - 1} = {array.tolist()!r}")
        return pair

    def partner(self, kind, shape):
        """A value of ``shape`` (``exact``) or one that broadcasts to it: an earlier value if one fits."""
        fitting = [pair for pair in self.values if tuple(pair[1].shape) == tuple(shape)]
        if fitting and self.draw(st.booleans()):
            return self.draw(st.sampled_from(fitting))
        return self.leaf(shape)

    def step(self):
        draw = self.draw
        newest = len(self.values) - 1
        position = newest if draw(st.integers(0, 3)) else draw(st.integers(0, newest))
        ours, theirs = self.values[position]
        name = draw(st.sampled_from(sorted(OPS)))
        if 0 in theirs.shape and name not in UNARY and name not in REDUCTIONS:
            return  # an empty value: only elementwise ops and reductions make sense of it
        step = OPS[name](draw, theirs)
        if step is None:
            return
        partners = [self.partner(kind, shape) for kind, shape in step.partners]
        self.log.append(f"v{len(self.values)} = {name}(v{position}, {len(partners)} partner(s))")
        try:
            expected = step.apply(theirs, *[pair[1] for pair in partners])
        except Exception as error:  # torch refuses (an empty reduction): so must we, with the same class
            self.log[-1] += f": torch raised {type(error).__name__}"
            try:
                step.apply(ours, *[pair[0] for pair in partners])
            except type(error):
                return
            raise AssertionError(f"{self.log[-1]}, we did not") from None
        if expected.numel() > MAX_ELEMENTS:
            self.log.pop()
            return
        actual = step.apply(ours, *[pair[0] for pair in partners])
        compare(actual, expected, f"value of {self.log[-1]}")
        self.values.append((actual, expected))


def compare(ours, theirs, what):
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
    assert str(ours.dtype).rsplit(".")[-1] == str(theirs.dtype).rsplit(".")[-1], f"{what}: dtype"
    expected = to_numpy(theirs)
    scale = float(np.nanmax(np.abs(np.where(np.isfinite(expected), expected, 0)), initial=1.0))
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-6, atol=1e-9 * scale, equal_nan=True, err_msg=what)


def run_program(data):
    program = Program(data.draw)
    rank = data.draw(st.integers(0, 3))
    program.values.append(program.leaf(tuple(data.draw(st.integers(1, 4)) for _ in range(rank))))
    length = data.draw(st.integers(5, 20))
    while len(program.values) < length + 1 and len(program.log) < 4 * length:
        program.step()
    outputs = [program.values[-1]]
    if len(program.values) > 2 and data.draw(st.booleans()):
        outputs.append(program.values[data.draw(st.integers(1, len(program.values) - 2))])
    outputs = [pair for pair in outputs if pair[1].requires_grad]
    if not outputs:
        return
    upstream = [program.rng.standard_normal(tuple(pair[1].shape)) for pair in outputs]
    tg.autograd.backward([pair[0] for pair in outputs], [tg.tensor(g) for g in upstream])
    torch.autograd.backward([pair[1] for pair in outputs], [torch.tensor(g) for g in upstream])
    program_text = "\n".join(program.log)
    for index, (ours, theirs) in enumerate(program.leaves):
        if theirs.grad is None:
            assert ours.grad is None, f"leaf {index}: torch has no grad, ours has one\n{program_text}"
            continue
        assert ours.grad is not None, f"leaf {index}: no grad (torch has one)\n{program_text}"
        compare(ours.grad, theirs.grad, f"grad of leaf {index}\n{program_text}")


def test_random_programs_match_torch(request):
    examples = request.config.getoption("--fuzz-examples") or DEFAULT_EXAMPLES
    fuzz = settings(max_examples=examples, deadline=None, database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))(given(st.data())(run_program))
    fuzz()


def test_the_table_has_at_least_sixty_ops():
    assert len(OPS) >= 60
