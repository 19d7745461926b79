"""``Module.summary``: a Keras-style table of a model's layers, output shapes and parameter counts.

PyTorch has no such method (``print(model)`` lists the layers but not the shapes
that flow between them); Keras users know ``model.summary()``. This one runs the
model on zeros with forward hooks to record what each layer returns.
"""
import tinygrad_edu

_PROBE_BATCHES = (2, 3)


def summary(model, input_size, batch_size=-1, dtypes=None, print_fn=None):
    """Print a table with one row per layer call, then the parameter totals; return None (as Keras).

    ``input_size`` is the shape of one input without the batch dimension, e.g.
    ``(1, 28, 28)``, or a list of such shapes when ``forward`` takes several inputs;
    ``dtypes`` gives their dtypes (default float32; use ``tinygrad_edu.int64`` for token
    ids). The model runs twice on zeros (batches of 2 and 3, under ``no_grad``, in eval
    mode, restored afterwards): each dimension that follows the batch size is shown as
    ``batch_size`` (-1, "any", by default). Rows list, in call order, every leaf module
    (and every module holding parameters of its own) as ``name (Type)`` with its own
    parameter count. The totals count each parameter once; "non-trainable" ones are
    parameters with ``requires_grad=False`` (buffers such as BatchNorm's running mean
    are not parameters and are not counted). ``print_fn`` is called with each line instead
    of ``print`` (Keras' argument): ``lines = []; model.summary((4,), print_fn=lines.append)``
    keeps the text. Returning None keeps Jupyter from showing the table a second time.

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model.summary((4,))
    Model: "Sequential"
    __________________________________________________________________
     Layer (type)                Output Shape              Param #
    ==================================================================
     0 (Linear)                  [-1, 8]                   40
     1 (ReLU)                    [-1, 8]                   0
     2 (Linear)                  [-1, 2]                   18
    ==================================================================
    Total params: 58
    Trainable params: 58
    Non-trainable params: 0
    __________________________________________________________________
    """
    shapes = _as_list_of_shapes(input_size)
    dtypes = _as_list_of_dtypes(dtypes, len(shapes))
    runs = [_record_layers(model, shapes, dtypes, batch) for batch in _PROBE_BATCHES]
    rows = [(label, _shape_text(first, second, batch_size), count)
            for (label, first, count), (_, second, _) in zip(*runs)]
    for line in _format_table(type(model).__name__, rows, list(model.parameters())).split("\n"):
        (print_fn or print)(line)


def _as_list_of_shapes(input_size):
    if all(isinstance(size, int) for size in input_size):
        return [tuple(input_size)]
    return [tuple(shape) for shape in input_size]


def _as_list_of_dtypes(dtypes, count):
    if dtypes is None:
        return [tinygrad_edu.float32] * count
    if not isinstance(dtypes, (list, tuple)):
        return [dtypes] * count
    if len(dtypes) != count:
        raise ValueError(f"summary() got {len(dtypes)} dtypes for {count} inputs")
    return list(dtypes)


def _is_row(module):
    return not module._modules or bool(module._parameters)


def _record_layers(model, shapes, dtypes, batch):
    """Run ``model`` on zeros of batch ``batch``; return ``(label, output, own parameter count)`` per call."""
    device = next((parameter.device for parameter in model.parameters()), None)
    inputs = [tinygrad_edu.zeros((batch,) + shape, dtype=dtype, device=device)
              for shape, dtype in zip(shapes, dtypes)]
    labels = {id(module): f"{name} ({type(module).__name__})" if name else type(module).__name__
              for name, module in model.named_modules()}
    rows = []

    def record(module, args, output):
        count = sum(parameter.numel() for parameter in module.parameters(recurse=False))
        rows.append((labels[id(module)], output, count))

    handles = [module.register_forward_hook(record) for module in model.modules() if _is_row(module)]
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        with tinygrad_edu.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    return rows


def _shape_text(first, second, batch_size):
    """The shape of an output, with the dimensions that changed with the batch shown as ``batch_size``."""
    if isinstance(first, tinygrad_edu.Tensor):
        sizes = [batch_size if size != other else size for size, other in zip(first.shape, second.shape)]
        return "[" + ", ".join(str(size) for size in sizes) + "]"
    if isinstance(first, (tuple, list)):
        return "[" + ", ".join(_shape_text(a, b, batch_size) for a, b in zip(first, second)) + "]"
    return type(first).__name__


def _format_table(model_name, rows, parameters):
    headers = ("Layer (type)", "Output Shape", "Param #")
    cells = [(label, shape, f"{count:,}") for label, shape, count in rows]
    widths = [max([28, len(headers[0]) + 1] + [len(cell[0]) + 2 for cell in cells]),
              max([26] + [len(cell[1]) + 2 for cell in cells]),
              max([11] + [len(cell[2]) for cell in cells])]
    line_length = 1 + sum(widths)

    def row_text(cell):
        return (" " + cell[0].ljust(widths[0]) + cell[1].ljust(widths[1]) + cell[2]).rstrip()

    total = sum(parameter.numel() for parameter in parameters)
    trainable = sum(parameter.numel() for parameter in parameters if parameter.requires_grad)
    lines = [f'Model: "{model_name}"', "_" * line_length, row_text(headers), "=" * line_length]
    lines += [row_text(cell) for cell in cells]
    lines += ["=" * line_length,
              f"Total params: {total:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              "_" * line_length]
    return "\n".join(lines)
