"""Adamax, as ``torch.optim.adamax``."""
from tinygrad_edu.optim.optimizer import (_addcdiv_, _advance, _check_betas, _check_range, _gradient, _lerp_,
                                          _refuse_differentiable, _step_counter, _zeros_state, Optimizer)


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm, u ← max(β₂u, |g| + eps), θ ← θ − lr/(1−β₁ᵗ)·m/u.

    >>> optimizer = Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_betas(betas)
        _check_range("weight_decay value", weight_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _step_counter(), "exp_avg": _zeros_state(param), "exp_inf": _zeros_state(param)}

    def _update_group(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
            _lerp_(exp_avg, grad, 1 - beta1)
            xp = param.device.xp
            exp_inf *= beta2
            norm = xp.abs(grad)
            norm += eps
            xp.maximum(exp_inf, norm, out=exp_inf)
            clr = lr / (1 - beta1 ** step)
            _addcdiv_(param._data, exp_avg, exp_inf, -clr)
