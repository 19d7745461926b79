"""Adagrad, as ``torch.optim.adagrad``."""
from tinygrad_edu import Tensor
from tinygrad_edu.optim.optimizer import (_addcdiv_, _advance, _check_range, _gradient, _refuse_differentiable,
                                          _step_counter, Optimizer)


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate steps shrinking with the sum of all squared gradients so far.

    s ← s + g², θ ← θ − lr_t·g/(√s + eps) with lr_t = lr / (1 + (t−1)·lr_decay).
    As in PyTorch, the state is created at construction and every sum starts at the
    constructor's ``initial_accumulator_value``.

    >>> optimizer = Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_range("learning rate", lr)
        _check_range("lr_decay value", lr_decay)
        _check_range("weight_decay value", weight_decay)
        _check_range("initial_accumulator_value value", initial_accumulator_value)
        _check_range("epsilon value", eps)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param].update(self._init_state(param, group))

    def _init_state(self, param, group):
        initial = self.defaults["initial_accumulator_value"]
        return {"step": _step_counter(), "sum": Tensor._wrap(param.device.xp.full_like(param._data, initial),
                                                             param.device)}

    def _update_group(self, group, params):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]._data
            state_sum += grad * grad
            std = param.device.xp.sqrt(state_sum)
            std += eps
            _addcdiv_(param._data, grad, std, -clr)
