"""draw_graph: a picture of the graph behind a Value, a Tensor or a model.

Both engines record a graph while they compute. ``draw_graph`` walks it from the result
back to the inputs (iteratively, so deep graphs are fine) and describes it as a
``graphviz.Digraph``: Jupyter shows it inline, ``.render()`` writes an SVG, PNG or PDF
file with Graphviz's ``dot`` program, and ``.source`` is the DOT text. Arrows follow
the data, from the inputs to the result.

- A ``Value`` gives micrograd's picture: one record ``{ label | data | grad }`` per
  number, with the operation that made it in a small node in front.
- A ``Tensor`` gives its leaves (blue), the backward node of each operation (grey,
  ``MulBackward0``) and the result (green). Operations run inside an ``nn.Module`` are
  framed by one cluster per module; ``depth`` folds the deeper modules into one box each.
- A model and an input give one box per layer, with its output shape and parameter count.
"""
import math
from collections import namedtuple

import graphviz
import numpy

from tinygrad_edu.function import AccumulateGrad
from tinygrad_edu.graph import _grad_mode, enable_grad, topological_order
from tinygrad_edu.scalar import Value
from tinygrad_edu.tensor import Tensor

__all__ = ["draw_graph", "Graph", "GraphvizNotFoundError"]

INSTALL_GRAPHVIZ = (
    "Rendering a graph needs Graphviz's 'dot' program, which is not on the PATH. Install Graphviz "
    "(the Python package 'graphviz' alone is not enough): Debian/Ubuntu `apt-get install graphviz`, "
    "conda `conda install graphviz`, Homebrew `brew install graphviz`. Building the graph and reading "
    "its .source work without it.")
_RANKDIRS = ("TB", "LR", "BT", "RL")
_TENSOR_NODE_STYLE = {"shape": "box", "style": "filled", "fontsize": "10", "height": "0.2",
                      "fontname": "monospace"}
_LEAF, _OUTPUT, _OP, _BOX = "lightblue", "darkolivegreen1", "lightgrey", "lightyellow"
_NOT_FINITE = {"color": "red", "fontcolor": "red", "penwidth": "2"}
_Options = namedtuple("_Options", "show_values show_grads show_shapes max_nodes")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised when a picture is rendered without Graphviz's ``dot`` program; says how to install it."""

    def __init__(self, cause):
        RuntimeError.__init__(self, f"{INSTALL_GRAPHVIZ} ({cause})")


class Graph(graphviz.Digraph):
    """The ``graphviz.Digraph`` that ``draw_graph`` returns.

    ``render()`` keeps only the picture: ``cleanup=True`` is its default here (graphviz's is False),
    so no DOT source file is left beside the SVG; pass ``cleanup=False`` to keep it. Rendering
    without Graphviz's ``dot`` program says how to install it.
    """

    def render(self, *args, **kwargs):
        if len(args) < 4:  # cleanup is render's fourth parameter
            kwargs.setdefault("cleanup", True)
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotFoundError:
            raise
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError(error) from error

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError(error) from error


def draw_graph(root, inputs=None, *, name=None, params=None, rankdir=None, show_values=True, show_grads=True,
               show_shapes=True, depth=None, max_nodes=500):
    """Draw the graph behind ``root`` and return it as a ``graphviz.Digraph``.

    ``root`` is a ``Value``, a ``Tensor`` (or a list of tensors drawn together), or an
    ``nn.Module`` followed by ``inputs`` (a tensor or a tuple of them). In Jupyter the
    result shows inline; ``.render(name)`` writes ``name.svg`` (``format='png'`` or
    ``'pdf'`` for others) and needs Graphviz's ``dot`` program, leaving no DOT file behind
    (``cleanup=True`` is the default); ``.source`` is the DOT text.

    >>> a, b, c = Value(2.0, label='a'), Value(-3.0, label='b'), Value(10.0, label='c')
    >>> d = a * b + c; d.label = 'd'
    >>> d.backward()
    >>> draw_graph(d).render('expression')          # records { label | data | grad }
    'expression.svg'

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> loss = model(x).pow(2).mean()
    >>> loss.backward()
    >>> picture = draw_graph(loss, name='loss', params=model)  # ops framed by layer; named leaves with grads
    >>> picture = draw_graph(loss, params=model, depth=1)  # each layer folded into one box
    >>> picture = draw_graph(model, x)              # layers only: output shapes, parameter counts

    Options:

    - ``name``: what the result is called: the picture's title (the SVG's ``<title>``) and, for
      one tensor, the first line of its (green) node. By default a Value's label, a tensor's
      name in ``params``, or the model's class name; otherwise the type (``Value``, ``Tensor``).
    - ``params``: a module or ``dict(model.named_parameters())``: names for the leaves
      (add inputs too: ``{'x': x, **dict(model.named_parameters())}``).
    - ``rankdir``: ``'TB'`` (top to bottom, the default for tensors), ``'LR'`` (the
      default for a Value, as micrograd), ``'BT'`` or ``'RL'``.
    - ``show_values``, ``show_grads``, ``show_shapes``: what the labels show. Tensors
      show min/max of their values and the norm, min and max of their gradient (leaves,
      and tensors that called ``retain_grad()``). NaN or Inf values and grads are drawn red.
    - ``depth``: modules nested deeper than ``depth`` levels (0 is the outermost module)
      are drawn as one box each, which keeps big models readable.
    - ``max_nodes``: a bigger graph raises ValueError instead of making an unreadable picture.
    """
    _check_options(name, rankdir, depth)
    options = _Options(show_values, show_grads, show_shapes, max_nodes)
    if isinstance(root, Value):
        return _titled(_draw_values(root, rankdir or "LR", options), name or root.label or "Value")
    if _is_module(root):
        return _titled(_draw_model(root, inputs, rankdir or "TB", options, depth), name or type(root).__name__)
    if inputs is not None:
        raise TypeError("draw_graph(root, inputs): inputs are only used when root is an nn.Module")
    roots = _tensor_roots(root)
    nodes = _walk(roots)
    names = _Names(params, nodes)
    if name is not None and len(roots) == 1:
        names.tensors[id(roots[0])] = name
    title = name or (names.tensors.get(id(roots[0])) if len(roots) == 1 else None) or "Tensor"
    return _titled(_draw_tensors(roots, nodes, names, _fold_deeper_than(depth), rankdir or "TB", options), title)


def _titled(dot, title):
    """``dot`` named ``title``: the first line of its DOT text, and the SVG's ``<title>`` (else ``%3``)."""
    dot.name = str(title)
    return dot


def _check_options(name, rankdir, depth):
    if name is not None and not isinstance(name, str):
        raise TypeError(f"draw_graph: name must be a str, got {type(name).__name__}")
    if rankdir is not None and rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of 'TB', 'LR', 'BT', 'RL', got {rankdir!r}")
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
        raise ValueError(f"draw_graph: depth must be None or an int >= 0, got {depth!r}")


def _check_size(count, max_nodes, hint):
    if max_nodes is not None and count > max_nodes:
        raise ValueError(f"draw_graph: the graph has {count} nodes, more than max_nodes={max_nodes}. {hint}")


def _is_module(thing):
    return hasattr(thing, "named_modules") and hasattr(thing, "named_parameters")


def _tensor_roots(root):
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    if not roots or not all(isinstance(tensor, Tensor) for tensor in roots):
        raise TypeError("draw_graph expects a Value, a Tensor (or a list of tensors), or an nn.Module "
                        f"followed by an input, got {type(root).__name__}")
    return roots


# ---------------------------------------------------------------- the scalar engine
def _draw_values(root, rankdir, options):
    values = topological_order(root, lambda value: value._children)
    _check_size(len(values), options.max_nodes,
                f"Draw a smaller expression, or raise the limit: max_nodes={len(values)}.")
    dot = Graph(format="svg", graph_attr={"rankdir": rankdir})
    ids = {id(value): f"n{number}" for number, value in enumerate(values)}
    for value in values:
        _draw_value(dot, value, ids[id(value)], options)
    for value in values:
        target = ids[id(value)] + ("_op" if value._op else "")
        for child_id in dict.fromkeys(ids[id(child)] for child in value._children):
            dot.edge(child_id, target)
    return dot


def _draw_value(dot, value, node_id, options):
    """One record for ``value`` and, when an operation made it, a node for the operation in front."""
    finite = math.isfinite(value.data) and math.isfinite(value.grad)
    dot.node(node_id, _value_record(value, options), shape="record", **({} if finite else _NOT_FINITE))
    if value._op:
        dot.node(node_id + "_op", _text(value._op))
        dot.edge(node_id + "_op", node_id)


def _value_record(value, options):
    fields = [_record_text(value.label)]
    if options.show_values:
        fields.append(f"data {value.data:.4f}")
    if options.show_grads:
        fields.append(f"grad {value.grad:.4f}")
    return "{ " + " | ".join(fields) + " }"


def _record_text(text):
    """``text`` with the characters a record label treats specially escaped."""
    return "".join("\\" + char if char in '\\{}|<>"' else char for char in str(text))


# ---------------------------------------------------------------- the tensor engine
def _walk(roots):
    """The backward nodes behind ``roots``, each one before the nodes it was computed from."""
    starts = tuple(tensor.grad_fn for tensor in roots if tensor.grad_fn is not None)
    start = object()
    order = topological_order(start, lambda node: starts if node is start else node._next)
    return order[1:]


class _Names:
    """Names of parameters (and other leaves) and dotted paths of modules, where known."""

    def __init__(self, params, nodes):
        self.tensors, self.modules = {}, {}
        if _is_module(params):
            self.add_module(params)
        elif params is not None:
            self.add_tensors(dict(params))
        for scope in _scopes(nodes):
            self.add_module(scope[0][1])

    def add_tensors(self, named_tensors):
        for name, tensor in named_tensors.items():
            if not isinstance(tensor, Tensor):
                raise TypeError("draw_graph: params must map names to tensors, like dict(model.named_parameters()), "
                                f"or be a module; {name!r} is a {type(tensor).__name__}")
            self.tensors[id(tensor)] = name

    def add_module(self, module):
        if id(module) in self.modules:
            return
        for name, submodule in module.named_modules():
            self.modules.setdefault(id(submodule), name)
        for name, parameter in module.named_parameters():
            self.tensors.setdefault(id(parameter), name)

    def of_module(self, entry):
        type_name, module = entry
        name = self.modules.get(id(module))
        return f"{name} ({type_name})" if name else type_name


def _scopes(nodes):
    """The distinct module scopes recorded on ``nodes``, in walk order."""
    scopes = {}
    for node in nodes:
        scope = getattr(node, "module_scope", None)
        if scope:
            scopes.setdefault(_module_ids(scope), scope)
    return list(scopes.values())


def _module_ids(scope):
    return tuple(id(module) for _, module in scope)


def _fold_deeper_than(depth):
    """The fold rule for ``depth``: which scope entry, if any, becomes one box for a node in ``scope``."""
    def fold(scope):
        return depth if depth is not None and len(scope) > depth else None
    return fold


class _Placement:
    """Where each backward node is drawn: as itself, or inside the box of the module that folds it."""

    def __init__(self, nodes, fold):
        self.fold = fold
        self.owners = _parameter_owners(nodes)
        self.keys = {}

    def scope(self, node):
        if isinstance(node, AccumulateGrad):
            return self.owners.get(id(node.variable), ())
        return getattr(node, "module_scope", None) or ()

    def key(self, node):
        if id(node) not in self.keys:
            self.keys[id(node)] = self.key_and_path(node)[0]
        return self.keys[id(node)]

    def key_and_path(self, node):
        """The drawn item's key, and the module path of the clusters around it."""
        scope = self.scope(node)
        folded_at = self.fold(scope)
        if folded_at is None:
            return ("node", id(node)), scope
        return self.box_key(scope[:folded_at + 1]), scope[:folded_at]

    @staticmethod
    def box_key(scope):
        return ("box",) + _module_ids(scope)


def _parameter_owners(nodes):
    """Map id(parameter) to the scope of the module that holds it, for the modules met in ``nodes``."""
    owners, seen = {}, set()
    for scope in _scopes(nodes):
        for index, (_, module) in enumerate(scope):
            if id(module) not in seen:
                seen.add(id(module))
                for _, parameter in module.named_parameters(recurse=False):
                    owners[id(parameter)] = scope[:index + 1]
    return owners


_Item = namedtuple("_Item", "kind subject path absorbed")  # absorbed: the nodes a box stands for


def _draw_tensors(roots, nodes, names, fold, rankdir, options, layer_calls=None):
    placement = _Placement(nodes, fold)
    items, edges = _items_and_edges(roots, nodes, placement)
    if layer_calls is not None:
        layer_calls.add_untracked_inputs(items, edges, placement)
    in_modules = any(item.path or item.kind == "box" for item in items.values())
    _check_size(len(items), options.max_nodes, _size_hint(len(items), in_modules))
    labels = _Labels(names, options, layer_calls.shapes if layer_calls else {}, roots)
    dot = Graph(format="svg", graph_attr={"rankdir": rankdir}, node_attr=_TENSOR_NODE_STYLE)
    ids = {key: f"n{number}" for number, key in enumerate(items)}
    _emit_clusters(dot, items, ids, labels)
    for source, target in edges:
        dot.edge(ids[source], ids[target])
    return dot


def _size_hint(count, in_modules):
    fold = ("Pass depth=N to draw the nn.Modules nested deeper than N levels as one box each "
            "(depth=0 folds the outermost module), or raise" if in_modules else "Raise")
    return f"{fold} the limit: max_nodes={count}."


def _items_and_edges(roots, nodes, placement):
    """The drawn items (key -> _Item, in walk order) and the arrows between them (key pairs)."""
    items, edges = {}, {}
    for number, tensor in enumerate(roots):
        items[("output", number)] = _Item("output", tensor, (), None)
        if tensor.grad_fn is not None:
            edges[(placement.key(tensor.grad_fn), ("output", number))] = True
    for node in nodes:
        key, path = placement.key_and_path(node)
        placement.keys[id(node)] = key
        if key not in items:
            kind = "box" if key[0] == "box" else ("leaf" if isinstance(node, AccumulateGrad) else "op")
            subject = placement.scope(node)[:len(path) + 1] if kind == "box" else node
            items[key] = _Item(kind, subject, path, [])
        if items[key].kind == "box":
            items[key].absorbed.append(node)
        for parent in node._next:
            if parent is not None:
                parent_key = placement.key(parent)
                if parent_key != key:
                    edges[(parent_key, key)] = True
    return items, list(edges)


def _emit_clusters(dot, items, ids, labels):
    """Write the items, each inside one nested ``subgraph cluster_N`` per module around it."""
    members, children, entries = {(): []}, {(): []}, {}
    for key, item in items.items():
        for length in range(1, len(item.path) + 1):
            cluster, parent = _module_ids(item.path[:length]), _module_ids(item.path[:length - 1])
            if cluster not in members:
                members[cluster], children[cluster], entries[cluster] = [], [], item.path[length - 1]
                children[parent].append(cluster)
        members[_module_ids(item.path)].append(key)
    numbers = {cluster: number for number, cluster in enumerate(entries)}

    def emit(graph, cluster):
        for key in members[cluster]:
            graph.node(ids[key], **labels.of(items[key]))
        for child in children[cluster]:
            with graph.subgraph(name=f"cluster_{numbers[child]}") as subgraph:
                subgraph.attr(label=_text(labels.names.of_module(entries[child])), style="rounded",
                              color="gray50", fontsize="10", fontname="monospace")
                emit(subgraph, child)
    emit(dot, ())


class _Labels:
    """Label text and colours of each kind of drawn item."""

    def __init__(self, names, options, shapes, roots):
        self.names, self.options, self.shapes = names, options, shapes
        self.roots = {id(root) for root in roots}  # drawn as tensors, their grads shown there

    def of(self, item):
        return getattr(self, "_" + item.kind)(item)

    def _output(self, item):
        return self._tensor(item.subject, _OUTPUT)

    def _input(self, item):
        return self._tensor(item.subject, _LEAF)

    def _leaf(self, item):
        return self._tensor(item.subject.variable, _LEAF)

    def _tensor(self, tensor, fill):
        lines, finite = [], _is_finite(tensor)
        name = self.names.tensors.get(id(tensor))
        if name:
            lines.append(name)
        if self.options.show_shapes:
            lines.append(f"{_shape(tensor.shape)} {tensor.dtype.name} {tensor.device}")
        if self.options.show_values:
            lines.append(_values_line(_host(tensor)))
        if self.options.show_grads and tensor.grad is not None:
            lines.append(_grad_line(_host(tensor.grad)))
            finite = finite and _is_finite(tensor.grad)
        return _node(lines, fill, finite)

    def _op(self, item):
        node = item.subject
        lines, finite = [node.name()], True
        info = getattr(node, "output_info", None)
        if self.options.show_shapes and info is not None:
            lines.append(f"{_shape(info[0])} {info[1].name}")
        retained = node._retained() if getattr(node, "_retained", None) is not None else None
        if retained is not None and id(retained) in self.roots:
            retained = None
        if self.options.show_grads and retained is not None and retained.grad is not None:
            lines.append(_grad_line(_host(retained.grad)))
            finite = _is_finite(retained.grad)
        return _node(lines, _OP, finite)

    def _box(self, item):
        module = item.subject[-1][1]
        lines = [self.names.of_module(item.subject[-1])]
        shape = self.shapes.get(id(module)) or _first_output_shape(item.absorbed)
        if self.options.show_shapes and shape:
            lines.append(f"out {shape}")
        lines.append(f"params {sum(parameter.numel() for parameter in module.parameters()):,}")
        finite = all(_is_finite(node.variable) and _is_finite(node.variable.grad)
                     for node in item.absorbed if isinstance(node, AccumulateGrad))
        attributes = _node(lines, _BOX, finite)
        attributes["style"] = "filled,rounded"
        return attributes


def _node(lines, fill, finite):
    attributes = {"label": "\\n".join(_text(line) for line in lines), "fillcolor": fill}
    if not finite:
        attributes.update(_NOT_FINITE)
    return attributes


def _first_output_shape(nodes):
    for node in nodes:
        info = getattr(node, "output_info", None)
        if info is not None:
            return _shape(info[0])
    return None


def _text(text):
    """``text`` with backslashes kept literal (graphviz reads ``\\n`` in labels as a line break)."""
    return str(text).replace("\\", "\\\\")


def _shape(shape):
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _host(tensor):
    return numpy.asarray(tensor.numpy(force=True))


def _is_finite(tensor):
    return tensor is None or bool(numpy.isfinite(_host(tensor)).all())


def _number(number):
    return f"{float(number):.4g}"


def _values_line(array):
    if array.size == 0:
        return "empty"
    if array.size == 1:
        return f"value {_number(array.reshape(-1)[0])}"
    with numpy.errstate(all="ignore"):
        return f"values min {_number(array.min())} max {_number(array.max())}"


def _grad_line(array):
    if array.size == 0:
        return "grad empty"
    with numpy.errstate(all="ignore"):
        norm = numpy.sqrt(numpy.sum(numpy.square(array, dtype=numpy.float64)))
        return f"grad norm {_number(norm)} min {_number(array.min())} max {_number(array.max())}"


# ---------------------------------------------------------------- a model at layer level
def _draw_model(model, inputs, rankdir, options, depth):
    """Run ``model`` on ``inputs`` (in eval mode, restored after) and draw its layers as boxes."""
    if inputs is None:
        raise TypeError("draw_graph(model, inputs) needs an input to run the model on, "
                        "e.g. draw_graph(model, tinygrad_edu.randn(1, 4))")
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    tracked = tuple(_tracked(value) for value in inputs)
    with _LayerCalls(model, tracked) as layer_calls, enable_grad():
        roots = _tensors_in(model(*tracked))
    nodes = _walk(roots)
    names = _Names(model, nodes)
    for number, value in enumerate(tracked):
        if isinstance(value, Tensor):
            names.tensors[id(value)] = "input" if len(tracked) == 1 else f"input {number}"
    return _draw_tensors(roots, nodes, names, _fold_at_layers(depth), rankdir, options, layer_calls)


def _tracked(value):
    """A floating-point input as a fresh leaf that requires grad, so the graph links every layer to it."""
    if isinstance(value, Tensor) and value.is_floating_point():
        return value.detach().requires_grad_()
    return value


def _tensors_in(output):
    """The tensors in a model's output: a tensor, or tensors nested in tuples, lists and dicts."""
    found, pending = [], [output]
    while pending:
        value = pending.pop()
        if isinstance(value, Tensor):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            pending.extend(reversed(value))
        elif isinstance(value, dict):
            pending.extend(reversed(list(value.values())))
    return found


def _is_layer(module):
    """A module drawn as one box: it has no submodules, or it holds parameters of its own."""
    has_children = next(iter(module.children()), None) is not None
    return not has_children or next(iter(module.named_parameters(recurse=False)), None) is not None


def _fold_at_layers(depth):
    by_depth = _fold_deeper_than(depth)

    def fold(scope):
        deeper = by_depth(scope)
        for index, (_, module) in enumerate(scope):
            if _is_layer(module):
                return index if deeper is None else min(index, deeper)
        return deeper
    return fold


class _LayerCalls:
    """Forward hooks on every layer: the output shape of each, and which took an untracked input."""

    def __init__(self, model, inputs):
        self.model, self.shapes, self.input_uses = model, {}, []
        self.untracked = [(number, value) for number, value in enumerate(inputs)
                          if isinstance(value, Tensor) and not value.requires_grad]

    def __enter__(self):
        modules = list(self.model.modules())
        self.modes = [(module, module.training) for module in modules]
        self.handles = [module.register_forward_hook(self._record) for module in modules if _is_layer(module)]
        self.model.eval()
        return self

    def __exit__(self, *exc_info):
        for handle in self.handles:
            handle.remove()
        for module, training in self.modes:
            module.training = training
        return False

    def _record(self, module, args, output):
        shapes = [_shape(tensor.shape) for tensor in _tensors_in(output)]
        self.shapes[id(module)] = " ".join(shapes)
        for number, value in self.untracked:
            if any(arg is value for arg in args):
                self.input_uses.append((number, _grad_mode.module_scope))

    def add_untracked_inputs(self, items, edges, placement):
        """Draw the inputs that carry no gradient (token ids...) with arrows into the layers that read them."""
        for number, value in self.untracked:
            items[("input", number)] = _Item("input", value, (), None)
        for number, scope in self.input_uses:
            target = placement.box_key(scope[:placement.fold(scope) + 1])
            if target in items and (("input", number), target) not in edges:
                edges.append((("input", number), target))
