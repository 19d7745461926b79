"""``repr(tensor)`` in torch's format: aligned columns, 4 decimals, scientific when needed.

``set_printoptions`` changes the format as ``torch.set_printoptions`` does:

>>> tinygrad_edu.set_printoptions(precision=2)
>>> tinygrad_edu.tensor([1.12345])
tensor([1.12])
>>> tinygrad_edu.set_printoptions(profile="default")
"""
import contextlib
import dataclasses
import math

import numpy

from tinygrad_edu import dtypes

PREFIX = "tensor("


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrintOptions()
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``.

    precision: digits after the point (4); threshold: more elements than this are summarised
    with ``...`` (1000); edgeitems: items kept at each end of a summarised dimension (3);
    linewidth: characters per line (80); profile: ``"default"``, ``"short"`` or ``"full"``
    (never summarise), overridden by the other arguments; sci_mode: True or False forces
    scientific notation on or off, None (the default, reset by every call) chooses.

    >>> tinygrad_edu.set_printoptions(threshold=5)
    >>> tinygrad_edu.arange(10)
    tensor([0, 1, 2,  ..., 7, 8, 9])
    """
    if profile is not None:
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    for name, value in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                            linewidth=linewidth).items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as a dict that ``set_printoptions(**options)`` accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**options):
    """Print with other options inside a ``with`` block: ``with printoptions(precision=2): ...``."""
    saved = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Chooses one format for every element, as torch's ``_Formatter`` does."""

    def __init__(self, values, floating):
        self.floating, self.int_mode, self.sci_mode, self.max_width = floating, True, False, 1
        if not floating:
            self.max_width = max((len(_plain(v)) for v in values), default=1)
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:
            return
        magnitudes = [abs(v) for v in finite]
        low, high = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        else:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        self.max_width = max(len(self._float_text(v)) for v in finite)

    def _float_text(self, value):
        if self.sci_mode:
            return f"{value:.{PRINT_OPTS.precision}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{PRINT_OPTS.precision}f}"

    def format(self, value):
        text = self._float_text(value) if self.floating else _plain(value)
        return " " * (self.max_width - len(text)) + text


def _plain(value):
    return str(bool(value)) if isinstance(value, (bool, numpy.bool_)) else str(value)


def _edges(array):
    """The first and last ``edgeitems`` of the leading dimension, when there are more than both."""
    edge = PRINT_OPTS.edgeitems
    if array.shape[0] <= 2 * edge:
        return array
    return numpy.concatenate([array[:edge], array[array.shape[0] - edge:]])


def _summarized(array, summarize):
    """The values a summarised print shows: those at the edges of every dimension."""
    if not summarize or array.ndim == 0:
        return array
    if array.ndim == 1:
        return _edges(array)
    if not PRINT_OPTS.edgeitems:
        return array[:0]
    return numpy.concatenate([_summarized(row, summarize).ravel() for row in _edges(array)])


def _body(array, formatter, indent, summarize):
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        if summarize and not edge:
            items = ["..."]
        elif summarize and array.shape[0] > 2 * edge:
            items = ([formatter.format(v) for v in array[:edge].tolist()] + [" ..."]
                     + [formatter.format(v) for v in array[array.shape[0] - edge:].tolist()])
        else:
            items = [formatter.format(v) for v in array.tolist()]
        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (formatter.max_width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(array.shape[0]))
    if summarize and len(rows) > 2 * edge:
        rows = rows[:edge] + [None] + rows[len(rows) - edge:]
    parts = ["..." if row is None else _body(array[row], formatter, indent + 1, summarize) for row in rows]
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def array_text(array, indent=len(PREFIX)):
    """The bracketed text of an array, aligned as torch aligns it."""
    summarize = array.size > PRINT_OPTS.threshold
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
    default_float = dtypes.get_default_dtype()
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if tensor.dtype is not default_float:
            suffixes.append(f"dtype={tensor.dtype!r}")
    else:
        body = array_text(array, len(prefix))
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if tensor.dtype not in (default_float, dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={tensor.dtype!r}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    line_length = len(text) - text.rfind("\n") + 1     # torch's count, two more than the last line's length
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * len(prefix) + suffix
            line_length = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            line_length += len(suffix) + 2
    return text + ")"
