"""RMSprop, as ``torch.optim.rmsprop``."""
from tinygrad_edu.optim.optimizer import (_add_, _addcdiv_, _addcmul_, _advance, _check_range, _gradient, _lerp_,
                                          _refuse_differentiable, _step_counter, _zeros_state, Optimizer)


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square of its recent values.

    v ← αv + (1−α)g²; with ``centered``, ḡ ← αḡ + (1−α)g and v − ḡ² replaces v;
    θ ← θ − lr·g/(√v + eps), or through a momentum buffer b ← μb + g/(√v + eps), θ ← θ − lr·b.

    >>> optimizer = RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_range("learning rate", lr)
        _check_range("epsilon value", eps)
        _check_range("momentum value", momentum)
        _check_range("weight_decay value", weight_decay)
        _check_range("alpha value", alpha)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = {"step": _step_counter(), "square_avg": _zeros_state(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_state(param)
        if group["centered"]:
            state["grad_avg"] = _zeros_state(param)
        return state

    def _update_group(self, group, params):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for param in params:
            state = self._state_of(param, group)
            _advance(state["step"])
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            square_avg = state["square_avg"]._data
            square_avg *= alpha
            _addcmul_(square_avg, grad, grad, 1 - alpha)
            xp = param.device.xp
            if group["centered"]:
                grad_avg = state["grad_avg"]._data
                _lerp_(grad_avg, grad, 1 - alpha)
                avg = xp.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = xp.sqrt(square_avg)
            avg += eps
            if momentum > 0:
                buffer = state["momentum_buffer"]._data
                buffer *= momentum
                buffer += grad / avg
                _add_(param._data, buffer, -lr)
            else:
                _addcdiv_(param._data, grad, avg, -lr)
