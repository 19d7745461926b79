"""``repr(tensor)`` in torch's format: aligned columns, 4 decimals, scientific when needed."""
import math

import numpy

LINE_WIDTH = 80
SUMMARY_THRESHOLD = 1000
EDGE_ITEMS = 3
PREFIX = "tensor("
_DEFAULT_DTYPES = ("float32", "int64", "bool")


class _Formatter:
    """Chooses one format for every element, as torch's ``_Formatter`` does."""

    def __init__(self, values, floating):
        self.floating, self.int_mode, self.sci_mode, self.max_width = floating, True, False, 1
        if not floating:
            self.max_width = max((len(_plain(v)) for v in values), default=1)
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:
            self.max_width = max((len(self._float_text(v)) for v in values), default=1)
            return
        magnitudes = [abs(v) for v in finite]
        low, high = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        if self.int_mode:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8
        else:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        self.max_width = max(len(self._float_text(v)) for v in finite)
        if any(not math.isfinite(v) for v in values):
            self.max_width = max(self.max_width, max(len(self._float_text(v)) for v in values if not math.isfinite(v)))

    def _float_text(self, value):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if self.sci_mode:
            return f"{value:.4e}"
        if self.int_mode:
            return f"{value:.0f}."
        return f"{value:.4f}"

    def format(self, value):
        text = self._float_text(value) if self.floating else _plain(value)
        return " " * (self.max_width - len(text)) + text


def _plain(value):
    return str(bool(value)) if isinstance(value, (bool, numpy.bool_)) else str(value)


def _summarized(array, summarize):
    if not summarize or array.ndim == 0:
        return array
    parts = []
    if array.ndim == 1:
        return array if array.shape[0] <= 2 * EDGE_ITEMS else numpy.concatenate([array[:EDGE_ITEMS], array[-EDGE_ITEMS:]])
    rows = array if array.shape[0] <= 2 * EDGE_ITEMS else numpy.concatenate([array[:EDGE_ITEMS], array[-EDGE_ITEMS:]])
    for row in rows:
        parts.append(_summarized(row, summarize).ravel())
    return numpy.concatenate(parts)


def _body(array, formatter, indent, summarize):
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        items = [formatter.format(v) for v in array.tolist()]
        if summarize and len(items) > 2 * EDGE_ITEMS:
            items = items[:EDGE_ITEMS] + [" ..."] + items[-EDGE_ITEMS:]
        per_line = max(1, math.floor((LINE_WIDTH - indent) / (formatter.max_width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(array.shape[0]))
    if summarize and len(rows) > 2 * EDGE_ITEMS:
        rows = rows[:EDGE_ITEMS] + [None] + rows[-EDGE_ITEMS:]
    parts = ["..." if row is None else _body(array[row], formatter, indent + 1, summarize) for row in rows]
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def array_text(array, indent=len(PREFIX)):
    """The bracketed text of an array, aligned as torch aligns it."""
    summarize = array.size > SUMMARY_THRESHOLD
    shown = _summarized(array, summarize)
    floating = array.dtype.kind == "f"
    formatter = _Formatter(shown.astype(numpy.float64).ravel().tolist() if floating else shown.ravel().tolist(), floating)
    return _body(array, formatter, indent, summarize)


def tensor_repr(tensor, prefix=PREFIX):
    """The whole ``tensor(...)`` text with its device, dtype and autograd suffixes."""
    array = tensor._host_array()
    suffixes = []
    if tensor.device.type != "cpu":
        suffixes.append(f"device='{tensor.device}'")
    if array.size == 0 and array.ndim != 1:
        body = "[]"
        suffixes.append(f"size=({', '.join(map(str, array.shape))}{',' if array.ndim == 1 else ''})")
    else:
        body = array_text(array, len(prefix))
    if tensor.dtype.name not in _DEFAULT_DTYPES or (array.size == 0 and tensor.dtype.name != "float32"):
        suffixes.append(f"dtype={tensor.dtype!r}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    for suffix in suffixes:
        separator = ",\n" + " " * len(prefix) if len(text.split("\n")[-1]) + len(suffix) + 2 > LINE_WIDTH else ", "
        text += separator + suffix
    return text + ")"
