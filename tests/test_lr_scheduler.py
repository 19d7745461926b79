"""Learning-rate schedulers against torch.optim.lr_scheduler: the same lr sequence, step for step."""
import math
import warnings

import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

STEPS = 30
GROUP_LRS = (0.1, 0.02)


def make_optimizer(optim_module, tensor_factory, kind="sgd"):
    """Two parameter groups with different learning rates (the params never get a gradient)."""
    groups = [{"params": [tensor_factory([1.0, 2.0])], "lr": lr} for lr in GROUP_LRS]
    if kind == "adam":
        return optim_module.Adam(groups)
    return optim_module.SGD(groups, momentum=0.9)


def torch_tensor(data):
    return torch.tensor(data, requires_grad=True)


def our_tensor(data):
    return tg.tensor(data, requires_grad=True)


def both(kind="sgd"):
    return make_optimizer(torch.optim, torch_tensor, kind), make_optimizer(optim, our_tensor, kind)


def group_values(optimizer):
    """What a scheduler may change in each group: lr, momentum and beta1."""
    return [(group["lr"], group.get("momentum"), group.get("betas")) for group in optimizer.param_groups]


# Each case builds a scheduler from a module (torch's lr_scheduler or ours) and an optimizer.
CASES = {
    "step": ("sgd", lambda m, opt: m.StepLR(opt, step_size=7, gamma=0.5)),
    "multistep": ("sgd", lambda m, opt: m.MultiStepLR(opt, milestones=[3, 8, 8, 20], gamma=0.3)),
    "exponential": ("sgd", lambda m, opt: m.ExponentialLR(opt, gamma=0.9)),
    "cosine_past_t_max": ("sgd", lambda m, opt: m.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)),
    "cosine": ("sgd", lambda m, opt: m.CosineAnnealingLR(opt, T_max=STEPS)),
    "lambda": ("sgd", lambda m, opt: m.LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))),
    "lambda_per_group": ("sgd", lambda m, opt: m.LambdaLR(
        opt, lr_lambda=[lambda epoch: 0.9 ** epoch, lambda epoch: epoch // 5 + 1])),
    "multiplicative": ("sgd", lambda m, opt: m.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.97)),
    "linear": ("sgd", lambda m, opt: m.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=12)),
    "linear_default": ("sgd", lambda m, opt: m.LinearLR(opt)),
    "constant": ("sgd", lambda m, opt: m.ConstantLR(opt, factor=0.5, total_iters=4)),
    "polynomial": ("sgd", lambda m, opt: m.PolynomialLR(opt, total_iters=20, power=2.0)),
    "warm_restarts": ("sgd", lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.01)),
    "onecycle_cos": ("sgd", lambda m, opt: m.OneCycleLR(opt, max_lr=[0.5, 0.05], total_steps=STEPS + 1)),
    "onecycle_linear_three_phase": ("sgd", lambda m, opt: m.OneCycleLR(
        opt, max_lr=0.3, epochs=4, steps_per_epoch=8, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=0.9)),
    "onecycle_adam_betas": ("adam", lambda m, opt: m.OneCycleLR(opt, max_lr=0.01, total_steps=STEPS + 5)),
    "onecycle_no_momentum": ("sgd", lambda m, opt: m.OneCycleLR(
        opt, max_lr=0.2, total_steps=STEPS, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0)),
    "sequential": ("sgd", lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(opt, T_max=20)],
        milestones=[5])),
    "sequential_three": ("sgd", lambda m, opt: m.SequentialLR(
        opt, [m.ConstantLR(opt, factor=0.1, total_iters=4), m.ExponentialLR(opt, gamma=0.8),
              m.StepLR(opt, step_size=3, gamma=0.5)], milestones=[4, 12])),
    "chained": ("sgd", lambda m, opt: m.ChainedScheduler(
        [m.ConstantLR(opt, factor=0.1, total_iters=6), m.ExponentialLR(opt, gamma=0.9)])),
    "cyclic_triangular": ("sgd", lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    "cyclic_triangular2_uneven": ("sgd", lambda m, opt: m.CyclicLR(
        opt, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=3, step_size_down=5, mode="triangular2",
        base_momentum=[0.7, 0.75], max_momentum=0.95)),
    "cyclic_exp_range_adam": ("adam", lambda m, opt: m.CyclicLR(
        opt, base_lr=1e-4, max_lr=1e-2, step_size_up=5, mode="exp_range", gamma=0.9, base_momentum=0.85,
        max_momentum=0.95)),
    "cyclic_scale_fn_iterations": ("sgd", lambda m, opt: m.CyclicLR(
        opt, base_lr=0.02, max_lr=0.2, step_size_up=2, step_size_down=3, scale_fn=lambda x: 0.5 ** (x / 4),
        scale_mode="iterations", cycle_momentum=False)),
    "cyclic_scale_fn_cycle": ("sgd", lambda m, opt: m.CyclicLR(
        opt, base_lr=0.02, max_lr=0.2, step_size_up=4, mode="not-used", scale_fn=lambda cycle: 1 / cycle)),
}


def run_schedule(module, optimizer, build, steps):
    scheduler = build(module, optimizer)
    values = [(scheduler.get_last_lr(), group_values(optimizer))]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        values.append((scheduler.get_last_lr(), group_values(optimizer)))
    return values


def assert_close_nested(ours, theirs, where, rel=1e-12, abs=1e-15):
    """``ours == theirs`` for nested lists and tuples: the same structure, numbers within the tolerance.

    ``pytest.approx`` compares flat sequences only (pytest 9 refuses nested ones).
    """
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), f"{where}: {ours!r} != {theirs!r}"
        for index, (our_item, their_item) in enumerate(zip(ours, theirs)):
            assert_close_nested(our_item, their_item, f"{where}[{index}]", rel, abs)
    elif theirs is None:
        assert ours is None, f"{where}: {ours!r} != None"
    else:
        assert ours == pytest.approx(theirs, rel=rel, abs=abs), where


def assert_values_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (our_step, their_step) in enumerate(zip(ours, theirs)):
        assert_close_nested(our_step, their_step, f"step {step}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_lr_sequence_matches_torch(case):
    kind, build = CASES[case]
    torch_optimizer, our_optimizer = both(kind)
    steps = STEPS if case != "onecycle_no_momentum" else STEPS - 1
    expected = run_schedule(torch.optim.lr_scheduler, torch_optimizer, build, steps)
    actual = run_schedule(lr_scheduler, our_optimizer, build, steps)
    assert_values_equal(actual, expected)


@pytest.mark.parametrize("case", ["step", "multistep", "exponential", "cosine_past_t_max", "linear", "constant",
                                  "polynomial", "lambda"])
def test_step_with_epoch_uses_closed_form(case):
    _, build = CASES[case]
    torch_optimizer, our_optimizer = both()
    theirs, ours = build(torch.optim.lr_scheduler, torch_optimizer), build(lr_scheduler, our_optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 9, 4, 17, 25):
            torch_optimizer.step()
            our_optimizer.step()
            theirs.step(epoch)
            with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
                ours.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


def test_warm_restarts_fractional_epochs():
    torch_optimizer, our_optimizer = both()
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(torch_optimizer, T_0=4, T_mult=2)
    ours = lr_scheduler.CosineAnnealingWarmRestarts(our_optimizer, T_0=4, T_mult=2)
    for epoch in (0.5, 1.25, 3.9, 4.0, 7.5, 13.0, 30.2):
        theirs.step(epoch)
        ours.step(epoch)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


@pytest.mark.parametrize("case", ["cosine_past_t_max", "onecycle_cos", "sequential", "chained", "lambda",
                                  "warm_restarts", "cyclic_triangular2_uneven", "cyclic_exp_range_adam"])
def test_state_dict_round_trip_continues_the_schedule(case):
    kind, build = CASES[case]
    reference_optimizer = make_optimizer(optim, our_tensor, kind)
    reference = run_schedule(lr_scheduler, reference_optimizer, build, STEPS)

    first_optimizer = make_optimizer(optim, our_tensor, kind)
    first = build(lr_scheduler, first_optimizer)
    for _ in range(12):
        first_optimizer.step()
        first.step()
    saved_scheduler, saved_optimizer = first.state_dict(), first_optimizer.state_dict()

    resumed_optimizer = make_optimizer(optim, our_tensor, kind)
    resumed = build(lr_scheduler, resumed_optimizer)
    resumed.load_state_dict(saved_scheduler)
    resumed_optimizer.load_state_dict(saved_optimizer)
    values = [(resumed.get_last_lr(), group_values(resumed_optimizer))]
    for _ in range(STEPS - 12):
        resumed_optimizer.step()
        resumed.step()
        values.append((resumed.get_last_lr(), group_values(resumed_optimizer)))
    assert_values_equal(values, reference[12:])


def test_scheduler_state_dict_has_torchs_keys():
    torch_optimizer, our_optimizer = both()
    theirs = torch.optim.lr_scheduler.StepLR(torch_optimizer, step_size=3)
    ours = lr_scheduler.StepLR(our_optimizer, step_size=3)
    expected_keys = set(theirs.state_dict()) - {"_get_lr_called_within_step"}
    assert set(ours.state_dict()) == expected_keys
    assert "optimizer" not in ours.state_dict()


def test_initial_lr_is_recorded_and_resume_needs_it():
    _, our_optimizer = both()
    lr_scheduler.ExponentialLR(our_optimizer, gamma=0.5)
    assert [group["initial_lr"] for group in our_optimizer.param_groups] == list(GROUP_LRS)
    _, fresh = both()
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        lr_scheduler.ExponentialLR(fresh, gamma=0.5, last_epoch=3)


def test_resume_with_last_epoch_matches_torch():
    torch_optimizer, our_optimizer = both()
    for optimizer in (torch_optimizer, our_optimizer):
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"] * 2
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(torch_optimizer, T_max=20, last_epoch=5)
    ours = lr_scheduler.CosineAnnealingLR(our_optimizer, T_max=20, last_epoch=5)
    for _ in range(10):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        torch_optimizer.step()
        our_optimizer.step()
        theirs.step()
        ours.step()


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.9, 0.91, 0.92, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8, 0.9,
                   1.0, 1.1, 0.49, 0.495, 0.4999, 0.5, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37]


@pytest.mark.parametrize("kwargs", [
    {},
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.005], "cooldown": 1},
    {"patience": 1, "factor": 0.1, "min_lr": 1e-3, "eps": 1e-4},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 2},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch_optimizer, our_optimizer = both()
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **kwargs)
    ours = lr_scheduler.ReduceLROnPlateau(our_optimizer, **kwargs)
    for metric in PLATEAU_METRICS:
        theirs.step(metric)
        ours.step(tg.tensor(metric))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter, ours.last_epoch) == (
            pytest.approx(theirs.best), theirs.num_bad_epochs, theirs.cooldown_counter, theirs.last_epoch)


def test_reduce_lr_on_plateau_state_dict_round_trip():
    _, optimizer = both()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=1)
    for metric in PLATEAU_METRICS[:10]:
        scheduler.step(metric)
    _, other_optimizer = both()
    restored = lr_scheduler.ReduceLROnPlateau(other_optimizer)
    restored.load_state_dict(scheduler.state_dict())
    assert (restored.mode, restored.best, restored.num_bad_epochs, restored.mode_worse) == (
        "max", scheduler.best, scheduler.num_bad_epochs, -math.inf)


@pytest.mark.parametrize("build, error, message", [
    (lambda m, opt: m.ReduceLROnPlateau(opt, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda m, opt: m.ReduceLROnPlateau(opt, mode="middle"), ValueError, "mode middle is unknown!"),
    (lambda m, opt: m.ReduceLROnPlateau(opt, threshold_mode="ratio"), ValueError, "threshold mode ratio is unknown!"),
    (lambda m, opt: m.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda m, opt: m.StepLR([1.0], step_size=2), TypeError, "list is not an Optimizer"),
    (lambda m, opt: m.LambdaLR(opt, lr_lambda=[lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda m, opt: m.MultiplicativeLR(opt, lr_lambda=0.9), TypeError, "lr_lambda should be a function, but got float"),
    (lambda m, opt: m.LinearLR(opt, start_factor=0), ValueError, "Starting multiplicative factor expected"),
    (lambda m, opt: m.LinearLR(opt, end_factor=1.5), ValueError, "Ending multiplicative factor expected"),
    (lambda m, opt: m.ConstantLR(opt, factor=2.0), ValueError, "Constant multiplicative factor expected"),
    (lambda m, opt: m.OneCycleLR(opt, max_lr=0.1), ValueError, r"You must define either total_steps OR"),
    (lambda m, opt: m.OneCycleLR(opt, max_lr=0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    (lambda m, opt: m.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1.5"),
    (lambda m, opt: m.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda m, opt: m.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10), ValueError,
     "max_lr must have the same length as optimizer.param_groups"),
    (lambda m, opt: m.SequentialLR(opt, [m.StepLR(opt, 2), m.StepLR(opt, 3)], milestones=[]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more"),
    (lambda m, opt: m.SequentialLR(opt, [m.ReduceLROnPlateau(opt)], milestones=[]), ValueError,
     "SequentialLR does not support `ReduceLROnPlateau` scheduler"),
    (lambda m, opt: m.SequentialLR(opt, [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler, but got no scheduler."),
    (lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="cosine"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda m, opt: m.CyclicLR(opt, base_lr=[0.01], max_lr=0.1), ValueError,
     r"base_lr must have the same length as optimizer.param_groups. base_lr has 1 values, param_groups has 2."),
    (lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=(0.1, 0.2, 0.3)), ValueError,
     "max_lr must have the same length as optimizer.param_groups"),
    (lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, base_momentum=[0.8], max_momentum=[0.9]),
     ValueError, "base_momentum must have the same length as optimizer.param_groups"),
    (lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, max_momentum=[0.9]),
     ValueError, "max_momentum must have the same length as optimizer.param_groups"),
    (lambda m, opt: m.CyclicLR(m, base_lr=0.01, max_lr=0.1), TypeError, "module is not an Optimizer"),
])
def test_invalid_arguments_raise_like_torch(build, error, message):
    torch_optimizer, our_optimizer = both()
    with pytest.raises(error, match=message):
        build(torch.optim.lr_scheduler, torch_optimizer)
    with pytest.raises(error, match=message):
        build(lr_scheduler, our_optimizer)


def test_onecycle_needs_momentum_and_refuses_extra_steps():
    our_optimizer = optim.Adagrad([our_tensor([1.0])])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum`"):
        lr_scheduler.OneCycleLR(our_optimizer, max_lr=0.1, total_steps=5)
    _, optimizer = both()
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        scheduler.step()


def test_cyclic_lr_needs_momentum_unless_told_not_to_cycle_it():
    torch_optimizer = torch.optim.Adagrad([torch_tensor([1.0])])
    our_optimizer = optim.Adagrad([our_tensor([1.0])])
    message = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
    with pytest.raises(ValueError, match=message):
        torch.optim.lr_scheduler.CyclicLR(torch_optimizer, base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match=message):
        lr_scheduler.CyclicLR(our_optimizer, base_lr=0.01, max_lr=0.1)
    theirs = torch.optim.lr_scheduler.CyclicLR(torch_optimizer, 0.01, 0.1, step_size_up=3, cycle_momentum=False)
    ours = lr_scheduler.CyclicLR(our_optimizer, 0.01, 0.1, step_size_up=3, cycle_momentum=False)
    for _ in range(10):
        torch_optimizer.step()
        our_optimizer.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
    assert "momentum" not in our_optimizer.param_groups[0]


def test_cyclic_lr_state_dict_has_torchs_keys_and_keeps_a_callable_objects_state():
    class HalfEvery:
        def __init__(self, period):
            self.period = period

        def __call__(self, cycle):
            return 0.5 ** (cycle // self.period)

    torch_optimizer, our_optimizer = both()
    theirs = torch.optim.lr_scheduler.CyclicLR(torch_optimizer, 0.01, 0.1, step_size_up=2, scale_fn=HalfEvery(2))
    ours = lr_scheduler.CyclicLR(our_optimizer, 0.01, 0.1, step_size_up=2, scale_fn=HalfEvery(2))
    their_state, our_state = theirs.state_dict(), ours.state_dict()
    assert set(our_state) == set(their_state) - {"_get_lr_called_within_step"}
    assert our_state["_scale_fn_custom"] == their_state["_scale_fn_custom"] == {"period": 2}
    _, other_optimizer = both()
    restored = lr_scheduler.CyclicLR(other_optimizer, 0.5, 1.0, step_size_up=7, scale_fn=HalfEvery(5))
    restored.load_state_dict(our_state)
    assert restored._scale_fn_custom.period == 2 and restored.total_size == 4.0
    lambda_state = lr_scheduler.CyclicLR(our_optimizer, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()
    assert lambda_state["_scale_fn_custom"] is None and "_scale_fn_ref" not in lambda_state


def test_cyclic_lr_lives_in_lr_scheduler():
    assert optim.lr_scheduler.CyclicLR.__module__ == "tinygrad_edu.optim.lr_scheduler"
