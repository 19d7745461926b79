"""Adadelta, as ``torch.optim.adadelta``."""
from tinygrad_edu.optim.optimizer import (_add_, _addcmul_, _advance, _check_range, _gradient,
                                          _refuse_differentiable, _step_counter, _zeros_state, Optimizer)


class Adadelta(Optimizer):
    r"""Adadelta: steps sized by the ratio of running RMS of past updates to running RMS of gradients.

    v ← ρv + (1−ρ)g², Δ ← √(u + eps)/√(v + eps)·g, u ← ρu + (1−ρ)Δ², θ ← θ − lr·Δ.

    >>> optimizer = Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_range("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_range("epsilon value", eps)
        _check_range("weight_decay value", weight_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _step_counter(), "square_avg": _zeros_state(param), "acc_delta": _zeros_state(param)}

    def _update_group(self, group, params):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for param in params:
            state = self._state_of(param, group)
            _advance(state["step"])
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
            square_avg *= rho
            _addcmul_(square_avg, grad, grad, 1 - rho)
            xp = param.device.xp
            std = xp.sqrt(square_avg + eps)
            delta = xp.sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            acc_delta *= rho
            _addcmul_(acc_delta, delta, delta, 1 - rho)
            _add_(param._data, delta, -lr)
