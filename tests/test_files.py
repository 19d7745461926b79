"""Files: a failed save keeps the previous file, and a damaged safetensors file is refused exactly when the
``safetensors`` library (the oracle) refuses it; where both accept, both read the same arrays."""
import errno
import io
import json
import math
import os
import pickle
import stat
import sys
import threading

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg

NUMPY_DTYPES = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
                "F16": "<f2", "F32": "<f4", "F64": "<f8"}


def safetensors_bytes(header, body=b"", header_length=None):
    """A file of ``header`` (a dict, or JSON text) and ``body``, its length field as given or the true one."""
    text = header if isinstance(header, (str, bytes)) else json.dumps(header)
    text = text.encode("utf-8") if isinstance(text, str) else text
    length = len(text) if header_length is None else header_length
    return length.to_bytes(8, "little") + text + body


def entry(dtype, shape, offsets, **extra):
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets, **extra}


def library_verdict(path):
    """The arrays ``safetensors.numpy.load_file`` reads, or None where it refuses the file."""
    try:
        return safetensors.numpy.load_file(path)
    except Exception:
        return None


def our_verdict(path):
    """The arrays ``tinygrad_edu.load`` reads, or None where it refuses the file (always with a ValueError)."""
    try:
        return {name: tensor.numpy() for name, tensor in tg.load(path).items()}
    except ValueError:
        return None


def same_arrays(ours, theirs):
    if list(sorted(ours)) != list(sorted(theirs)):
        return False
    for name, array in theirs.items():
        mine = ours[name]
        if mine.dtype != array.dtype or mine.shape != array.shape:
            return False
        if array.dtype != bool:
            mine, array = mine.view(f"u{array.itemsize}"), array.view(f"u{array.itemsize}")
        if not np.array_equal(mine, array):
            return False
    return True


def a_good_file():
    """Two tensors, ``a`` (F32, 2) then ``b`` (U8, 3), their header padded with spaces as the library pads it."""
    header = json.dumps({"a": entry("F32", [2], [0, 8]), "b": entry("U8", [3], [8, 11])})
    return safetensors_bytes(header + " " * 6, np.array([1.5, -2], "<f4").tobytes() + b"\x01\x02\x03")


def header_length_off_by(delta):
    data = a_good_file()
    return (int.from_bytes(data[:8], "little") + delta).to_bytes(8, "little") + data[8:]


def deeply_nested(depth):
    """A tensor entry with an extra field nested ``depth`` lists deep (the whole header: ``depth`` + 2)."""
    extra = "[" * depth + "]" * depth
    return safetensors_bytes('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":' + extra + "}}", b"\x07")


ONE_U8 = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[%s,%s]}}'

# name: (the file's bytes, what our message says; the library refuses each of these too)
CORRUPT = {
    "header length one byte short": (header_length_off_by(-1), "1 byte after the last tensor's data"),
    "header length one byte long": (header_length_off_by(1), "the header is not valid JSON"),
    "header length past the end of the file": (header_length_off_by(1000),
                                               r"the header length says \d+ bytes, but only \d+ bytes follow"),
    "header length beyond what safetensors allows": (
        (100_000_001).to_bytes(8, "little") + b"{}", "more than the 100000000 bytes a safetensors header may hold"),
    "header length 2**64 - 1": (b"\xff" * 8 + b"{}", "more than the 100000000 bytes"),
    "hole between tensors": (
        safetensors_bytes({"a": entry("F32", [2], [0, 8]), "b": entry("U8", [3], [9, 12])}, bytes(12)),
        r"tensor 'b' has data_offsets \[9, 12\], leaving bytes 8 to 9 of the data unused"),
    "first tensor not at the start": (
        safetensors_bytes({"a": entry("F32", [2], [1, 9])}, bytes(9)),
        r"tensor 'a' has data_offsets \[1, 9\], leaving bytes 0 to 1 of the data unused"),
    "overlapping tensors": (
        safetensors_bytes({"a": entry("F32", [2], [0, 8]), "b": entry("U8", [3], [7, 10])}, bytes(10)),
        r"tensor 'b' has data_offsets \[7, 10\], overlapping the bytes of tensor 'a' \(up to 8\)"),
    "one range twice": (
        safetensors_bytes({"a": entry("F32", [2], [0, 8]), "b": entry("F32", [2], [0, 8])}, bytes(8)),
        r"tensor '[ab]' has data_offsets \[0, 8\], overlapping the bytes of tensor '[ab]'"),
    "trailing bytes": (safetensors_bytes({"a": entry("F32", [2], [0, 8])}, bytes(9)),
                       "1 byte after the last tensor's data"),
    "trailing bytes and no tensors": (safetensors_bytes({}, bytes(3)), "3 bytes after the last tensor's data"),
    "end before begin": (safetensors_bytes({"a": entry("F32", [0], [4, 0])}, bytes(4)),
                         r"tensor 'a' has data_offsets \[4, 0\], which end before they begin"),
    "range longer than dtype x shape": (safetensors_bytes({"a": entry("F32", [2], [0, 12])}, bytes(12)),
                                        r"tensor 'a' of dtype F32 and shape \[2\] needs 8 bytes"),
    "range shorter than dtype x shape": (safetensors_bytes({"a": entry("F64", [2], [0, 8])}, bytes(8)),
                                         r"tensor 'a' of dtype F64 and shape \[2\] needs 16 bytes"),
    "offset past the data": (safetensors_bytes({"a": entry("F32", [2], [0, 8])}, bytes(4)),
                             r"tensor 'a' has data_offsets \[0, 8\] beyond the end of the data \(4 bytes\)"),
    "offset a float": (safetensors_bytes(ONE_U8 % ("0", "1.0"), b"\x07"), r"data_offsets \[0, 1.0\]"),
    "offset negative zero": (safetensors_bytes(ONE_U8 % ("-0", "1"), b"\x07"), r"data_offsets \[-0.0, 1\]"),
    "offset a bool": (safetensors_bytes(ONE_U8 % ("false", "true"), b"\x07"), r"data_offsets \[False, True\]"),
    "offset beyond 64 bits": (safetensors_bytes(ONE_U8 % ("0", str(2 ** 64 + 1)), b"\x07"), "expected"),
    "three offsets": (safetensors_bytes({"a": entry("U8", [1], [0, 1, 1])}, b"\x07"), "expected"),
    "shape a float": (safetensors_bytes({"a": entry("U8", [1.0], [0, 1])}, b"\x07"), r"shape \[1.0\]"),
    "shape overflowing 64 bits before a zero": (
        safetensors_bytes({"a": entry("U8", [2 ** 32, 2 ** 32, 0], [0, 0])}),
        r"tensor 'a' has shape \[4294967296, 4294967296, 0\], too large"),
    "header not UTF-8": (safetensors_bytes(b'{"\xff":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x07"),
                         "the header is not valid UTF-8"),
    "header not JSON": (safetensors_bytes("{oops", b""), "the header is not valid JSON"),
    "header a JSON list": (safetensors_bytes([]), "the header should be a JSON object, got list"),
    "header padded with NUL": (safetensors_bytes("{}\0"), "the header is not valid JSON"),
    "header with NaN": (safetensors_bytes('{"__metadata__":{"a":NaN}}'), "the header is not valid JSON"),
    "number out of range": (safetensors_bytes(ONE_U8[:-2] % ("0", "1") + ',"x":1e999}}', b"\x07"),
                            "the header is not valid JSON"),
    "lone surrogate in a name": (safetensors_bytes('{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
                                                   b"\x07"), "lone surrogate"),
    "duplicate field in an entry": (
        safetensors_bytes('{"a":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}}', b"\x07"),
        "tensor 'a' has the field 'dtype' twice"),
    "duplicate __metadata__": (safetensors_bytes('{"__metadata__":{},"__metadata__":{}}'),
                               "'__metadata__' twice"),
    "metadata not all strings": (safetensors_bytes({"__metadata__": {"a": 1}}), "should be a JSON object of strings"),
    "metadata a list": (safetensors_bytes({"__metadata__": []}), "should be a JSON object of strings"),
    "header nested 128 deep": (deeply_nested(126), "nests 128 levels deep"),
    "header nested 100,000 deep": (deeply_nested(100_000), "nests more than 127 levels deep"),
    "entry not an object": (safetensors_bytes({"a": 5}), "the header entry of tensor 'a' should hold"),
    "entry missing data_offsets": (safetensors_bytes({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)),
                                   "the header entry of tensor 'a' should hold"),
    "dtype in lower case": (safetensors_bytes({"a": entry("f32", [2], [0, 8])}, bytes(8)), "has dtype 'f32'"),
    "dtype null": (safetensors_bytes({"a": entry(None, [2], [0, 8])}, bytes(8)), "has dtype None"),
    "file shorter than the length field": (b"\x02\x00\x00", "it is 3 bytes long"),
    "length field zero": (bytes(8), "the header is not valid JSON"),
}

# name: the file's bytes (both accept these)
VALID = {
    "two tensors": a_good_file(),
    "entries listed out of order": safetensors_bytes(
        {"b": entry("U8", [3], [8, 11]), "a": entry("F32", [2], [0, 8])}, bytes(11)),
    "empty tensors sharing an offset, listed after": safetensors_bytes(
        {"b": entry("F32", [1], [0, 4]), "a": entry("F32", [0], [0, 0]), "c": entry("I64", [2, 0], [0, 0])},
        bytes(4)),
    "a scalar": safetensors_bytes({"a": entry("F64", [], [0, 8])}, np.float64(2.5).tobytes()),
    "no tensors": safetensors_bytes({}),
    "metadata null": safetensors_bytes({"__metadata__": None}),
    "metadata, its keys twice": safetensors_bytes('{"__metadata__":{"k":"1","k":"2"}}'),
    "a tensor named twice (the last wins)": safetensors_bytes(
        '{"a":{"dtype":"U8","shape":[1],"data_offsets":[5,6]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
        b"\x07"),
    "whitespace around the header": safetensors_bytes(" \t\n{}\r "),
    "unknown fields in an entry": safetensors_bytes(
        {"a": entry("U8", [1], [0, 1], note={"x": [1, 2.5, None]}, twice=1)}, b"\x07"),
    "header nested 127 deep": deeply_nested(125),
    "a name outside the BMP": safetensors_bytes({"\U0001F600": entry("U8", [1], [0, 1])}, b"\x07"),
    "huge dimensions of an empty tensor": safetensors_bytes({"a": entry("U8", [2 ** 31, 2 ** 31, 0], [0, 0])}),
    "header length not a multiple of 8": safetensors_bytes({"a": entry("U8", [1], [0, 1])}, b"\x07"),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_files_are_refused_as_the_library_refuses_them(tmp_path, case):
    data, message = CORRUPT[case]
    path = tmp_path / "corrupt.safetensors"
    path.write_bytes(data)
    assert library_verdict(path) is None
    with pytest.raises(ValueError, match=message) as error:
        tg.load(path)
    assert str(error.value).startswith(f"load: {path}")


@pytest.mark.parametrize("case", VALID)
def test_valid_files_load_as_the_library_loads_them(tmp_path, case):
    path = tmp_path / "valid.safetensors"
    path.write_bytes(VALID[case])
    theirs = library_verdict(path)
    assert theirs is not None
    assert same_arrays(our_verdict(path), theirs)


def test_a_header_length_one_byte_short_no_longer_shifts_the_data(tmp_path):
    """The damage the library reads as a refusal and a lenient reader as garbage: every value off by a byte."""
    path = tmp_path / "short.safetensors"
    path.write_bytes(header_length_off_by(-1))
    with pytest.raises(ValueError, match="the header length or the data_offsets are wrong"):
        tg.load(path)


class WritesAFileWhenUnpickled:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


@pytest.mark.parametrize("pickler", ["pickle", "torch.save"])
def test_loading_never_runs_code(tmp_path, pickler):
    torch = pytest.importorskip("torch")
    marker, path = tmp_path / "ran", tmp_path / "model.safetensors"
    with open(path, "wb") as file:
        (pickle.dump if pickler == "pickle" else torch.save)({"x": WritesAFileWhenUnpickled(marker)}, file)
    assert library_verdict(path) is None
    with pytest.raises(ValueError):
        tg.load(path)
    assert not marker.exists()


# -- random files, random damage: our verdict is the library's --

@st.composite
def random_files(draw):
    """(header, body, padding): a valid file of up to 4 tensors, entries in any order, header padded with spaces."""
    names = draw(st.lists(st.text(min_size=1, max_size=5).filter(lambda name: name != "__metadata__"),
                          max_size=4, unique=True))
    header, body = {}, b""
    for name in names:
        dtype = draw(st.sampled_from(sorted(NUMPY_DTYPES)))
        shape = draw(st.lists(st.integers(0, 3), max_size=3))
        size = math.prod(shape) * np.dtype(NUMPY_DTYPES[dtype]).itemsize
        data = draw(st.binary(min_size=size, max_size=size))
        if dtype == "BOOL":
            data = bytes(byte & 1 for byte in data)
        header[name] = entry(dtype, shape, [len(body), len(body) + size])
        body += data
    header = dict(draw(st.permutations(list(header.items()))))
    if draw(st.booleans()):
        header = {"__metadata__": draw(st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)),
                  **header}
    return header, body, draw(st.integers(0, 9))


def as_bytes(header, body, padding, header_length=None):
    return safetensors_bytes(json.dumps(header) + " " * padding, body, header_length)


def assert_same_verdict(tmp_path, data):
    path = tmp_path / "random.safetensors"
    path.write_bytes(data)
    theirs, ours = library_verdict(path), our_verdict(path)
    assert (ours is None) == (theirs is None), f"library {'refuses' if theirs is None else 'accepts'}, we do not"
    assert ours is None or same_arrays(ours, theirs)


files_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@files_settings
@given(file=random_files())
def test_random_valid_files(tmp_path, file):
    path = tmp_path / "random.safetensors"
    path.write_bytes(as_bytes(*file))
    theirs = library_verdict(path)
    assert theirs is not None and same_arrays(our_verdict(path), theirs)


@files_settings
@given(file=random_files(), delta=st.integers(-12, 12).filter(bool))
def test_random_header_length_off_by_a_little(tmp_path, file, delta):
    header, body, padding = file
    length = len(json.dumps(header)) + padding + delta
    assert_same_verdict(tmp_path, as_bytes(header, body, padding, max(length, 0)))


@files_settings
@given(file=random_files(), position=st.integers(0, 7), byte=st.integers(0, 255))
def test_random_byte_of_the_header_length(tmp_path, file, position, byte):
    data = bytearray(as_bytes(*file))
    data[position] = byte
    assert_same_verdict(tmp_path, bytes(data))


@files_settings
@given(file=random_files(), data=st.data())
def test_random_change_to_one_offset_or_size(tmp_path, file, data):
    header, body, padding = file
    names = [name for name in header if name != "__metadata__"]
    if not names:
        return
    target = header[data.draw(st.sampled_from(names))]
    field, index = data.draw(st.sampled_from([("data_offsets", 0), ("data_offsets", 1)] +
                                             [("shape", axis) for axis in range(len(target["shape"]))]))
    old = target[field][index]
    target[field][index] = data.draw(st.integers(-2, 2).map(lambda step: old + step)
                                     | st.integers(0, 2 ** 64 + 2) | st.just(-old))
    assert_same_verdict(tmp_path, as_bytes(header, body, padding))


@files_settings
@given(file=random_files(), data=st.data())
def test_random_byte_of_the_header_text(tmp_path, file, data):
    raw = bytearray(as_bytes(*file))
    position = data.draw(st.integers(8, 8 + int.from_bytes(raw[:8], "little") - 1))
    raw[position] = data.draw(st.integers(0, 255) | st.sampled_from(b'{}[]",:0123456789-.eE \\u'))
    assert_same_verdict(tmp_path, bytes(raw))


@files_settings
@given(file=random_files(), cut=st.integers(1, 16), extra=st.binary(min_size=1, max_size=16))
def test_random_file_cut_short_or_grown(tmp_path, file, cut, extra):
    data = as_bytes(*file)
    assert_same_verdict(tmp_path, data[:-cut])
    assert_same_verdict(tmp_path, data + extra)


# -- save: all or nothing --

def serialization_module():
    return sys.modules[tg.save.__module__]


def big_state():
    return {"weight": tg.ones(512, 512), "bias": tg.zeros(512)}


def saved_bytes(state):
    buffer = io.BytesIO()
    tg.save(state, buffer)
    return buffer.getvalue()


@pytest.fixture
def previous_file(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save({"weight": tg.full((3,), 7.0)}, path)
    return path, path.read_bytes()


def test_a_save_failing_midway_leaves_the_previous_file(monkeypatch, previous_file):
    path, before = previous_file
    real_write = serialization_module()._write

    def write_half_then_fail(file, header, arrays):
        half = io.BytesIO()
        real_write(half, header, arrays)
        file.write(half.getvalue()[:len(half.getvalue()) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization_module(), "_write", write_half_then_fail)
    with pytest.raises(OSError, match="No space left on device"):
        tg.save(big_state(), path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_a_save_hitting_the_file_size_limit_leaves_the_previous_file(previous_file):
    """A real write error from the system (EFBIG: the process may write no more), as a full disk gives."""
    resource = pytest.importorskip("resource")
    path, before = previous_file
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, hard))
    try:
        with pytest.raises(OSError):
            tg.save(big_state(), path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_a_failing_fsync_leaves_the_previous_file(monkeypatch, previous_file):
    path, before = previous_file

    def fsync_fails(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(OSError, match="Input/output error"):
        tg.save(big_state(), path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_save_syncs_the_data_then_replaces_the_file_in_one_step(monkeypatch, previous_file):
    path, _ = previous_file
    events, real_fsync, real_replace = [], os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda source, target: (events.append(("replace", os.path.dirname(source),
                                                                              os.fspath(target))),
                                                               real_replace(source, target))[1])
    state = big_state()
    tg.save(state, path)
    assert events[:2] == ["fsync", ("replace", str(path.parent), str(path))]
    assert path.read_bytes() == saved_bytes(state)
    assert os.listdir(path.parent) == [path.name]


def test_saved_file_permissions_are_those_open_gives(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    tg.save(big_state(), tmp_path / "new.safetensors")
    assert stat.S_IMODE(os.stat(tmp_path / "new.safetensors").st_mode) == 0o666 & ~umask
    existing = tmp_path / "existing.safetensors"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    tg.save(big_state(), existing)
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o640


def test_saving_through_a_symbolic_link_writes_its_target(tmp_path):
    target, link = tmp_path / "target.safetensors", tmp_path / "link.safetensors"
    target.write_bytes(b"old")
    link.symlink_to(target)
    state = big_state()
    tg.save(state, link)
    assert link.is_symlink() and target.read_bytes() == saved_bytes(state)
    assert sorted(os.listdir(tmp_path)) == ["link.safetensors", "target.safetensors"]


def test_file_objects_are_written_in_place(tmp_path):
    state = big_state()
    with open(tmp_path / "open.safetensors", "wb") as file:
        file.write(b"prefix")
        tg.save(state, file)
    assert (tmp_path / "open.safetensors").read_bytes() == b"prefix" + saved_bytes(state)
    assert os.listdir(tmp_path) == ["open.safetensors"]


def test_a_save_into_a_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.save(big_state(), tmp_path / "missing" / "model.safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_written_in_place(tmp_path):
    pipe, state, received = tmp_path / "pipe", big_state(), []
    os.mkfifo(pipe)
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    tg.save(state, pipe)
    reader.join(timeout=10)
    assert received == [saved_bytes(state)] and stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]
