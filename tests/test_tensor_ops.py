"""Every Tensor op against torch: value, shape, dtype and every input gradient.

Each table row is ``(name, fn, inputs[, options])``: ``fn`` runs unchanged on both frameworks
(see ``helpers.check``); ``inputs`` are shapes (random data) or arrays.
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_edu as tg
from helpers import Const, F, cases, check, dtype_name, lib

POS = dict(positive=True)
INDEX = np.array([2, 0, 2, 1])


def pad(tensor):
    """``nn.functional.pad`` where it exists (torch always has it), else ``tinygrad_edu.pad``."""
    return getattr(F(tensor), "pad", None) or lib(tensor).pad


ELEMENTWISE = [
    ("add", lambda a, b: a + b, [(3, 4), (4,)]),
    ("sub", lambda a, b: a - b, [(3, 1), (1, 4)]),
    ("mul", lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
    ("div", lambda a, b: a / b, [(3, 4), (3, 4)], dict(positive=(1,))),
    ("pow_tensor_tensor", lambda a, b: a ** b, [(3, 4), (4,)], dict(positive=(0,))),
    ("pow_method", lambda a, b: a.pow(b), [(2, 3), (2, 3)], dict(positive=(0,))),
    ("pow_scalar_2", lambda a: a ** 2, [(3, 4)]),
    ("pow_scalar_3", lambda a: a.pow(3), [(3, 4)]),
    ("pow_scalar_half", lambda a: a ** 0.5, [(3, 4)], POS),
    ("pow_scalar_negative", lambda a: a ** -1.5, [(3, 4)], POS),
    ("pow_scalar_zero", lambda a: a ** 0, [(3, 4)]),
    ("rpow", lambda a: 2.0 ** a, [(3, 4)]),
    ("radd", lambda a: 2.5 + a, [(3, 4)]),
    ("rsub", lambda a: 2.5 - a, [(3, 4)]),
    ("rmul", lambda a: 2.5 * a, [(3, 4)]),
    ("rtruediv", lambda a: 2.5 / a, [(3, 4)], POS),
    ("sub_scalar", lambda a: a - 1, [(3, 4)]),
    ("div_scalar", lambda a: a / 4, [(3, 4)]),
    ("neg", lambda a: -a, [(3, 4)]),
    ("exp", lambda a: a.exp(), [(3, 4)]),
    ("log", lambda a: a.log(), [(3, 4)], POS),
    ("log1p", lambda a: a.log1p(), [(3, 4)], POS),
    ("sqrt", lambda a: a.sqrt(), [(3, 4)], POS),
    ("rsqrt", lambda a: a.rsqrt(), [(3, 4)], POS),
    ("sin", lambda a: a.sin(), [(3, 4)]),
    ("cos", lambda a: a.cos(), [(3, 4)]),
    ("tanh", lambda a: a.tanh(), [(3, 4)]),
    ("sigmoid", lambda a: a.sigmoid(), [(3, 4)]),
    ("relu", lambda a: a.relu(), [(3, 4)]),
    ("abs", lambda a: a.abs(), [(3, 4)]),
    ("sign", lambda a: a.sign(), [(3, 4)]),
    ("clamp_both", lambda a: a.clamp(-0.5, 0.5), [(3, 4)]),
    ("clamp_min", lambda a: a.clamp(min=0.1), [(3, 4)]),
    ("clamp_max", lambda a: a.clamp(max=-0.2), [(3, 4)]),
    ("clip", lambda a: a.clip(-1, 1), [(3, 4)]),
    ("clamp_tensor_bounds", lambda a, b: a.clamp(min=b), [(3, 4), (4,)]),
    ("maximum", lambda a, b: lib(a).maximum(a, b), [(3, 4), (4,)]),
    ("minimum", lambda a, b: lib(a).minimum(a, b), [(3, 1), (3, 4)]),
    ("where", lambda c, a, b: lib(a).where(c > 0, a, b), [(3, 4), (3, 4), (4,)]),
    ("where_scalar_branch", lambda c, a: lib(a).where(c > 0, a, 0.0), [(3, 4), (3, 4)]),
    ("where_scalar_first", lambda c, a: lib(a).where(c > 0, 1.0, a), [(3, 4), (4,)]),
    ("mul_zero_dim_tensor", lambda a, b: a * b, [(3, 4), ()]),
    ("add_zero_dim_tensors", lambda a, b: a + b * 2, [(), ()]),
    ("chain", lambda a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).sigmoid(), [(3, 4), (3, 4)]),
]

REDUCTIONS = [
    ("sum_all", lambda a: a.sum(), [(3, 4)]),
    ("sum_dim", lambda a: a.sum(1), [(3, 4)]),
    ("sum_negative_dim", lambda a: a.sum(-1), [(2, 3, 4)]),
    ("sum_tuple_keepdim", lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 4)]),
    ("sum_dim_keyword", lambda a: a.sum(dim=0), [(2, 3, 4)]),
    ("sum_empty", lambda a: a.sum(0), [(0, 3)]),
    ("sum_negative_tuple", lambda a: a.sum((-1, 0), keepdim=True), [(2, 3, 4)]),
    ("sum_of_scalar", lambda a: a.sum(), [()]),
    ("mean_all", lambda a: a.mean(), [(3, 4)]),
    ("mean_dim", lambda a: a.mean(0), [(3, 4)]),
    ("mean_tuple", lambda a: a.mean((-1, -2), keepdim=True), [(2, 3, 4)]),
    ("prod_all", lambda a: a.prod(), [(3, 4)], POS),
    ("prod_dim", lambda a: a.prod(1), [(3, 4)]),
    ("prod_dim_keepdim", lambda a: a.prod(0, keepdim=True), [(2, 3, 4)]),
    ("max_all", lambda a: a.max(), [(3, 4)]),
    ("min_all", lambda a: a.min(), [(3, 4)]),
    ("max_dim", lambda a: a.max(1), [(3, 4)]),
    ("max_dim_keepdim", lambda a: a.max(dim=0, keepdim=True), [(2, 3, 4)]),
    ("min_dim", lambda a: a.min(-1), [(2, 3, 4)]),
    ("amax", lambda a: a.amax(1), [(3, 4)]),
    ("amax_tuple", lambda a: a.amax((0, 2), keepdim=True), [(2, 3, 4)]),
    ("amin", lambda a: a.amin(-1), [(2, 3, 4)]),
    ("amin_all", lambda a: a.amin(), [(3, 4)]),
    ("argmax_all", lambda a: a.argmax(), [(3, 4)]),
    ("argmax_dim", lambda a: a.argmax(1), [(3, 4)]),
    ("argmax_keepdim", lambda a: a.argmax(dim=0, keepdim=True), [(3, 4)]),
    ("argmin_dim", lambda a: a.argmin(-1), [(2, 3, 4)]),
    ("var_all", lambda a: a.var(), [(3, 4)]),
    ("var_dim", lambda a: a.var(1), [(3, 4)]),
    ("var_correction0", lambda a: a.var(dim=(0, 1), correction=0), [(3, 4)]),
    ("var_unbiased_false", lambda a: a.var(1, unbiased=False), [(3, 4)]),
    ("var_keepdim", lambda a: a.var(0, keepdim=True), [(2, 3, 4)]),
    ("var_correction2", lambda a: a.var(1, correction=2), [(3, 5)]),
    ("std_unbiased_false", lambda a: a.std(unbiased=False), [(3, 4)]),
    ("std_all", lambda a: a.std(), [(3, 4)]),
    ("std_dim_keepdim", lambda a: a.std(0, keepdim=True), [(3, 4)]),
    ("std_correction0", lambda a: a.std(-1, correction=0), [(2, 3, 4)]),
    ("logsumexp", lambda a: a.logsumexp(1), [(3, 4)]),
    ("logsumexp_keepdim", lambda a: a.logsumexp(-1, keepdim=True), [(2, 3, 4)]),
    ("logsumexp_tuple", lambda a: a.logsumexp((0, 1)), [(2, 3, 4)]),
    ("softmax_vector", lambda a: a.softmax(0), [(5,)]),
    ("logsumexp_large", lambda a: (a * 500).logsumexp(0), [(3, 4)]),
    ("softmax", lambda a: a.softmax(1), [(3, 4)]),
    ("softmax_dim0", lambda a: a.softmax(dim=0), [(2, 3, 4)]),
    ("softmax_large", lambda a: (a * 500).softmax(-1), [(3, 4)]),
    ("log_softmax", lambda a: a.log_softmax(-1), [(2, 3, 4)]),
    ("log_softmax_large", lambda a: (a * 500).log_softmax(1), [(3, 4)]),
    ("F_softmax", lambda a: F(a).softmax(a, dim=1), [(3, 4)]),
    ("F_log_softmax", lambda a: F(a).log_softmax(a, dim=1), [(3, 4)]),
]

MATMUL = [
    ("vector_vector", lambda a, b: a @ b, [(3,), (3,)]),
    ("vector_matrix", lambda a, b: a @ b, [(3,), (3, 4)]),
    ("matrix_vector", lambda a, b: a @ b, [(3, 4), (4,)]),
    ("matrix_matrix", lambda a, b: a @ b, [(3, 4), (4, 5)]),
    ("batched_matrix", lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    ("matrix_batched", lambda a, b: a @ b, [(3, 4), (2, 4, 5)]),
    ("batched_broadcast", lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    ("vector_batched", lambda a, b: a @ b, [(3,), (2, 3, 4)]),
    ("batched_vector", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    ("vector_4d", lambda a, b: a @ b, [(3,), (2, 2, 3, 4)]),
    ("matmul_method", lambda a, b: a.matmul(b), [(2, 3, 4), (2, 4, 5)]),
    ("matmul_function", lambda a, b: lib(a).matmul(a, b), [(3, 4), (4, 2)]),
    ("mm", lambda a, b: a.mm(b), [(3, 4), (4, 5)]),
    ("bmm", lambda a, b: a.bmm(b), [(2, 3, 4), (2, 4, 5)]),
    ("square_transpose", lambda a: a @ a.T, [(4, 4)]),
]

SHAPES = [
    ("reshape", lambda a: a.reshape(4, 3), [(3, 4)]),
    ("reshape_tuple_infer", lambda a: a.reshape((2, -1)), [(3, 4)]),
    ("view", lambda a: a.view(-1), [(3, 4)]),
    ("view_tuple", lambda a: a.view(2, 2, 3), [(3, 4)]),
    ("flatten", lambda a: a.flatten(), [(2, 3, 4)]),
    ("flatten_start", lambda a: a.flatten(1), [(2, 3, 4)]),
    ("flatten_range", lambda a: a.flatten(0, 1), [(2, 3, 4)]),
    ("unflatten", lambda a: a.unflatten(1, (2, 2)), [(3, 4)]),
    ("unflatten_infer", lambda a: a.unflatten(-1, (2, -1)), [(3, 4)]),
    ("squeeze_all", lambda a: a.squeeze(), [(3, 1, 4, 1)]),
    ("squeeze_dim", lambda a: a.squeeze(1), [(3, 1, 4)]),
    ("squeeze_noop", lambda a: a.squeeze(0), [(3, 1, 4)]),
    ("squeeze_tuple", lambda a: a.squeeze((1, 3)), [(3, 1, 4, 1)]),
    ("flatten_scalar", lambda a: a.flatten(), [()]),
    ("reshape_to_scalar", lambda a: a.reshape(()), [(1, 1)]),
    ("unsqueeze", lambda a: a.unsqueeze(0), [(3, 4)]),
    ("unsqueeze_negative", lambda a: a.unsqueeze(-1), [(3, 4)]),
    ("transpose", lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    ("transpose_negative", lambda a: a.transpose(-1, -2), [(2, 3, 4)]),
    ("permute", lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    ("permute_tuple", lambda a: a.permute((1, 2, 0)), [(2, 3, 4)]),
    ("permute_negative", lambda a: a.permute(-1, 0, 1), [(2, 3, 4)]),
    ("T", lambda a: a.T, [(3, 4)]),
    ("mT", lambda a: a.mT, [(2, 3, 4)]),
    ("expand", lambda a: a.expand(2, 3, 4), [(3, 1)]),
    ("expand_keep", lambda a: a.expand(3, -1), [(1, 4)]),
    ("expand_new_dims", lambda a: a.expand(2, -1, -1), [(3, 4)]),
    ("expand_as", lambda a, b: a.expand_as(b), [(1, 4), (3, 4)]),
    ("repeat", lambda a: a.repeat(2, 3), [(3, 4)]),
    ("repeat_new_dims", lambda a: a.repeat(2, 1, 2), [(3, 4)]),
    ("repeat_tuple", lambda a: a.repeat((1, 2)), [(3, 4)]),
    ("contiguous", lambda a: a.T.contiguous() * 2, [(3, 4)]),
    ("cat", lambda a, b: lib(a).cat([a, b], dim=1), [(3, 4), (3, 2)]),
    ("cat_default_dim", lambda a, b: lib(a).cat((a, b)), [(3, 4), (2, 4)]),
    ("cat_negative_dim", lambda a, b, c: lib(a).cat([a, b, c], -1), [(2, 3), (2, 1), (2, 2)]),
    ("cat_promotes", lambda a, b: lib(a).cat([a, b.float()]), [(2, 3), (1, 3)]),
    ("stack", lambda a, b: lib(a).stack([a, b]), [(3, 4), (3, 4)]),
    ("stack_last", lambda a, b: lib(a).stack([a, b], dim=-1), [(3, 4), (3, 4)]),
    ("split_size", lambda a: a.split(3, dim=1), [(2, 7)]),
    ("split_sizes", lambda a: a.split([1, 3], dim=1), [(2, 4)]),
    ("split_dim0", lambda a: a.split(2), [(5, 3)]),
    ("split_one_used", lambda a: a.split(2)[1] * 2, [(5, 3)]),
    ("chunk", lambda a: a.chunk(3, dim=0), [(7, 2)]),
    ("chunk_last", lambda a: a.chunk(2, -1), [(2, 4)]),
    ("gather", lambda a: a.gather(1, lib(a).tensor([[0, 0], [1, 0], [3, 3]])), [(3, 4)]),
    ("gather_dim0", lambda a: a.gather(0, lib(a).tensor([[2, 0, 1, 2]])), [(3, 4)]),
    ("gather_3d_last", lambda a: a.gather(-1, lib(a).tensor([[[1], [0], [1]], [[0], [0], [1]]])), [(2, 3, 2)]),
    ("index_select", lambda a: a.index_select(0, lib(a).tensor(INDEX)), [(3, 4)]),
    ("index_select_dim1", lambda a: a.index_select(1, lib(a).tensor([3, 3])), [(3, 4)]),
    ("index_select_negative_dim", lambda a: a.index_select(-1, lib(a).tensor([0, 2])), [(2, 3, 4)]),
    ("masked_fill", lambda a: a.masked_fill(a > 0, 0.5), [(3, 4)]),
    ("masked_fill_tensor_value", lambda a: a.masked_fill(a < 0, lib(a).tensor(0.5)), [(3, 4)]),
    ("masked_fill_broadcast", lambda a, m: a.masked_fill(m, -1.0), [(3, 4), Const([True, False, False, True])]),
    ("pad", lambda a: pad(a)(a, (1, 2)), [(3, 4)]),
    ("pad_two_dims", lambda a: pad(a)(a, (1, 1, 2, 0), value=3.0), [(2, 3, 4)]),
    ("tril", lambda a: a.tril(), [(4, 4)]),
    ("tril_diagonal", lambda a: a.tril(-1), [(3, 5)]),
    ("triu", lambda a: a.triu(1), [(2, 3, 4)]),
    ("tril_batched", lambda a: a.tril(1), [(2, 3, 4)]),
    ("einsum_matmul", lambda a, b: lib(a).einsum("ij,jk->ik", a, b), [(3, 4), (4, 5)]),
    ("einsum_bmm", lambda a, b: lib(a).einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    ("einsum_dot", lambda a, b: lib(a).einsum("i,i->", a, b), [(4,), (4,)]),
    ("einsum_outer", lambda a, b: lib(a).einsum("i,j->ij", a, b), [(3,), (4,)]),
    ("einsum_transpose", lambda a: lib(a).einsum("ij->ji", a), [(3, 4)]),
    ("einsum_implicit_output", lambda a, b: lib(a).einsum("ij,jk", a, b), [(3, 4), (4, 5)]),
    ("einsum_list_operands", lambda a, b: lib(a).einsum("ij,ij->i", [a, b]), [(3, 4), (3, 4)]),
    ("einsum_attention", lambda q, k: lib(q).einsum("bhqd,bhkd->bhqk", q, k), [(2, 2, 3, 4), (2, 2, 5, 4)]),
]

INDEXING = [
    ("int", lambda a: a[1], [(3, 4)]),
    ("negative_int", lambda a: a[-1], [(3, 4)]),
    ("two_ints", lambda a: a[1, -2], [(3, 4)]),
    ("slice", lambda a: a[1:], [(3, 4)]),
    ("slice_step", lambda a: a[::2, 1::2], [(5, 4)]),
    ("slice_negative", lambda a: a[-2:, :-1], [(3, 4)]),
    ("none", lambda a: a[None, :, None], [(3, 4)]),
    ("ellipsis", lambda a: a[..., 1], [(2, 3, 4)]),
    ("ellipsis_slice", lambda a: a[0, ..., 1:3], [(2, 3, 4)]),
    ("int_tensor", lambda a: a[lib(a).tensor([2, 0])], [(3, 4)]),
    ("int_tensor_repeated", lambda a: a[lib(a).tensor([1, 1, 0, 1])], [(3, 4)]),
    ("int_tensor_2d", lambda a: a[lib(a).tensor([[0, 1], [1, 1]])], [(3, 4)]),
    ("list", lambda a: a[[0, 2, 2]], [(3, 4)]),
    ("int_tensor_dim1", lambda a: a[:, lib(a).tensor([3, 0, 3])], [(3, 4)]),
    ("two_int_tensors", lambda a: a[lib(a).tensor([0, 2, 0]), lib(a).tensor([1, 3, 1])], [(3, 4)]),
    ("int_tensor_and_slice", lambda a: a[lib(a).tensor([1, 1]), 1:], [(3, 4)]),
    ("separated_int_tensors", lambda a: a[lib(a).tensor([0, 1]), :, lib(a).tensor([2, 3])], [(2, 3, 4)]),
    ("int_then_int_tensor", lambda a: a[1, lib(a).tensor([0, 2, 2])], [(3, 4)]),
    ("negative_int_tensor", lambda a: a[lib(a).tensor([-1, 0, -1])], [(3, 4)]),
    ("zero_dim_int_tensor", lambda a: a[lib(a).tensor(1)], [(3, 4)]),
    ("list_pair", lambda a: a[[0, 2], [1, 3]], [(3, 4)]),
    ("bool_mask_2d_of_3d", lambda a: a[a[..., 0] > 0], [(3, 4, 2)]),
    ("bool_mask_after_slice", lambda a, m: a[:, m], [(3, 4), Const([True, False, True, True])]),
    ("none_and_int_tensor", lambda a: a[None, lib(a).tensor([1, 0])], [(3, 4)]),
    ("bool_mask", lambda a: a[a > 0], [(3, 4)]),
    ("bool_mask_rows", lambda a, m: a[m], [(3, 4), Const([True, False, True])]),
]

COMPARISONS = [
    ("eq", lambda a, b: a == b, [np.array([1.0, 2, 3]), np.array([1.0, 0, 3])]),
    ("ne", lambda a, b: a != b, [np.array([1.0, 2, 3]), np.array([1.0, 0, 3])]),
    ("lt", lambda a, b: a < b, [(3, 4), (4,)]),
    ("le", lambda a, b: a <= b, [np.array([1.0, 2, 3]), np.array([1.0, 0, 4])]),
    ("gt", lambda a: a > 0, [(3, 4)]),
    ("ge_scalar", lambda a: a >= 0.5, [(3, 4)]),
    ("eq_scalar", lambda a: a == 2.0, [np.array([1.0, 2, 3])]),
    ("any", lambda a: (a > 1).any(), [(3, 4)]),
    ("all", lambda a: (a > -3).all(), [(3, 4)]),
    ("any_dim", lambda a: (a > 0).any(1), [(3, 4)]),
    ("all_dim", lambda a: (a > 0).all(dim=0), [(3, 4)]),
    ("float_from_comparison", lambda a: (a > 0).float() * a, [(3, 4)]),
]

ALL_OPS = ELEMENTWISE + REDUCTIONS + MATMUL + SHAPES + INDEXING + COMPARISONS
# rows gradcheck cannot judge: integer outputs only, or a float32 cast inside the op
NOT_GRADCHECKABLE = {"argmax_all", "argmax_dim", "argmax_keepdim", "argmin_dim", "cat_promotes"}
DIFFERENTIABLE = [row for row in ELEMENTWISE + REDUCTIONS + MATMUL + SHAPES + INDEXING
                  if row[0] not in NOT_GRADCHECKABLE]


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
def test_op_float64(fn, inputs, options):
    check(fn, *inputs, **options)


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
def test_op_float32(fn, inputs, options):
    check(fn, *inputs, dtype="float32", **options)


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
def test_op_gradient_recorded_with_create_graph(fn, inputs, options):
    """The same backward formulas run on Tensors (recorded) give torch's gradients too."""
    check(fn, *inputs, create_graph=True, **options)


# -- ties and kinks: gradients follow torch's rules exactly --
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0]])
KINKS = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])

TIE_CASES = [
    ("max_all_evenly", lambda a: a.max(), [TIES]),
    ("min_all_evenly", lambda a: a.min(), [TIES]),
    ("amax_evenly", lambda a: a.amax(1), [TIES]),
    ("amin_evenly", lambda a: a.amin(0), [TIES]),
    ("max_dim_to_index", lambda a: a.max(1), [TIES]),
    ("min_dim_to_index", lambda a: a.min(0), [TIES]),
    ("maximum_equal_halves", lambda a, b: lib(a).maximum(a, b), [TIES, TIES[::-1].copy()]),
    ("minimum_equal_halves", lambda a, b: lib(a).minimum(a, b), [TIES, TIES[::-1].copy()]),
    ("relu_at_zero", lambda a: a.relu(), [KINKS]),
    ("abs_at_zero", lambda a: a.abs(), [KINKS]),
    ("clamp_at_bounds", lambda a: a.clamp(0.0, 1.0), [KINKS]),
    ("square_at_zero", lambda a: a ** 2, [KINKS]),
    ("pow_zero_base", lambda a: a ** 3, [KINKS]),
]


@pytest.mark.parametrize("fn, inputs, options", cases(TIE_CASES))
def test_ties_follow_torch(fn, inputs, options):
    check(fn, *inputs, **options)


def test_max_with_dim_returns_named_tuple():
    x = tg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = x.max(dim=1)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == tg.int64
    assert x.min(0).indices.tolist() == [0, 1, 0]


def test_index_gradient_accumulates_repeated_indices():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[tg.tensor([0, 0, 2, 0])].backward(tg.tensor([1.0, 10.0, 100.0, 1000.0]))
    assert x.grad.tolist() == [1011.0, 0.0, 100.0]


def test_comparisons_are_bool_without_grad():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    for result in (x > 0, x < 0, x >= 0, x <= 0, x == 1, x != 1):
        assert result.dtype == tg.bool and not result.requires_grad and result.grad_fn is None


# -- dtype promotion: the result dtype is torch's --
PROMOTIONS = [
    ("float32_times_python_float", lambda a: a * 2.5, ["float32"]),
    ("float32_times_python_int", lambda a: a * 3, ["float32"]),
    ("float16_plus_python_float", lambda a: a + 0.5, ["float16"]),
    ("int64_times_python_float", lambda a: a * 2.5, ["int64"]),
    ("int32_plus_python_int", lambda a: a + 1, ["int32"]),
    ("bool_times_python_int", lambda a: a * 2, ["bool"]),
    ("int64_plus_float32", lambda a, b: a + b, ["int64", "float32"]),
    ("float32_plus_float64", lambda a, b: a + b, ["float32", "float64"]),
    ("float16_plus_float32", lambda a, b: a + b, ["float16", "float32"]),
    ("int32_plus_int64", lambda a, b: a + b, ["int32", "int64"]),
    ("int_div_int_is_float32", lambda a, b: a / b, ["int64", "int64"]),
    ("int32_div_python_int", lambda a: a / 2, ["int32"]),
    ("float32_with_float64_scalar_tensor", lambda a, b: a * b[0, 0], ["float32", "float64"]),
    ("int64_with_float64_scalar_tensor", lambda a, b: a * b[0, 0], ["int64", "float64"]),
    ("float32_pow_python_int", lambda a: a ** 2, ["float32"]),
    ("int64_pow_python_int", lambda a: a ** 2, ["int64"]),
    ("float32_rsub", lambda a: 1.0 - a, ["float32"]),
    ("int32_sum_is_int64", lambda a: a.sum(), ["int32"]),
    ("bool_sum_is_int64", lambda a: a.sum(), ["bool"]),
    ("float32_mean", lambda a: a.mean(), ["float32"]),
    ("float32_where_python_float", lambda a: lib(a).where(a > 1, a, 0.0), ["float32"]),
    ("float32_maximum_float64", lambda a, b: lib(a).maximum(a, b), ["float32", "float64"]),
    ("float32_matmul", lambda a, b: a @ b.T, ["float32", "float32"]),
]


@pytest.mark.parametrize("fn, dtypes, options", cases(PROMOTIONS))
def test_result_dtype_matches_torch(fn, dtypes, options):
    rng = np.random.default_rng(0)
    arrays = [rng.integers(1, 4, size=(2, 3)).astype(dtype) for dtype in dtypes]
    ours = fn(*[tg.tensor(array) for array in arrays])
    theirs = fn(*[torch.tensor(array) for array in arrays])
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3)


def test_float32_stays_float32_through_a_chain():
    x = tg.randn(3, 4, requires_grad=True)
    y = ((x * 0.5 + 1) ** 2 / 3.0 - x.exp()).tanh().sum() * 2.0
    y.backward()
    assert y.dtype == tg.float32 and x.grad.dtype == tg.float32


# -- properties over random shapes --
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "maximum": lambda a, b: lib(a).maximum(a, b),
    "where": lambda a, b: lib(a).where(a > b, a, b * 2),
}


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4), name=st.sampled_from(sorted(BINARY)),
       seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_like_torch(shapes, name, seed):
    check(BINARY[name], *shapes.input_shapes, seed=seed)


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_division_and_power_broadcast_like_torch(shapes, seed):
    check(lambda a, b: a / b + a ** b, *shapes.input_shapes, positive=True, seed=seed)


UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "sin", "neg"]


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=0, max_dims=4, max_side=4), name=st.sampled_from(UNARY), seed=st.integers(0, 2**16))
def test_unary_ops_on_any_shape(shape, name, seed):
    check(lambda a: getattr(a, name)(), shape, seed=seed)


REDUCE = ["sum", "mean", "amax", "logsumexp", "softmax", "log_softmax", "var", "prod"]


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=2, max_side=4), data=st.data(), name=st.sampled_from(REDUCE))
def test_reductions_over_any_dim(shape, data, name):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    keyword = {} if name in ("softmax", "log_softmax") else dict(keepdim=keepdim)
    check(lambda a: getattr(a, name)(dim, **keyword), shape, seed=data.draw(st.integers(0, 99)))


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), data=st.data())
def test_reductions_over_any_dims_tuple(shape, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True), label="dims")
    name = data.draw(st.sampled_from(["sum", "mean", "amax", "amin"]), label="op")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda a: getattr(a, name)(tuple(dims), keepdim=keepdim), shape)


def positive_step_slices(size):
    return st.slices(size).filter(lambda item: item.step is None or item.step > 0)


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_basic_slicing_on_any_shape(shape, data):
    index = tuple(data.draw(positive_step_slices(size), label=f"slice {axis}") for axis, size in enumerate(shape))
    check(lambda a: a[index], shape)


FLOAT16_OPS = ["add", "mul", "exp", "tanh", "sigmoid", "relu", "sum_dim", "softmax", "matrix_matrix", "reshape"]


@pytest.mark.parametrize("fn, inputs, options", cases([row for row in ALL_OPS if row[0] in FLOAT16_OPS]))
def test_op_float16(fn, inputs, options):
    check(fn, *inputs, dtype="float16", rtol=2e-3, atol=2e-3, **options)


@settings(max_examples=25, deadline=None)
@given(batch=mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
       sizes=st.tuples(*[st.integers(1, 4)] * 3))
def test_batched_matmul_broadcasts_like_torch(batch, sizes):
    n, k, m = sizes
    a_shape, b_shape = batch.input_shapes
    check(lambda a, b: a @ b, a_shape + (n, k), b_shape + (k, m))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_saturates_like_torch_without_warnings(dtype):
    """1 / (1 + exp(-x)), as torch computes it: where exp(-x) overflows (below about -88 in float32)
    the result is 0 and its gradient 0, with no warning."""
    values = [-1000.0, -100.0, -89.0, -88.0, -20.0, 0.0, 20.0, 100.0, 1000.0]
    ours = tg.tensor(values, dtype=getattr(tg, dtype), requires_grad=True)
    theirs = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours_output = ours.sigmoid()
        ours_output.sum().backward()
    theirs_output = theirs.sigmoid()
    theirs_output.sum().backward()
    np.testing.assert_allclose(ours_output.detach().numpy(), theirs_output.detach().numpy(), rtol=1e-6, atol=0)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=0)
