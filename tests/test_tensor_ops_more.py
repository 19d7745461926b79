"""More Tensor ops against torch: sorting and selection, norms, rounding and division, scatter, unique,
diagonals, cumprod, products, erf; indexing with NumPy scalars and ranges; NumPy functions on tensors;
pickle and deepcopy of tensors and modules.

Each table row is ``(name, fn, inputs[, options])`` (see ``helpers.check``): values, dtypes and every
gradient (random upstream) are compared in float64 and float32.
"""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_edu as tg
from helpers import Const, cases, check, lib, make_inputs, random_array, to_numpy
from test_higher_order import TIGHT, as_array, gradient_and_hvp

NO_GRAD = dict(grad=False)
INF = math.inf
ROW_INDEX = Const(np.array([[0, 3], [4, 1], [2, 0]]))  # distinct positions in each row: scatter is deterministic
REPEATED_INDEX = Const(np.array([[0, 1, 0], [2, 0, 0]]))
INTS = Const(np.array([[7, -7, 5], [-5, 9, 0]]))
NONZERO_INTS = Const(np.array([[2, 2, -3], [-3, 4, 7]]))
TIES = np.array([[1.0, 2.0, 1.0, 3.0, 2.0, 1.0], [0.5, 0.5, -1.0, 0.5, 2.0, -1.0]])
ZEROS_INSIDE = np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 3.0], [0.0, 0.0, 2.0, 1.0], [1.0, -2.0, 0.5, 0.0]])

SORTING = [
    ("sort", lambda a: a.sort(), [(3, 5)]),
    ("sort_dim0_descending", lambda a: a.sort(0, descending=True), [(4, 3)]),
    ("sort_function_stable", lambda a: lib(a).sort(a, dim=-1, stable=True), [(2, 3, 4)]),
    ("sort_ties_stable", lambda a: a.sort(stable=True), [TIES]),
    ("sort_ties_stable_descending", lambda a: a.sort(dim=1, descending=True, stable=True), [TIES]),
    ("sort_scalar", lambda a: a.sort(), [()]),
    ("argsort", lambda a: a.argsort(), [(3, 5)]),
    ("argsort_descending_dim0", lambda a: lib(a).argsort(a, dim=0, descending=True), [(4, 3)]),
    ("argsort_ties_stable", lambda a: a.argsort(stable=True), [TIES]),
    ("topk", lambda a: a.topk(3), [(4, 6)]),
    ("topk_smallest_dim0", lambda a: a.topk(2, dim=0, largest=False), [(5, 3)]),
    ("topk_function", lambda a: lib(a).topk(a, 2, 1), [(2, 4, 3)]),
    ("topk_all", lambda a: a.topk(4), [(4,)]),
    ("kthvalue", lambda a: a.kthvalue(2), [(3, 5)]),
    ("kthvalue_dim0_keepdim", lambda a: a.kthvalue(3, 0, keepdim=True), [(4, 3)]),
    ("kthvalue_function", lambda a: lib(a).kthvalue(a, 1, dim=-1), [(2, 3, 4)]),
    ("kthvalue_scalar", lambda a: a.kthvalue(1), [()]),
    ("topk_scalar", lambda a: a.topk(1), [()]),
    ("median", lambda a: a.median(), [(3, 4)]),
    ("median_even_count", lambda a: a.median(), [(2, 3)]),
    ("median_dim", lambda a: a.median(dim=1), [(3, 4)]),
    ("median_dim0_keepdim_function", lambda a: lib(a).median(a, 0, keepdim=True), [(5, 3)]),
    ("median_ties", lambda a: a.median(1), [TIES]),
    ("median_nan_dim", lambda a: a.median(1), [np.array([[1.0, np.nan, 2.0, np.nan], [3.0, 1.0, 2.0, 0.0]])]),
    ("median_nan", lambda a: a.median(), [np.array([[1.0, np.nan, 2.0], [3.0, 1.0, 2.0]])], NO_GRAD),
    ("median_int", lambda a: (a.median(), a.median(0)), [INTS]),
    ("max_dim_named", lambda a: a.max(dim=1).values * a.max(dim=1).indices, [(3, 4)]),
]

NORMS = [
    ("norm", lambda a: a.norm(), [(3, 4)]),
    ("norm_p1_dim", lambda a: a.norm(1, dim=1), [(3, 4)]),
    ("norm_inf_keepdim", lambda a: a.norm(INF, dim=0, keepdim=True), [(3, 4)]),
    ("norm_negative_inf", lambda a: a.norm(-INF, dim=1), [(3, 4)]),
    ("norm_p3_dims", lambda a: a.norm(3, dim=(0, 1)), [(2, 3, 4)]),
    ("norm_fro_dims", lambda a: a.norm("fro", dim=(1, 2)), [(2, 3, 4)]),
    ("norm_zero_rows", lambda a: (a * lib(a).tensor([[0.0], [1.0], [0.0]], dtype=a.dtype)).norm(dim=1), [(3, 4)]),
    ("norm_p3_zero_rows", lambda a: (a * lib(a).tensor([[0.0], [1.0]], dtype=a.dtype)).norm(3, dim=1), [(2, 4)]),
    ("norm_function", lambda a: lib(a).norm(a, p=2, dim=-1), [(2, 3)]),
    ("norm_p0", lambda a: a.norm(0), [(3, 4)]),
    ("linalg_norm", lambda a: lib(a).linalg.norm(a), [(3, 4)]),
    ("linalg_norm_vector_ord", lambda a: lib(a).linalg.norm(a, ord=3), [(5,)]),
    ("linalg_norm_matrix_ord1", lambda a: lib(a).linalg.norm(a, ord=1), [(3, 4)]),
    ("linalg_norm_matrix_ord_inf", lambda a: lib(a).linalg.norm(a, ord=INF), [(3, 4)]),
    ("linalg_norm_ord_dim", lambda a: lib(a).linalg.norm(a, ord=-INF, dim=1), [(3, 4)]),
    ("linalg_norm_dims_fro", lambda a: lib(a).linalg.norm(a, dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    ("vector_norm", lambda a: lib(a).linalg.vector_norm(a), [(2, 3, 4)]),
    ("vector_norm_ord_half", lambda a: lib(a).linalg.vector_norm(a, ord=0.5, dim=1), [(3, 4)]),
    ("vector_norm_ord1_keepdim", lambda a: lib(a).linalg.vector_norm(a, 1, (0, 2), True), [(2, 3, 4)]),
    ("vector_norm_dtype", lambda a: lib(a).linalg.vector_norm(a, dtype=lib(a).float64), [(3, 4)]),
    ("matrix_norm", lambda a: lib(a).linalg.matrix_norm(a), [(2, 3, 4)]),
    ("matrix_norm_inf", lambda a: lib(a).linalg.matrix_norm(a, ord=INF), [(2, 3, 4)]),
    ("matrix_norm_neg1_dims", lambda a: lib(a).linalg.matrix_norm(a, ord=-1, dim=(0, 2), keepdim=True), [(3, 2, 4)]),
    ("matrix_norm_neg_inf", lambda a: lib(a).linalg.matrix_norm(a, ord=-INF), [(3, 4)]),
]

ROUNDING = [
    ("floor", lambda a: (a * 3).floor(), [(3, 4)]),
    ("ceil", lambda a: (a * 3).ceil(), [(3, 4)]),
    ("trunc", lambda a: (a * 3).trunc(), [(3, 4)]),
    ("fix", lambda a: lib(a).fix(a * 3), [(3, 4)]),
    ("round", lambda a: (a * 3).round(), [(3, 4)]),
    ("round_half_to_even", lambda a: a.round(), [np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49999999999999994])]),
    ("round_decimals", lambda a: (a * 30).round(decimals=1), [(3, 4)]),
    ("round_negative_decimals", lambda a: lib(a).round(a * 300, decimals=-1), [(3, 4)]),
    ("frac", lambda a: (a * 3).frac(), [(3, 4)]),
    ("frac_function", lambda a: lib(a).frac(a * 3), [(3, 4)]),
    ("floor_int", lambda a: a.floor(), [INTS]),
    ("ceil_int", lambda a: lib(a).ceil(a), [INTS]),
    ("round_int", lambda a: a.round(), [INTS]),
    ("sign_int", lambda a: a.sign(), [INTS]),
    ("sign_zero", lambda a: (a * 0).sign(), [(3,)]),
]

DIVISION = [
    ("floor_divide", lambda a, b: a // b, [(3, 4), (4,)], NO_GRAD),
    ("floor_divide_scalar", lambda a: a // 0.3, [(3, 4)], NO_GRAD),
    ("floor_divide_function", lambda a, b: lib(a).floor_divide(a, b), [(3, 4), (3, 4)], NO_GRAD),
    ("rfloordiv", lambda a: 2.0 // a, [(3, 4)], NO_GRAD),
    ("floor_divide_int", lambda a, b: a // b, [INTS, NONZERO_INTS]),
    ("floor_divide_int_by_float", lambda a: a // 2.5, [INTS]),
    ("floor_divide_exact_float", lambda a: a // 0.1, [np.array([1.0, -1.0, 0.3, 0.7])], NO_GRAD),
    ("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), [INTS, NONZERO_INTS]),
    ("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"), [(3, 4), (3, 4)]),
    ("div_trunc_int", lambda a, b: lib(a).div(a, b, rounding_mode="trunc"), [INTS, NONZERO_INTS]),
    ("div_trunc_int_by_float", lambda a: a.div(2.5, rounding_mode="trunc"), [INTS]),
    ("div_trunc_float_by_int", lambda a, b: a.div(b, rounding_mode="trunc"), [(2, 3), NONZERO_INTS]),
    ("divide_floor_scalar", lambda a: lib(a).divide(a, -2, rounding_mode="floor"), [INTS]),
    ("div_none", lambda a, b: a.div(b, rounding_mode=None), [(3, 4), (3, 4)], dict(positive=(1,))),
    ("remainder", lambda a, b: a % b, [(3, 4), (4,)]),
    ("remainder_scalar", lambda a: a.remainder(-0.7), [(3, 4)]),
    ("remainder_function", lambda a, b: lib(a).remainder(a, b), [(2, 3), (2, 3)]),
    ("remainder_int", lambda a, b: a % b, [INTS, NONZERO_INTS]),
    ("remainder_int_by_float", lambda a: a % 2.5, [INTS]),
    ("rmod", lambda a: 5.0 % a, [(3, 4)], NO_GRAD),
    ("fmod", lambda a, b: a.fmod(b), [(3, 4), (3, 4)]),
    ("fmod_broadcast", lambda a, b: a.fmod(b), [(3, 4), (3, 1)]),
    ("fmod_scalar_function", lambda a: lib(a).fmod(a, 0.4), [(3, 4)]),
    ("fmod_int", lambda a, b: a.fmod(b), [INTS, NONZERO_INTS]),
    ("float_by_zero", lambda a: (a // 0, a % 0, a.fmod(0)), [(3,)], NO_GRAD),
]

SCATTER = [
    ("scatter", lambda a, b, i: a.scatter(1, i, b), [(3, 5), (3, 2), ROW_INDEX]),
    ("scatter_value", lambda a, i: a.scatter(1, i, 1.5), [(3, 5), ROW_INDEX]),
    ("scatter_value_keyword", lambda a, i: a.scatter(1, i, value=-2.0), [(3, 5), ROW_INDEX]),
    # a larger src: torch's backward fails on it, so values only
    ("scatter_src_larger", lambda a, b, i: a.scatter(1, i, b), [(3, 5), (4, 6), ROW_INDEX], NO_GRAD),
    ("scatter_dim0", lambda a, b, i: a.scatter(0, i, b), [(5, 3), (2, 3), Const(np.array([[0, 4, 2], [3, 1, 0]]))]),
    ("scatter_function", lambda a, b, i: lib(a).scatter(a, -1, i, b), [(3, 5), (3, 2), ROW_INDEX]),
    ("scatter_inplace", lambda a, b, i: (a * 1).scatter_(1, i, b), [(3, 5), (3, 2), ROW_INDEX]),
    ("scatter_reduce_add", lambda a, b, i: a.scatter(0, i, b, reduce="add"), [(3, 3), (2, 3), REPEATED_INDEX],
     NO_GRAD),
    ("scatter_reduce_multiply", lambda a, b, i: a.scatter(0, i, b, reduce="multiply"),
     [(3, 3), (2, 3), REPEATED_INDEX], NO_GRAD),
    ("scatter_add", lambda a, b, i: a.scatter_add(0, i, b), [(3, 3), (2, 3), REPEATED_INDEX]),
    ("scatter_add_src_larger", lambda a, b, i: a.scatter_add(0, i, b), [(3, 3), (4, 4), REPEATED_INDEX], NO_GRAD),
    ("scatter_int32_index", lambda a, b, i: a.scatter(1, i.int(), b), [(3, 5), (3, 2), ROW_INDEX]),
    ("scatter_add_function", lambda a, b, i: lib(a).scatter_add(a, 0, i, b), [(3, 3), (2, 3), REPEATED_INDEX]),
    ("scatter_add_inplace", lambda a, b, i: (a * 1).scatter_add_(0, i, b), [(3, 3), (2, 3), REPEATED_INDEX]),
]

SELECTION = [
    ("nonzero", lambda a: (a > 0).nonzero(), [(3, 4)]),
    ("nonzero_as_tuple", lambda a: lib(a).nonzero(a > 0, as_tuple=True), [(3, 4)]),
    ("nonzero_float", lambda a: (a * (a > 0)).nonzero(), [(2, 3, 2)]),
    ("nonzero_scalar", lambda a: (a * 0 + 1).nonzero(), [()]),
    ("nonzero_scalar_as_tuple", lambda a: (a * 0).nonzero(as_tuple=True), [()]),
    ("argwhere", lambda a: lib(a).argwhere(a > 0.5), [(2, 3, 2)]),
    ("masked_select", lambda a, m: a.masked_select(m > 0), [(3, 4), (3, 4)]),
    ("masked_select_mask_broadcasts", lambda a, m: lib(a).masked_select(a, m > 0), [(3, 4), (4,)]),
    ("masked_select_self_broadcasts", lambda a, m: a.masked_select(m > 0), [(4,), (3, 4)]),
    ("unique", lambda a: lib(a).unique(a, return_inverse=True, return_counts=True), [INTS]),
    ("unique_float", lambda a: a.unique(), [Const(np.array([2.5, -1.0, 2.5, 0.0]))]),
    ("unique_sorted_false", lambda a: a.unique(sorted=False, return_counts=True), [Const(np.array([3, 1, 2, 1]))]),
    ("unique_dim", lambda a: a.unique(dim=0, return_inverse=True, return_counts=True),
     [Const(np.array([[1, 2], [0, 5], [1, 2], [0, 4]]))]),
    ("unique_dim1", lambda a: lib(a).unique(a, dim=1, return_inverse=True), [Const(np.array([[1, 0, 1], [2, 5, 2]]))]),
    ("isclose", lambda a, b: a.isclose(a + b * 1e-6), [(3, 4), (3, 4)]),
    ("isclose_tolerances", lambda a, b: lib(a).isclose(a, b, rtol=0.5, atol=0.3), [(3, 4), (3, 4)]),
    ("isclose_nan_inf", lambda a: (a.isclose(a), a.isclose(a, equal_nan=True)),
     [Const(np.array([np.nan, 1.0, np.inf, -np.inf]))]),
    ("isclose_scalar", lambda a: a.isclose(a * 0 + 1), [(3,)]),
]

REARRANGING = [
    ("roll", lambda a: a.roll(1), [(3, 4)]),
    ("roll_dims", lambda a: a.roll((2, -1), (0, 1)), [(3, 4)]),
    ("roll_function_big_shift", lambda a: lib(a).roll(a, -7, dims=-1), [(2, 3)]),
    ("roll_one_dim", lambda a: a.roll(shifts=1, dims=1), [(2, 3, 4)]),
    ("diag_vector", lambda a: a.diag(), [(4,)]),
    ("diag_vector_offset", lambda a: lib(a).diag(a, 2), [(3,)]),
    ("diag_vector_negative_offset", lambda a: a.diag(-1), [(3,)]),
    ("diag_matrix", lambda a: a.diag(), [(3, 4)]),
    ("diag_matrix_offset", lambda a: a.diag(1), [(3, 4)]),
    ("diag_matrix_negative_offset", lambda a: a.diag(-2), [(3, 4)]),
    ("diagonal", lambda a: a.diagonal(), [(3, 4)]),
    ("diagonal_dims", lambda a: a.diagonal(offset=-1, dim1=2, dim2=0), [(3, 2, 4)]),
    ("diagonal_function", lambda a: lib(a).diagonal(a, 1, -2, -1), [(2, 3, 3)]),
    ("diagonal_empty", lambda a: a.diagonal(5), [(3, 4)]),
    ("diag_embed", lambda a: a.diag_embed(), [(2, 3)]),
    ("diag_embed_offset_dims", lambda a: lib(a).diag_embed(a, offset=1, dim1=0, dim2=2), [(2, 3)]),
    ("diag_embed_negative_offset", lambda a: a.diag_embed(-2, dim1=-1, dim2=0), [(3,)]),
    ("cumprod", lambda a: a.cumprod(1), [(3, 4)]),
    ("cumprod_dim0", lambda a: a.cumprod(dim=0), [(4, 3)]),
    ("cumprod_zeros", lambda a: a.cumprod(1), [ZEROS_INSIDE]),
    ("cumprod_zeros_dim0", lambda a: lib(a).cumprod(a, 0), [ZEROS_INSIDE]),
    ("cumprod_function", lambda a: lib(a).cumprod(a, -1), [(2, 3, 4)]),
    ("cumprod_int", lambda a: a.cumprod(1), [INTS]),
    ("cumprod_dtype", lambda a: a.cumprod(0, dtype=lib(a).float64), [(3,)]),
    ("cumprod_scalar", lambda a: a.cumprod(0), [()]),
]

PRODUCTS = [
    ("outer", lambda a, b: a.outer(b), [(3,), (4,)]),
    ("outer_function", lambda a, b: lib(a).outer(a, b), [(2,), (3,)]),
    ("ger", lambda a, b: a.ger(b), [(2,), (3,)]),
    ("linalg_cross", lambda a, b: lib(a).linalg.cross(a, b), [(4, 3), (4, 3)]),
    ("linalg_cross_broadcast", lambda a, b: lib(a).linalg.cross(a, b), [(2, 1, 3), (1, 4, 3)]),
    ("cross_dim", lambda a, b: a.cross(b, dim=0), [(3, 4), (3, 4)]),
    ("cross_function_dim", lambda a, b: lib(a).cross(a, b, dim=1), [(2, 3, 4), (2, 3, 4)]),
    ("cross_default_dim", lambda a, b: lib(a).cross(a, b), [(2, 3), (2, 3)]),
    ("addmm", lambda c, a, b: lib(a).addmm(c, a, b), [(3, 5), (3, 4), (4, 5)]),
    ("addmm_beta_alpha_broadcast", lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=2), [(5,), (3, 4), (4, 5)]),
    ("addmm_beta0_ignores_nan", lambda a, b: lib(a).addmm(lib(a).full((3, 5), math.nan, dtype=a.dtype), a, b, beta=0),
     [(3, 4), (4, 5)]),
    ("addmm_beta0_grad", lambda c, a, b: c.addmm(a, b, beta=0, alpha=3), [(3, 5), (3, 4), (4, 5)]),
    ("baddbmm", lambda c, a, b: c.baddbmm(a, b, beta=2, alpha=-1), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    ("baddbmm_function_broadcast", lambda c, a, b: lib(a).baddbmm(c, a, b), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    ("var_mean", lambda a: lib(a).var_mean(a), [(3, 4)]),
    ("var_mean_dim_unbiased_false", lambda a: lib(a).var_mean(a, 0, False), [(3, 4)]),
    ("var_mean_correction", lambda a: lib(a).var_mean(a, dim=(0, 2), correction=2, keepdim=True), [(3, 2, 4)]),
    ("std_mean", lambda a: lib(a).std_mean(a, 1), [(3, 4)]),
    ("std_mean_correction0", lambda a: lib(a).std_mean(a, dim=-1, correction=0), [(2, 3, 4)]),
    ("std_mean_unbiased_only", lambda a: lib(a).std_mean(a, False), [(3, 4)]),
    ("clamp_min", lambda a: a.clamp_min(0.1), [(3, 4)]),
    ("clamp_max_function", lambda a: lib(a).clamp_max(a, -0.2), [(3, 4)]),
    ("clamp_min_tensor", lambda a, b: a.clamp_min(b), [(3, 4), (4,)]),
    ("clamp_max_tensor_function", lambda a, b: lib(a).clamp_max(a, b), [(3, 4), (3, 1)]),
    ("lerp_scalar_weight", lambda a, b: a.lerp(b, 0.3), [(3, 4), (3, 4)]),
    ("lerp_tensor_weight", lambda a, b, w: lib(a).lerp(a, b, w), [(3, 4), (3, 4), (4,)]),
    ("lerp_broadcast", lambda a, b, w: a.lerp(b, w), [(3, 1), (4,), (3, 4)]),
]

SPECIAL = [
    ("erf", lambda a: (a * 3).erf(), [(3, 4)]),
    ("erf_function", lambda a: lib(a).erf(a), [(3, 4)]),
    ("erf_int", lambda a: a.erf(), [INTS]),
    ("erfc", lambda a: (a * 3).erfc(), [(3, 4)]),
    ("erfc_far_tail", lambda a: lib(a).erfc(a * 5 + 10), [(3, 4)]),
    ("erfinv", lambda a: (a.tanh() * 0.999).erfinv(), [(3, 4)]),
    ("erfinv_function", lambda a: lib(a).erfinv(a.tanh()), [(3, 4)]),
    ("erfinv_edges", lambda a: a.erfinv(), [Const(np.array([-1.0, 1.0, 1.5, 0.0, -0.0, np.nan]))]),
]

KEYWORDS = [  # torch's argument names, through the module-level functions
    ("topk", lambda a: lib(a).topk(a, k=2, dim=0, largest=False, sorted=True), [(4, 3)]),
    ("sort", lambda a: lib(a).sort(a, dim=0, descending=True, stable=True), [(4, 3)]),
    ("argsort", lambda a: lib(a).argsort(a, dim=0, descending=True), [(4, 3)]),
    ("kthvalue", lambda a: lib(a).kthvalue(a, k=2, dim=0, keepdim=True), [(4, 3)]),
    ("roll", lambda a: lib(a).roll(a, shifts=(1,), dims=(0,)), [(4, 3)]),
    ("diagonal", lambda a: lib(a).diagonal(a, offset=1, dim1=0, dim2=1), [(4, 3)]),
    ("diag_embed", lambda a: lib(a).diag_embed(a, offset=-1, dim1=0, dim2=1), [(4, 3)]),
    ("cumprod", lambda a: lib(a).cumprod(a, dim=0), [(4, 3)]),
    ("norm", lambda a: lib(a).norm(a, p=1, dim=0, keepdim=True), [(4, 3)]),
    ("vector_norm", lambda a: lib(a).linalg.vector_norm(x=a, ord=3, dim=(0,), keepdim=True), [(4, 3)]),
    ("matrix_norm", lambda a: lib(a).linalg.matrix_norm(input=a, ord=1, dim=(1, 0), keepdim=False), [(4, 3)]),
    ("linalg_norm", lambda a: lib(a).linalg.norm(input=a, ord=None, dim=None, keepdim=True), [(4, 3)]),
    ("unique", lambda a: lib(a).unique(a, sorted=True, return_inverse=True, return_counts=True, dim=None), [INTS]),
    ("scatter", lambda a, b, i: lib(a).scatter(a, dim=1, index=i, src=b), [(3, 5), (3, 2), ROW_INDEX]),
    ("scatter_add", lambda a, b, i: lib(a).scatter_add(a, dim=0, index=i, src=b), [(3, 3), (2, 3), REPEATED_INDEX]),
    ("masked_select", lambda a, m: lib(a).masked_select(a, mask=m > 0), [(3, 4), (3, 4)]),
    ("outer", lambda a, b: lib(a).outer(a, vec2=b), [(3,), (2,)]),
    ("cross", lambda a, b: lib(a).cross(a, other=b, dim=1), [(2, 3), (2, 3)]),
    ("addmm", lambda c, a, b: lib(a).addmm(c, mat1=a, mat2=b, beta=2, alpha=0.5), [(3, 5), (3, 4), (4, 5)]),
    ("baddbmm", lambda c, a, b: lib(a).baddbmm(c, batch1=a, batch2=b, alpha=3), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    ("fmod_remainder", lambda a, b: lib(a).fmod(a, other=b) + lib(a).remainder(a, other=b), [(3, 4), (3, 4)]),
    ("isclose", lambda a, b: lib(a).isclose(a, other=b, rtol=0.5, atol=0.2, equal_nan=True), [(3, 4), (3, 4)]),
    ("clamp_min_max", lambda a: lib(a).clamp_min(a, min=-0.5) + lib(a).clamp_max(a, max=0.5), [(3, 4)]),
    ("nonzero", lambda a: lib(a).nonzero(a > 0, as_tuple=False), [(3, 4)]),
    ("var_mean", lambda a: lib(a).var_mean(a, dim=1, keepdim=True, correction=0), [(3, 4)]),
    ("round", lambda a: lib(a).round(a * 10, decimals=1), [(3, 4)]),
]
KEYWORDS = [("keywords_" + row[0],) + row[1:] for row in KEYWORDS]

INPLACE = [  # each on a fresh non-leaf, so gradients flow back through the in-place change
    ("floor_", lambda a: (a * 3).floor_(), [(3, 4)]),
    ("ceil_", lambda a: (a * 3).ceil_(), [(3, 4)]),
    ("trunc_", lambda a: (a * 3).trunc_(), [(3, 4)]),
    ("fix_", lambda a: (a * 3).fix_(), [(3, 4)]),
    ("round_", lambda a: (a * 30).round_(decimals=1), [(3, 4)]),
    ("frac_", lambda a: (a * 3).frac_(), [(3, 4)]),
    ("sign_", lambda a: (a * 3).sign_(), [(3, 4)]),
    ("clamp_min_", lambda a: (a * 1).clamp_min_(0.2), [(3, 4)]),
    ("clamp_max_", lambda a: (a * 1).clamp_max_(-0.2), [(3, 4)]),
    ("remainder_", lambda a, b: (a * 1).remainder_(b), [(3, 4), (4,)]),
    ("fmod_", lambda a, b: (a * 1).fmod_(b), [(3, 4), (3, 4)]),
    ("floor_divide_", lambda a: (a * 1).floor_divide_(0.3), [(3, 4)], NO_GRAD),
    ("erf_", lambda a: (a * 1).erf_(), [(3, 4)]),
    ("erfinv_", lambda a: (a.tanh() * 0.9).erfinv_(), [(3, 4)]),
    ("remainder_tensor_requires_grad", lambda a, b: a.detach().remainder_(b), [(3, 4), (3, 4)]),
    ("cumprod_", lambda a: (a * 1).cumprod_(1), [(3, 4)]),
    ("no_grad_inplace", lambda a: (a.detach() * 2).floor_().fmod_(3).clamp_min_(0.5), [(3, 4)], NO_GRAD),
]

ALL_OPS = (INPLACE + KEYWORDS + SORTING + NORMS + ROUNDING + DIVISION + SCATTER + SELECTION + REARRANGING + PRODUCTS
           + SPECIAL)


@pytest.fixture(autouse=True)
def quiet_torch_deprecations():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(cross|ger).*", category=UserWarning)
        yield


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
def test_op_float64(fn, inputs, options):
    check(fn, *inputs, **options)


@pytest.mark.parametrize("fn, inputs, options", cases(ALL_OPS))
def test_op_float32(fn, inputs, options):
    check(fn, *inputs, dtype="float32", **options)


@pytest.mark.parametrize("fn, inputs, options", cases(
    [row for row in ALL_OPS if row[0] in ("norm_zero_rows", "cumprod_zeros", "scatter", "erf", "erfinv", "fmod",
                                          "remainder", "vector_norm_ord_half", "norm_inf_keepdim")]))
def test_op_second_order(fn, inputs, options):
    """The backward recorded as a graph (create_graph=True) gives the same first gradients."""
    check(fn, *inputs, create_graph=True, **options)


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_erf_matches_torch_to_float64_precision(framework):
    values = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 30, 2000), [0.46875, 4.0, 26.5, 27.0]])
    values = np.concatenate([values, -values])
    ours = tg.tensor(values)
    theirs = torch.tensor(values)
    np.testing.assert_allclose(to_numpy(ours.erf()), to_numpy(theirs.erf()), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(to_numpy(ours.erfc()), to_numpy(theirs.erfc()), rtol=1e-12, atol=1e-300)
    inverse_input = np.tanh(values[np.abs(values) < 4])
    np.testing.assert_allclose(to_numpy(tg.tensor(inverse_input).erfinv()),
                               to_numpy(torch.tensor(inverse_input).erfinv()), rtol=1e-12, atol=1e-300)


def test_erf_keeps_infinities_and_nan():
    values = [np.inf, -np.inf, np.nan, 0.0, -0.0]
    for name in ("erf", "erfc"):
        ours, theirs = getattr(tg.tensor(values), name)(), getattr(torch.tensor(values), name)()
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
        np.testing.assert_array_equal(np.signbit(to_numpy(ours)), np.signbit(to_numpy(theirs)))


@pytest.mark.parametrize("name, fn, options", [
    ("floor_divide", lambda a: a // 2, {}),
    ("floor_divide_function", lambda a: a.floor_divide(a * 0 + 3), {}),
])
def test_no_derivative_like_torch(name, fn, options):
    """floor_divide's output requires grad (as in torch) but has no derivative: backward says so."""
    for m in (torch, tg):
        x = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        output = fn(x)
        assert output.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            output.sum().backward()


def test_sort_named_tuple_fields_and_nan_order():
    values = [2.0, np.nan, -1.0, np.nan, 0.5]
    for descending in (False, True):
        ours, theirs = tg.tensor(values).sort(descending=descending), torch.tensor(values).sort(descending=descending)
        np.testing.assert_array_equal(to_numpy(ours.values), to_numpy(theirs.values))
        np.testing.assert_array_equal(to_numpy(ours.indices), to_numpy(theirs.indices))
        values_part, indices_part = ours
        assert values_part is ours.values and indices_part is ours.indices


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_sorting_ops_on_any_shape(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    k = data.draw(st.integers(1, shape[dim]), label="k")
    descending = data.draw(st.booleans(), label="descending")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    check(lambda a: a.sort(dim, descending=descending), shape, seed=seed)
    check(lambda a: a.topk(k, dim, largest=descending), shape, seed=seed)
    check(lambda a: a.kthvalue(k, dim, keepdim=descending), shape, seed=seed)
    check(lambda a: a.cumprod(dim), shape, seed=seed)


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_remainder_and_fmod_broadcast_like_torch(shapes, seed):
    check(lambda a, b: a % b + a.fmod(b) * 2, *shapes.input_shapes, seed=seed)
    check(lambda a, b: a // b, *shapes.input_shapes, seed=seed, grad=False)


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_norms_on_any_shape(shape, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    ord = data.draw(st.sampled_from([1, 2, 3, 0.5, INF, -INF]), label="ord")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda a: lib(a).linalg.vector_norm(a, ord, tuple(dims), keepdim), shape, seed=data.draw(st.integers(0, 99)))


@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_roll_and_diagonal_on_any_shape(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    shift = data.draw(st.integers(-9, 9), label="shift")
    check(lambda a: a.roll(shift, dim), shape)
    if len(shape) >= 2:
        offset = data.draw(st.integers(-4, 4), label="offset")
        check(lambda a: a.diagonal(offset, dim, (dim + 1) % len(shape)), shape)


def test_multinomial_method_and_function():
    probabilities = tg.tensor([[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]])
    tg.manual_seed(0)
    draws = probabilities.multinomial(4, replacement=True)
    assert draws.dtype == tg.int64 and draws.shape == (2, 4)
    assert set(draws[0].tolist()) <= {1, 2} and draws[1].tolist() == [0, 0, 0, 0]
    without = tg.multinomial(tg.tensor([1.0, 1.0, 1.0]), 3)
    assert sorted(without.tolist()) == [0, 1, 2]
    tg.manual_seed(1)
    counts = np.bincount(tg.tensor([1.0, 3.0]).multinomial(4000, True).numpy(), minlength=2)
    assert abs(counts[1] / 4000 - 0.75) < 0.03


def test_multinomial_without_replacement_like_torch():
    """Distinct draws; zero-probability indices only once the rest are used; first draws follow p."""
    for m in (torch, tg):
        m.manual_seed(0)
        assert m.tensor([1.0, 0.0]).multinomial(2).tolist() == [0, 1]
        draws = m.tensor([[1.0, 0.0, 2.0, 0.0]] * 3).multinomial(4)
        assert all(sorted(row[:2]) == [0, 2] and sorted(row) == [0, 1, 2, 3] for row in draws.tolist())
        firsts = m.tensor([[1.0, 3.0]] * 4000).multinomial(1)[:, 0].float().mean().item()
        assert abs(firsts - 0.75) < 0.03


def test_resize_keeps_leading_elements_like_torch():
    for m in (torch, tg):
        tensor = m.arange(6.0)
        assert tensor.resize_(2, 2) is tensor
        assert tensor.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        assert tensor.resize_((4,)).tolist() == [0.0, 1.0, 2.0, 3.0]


def test_inplace_scatter_on_leaf_refuses_like_torch():
    for m in (torch, tg):
        leaf = m.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            leaf.scatter_(0, m.tensor([1]), m.tensor([2.0]))


ERRORS = [
    ("topk_k_too_large", lambda m, a: a.topk(5), RuntimeError, "selected index k out of range"),
    ("kthvalue_k_too_large", lambda m, a: a.kthvalue(5), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    ("sort_dim_range", lambda m, a: a.sort(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("norm_of_ints", lambda m, a: (a > 0).long().norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("vector_norm_of_ints", lambda m, a: m.linalg.vector_norm((a > 0).long()), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("linalg_norm_3d_with_ord", lambda m, a: m.linalg.norm(a.unsqueeze(0), ord=2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    ("matrix_norm_of_vector", lambda m, a: m.linalg.matrix_norm(a[0]), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    ("int_floor_divide_by_zero", lambda m, a: m.tensor([1, 2]) // m.tensor([1, 0]), RuntimeError, "ZeroDivisionError"),
    ("int_trunc_divide_by_zero", lambda m, a: m.tensor([1, 2]).div(0, rounding_mode="trunc"), RuntimeError,
     "ZeroDivisionError"),
    ("inplace_broadcast", lambda m, a: a[0].detach().clone().fmod_(a.detach()), RuntimeError,
     "output with shape [4] doesn't match the broadcast shape [2, 4]"),
    ("median_empty_dim", lambda m, a: a[:, :0].median(1), IndexError,
     "median(): Expected reduction dim 1 to have non-zero size."),
    ("int_remainder_by_zero", lambda m, a: m.tensor([1, 2]) % 0, RuntimeError, "ZeroDivisionError"),
    ("frac_of_ints", lambda m, a: m.tensor([1, 2]).frac(), RuntimeError, "\"frac_cpu\" not implemented for 'Long'"),
    ("div_rounding_mode", lambda m, a: a.div(2, rounding_mode="up"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'up'"),
    ("scatter_float_index", lambda m, a: a.scatter(0, m.tensor([[0.0]]), 1.0), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    ("scatter_add_float_index", lambda m, a: a.scatter_add(0, m.tensor([[0.0]]), a), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    ("scatter_add_src_dtype", lambda m, a: a.scatter_add(0, m.tensor([[0]]), a.long()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("index_numpy_bool", lambda m, a: a[np.True_], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"),
    ("cross_ndim", lambda m, a: m.linalg.cross(a[:, :3], a[0, :3]), RuntimeError,
     "linalg.cross: inputs must have the same number of dimensions."),
    ("scatter_index_ndim", lambda m, a: a.scatter(0, m.tensor([0]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    ("scatter_src_dtype", lambda m, a: a.scatter(0, m.tensor([[0]]), m.tensor([[1]])), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("masked_select_float_mask", lambda m, a: a.masked_select(a), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    ("roll_shifts_dims", lambda m, a: a.roll((1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    ("diagonal_same_dims", lambda m, a: a.diagonal(0, 1, 1), RuntimeError,
     "diagonal dimensions cannot be identical 1, 1"),
    ("diag_3d", lambda m, a: a.unsqueeze(0).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    ("outer_2d", lambda m, a: a.outer(a[0]), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    ("cross_size", lambda m, a: m.linalg.cross(a, a), RuntimeError,
     "linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4"),
    ("cross_no_size_3", lambda m, a: m.cross(a, a), RuntimeError, "no dimension of size 3 in input"),
    ("addmm_shapes", lambda m, a: m.addmm(a, a, a), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x4 and 2x4)"),
    ("addmm_input_broadcast", lambda m, a: m.addmm(a[:, :3], a, a.T), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 1.  "
     "Target sizes: [2, 2].  Tensor sizes: [2, 3]"),
    ("np_asarray_requires_grad", lambda m, a: np.asarray(a), RuntimeError,
     "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ("np_ufunc_requires_grad", lambda m, a: np.clip(a, 0, 1), RuntimeError,
     "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ("multinomial_too_many", lambda m, a: m.tensor([1.0, 1.0]).multinomial(3), RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ("multinomial_zero_sum", lambda m, a: m.multinomial(m.tensor([0.0, 0.0]), 1), RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("multinomial_negative", lambda m, a: m.tensor([-1.0, 1.0]).multinomial(1, True), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("multinomial_nan", lambda m, a: m.tensor([1.0, math.nan]).multinomial(1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("multinomial_ints", lambda m, a: m.tensor([1, 1]).multinomial(1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    ("multinomial_3d", lambda m, a: m.ones(1, 1, 2).multinomial(1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    ("multinomial_no_samples", lambda m, a: m.ones(2).multinomial(0), RuntimeError,
     "cannot sample n_sample <= 0 samples"),
    ("deepcopy_non_leaf", lambda m, a: copy.deepcopy(a * 2), RuntimeError,
     "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."),
]


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
@pytest.mark.parametrize("name, action, error, message", ERRORS, ids=[row[0] for row in ERRORS])
def test_error_like_torch(framework, name, action, error, message):
    a = framework.tensor(np.random.default_rng(0).standard_normal((2, 4)), requires_grad=True)
    with pytest.raises(error) as raised:
        action(framework, a)
    assert str(raised.value).startswith(message)


def test_matrix_norm_orders_without_singular_values_say_so():
    with pytest.raises(NotImplementedError, match="singular values"):
        tg.linalg.matrix_norm(tg.ones(2, 2), ord="nuc")
    with pytest.raises(NotImplementedError, match="ord='fro', 1, -1, inf or -inf"):
        tg.ones(2, 2).norm("nuc")


# --------------------------------------------------------------------- indexing with NumPy scalars and ranges
INDICES = [
    ("numpy_int", lambda: np.int64(1)),
    ("numpy_int32_negative", lambda: np.int32(-1)),
    ("numpy_ints_tuple", lambda: (np.int64(1), np.int64(2))),
    ("range", lambda: range(2)),
    ("range_step_in_tuple", lambda: (slice(None), range(0, 4, 2))),
    ("range_and_numpy_int", lambda: (range(1, 3), np.int64(0))),
    ("list_of_numpy_ints", lambda: [np.int64(2), np.int64(0)]),
    ("tuple_of_lists", lambda: ([0, 2], [1, 3])),
]


@pytest.mark.parametrize("make_index", [row[1] for row in INDICES], ids=[row[0] for row in INDICES])
def test_indexing_with_numpy_scalars_and_ranges(make_index):
    check(lambda a: a[make_index()], (3, 4))


NUMPY_INTEGER_ARGUMENTS = [
    ("reshape", lambda a, n: a.reshape(n, -1)),
    ("sum_dim", lambda a, n: a.sum(dim=n - 1)),
    ("mean_dims_tuple", lambda a, n: a.mean((n - 2, n - 1))),
    ("narrow", lambda a, n: a.narrow(0, n - 1, n)),
    ("topk", lambda a, n: a.topk(n).values),
    ("unsqueeze", lambda a, n: a.unsqueeze(n - 2)),
    ("slice", lambda a, n: a[n - 1:n + 1]),
    ("permute", lambda a, n: a.permute(n - 1, 0)),
    ("expand", lambda a, n: a.unsqueeze(0).expand(n, 3, 4)),
    ("roll", lambda a, n: a.roll(n, n - 2)),
    ("max_dim", lambda a, n: a.max(n - 1).values),
    ("softmax", lambda a, n: a.softmax(n - 1)),
]


@pytest.mark.parametrize("fn", [row[1] for row in NUMPY_INTEGER_ARGUMENTS],
                         ids=[row[0] for row in NUMPY_INTEGER_ARGUMENTS])
def test_numpy_integers_as_sizes_and_dims(fn):
    check(lambda a: fn(a, np.int64(2)), (3, 4))


def test_setitem_with_numpy_int_and_range():
    for m in (torch, tg):
        tensor = m.zeros(3, 4)
        tensor[np.int64(1)] = 1.0
        tensor[range(2), np.int64(3)] = 2.0
        assert tensor.tolist() == [[0, 0, 0, 2], [1, 1, 1, 2], [0, 0, 0, 0]]


# --------------------------------------------------------------------- NumPy functions on tensors
NUMPY_FUNCTIONS = [
    ("asarray", lambda t: np.asarray(t)),
    ("array_dtype", lambda t: np.array(t, dtype=np.float64)),
    ("clip", lambda t: np.clip(t, -0.5, 0.5)),
    ("exp", lambda t: np.exp(t)),
    ("add_scalar", lambda t: np.add(t, 1)),
    ("maximum", lambda t: np.maximum(t, 0)),
    ("greater_is_uint8", lambda t: np.greater(t, 0)),
    ("isnan", lambda t: np.isnan(t)),
    ("add_reduce", lambda t: np.add.reduce(t)),
    ("argmax", lambda t: np.argmax(t)),
    ("argmax_axis", lambda t: np.argmax(t, axis=0)),
    ("cumsum", lambda t: np.cumsum(t)),
    ("transpose", lambda t: np.transpose(t)),
    ("reshape", lambda t: np.reshape(t, (6,))),
    ("concatenate", lambda t: np.concatenate([t, t])),
    ("where", lambda t: np.where(t > 0, t, 0)),
    ("dot", lambda t: np.dot(t, t.T)),
    ("sort", lambda t: np.sort(t)),
    ("linalg_norm", lambda t: np.linalg.norm(t)),
    ("numpy_scalar_times_tensor", lambda t: np.float64(2.0) * t),
    ("tensor_plus_array", lambda t: t + np.ones(3)),
    ("shape", lambda t: np.shape(t)),
    ("ndim", lambda t: np.ndim(t)),
    ("allclose", lambda t: np.allclose(t, t)),
    ("int_clip", lambda t: np.clip((t > 0).long(), 0, 3)),
]
NUMPY_ERRORS = [
    ("mean", lambda t: np.mean(t)),
    ("sum", lambda t: np.sum(t)),
    ("max", lambda t: np.max(t)),
    ("std", lambda t: np.std(t)),
]


def same_kind_of_result(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"{type(ours).__name__} where torch gives a Tensor"
        assert not ours.requires_grad
        assert str(ours.dtype).rsplit(".")[-1] == str(theirs.dtype).rsplit(".")[-1]
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=1e-6)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) or isinstance(theirs, torch.Size)
        assert tuple(ours) == tuple(theirs)
    else:
        assert type(ours) is type(theirs), f"{type(ours).__name__} where torch gives {type(theirs).__name__}"
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)


@pytest.mark.parametrize("fn", [row[1] for row in NUMPY_FUNCTIONS], ids=[row[0] for row in NUMPY_FUNCTIONS])
def test_numpy_functions_on_tensors_like_torch(fn):
    data = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__ is the old signature
        theirs = fn(torch.tensor(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fn(tg.tensor(data))
    same_kind_of_result(ours, theirs)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_numpy_array_copies_and_asarray_shares(framework):
    tensor = framework.zeros(3)
    np.array(tensor)[0] = 5.0
    np.array(tensor, dtype=np.float32)[1] = 6.0
    np.asarray(tensor)[2] = 7.0
    assert tensor.tolist() == [0.0, 0.0, 7.0]


@pytest.mark.parametrize("fn", [row[1] for row in NUMPY_ERRORS], ids=[row[0] for row in NUMPY_ERRORS])
def test_numpy_reductions_on_tensors_raise_type_error_like_torch(fn):
    """NumPy calls the tensor's own method with NumPy's keywords (axis=, out=): a TypeError in both."""
    for m in (torch, tg):
        with pytest.raises(TypeError):
            fn(m.ones(2, 3))


# --------------------------------------------------------------------- pickle and deepcopy
def tensors_with_grad(m):
    leaf = m.tensor([[1.0, -2.0], [3.0, 4.0]], dtype=m.float64, requires_grad=True)
    (leaf * leaf).sum().backward()
    return leaf


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_deepcopy_keeps_grad_dtype_and_requires_grad(framework):
    leaf = tensors_with_grad(framework)
    copied = copy.deepcopy(leaf)
    assert copied is not leaf and copied.is_leaf and copied.requires_grad and copied.dtype == framework.float64
    assert copied.device == leaf.device
    assert copied.grad.tolist() == leaf.grad.tolist() == [[2.0, -4.0], [6.0, 8.0]]
    with framework.no_grad():
        copied.add_(1)
        copied.grad.add_(1)
    assert leaf.tolist() == [[1.0, -2.0], [3.0, 4.0]] and leaf.grad.tolist() == [[2.0, -4.0], [6.0, 8.0]]


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_pickle_keeps_values_dtype_requires_grad_not_grad(framework):
    leaf = tensors_with_grad(framework)
    loaded = pickle.loads(pickle.dumps(leaf))
    assert loaded.tolist() == leaf.tolist() and loaded.dtype == framework.float64
    assert loaded.requires_grad and loaded.is_leaf and loaded.grad is None
    result = pickle.loads(pickle.dumps(leaf * 2))  # a non-leaf pickles as a new leaf, as in torch
    assert result.requires_grad and result.is_leaf and result.tolist() == [[2.0, -4.0], [6.0, 8.0]]
    integers = pickle.loads(pickle.dumps(framework.arange(3)))
    assert integers.dtype == framework.int64 and integers.tolist() == [0, 1, 2]


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_deepcopy_keeps_views_of_one_storage_together(framework):
    base = framework.arange(6.0).reshape(2, 3)
    column, row = base[:, 1], base[1]
    base_copy, column_copy, row_copy = copy.deepcopy([base, column, row])
    column_copy[0] = 100.0
    row_copy[2] = -1.0
    assert base_copy.tolist() == [[0.0, 100.0, 2.0], [3.0, 4.0, -1.0]]
    assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    alone = copy.deepcopy(column)
    alone[0] = 7.0
    assert alone.tolist() == [7.0, 4.0] and base[0, 1].item() == 1.0


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_deepcopy_under_no_grad_result_is_allowed(framework):
    leaf = framework.ones(2, requires_grad=True)
    with framework.no_grad():
        doubled = leaf * 2
    assert copy.deepcopy(doubled).tolist() == [2.0, 2.0]


def build_tied_model(m):
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(3, 3), m.nn.ReLU(), m.nn.Linear(3, 3), m.nn.BatchNorm1d(3))
    model[2].weight = model[0].weight
    return model


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_module_copies_keep_parameters_shared_and_separate(framework, how):
    model = build_tied_model(framework)
    model(framework.randn(4, 3)).sum().backward()
    copied = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    assert isinstance(copied[0].weight, framework.nn.Parameter)
    assert copied[2].weight is copied[0].weight and copied[0].weight is not model[0].weight
    assert len(list(copied.parameters())) == len(list(model.parameters()))
    assert copied[3].running_mean.tolist() == model[3].running_mean.tolist()
    inputs = framework.randn(2, 3)
    model.eval(), copied.eval()
    assert copied(inputs).tolist() == model(inputs).tolist()
    with framework.no_grad():
        copied[0].weight.add_(1.0)
        copied[3].running_mean.add_(1.0)
    assert not framework.equal(copied[0].weight, model[0].weight)
    assert copied[3].running_mean.tolist() != model[3].running_mean.tolist()


@pytest.mark.parametrize("framework", [torch, tg], ids=["torch", "tinygrad_edu"])
def test_deepcopy_of_state_dict_is_a_snapshot(framework):
    """The usual ``best = copy.deepcopy(model.state_dict())``: later training does not change it."""
    model = build_tied_model(framework)
    best = copy.deepcopy(model.state_dict())
    with framework.no_grad():
        model[0].weight.mul_(2.0)
    assert not framework.equal(best["0.weight"], model[0].weight)
    assert all(not tensor.requires_grad for tensor in best.values())


def test_module_state_dict_of_copy_matches_torch_layout():
    ours, theirs = copy.deepcopy(build_tied_model(tg)), copy.deepcopy(build_tied_model(torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())


SECOND_ORDER = [
    ("erf", lambda a: a.erf(), [(3, 4)]),
    ("erfc", lambda a: (a * 2).erfc(), [(3, 4)]),
    ("erfinv", lambda a: (a.tanh() * 0.9).erfinv(), [(3, 4)]),
    ("norm", lambda a: a.norm(dim=1), [(3, 4)]),
    ("norm_p3", lambda a: a.norm(3), [(3, 4)]),
    ("norm_p1", lambda a: a.norm(1, dim=0) ** 2, [(3, 4)]),
    ("vector_norm_inf", lambda a: lib(a).linalg.vector_norm(a, INF, dim=1) ** 2, [(3, 4)]),
    ("matrix_norm_1", lambda a: lib(a).linalg.matrix_norm(a, 1) ** 2, [(3, 4)]),
    ("remainder", lambda a, b: (a % b) * a * b, [(3, 4), (3, 4)]),
    ("fmod", lambda a, b: a.fmod(b) * b, [(3, 4), (4,)]),
    ("cumprod", lambda a: a.cumprod(1), [(3, 4)]),
    ("sort", lambda a: a.sort(1).values ** 2, [(3, 4)]),
    ("topk", lambda a: a.topk(2).values ** 3, [(3, 4)]),
    ("kthvalue", lambda a: a.kthvalue(2, 0).values.exp(), [(3, 4)]),
    ("scatter", lambda a, b: a.scatter(1, lib(a).tensor([[0, 3], [1, 2], [2, 0]]), b) ** 2, [(3, 4), (3, 2)]),
    ("scatter_add", lambda a, b: a.scatter_add(0, lib(a).tensor([[0, 1], [0, 0]]), b) ** 2, [(2, 2), (2, 2)]),
    ("masked_select", lambda a: a.masked_select(a > 0) ** 3, [(3, 4)]),
    ("roll_diagonal", lambda a: a.roll(1, 0).diagonal(1) ** 2, [(3, 4)]),
    ("diag_embed", lambda a: a.diag_embed(1).exp(), [(2, 3)]),
    ("cross", lambda a, b: lib(a).linalg.cross(a, b) ** 2, [(2, 3), (2, 3)]),
    ("outer", lambda a, b: a.outer(b).tanh(), [(3,), (4,)]),
    ("addmm", lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=2) ** 2, [(3, 2), (3, 4), (4, 2)]),
    ("baddbmm", lambda c, a, b: c.baddbmm(a, b).tanh(), [(2, 3, 2), (2, 3, 4), (2, 4, 2)]),
    ("lerp_tensor_weight", lambda a, b, w: a.lerp(b, w) ** 2, [(3, 4), (3, 4), (3, 4)]),
    ("frac", lambda a: (a * 3).frac() ** 2, [(3, 4)]),
    ("std_mean", lambda a: lib(a).std_mean(a, 1)[0] * lib(a).std_mean(a, 1)[1], [(3, 4)]),
]


@pytest.mark.parametrize("fn, inputs, options", cases(SECOND_ORDER))
def test_second_derivative_matches_torch(fn, inputs, options):
    ours, theirs = make_inputs(inputs, "float64")
    rng = np.random.default_rng(7)
    upstream = random_array(tuple(fn(*theirs).shape), "float64", rng)
    direction = [random_array(tuple(t.shape), "float64", rng) for t in theirs]
    our_firsts, our_seconds = gradient_and_hvp(tg, fn, ours, upstream, direction)
    torch_firsts, torch_seconds = gradient_and_hvp(torch, fn, theirs, upstream, direction)
    for ours_grad, torch_grad in zip(our_firsts, torch_firsts):
        np.testing.assert_allclose(to_numpy(ours_grad), to_numpy(torch_grad), **TIGHT)
    for ours_hvp, torch_hvp, leaf in zip(our_seconds, torch_seconds, theirs):
        np.testing.assert_allclose(as_array(ours_hvp, leaf), as_array(torch_hvp, leaf), **TIGHT)
