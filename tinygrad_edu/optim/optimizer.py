"""Optimizers, as ``torch.optim``: they move parameters against their gradients.

>>> optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> for x, y in loader:
...     optimizer.zero_grad()
...     loss_fn(model(x), y).backward()
...     optimizer.step()

Each optimizer follows the update rule of its PyTorch namesake step for step, and
keeps the same per-parameter state under the same names (``momentum_buffer``,
``exp_avg``, ``exp_avg_sq``, ``step``...), so ``state_dict()`` has PyTorch's layout.

The updates work directly on the arrays behind the tensors (``param._data``, NumPy
or CuPy), in place, with as few temporary arrays as the formula allows: the step is
the inner loop of every training run. They never touch the autograd graph.
"""
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

import tinygrad_edu
from tinygrad_edu import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"]


class _RequiredParameter:
    """Marks a default that every parameter group must supply itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(value):
    kind = type(value)
    if isinstance(value, Tensor):
        return "tinygrad_edu.Tensor"
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class Optimizer:
    """Base class of the optimizers: parameter groups, per-parameter state, state_dict.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) holding
    ``"params"`` and any options that override ``defaults`` for that group:

    >>> SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": 1e-3}], lr=1e-2)

    A subclass gives its ``defaults`` and implements ``_update_group(group, params)``,
    which updates the group's parameters that have a gradient (or overrides ``step``).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"`` and optional options) to optimize,
        e.g. layers unfrozen during fine-tuning."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        self._split_names(param_group, list(params))
        for param in param_group["params"]:
            self._check_param(param)
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        self._check_no_overlap(param_group)
        self.param_groups.append(param_group)

    @staticmethod
    def _split_names(param_group, params):
        """Accept ``named_parameters()``: (name, tensor) pairs become ``params`` and ``param_names``."""
        names = [param[0] for param in params if isinstance(param, tuple)]
        param_group["params"] = [param[1] if isinstance(param, tuple) else param for param in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

    def _check_param(self, param):
        if not isinstance(param, Tensor):
            raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
        if not (param.is_leaf or getattr(param, "retains_grad", False)):
            raise ValueError("can't optimize a non-leaf Tensor")

    def _check_no_overlap(self, param_group):
        params = param_group["params"]
        if len(params) != len({id(param) for param in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(id(param) for param in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        if any(id(param) in existing for param in params):
            raise ValueError("some parameters appear in more than one parameter group")

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if param.grad.grad_fn is not None:
                        param.grad = param.grad.detach()
                    param.grad.requires_grad_(False)
                    param.grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss when given one.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad enabled):

        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> optimizer.step(closure)
        """
        loss = None
        if closure is not None:
            with tinygrad_edu.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [param for param in group["params"] if param.grad is not None]
            if params:
                self._state_follows_params(params)
                self._update_group(group, params)
                for param in params:
                    param._version_counter[0] += 1
        return loss

    def _state_follows_params(self, params):
        """Move each parameter's state to the parameter's device (after ``model.to("cuda")``, say)."""
        for param in params:
            state = self.state.get(param)
            if state:
                for name, value in state.items():
                    if isinstance(value, Tensor) and value._device is not param._device and name not in HOST_STATE:
                        state[name] = value.to(param._device)

    def _update_group(self, group, params):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def _init_state(self, param, group):
        """The state a parameter starts with (its first step creates it)."""
        return {}

    def _state_of(self, param, group):
        state = self.state[param]
        if not state:
            state.update(self._init_state(param, group))
        return state

    def state_dict(self):
        """The optimizer's state and options, with parameters replaced by their index.

        ``{"state": {0: {"momentum_buffer": tensor}, ...}, "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}]}``
        as PyTorch lays it out; the state tensors are the live ones, not copies.
        """
        index_of = {}
        for param in chain.from_iterable(group["params"] for group in self.param_groups):
            index_of.setdefault(id(param), len(index_of))
        param_groups = [
            {**{key: value for key, value in group.items() if key != "params"},
             "params": [index_of[id(param)] for param in group["params"]]}
            for group in self.param_groups
        ]
        state = {index_of[id(param)] if isinstance(param, Tensor) else param: value
                 for param, value in self.state.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned; the parameter groups must have the same sizes.

        State tensors are copied, cast to their parameter's dtype (all but ``step``).
        """
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(group["params"]) != len(saved["params"]) for group, saved in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        param_of = dict(zip(chain.from_iterable(saved["params"] for saved in saved_groups),
                            chain.from_iterable(group["params"] for group in self.param_groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                param = param_of[key]
                state[param] = {name: _cast_state(param, name, item) for name, item in value.items()}
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


def _cast_state(param, name, value):
    """A copy of one saved state entry, on the parameter's device and dtype (counters stay on the CPU)."""
    if not isinstance(value, Tensor):
        return deepcopy(value)
    if name not in HOST_STATE:
        value = value.to(param.device)
    if name != "step" and param.dtype.is_floating_point:
        value = value.to(param.dtype)
    return value.detach().clone()


# --- array helpers: in-place updates of PyTorch's fused ops, on raw NumPy/CuPy arrays ---

HOST_STATE = {"step", "mu_product"}  # scalar counters that stay on the CPU (as PyTorch keeps ``step``)


def _step_counter():
    """A fresh ``state["step"]``: a 0-d float tensor, as PyTorch keeps it."""
    return tinygrad_edu.tensor(0.0, device="cpu")


def _advance(step_tensor):
    """Add one to a step counter and return the new count as a Python float."""
    step = step_tensor._data.item() + 1
    step_tensor._data[()] = step
    return step


def _zeros_state(param):
    """A state tensor of zeros shaped like ``param``, on its device and dtype."""
    return Tensor._wrap(param.device.xp.zeros_like(param._data), param.device)


def _gradient(param, maximize, weight_decay):
    """The gradient the update follows: negated to maximize, plus the L2 term ``weight_decay * param``.

    Returns ``param.grad``'s own array when neither applies; never modifies it.
    """
    grad = param.grad._data
    if maximize:
        grad = -grad
    if weight_decay != 0:
        decayed = param._data * weight_decay
        decayed += grad
        return decayed
    return grad


def _add_(target, tensor, alpha):
    """target += alpha * tensor."""
    if alpha == 1:
        target += tensor
    else:
        target += tensor * alpha


def _lerp_(start, end, weight):
    """start += weight * (end - start), rounded as PyTorch's lerp_ is."""
    difference = end - start
    if weight < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1 - weight
        start[...] = end - difference


def _addcmul_(target, tensor1, tensor2, value):
    """target += value * tensor1 * tensor2."""
    product = tensor1 * value
    product *= tensor2
    target += product


def _addcdiv_(target, numerator, denominator, value):
    """target += value * numerator / denominator."""
    quotient = numerator / denominator
    quotient *= value
    target += quotient


def _check_range(name, value):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name}: {value}")


def _check_betas(betas):
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def _refuse_differentiable(differentiable):
    """``foreach``, ``fused`` and ``capturable`` choose among PyTorch's kernels and are accepted (and
    stored, as PyTorch does) without effect: there is one implementation here. ``differentiable``
    would change what a step means, so it is refused."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: tinygrad_edu's optimizers update "
                                  "parameters outside the autograd graph")


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
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            if decoupled and weight_decay != 0:
                param._data *= 1 - lr * weight_decay
            grad = _gradient(param, group["maximize"], 0 if decoupled else weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)

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


class AdamW(Adam):
    r"""Adam with decoupled weight decay: θ ← θ − lr·weight_decay·θ before each Adam step.

    >>> optimizer = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


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
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        for param in params:
            state = self._state_of(param, group)
            step = _advance(state["step"])
            bias_correction2 = 1 - beta2 ** step
            if decoupled and weight_decay != 0:
                param._data *= 1 - lr * weight_decay
            grad = _gradient(param, group["maximize"], 0 if decoupled else weight_decay)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            state["mu_product"]._data *= mu
            mu_product = float(state["mu_product"]._data)

            exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
            denom = param.device.xp.sqrt(exp_avg_sq / bias_correction2)
            denom += eps
            _addcdiv_(param._data, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
            _addcdiv_(param._data, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
