"""draw_graph: pictures of Value graphs, Tensor graphs and models, rendered with Graphviz's dot."""
import math
import os
import shutil
import xml.etree.ElementTree as ElementTree

import graphviz
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.graph import _grad_mode
from tinygrad_edu.scalar import Value
from tinygrad_edu.viz import Graph, GraphvizNotFoundError, draw_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(graph):
    """Render with dot; return {title: (texts, attributes of the outline)} for nodes and clusters."""
    root = ElementTree.fromstring(graph.pipe(format="svg", encoding="utf-8"))
    shapes = {}
    for group in root.iter(SVG + "g"):
        if group.get("class") in ("node", "cluster"):
            title = group.find(SVG + "title").text
            texts = [text.text for text in group.iter(SVG + "text")]
            outline = next((element.attrib for element in group if element.tag in (SVG + "polygon", SVG + "path")), {})
            shapes[title] = (texts, outline)
    return shapes


def node_with(shapes, text):
    """The (texts, outline) of the one node whose texts include ``text``."""
    found = [shape for title, shape in shapes.items() if not title.startswith("cluster") and text in shape[0]]
    assert len(found) == 1, (text, shapes)
    return found[0]


def micrograd_expression():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    d.backward()
    return d


def mlp_loss(seed=0):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(tg.randn(5, 3)).pow(2).mean()
    loss.backward()
    return model, loss


# -- the scalar engine ---------------------------------------------------------------------

GOLDEN_EXPRESSION = """digraph d {
\tgraph [rankdir=LR]
\tn0 [label="{ d | data 4.0000 | grad 1.0000 }" shape=record]
\tn0_op [label="+"]
\tn0_op -> n0
\tn1 [label="{ c | data 10.0000 | grad 1.0000 }" shape=record]
\tn2 [label="{ e | data -6.0000 | grad 1.0000 }" shape=record]
\tn2_op [label="*"]
\tn2_op -> n2
\tn3 [label="{ b | data -3.0000 | grad 2.0000 }" shape=record]
\tn4 [label="{ a | data 2.0000 | grad -3.0000 }" shape=record]
\tn2 -> n0_op
\tn1 -> n0_op
\tn4 -> n2_op
\tn3 -> n2_op
}
"""


def test_value_graph_dot_source_is_golden_and_deterministic():
    graph = draw_graph(micrograd_expression())
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source == GOLDEN_EXPRESSION
    assert draw_graph(micrograd_expression()).source == GOLDEN_EXPRESSION


@needs_dot
def test_value_graph_renders_records_and_ops():
    shapes = svg_of(draw_graph(micrograd_expression()))
    assert shapes["n4"][0] == ["a", "data 2.0000", "grad -3.0000"]
    assert shapes["n0"][0] == ["d", "data 4.0000", "grad 1.0000"]
    assert shapes["n0_op"][0] == ["+"] and shapes["n2_op"][0] == ["*"]
    assert len(shapes) == 7


def test_value_options_choose_fields_and_direction():
    source = draw_graph(micrograd_expression(), show_values=False, rankdir="TB").source
    assert "rankdir=TB" in source and "data" not in source and "grad -3.0000" in source
    source = draw_graph(micrograd_expression(), show_grads=False).source
    assert "grad" not in source and "data -6.0000" in source


def test_value_record_labels_are_escaped():
    value = Value(1.0, label="x|{y}<z>")
    source = draw_graph(value).source
    assert r"x\|\{y\}\<z\>" in source


@needs_dot
def test_value_nan_is_red():
    bad = Value(float("nan"), label="bad")
    out = bad * Value(2.0, label="two")
    out.label = "out"
    ok = Value(1.0, label="ok") + 1
    ok.backward()
    out.backward()
    shapes = svg_of(draw_graph(out))
    assert node_with(shapes, "bad")[1]["stroke"] == "red"
    assert node_with(shapes, "two")[1]["stroke"] == "red"  # its grad is nan
    assert node_with(svg_of(draw_graph(ok)), "ok")[1]["stroke"] == "black"


def test_deep_value_chain_needs_no_recursion():
    value = Value(1.0)
    for _ in range(3000):
        value = value * 1.0
    source = draw_graph(value, max_nodes=None).source
    assert source.count("shape=record") == 6001


# -- the tensor engine ---------------------------------------------------------------------

@needs_dot
def test_tensor_graph_shows_ops_leaves_and_output():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * w).sum()
    y.backward()
    shapes = svg_of(draw_graph(y, params={"x": x, "w": w}))
    assert node_with(shapes, "MulBackward0")[0] == ["MulBackward0", "[2, 3] float32"]
    assert node_with(shapes, "SumBackward0")[1]["fill"] == "lightgrey"
    x_texts, x_outline = node_with(shapes, "x")
    grad = x.grad.numpy()
    assert x_texts == ["x", "[2, 3] float32 cpu", "values min 1 max 6",
                       f"grad norm {np.linalg.norm(grad):.4g} min {grad.min():.4g} max {grad.max():.4g}"]
    assert x_outline["fill"] == "lightblue"
    output_texts, output_outline = node_with(shapes, "[] float32 cpu")
    assert output_texts == ["[] float32 cpu", "value 13.5"] and output_outline["fill"] == "#caff70"  # darkolivegreen1
    assert sorted(texts[0] for texts, _ in shapes.values() if "Backward0" in texts[0]) == [
        "ExpandBackward0", "MulBackward0", "SumBackward0"]  # broadcasting w is an expand


def test_tensor_graph_options_and_default_direction():
    model, loss = mlp_loss()
    source = draw_graph(loss, params=model).source
    assert "rankdir=TB" in source and "float32" in source and "values min" in source and "grad norm" in source
    quiet = draw_graph(loss, params=model, show_values=False, show_grads=False, show_shapes=False,
                       rankdir="LR").source
    assert "rankdir=LR" in quiet
    assert not any(word in quiet for word in ("float32", "values", "grad norm", "[5, 4]"))
    assert "AddmmBackward0" in quiet and "0.weight" in quiet


def test_tensor_graph_is_deterministic_and_numbers_nodes_in_walk_order():
    first, second = draw_graph(mlp_loss()[1]).source, draw_graph(mlp_loss()[1]).source
    assert first == second
    assert "\tn0 [label=\"[] float32 cpu" in first and "n1 -> n0" in first


def test_parameters_are_named_from_a_dict_or_a_module():
    model, loss = mlp_loss()
    for params in (model, dict(model.named_parameters())):
        source = draw_graph(loss, params=params).source
        assert all(f"{name}\\n" in source for name in ("0.weight", "0.bias", "2.weight", "2.bias"))


@needs_dot
def test_ops_are_clustered_by_the_module_that_ran_them():
    model, loss = mlp_loss()
    shapes = svg_of(draw_graph(loss, params=model))
    clusters = {title: texts[0] for title, (texts, _) in shapes.items() if title.startswith("cluster")}
    assert sorted(clusters.values()) == ["0 (Linear)", "1 (ReLU)", "2 (Linear)", "Sequential"]
    source = draw_graph(loss, params=model).source
    linear_0 = source.split('label="0 (Linear)"')[1].split("}")[0]
    assert "AddmmBackward0" in linear_0 and "0.weight" in linear_0 and "0.bias" in linear_0
    assert "ReluBackward0" not in linear_0
    assert source.index("subgraph cluster_0") < source.index("subgraph cluster_1")


@needs_dot
def test_depth_folds_inner_modules_into_boxes():
    model, loss = mlp_loss()
    shapes = svg_of(draw_graph(loss, params=model, depth=1))
    texts, outline = node_with(shapes, "0 (Linear)")
    assert texts == ["0 (Linear)", "out [5, 4]", "params 16"] and outline["fill"] == "lightyellow"
    assert node_with(shapes, "2 (Linear)")[0] == ["2 (Linear)", "out [5, 2]", "params 10"]
    assert not any("AddmmBackward0" in texts for texts, _ in shapes.values())
    whole = svg_of(draw_graph(loss, params=model, depth=0))
    assert node_with(whole, "Sequential")[0] == ["Sequential", "out [5, 2]", "params 26"]
    assert sum(not title.startswith("cluster") for title in whole) == 4  # output, mean, pow, model


def test_modules_are_named_without_params_from_the_recorded_scope():
    model, loss = mlp_loss()
    source = draw_graph(loss).source
    assert 'label="0 (Linear)"' in source and "0.weight\\n" in source


def test_retained_grads_are_shown_on_their_op():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    hidden = x * 3
    hidden.retain_grad()
    out = hidden.exp()
    out.retain_grad()
    out.backward(tg.tensor([1.0, 0.5]))
    source = draw_graph(out).source
    grad = hidden.grad.numpy()
    expected = f"grad norm {np.linalg.norm(grad):.4g} min {grad.min():.4g} max {grad.max():.4g}"
    assert f'"MulBackward0\\n[2] float32\\n{expected}"' in source
    assert source.count("grad norm") == 3  # x, hidden, and out (on the output node only)


@needs_dot
@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
def test_nan_and_inf_tensors_are_red():
    x = tg.tensor([1.0, 0.0, 4.0], requires_grad=True)
    y = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = (x.sqrt() * y).sum()  # d sqrt(x)/dx is inf at 0
    out.backward()
    shapes = svg_of(draw_graph(out, params={"x": x, "y": y}))
    assert node_with(shapes, "x")[1]["stroke"] == "red"
    assert node_with(shapes, "y")[1]["stroke"] == "black"
    assert node_with(shapes, "[] float32 cpu")[1]["stroke"] == "black"
    root_of_negative = tg.tensor([-1.0, 4.0], requires_grad=True).sqrt()  # nan
    assert svg_of(draw_graph(root_of_negative))["n0"][1]["stroke"] == "red"


def test_nan_in_a_folded_module_makes_its_box_red():
    model, loss = mlp_loss()
    model[0].weight.grad.fill_(math.nan)
    source = draw_graph(loss, params=model, depth=1).source
    box = next(line for line in source.splitlines() if '"0 (Linear)' in line)
    assert "color=red" in box


def test_leaf_and_several_roots():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert draw_graph(x, params={"x": x}).source.count("[label=") == 1
    a, b = x * 2, x + 1
    source = draw_graph([a, b], params={"x": x}).source
    assert source.count("fillcolor=darkolivegreen1") == 2 and source.count('"x\\n') == 1


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["exp", "tanh", "mul", "add_self", "sum_keep"]), min_size=1, max_size=8))
def test_one_drawn_node_per_backward_node(operations):
    x = tg.randn(2, 3, requires_grad=True)
    y = x
    for operation in operations:
        if operation == "mul":
            y = y * 2.0
        elif operation == "add_self":
            y = y + y
        elif operation == "sum_keep":
            y = y.sum(dim=1, keepdim=True)
        else:
            y = getattr(y, operation)()
    source = draw_graph(y).source
    assert source.count("fillcolor=lightgrey") == len(operations)
    assert source.count("fillcolor=lightblue") == 1
    assert source.count(" -> ") == len(operations) + 1


# -- a whole model, layer by layer ---------------------------------------------------------

@needs_dot
def test_model_is_drawn_layer_by_layer_with_shapes_and_parameter_counts():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    shapes = svg_of(draw_graph(model, tg.randn(3, 4)))
    assert node_with(shapes, "0 (Linear)")[0] == ["0 (Linear)", "out [3, 8]", "params 40"]
    assert node_with(shapes, "3 (Linear)")[0] == ["3 (Linear)", "out [3, 2]", "params 18"]
    assert node_with(shapes, "input")[0][:2] == ["input", "[3, 4] float32 cpu"]
    assert not any("Backward0" in text for texts, _ in shapes.values() for text in texts)
    assert model.training and all(module.training for module in model.modules())
    assert all(not module._forward_hooks for module in model.modules())


class TokenModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.rnn = nn.GRU(4, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, tokens):
        outputs, _ = self.rnn(self.embed(tokens))  # (B, T, 5)
        return self.head(outputs[:, -1]).relu()


def test_model_with_integer_input_and_functional_ops():
    tg.manual_seed(0)
    source = draw_graph(TokenModel(), tg.randint(0, 10, (2, 6))).source
    ids = {name: line.split()[0] for line in source.splitlines()
           for name in ("input\\n", "embed (Embedding)", "rnn (GRU)", "head (Linear)", "IndexBackward0",
                        "ReluBackward0") if name in line}
    assert len(ids) == 6
    for source_name, target_name in [("input\\n", "embed (Embedding)"), ("embed (Embedding)", "rnn (GRU)"),
                                     ("rnn (GRU)", "IndexBackward0"), ("IndexBackward0", "head (Linear)"),
                                     ("head (Linear)", "ReluBackward0")]:
        assert f"{ids[source_name]} -> {ids[target_name]}" in source
    assert "out [2, 6, 5] [1, 2, 5]" in source and "label=TokenModel" in source


def test_model_with_several_inputs_and_depth():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.left, self.right = nn.Linear(2, 3), nn.Linear(4, 3)
            self.tail = nn.Sequential(nn.Tanh(), nn.Linear(3, 1))

        def forward(self, a, b):
            return self.tail(self.left(a) + self.right(b))

    source = draw_graph(TwoInputs(), (tg.randn(1, 2), tg.randn(1, 4))).source
    assert "input 0\\n[1, 2]" in source and "input 1\\n[1, 4]" in source
    assert "tail.1 (Linear)" in source
    folded = draw_graph(TwoInputs(), (tg.randn(1, 2), tg.randn(1, 4)), depth=1).source
    assert "tail (Sequential)\\nout [1, 1]\\nparams 4" in folded and "tail.1" not in folded


# -- module scopes recorded by nn.Module.__call__ --------------------------------------------

def test_module_call_records_its_scope_and_restores_it():
    model = nn.Sequential(nn.Linear(2, 2))
    out = model(tg.randn(1, 2))
    assert [(name, module) for name, module in out.grad_fn.module_scope] == [("Sequential", model),
                                                                             ("Linear", model[0])]
    assert _grad_mode.module_scope is None

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Failing()(tg.randn(1))
    assert _grad_mode.module_scope is None


# -- big graphs, bad arguments, no Graphviz ------------------------------------------------

def test_huge_graph_raises_with_the_count_and_what_to_do():
    model = nn.Sequential(*[nn.Sequential(nn.Linear(2, 2), nn.Tanh()) for _ in range(30)])
    out = model(tg.randn(1, 2)).sum()
    with pytest.raises(ValueError, match=r"has 122 nodes, more than max_nodes=100\. Pass depth=N .* max_nodes=122"):
        draw_graph(out, max_nodes=100)
    assert draw_graph(out, depth=1, max_nodes=100).source.count("fillcolor=lightyellow") == 30
    assert "AddmmBackward0" in draw_graph(out, max_nodes=122).source


def test_huge_graph_without_modules_or_of_values_suggests_the_limit():
    x = tg.randn(2, requires_grad=True)
    for _ in range(600):
        x = x * 1.0
    with pytest.raises(ValueError, match=r"has 602 nodes, more than max_nodes=500\. Raise the limit: max_nodes=602"):
        draw_graph(x)
    value = Value(1.0)
    for _ in range(600):
        value = value + 1
    with pytest.raises(ValueError, match=r"has 1201 nodes, more than max_nodes=500\. Draw a smaller expression"):
        draw_graph(value)


@pytest.mark.parametrize("call, error, message", [
    (lambda: draw_graph(3.0), TypeError, "draw_graph expects a Value, a Tensor"),
    (lambda: draw_graph(tg.randn(2), tg.randn(2)), TypeError, "inputs are only used when root is an nn.Module"),
    (lambda: draw_graph(nn.Linear(2, 2)), TypeError, r"needs an input to run the model on"),
    (lambda: draw_graph(tg.randn(2), rankdir="UP"), ValueError, "rankdir must be one of 'TB', 'LR', 'BT', 'RL'"),
    (lambda: draw_graph(tg.randn(2), depth=-1), ValueError, "depth must be None or an int >= 0, got -1"),
    (lambda: draw_graph(tg.randn(2), params={"w": 1.0}), TypeError, "params must map names to tensors"),
    (lambda: draw_graph(tg.randn(2), name=3), TypeError, "name must be a str, got int"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_without_dot_the_graph_builds_and_rendering_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(os.environ, "PATH", str(tmp_path))
    graph = draw_graph(micrograd_expression())
    assert isinstance(graph, Graph) and "data 4.0000" in graph.source
    for render in (lambda: graph.render(tmp_path / "expression"), lambda: graph.pipe(format="png"),
                   graph._repr_image_svg_xml):
        with pytest.raises(GraphvizNotFoundError,
                           match=r"apt-get install graphviz.*conda install graphviz.*brew install graphviz"):
            render()
    with pytest.raises(graphviz.ExecutableNotFound):
        graph.render(tmp_path / "expression")


@needs_dot
def test_render_writes_an_svg_file(tmp_path):
    path = draw_graph(mlp_loss()[1]).render(tmp_path / "loss")
    assert path.endswith("loss.svg") and "<svg" in open(path).read()


def svg_title(graph):
    return ElementTree.fromstring(graph.pipe(format="svg", encoding="utf-8")).find(f"{SVG}g/{SVG}title").text


@needs_dot
def test_the_picture_is_titled_with_the_roots_name():
    model, loss = mlp_loss()
    assert svg_title(draw_graph(loss, name="loss", params=model)) == "loss"
    assert svg_title(draw_graph(micrograd_expression())) == "d"  # a Value's label
    assert svg_title(draw_graph(loss, params={"mse": loss})) == "mse"
    assert svg_title(draw_graph(loss)) == "Tensor" and svg_title(draw_graph(Value(1.0))) == "Value"
    assert svg_title(draw_graph(model, tg.randn(2, 3))) == "Sequential"
    assert svg_title(draw_graph(model, tg.randn(2, 3), name="my model")) == "my model"


def test_name_labels_the_output_node():
    model, loss = mlp_loss()
    source = draw_graph(loss, name="loss", params=model).source
    assert source.startswith("digraph loss {") and '\tn0 [label="loss\\n[] float32 ' in source
    assert draw_graph(loss, params=model).source.startswith("digraph Tensor {\n\tgraph")
    first, second = tg.randn(2, requires_grad=True) * 2, tg.randn(2, requires_grad=True) * 3
    assert draw_graph([first, second], name="pair").source.startswith("digraph pair {")


@needs_dot
def test_render_leaves_no_dot_file_unless_asked(tmp_path):
    graph = draw_graph(micrograd_expression())
    assert graph.render(tmp_path / "expression") == str(tmp_path / "expression.svg")
    assert sorted(os.listdir(tmp_path)) == ["expression.svg"]
    graph.render(tmp_path / "kept", cleanup=False)
    assert sorted(os.listdir(tmp_path)) == ["expression.svg", "kept", "kept.svg"]
