"""torch.linalg's norms and cross product, composed from Tensor ops.

>>> import tinygrad_edu as tg
>>> tg.linalg.norm(tg.tensor([[3.0, 0.0], [0.0, 4.0]]))
tensor(5.)
"""
import math

from tinygrad_edu import ops_reduce
from tinygrad_edu.functions import stack
from tinygrad_edu.tensor import broadcast_shapes

_SINGULAR_VALUE_ORDERS = ("nuc", 2, -2)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element when None); ord may be inf, -inf or 0.

    >>> vector_norm(tg.tensor([3.0, -4.0]), ord=1)
    tensor(7.)
    """
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {x.dtype.scalar_name}")
    source = x if dtype is None else x.to(dtype)
    return ops_reduce.VectorNorm.apply(source, ord=float(ord), dims=x._dims(dim), keepdim=keepdim)


def matrix_norm(input, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A norm of the matrices in the ``dim`` planes: 'fro', or the largest (smallest) absolute
    column sum for ord=1 (-1), row sum for ord=inf (-inf)."""
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    rows, columns = (input._dim(axis) for axis in dim)
    if ord == "fro":
        return vector_norm(input, 2, (rows, columns), keepdim, dtype=dtype)
    if ord in _SINGULAR_VALUE_ORDERS:
        raise NotImplementedError(f"linalg.matrix_norm(ord={ord!r}) needs singular values, which tinygrad_edu does "
                                  "not compute; use ord='fro', 1, -1, inf or -inf")
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    source = input if dtype is None else input.to(dtype)
    summed, extreme = (rows, columns) if abs(ord) == 1 else (columns, rows)
    sums = source.abs().sum(summed, keepdim=True)
    result = sums.amax(extreme, keepdim=True) if ord > 0 else sums.amin(extreme, keepdim=True)
    return result if keepdim else result.squeeze((rows, columns))


def norm(input, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (ord a number, dim an int) or a matrix norm (dim a pair, or a 2-D input);
    with neither ord nor dim, the 2-norm of all elements."""
    dims = None if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if ord is None:
        if dims is None or len(dims) == 1:
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        return matrix_norm(input, "fro", dims, keepdim, dtype=dtype)
    if dims is None:
        if input.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {input.ndim}D.")
        dims = tuple(range(input.ndim))
    if len(dims) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord}")
        return vector_norm(input, ord, dims, keepdim, dtype=dtype)
    return matrix_norm(input, ord, dims, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (input and other broadcast together).

    >>> cross(tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 1.0, 0.0]))
    tensor([0., 0., 1.])
    """
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = broadcast_shapes(input.shape, other.shape)
    from_end = input._dim(dim) - input.ndim  # a negative position, the same in both
    sizes = [input.shape[from_end], other.shape[from_end]]
    if sizes != [3, 3]:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sizes[0]} and {sizes[1]}")
    a, b = input.expand(shape), other.expand(shape)
    a0, a1, a2 = (a.select(from_end, i) for i in range(3))
    b0, b1, b2 = (b.select(from_end, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], from_end)
