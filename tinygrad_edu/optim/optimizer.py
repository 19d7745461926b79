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

__all__ = ["Optimizer"]


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
    if isinstance(value, list):
        return [_cast_state(param, name, item) for item in value]
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


def _decayed_gradient(param, group):
    """The gradient for an Adam-family step: with ``decoupled_weight_decay`` (AdamW's) the parameter shrinks
    by ``lr * weight_decay`` first, otherwise the L2 term joins the gradient."""
    if group["decoupled_weight_decay"]:
        if group["weight_decay"] != 0:
            param._data *= 1 - group["lr"] * group["weight_decay"]
        return _gradient(param, group["maximize"], 0)
    return _gradient(param, group["maximize"], group["weight_decay"])


def _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2):
    """Adam's running averages of the gradient and of its square, in place."""
    _lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)


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
