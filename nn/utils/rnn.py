"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` stores a batch of sequences of different lengths without padding: ``data``
holds time step 0 of every sequence, then step 1 of those still running, and so on (sequences
sorted longest first); ``batch_sizes[t]`` says how many sequences reach step ``t``.
RNN, LSTM and GRU accept one and return their output packed the same way.

>>> sequences = [tg.randn(5, 3), tg.randn(2, 3), tg.randn(4, 3)]
>>> packed = pack_sequence(sequences, enforce_sorted=False)
>>> output, h_n = nn.GRU(3, 8)(packed)
>>> padded, lengths = pad_packed_sequence(output, batch_first=True)     # (3, 5, 8), tensor([5, 2, 4])
"""
from collections import namedtuple

import numpy

import tinygrad_edu as tg

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``: a batch of sequences packed time step
    by time step (see the module's docstring). Make one with ``pack_padded_sequence`` or ``pack_sequence``."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch's form PackedSequence((data, batch_sizes))
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` moved or cast as ``Tensor.to`` does (batch_sizes stay on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        indices = [None if i is None else i.to(device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *indices)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def double(self):
        return self.to(dtype=tg.float64)

    def float(self):
        return self.to(dtype=tg.float32)

    def half(self):
        return self.to(dtype=tg.float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    inverse = numpy.empty(permutation.numel(), dtype=numpy.int64)
    inverse[permutation.cpu().numpy()] = numpy.arange(permutation.numel())
    return tg.tensor(inverse, device=permutation.device)


def _lengths_list(lengths):
    if isinstance(lengths, tg.Tensor):
        if lengths.dim() != 1 or lengths.device.type != "cpu" or lengths.dtype != tg.int64:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device} {lengths.dtype} tensor")
        return [int(n) for n in lengths.tolist()]
    return [int(n) for n in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences with ``lengths``.

    With ``enforce_sorted=True`` the lengths must be in decreasing order; otherwise the batch is sorted
    here and the permutation kept in the result, so every output comes back in the caller's order.

    >>> packed = pack_padded_sequence(tg.randn(4, 2, 3), [4, 2])
    >>> packed.batch_sizes
    tensor([2, 2, 1, 1])
    """
    lengths = _lengths_list(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lengths) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = numpy.argsort(-numpy.asarray(lengths), kind="stable")
        sorted_indices = tg.tensor(order, dtype=tg.int64, device=input.device)
        lengths = [lengths[i] for i in order]
        input = input.index_select(batch_dim, sorted_indices)
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    time_dim = 1 - batch_dim
    if lengths and lengths[0] > input.shape[time_dim]:
        raise RuntimeError(f"a length ({lengths[0]}) is longer than the padded sequences ({input.shape[time_dim]})")
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    data = packed_from_padded(input, batch_sizes)
    return PackedSequence(data, tg.tensor(batch_sizes, dtype=tg.int64), sorted_indices, None)


def packed_from_padded(padded, batch_sizes):
    """(T, B, *) time-major padded data (sorted longest first) -> packed ``data`` (sum of lengths, *)."""
    batch = padded.shape[1]
    rows = numpy.concatenate([t * batch + numpy.arange(size) for t, size in enumerate(batch_sizes)])
    flat = padded.reshape(padded.shape[0] * batch, *padded.shape[2:])
    return flat.index_select(0, tg.tensor(rows, dtype=tg.int64, device=padded.device))


def padded_from_packed(data, batch_sizes, total_length=None, padding_value=0.0):
    """Packed ``data`` -> (T, B, *) time-major padded data (sorted longest first), ``padding_value`` elsewhere."""
    batch, length = batch_sizes[0], total_length or len(batch_sizes)
    filler = tg.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    source = numpy.full((length, batch), data.shape[0], dtype=numpy.int64)  # the filler row by default
    offset = 0
    for t, size in enumerate(batch_sizes):
        source[t, :size] = numpy.arange(offset, offset + size)
        offset += size
    rows = tg.tensor(source.reshape(-1), device=data.device)
    return tg.cat([data, filler]).index_select(0, rows).reshape(length, batch, *data.shape[1:])


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: ``(padded, lengths)`` with ``padded`` (T, B, *) (``(B, T, *)`` with
    ``batch_first``) in the original batch order, ``T`` = the longest length or ``total_length``.

    >>> padded, lengths = pad_packed_sequence(pack_sequence([tg.ones(3, 2), tg.ones(1, 2)]))
    >>> padded.shape, lengths
    (tinygrad_edu.Size([3, 2, 2]), tensor([3, 1]))
    """
    batch_sizes = [int(n) for n in sequence.batch_sizes.tolist()]
    if total_length is not None and total_length < len(batch_sizes):
        raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                         f"got total_length={total_length} and max sequence length being {len(batch_sizes)}")
    padded = padded_from_packed(sequence.data, batch_sizes, total_length, padding_value)
    lengths = numpy.array([sum(1 for size in batch_sizes if size > b) for b in range(batch_sizes[0])])
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu().numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tg.tensor(lengths, dtype=tg.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (T, B, *) (``(B, T, *)`` with ``batch_first``), padding
    each with ``padding_value`` after its end (``padding_side='left'``: before its start).

    >>> pad_sequence([tg.ones(3), tg.ones(1)], batch_first=True)
    tensor([[1., 1., 1.],
            [1., 0., 0.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, tg.Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        widths = [(0, 0)] * s.dim()
        widths[0] = (longest - s.shape[0], 0) if padding_side == "left" else (0, longest - s.shape[0])
        padded.append(s.pad_widths(widths, padding_value))
    return tg.stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors of the given ``lengths``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [sequence[:int(length)] for sequence, length in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors of shape (L_i, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    >>> pack_sequence([tg.tensor([1, 2, 3]), tg.tensor([4, 5]), tg.tensor([6])]).data
    tensor([1, 4, 6, 2, 5, 3])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a ``PackedSequence`` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
