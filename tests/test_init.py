"""nn.init against torch: gains and fans exactly, distributions statistically on large tensors
(fixed seed, loose tolerances), and the contract: in place, no graph, same tensor back, seeded."""
import math

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only adds contention
init = nn.init


def values(tensor):
    return np.array(tensor.detach().numpy(), dtype=np.float64)


def torch_sample(fill, shape):
    """torch's init applied to an empty tensor of ``shape``, as float64 NumPy values."""
    torch.manual_seed(0)
    tensor = torch.empty(*shape, dtype=torch.float64)
    fill(torch.nn.init, tensor)
    return tensor.numpy()


# ------------------------------------------------------------------------------ gains and fans
@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_errors_use_torch_messages():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3), (6, 3, 2, 5), (2, 1, 1, 1, 1), (7, 0)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(tg.empty(*shape)) == expected


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 "
                                         "dimensions"):
        init.xavier_uniform_(tg.empty(3))


# ------------------------------------------------------------------------------ distributions
SHAPE = (400, 250)       # 100 000 draws: the mean and std of a sample are good to about 1%


def assert_uniform(sample, low, high):
    assert sample.min() >= low and sample.max() <= high
    assert sample.min() < low + 0.001 * (high - low) and sample.max() > high - 0.001 * (high - low)
    assert sample.mean() == pytest.approx((low + high) / 2, abs=0.01 * (high - low))
    assert sample.std() == pytest.approx((high - low) / math.sqrt(12), rel=0.01)


def assert_normal(sample, mean, std):
    assert sample.mean() == pytest.approx(mean, abs=0.02 * std)
    assert sample.std() == pytest.approx(std, rel=0.015)
    standardized = (sample - mean) / std
    assert np.mean(np.abs(standardized) < 1) == pytest.approx(0.6827, abs=0.01)


def test_uniform_and_normal_fill_with_the_requested_distribution():
    tg.manual_seed(0)
    assert_uniform(values(init.uniform_(tg.empty(*SHAPE), -3.0, 5.0)), -3.0, 5.0)
    assert_uniform(values(init.uniform_(tg.empty(*SHAPE))), 0.0, 1.0)
    assert_normal(values(init.normal_(tg.empty(*SHAPE), 2.0, 0.5)), 2.0, 0.5)
    assert_normal(values(init.normal_(tg.empty(*SHAPE))), 0.0, 1.0)


@pytest.mark.parametrize("shape", [SHAPE, (64, 48, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_matches_torch_formula_and_sample(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(tg.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    tg.manual_seed(0)
    uniform = values(init.xavier_uniform_(tg.empty(*shape), gain=gain))
    assert_uniform(uniform, -math.sqrt(3) * std, math.sqrt(3) * std)
    assert np.abs(torch_sample(lambda i, t: i.xavier_uniform_(t, gain=gain), shape)).max() <= math.sqrt(3) * std
    assert_normal(values(init.xavier_normal_(tg.empty(*shape), gain=gain)), 0.0, std)
    assert torch_sample(lambda i, t: i.xavier_normal_(t, gain=gain), shape).std() == pytest.approx(std, rel=0.015)


KAIMING_CASES = [
    dict(), dict(a=math.sqrt(5)), dict(a=0.1, mode="fan_out"), dict(nonlinearity="relu"),
    dict(nonlinearity="tanh", mode="FAN_OUT"), dict(nonlinearity="linear"),
]


@pytest.mark.parametrize("options", KAIMING_CASES, ids=[str(case) for case in KAIMING_CASES])
@pytest.mark.parametrize("shape", [SHAPE, (96, 32, 5, 5)])
def test_kaiming_matches_torch_formula_and_sample(options, shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(tg.empty(*shape))
    fan = fan_out if options.get("mode", "fan_in").lower() == "fan_out" else fan_in
    std = init.calculate_gain(options.get("nonlinearity", "leaky_relu"), options.get("a", 0)) / math.sqrt(fan)
    tg.manual_seed(0)
    assert_uniform(values(init.kaiming_uniform_(tg.empty(*shape), **options)), -math.sqrt(3) * std,
                   math.sqrt(3) * std)
    assert_normal(values(init.kaiming_normal_(tg.empty(*shape), **options)), 0.0, std)
    torch_uniform = torch_sample(lambda i, t: i.kaiming_uniform_(t, **options), shape)
    assert torch_uniform.std() == pytest.approx(std, rel=0.015)
    assert torch_sample(lambda i, t: i.kaiming_normal_(t, **options), shape).std() == pytest.approx(std, rel=0.015)


def test_kaiming_rejects_unknown_modes_and_skips_empty_tensors():
    with pytest.raises(ValueError, match=r"Mode fan not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(tg.empty(3, 3), mode="fan")
    empty = tg.empty(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_normal_(empty) is empty


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 3.0),
                                          (0.0, 1.0, -0.5, 0.5)])
def test_trunc_normal_matches_torch_sample(mean, std, a, b):
    tg.manual_seed(0)
    ours = values(init.trunc_normal_(tg.empty(*SHAPE), mean, std, a, b))
    theirs = torch_sample(lambda i, t: i.trunc_normal_(t, mean, std, a, b), SHAPE)
    assert ours.min() >= a and ours.max() <= b
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01 * (b - a))
    assert ours.std() == pytest.approx(theirs.std(), rel=0.015)
    assert np.quantile(ours, 0.25) == pytest.approx(np.quantile(theirs, 0.25), abs=0.01 * (b - a))


def test_trunc_normal_warns_when_the_mean_is_far_from_the_interval():
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\] in nn.init.trunc_normal_"):
        sample = values(init.trunc_normal_(tg.empty(50), mean=-3.0, std=1.0, a=0.0, b=1.0))
    assert sample.min() >= 0.0 and sample.max() <= 1.0


@pytest.mark.parametrize("shape", [(6, 6), (3, 8), (8, 3), (4, 2, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape, gain):
    tg.manual_seed(0)
    matrix = values(init.orthogonal_(tg.empty(*shape), gain=gain)).reshape(shape[0], -1)
    rows, cols = matrix.shape
    product = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    np.testing.assert_allclose(product, gain ** 2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_uniform_over_signs_and_needs_two_dims():
    tg.manual_seed(0)
    diagonals = np.array([np.diag(values(init.orthogonal_(tg.empty(4, 4)))) for _ in range(300)])
    assert abs(np.mean(diagonals > 0) - 0.5) < 0.05
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tg.empty(3))
    empty = tg.empty(0, 4)
    assert init.orthogonal_(empty) is empty


def test_constant_ones_zeros_and_eye_are_exact():
    np.testing.assert_array_equal(values(init.constant_(tg.empty(2, 3), 0.25)), np.full((2, 3), 0.25))
    np.testing.assert_array_equal(values(init.ones_(tg.empty(4))), np.ones(4))
    np.testing.assert_array_equal(values(init.zeros_(tg.randn(2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(values(init.eye_(tg.empty(3, 5))), np.eye(3, 5))
    np.testing.assert_array_equal(values(init.eye_(tg.empty(4, 2, dtype=tg.float64))), np.eye(4, 2))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(tg.empty(2, 2, 2))


# ------------------------------------------------------------------------------ the contract
ALL_INITS = [
    ("uniform_", lambda t: init.uniform_(t, -1, 1)), ("normal_", lambda t: init.normal_(t)),
    ("trunc_normal_", lambda t: init.trunc_normal_(t)), ("constant_", lambda t: init.constant_(t, 3.0)),
    ("ones_", init.ones_), ("zeros_", init.zeros_), ("eye_", init.eye_), ("xavier_uniform_", init.xavier_uniform_),
    ("xavier_normal_", init.xavier_normal_), ("kaiming_uniform_", init.kaiming_uniform_),
    ("kaiming_normal_", init.kaiming_normal_), ("orthogonal_", init.orthogonal_),
]


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
@pytest.mark.parametrize("name,fill", ALL_INITS, ids=[row[0] for row in ALL_INITS])
def test_init_fills_a_parameter_in_place_without_recording_a_graph(name, fill, dtype):
    parameter = nn.Parameter(tg.zeros(5, 4, dtype=dtype))
    storage = parameter.detach().numpy()
    result = fill(parameter)
    assert result is parameter
    assert parameter.requires_grad and parameter.is_leaf and parameter.grad_fn is None
    assert parameter.dtype == dtype and tuple(parameter.shape) == (5, 4)
    assert np.shares_memory(storage, parameter.detach().numpy())
    if name != "zeros_":
        assert np.any(storage != 0)


@pytest.mark.parametrize("name,fill", [row for row in ALL_INITS if row[0] in (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_")], ids=lambda row: row if isinstance(row, str) else "")
def test_random_inits_are_reproducible_with_manual_seed(name, fill):
    tg.manual_seed(2024)
    first = values(fill(tg.empty(6, 5)))
    tg.manual_seed(2024)
    second = values(fill(tg.empty(6, 5)))
    third = values(fill(tg.empty(6, 5)))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third)


def test_random_inits_accept_a_generator():
    draws = []
    for _ in range(2):
        generator = tg.Generator().manual_seed(7)
        draws.append([values(init.kaiming_uniform_(tg.empty(4, 3), generator=generator)),
                      values(init.trunc_normal_(tg.empty(4, 3), generator=generator)),
                      values(init.orthogonal_(tg.empty(4, 3), generator=generator))])
    for first, second in zip(*draws):
        np.testing.assert_array_equal(first, second)


def test_layers_use_these_inits_and_reset_parameters_redraws():
    tg.manual_seed(5)
    layer = nn.Linear(30, 20)
    before = values(layer.weight)
    tg.manual_seed(5)
    layer.reset_parameters()
    np.testing.assert_array_equal(values(layer.weight), before)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty_input_layer = nn.Linear(0, 3)      # as torch: the weight is empty, the bias bound is 0
    np.testing.assert_array_equal(values(empty_input_layer.bias), np.zeros(3))
