"""SGD, as ``torch.optim.sgd``."""
from tinygrad_edu import Tensor
from tinygrad_edu.optim.optimizer import _add_, _check_range, _gradient, _refuse_differentiable, Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    g ← ∇f(θ) (+ weight_decay·θ); with momentum μ: b ← μ·b + (1 − dampening)·g (b₁ = g),
    g ← g + μ·b if nesterov else b; θ ← θ − lr·g.

    >>> optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_range("learning rate", lr)
        _check_range("momentum value", momentum)
        _check_range("weight_decay value", weight_decay)
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group, params):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        for param in params:
            grad = _gradient(param, group["maximize"], group["weight_decay"])
            if momentum != 0:
                grad = self._apply_momentum(param, grad, momentum, dampening, group["nesterov"])
            _add_(param._data, grad, -lr)

    def _apply_momentum(self, param, grad, momentum, dampening, nesterov):
        state = self.state[param]
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = Tensor._wrap(grad.copy(), param.device)
        else:
            buffer._data *= momentum
            _add_(buffer._data, grad, 1 - dampening)
        if nesterov:
            return grad + momentum * buffer._data
        return buffer._data
