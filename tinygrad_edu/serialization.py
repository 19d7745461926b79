"""Save and load tensors, as ``torch.save`` / ``torch.load``, in the safetensors format.

    >>> tinygrad_edu.save(model.state_dict(), "model.safetensors")
    >>> model.load_state_dict(tinygrad_edu.load("model.safetensors"))

The file format (https://github.com/huggingface/safetensors), written here by hand:

    8 bytes      N, the header length, unsigned little-endian
    N bytes      a JSON header: {"name": {"dtype": "F32", "shape": [2, 3],
                                          "data_offsets": [begin, end]}, ...,
                                 "__metadata__": {"key": "text", ...}}
    the rest     the tensors' raw little-endian bytes; data_offsets count from here

A file holds only numbers and text, never code: loading an untrusted file cannot run
anything (torch's pickle files can). A state_dict (names to tensors) is stored as is,
so these files load with ``safetensors.torch.load_file`` and files written by
``safetensors.torch.save_file`` load here. Anything else built of dicts, lists,
tuples, tensors, NumPy arrays, numbers, strings, bools and None (an optimizer's
state_dict, a checkpoint dict with the epoch number) is stored with its tensors and
arrays in the body, named by their path (``state.0.exp_avg``), and the rest of the
structure as JSON in the metadata entry ``tinygrad_edu.structure``. A NumPy array
loads back as a NumPy array (as ``torch.load(..., weights_only=False)`` gives it;
torch's default ``weights_only=True`` refuses arrays). Objects such as a whole model
are refused with a TypeError that says to save their ``state_dict()`` instead.

Saving to a path writes a temporary file in the same folder, syncs it to disk and
renames it over the target in one step: a save that fails midway (a full disk) leaves
the previous file whole. Loading refuses every file the safetensors library refuses,
with a message naming the file and the tensor: the tensors' data must fill the data
section exactly, in order, each range as long as its dtype and shape need.

Differences from torch: the file is safetensors, not a pickle; ``requires_grad`` is
not stored (loaded tensors are plain leaves); bfloat16 tensors load as float32;
tensors of the library's U16, U32, U64 and 8-bit float dtypes are refused.
"""
import contextlib
import json
import math
import os
import re
import secrets
import stat

import numpy

import tinygrad_edu
from tinygrad_edu import Tensor

STRUCTURE_KEY = "tinygrad_edu.structure"
_NUMPY_BY_SAFETENSORS = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
                         "F16": "<f2", "F32": "<f4", "F64": "<f8", "BF16": "<u2"}
_SAFETENSORS_BY_NUMPY = {numpy.dtype(code).newbyteorder("="): name
                         for name, code in _NUMPY_BY_SAFETENSORS.items() if name != "BF16"}
_MARKERS = ("__tensor__", "__ndarray__", "__tuple__", "__dict_items__")
MAX_HEADER_BYTES = 100_000_000  # the largest header the safetensors library reads
MAX_HEADER_DEPTH = 127  # the deepest JSON nesting it reads
_LARGEST_COUNT = 2 ** 64 - 1  # sizes and offsets are 64-bit unsigned there


# -- save --

def save(obj, f):
    """Write ``obj`` (a state_dict, or any nest of dicts/lists/tuples holding tensors
    and plain values) to ``f``, a path or a binary file object.

    >>> tinygrad_edu.save({"weight": tinygrad_edu.ones(2, 3)}, "weights.safetensors")
    >>> tinygrad_edu.save(optimizer.state_dict(), "optimizer.safetensors")
    """
    if _is_state_dict(obj):
        tensors, metadata = dict(obj), None
    else:
        tensors = {}
        metadata = {STRUCTURE_KEY: json.dumps(_encode(obj, "", tensors))}
    arrays = {name: _array_to_write(name, tensor) for name, tensor in tensors.items()}
    header = _header(arrays, metadata)
    if isinstance(f, (str, os.PathLike)):
        _write_atomically(f, header, arrays)
    else:
        _write(f, header, arrays)


def _is_state_dict(obj):
    return (isinstance(obj, dict) and "__metadata__" not in obj and all(isinstance(key, str) for key in obj)
            and all(isinstance(value, Tensor) for value in obj.values()))


def _encode(value, path, tensors):
    """``value`` as JSON-ready data; each tensor goes into ``tensors`` and leaves a reference."""
    if isinstance(value, Tensor):
        name = _unique_name(path or "tensor", tensors)
        tensors[name] = value
        return {"__tensor__": name}
    if isinstance(value, numpy.ndarray):
        name = _unique_name(path or "array", tensors)
        tensors[name] = _tensor_of_array(value, path)
        return {"__ndarray__": name}
    if isinstance(value, numpy.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_encode(item, _join(path, index), tensors) for index, item in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        looks_like_a_marker = len(value) == 1 and next(iter(value)) in _MARKERS
        if all(isinstance(key, str) for key in value) and not looks_like_a_marker:
            return {key: _encode(item, _join(path, key), tensors) for key, item in value.items()}
        return {"__dict_items__": [[_encode_key(key, path), _encode(item, _join(path, key), tensors)]
                                   for key, item in value.items()]}
    where = f" (at '{path}')" if path else ""
    raise TypeError(f"save: cannot store a {type(value).__name__}{where}: only tensors, numbers, strings, bools, "
                    "None, and dicts, lists and tuples of them can be saved, and NumPy arrays (no pickle). "
                    + _what_to_save_instead(value))


def _what_to_save_instead(value):
    if hasattr(value, "state_dict") and hasattr(value, "load_state_dict"):
        return ("Save its state_dict() instead: tinygrad_edu.save(obj.state_dict(), path), and restore it into a "
                "new object with obj.load_state_dict(tinygrad_edu.load(path)); a checkpoint is a dict such as "
                "{'epoch': 3, 'model': model.state_dict(), 'optimizer': optimizer.state_dict()}")
    if isinstance(value, (set, frozenset)):
        return "Save it as a list (sorted(...)) instead"
    return "Save the numbers or tensors it holds instead (a dict of them keeps their names)"


def _tensor_of_array(array, path):
    try:
        return tinygrad_edu.from_numpy(array.astype(array.dtype.newbyteorder("="), order="C", copy=False))
    except TypeError:
        where = f" (at '{path}')" if path else ""
        raise TypeError(f"save: cannot store a NumPy array of dtype {array.dtype}{where}: "
                        "only bool, uint8, int8, int16, int32, int64, float16, float32 and float64 arrays "
                        "can be saved") from None


def _encode_key(key, path):
    if isinstance(key, Tensor):
        raise TypeError(f"save: cannot store a dict with tensor keys (at '{path}')")
    return _encode(key, path, {})


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _unique_name(name, taken):
    candidate, count = name, 1
    while candidate in taken or candidate == "__metadata__":
        candidate, count = f"{name}#{count}", count + 1
    return candidate


def _array_to_write(name, tensor):
    array = tensor.detach().to("cpu").numpy()
    if array.dtype not in _SAFETENSORS_BY_NUMPY:
        raise TypeError(f"save: tensor '{name}' has dtype {array.dtype}, which safetensors files here cannot hold")
    return array.astype(array.dtype.newbyteorder("<"), copy=False)


def _header(arrays, metadata):
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, array in arrays.items():
        header[name] = {"dtype": _SAFETENSORS_BY_NUMPY[array.dtype.newbyteorder("=")],
                        "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return text + b" " * (-len(text) % 8)


def _write(file, header, arrays):
    file.write(len(header).to_bytes(8, "little"))
    file.write(header)
    for array in arrays.values():
        file.write(array.tobytes())


def _write_atomically(path, header, arrays):
    """Write a temporary file next to ``path``, sync it to disk, then rename it over ``path`` in one step:
    a save that fails midway (a full disk) leaves the previous file as it was, and no temporary file.
    What is not a regular file (/dev/null, a pipe) is written in place."""
    path = os.path.realpath(path)
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as file:
            return _write(file, header, arrays)
    temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(descriptor, "wb") as file:
            _write(file, header, arrays)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(os.path.dirname(path))


def _sync_folder(folder):
    """Make the rename itself durable (POSIX; elsewhere a folder cannot be opened)."""
    if hasattr(os, "O_DIRECTORY"):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# -- load --

def load(f, map_location=None, weights_only=True):
    """Read what ``save`` wrote (or any safetensors file) from ``f``, a path or a binary file object.

    Returns the saved structure: for a plain safetensors file, a dict of tensors in
    file order. ``map_location`` ('cpu', 'cuda', a device) moves every tensor there;
    ``weights_only`` is accepted for torch compatibility (loading never runs code).

    >>> state = tinygrad_edu.load("model.safetensors")
    >>> model.load_state_dict(state)
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            data = file.read()
    else:
        data = f.read()
    header, body = _split_header(data, name)
    metadata = _metadata(header, name)
    entries = _entries(header, name)
    _check_data_is_tiled(entries, len(body), name)
    tensors = {key: _tensor_from(key, entry, body, name, map_location) for key, entry in entries}
    if STRUCTURE_KEY not in metadata:
        return tensors
    try:
        structure = json.loads(metadata[STRUCTURE_KEY])
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"load: {name}: the metadata '{STRUCTURE_KEY}' is not valid JSON ({error})") from None
    return _decode(structure, tensors, name)


def _split_header(data, name):
    if data[:4] == b"PK\x03\x04":
        raise ValueError(f"load: {name} is a zip file, as torch.save writes; tinygrad_edu reads only safetensors "
                         "files. Convert it with torch: safetensors.torch.save_file(torch.load(path), new_path)")
    if len(data) < 8:
        raise ValueError(f"load: {name} is not a safetensors file: it is {len(data)} bytes long, "
                         "shorter than the 8-byte header length that starts one (truncated?)")
    header_length = int.from_bytes(data[:8], "little")
    if header_length > MAX_HEADER_BYTES:
        raise ValueError(f"load: {name}: the header length says {header_length} bytes, more than the "
                         f"{MAX_HEADER_BYTES} bytes a safetensors header may hold; the file is damaged or not a "
                         "safetensors file")
    if header_length > len(data) - 8:
        raise ValueError(f"load: {name}: the header length says {header_length} bytes, but only "
                         f"{len(data) - 8} bytes follow; the file is truncated or not a safetensors file")
    return _parse_header(data[8:8 + header_length], name), memoryview(data)[8 + header_length:]


# The header is read as strictly as the safetensors library reads it (serde_json), where Python's json is
# lenient: NaN and Infinity, numbers out of a float's range, -0 or integers beyond 64 bits as integers,
# lone surrogates (\ud800), nesting deeper than 127, and a field of a tensor's entry given twice.

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _parse_header(raw, name):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"load: {name}: the header is not valid UTF-8 ({error}); "
                         "the file is damaged or not a safetensors file") from None
    try:
        header = json.loads(text, object_pairs_hook=_JSONObject.from_pairs, parse_int=_json_int,
                            parse_float=_json_float, parse_constant=_refuse_json_constant)
    except ValueError as error:
        raise ValueError(f"load: {name}: the header is not valid JSON ({error}); "
                         "the file is damaged or not a safetensors file") from None
    except RecursionError:
        raise ValueError(f"load: {name}: the header nests more than {MAX_HEADER_DEPTH} levels deep, "
                         "deeper than safetensors reads; the file is damaged") from None
    if not isinstance(header, dict):
        raise ValueError(f"load: {name}: the header should be a JSON object, got {type(header).__name__}")
    _check_depth(header, name)
    if _SURROGATE_ESCAPE.search(text):
        _check_unicode(header, name)
    if "__metadata__" in header.repeated:
        raise ValueError(f"load: {name}: the header has '__metadata__' twice")
    return header


class _JSONObject(dict):
    """A JSON object that remembers the keys it held more than once (the last value is kept)."""
    repeated = frozenset()

    @classmethod
    def from_pairs(cls, pairs):
        obj = cls(pairs)
        if len(obj) < len(pairs):
            keys = [key for key, _ in pairs]
            obj.repeated = frozenset(key for key in keys if keys.count(key) > 1)
        return obj


def _json_int(text):
    value = int(text)
    if (value == 0 and text.startswith("-")) or not -2 ** 63 <= value <= _LARGEST_COUNT:
        return _json_float(text)
    return value


def _json_float(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _refuse_json_constant(text):
    raise ValueError(f"{text} is not a JSON value")


def _check_depth(header, name):
    """Refuse nesting deeper than safetensors reads (Python's json reads on to its recursion limit)."""
    level, depth = [header], 1
    while level:
        if depth > MAX_HEADER_DEPTH:
            raise ValueError(f"load: {name}: the header nests {depth} levels deep, deeper than the "
                             f"{MAX_HEADER_DEPTH} safetensors reads; the file is damaged")
        level = [child for value in level for child in (value.values() if isinstance(value, dict) else value)
                 if isinstance(child, (dict, list))]
        depth += 1


def _check_unicode(header, name):
    """Refuse a lone surrogate escape (\\ud800 without its pair): Python's json reads it, it is no character."""
    try:
        json.dumps(header, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        near = error.object[max(error.start - 20, 0):error.end + 20]
        raise ValueError(f"load: {name}: the header holds a lone surrogate escape, which is not valid Unicode "
                         f"(near {near!r})") from None


def _metadata(header, name):
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        return {}
    if not (isinstance(metadata, dict) and all(isinstance(value, str) for value in metadata.values())):
        raise ValueError(f"load: {name}: '__metadata__' should be a JSON object of strings")
    return metadata


def _entries(header, name):
    """The header's tensor entries, checked, in the order of their data (as safetensors sorts them: by
    data_offsets; the order they were saved in)."""
    for key, entry in header.items():
        _check_entry(key, entry, name)
    return sorted(header.items(), key=lambda item: item[1]["data_offsets"])


def _check_entry(key, entry, name):
    if not (isinstance(entry, dict) and {"dtype", "shape", "data_offsets"} <= entry.keys()):
        raise ValueError(f"load: {name}: the header entry of tensor '{key}' should hold "
                         f"'dtype', 'shape' and 'data_offsets', got {entry!r}")
    for field in sorted(entry.repeated & {"dtype", "shape", "data_offsets"}):
        raise ValueError(f"load: {name}: tensor '{key}' has the field '{field}' twice in the header")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not (isinstance(dtype, str) and dtype in _NUMPY_BY_SAFETENSORS):
        raise ValueError(f"load: {name}: tensor '{key}' has dtype {dtype!r}; "
                         f"expected one of {', '.join(_NUMPY_BY_SAFETENSORS)}")
    if not (isinstance(shape, list) and all(_is_count(size) for size in shape)):
        raise ValueError(f"load: {name}: tensor '{key}' has shape {shape!r}; expected a list of sizes")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(offset) for offset in offsets)):
        raise ValueError(f"load: {name}: tensor '{key}' has data_offsets {offsets!r}; expected [begin, end]")


def _check_data_is_tiled(entries, data_length, name):
    """The tensors' byte ranges must fill the data section exactly, each starting where the one before ends,
    as safetensors requires: a hole, an overlap or bytes left over mean the header does not describe the
    data (a wrong header length shifts every value by a byte; overlapping tensors read each other's bytes)."""
    position, previous = 0, None
    for key, entry in entries:
        begin, end = entry["data_offsets"]
        if end < begin:
            raise ValueError(f"load: {name}: tensor '{key}' has data_offsets [{begin}, {end}], "
                             "which end before they begin")
        if begin > position:
            raise ValueError(f"load: {name}: tensor '{key}' has data_offsets [{begin}, {end}], leaving bytes "
                             f"{position} to {begin} of the data unused; the file is damaged")
        if begin < position:
            raise ValueError(f"load: {name}: tensor '{key}' has data_offsets [{begin}, {end}], overlapping the "
                             f"bytes of tensor '{previous}' (up to {position}); the file is damaged")
        if end > data_length:
            raise ValueError(f"load: {name}: tensor '{key}' has data_offsets [{begin}, {end}] beyond the end of "
                             f"the data ({data_length} bytes); the file is truncated or damaged")
        expected = _byte_count(key, entry, name)
        if end - begin != expected:
            raise ValueError(f"load: {name}: tensor '{key}' of dtype {entry['dtype']} and shape {entry['shape']} "
                             f"needs {expected} bytes, but its data_offsets [{begin}, {end}] span {end - begin}")
        position, previous = end, key
    if position != data_length:
        left = data_length - position
        raise ValueError(f"load: {name}: {left} byte{'s' if left > 1 else ''} after the last tensor's data; "
                         "the header length or the data_offsets are wrong (the data must fill the file exactly)")


def _byte_count(key, entry, name):
    """dtype x shape in bytes, refused where safetensors' 64-bit count overflows (even before a zero size)."""
    count, shape = 1, entry["shape"]
    for size in shape:
        count *= size
        if count > _LARGEST_COUNT:
            break
    itemsize = numpy.dtype(_NUMPY_BY_SAFETENSORS[entry["dtype"]]).itemsize
    if count * itemsize * 8 > _LARGEST_COUNT:
        raise ValueError(f"load: {name}: tensor '{key}' has shape {shape}, too large: its size overflows 64 bits")
    return count * itemsize


def _tensor_from(key, entry, body, name, map_location):
    dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
    element = numpy.dtype(_NUMPY_BY_SAFETENSORS[dtype])
    try:
        array = numpy.frombuffer(body[begin:end], element).reshape(shape)
    except ValueError as error:
        raise ValueError(f"load: {name}: tensor '{key}' has shape {shape}, too large for an array ({error})") from None
    array = _bfloat16_to_float32(array) if dtype == "BF16" else array.astype(element.newbyteorder("="))
    tensor = tinygrad_edu.from_numpy(array)
    return tensor if map_location is None else tensor.to(map_location)


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _LARGEST_COUNT


def _bfloat16_to_float32(bits):
    """bfloat16 is the top half of a float32: shift the 16 stored bits into place."""
    return (bits.astype(numpy.uint32).reshape(-1) << 16).view(numpy.float32).reshape(bits.shape)


def _decode(value, tensors, name):
    """Rebuild what ``_encode`` wrote, putting each referenced tensor back in place."""
    if isinstance(value, list):
        return [_decode(item, tensors, name) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and "__tensor__" in value:
        if value["__tensor__"] not in tensors:
            raise ValueError(f"load: {name}: the structure refers to tensor {value['__tensor__']!r}, "
                             "which the file does not hold")
        return tensors[value["__tensor__"]]
    if len(value) == 1 and "__ndarray__" in value:
        return _decode({"__tensor__": value["__ndarray__"]}, tensors, name).numpy()
    if len(value) == 1 and "__tuple__" in value:
        return tuple(_decode(item, tensors, name) for item in value["__tuple__"])
    if len(value) == 1 and "__dict_items__" in value:
        return {_decode(key, tensors, name): _decode(item, tensors, name)
                for key, item in value["__dict_items__"]}
    return {key: _decode(item, tensors, name) for key, item in value.items()}
