"""Bad input raises torch's error with torch's message, and leaves inputs and their .grad untouched.

Each row runs in torch as well: the expected message is checked against the oracle too.
"""
import re

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from helpers import to_numpy

FLOAT_INDEX = "tensors used as indices must be long, int, byte or bool tensors"

ERRORS = [
    ("matmul_2d", [(3, 4), (5, 6)], lambda m, a, b: a @ b, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x6)"),
    ("mm", [(3, 4), (5, 6)], lambda m, a, b: a.mm(b), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x6)"),
    ("matmul_vector_matrix", [(3,), (4, 5)], lambda m, a, b: a @ b, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    ("matmul_batched_matrix", [(2, 3, 4), (5, 6)], lambda m, a, b: a @ b, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x6)"),
    ("matmul_batch_broadcast", [(2, 3, 4), (3, 4, 6)], lambda m, a, b: a @ b, RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    ("dot_1d", [(3,), (4,)], lambda m, a, b: a @ b, RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, "
     "but got 3 and 4 elements respectively"),
    ("bmm", [(2, 3, 4), (2, 5, 6)], lambda m, a, b: a.bmm(b), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]."),
    ("add_broadcast", [(2, 3), (2, 4)], lambda m, a, b: a + b, RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("mul_broadcast", [(3,), (4,)], lambda m, a, b: a * b, RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("where_broadcast", [(3,), (4,)], lambda m, a, b: m.where(a > 0, a, b), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("reshape", [(3, 4)], lambda m, a: a.reshape(5, 3), RuntimeError, "shape '[5, 3]' is invalid for input of size 12"),
    ("reshape_infer", [(3, 4)], lambda m, a: a.reshape(-1, 5), RuntimeError,
     "shape '[-1, 5]' is invalid for input of size 12"),
    ("view", [(3, 4)], lambda m, a: a.view(2, 2, 4), RuntimeError, "shape '[2, 2, 4]' is invalid for input of size 12"),
    ("index_int", [(3,)], lambda m, a: a[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("index_negative", [(3,)], lambda m, a: a[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    ("index_second_dim", [(3, 4)], lambda m, a: a[:, 7], IndexError,
     "index 7 is out of bounds for dimension 1 with size 4"),
    ("index_tensor", [(3,)], lambda m, a: a[m.tensor([0, 5])], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    ("index_float_tensor", [(3,)], lambda m, a: a[m.tensor([0.0])], IndexError, FLOAT_INDEX),
    ("too_many_indices", [(3, 4)], lambda m, a: a[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    ("bool_mask_shape", [(3, 4)], lambda m, a: a[m.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"),
    ("sum_dim_range", [(3, 4)], lambda m, a: a.sum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("softmax_dim_range", [(3, 4)], lambda m, a: a.softmax(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("transpose_dim_range", [(3, 4)], lambda m, a: a.transpose(0, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("unsqueeze_dim_range", [(3, 4)], lambda m, a: a.unsqueeze(3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("cat_sizes", [(2, 3), (3, 4)], lambda m, a, b: m.cat([a, b]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 "
     "for tensor number 1 in the list."),
    ("stack_sizes", [(3,), (4,)], lambda m, a, b: m.stack([a, b]), RuntimeError,
     "stack expects each tensor to be equal size, but got [3] at entry 0 and [4] at entry 1"),
    ("expand", [(2, 3)], lambda m, a: a.expand(3, 3), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  "
     "Target sizes: [3, 3].  Tensor sizes: [2, 3]"),
    ("split_sizes", [(2, 4)], lambda m, a: a.split([1, 2], dim=1), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at dimension 1), "
     "but got split_sizes=[1, 2]"),
    ("gather_index_dtype", [(3, 4)], lambda m, a: a.gather(1, m.zeros(3, 1)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    ("masked_fill_mask_dtype", [(3, 4)], lambda m, a: a.masked_fill(m.zeros(3, 4), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    ("einsum_sizes", [(3, 4), (5, 6)], lambda m, a, b: m.einsum("ij,jk->ik", a, b), RuntimeError,
     "einsum(): subscript j has size 5 for operand 1 which does not broadcast with previously seen size 4"),
    ("implicit_gradient", [(3,), (3,)], lambda m, a, b: (a * b).backward(), RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    ("gradient_shape", [(3,), (3,)], lambda m, a, b: (a * b).backward(m.ones(5, dtype=a.dtype)), RuntimeError,
     r"Mismatch in shape: grad_output\[0\] has a shape of .*\[5\]\) and output\[0\] has a shape of .*\[3\]\)"),
    ("numpy_requires_grad", [(3,)], lambda m, a: a.numpy(), RuntimeError,
     "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ("item_many_elements", [(3,)], lambda m, a: a.item(), RuntimeError,
     "a Tensor with 3 elements cannot be converted to Scalar"),
    ("mean_of_integers", [(3,)], lambda m, a: a.long().mean(), RuntimeError,
     "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"),
]


def pattern(message):
    """Exact text, except rows written as a regex (they contain '.*')."""
    return message if ".*" in message else re.escape(message)


KNOWN_GAPS = {}


def error_params():
    """One param per (row, framework); rows in KNOWN_GAPS are strict xfails on tinygrad_edu only."""
    return [pytest.param(framework, *row, marks=KNOWN_GAPS.get(row[0], ()) if framework == "tinygrad_edu" else (),
                         id=f"{row[0]}-{framework}")
            for row in ERRORS for framework in ("torch", "tinygrad_edu")]


def inputs_with_grads(m, shapes):
    """Float64 leaves that already hold a .grad, so the test can see the grads stay put."""
    rng = np.random.default_rng(0)
    tensors = [m.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    for tensor in tensors:
        (tensor * m.tensor(rng.standard_normal(tuple(tensor.shape)))).sum().backward()
    return tensors


def snapshot(tensors):
    return [(to_numpy(t), to_numpy(t.grad)) for t in tensors]


@pytest.mark.parametrize("framework, name, shapes, action, error, message", error_params())
def test_error_message_and_inputs_unchanged(framework, name, shapes, action, error, message):
    m = torch if framework == "torch" else tg
    tensors = inputs_with_grads(m, shapes)
    before = snapshot(tensors)
    with pytest.raises(error, match=pattern(message)):
        action(m, *tensors)
    for (data, grad), (data_after, grad_after) in zip(before, snapshot(tensors)):
        np.testing.assert_array_equal(data_after, data)
        np.testing.assert_array_equal(grad_after, grad)


INPLACE_ERRORS = [
    ("add_broadcast", lambda m, a: a.add_(m.zeros(2, 3, dtype=a.dtype)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    ("mul_broadcast", lambda m, a: a.mul_(m.ones(4, dtype=a.dtype)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("copy_shape", lambda m, a: a.copy_(m.zeros(2, dtype=a.dtype)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ("setitem_out_of_range", lambda m, a: a.__setitem__(5, 1.0), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    ("setitem_float_index", lambda m, a: a.__setitem__(m.tensor([0.0]), 1.0), IndexError, FLOAT_INDEX),
]


@pytest.mark.parametrize("framework", ["torch", "tinygrad_edu"])
@pytest.mark.parametrize("name, action, error, message", INPLACE_ERRORS, ids=[row[0] for row in INPLACE_ERRORS])
def test_failed_inplace_op_changes_nothing(framework, name, action, error, message):
    m = torch if framework == "torch" else tg
    tensor, = inputs_with_grads(m, [(3,)])
    before = snapshot([tensor])
    with m.no_grad(), pytest.raises(error, match=pattern(message)):
        action(m, tensor)
    (data, grad), = before
    np.testing.assert_array_equal(to_numpy(tensor), data)
    np.testing.assert_array_equal(to_numpy(tensor.grad), grad)


@pytest.mark.parametrize("m", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_second_backward_on_freed_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    grad = to_numpy(x.grad)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    np.testing.assert_array_equal(to_numpy(x.grad), grad)


@pytest.mark.parametrize("m", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_backward_on_a_tensor_without_grad(m):
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        m.zeros(3).sum().backward()


@pytest.mark.parametrize("m", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_only_floating_tensors_can_require_grad(m):
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        m.tensor([1, 2], requires_grad=True)
