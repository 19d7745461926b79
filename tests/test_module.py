"""nn.Module: registration, traversal, state_dict, hooks, repr, moving and casting — against torch.

Every model is built twice from one recipe (``build_*(nn, lib)``), once with torch and once
with tinygrad_edu, and the weights are copied across, so names, orders, texts, values and
gradients can be compared one to one.
"""
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

FRAMEWORKS = ((torch, torch.nn), (tg, tg.nn))


def ours_like(text):
    """torch's text with torch's names replaced by ours (``torch.Size`` -> ``tinygrad_edu.Size``)."""
    return text.replace("torch.", "tinygrad_edu.")


def copy_weights(source, target):
    """Load ``source``'s (torch) state into ``target`` (ours), as float arrays."""
    state = {key: tg.tensor(value.detach().numpy().copy()) for key, value in source.state_dict().items()}
    target.load_state_dict(state)


def arrays(tensors):
    return [np.array(t.detach().numpy()) for t in tensors]


# ---------------------------------------------------------------- model recipes
def build_affine(nn, lib):
    class Affine(nn.Module):
        def __init__(self, n_in, n_out, bias=True):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(lib.randn(n_out, n_in, dtype=lib.float64))
            self.bias = nn.Parameter(lib.randn(n_out, dtype=lib.float64)) if bias else None
            self.register_buffer("calls", lib.zeros((), dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            y = x @ self.weight.T
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"n_in={self.n_in}, n_out={self.n_out}, bias={self.bias is not None}"

    return Affine


def build_net(nn, lib):
    """A nested model: Sequential (OrderedDict form), ModuleList, ModuleDict, a shared
    Parameter, a shared module, a None parameter, a direct parameter and a multi-line extra_repr."""
    Affine = build_affine(nn, lib)

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(lib.ones(3, dtype=lib.float64))
            self.register_parameter("offset", None)

        def forward(self, x):
            return x * self.gain

        def extra_repr(self):
            return "first line\nsecond line"

    class Empty(nn.Module):
        def forward(self, x):
            return x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.temperature = nn.Parameter(lib.ones((), dtype=lib.float64))
            self.stem = nn.Sequential(OrderedDict([("fc", Affine(4, 3)), ("scale", Scale()),
                                                   ("noop", Empty())]))
            self.blocks = nn.ModuleList([Affine(3, 3) for _ in range(3)] + [Affine(3, 3, bias=False)])
            self.heads = nn.ModuleDict({"main": Affine(3, 2), "aux": Affine(3, 1)})
            self.heads["aux"].weight = self.blocks[0].weight        # a shared parameter
            self.again = self.blocks[1]                               # a shared module
            self.register_buffer("step", lib.zeros((), dtype=lib.int64))

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.heads["main"](x) * self.temperature, self.heads["aux"](x)

    return Net


def make_pair(recipe):
    torch.manual_seed(0)
    theirs = recipe(torch.nn, torch)()
    ours = recipe(tg.nn, tg)()
    copy_weights(theirs, ours)
    return ours, theirs


def names(pairs):
    return [name for name, _ in pairs]


# ---------------------------------------------------------------- registration and traversal
@pytest.mark.parametrize("method, kwargs", [
    ("named_parameters", {}),
    ("named_parameters", {"remove_duplicate": False}),
    ("named_parameters", {"prefix": "model", "recurse": True}),
    ("named_parameters", {"recurse": False}),
    ("named_buffers", {}),
    ("named_buffers", {"recurse": False}),
    ("named_modules", {}),
    ("named_modules", {"prefix": "root", "remove_duplicate": False}),
    ("named_children", {}),
])
def test_named_members_match_torch(method, kwargs):
    ours, theirs = make_pair(build_net)
    assert names(getattr(ours, method)(**kwargs)) == names(getattr(theirs, method)(**kwargs))


def test_state_dict_keys_order_and_values_match_torch():
    ours, theirs = make_pair(build_net)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert isinstance(ours_state, OrderedDict)
    assert list(ours_state) == list(theirs_state)
    for key in theirs_state:
        np.testing.assert_array_equal(ours_state[key].numpy(), theirs_state[key].numpy())
    assert list(ours.state_dict(prefix="net.")) == list(theirs.state_dict(prefix="net."))


def test_counts_of_parameters_buffers_modules_children_match_torch():
    ours, theirs = make_pair(build_net)
    for method in ("parameters", "buffers", "modules", "children"):
        assert len(list(getattr(ours, method)())) == len(list(getattr(theirs, method)()))


def test_state_dict_values_are_detached_and_share_storage():
    ours, _ = make_pair(build_net)
    weight = ours.state_dict()["stem.fc.weight"]
    assert not weight.requires_grad and type(weight) is tg.Tensor
    weight.add_(1.0)
    np.testing.assert_array_equal(weight.numpy(), ours.stem.fc.weight.detach().numpy())
    assert ours.state_dict(keep_vars=True)["stem.fc.weight"] is ours.stem.fc.weight


def test_attribute_assignment_registers_and_replaces():
    layer = build_affine(nn, tg)(2, 3)
    assert names(layer.named_parameters()) == ["weight", "bias"]
    layer.bias = None
    assert names(layer.named_parameters()) == ["weight"] and layer.bias is None
    layer.extra = nn.Parameter(tg.zeros(1))
    layer.child = build_affine(nn, tg)(3, 3)
    assert names(layer.named_parameters()) == ["weight", "extra", "child.weight", "child.bias"]
    layer.plain = 1.0
    with pytest.raises(TypeError, match="cannot assign '.*Affine' as parameter 'extra'"):
        layer.extra = build_affine(nn, tg)(1, 1)
    layer.child = nn.Parameter(tg.zeros(2))                         # a module name becomes a parameter
    assert "child" not in layer._modules and "child" in layer._parameters
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        layer.sub = build_affine(nn, tg)(1, 1)
        layer.sub = 3
    layer.calls = tg.ones(())                                       # a buffer stays a buffer
    assert layer._buffers["calls"].item() == 1.0
    layer.plain = tg.ones(2)                                        # a plain tensor is no buffer
    assert "plain" not in layer._buffers and "plain" in layer.__dict__


def test_delattr_and_dir():
    layer = build_affine(nn, tg)(2, 3)
    layer.child = build_affine(nn, tg)(3, 3)
    assert {"weight", "bias", "calls", "child", "forward"} <= set(dir(layer))
    for name in ("weight", "calls", "child"):
        delattr(layer, name)
        assert not hasattr(layer, name)
    assert names(layer.named_parameters()) == ["bias"]


@pytest.mark.parametrize("action, error, message", [
    (lambda m: setattr(m, "weight", tg.zeros(3, 2)), TypeError,
     "cannot assign 'tinygrad_edu.FloatTensor' as parameter 'weight' "
     "(tinygrad_edu.nn.Parameter or None expected)"),
    (lambda m: m.register_parameter("a.b", None), KeyError, 'parameter name can\'t contain "."'),
    (lambda m: m.register_parameter("", None), KeyError, 'parameter name can\'t be empty string ""'),
    (lambda m: m.register_parameter("n_in", None), KeyError, "attribute 'n_in' already exists"),
    (lambda m: m.register_parameter(1, None), TypeError, "parameter name should be a string. Got int"),
    (lambda m: m.register_parameter("w", tg.zeros(1)), TypeError,
     "cannot assign 'tinygrad_edu.FloatTensor' object to parameter 'w' "
     "(tinygrad_edu.nn.Parameter or None required)"),
    (lambda m: m.register_buffer("a.b", None), KeyError, 'buffer name can\'t contain "."'),
    (lambda m: m.register_buffer("weight", None), KeyError, "attribute 'weight' already exists"),
    (lambda m: m.register_buffer("b", 3), TypeError, "cannot assign 'int' object to buffer 'b'"),
    (lambda m: m.add_module("x", 3), TypeError, "int is not a Module subclass"),
    (lambda m: m.add_module("a.b", None), KeyError, 'module name can\'t contain ".", got: a.b'),
    (lambda m: m.add_module("", None), KeyError, 'module name can\'t be empty string ""'),
    (lambda m: m.missing, AttributeError, "'Affine' object has no attribute 'missing'"),
    (lambda m: m.train(1), ValueError, "training mode is expected to be boolean"),
    (lambda m: m.to(tg.int64), TypeError,
     "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=tinygrad_edu.int64"),
])
def test_registration_errors(action, error, message):
    with pytest.raises(error) as raised:
        action(build_affine(nn, tg)(2, 3))
    assert message in raised.value.args[0]


def test_errors_before_init_and_for_non_leaf_parameters():
    class Early(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(tg.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()
    module = nn.Module()
    non_leaf = nn.Parameter(tg.ones(2)) * 2
    non_leaf.__class__ = nn.Parameter
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        module.register_parameter("w", non_leaf)
    missing_forward = 'Module [Module] is missing the required "forward" function'
    with pytest.raises(NotImplementedError, match=re.escape(missing_forward)):
        module(tg.ones(1))


def test_get_submodule_get_parameter_get_buffer():
    ours, theirs = make_pair(build_net)
    assert ours.get_submodule("stem.scale") is ours.stem.scale
    assert ours.get_submodule("blocks.2") is ours.blocks[2]
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("heads.main.weight") is ours.heads["main"].weight
    assert ours.get_buffer("stem.fc.calls") is ours.stem.fc.calls
    for target in ("stem.nothing", "stem.fc.n_in"):
        with pytest.raises(AttributeError) as theirs_error:
            theirs.get_submodule(target)
        with pytest.raises(AttributeError, match=re.escape(str(theirs_error.value))):
            ours.get_submodule(target)
    with pytest.raises(AttributeError, match=re.escape("`n_in` is not an nn.Parameter")):
        ours.get_parameter("stem.fc.n_in")


# ---------------------------------------------------------------- modes and gradients
def test_train_eval_recurse_and_return_self():
    ours, _ = make_pair(build_net)
    assert ours.eval() is ours
    assert not any(module.training for module in ours.modules())
    assert ours.train() is ours
    assert all(module.training for module in ours.modules())
    theirs = build_net(torch.nn, torch)()
    ours.blocks.train(False)
    theirs.blocks.train(False)
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]


def test_zero_grad_and_requires_grad():
    ours, _ = make_pair(build_net)
    first, second = ours(tg.randn(5, 4, dtype=tg.float64))
    (first.sum() + second.sum()).backward()
    assert all(p.grad is not None for p in ours.parameters())
    grads = [p.grad for p in ours.parameters()]
    ours.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in ours.parameters())
    assert all(np.all(g.numpy() == 0) for g in grads)          # zeroed in place, as torch does
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())


def test_forward_and_gradients_match_torch():
    ours, theirs = make_pair(build_net)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4))
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outputs_ours, outputs_theirs = ours(x_ours), theirs(x_theirs)
    upstream = [rng.standard_normal(tuple(o.shape)) for o in outputs_theirs]
    for output, gradient in zip(outputs_ours, upstream):
        output.backward(tg.tensor(gradient), retain_graph=True)
    torch.autograd.backward(outputs_theirs, [torch.tensor(g) for g in upstream])
    for a, b in zip(outputs_ours, outputs_theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-7, atol=1e-9)
    theirs_grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=1e-7, atol=1e-9, err_msg=name)


# ---------------------------------------------------------------- moving and casting
def test_to_dtype_casts_in_place_and_keeps_parameter_objects():
    ours, _ = make_pair(build_net)
    parameters = list(ours.parameters())
    ours(tg.randn(2, 4, dtype=tg.float64))[0].sum().backward()
    assert ours.to(tg.float32) is ours
    assert list(ours.parameters()) == parameters
    assert all(p.dtype == tg.float32 and isinstance(p, nn.Parameter) for p in parameters)
    assert all(p.grad.dtype == tg.float32 for p in parameters if p.grad is not None)
    assert ours.stem.fc.calls.dtype == tg.int64                 # integer buffers keep their dtype
    assert ours.stem.fc.scratch.dtype == tg.float32
    ours.double()
    assert all(p.dtype == tg.float64 for p in ours.parameters())
    ours.half()
    assert all(p.dtype == tg.float16 for p in ours.parameters())
    ours.float()
    assert all(p.dtype == tg.float32 for p in ours.parameters())
    ours.to(tg.zeros(1, dtype=tg.float64))
    assert all(p.dtype == tg.float64 for p in ours.parameters())
    ours.to(dtype=tg.float32, device="cpu").cpu()
    assert all(p.dtype == tg.float32 and p.device == "cpu" for p in ours.parameters())


@pytest.mark.gpu
@pytest.mark.skipif(not tg.cuda.is_available(), reason="needs CuPy and a CUDA device")
def test_cuda_and_cpu_move_parameters_buffers_and_grads_in_place():
    ours, theirs = make_pair(build_net)
    parameters = list(ours.parameters())
    x = np.random.default_rng(4).standard_normal((2, 4))
    ours(tg.tensor(x))[0].sum().backward()
    assert ours.cuda() is ours and list(ours.parameters()) == parameters
    tensors = parameters + [p.grad for p in parameters if p.grad is not None] + list(ours.buffers())
    assert all(t.device.type == "cuda" for t in tensors)
    output = ours(tg.tensor(x, device="cuda"))[0]
    ours.cpu()
    assert all(t.device.type == "cpu" for t in list(ours.parameters()) + list(ours.buffers()))
    np.testing.assert_allclose(output.detach().cpu().numpy(), theirs(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-7, atol=1e-9)


def test_float_cast_outputs_match_torch():
    ours, theirs = make_pair(build_net)
    ours.float()
    theirs.float()
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    out_ours, out_theirs = ours(tg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_ours[0].detach().numpy(), out_theirs[0].detach().numpy(),
                               rtol=1.3e-6, atol=1e-5)


def test_apply_visits_children_first_like_torch():
    visited = []
    for framework, namespace in FRAMEWORKS:
        order = []
        build_net(namespace, framework)().apply(lambda module: order.append(type(module).__name__))
        visited.append(order)
    assert visited[0] == visited[1]


# ---------------------------------------------------------------- load_state_dict
def test_load_state_dict_round_trip_and_result():
    ours, theirs = make_pair(build_net)
    torch.manual_seed(5)
    source = build_net(torch.nn, torch)()
    result = ours.load_state_dict({k: tg.tensor(v.numpy().copy()) for k, v in source.state_dict().items()})
    assert repr(result) == repr(theirs.load_state_dict(source.state_dict())) == "<All keys matched successfully>"
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())


def _both_load(state_changes, strict=True):
    """Apply ``state_changes(state)`` to both models' own state_dicts and load them back."""
    ours, theirs = make_pair(build_net)
    theirs_state = theirs.state_dict()
    state_changes(theirs_state)
    ours_state = OrderedDict((k, tg.tensor(v.numpy().copy())) for k, v in theirs_state.items())
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    outcome = []
    for model, state in ((theirs, theirs_state), (ours, ours_state)):
        try:
            outcome.append(("ok", repr(model.load_state_dict(state, strict=strict))))
        except RuntimeError as error:
            outcome.append(("error", str(error)))
    return outcome, before, ours


def _shrink(state):
    state["stem.fc.weight"] = state["stem.fc.weight"][:2]


@pytest.mark.parametrize("change", [
    lambda s: s.pop("stem.fc.bias"),
    lambda s: s.update({"extra.weight": torch.zeros(1), "stem.fc.unknown": torch.zeros(1)}),
    lambda s: (s.pop("heads.main.bias"), s.pop("step"), s.update({"stem.bogus": torch.zeros(1)})),
    _shrink,
    lambda s: (_shrink(s), s.pop("temperature"), s.update({"blocks.9.weight": torch.zeros(1)})),
])
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_match_torch_and_change_nothing(change, strict):
    outcome, before, ours = _both_load(change, strict)
    (theirs_kind, theirs_text), (ours_kind, ours_text) = outcome
    assert ours_kind == theirs_kind
    assert ours_text == ours_like(theirs_text)
    if ours_kind == "error":
        for key, value in ours.state_dict().items():
            np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


def test_load_state_dict_size_mismatch_message():
    linear_like = build_affine(nn, tg)(3, 2)
    state = linear_like.state_dict()
    state["weight"] = tg.zeros(4, 3)
    expected = ("Error(s) in loading state_dict for Affine:\n\tsize mismatch for weight: copying a param with "
                "shape tinygrad_edu.Size([4, 3]) from checkpoint, the shape in current model is "
                "tinygrad_edu.Size([2, 3]).")
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        linear_like.load_state_dict(state)


def test_load_state_dict_rejects_non_tensors_and_non_mappings():
    layer = build_affine(nn, tg)(3, 2)
    state = layer.state_dict()
    state["bias"] = [1.0, 2.0]
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias", expected tinygrad_edu.Tensor'):
        layer.load_state_dict(state)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        layer.load_state_dict([])


def test_load_state_dict_copies_in_place_or_assigns():
    layer = build_affine(nn, tg)(3, 2)
    weight = layer.weight
    new_weight = tg.ones(2, 3, dtype=tg.float64)
    state = dict(layer.state_dict(), weight=new_weight)
    layer.load_state_dict(state)
    assert layer.weight is weight and np.all(weight.detach().numpy() == 1)
    layer.load_state_dict(dict(state, calls=tg.tensor(7)), assign=True)
    assert layer.weight is not weight and isinstance(layer.weight, nn.Parameter)
    assert layer.weight.requires_grad and layer.calls.item() == 7
    new_weight.add_(1)
    assert np.all(layer.weight.detach().numpy() == 2)          # assigned, not copied


# ---------------------------------------------------------------- hooks
def _record_forward_hooks(namespace, framework):
    Affine = build_affine(namespace, framework)
    layer = Affine(3, 2)
    calls = []

    def pre_hook(module, args):
        calls.append(("pre", type(module).__name__, len(args)))
        return args[0] * 2                                   # a single value replaces the args

    def pre_hook_kwargs(module, args, kwargs):
        calls.append(("pre_kwargs", sorted(kwargs)))

    def hook(module, args, output):
        calls.append(("post", tuple(output.shape)))
        return output + 1

    def first_hook(module, args, output):
        calls.append(("first",))

    handles = [layer.register_forward_pre_hook(pre_hook),
               layer.register_forward_pre_hook(pre_hook_kwargs, with_kwargs=True),
               layer.register_forward_hook(hook),
               layer.register_forward_hook(first_hook, prepend=True)]
    with framework.no_grad():
        layer.weight.copy_(framework.ones(2, 3, dtype=framework.float64))
        layer.bias.zero_()
    x = framework.ones(4, 3, dtype=framework.float64)
    hooked = layer(x)
    for handle in handles:
        handle.remove()
    plain = layer(x)
    return calls, hooked.tolist(), plain.tolist()


def test_forward_hooks_match_torch():
    assert _record_forward_hooks(nn, tg) == _record_forward_hooks(torch.nn, torch)


def test_forward_pre_hook_with_kwargs_replaces_args_and_kwargs():
    class Shift(nn.Module):
        def forward(self, x, shift=0.0):
            return x + shift

    module = Shift()
    module.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 10,), {"shift": 1.0}),
                                     with_kwargs=True)
    seen = []
    module.register_forward_hook(lambda m, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    assert module(tg.ones(2)).tolist() == [11.0, 11.0]
    assert seen == [{"shift": 1.0}]
    with module.register_forward_hook(lambda m, args, out: out * 0):
        assert module(tg.ones(1)).tolist() == [0.0]
    assert module(tg.ones(1)).tolist() == [11.0]
    module.register_forward_pre_hook(lambda m, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
        module(tg.ones(1))


TWO_INPUT_WEIGHT = np.random.default_rng(5).standard_normal((3, 3))


def build_two_input(nn, lib):
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(lib.tensor(TWO_INPUT_WEIGHT.copy()))

        def forward(self, x, scale, y):
            mixed = (x @ self.weight) * scale + y.exp()
            return mixed.tanh(), (x * y).sum(1)

    return TwoInputs


def _run_backward_hooks(namespace, framework, inputs_require_grad=True, replace=False):
    module = build_two_input(namespace, framework)()
    rng = np.random.default_rng(3)
    x = framework.tensor(rng.standard_normal((2, 3)), requires_grad=inputs_require_grad)
    y = framework.tensor(rng.standard_normal((2, 3)), requires_grad=inputs_require_grad)
    seen = []

    def pre_hook(mod, grad_output):
        seen.append(("pre", [None if g is None else g.detach().numpy().copy() for g in grad_output]))

    def hook(mod, grad_input, grad_output):
        seen.append(("full", [None if g is None else g.detach().numpy().copy() for g in grad_input],
                     [None if g is None else g.detach().numpy().copy() for g in grad_output]))
        if replace:
            return tuple(None if g is None else g * 3 for g in grad_input)

    module.register_full_backward_pre_hook(pre_hook)
    module.register_full_backward_hook(hook)
    first, second = module(x, 2.5, y)
    upstream = [rng.standard_normal(tuple(first.shape)), rng.standard_normal(tuple(second.shape))]
    (first * framework.tensor(upstream[0])).sum().add((second * framework.tensor(upstream[1])).sum()).backward()
    grads = [t.grad for t in (x, y, module.weight)]
    return seen, [None if g is None else g.numpy() for g in grads]


def _assert_nested_close(ours, theirs):
    if theirs is None or isinstance(theirs, str):
        assert ours == theirs
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_nested_close(a, b)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hooks_see_and_replace_gradients_like_torch(replace):
    ours = _run_backward_hooks(nn, tg, replace=replace)
    theirs = _run_backward_hooks(torch.nn, torch, replace=replace)
    _assert_nested_close(ours, theirs)


def test_full_backward_hook_when_no_input_requires_grad():
    ours = _run_backward_hooks(nn, tg, inputs_require_grad=False)
    with pytest.warns(UserWarning):
        theirs = _run_backward_hooks(torch.nn, torch, inputs_require_grad=False)
    _assert_nested_close(ours, theirs)


def test_backward_hook_errors_and_removal():
    layer = build_affine(nn, tg)(3, 2)
    handle = layer.register_full_backward_hook(lambda m, grad_input, grad_output: (None, None))
    x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    wrong_count = "Backward hook returned an invalid number of grad_input, got 2, but expected 1"
    with pytest.raises(RuntimeError, match=wrong_count):
        layer(x).sum().backward()
    handle.remove()
    layer(x).sum().backward()
    assert x.grad is not None and not layer._backward_hooks


def test_backward_pre_hook_replaces_grad_output():
    layer = build_affine(nn, tg)(3, 2)
    layer.register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] * 0,))
    x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    layer(x).backward(tg.ones(4, 2, dtype=tg.float64))
    assert np.all(x.grad.numpy() == 0) and np.all(layer.weight.grad.numpy() == 0)


# ---------------------------------------------------------------- repr
def test_nested_repr_equals_torch():
    ours, theirs = make_pair(build_net)
    assert repr(ours) == repr(theirs)


def test_repr_of_parameter_and_plain_modules():
    for requires_grad in (True, False):
        ours = nn.Parameter(tg.tensor([1.0, 2.0]), requires_grad=requires_grad)
        theirs = torch.nn.Parameter(torch.tensor([1.0, 2.0]), requires_grad=requires_grad)
        assert repr(ours) == repr(theirs)
    assert repr(nn.Module()) == repr(torch.nn.Module()) == "Module()"


@given(st.lists(st.sampled_from(["a", "b", "multi"]), min_size=0, max_size=6))
@settings(max_examples=30, deadline=None)
def test_module_list_repr_compresses_repeats_like_torch(kinds):
    texts = []
    for _, namespace in FRAMEWORKS:
        class Leaf(namespace.Module):
            def __init__(self, kind):
                super().__init__()
                self.kind = kind

            def extra_repr(self):
                return "x\ny" if self.kind == "multi" else self.kind

        texts.append(repr(namespace.ModuleList([Leaf(kind) for kind in kinds])))
    assert texts[0] == texts[1]


# ---------------------------------------------------------------- Parameter
def test_parameter_shares_storage_and_is_a_leaf():
    source = tg.zeros(2, 3)
    parameter = nn.Parameter(source)
    assert isinstance(parameter, tg.Tensor) and parameter.is_leaf and parameter.requires_grad
    source.add_(1.0)
    assert np.all(parameter.detach().numpy() == 1.0)
    frozen = nn.Parameter(tg.zeros(1), requires_grad=False)
    assert not frozen.requires_grad
    assert nn.Parameter().shape == torch.nn.Parameter().shape
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Parameter(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match=re.escape(str(theirs.value))):
        nn.Parameter(tg.zeros(2, dtype=tg.int64))


def test_parameter_deepcopy_and_pickle():
    import copy
    import pickle
    parameter = nn.Parameter(tg.tensor([1.0, 2.0]), requires_grad=False)
    for clone in (copy.deepcopy(parameter), pickle.loads(pickle.dumps(parameter))):
        assert type(clone) is nn.Parameter and not clone.requires_grad
        assert clone.tolist() == [1.0, 2.0]
    clone = copy.deepcopy(parameter)
    parameter.add_(1.0)
    assert clone.tolist() == [1.0, 2.0]


def test_deepcopy_of_a_model_keeps_sharing():
    import copy
    ours, _ = make_pair(build_net)
    clone = copy.deepcopy(ours)
    assert names(clone.named_parameters()) == names(ours.named_parameters())
    assert clone.heads["aux"].weight is clone.blocks[0].weight
    assert clone.blocks[0].weight is not ours.blocks[0].weight


# ---------------------------------------------------------------- summary
class _SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        Affine = build_affine(nn, tg)
        self.features = nn.Sequential(Affine(4, 8), Affine(8, 8))
        self.scale = nn.Parameter(tg.ones(8, dtype=tg.float64))
        self.head = Affine(8, 3, bias=False)
        self.head.weight.requires_grad_(False)

    def forward(self, x):
        return self.head(self.features(x) * self.scale), x.sum(1)


SMALL_NET_SUMMARY = """\
Model: "_SmallNet"
__________________________________________________________________
 Layer (type)                Output Shape              Param #
==================================================================
 features.0 (Affine)         [-1, 8]                   40
 features.1 (Affine)         [-1, 8]                   72
 head (Affine)               [-1, 3]                   24
 _SmallNet                   [[-1, 3], [-1]]           8
==================================================================
Total params: 144
Trainable params: 120
Non-trainable params: 24
__________________________________________________________________"""


def test_summary_golden_text(capsys):
    model = _SmallNet().train()
    assert model.summary((4,), dtypes=[tg.float64]) is None  # printed once, not echoed again by Jupyter
    assert capsys.readouterr().out == SMALL_NET_SUMMARY + "\n"
    lines = []
    model.summary((4,), dtypes=[tg.float64], print_fn=lines.append)
    assert lines == SMALL_NET_SUMMARY.split("\n") and capsys.readouterr().out == ""
    assert all(module.training for module in model.modules())
    assert not model._forward_hooks and not model.head._forward_hooks


def test_summary_batch_size_and_several_inputs(capsys):
    class Pair(nn.Module):
        def forward(self, a, b):
            return tg.cat([a, b], 1)

    Pair().summary([(2, 5), (3, 5)], batch_size=16)
    text = capsys.readouterr().out
    assert " Pair                        [16, 5, 5]                0" in text
    assert "Total params: 0" in text
