"""No silently wrong values or gradients, torch's errors for bad input, and no NumPy warnings where torch is silent.

Every case runs in torch too: the expected values, gradients, exception classes and messages come from the oracle.
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from helpers import Const, F, check, lib, to_numpy

NAN, INF = float("nan"), float("inf")


def outcome(action, m):
    """(exception class name, message) of ``action(m)``, or None when it does not raise."""
    try:
        action(m)
    except Exception as error:  # noqa: BLE001 - the class is what is compared
        return type(error).__name__, str(error).replace("torch.", "")  # "torch.FloatTensor": "FloatTensor"
    return None


def assert_same_error(action):
    expected = outcome(action, torch)
    assert expected is not None, "torch accepts this: the case is wrong"
    assert outcome(action, tg) == expected


# --------------------------------------------------------------------- views share their base's version counter
@pytest.mark.parametrize("make_view", [lambda b: b[1:3], lambda b: b.view(2, 2)[0], lambda b: b.reshape(4)[:2],
                                       lambda b: b.unsqueeze(0)[0, 1:], lambda b: b.t()[1:]])
def test_changing_a_view_of_a_saved_tensor_that_needs_no_grad_is_caught(make_view):
    def action(m):
        base = m.tensor([1.0, 2.0, 3.0, 4.0])
        weight = m.ones(4, requires_grad=True)
        product = weight * base
        view = make_view(base)
        view.mul_(3)
        product.sum().backward()
    expected = outcome(action, torch)
    actual = outcome(action, tg)
    assert expected is not None and expected[0] == "RuntimeError"
    assert actual is not None and actual[0] == "RuntimeError"
    assert "modified by an inplace operation" in actual[1]


def test_a_view_and_its_base_count_versions_together():
    for m in (torch, tg):
        base = m.zeros(3)
        view = base[1:]
        view.add_(1)
        assert base._version == view._version == 1
        base.add_(1)
        assert view._version == 2


# --------------------------------------------------------------------- gather and scatter_add follow torch's shapes
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_gather_with_an_index_narrower_than_the_input(data):
    rank = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.integers(1, 4)) for _ in range(rank))
    dim = data.draw(st.integers(-rank, rank - 1))
    index_shape = [data.draw(st.integers(1, size)) for size in shape]
    index_shape[dim] = data.draw(st.integers(1, 5))
    index = np.random.default_rng(0).integers(0, shape[dim], size=index_shape)
    check(lambda x: x.gather(dim, lib(x).tensor(index)), shape)
    check(lambda x: x.scatter_add(dim, lib(x).tensor(index), x.new_ones(index_shape) * 2), shape)


def test_gather_of_a_single_column_has_the_index_shape():
    check(lambda x: x.gather(0, lib(x).tensor([[0]])), (1, 2))
    check(lambda x: x.gather(1, lib(x).tensor([[0], [1]])), (2, 3))


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_scatter_add_uses_only_the_part_of_src_the_index_covers(data):
    src_shape = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    index_shape = (data.draw(st.integers(1, src_shape[0])), data.draw(st.integers(1, min(src_shape[1], 3))))
    index = np.random.default_rng(1).integers(0, 3, size=index_shape)
    src = np.random.default_rng(2).standard_normal(src_shape)
    # src as a constant: torch's own backward refuses a src larger than the index
    check(lambda x, src: x.scatter_add(1, lib(x).tensor(index), src), (index_shape[0] + 1, 3), Const(src))


GATHER_ERRORS = {
    "gather_index_rank": lambda m: m.zeros(2, 3).gather(1, m.tensor([0, 1])),
    "gather_index_too_wide": lambda m: m.zeros(2, 3).gather(1, m.tensor([[0, 1], [1, 2], [0, 0]])),
    "gather_index_out_of_range": lambda m: m.zeros(2, 3).gather(1, m.tensor([[5]])),
    "gather_negative_index": lambda m: m.zeros(2, 3).gather(1, m.tensor([[-1]])),
    "scatter_add_index_rank": lambda m: m.zeros(2, 3).scatter_add(1, m.tensor([0]), m.ones(2, 3)),
    "scatter_add_index_larger_than_src": lambda m: m.zeros(2, 3).scatter_add(1, m.tensor([[0, 1]]), m.ones(1, 1)),
    "scatter_add_index_out_of_range": lambda m: m.zeros(2, 3).scatter_add(1, m.tensor([[5]]), m.ones(2, 3)),
    "scatter_add_index_dtype": lambda m: m.zeros(2, 3).scatter_add(0, m.zeros(1, 3), m.ones(1, 3)),
    "scatter_add_src_dtype": lambda m: m.zeros(2, 3).scatter_add(0, m.zeros(1, 3, dtype=m.int64),
                                                                 m.ones(1, 3, dtype=m.float64)),
}


@pytest.mark.parametrize("action", GATHER_ERRORS.values(), ids=GATHER_ERRORS.keys())
def test_gather_and_scatter_add_errors_are_torchs(action):
    assert_same_error(action)


# --------------------------------------------------------------------- std and var of constant values
@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("upstream", [1.5, INF, -INF, NAN])
@pytest.mark.parametrize("values", [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0], [[3.0, 3.0], [1.0, 5.0]]])
def test_std_and_var_gradients_match_torch(name, upstream, values):
    for dim in (None, -1):
        inputs = [m.tensor(values, dtype=m.float64, requires_grad=True) for m in (tg, torch)]
        results = [getattr(x, name)() if dim is None else getattr(x, name)(dim) for x in inputs]
        for result in results:
            result.backward(lib(result).full(tuple(result.shape), upstream, dtype=lib(result).float64))
        np.testing.assert_allclose(to_numpy(results[0]), to_numpy(results[1]), rtol=1e-12)
        np.testing.assert_allclose(to_numpy(inputs[0].grad), to_numpy(inputs[1].grad), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["std", "var"])
def test_std_and_var_second_derivatives(name):
    check(lambda x: getattr(x, name)(1, correction=0), (3, 4), create_graph=True)


# --------------------------------------------------------------------- NaN through relu, maximum, clamp
MASKING_OPS = {
    "relu": lambda x: x.relu(),
    "clamp": lambda x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda x: x.clamp(min=0.0),
    "clamp_max": lambda x: x.clamp(max=0.0),
    "maximum": lambda x: x.maximum(x.new_zeros(5)),
    "minimum": lambda x: x.minimum(x.new_zeros(5)),
    "clamp_tensors": lambda x: x.clamp(x.new_full((5,), -0.5), x.new_full((5,), 0.5)),
    "hardtanh": lambda x: F(x).hardtanh(x),
}


@pytest.mark.parametrize("upstream", [[NAN] * 5, [2.0, 3.0, 4.0, 5.0, 6.0], [NAN, 1.0, NAN, 1.0, NAN]])
@pytest.mark.parametrize("op", MASKING_OPS.values(), ids=MASKING_OPS.keys())
def test_masked_positions_stay_zero_and_nan_inputs_follow_torch(op, upstream):
    values = [-1.0, 0.0, 0.25, 1.0, NAN]
    inputs = [m.tensor(values, dtype=m.float64, requires_grad=True) for m in (tg, torch)]
    for x in inputs:
        op(x).backward(lib(x).tensor(upstream, dtype=lib(x).float64))
    np.testing.assert_array_equal(to_numpy(op(inputs[0])), to_numpy(op(inputs[1])))
    np.testing.assert_array_equal(to_numpy(inputs[0].grad), to_numpy(inputs[1].grad))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_both_sides_of_maximum_with_nans_and_ties(name):
    a, b = [-1.0, 0.0, 1.0, NAN, 2.0], [0.0, 0.0, NAN, 1.0, NAN]
    for upstream in ([2.0, 3.0, 4.0, 5.0, 6.0], [NAN] * 5):
        pairs = [(m.tensor(a, dtype=m.float64, requires_grad=True), m.tensor(b, dtype=m.float64, requires_grad=True))
                 for m in (tg, torch)]
        for x, y in pairs:
            getattr(x, name)(y).backward(lib(x).tensor(upstream, dtype=lib(x).float64))
        for ours, theirs in zip(pairs[0], pairs[1]):
            np.testing.assert_array_equal(to_numpy(ours.grad), to_numpy(theirs.grad))


def test_masking_ops_keep_second_derivatives():
    for op in ("relu", "clamp", "maximum", "minimum"):
        check(lambda x: (MASKING_OPS[op](x) ** 2), (5,), create_graph=True)


# --------------------------------------------------------------------- gradients of the wrong shape or dtype
def _hook_returning(make_gradient, on_leaf):
    def action(m):
        x = m.ones(3, requires_grad=True)
        y = x * 2
        (x if on_leaf else y).register_hook(lambda grad: make_gradient(m))
        (y * 1).sum().backward()
        return x.grad
    return action


WRONG_GRADIENTS = {
    "hook_size": _hook_returning(lambda m: m.ones(4), on_leaf=False),
    "hook_broadcastable_size": _hook_returning(lambda m: m.ones(1), on_leaf=False),
    "hook_dtype": _hook_returning(lambda m: m.ones(3, dtype=m.float64), on_leaf=False),
    "hook_integer_dtype": _hook_returning(lambda m: m.ones(3, dtype=m.int64), on_leaf=False),
    "leaf_hook_size": _hook_returning(lambda m: m.ones(4), on_leaf=True),
    "leaf_hook_dtype": _hook_returning(lambda m: m.ones(3, dtype=m.float64), on_leaf=True),
    "assign_size": lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.ones(4)),
    "assign_0d": lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.tensor(1.0)),
    "assign_dtype": lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.ones(3, dtype=m.float64)),
    "assign_integer_dtype": lambda m: setattr(m.ones(3, requires_grad=True), "grad", m.ones(3, dtype=m.int64)),
    "assign_list": lambda m: setattr(m.ones(3, requires_grad=True), "grad", [1.0, 2.0, 3.0]),
    "assign_size_non_leaf": lambda m: setattr(m.ones(3, requires_grad=True) * 2, "grad", m.ones(4)),
}


@pytest.mark.parametrize("action", WRONG_GRADIENTS.values(), ids=WRONG_GRADIENTS.keys())
def test_wrong_gradients_are_refused(action):
    assert_same_error(action)


def test_right_gradients_are_accepted():
    x = tg.ones(3, requires_grad=True)
    x.grad = tg.full((3,), 2.0)
    x.grad = None
    y = x * 2
    y.register_hook(lambda grad: grad * 3)
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [6.0, 6.0, 6.0])
    counts = tg.ones(2, dtype=tg.int64)
    counts.grad = tg.ones(2, dtype=tg.int64)


# --------------------------------------------------------------------- bad arguments: torch's class and words
BAD_INPUT = {
    "narrow_past_the_end": lambda m: m.zeros(2, 3).narrow(1, 2, 2),
    "narrow_length_past_the_end": lambda m: m.zeros(2, 3).narrow(0, 0, 3),
    "narrow_negative_start_past_the_end": lambda m: m.zeros(2, 3).narrow(1, -1, 2),
    "narrow_negative_length": lambda m: m.zeros(2, 3).narrow(1, 0, -1),
    "narrow_start_out_of_range": lambda m: m.zeros(2, 3).narrow(1, 4, 0),
    "narrow_negative_start_out_of_range": lambda m: m.zeros(2, 3).narrow(1, -4, 1),
    "bce_integer_target": lambda m: F(m.zeros(1)).binary_cross_entropy(m.tensor([0.5]), m.tensor([1])),
    "bce_module_integer_target": lambda m: m.nn.BCELoss()(m.tensor([0.5]), m.tensor([1])),
    "bce_double_target": lambda m: F(m.zeros(1)).binary_cross_entropy(m.tensor([0.5]), m.tensor([1.0], dtype=m.float64)),
    "index_select_2d_index": lambda m: m.zeros(2, 3).index_select(0, m.tensor([[0]])),
    "index_select_float_index": lambda m: m.zeros(2, 3).index_select(0, m.tensor([0.0])),
    "index_select_out_of_range": lambda m: m.zeros(2, 3).index_select(0, m.tensor([5])),
    "device_negative_index": lambda m: m.device("cuda:-1"),
    "device_negative_index_argument": lambda m: m.device("cuda", -1),
    "device_not_a_number": lambda m: m.device("cuda:x"),
    "device_trailing_letters": lambda m: m.device("cuda:1x"),
    "device_empty_index": lambda m: m.device("cuda:"),
    "device_leading_zero": lambda m: m.device("cuda:01"),
    "device_plus_sign": lambda m: m.device("cuda:+1"),
    "device_space": lambda m: m.device("cuda: 1"),
    "device_cpu_negative": lambda m: m.device("cpu:-1"),
    "device_index_twice": lambda m: m.device("cuda:1", 2),
    "chunk_zero": lambda m: m.zeros(2, 3).chunk(0),
    "chunk_negative": lambda m: m.zeros(2, 3).chunk(-1),
    "cat_empty_list": lambda m: m.cat([]),
    "cat_empty_tuple": lambda m: m.cat(()),
    "add_float_into_long": lambda m: m.tensor([1, 2, 3]).add_(1.5),
    "add_float_tensor_into_long": lambda m: m.tensor([1, 2, 3]).add_(m.tensor([1.5, 1.0, 1.0])),
    "sub_float_into_long": lambda m: m.tensor([1, 2, 3]).sub_(0.5),
    "mul_float_into_long": lambda m: m.tensor([1, 2, 3]).mul_(1.5),
    "div_into_long": lambda m: m.tensor([1, 2, 3]).div_(2),
    "sqrt_into_long": lambda m: m.tensor([1, 2, 3]).sqrt_(),
    "exp_into_long": lambda m: m.tensor([1, 2, 3]).exp_(),
    "sigmoid_into_long": lambda m: m.tensor([1, 2, 3]).sigmoid_(),
    "tanh_into_long": lambda m: m.tensor([1, 2, 3]).tanh_(),
    "clamp_float_into_long": lambda m: m.tensor([1, 2, 3]).clamp_(0.5, 2.5),
    "add_float_into_bool": lambda m: m.tensor([True]).add_(1.5),
    "add_float_requiring_grad_into_long": lambda m: m.tensor([1, 2]).add_(m.ones(2, requires_grad=True)),
    "log_softmax_of_integers": lambda m: m.tensor([[1, 2]]).log_softmax(1),
    "log_softmax_of_integers_not_last_dim": lambda m: m.tensor([[1, 2]]).log_softmax(0),
    "softmax_of_integers": lambda m: m.tensor([[1, 2]]).softmax(1),
    "cross_entropy_integer_logits": lambda m: F(m.zeros(1)).cross_entropy(m.tensor([[1, 2]]), m.tensor([0])),
    "cross_entropy_integer_logits_probabilities": lambda m: F(m.zeros(1)).cross_entropy(
        m.tensor([[1, 2]]), m.tensor([[0.0, 1.0]])),
    "setitem_basic_shape": lambda m: m.zeros(2, 3).__setitem__(0, m.ones(2)),
    "setitem_column_shape": lambda m: m.zeros(2, 3).__setitem__((slice(None), 0), m.ones(3)),
    "setitem_more_dims": lambda m: m.zeros(2, 3).__setitem__(0, m.ones(2, 3)),
    "setitem_advanced_shape": lambda m: m.zeros(2, 3).__setitem__(m.tensor([0, 1]), m.ones(3, 3)),
    "setitem_mask_shape": lambda m: m.zeros(2, 3).__setitem__(m.ones(2, 3) > 0, m.ones(5)),
    "setitem_tracked_shape": lambda m: m.zeros(2, 3, requires_grad=True).clone().__setitem__(0, m.ones(2)),
    "reshape_overflow": lambda m: m.zeros(0).reshape(2 ** 40, 2 ** 40, 0),
    "view_overflow": lambda m: m.zeros(0).view(2 ** 62, 4, 0),
    "reshape_negative_size": lambda m: m.zeros(6).reshape(-2, 3),
    "reshape_ambiguous_empty": lambda m: m.zeros(0).reshape(-1, 0),
    "negate_bool": lambda m: -m.tensor([True]),
}


@pytest.mark.parametrize("action", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_torchs_error(action):
    assert_same_error(action)


def test_narrow_inside_the_tensor_still_works():
    check(lambda x: x.narrow(1, -2, 2), (2, 3))
    check(lambda x: x.narrow(1, 3, 0), (2, 3))
    check(lambda x: x.index_select(1, lib(x).tensor(2)), (2, 3))


def test_writing_a_tensor_that_requires_grad_into_an_integer_tensor_records_nothing():
    for m in (torch, tg):
        counts = m.tensor([1, 2, 3])
        counts.copy_(m.ones(3, requires_grad=True) * 1.5)
        counts[0] = m.ones((), requires_grad=True) * 7
        assert counts.tolist() == [7, 1, 1] and not counts.requires_grad and counts.grad_fn is None


def test_inplace_ops_that_keep_integers_still_work():
    for m in (torch, tg):
        counts = m.tensor([1, 2, 3])
        counts.add_(2).mul_(3).relu_().copy_(m.tensor([1.5, 2.5, 3.5]))
        counts.fill_(1.5)
        assert counts.tolist() == [1, 1, 1]


# --------------------------------------------------------------------- no NumPy warnings where torch is silent
SILENT_IN_TORCH = {
    "log_of_zero_and_negative": lambda x: (x - x.detach()).log() + (-x.abs() - 1).log(),
    "divide_by_zero": lambda x: x / (x - x.detach()),
    "zero_over_zero": lambda x: (x - x.detach()) / (x - x.detach()),
    "exp_overflow": lambda x: (x * 1000).exp(),
    "sqrt_of_negative": lambda x: (-x.abs() - 1).sqrt(),
    "rsqrt_of_zero": lambda x: (x - x.detach()).rsqrt(),
    "pow_overflow": lambda x: (x.abs() + 10) ** 400,
    "negative_to_fractional_power": lambda x: (-x.abs() - 1) ** 0.5,
    "multiply_overflow": lambda x: (x + 1e200) * 1e200,
    "inf_minus_inf": lambda x: (x * 1e308 * 10) - (x * 1e308 * 10),
    "log1p_of_minus_one": lambda x: (x - x.detach() - 1).log1p(),
    "log_softmax_of_infinities": lambda x: (x * INF).log_softmax(0),
    "std_of_constant": lambda x: (x.detach() * 0 + x - x).std(),
    "sum_divided_by_zero": lambda x: (x[:1] * 0 + x[:1]).sum() / 0,
    "prod_overflow": lambda x: (x + 1e200).prod(),
    "softplus_large": lambda x: F(x).softplus(x * 1e3),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fn", SILENT_IN_TORCH.values(), ids=SILENT_IN_TORCH.keys())
def test_no_numpy_warnings_in_forward_or_backward(fn):
    x_values = np.array([0.5, 2.0, 3.0])
    results = []
    for m in (torch, tg):
        x = m.tensor(x_values, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            output = fn(x)
            output.backward(lib(x).ones_like(output))
        results.append((to_numpy(output), to_numpy(x.grad)))
    (ours_output, ours_grad), (torch_output, torch_grad) = results[1], results[0]
    np.testing.assert_allclose(ours_output, torch_output, rtol=1e-7, equal_nan=True)
    np.testing.assert_allclose(ours_grad, torch_grad, rtol=1e-7, equal_nan=True)


@pytest.mark.filterwarnings("error")
def test_inplace_division_by_zero_is_silent():
    for m in (torch, tg):
        x = m.tensor([1.0, 0.0, -1.0])
        x.div_(0.0)
        np.testing.assert_array_equal(to_numpy(x), [INF, NAN, -INF])


def test_numpy_warnings_outside_the_engine_still_show():
    with tg.no_grad():
        tg.tensor([0.0]).log()
    with pytest.warns(RuntimeWarning):
        np.log(np.zeros(1))


# --------------------------------------------------------------------- found by tests/test_fuzz.py
@pytest.mark.parametrize("equation, shapes", [("...ij,jk->...ik", [(2, 3, 4), (4, 5)]), ("...ij,jk", [(2, 3, 4), (4, 5)]),
                                              ("i...,i...->...", [(3, 4), (3, 4)]), ("...ij->...ji", [(2, 3, 4)]),
                                              ("bij,...jk->bik", [(2, 3, 4), (1, 4, 5)])])
def test_einsum_with_an_ellipsis(equation, shapes):
    check(lambda *operands: lib(operands[0]).einsum(equation, *operands), *shapes)


EMPTY_REDUCTIONS = {
    "amax": lambda m: m.zeros(0, 3).amax(0),
    "amin": lambda m: m.zeros(0, 3).amin(0),
    "max_dim": lambda m: m.zeros(0, 3).max(0),
    "min_dim": lambda m: m.zeros(0, 3).min(-2),
    "argmax": lambda m: m.zeros(0, 3).argmax(0),
    "argmin": lambda m: m.zeros(2, 0).argmin(1),
}


@pytest.mark.parametrize("action", EMPTY_REDUCTIONS.values(), ids=EMPTY_REDUCTIONS.keys())
def test_max_over_nothing_is_torchs_error(action):
    assert_same_error(action)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fn", [lambda x: x.logsumexp(0), lambda x: x.softmax(0), lambda x: x.log_softmax(0),
                                lambda x: x.mean(0), lambda x: x.amax(1), lambda x: x.max(1).values])
def test_reductions_of_empty_tensors_match_torch_quietly(fn):
    check(fn, (0, 3))


@pytest.mark.parametrize("op", MASKING_OPS.values(), ids=MASKING_OPS.keys())
def test_masking_ops_free_what_they_saved_after_backward(op):
    for m in (torch, tg):
        y = op(m.tensor([-1.0, 0.0, 0.25, 1.0, 2.0], requires_grad=True))
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.sum().backward()


@pytest.mark.parametrize("correction", [0, 1])
@pytest.mark.parametrize("name", ["std", "var"])
def test_std_and_var_of_repeated_values_whose_mean_rounds(name, correction):
    # the mean of three log(2.1)s is not log(2.1) in floating point: torch's variance is still exactly 0
    check(lambda x: getattr((x + 0.1).log().expand(3, 2, 3), name)(0, correction=correction),
          np.array([[1.5, 0.5, 0.25], [1.0, 1.0, 2.0]]))


@pytest.mark.parametrize("upstream", [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [NAN] * 6])
@pytest.mark.parametrize("fn", [lambda x: x.abs(), lambda x: x.sign(), lambda x: x.sign() * x, lambda x: x.sign().sum()],
                         ids=["abs", "sign", "sign_times_x", "sign_sum"])
def test_sign_and_abs_at_nan_zero_and_inf_follow_torch(fn, upstream):
    values = [NAN, 0.0, -0.0, 2.0, -3.0, INF]
    inputs = [m.tensor(values, dtype=m.float64, requires_grad=True) for m in (tg, torch)]
    outputs = [fn(x) for x in inputs]
    np.testing.assert_array_equal(to_numpy(outputs[0]), to_numpy(outputs[1]))
    for output in outputs:
        output.backward(lib(output).tensor(upstream[:output.numel()], dtype=lib(output).float64).reshape(output.shape))
    np.testing.assert_array_equal(to_numpy(inputs[0].grad), to_numpy(inputs[1].grad))
