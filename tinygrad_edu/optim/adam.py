"""Adam, as ``torch.optim.adam``."""
from tinygrad_edu.optim.optimizer import (_addcdiv_, _advance, _check_betas, _check_range, _decayed_gradient,
                                          _refuse_differentiable, _step_counter, _update_moments, _zeros_state,
                                          Optimizer)


class Adam(Optimizer):
    r"""Adam: steps scaled by running averages of the gradient and of its square.

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + eps), with the bias
    corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) (v replaced by its running max with ``amsgrad``).
    ``weight_decay`` adds weight_decay·θ to g, or with ``decoupled_weight_decay`` (AdamW)
    shrinks θ by lr·weight_decay·θ first.

    >>> optimizer = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_betas(betas)
        _check_range("weight_decay value", weight_decay)
        if not all(isinstance(beta, float) for beta in betas):
            raise ValueError("betas must be either both floats or both Tensors")
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = {"step": _step_counter(), "exp_avg": _zeros_state(param), "exp_avg_sq": _zeros_state(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_state(param)
        return state

    def _update_group(self, group, params):
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            grad = _decayed_gradient(param, group)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)

            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            xp = param.device.xp
            if group["amsgrad"]:
                max_exp_avg_sq = state["max_exp_avg_sq"]._data
                xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                denom = xp.sqrt(max_exp_avg_sq)
            else:
                denom = xp.sqrt(exp_avg_sq)
            denom /= bias_correction2_sqrt
            denom += eps
            _addcdiv_(param._data, exp_avg, denom, -step_size)
