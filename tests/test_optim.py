"""Optimizers against torch.optim: the same parameters, the same gradients, the same trajectory."""
import copy
import io

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import optim

STEPS = 20
SHAPES = [(3, 4), (5,), ()]
F64 = {"rtol": 1e-7, "atol": 1e-9}
F32 = {"rtol": 1.3e-6, "atol": 1e-5}

TORCH_DTYPES = {"float64": torch.float64, "float32": torch.float32}
OUR_DTYPES = {"float64": tg.float64, "float32": tg.float32}

# Every optimizer with a grid of options, written once and built in both frameworks.
GRID = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "maximize": True},
        {"lr": 0.05, "weight_decay": 0.1, "nesterov": True, "momentum": 0.3},
    ],
    "Adam": [
        {},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "maximize": True},
        {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3},
        {"lr": 0.01, "betas": (0.3, 0.99)},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True},
        {"lr": 0.01, "maximize": True, "weight_decay": 0.0},
    ],
    "RMSprop": [
        {},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
        {"lr": 0.01, "alpha": 0.9, "maximize": True, "eps": 1e-4},
    ],
    "Adagrad": [
        {},
        {"lr": 0.1, "lr_decay": 0.1},
        {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
        {"lr": 0.1, "maximize": True, "eps": 1e-5},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.5},
        {"weight_decay": 0.1, "eps": 1e-4},
        {"maximize": True},
    ],
    "Adamax": [
        {},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "betas": (0.8, 0.9)},
        {"lr": 0.01, "maximize": True, "eps": 1e-4},
    ],
    "NAdam": [
        {},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "momentum_decay": 0.01, "betas": (0.8, 0.95)},
        {"lr": 0.01, "maximize": True},
    ],
    "RAdam": [
        {},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3},
        {"lr": 0.01, "maximize": True, "betas": (0.8, 0.8)},
    ],
    "Rprop": [
        {},
        {"lr": 0.05, "etas": (0.3, 1.5)},
        {"lr": 0.1, "step_sizes": (1e-3, 0.2)},
        {"lr": 0.01, "maximize": True},
    ],
    "ASGD": [
        {},
        {"lr": 0.05, "t0": 5},
        {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 0, "weight_decay": 0.1},
        {"lr": 0.05, "t0": 3, "maximize": True},
    ],
}
GRID_CASES = [(name, kwargs) for name, grid in GRID.items() for kwargs in grid]


def case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{key}={value}" for key, value in kwargs.items())


def initial_arrays(dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


class Trajectory:
    """The same parameters in both frameworks, fed the same gradient function step by step.

    The gradient is that of a quadratic bowl plus a step-dependent tilt, computed from
    each framework's own current parameters, so a wrong update changes later gradients too.
    """

    def __init__(self, dtype="float64", seed=0):
        self.dtype = dtype
        arrays = initial_arrays(dtype, seed)
        rng = np.random.default_rng(seed + 1)
        self.curvatures = [rng.uniform(0.5, 2.0, array.shape) for array in arrays]
        self.tilts = [rng.standard_normal((STEPS * 2,) + array.shape) for array in arrays]
        self.torch_params = [torch.tensor(array, requires_grad=True) for array in arrays]
        self.our_params = [tg.tensor(array, dtype=OUR_DTYPES[dtype], requires_grad=True) for array in arrays]

    def gradient(self, index, value, step):
        return (self.curvatures[index] * value + self.tilts[index][step]).astype(self.dtype)

    def set_grads(self, step, frameworks=("torch", "ours")):
        for index, (theirs, ours) in enumerate(zip(self.torch_params, self.our_params)):
            if "torch" in frameworks:
                theirs.grad = torch.tensor(self.gradient(index, theirs.detach().numpy(), step))
            if "ours" in frameworks:
                ours.grad = tg.tensor(self.gradient(index, ours.detach().numpy(), step), dtype=OUR_DTYPES[self.dtype])

    def run(self, torch_optimizer, our_optimizer, steps=STEPS, start=0):
        for step in range(start, start + steps):
            self.set_grads(step)
            torch_optimizer.step()
            our_optimizer.step()

    def assert_close(self, tolerance=F64):
        for theirs, ours in zip(self.torch_params, self.our_params):
            assert ours.dtype == OUR_DTYPES[self.dtype]
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)


def build(name, params, kwargs, module):
    return getattr(module, name)(params, **kwargs)


def assert_state_matches(our_optimizer, torch_optimizer, tolerance=F64):
    ours, theirs = our_optimizer.state_dict(), torch_optimizer.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert set(ours["state"]) == set(theirs["state"])
    for index, their_state in theirs["state"].items():
        our_state = ours["state"][index]
        assert set(our_state) == set(their_state)
        for key, their_value in their_state.items():
            our_value = our_state[key]
            assert isinstance(our_value, tg.Tensor)
            assert str(our_value.dtype).split(".")[-1] == str(their_value.dtype).split(".")[-1], key
            np.testing.assert_allclose(our_value.numpy(), their_value.numpy(), **tolerance, err_msg=key)


@pytest.mark.parametrize("case", GRID_CASES, ids=[case_id(case) for case in GRID_CASES])
def test_trajectory_matches_torch_float64(case):
    name, kwargs = case
    trajectory = Trajectory("float64")
    torch_optimizer = build(name, trajectory.torch_params, kwargs, torch.optim)
    our_optimizer = build(name, trajectory.our_params, kwargs, optim)
    trajectory.run(torch_optimizer, our_optimizer)
    trajectory.assert_close()
    assert_state_matches(our_optimizer, torch_optimizer)


@pytest.mark.parametrize("name", sorted(GRID))
def test_float32_stays_float32_and_matches_torch(name):
    kwargs = GRID[name][1]
    trajectory = Trajectory("float32")
    torch_optimizer = build(name, trajectory.torch_params, kwargs, torch.optim)
    our_optimizer = build(name, trajectory.our_params, kwargs, optim)
    trajectory.run(torch_optimizer, our_optimizer)
    trajectory.assert_close(F32)
    for param in trajectory.our_params:
        assert param._data.dtype == np.float32
    assert_state_matches(our_optimizer, torch_optimizer, F32)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(["SGD", "Adam", "RMSprop", "NAdam", "RAdam"]),
       lr=st.floats(1e-3, 0.3), momentum=st.floats(0.0, 0.95), beta1=st.floats(0.0, 0.95),
       weight_decay=st.sampled_from([0.0, 0.05]), maximize=st.booleans(), flag=st.booleans())
def test_random_hyperparameters_match_torch(name, lr, momentum, beta1, weight_decay, maximize, flag):
    kwargs = {"lr": lr, "weight_decay": weight_decay, "maximize": maximize}
    if name == "SGD":
        kwargs.update(momentum=momentum, nesterov=flag and momentum > 0)
    elif name == "RMSprop":
        kwargs.update(momentum=momentum, centered=flag)
    else:
        kwargs.update(betas=(beta1, 0.99))
        kwargs.update({"amsgrad": flag} if name == "Adam" else {"decoupled_weight_decay": flag})
    trajectory = Trajectory("float64", seed=3)
    torch_optimizer = build(name, trajectory.torch_params, kwargs, torch.optim)
    our_optimizer = build(name, trajectory.our_params, kwargs, optim)
    trajectory.run(torch_optimizer, our_optimizer, steps=8)
    trajectory.assert_close()


def grouped(params, name):
    """Two parameter groups with their own options next to the optimizer-wide defaults."""
    overrides = {"SGD": {"lr": 0.01, "momentum": 0.5}, "Adam": {"lr": 0.05, "betas": (0.8, 0.9)},
                 "RMSprop": {"centered": True, "lr": 0.001}, "Adagrad": {"lr_decay": 0.5},
                 "Adadelta": {"rho": 0.5}, "AdamW": {"weight_decay": 0.5}, "Adamax": {"eps": 1e-2},
                 "NAdam": {"momentum_decay": 0.1}, "RAdam": {"betas": (0.5, 0.9)}, "Rprop": {"etas": (0.2, 1.1)},
                 "ASGD": {"t0": 2, "lambd": 0.01}}[name]
    return [{"params": params[:1]}, {"params": params[1:], **overrides}]


@pytest.mark.parametrize("name", sorted(GRID))
def test_param_groups_with_their_own_options(name):
    defaults = {"SGD": {"lr": 0.1, "momentum": 0.9}}.get(name, {})
    trajectory = Trajectory("float64")
    torch_optimizer = getattr(torch.optim, name)(grouped(trajectory.torch_params, name), **defaults)
    our_optimizer = getattr(optim, name)(grouped(trajectory.our_params, name), **defaults)
    assert len(our_optimizer.param_groups) == 2
    trajectory.run(torch_optimizer, our_optimizer)
    trajectory.assert_close()
    assert_state_matches(our_optimizer, torch_optimizer)


@pytest.mark.parametrize("case", [(name, GRID[name][-1]) for name in sorted(GRID)], ids=sorted(GRID))
def test_state_dict_round_trip_continues_the_trajectory(case):
    name, kwargs = case
    trajectory = Trajectory("float64")
    torch_optimizer = build(name, trajectory.torch_params, kwargs, torch.optim)
    our_optimizer = build(name, trajectory.our_params, kwargs, optim)
    trajectory.run(torch_optimizer, our_optimizer, steps=STEPS // 2)

    resumed_params = [tg.tensor(param.detach().numpy(), requires_grad=True) for param in trajectory.our_params]
    resumed = build(name, resumed_params, kwargs, optim)
    resumed.load_state_dict(our_optimizer.state_dict())
    trajectory.our_params = resumed_params
    torch_resumed = build(name, trajectory.torch_params, kwargs, torch.optim)
    torch_resumed.load_state_dict(copy.deepcopy(torch_optimizer.state_dict()))
    trajectory.run(torch_resumed, resumed, steps=STEPS // 2, start=STEPS // 2)
    trajectory.assert_close()
    assert_state_matches(resumed, torch_resumed)


def test_load_state_dict_copies_and_casts_the_state():
    params64 = [tg.tensor(array, requires_grad=True) for array in initial_arrays("float64")]
    source = optim.Adam(params64, lr=0.01)
    for param in params64:
        param.grad = tg.ones_like(param)
    source.step()
    params32 = [tg.tensor(array, requires_grad=True) for array in initial_arrays("float32")]
    target = optim.Adam(params32, lr=0.5)
    target.load_state_dict(source.state_dict())
    assert target.param_groups[0]["lr"] == 0.01
    assert target.param_groups[0]["params"][0] is params32[0]
    loaded = target.state[params32[0]]
    assert loaded["exp_avg"].dtype == tg.float32
    assert loaded["step"].dtype == source.state[params64[0]]["step"].dtype
    assert loaded["exp_avg"]._data is not source.state[params64[0]]["exp_avg"]._data


def test_torch_state_dict_layout_is_the_same():
    trajectory = Trajectory("float64")
    torch_optimizer = torch.optim.SGD(trajectory.torch_params, lr=0.1, momentum=0.9)
    our_optimizer = optim.SGD(trajectory.our_params, lr=0.1, momentum=0.9)
    trajectory.run(torch_optimizer, our_optimizer, steps=1)
    ours, theirs = our_optimizer.state_dict(), torch_optimizer.state_dict()
    assert ours["param_groups"] == theirs["param_groups"] == [{
        "lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False,
        "foreach": None, "differentiable": False, "fused": None, "params": [0, 1, 2]}]
    assert list(ours["state"]) == [0, 1, 2]
    assert list(ours["state"][0]) == ["momentum_buffer"]


@pytest.mark.parametrize("bad, message", [
    ({"param_groups": []}, "loaded state dict has a different number of parameter groups"),
    ({"param_groups": [{"params": [0]}]}, "loaded state dict contains a parameter group that doesn't match"),
])
def test_load_state_dict_rejects_mismatched_groups(bad, message):
    params = [tg.tensor(array, requires_grad=True) for array in initial_arrays()]
    optimizer = optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict({"state": {}, **bad})
    assert optimizer.param_groups[0]["params"] == params


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    params = [tg.tensor(array, requires_grad=True) for array in initial_arrays()]
    optimizer = optim.SGD(params, lr=0.1)
    (params[0] * params[0]).sum().backward()
    grad = params[0].grad
    optimizer.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert params[0].grad is None
    else:
        assert params[0].grad is grad
        assert not params[0].grad.numpy().any()
    assert params[1].grad is None


def test_zero_grad_default_sets_none_like_torch():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.Adam([param])
    param.grad = tg.tensor([1.0, 1.0])
    optimizer.zero_grad()
    assert param.grad is None


def test_params_without_grad_are_left_alone():
    params = [tg.tensor(array, requires_grad=True) for array in initial_arrays()]
    optimizer = optim.Adam(params, lr=0.1)
    params[0].grad = tg.ones_like(params[0])
    before = params[1].detach().numpy().copy()
    optimizer.step()
    np.testing.assert_array_equal(params[1].detach().numpy(), before)
    assert params[1] not in optimizer.state and params[0] in optimizer.state


def test_step_with_closure_returns_the_loss_and_trains():
    torch_weight = torch.tensor([[0.5, -1.0], [2.0, 0.3]], dtype=torch.float64, requires_grad=True)
    our_weight = tg.tensor(torch_weight.detach().numpy(), requires_grad=True)
    x = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.1]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    torch_optimizer = torch.optim.SGD([torch_weight], lr=0.05, momentum=0.9)
    our_optimizer = optim.SGD([our_weight], lr=0.05, momentum=0.9)
    calls = []

    def closure_for(weight, optimizer, module):
        def closure():
            calls.append(module)
            optimizer.zero_grad()
            loss = ((module.tensor(x) @ weight - module.tensor(y)) ** 2).mean()
            loss.backward()
            return loss
        return closure

    for _ in range(10):
        their_loss = torch_optimizer.step(closure_for(torch_weight, torch_optimizer, torch))
        with tg.no_grad():
            our_loss = our_optimizer.step(closure_for(our_weight, our_optimizer, tg))
        assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-10)
    assert calls.count(tg) == 10
    np.testing.assert_allclose(our_weight.detach().numpy(), torch_weight.detach().numpy(), **F64)
    assert our_optimizer.step() is None


def test_training_a_linear_model_with_autograd_matches_torch():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    weight, bias = rng.standard_normal((3, 2)), rng.standard_normal(2)
    torch_params = [torch.tensor(weight, requires_grad=True), torch.tensor(bias, requires_grad=True)]
    our_params = [tg.tensor(weight, requires_grad=True), tg.tensor(bias, requires_grad=True)]
    torch_optimizer = torch.optim.AdamW(torch_params, lr=0.05)
    our_optimizer = optim.AdamW(our_params, lr=0.05)
    for _ in range(STEPS):
        for module, params, optimizer in ((torch, torch_params, torch_optimizer), (tg, our_params, our_optimizer)):
            optimizer.zero_grad()
            prediction = module.tensor(x) @ params[0] + params[1]
            ((prediction - module.tensor(y)) ** 2).mean().backward()
            optimizer.step()
    for ours, theirs in zip(our_params, torch_params):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **F64)


def test_training_a_module_with_scheduler_and_clipping_matches_torch():
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    our_model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 3)).double()
    our_model.load_state_dict({key: tg.tensor(value.numpy()) for key, value in torch_model.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))
    runs = []
    for module, model, utils in ((torch, torch_model, torch.nn.utils), (tg, our_model, tg.nn.utils)):
        optimizer = module.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        scheduler = module.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=STEPS)
        runs.append((model, optimizer, scheduler, module, utils))
    for _ in range(STEPS):
        for model, optimizer, scheduler, module, utils in runs:
            optimizer.zero_grad()
            ((model(module.tensor(x)) - module.tensor(y)) ** 2).mean().backward()
            utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            optimizer.step()
            scheduler.step()
    for ours, theirs in zip(our_model.parameters(), torch_model.parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **F64)


def test_step_updates_in_place_and_bumps_the_version():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    array = param._data
    version = param._version
    optimizer = optim.SGD([param], lr=0.5)
    param.grad = tg.tensor([1.0, -1.0])
    optimizer.step()
    assert param._data is array
    assert param._version == version + 1
    np.testing.assert_array_equal(param.detach().numpy(), [0.5, 2.5])


def test_add_param_group_fills_defaults():
    first, second = tg.tensor([1.0], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    optimizer = optim.SGD([first], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": second, "lr": 0.01})
    group = optimizer.param_groups[1]
    assert group["params"] == [second] and group["lr"] == 0.01 and group["momentum"] == 0.9
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optimizer.add_param_group({"params": [first]})
    with pytest.raises(TypeError, match="param_group must be a dict, but got <class 'list'>"):
        optimizer.add_param_group([first])


def test_named_parameters_are_accepted():
    weight, bias = tg.tensor([1.0], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    optimizer = optim.SGD([("weight", weight), ("bias", bias)], lr=0.1)
    assert optimizer.param_groups[0]["params"] == [weight, bias]
    assert optimizer.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_duplicate_parameters_warn_like_torch():
    param = tg.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        optim.SGD([param, param], lr=0.1)


@pytest.mark.parametrize("name", sorted(GRID))
def test_repr_matches_torch(name):
    kwargs = GRID[name][1]
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    ours = getattr(optim, name)([tg.zeros(2, requires_grad=True)], **kwargs)
    assert repr(ours) == repr(theirs)


def test_defaults_and_group_keys_match_torch():
    for name in GRID:
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        ours = getattr(optim, name)([tg.zeros(2, requires_grad=True)])
        assert list(ours.defaults.items()) == list(theirs.defaults.items()), name


VALIDATION = [
    ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("SGD", {"momentum": -1}, "Invalid momentum value: -1"),
    ("SGD", {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
    ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -1e-3}, "Invalid learning rate: -0.001"),
    ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ("RMSprop", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("RMSprop", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1},
     "Invalid initial_accumulator_value value: -1"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adamax", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    ("RAdam", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("RAdam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Rprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("Rprop", {"etas": (1.2, 0.5)}, "Invalid eta values: 1.2, 0.5"),
    ("Rprop", {"etas": (0.5, 1.0)}, "Invalid eta values: 0.5, 1.0"),
    ("ASGD", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("LBFGS", {"lr": -0.5}, "Invalid learning rate: -0.5"),
]


@pytest.mark.parametrize("name, kwargs, message", VALIDATION)
def test_invalid_options_raise_torchs_message(name, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        getattr(optim, name)([tg.zeros(1, requires_grad=True)], **kwargs)


def test_invalid_params_raise_torchs_errors():
    leaf = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors"):
        optim.SGD(leaf, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is list"):
        optim.SGD([[1.0]], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered collections"):
        optim.SGD([{"params": {leaf}}], lr=0.1)
    with pytest.raises(ValueError, match="all optimizer params should be with/without names"):
        optim.SGD([("weight", leaf), tg.tensor([2.0], requires_grad=True)], lr=0.1)


def test_empty_generator_raises():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam(param for param in [])


def test_differentiable_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        optim.SGD([tg.zeros(1, requires_grad=True)], differentiable=True)


def test_foreach_and_fused_are_accepted_and_change_nothing():
    trajectory = Trajectory("float64")
    torch_optimizer = torch.optim.Adam(trajectory.torch_params, lr=0.01)
    our_optimizer = optim.Adam(trajectory.our_params, lr=0.01, foreach=True, fused=False)
    trajectory.run(torch_optimizer, our_optimizer, steps=5)
    trajectory.assert_close()


def test_adagrad_creates_its_state_at_construction_like_torch():
    params = [tg.tensor(array, requires_grad=True) for array in initial_arrays()]
    torch_params = [torch.tensor(array, requires_grad=True) for array in initial_arrays()]
    ours = optim.Adagrad(params, initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad(torch_params, initial_accumulator_value=0.25)
    assert_state_matches(ours, theirs)


def test_state_dict_survives_save_and_load_and_deepcopy():
    trajectory = Trajectory("float64")
    torch_optimizer = torch.optim.Adam(trajectory.torch_params, lr=0.01, amsgrad=True)
    our_optimizer = optim.Adam(trajectory.our_params, lr=0.01, amsgrad=True)
    trajectory.run(torch_optimizer, our_optimizer, steps=3)
    buffer = io.BytesIO()
    tg.save(our_optimizer.state_dict(), buffer)
    buffer.seek(0)
    trajectory.our_params = [tg.tensor(param.detach().numpy(), requires_grad=True) for param in trajectory.our_params]
    resumed = optim.Adam(trajectory.our_params, lr=0.5, amsgrad=True)
    resumed.load_state_dict(tg.load(buffer))
    clone = copy.deepcopy(resumed)
    assert [id(param) for param in clone.state] == [id(param) for param in clone.param_groups[0]["params"]]
    trajectory.run(torch_optimizer, resumed, steps=3, start=3)
    trajectory.assert_close()
    assert_state_matches(resumed, torch_optimizer)


def test_public_import_paths():
    import tinygrad_edu.optim as optim_module
    assert optim_module.Adam is tg.optim.Adam
    assert issubclass(optim_module.AdamW, optim_module.Adam)
    assert optim_module.lr_scheduler.StepLR.__module__ == "tinygrad_edu.optim.lr_scheduler"
