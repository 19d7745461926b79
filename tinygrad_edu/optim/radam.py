"""RAdam, as ``torch.optim.radam``."""
from tinygrad_edu.optim.optimizer import (_advance, _check_betas, _check_range, _decayed_gradient,
                                          _refuse_differentiable, _step_counter, _update_moments, _zeros_state,
                                          Optimizer)


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on (and rectified) once the variance estimate is reliable.

    ρ∞ = 2/(1−β₂) − 1, ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ); while ρₜ ≤ 5 the step is plain momentum
    θ ← θ − lr·m̂, afterwards θ ← θ − lr·m̂·rₜ·√(1−β₂ᵗ)/(√v + eps) with the rectification
    rₜ = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)). ``decoupled_weight_decay`` shrinks θ as AdamW does.

    >>> optimizer = RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_betas(betas)
        _check_range("weight_decay value", weight_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _step_counter(), "exp_avg": _zeros_state(param), "exp_avg_sq": _zeros_state(param)}

    def _update_group(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            grad = _decayed_gradient(param, group)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)

            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            update = exp_avg / bias_correction1
            update *= lr
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rectification = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive_lr = param.device.xp.sqrt(exp_avg_sq)
                adaptive_lr += eps
                adaptive_lr = bias_correction2 ** 0.5 / adaptive_lr
                update *= adaptive_lr
                update *= rectification
            param._data -= update
