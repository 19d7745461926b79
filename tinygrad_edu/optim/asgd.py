"""ASGD, as ``torch.optim.asgd``."""
import tinygrad_edu
from tinygrad_edu.optim.optimizer import (_add_, _advance, _check_range, _gradient, _refuse_differentiable,
                                          _step_counter, _zeros_state, Optimizer)


class ASGD(Optimizer):
    r"""Averaged SGD: SGD with a decaying step ηₜ = lr/(1 + λ·lr·t)^α and a running average ``ax`` of the
    parameters, which starts averaging (μₜ = 1/max(1, t − t0)) after ``t0`` steps.

    θ ← θ(1 − λη) − ηg; ax ← ax + μ(θ − ax). The average is in ``optimizer.state[param]["ax"]``.

    >>> optimizer = ASGD(model.parameters(), lr=0.01, t0=100)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_range("learning rate", lr)
        _check_range("weight_decay value", weight_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        scalar_dtype = tinygrad_edu.get_default_dtype()
        return {"step": _step_counter(),
                "eta": tinygrad_edu.tensor(group["lr"], dtype=scalar_dtype, device=param.device),
                "mu": tinygrad_edu.tensor(1.0, dtype=scalar_dtype, device=param.device),
                "ax": _zeros_state(param)}

    def _update_group(self, group, params):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            eta, mu = state["eta"]._data, state["mu"]._data
            eta_value = eta.item()
            param._data *= 1 - lambd * eta_value
            _add_(param._data, grad, -eta_value)
            ax = state["ax"]._data
            if mu.item() != 1:
                ax += (param._data - ax) * mu.item()
            else:
                ax[...] = param._data
            eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
            mu[...] = 1 / max(1, step - t0)
