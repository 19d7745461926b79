"""Containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict) against torch's.

Each scenario runs the same operations on torch's container and ours and compares what
can be seen from outside: the registered names, which entries sit where, reprs, errors.
"""
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

FRAMEWORKS = ((torch, torch.nn), (tg, tg.nn))


def ours_like(text):
    return text.replace("torch.", "tinygrad_edu.")


def make_tag(namespace):
    """A parameter-free module that prints its label and adds it to its input."""
    class Tag(namespace.Module):
        def __init__(self, label):
            super().__init__()
            self.label = label

        def forward(self, x):
            return x * 10 + self.label

        def extra_repr(self):
            return f"label={self.label}"

    return Tag


def labels(container):
    return [module.label for module in container]


def both(scenario):
    """Run ``scenario(lib, nn, Tag)`` with torch and with ours; return both results."""
    return [scenario(framework, namespace, make_tag(namespace)) for framework, namespace in FRAMEWORKS]


def assert_same(scenario):
    theirs, ours = both(scenario)
    assert ours == theirs
    return ours


def error_of(action):
    try:
        action()
    except Exception as error:
        return type(error).__name__, ours_like(str(error))
    return None


# ---------------------------------------------------------------- Sequential
def test_sequential_forward_chains_modules():
    def scenario(lib, nn, Tag):
        model = nn.Sequential(Tag(1), Tag(2), Tag(3))
        return model(lib.zeros(2)).tolist(), repr(model), len(model)
    assert_same(scenario)


def test_sequential_forward_and_gradients_match_torch_with_linear():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    ours.load_state_dict({k: tg.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x, upstream = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    out_ours.backward(tg.tensor(upstream))
    out_theirs.backward(torch.tensor(upstream))
    tight = dict(rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), **tight)
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), **tight)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), err_msg=name, **tight)
    assert repr(ours) == repr(theirs)


def test_sequential_ordered_dict_form_indexing_and_slicing():
    def scenario(lib, nn, Tag):
        model = nn.Sequential(OrderedDict([("first", Tag(1)), ("second", Tag(2)), ("third", Tag(3))]))
        sliced = model[1:]
        stepped = model[::-2]
        return (model[0].label, model[-1].label, model[-3].label, type(sliced).__name__,
                list(sliced._modules), labels(stepped), list(stepped._modules), repr(model),
                [name for name, _ in model.named_children()], model.second.label)
    assert_same(scenario)


@pytest.mark.parametrize("index", [3, -4, 10])
def test_sequential_index_errors(index):
    def scenario(lib, nn, Tag):
        model = nn.Sequential(Tag(1), Tag(2), Tag(3))
        return (error_of(lambda: model[index]), error_of(lambda: model.__setitem__(index, Tag(0))),
                error_of(lambda: model.__delitem__(index)))
    assert_same(scenario)


def test_sequential_mutations():
    def scenario(lib, nn, Tag):
        model = nn.Sequential(Tag(1), Tag(2))
        steps = []
        model.append(Tag(3))
        steps.append((list(model._modules), labels(model)))
        model.insert(0, Tag(0))
        model.insert(-1, Tag(9))
        model.insert(len(model), Tag(4))
        steps.append((list(model._modules), labels(model)))
        model.extend(nn.Sequential(Tag(5), Tag(6)))
        model[1] = Tag(11)
        model[-1] = Tag(66)
        steps.append((list(model._modules), labels(model)))
        del model[2]
        steps.append((list(model._modules), labels(model)))
        del model[1:5:2]
        steps.append((list(model._modules), labels(model)))
        popped = model.pop(0)
        steps.append((popped.label, list(model._modules), labels(model), len(model)))
        steps.append(error_of(lambda: model.insert(99, Tag(0))))
        steps.append(error_of(lambda: model.insert(0, "not a module"))[0])
        return steps, repr(model)
    assert_same(scenario)


def test_sequential_add_and_multiply():
    def scenario(lib, nn, Tag):
        left, right = nn.Sequential(Tag(1), Tag(2)), nn.Sequential(Tag(3))
        combined = left + right
        left += right
        tripled = right * 3
        twice = 2 * nn.Sequential(Tag(7))
        shared = tripled[0] is tripled[2]
        return (labels(combined), labels(left), list(left._modules), labels(tripled), labels(twice), shared,
                error_of(lambda: left + [Tag(0)]) is not None, error_of(lambda: left * 0))
    assert_same(scenario)


def test_sequential_parameters_state_dict_and_dir():
    def scenario(lib, nn, Tag):
        model = nn.Sequential(nn.Linear(2, 3), Tag(1), nn.Sequential(nn.Linear(3, 1)))
        return (list(model.state_dict()), [name for name, _ in model.named_parameters()],
                [name for name, _ in model.named_modules()], "0" in dir(model), "append" in dir(model))
    assert_same(scenario)


# ---------------------------------------------------------------- ModuleList
def test_module_list_operations():
    def scenario(lib, nn, Tag):
        blocks = nn.ModuleList([Tag(0), Tag(1)])
        steps = []
        blocks.append(Tag(2))
        blocks.extend([Tag(3), Tag(4)])
        blocks += [Tag(5)]
        steps.append(labels(blocks))
        blocks.insert(1, Tag(10))
        blocks.insert(3, Tag(20))
        steps.append((labels(blocks), list(blocks._modules)))
        blocks[0] = Tag(30)
        blocks[-1] = Tag(40)
        del blocks[2]
        del blocks[::3]
        steps.append((labels(blocks), list(blocks._modules), len(blocks)))
        sliced = blocks[1:3]
        steps.append((type(sliced).__name__, labels(sliced), list(sliced._modules)))
        steps.append((blocks[-1].label, labels(blocks + nn.ModuleList([Tag(9)])), blocks.pop(1).label))
        steps.append((error_of(lambda: blocks[len(blocks)]), error_of(lambda: blocks.extend(5))))
        steps.append((repr(blocks), "0" in dir(blocks)))
        return steps
    assert_same(scenario)


def test_module_list_registers_parameters_and_repr_with_linear():
    def scenario(lib, nn, Tag):
        layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.ReLU(), nn.Linear(3, 1)])
        return repr(layers), [name for name, _ in layers.named_parameters()], repr(nn.ModuleList())
    assert_same(scenario)


@given(st.lists(st.tuples(st.sampled_from(["append", "insert", "delete", "set", "pop"]),
                          st.integers(-6, 6)), max_size=12))
@settings(max_examples=30, deadline=None)
def test_module_list_behaves_like_a_python_list(operations):
    """Checked against Python's list itself: torch's ModuleList.insert fails on negative indices."""
    Tag = make_tag(nn)
    blocks, reference = nn.ModuleList(), []
    for step, (operation, index) in enumerate(operations):
        if operation == "append":
            blocks.append(Tag(step))
            reference.append(step)
        elif operation == "insert":
            blocks.insert(index, Tag(step))
            reference.insert(index, step)
        elif not -len(reference) <= index < len(reference):
            continue
        elif operation == "delete":
            del blocks[index]
            del reference[index]
        elif operation == "set":
            blocks[index] = Tag(step)
            reference[index] = step
        elif operation == "pop":
            assert blocks.pop(index).label == reference.pop(index)
        assert labels(blocks) == reference
        assert list(blocks._modules) == [str(i) for i in range(len(reference))]


# ---------------------------------------------------------------- ModuleDict
def test_module_dict_operations():
    def scenario(lib, nn, Tag):
        heads = nn.ModuleDict({"b": Tag(2), "a": Tag(1)})
        steps = [list(heads), list(heads.keys()), [m.label for m in heads.values()]]
        heads.update([("c", Tag(3)), ("a", Tag(11))])
        heads.update(nn.ModuleDict({"d": Tag(4)}))
        heads["e"] = Tag(5)
        steps.append([(key, module.label) for key, module in heads.items()])
        steps.append(("a" in heads, "z" in heads, len(heads), heads.pop("b").label, list(heads)))
        del heads["c"]
        steps.append((repr(heads), [name for name, _ in heads.named_modules()]))
        steps.append(error_of(lambda: heads.update([("x", Tag(0), 1)])))
        steps.append(error_of(lambda: heads.update([3])))
        steps.append(error_of(lambda: heads.update(3)))
        heads.clear()
        steps.append((len(heads), repr(heads)))
        return steps
    assert_same(scenario)


# ---------------------------------------------------------------- ParameterList
def test_parameter_list_operations_and_repr():
    def scenario(lib, nn, Tag):
        values = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        values.append(lib.ones(1, dtype=lib.float64))
        values.extend([nn.Parameter(lib.ones(2), requires_grad=False)])
        values += [lib.zeros(3, 2)]
        steps = [len(values), [type(v).__name__ for v in values], [tuple(v.shape) for v in values],
                 [name for name, _ in values.named_parameters()], list(values.state_dict()),
                 ours_like(repr(values)), [tuple(v.shape) for v in values[1:4:2]],
                 type(values[::2]).__name__, tuple(values[-1].shape)]
        values[0] = lib.ones(5)
        steps.append((type(values[0]).__name__, tuple(values[0].shape)))
        values.append("not a tensor")
        steps.append(ours_like(repr(values)))
        steps.append(error_of(lambda: values[10]))
        steps.append(error_of(lambda: values.extend(lib.ones(2))))
        steps.append(error_of(lambda: values(1)))
        return steps
    assert_same(scenario)


def test_parameter_list_parameters_are_optimised_through_a_module():
    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(tg.ones(2)) for _ in range(3)])

        def forward(self, x):
            for scale in self.scales:
                x = x * scale
            return x

    model = Scales()
    assert [name for name, _ in model.named_parameters()] == ["scales.0", "scales.1", "scales.2"]
    model(tg.tensor([1.0, 2.0])).backward(tg.tensor([1.0, 1.0]))
    assert [p.grad.tolist() for p in model.parameters()] == [[1.0, 2.0]] * 3


# ---------------------------------------------------------------- ParameterDict
def test_parameter_dict_operations_and_repr():
    def scenario(lib, nn, Tag):
        gains = nn.ParameterDict({"zeta": lib.ones(2), "alpha": nn.Parameter(lib.zeros(3))})
        steps = [list(gains), ours_like(repr(gains))]
        gains.update(OrderedDict([("k", lib.ones(1)), ("b", lib.ones(2, 2, dtype=lib.float64))]))
        gains.update([("pair", lib.ones(4))])
        gains["plain"] = 3
        steps.append([(key, type(value).__name__) for key, value in gains.items()])
        steps.append(([name for name, _ in gains.named_parameters()], ours_like(repr(gains))))
        steps.append(("k" in gains, len(gains), list(reversed(gains)), gains.get("nope", 7)))
        key, value = gains.popitem()
        steps.append((key, value, list(gains)))
        steps.append((tuple(gains.pop("b").shape), list(gains)))
        steps.append(tuple(gains.setdefault("new", lib.ones(6)).shape))
        copied = gains.copy()
        steps.append((list(copied), copied["k"] is gains["k"]))
        merged = gains | nn.ParameterDict({"extra": lib.ones(1)})
        steps.append(list(merged))
        gains |= nn.ParameterDict({"late": lib.ones(1)})
        steps.append(list(gains))
        steps.append(list(gains.fromkeys(["x", "y"], lib.ones(1))))
        del gains["k"]
        steps.append(list(gains))
        steps.append(error_of(lambda: gains[3]))
        steps.append(error_of(lambda: gains([])))
        steps.append(error_of(lambda: gains.update(5)))
        gains.clear()
        steps.append((len(gains), repr(gains)))
        return steps
    assert_same(scenario)


def test_containers_inside_a_model_state_dict_round_trip():
    def build(lib, nn):
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
                self.heads = nn.ModuleDict({"out": nn.Linear(4, 2)})
                self.extras = nn.ParameterList([nn.Parameter(lib.ones(2))])
                self.gains = nn.ParameterDict({"g": nn.Parameter(lib.ones(1))})
        return Model()

    torch.manual_seed(0)
    theirs, ours = build(torch, torch.nn), build(tg, tg.nn)
    state = {k: tg.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()}
    assert repr(ours.load_state_dict(state)) == "<All keys matched successfully>"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours_like(repr(ours)) == ours_like(repr(theirs))
