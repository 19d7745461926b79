"""Module: the base class of every layer and model, as ``torch.nn.Module``.

Assigning a Parameter, a Module or a registered buffer to an attribute records it,
so ``parameters()``, ``state_dict()``, ``to()`` and ``repr()`` find everything a
model is made of without the model listing it by hand.
"""
import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.autograd import Function
from tinygrad_edu.device import Device
from tinygrad_edu.dtypes import DType
from tinygrad_edu.graph import module_scope
from tinygrad_edu.nn.parameter import Parameter



def _typename(value):
    """The type name torch's messages use: ``int``, ``tinygrad_edu.FloatTensor``..."""
    if isinstance(value, Tensor):
        return value.type()
    klass = type(value)
    if klass.__module__ in ("builtins", "__builtin__"):
        return klass.__qualname__
    return f"{klass.__module__}.{klass.__qualname__}"


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first, rest = lines[0], lines[1:]
    return "\n".join([first] + [(" " * spaces + line) if line.strip() else "" for line in rest])


class Module:
    """Base class for all neural-network modules; subclass it and define ``forward``.

    >>> class TwoLayers(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> [name for name, _ in TwoLayers().named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        set_attribute = super().__setattr__
        set_attribute("training", True)
        set_attribute("_parameters", OrderedDict())
        set_attribute("_buffers", OrderedDict())
        set_attribute("_non_persistent_buffers_set", set())
        set_attribute("_modules", OrderedDict())
        set_attribute("_forward_pre_hooks", OrderedDict())
        set_attribute("_forward_hooks", OrderedDict())
        set_attribute("_backward_pre_hooks", OrderedDict())
        set_attribute("_backward_hooks", OrderedDict())
        set_attribute("_hooks_with_kwargs", set())

    # ---- forward -------------------------------------------------------------
    def forward(self, *inputs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        with module_scope(self):
            return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        """Run the forward pre-hooks, ``forward`` and the forward hooks (``draw_graph``'s scope is set)."""
        if self._forward_pre_hooks:
            args, kwargs = self._run_forward_pre_hooks(args, kwargs)
        backward_hooks = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_hooks = _BackwardHooks(self)
            args = backward_hooks.tap_inputs(args)
        result = self.forward(*args, **kwargs)
        if self._forward_hooks:
            result = self._run_forward_hooks(args, kwargs, result)
        if backward_hooks is not None:
            result = backward_hooks.tap_outputs(result)
        return result

    def _run_forward_pre_hooks(self, args, kwargs):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return args, kwargs

    def _run_forward_hooks(self, args, kwargs, result):
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._hooks_with_kwargs:
                hook_result = hook(self, args, kwargs, result)
            else:
                hook_result = hook(self, args, result)
            if hook_result is not None:
                result = hook_result
        return result

    # ---- attribute registration ----------------------------------------------
    def __setattr__(self, name, value):
        parameters = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if parameters is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(tinygrad_edu.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if self.__dict__.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, self.__dict__, self._parameters, self._buffers)
            self._modules[name] = value
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(tinygrad_edu.nn.Module or None expected)")
            self._modules[name] = value
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(tinygrad_edu.Tensor or None expected)")
            self._buffers[name] = value
        else:
            super().__setattr__(name, value)

    def _forget(self, name, *registries):
        for registry in registries:
            registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            members = self.__dict__.get(registry)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())

    def _check_member_name(self, kind, name, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None) under ``name``, as ``self.name = param`` does.

        >>> layer.register_parameter("scale", nn.Parameter(tinygrad_edu.ones(3)))
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_member_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(tinygrad_edu.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's ``running_mean``).

        Buffers move with ``to()`` and, when ``persistent``, appear in ``state_dict()``.

        >>> self.register_buffer("running_mean", tinygrad_edu.zeros(num_features))
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_member_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(tinygrad_edu Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name``, as ``self.name = module`` does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for ``add_module``."""
        self.add_module(name, module)

    # ---- walking the tree ----------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for this module and every module inside it.

        >>> [name for name, _ in model.named_modules()]
        ['', 'features', 'features.0', 'classifier']
        """
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                child_prefix = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self):
        """Yield this module and every module inside it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct child modules, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, members_of, prefix, recurse, remove_duplicate):
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, member in members_of(module):
                if member is None or id(member) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(member))
                yield module_prefix + ("." if module_prefix else "") + name, member

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, parameter)``; a parameter shared by two layers comes once.

        >>> [name for name, _ in nn.Linear(2, 3).named_parameters()]
        ['weight', 'bias']
        """
        return self._named_members(lambda module: module._parameters.items(),
                                   prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every parameter (what an optimizer needs): ``SGD(model.parameters(), lr=0.1)``."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, buffer)`` for every registered buffer."""
        return self._named_members(lambda module: module._buffers.items(),
                                   prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every registered buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target):
        """The module at dotted path ``target``: ``model.get_submodule("features.0")``."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target):
        """The parameter at dotted path ``target``: ``model.get_parameter("fc1.weight")``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        parameter = getattr(module, name)
        if not isinstance(parameter, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return parameter

    def get_buffer(self, target):
        """The buffer at dotted path ``target``: ``model.get_buffer("bn.running_mean")``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    # ---- modes and gradients -------------------------------------------------
    def train(self, mode=True):
        """Put this module and all inside it in training mode (``mode=False``: evaluation)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Put the module in evaluation mode (Dropout off, BatchNorm uses running stats)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch ``requires_grad`` on every parameter, e.g. to freeze a pretrained backbone."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter (set them to None, or to zeros)."""
        for parameter in self.parameters():
            if parameter.grad is None:
                continue
            if set_to_none:
                parameter.grad = None
            else:
                parameter.grad = parameter.grad.detach()
                parameter.grad.zero_()

    # ---- repr ----------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside the parentheses of ``repr(module)``; layers override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    # ---- moving and casting --------------------------------------------------
    def _apply(self, convert):
        """Convert every parameter (in place: the Parameter objects stay) and buffer with ``convert``."""
        for module in self.children():
            module._apply(convert)
        with tinygrad_edu.no_grad():
            for parameter in self._parameters.values():
                if parameter is None:
                    continue
                parameter.data = convert(parameter)
                if parameter.grad is not None:
                    parameter.grad = convert(parameter.grad)
            for name, buffer in self._buffers.items():
                if buffer is not None:
                    self._buffers[name] = convert(buffer)
        return self

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on this module.

        >>> def init_weights(module):
        ...     if isinstance(module, nn.Linear):
        ...         nn.init.zeros_(module.bias)
        >>> model.apply(init_weights)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast parameters and buffers in place; returns the module.

        Accepts a device (``"cuda"``), a floating dtype (``tinygrad_edu.float64``), both,
        or a tensor whose device and dtype to copy. Integer buffers keep their dtype.

        >>> model.to("cuda")
        >>> model.to(tinygrad_edu.float64)
        """
        device, dtype = _parse_to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                            f"but got desired dtype={dtype}")

        def convert(tensor):
            if dtype is not None and tensor.dtype.is_floating_point:
                tensor = tensor.to(dtype)
            return tensor if device is None else tensor.to(device)
        return self._apply(convert)

    def cpu(self):
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Move every parameter and buffer to a CUDA GPU (``device``: an index or a device)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def _cast_floating(self, dtype):
        return self._apply(lambda tensor: tensor.to(dtype) if tensor.dtype.is_floating_point else tensor)

    def float(self):
        """Cast floating-point parameters and buffers to float32."""
        return self._cast_floating(tinygrad_edu.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64."""
        return self._cast_floating(tinygrad_edu.float64)

    def half(self):
        """Cast floating-point parameters and buffers to float16."""
        return self._cast_floating(tinygrad_edu.float16)

    def share_memory(self):
        """Put every parameter and buffer in memory shared with processes forked later
        (``Tensor.share_memory_``): the Hogwild recipe of ``tinygrad_edu.multiprocessing``."""
        return self._apply(lambda tensor: tensor.share_memory_())

    # ---- saving and loading --------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer, keyed by dotted name.

        Per module: its parameters, then its buffers, then each child's entries. Values
        are detached tensors sharing storage with the model (``keep_vars=True``: the
        Parameters themselves).

        >>> list(nn.Linear(2, 3).state_dict())
        ['weight', 'bias']
        """
        if destination is None:
            destination = OrderedDict()
        for name, parameter in self._parameters.items():
            if parameter is not None:
                destination[prefix + name] = parameter if keep_vars else parameter.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` (as ``state_dict()`` returns it).

        Everything is checked first; on any error nothing is changed and a RuntimeError
        lists every problem, in torch's words. With ``strict=False`` missing and
        unexpected keys are allowed and returned; with ``assign=True`` the checkpoint's
        tensors replace the module's instead of being copied into them.

        >>> model.load_state_dict(checkpoint)
        <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        loads, missing, unexpected, errors = [], [], [], []
        self._plan_load(OrderedDict(state_dict), "", loads, missing, unexpected, errors)
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{key}"' for key in unexpected)))
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{key}"' for key in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(errors)))
        with tinygrad_edu.no_grad():
            for module, name, current, incoming in loads:
                module._load_one(name, current, incoming, assign)
        return _IncompatibleKeys(missing, unexpected)

    def _plan_load(self, state_dict, prefix, loads, missing, unexpected, errors):
        """Match this module's entries with ``state_dict``; record loads and problems, change nothing."""
        persistent_buffers = ((name, buffer) for name, buffer in self._buffers.items()
                              if name not in self._non_persistent_buffers_set)
        local_state = {name: value for name, value in itertools.chain(self._parameters.items(),
                                                                      persistent_buffers)
                       if value is not None}
        for name, current in local_state.items():
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            incoming = state_dict[key]
            if not isinstance(incoming, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected tinygrad_edu.Tensor '
                              f"or Tensor-like object from checkpoint but received {type(incoming)}")
            elif tuple(incoming.shape) != tuple(current.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {incoming.shape} "
                              f"from checkpoint, the shape in current model is {current.shape}.")
            else:
                loads.append((self, name, current, incoming))
        for key in state_dict:
            if key.startswith(prefix):
                first, *rest = key[len(prefix):].split(".", 1)
                if (rest and first not in self._modules) or (not rest and first not in local_state):
                    unexpected.append(key)
        for name, child in self._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                child_state = {key: value for key, value in state_dict.items()
                               if key.startswith(child_prefix)}
                child._plan_load(child_state, child_prefix, loads, missing, unexpected, errors)

    def _load_one(self, name, current, incoming, assign):
        if not assign:
            current.copy_(incoming)
        elif isinstance(current, Parameter):
            if isinstance(incoming, Parameter):
                setattr(self, name, incoming.requires_grad_(current.requires_grad))
            else:
                setattr(self, name, Parameter(incoming, requires_grad=current.requires_grad))
        else:
            setattr(self, name, incoming)

    # ---- hooks ---------------------------------------------------------------
    def _add_hook(self, hooks, hook, prepend=False, with_kwargs=False):
        handle = RemovableHandle(hooks, self._hooks_with_kwargs)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each ``forward``; a non-None result replaces ``args``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and may return
        ``(new_args, new_kwargs)``. Returns a handle: ``handle.remove()`` unregisters it.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args, output)`` after each ``forward``; a non-None result replaces ``output``.

        >>> shapes = []
        >>> handle = model.fc1.register_forward_hook(lambda m, args, out: shapes.append(out.shape))
        >>> model(x); handle.remove()
        """
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients of the outputs are known.

        A non-None result (a tuple, one entry per output) replaces ``grad_output``.
        """
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients of the inputs are known.

        ``grad_input`` has one entry per positional input (None where it is not a tensor
        that requires grad); ``grad_output`` one per output. A non-None result replaces
        ``grad_input``.

        >>> def clip(module, grad_input, grad_output):
        ...     return tuple(None if g is None else g.clamp(-1, 1) for g in grad_input)
        >>> handle = layer.register_full_backward_hook(clip)
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    # ---- summary -------------------------------------------------------------
    def summary(self, input_size, batch_size=-1, dtypes=None, print_fn=None):
        """Print a Keras-style table: one row per layer, its output shape and parameters; return None.

        ``input_size`` is one input's shape without the batch dimension (or a list of
        such shapes for several inputs); a forward pass on zeros finds the shapes.
        ``print_fn`` gets each line instead of ``print``. See ``tinygrad_edu.nn.summary.summary``
        for the full description.

        >>> model.summary((1, 28, 28))
        """
        from tinygrad_edu.nn.summary import summary
        summary(self, input_size, batch_size=batch_size, dtypes=dtypes, print_fn=print_fn)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find, and those it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook (also a context manager)."""

    _next_id = itertools.count()

    def __init__(self, hooks, *extra_registries):
        self.id = next(RemovableHandle._next_id)
        self._registries = (hooks,) + extra_registries

    def remove(self):
        for registry in self._registries:
            if isinstance(registry, dict):
                registry.pop(self.id, None)
            else:
                registry.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _parse_to_arguments(args, kwargs):
    """Read ``to()``'s arguments (device, dtype, tensor, in any of torch's forms) as (device, dtype)."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, DType):
            dtype = arg
        elif isinstance(arg, (str, Device)):
            device = arg
        elif not isinstance(arg, bool):
            raise TypeError(f"to() received an invalid combination of arguments: {arg!r}")
    return (None if device is None else Device(device)), dtype


class _BackwardHooks:
    """The full backward hooks of one module call.

    The inputs and the outputs each pass through one identity node (``_tap``), whose
    backward sees all their gradients at once: the output node records ``grad_output``
    (running the backward pre-hooks), the input node calls the hooks with both.
    """

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = 0
        self.input_positions = self.output_positions = None

    def tap_inputs(self, args):
        self.n_inputs = len(args)
        args, self.input_positions = _tap(args, self._on_input_gradients)
        return args

    def tap_outputs(self, result):
        outputs = result if isinstance(result, tuple) else (result,)
        self.n_outputs = len(outputs)
        outputs, self.output_positions = _tap(outputs, self._on_output_gradients)
        return outputs if isinstance(result, tuple) else outputs[0]

    def _on_output_gradients(self, gradients):
        grad_outputs = _place(self.output_positions, gradients, self.n_outputs)
        for hook in list(self.module._backward_pre_hooks.values()):
            replaced = hook(self.module, grad_outputs)
            if replaced is not None:
                if len(replaced) != len(grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(replaced)}, but expected {len(grad_outputs)}")
                grad_outputs = tuple(replaced)
        self.grad_outputs = grad_outputs
        if self.input_positions is None:
            self._call_hooks_without_input_gradients()
        return tuple(grad_outputs[position] for position in self.output_positions)

    def _call_hooks_without_input_gradients(self):
        grad_inputs = (None,) * self.n_inputs
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None and not all(gradient is None for gradient in result):
                raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                   "should always return None or None for all gradients.")

    def _on_input_gradients(self, gradients):
        if self.grad_outputs is None:
            return None
        grad_inputs = _place(self.input_positions, gradients, self.n_inputs)
        for hook in list(self.module._backward_hooks.values()):
            replaced = hook(self.module, grad_inputs, self.grad_outputs)
            if replaced is not None:
                if len(replaced) != len(grad_inputs):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(replaced)}, but expected {len(grad_inputs)}")
                grad_inputs = tuple(replaced)
        self.grad_outputs = None
        return tuple(grad_inputs[position] for position in self.input_positions)


def _place(positions, values, size):
    placed = [None] * size
    for position, value in zip(positions, values):
        placed[position] = value
    return tuple(placed)


def _tap(values, on_gradients):
    """Route the tensors among ``values`` that require grad through one identity node.

    Returns the new values and the positions of the tapped tensors (None when none was
    tapped). In backward, ``on_gradients(gradients)`` gets one gradient per tapped
    tensor and may return replacements. The tensors are flattened into one vector so
    that a single node sees every gradient together.
    """
    positions = [position for position, value in enumerate(values)
                 if isinstance(value, Tensor) and value.requires_grad]
    if not positions or not tinygrad_edu.is_grad_enabled():
        return values, None
    tensors = [values[position] for position in positions]
    flat_dtype = max((tensor.dtype for tensor in tensors), key=lambda dtype: dtype.itemsize)
    bounds = list(itertools.accumulate([tensor.numel() for tensor in tensors], initial=0))

    def split(flat):
        return [flat[start:end].reshape(tensor.shape).to(tensor.dtype)
                for tensor, start, end in zip(tensors, bounds, bounds[1:])]

    def on_flat_gradient(flat_gradient):
        replaced = on_gradients(tuple(split(flat_gradient)))
        if replaced is None:
            return flat_gradient
        pieces = [tinygrad_edu.zeros_like(tensor) if gradient is None else gradient
                  for tensor, gradient in zip(tensors, replaced)]
        return tinygrad_edu.cat([piece.reshape(-1).to(flat_dtype) for piece in pieces])

    flat = tinygrad_edu.cat([tensor.reshape(-1).to(flat_dtype) for tensor in tensors])
    tapped = split(_GradientTap.apply(flat, on_gradient=on_flat_gradient))
    new_values = list(values)
    for position, tensor in zip(positions, tapped):
        new_values[position] = tensor
    return tuple(new_values), positions


class _GradientTap(Function):
    """Identity in forward; in backward hands the gradient to a callback, which may replace it."""

    def forward(self, array, on_gradient):
        self.on_gradient = on_gradient
        return array.copy()

    def backward(self, grad_output):
        return self.on_gradient(grad_output)
