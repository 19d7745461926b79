"""Module-level functions over several tensors: cat, stack, pad, einsum, and torch's aliases."""
from tinygrad_edu import dtypes
from tinygrad_edu import ops_movement as movement
from tinygrad_edu.function import Function
from tinygrad_edu.tensor import Tensor, _raise_device_mismatch, broadcast_shapes, where  # noqa: F401


def _promoted(tensors):
    result = tensors[0].dtype
    for tensor in tensors[1:]:
        result = dtypes.promote(result, False, tensor.dtype, False)
    return [t if t.dtype is result else t.to(result) for t in tensors]


def cat(tensors, dim=0):
    """Join tensors along an existing dim: sizes must match in every other dim."""
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    reference = tensors[0]
    dim = reference._dim(dim)
    for number, tensor in enumerate(tensors):
        if tensor.device != reference.device:
            _raise_device_mismatch(reference.device, tensor.device)
        if tensor.ndim != reference.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {reference.ndim} and {tensor.ndim}")
        for axis in range(reference.ndim):
            if axis != dim and tensor.shape[axis] != reference.shape[axis]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{reference.shape[axis]} but got size {tensor.shape[axis]} for tensor number "
                                   f"{number} in the list.")
    return movement.Cat.apply(*_promoted(tensors), dim=dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for number, tensor in enumerate(tensors[1:], 1):
        if tensor.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got [{', '.join(map(str, tensors[0].shape))}] "
                               f"at entry 0 and [{', '.join(map(str, tensor.shape))}] at entry {number}")
    dim = tensors[0]._dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t.ndim > 1 else t.unsqueeze(0) for t in tensors], 0)


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: ``pad=(left, right, top, bottom, ...)`` from the last dim backwards.

    Only ``mode='constant'`` is implemented; negative widths crop.
    """
    if mode != "constant":
        raise NotImplementedError(f"pad mode '{mode}' is not implemented; only 'constant' is")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number of dimensions of "
                           f"the input, but got {len(pad)} for a {input.ndim}-D input")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return input.pad_widths(widths, 0 if value is None else value)


def einsum(equation, *operands):
    """Einstein summation over one or two operands, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    subscripts = inputs.split(",")
    if "..." in equation and len(subscripts) == len(operands):
        subscripts, output = _without_ellipsis(subscripts, output if arrow else None, operands)
        arrow = True
    if not arrow:
        letters = inputs.replace(",", "")
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(subscripts) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(subscripts) else
                           "einsum(): fewer operands were provided than specified in the equation")
    sizes = {}
    for number, (subscript, operand) in enumerate(zip(subscripts, operands)):
        if len(subscript) != operand.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(subscript)}) does not match "
                               f"the number of dimensions ({operand.ndim}) for operand {number} and no ellipsis was given")
        for letter, size in zip(subscript, operand.shape):
            seen = sizes.setdefault(letter, size)
            if size != seen and 1 not in (size, seen):
                raise RuntimeError(f"einsum(): subscript {letter} has size {size} for operand {number} which does "
                                   f"not broadcast with previously seen size {seen}")
    return Einsum.apply(*_promoted(list(operands)), subscripts=tuple(subscripts), output=output)


def _without_ellipsis(subscripts, output, operands):
    """The equation with each ``...`` spelled out in unused letters, right-aligned across operands as
    broadcasting aligns dims; an implicit output keeps the ellipsis dims first."""
    unused = [c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba" if c not in "".join(subscripts)]
    ranks = [max(operand.ndim - len(subscript.replace("...", "")), 0) if "..." in subscript else 0
             for subscript, operand in zip(subscripts, operands)]
    ellipsis = "".join(reversed(unused[:max(ranks, default=0)]))
    spelled = [subscript.replace("...", ellipsis[len(ellipsis) - rank:]) for subscript, rank in zip(subscripts, ranks)]
    if output is None:
        letters = "".join(subscripts).replace(".", "")
        output = "..." + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return spelled, output.replace("...", ellipsis)


class Einsum(Function):
    """The gradient of each operand is another einsum: the output's gradient with the other operands."""

    def forward(self, *arrays, subscripts, output):
        self.subscripts, self.output = subscripts, output
        self.shapes = [array.shape for array in arrays]
        self.save_for_backward(*arrays)
        return self.xp.einsum(",".join(subscripts) + "->" + output, *arrays)

    def backward(self, grad_output):
        operands = self.saved_tensors
        sizes = {}
        for subscript, shape in zip(self.subscripts, self.shapes):
            sizes.update(zip(subscript, shape))
        grads = []
        for position, subscript in enumerate(self.subscripts):
            if not self.needs_input_grad[position]:
                grads.append(None)
                continue
            others = [(s, t) for k, (s, t) in enumerate(zip(self.subscripts, operands)) if k != position]
            available = set(self.output).union(*[set(s) for s, _ in others])
            target = "".join(dict.fromkeys(c for c in subscript if c in available))
            terms = [self.output] + [s for s, _ in others]
            partial = einsum(",".join(terms) + "->" + target, grad_output, *[t for _, t in others])
            grads.append(_to_subscript(partial, target, subscript, sizes))
        return tuple(grads)


def _to_subscript(partial, target, subscript, sizes):
    """Expand an einsum result over ``target`` letters to the operand's full ``subscript`` shape."""
    letters = list(target)
    missing = [c for c in dict.fromkeys(subscript) if c not in letters]
    if missing:
        partial = partial.reshape(*partial.shape, *([1] * len(missing)))
        letters += missing
        partial = partial.expand(*[sizes[c] for c in letters])
    order = "".join(dict.fromkeys(subscript))
    partial = partial.permute([letters.index(c) for c in order])
    if len(order) != len(subscript):
        raise NotImplementedError("einsum gradient with a repeated index in one operand is not supported")
    return partial


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def broadcast_tensors(*tensors):
    shape = tensors[0].shape
    for tensor in tensors[1:]:
        shape = broadcast_shapes(shape, tensor.shape)
    return tuple(t.expand(shape) for t in tensors)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(input.var(...), input.mean(...))`` over the same dims, as torch returns them."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (input.var(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim=keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(input.std(...), input.mean(...))`` over the same dims, as torch returns them."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (input.std(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim=keepdim))
