"""L-BFGS against torch.optim.LBFGS: the same closures, the same iterates, the same state."""
import copy

import numpy as np
import pytest
import torch
from torch.optim import lbfgs as torch_lbfgs

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lbfgs

F64 = {"rtol": 1e-7, "atol": 1e-9}
DTYPES = {"float64": (torch.float64, tg.float64), "float32": (torch.float32, tg.float32)}


class Problem:
    """The same parameters in both frameworks and a closure for each: a chain of Rosenbrock valleys
    (non-convex, so the line search must bracket and zoom) plus a least-squares term."""

    def __init__(self, dtype="float64", size=6, seed=0):
        rng = np.random.default_rng(seed)
        start = rng.uniform(-1.5, 1.5, size).astype(dtype)
        self.matrix = rng.standard_normal((4, size)).astype(dtype)
        self.target = rng.standard_normal(4).astype(dtype)
        torch_dtype, our_dtype = DTYPES[dtype]
        self.torch_params = [torch.tensor(start[:2], requires_grad=True), torch.tensor(start[2:], requires_grad=True)]
        self.our_params = [tg.tensor(start[:2], dtype=our_dtype, requires_grad=True),
                           tg.tensor(start[2:], dtype=our_dtype, requires_grad=True)]
        self.calls = {"torch": 0, "ours": 0}

    def closure(self, optimizer, framework):
        module, params = (torch, self.torch_params) if framework == "torch" else (tg, self.our_params)

        def closure():
            self.calls[framework] += 1
            optimizer.zero_grad()
            x = module.cat(params)
            rosenbrock = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
            residual = module.tensor(self.matrix) @ x - module.tensor(self.target)
            loss = rosenbrock + 0.5 * (residual ** 2).sum()
            loss.backward()
            return loss
        return closure

    def optimizers(self, **kwargs):
        return torch.optim.LBFGS(self.torch_params, **kwargs), optim.LBFGS(self.our_params, **kwargs)

    def run(self, torch_optimizer, our_optimizer, steps):
        for _ in range(steps):
            their_loss = torch_optimizer.step(self.closure(torch_optimizer, "torch"))
            our_loss = our_optimizer.step(self.closure(our_optimizer, "ours"))
            assert isinstance(our_loss, tg.Tensor)
            assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-6)
        assert self.calls["ours"] == self.calls["torch"]

    def assert_close(self, tolerance=F64):
        for ours, theirs in zip(self.our_params, self.torch_params):
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)


def assert_lbfgs_state_matches(ours, theirs, tolerance=F64):
    our_dict, their_dict = ours.state_dict(), theirs.state_dict()
    assert our_dict["param_groups"] == their_dict["param_groups"]
    assert list(our_dict["state"]) == list(their_dict["state"]) == [0]
    our_state, their_state = our_dict["state"][0], their_dict["state"][0]
    assert list(our_state) == list(their_state)
    for key, their_value in their_state.items():
        compare_state_value(our_state[key], their_value, tolerance, key)


def compare_state_value(ours, theirs, tolerance, key):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), key
        for our_item, their_item in zip(ours, theirs):
            compare_state_value(our_item, their_item, tolerance, key)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), key
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype)[-7:] == str(theirs.dtype)[-7:], key
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **tolerance, err_msg=key)
    elif isinstance(theirs, float):
        assert isinstance(ours, float) and ours == pytest.approx(theirs, rel=tolerance["rtol"] * 10), key
    else:
        assert ours == theirs, key


CASES = [
    {},
    {"lr": 0.5},
    {"history_size": 3},
    {"max_iter": 5, "history_size": 2},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 7},
    {"line_search_fn": "strong_wolfe", "max_eval": 9},
    {"lr": 0.1, "tolerance_change": 1e-3},
]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(case) for case in CASES])
def test_lbfgs_iterates_and_state_match_torch(kwargs):
    problem = Problem()
    torch_optimizer, our_optimizer = problem.optimizers(**kwargs)
    problem.run(torch_optimizer, our_optimizer, steps=3)
    problem.assert_close()
    assert_lbfgs_state_matches(our_optimizer, torch_optimizer)


def test_lbfgs_with_line_search_reaches_the_minimum_like_torch():
    problem = Problem(size=2, seed=1)
    problem.matrix[...] = 0
    torch_optimizer, our_optimizer = problem.optimizers(line_search_fn="strong_wolfe", max_iter=100)
    problem.run(torch_optimizer, our_optimizer, steps=2)
    problem.assert_close()
    np.testing.assert_allclose(problem.our_params[0].detach().numpy(), [1.0, 1.0], atol=1e-6)
    assert our_optimizer.state[problem.our_params[0]]["func_evals"] == \
        torch_optimizer.state[problem.torch_params[0]]["func_evals"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_float32_stays_float32_and_matches_torch(line_search_fn):
    problem = Problem("float32", seed=2)
    problem.matrix *= 0.1
    torch_optimizer, our_optimizer = problem.optimizers(line_search_fn=line_search_fn, max_iter=4, lr=0.2)
    problem.run(torch_optimizer, our_optimizer, steps=2)
    problem.assert_close({"rtol": 1e-4, "atol": 1e-4})
    for param in problem.our_params:
        assert param._data.dtype == np.float32
    state = our_optimizer.state[problem.our_params[0]]
    assert state["d"].dtype == tg.float32 and state["ro"][0].dtype == tg.float32


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_round_trip_continues_like_torch(line_search_fn):
    problem = Problem(seed=3)
    torch_optimizer, our_optimizer = problem.optimizers(line_search_fn=line_search_fn, history_size=4, max_iter=4)
    problem.run(torch_optimizer, our_optimizer, steps=2)
    resumed = optim.LBFGS(problem.our_params, line_search_fn=line_search_fn, history_size=4, max_iter=4)
    resumed.load_state_dict(our_optimizer.state_dict())
    saved = our_optimizer.state[problem.our_params[0]]
    loaded = resumed.state[problem.our_params[0]]
    assert loaded["old_dirs"][0]._data is not saved["old_dirs"][0]._data
    torch_resumed = torch.optim.LBFGS(problem.torch_params, line_search_fn=line_search_fn, history_size=4,
                                      max_iter=4)
    torch_resumed.load_state_dict(copy.deepcopy(torch_optimizer.state_dict()))
    problem.run(torch_resumed, resumed, steps=2)
    problem.assert_close()
    assert_lbfgs_state_matches(resumed, torch_resumed)


def test_lbfgs_stops_at_once_when_the_gradient_is_zero():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.LBFGS([param])

    def closure():
        optimizer.zero_grad()
        loss = (param * 0).sum()
        loss.backward()
        return loss
    assert optimizer.step(closure).item() == 0
    np.testing.assert_array_equal(param.detach().numpy(), [1.0, 2.0])
    assert optimizer.state[param] == {"func_evals": 1, "n_iter": 0}


def test_lbfgs_fits_a_module_like_torch():
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    our_model = tg.nn.Sequential(tg.nn.Linear(3, 5), tg.nn.Tanh(), tg.nn.Linear(5, 1)).double()
    our_model.load_state_dict({key: tg.tensor(value.numpy()) for key, value in torch_model.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3))
    y = np.sin(x.sum(axis=1, keepdims=True))
    losses = {}
    for module, model in ((torch, torch_model), (tg, our_model)):
        optimizer = module.optim.LBFGS(model.parameters(), lr=0.8, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = module.nn.functional.mse_loss(model(module.tensor(x)), module.tensor(y))
            loss.backward()
            return loss
        losses[module] = [optimizer.step(closure).item() for _ in range(4)]
    np.testing.assert_allclose(losses[tg], losses[torch], rtol=1e-6)
    assert losses[tg][-1] < 0.5 * losses[tg][0]
    for ours, theirs in zip(our_model.parameters(), torch_model.parameters()):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-8)


def test_cubic_interpolate_matches_torch():
    rng = np.random.default_rng(0)
    for _ in range(200):
        x1, x2, f1, f2 = rng.standard_normal(4)
        g1, g2 = rng.standard_normal(2)
        bounds = None if rng.random() < 0.5 else tuple(sorted(rng.standard_normal(2)))
        theirs = torch_lbfgs._cubic_interpolate(x1, f1, torch.tensor(g1), x2, f2, torch.tensor(g2), bounds=bounds)
        ours = lbfgs._cubic_interpolate(x1, f1, np.float64(g1), x2, f2, np.float64(g2), bounds=bounds)
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12, abs=1e-12)


def test_strong_wolfe_matches_torch_on_a_one_dimensional_function():
    def obj_func(x, t, d):
        point = x + t * d
        return float((point ** 4 - 3 * point ** 2 + point).sum()), 4 * point ** 3 - 6 * point + 1
    x, d = np.array([0.3, -0.2]), np.array([2.0, 1.0])
    f = float((x ** 4 - 3 * x ** 2 + x).sum())
    g = 4 * x ** 3 - 6 * x + 1
    for t in (1.0, 0.1, 5.0):
        theirs = torch_lbfgs._strong_wolfe(obj_func, torch.tensor(x), t, torch.tensor(d), f,
                                           torch.tensor(g), torch.tensor(g).dot(torch.tensor(d)))
        ours = lbfgs._strong_wolfe(obj_func, x, t, d, f, g, g.dot(d))
        assert ours[0] == pytest.approx(theirs[0], rel=1e-10)
        np.testing.assert_allclose(ours[1], theirs[1].numpy(), rtol=1e-7, atol=1e-8)
        assert float(ours[2]) == pytest.approx(float(theirs[2]), rel=1e-8)
        assert ours[3] == theirs[3]


def test_lbfgs_errors_are_torchs():
    first, second = tg.zeros(2, requires_grad=True), tg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [first]}, {"params": [second]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([first], lr=-1)
    optimizer = optim.LBFGS([first], line_search_fn="wolfe")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        optimizer.step()

    def closure():
        optimizer.zero_grad()
        loss = ((first - 1) ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optimizer.step(closure)


def test_lbfgs_defaults_and_repr_match_torch():
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=8)
    ours = optim.LBFGS([tg.zeros(2, requires_grad=True)], max_iter=8)
    assert list(ours.defaults.items()) == list(theirs.defaults.items())
    assert repr(ours) == repr(theirs)


def test_new_optimizers_live_in_torchs_modules():
    import tinygrad_edu.optim.asgd
    import tinygrad_edu.optim.radam
    import tinygrad_edu.optim.rprop
    assert optim.LBFGS is lbfgs.LBFGS and optim.RAdam is tinygrad_edu.optim.radam.RAdam
    assert optim.Rprop is tinygrad_edu.optim.rprop.Rprop and optim.ASGD is tinygrad_edu.optim.asgd.ASGD


def test_lbfgs_treats_a_parameter_without_gradient_as_zero_like_torch():
    start, unused = np.array([-1.2, 1.0]), np.array([3.0])
    results = {}
    for module in (torch, tg):
        x = module.tensor(start, requires_grad=True)
        idle = module.tensor(unused, requires_grad=True)
        optimizer = module.optim.LBFGS([x, idle], history_size=5, max_iter=10, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
            loss.backward()
            return loss
        optimizer.step(closure)
        results[module] = (x.detach().numpy().copy(), idle.detach().numpy().copy())
    np.testing.assert_allclose(results[tg][0], results[torch][0], **F64)
    np.testing.assert_array_equal(results[tg][1], unused)
