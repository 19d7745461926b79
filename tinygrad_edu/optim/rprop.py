"""Rprop, as ``torch.optim.rprop``."""
from tinygrad_edu.optim.optimizer import _advance, _check_range, _refuse_differentiable, _step_counter, Optimizer
from tinygrad_edu import Tensor


class Rprop(Optimizer):
    r"""Resilient backpropagation: every weight has its own step size, grown by ``etas[1]`` while its
    gradient keeps its sign and shrunk by ``etas[0]`` when the sign flips; only the sign of the gradient
    is used. Step sizes stay within ``step_sizes = (min, max)``; after a sign flip the weight rests one step.

    >>> optimizer = Rprop(model.parameters(), lr=0.01, etas=(0.5, 1.2))
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_range("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _refuse_differentiable(differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        xp = param.device.xp
        return {"step": _step_counter(), "prev": Tensor._wrap(xp.zeros_like(param._data), param.device),
                "step_size": Tensor._wrap(xp.full_like(param._data, group["lr"]), param.device)}

    def _update_group(self, group, params):
        eta_minus, eta_plus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for param in params:
            state = self._state_of(param, group)
            _advance(state["step"])
            xp = param.device.xp
            grad = param.grad._data
            if group["maximize"]:
                grad = -grad
            prev, step_size = state["prev"]._data, state["step_size"]._data
            agreement = grad * prev
            flipped = agreement < 0
            factor = xp.where(agreement > 0, eta_plus, xp.where(flipped, eta_minus, 1)).astype(step_size.dtype)
            step_size *= factor
            xp.clip(step_size, step_size_min, step_size_max, out=step_size)
            grad = xp.where(flipped, 0, grad).astype(grad.dtype, copy=False)
            param._data -= xp.sign(grad) * step_size
            prev[...] = grad
