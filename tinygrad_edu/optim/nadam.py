"""NAdam, as ``torch.optim.nadam``."""
import tinygrad_edu

from tinygrad_edu.optim.optimizer import (_addcdiv_, _advance, _check_betas, _check_range, _decayed_gradient,
                                          _refuse_differentiable, _step_counter, _update_moments, _zeros_state,
                                          Optimizer)


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum, whose factor μₜ = β₁(1 − ½·0.96^(t·momentum_decay)) warms up.

    >>> optimizer = NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_betas(betas)
        _check_range("weight_decay value", weight_decay)
        _check_range("momentum_decay value", momentum_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _step_counter(), "mu_product": tinygrad_edu.tensor(1.0, device="cpu"),
                "exp_avg": _zeros_state(param), "exp_avg_sq": _zeros_state(param)}

    def _update_group(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps, momentum_decay = group["lr"], group["eps"], group["momentum_decay"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            bias_correction2 = 1 - beta2 ** step
            grad = _decayed_gradient(param, group)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            state["mu_product"]._data *= mu
            mu_product = float(state["mu_product"]._data)

            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
            denom = param.device.xp.sqrt(exp_avg_sq / bias_correction2)
            denom += eps
            _addcdiv_(param._data, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
            _addcdiv_(param._data, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
