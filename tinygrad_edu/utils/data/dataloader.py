"""Datasets, samplers and the DataLoader, as ``torch.utils.data``.

A *dataset* answers ``len(dataset)`` and ``dataset[i]`` (or, for an IterableDataset,
``iter(dataset)``). A *sampler* decides the order of the indices, a *batch sampler*
groups them into batches, and the *DataLoader* fetches each batch and stacks the
samples into tensors with a *collate function*.

    >>> from tinygrad_edu.utils.data import DataLoader, TensorDataset
    >>> x, y = tinygrad_edu.randn(100, 3), tinygrad_edu.randint(0, 2, (100,))
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    >>> len(loader)
    4
    >>> for xb, yb in loader:          # xb: (32, 3), yb: (32,); the last batch has 4 rows
    ...     pass

Differences from torch:
- ``num_workers`` is accepted but every batch is loaded in the main process
  (``pin_memory``, ``timeout`` and ``worker_init_fn`` are accepted and unused).
- Shuffling draws from NumPy's generator, so the order differs from torch's for
  the same seed; it is just as reproducible: ``tinygrad_edu.manual_seed(s)`` or a
  ``generator=`` fixes it.
- A TensorDataset (also inside a Subset, e.g. from ``random_split``) is batched with
  one fancy index per tensor instead of indexing and stacking sample by sample; the
  result is the same, only much faster.
"""
import bisect
import collections.abc
import copy
import itertools
import math
import warnings

import numpy

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.random import default_generator


# -- datasets --

class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``dataset_a + dataset_b`` concatenates them (a ConcatDataset).
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__`` (and may define ``__len__``).

    >>> class Squares(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(i * i for i in range(5))
    >>> [batch.tolist() for batch in DataLoader(Squares(), batch_size=2)]
    [[0, 1], [4, 9], [16]]
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``dataset[i] == (t[i] for t in tensors)``.

    >>> ds = TensorDataset(tinygrad_edu.zeros(10, 3), tinygrad_edu.arange(10))
    >>> len(ds), ds[2][0].shape
    (10, tinygrad_edu.Size([3]))
    """

    def __init__(self, *tensors):
        if any(tensors[0].size(0) != tensor.size(0) for tensor in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def _collated_batch(self, indices):
        """The batch ``default_collate`` would build, with one fancy index per tensor."""
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return NotImplemented
        return [tensor[tinygrad_edu.tensor(indices, dtype=tinygrad_edu.int64, device=tensor.device)]
                for tensor in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> Subset(range(10), [7, 3])[1]
    3
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        inner_indices = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner_indices)
        return [self.dataset[i] for i in inner_indices]

    def __len__(self):
        return len(self.indices)

    def _collated_batch(self, indices):
        collated_batch = getattr(self.dataset, "_collated_batch", None)
        if collated_batch is None or type(self).__getitem__ is not Subset.__getitem__:
            return NotImplemented
        return collated_batch([int(self.indices[i]) for i in indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other.

    >>> ds = ConcatDataset([range(3), range(10, 12)])
    >>> len(ds), ds[3], ds[-1]
    (5, 10, 11)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(dataset, IterableDataset) for dataset in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        dataset_index = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[dataset_index - 1] if dataset_index > 0 else 0
        return self.datasets[dataset_index][index - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts that sum to ``len(dataset)``, or fractions that sum to 1
    (each split gets ``floor(fraction * len)`` and the remainder is dealt out one by
    one from the first split on). ``generator`` fixes the split; by default it comes
    from the global generator, so ``tinygrad_edu.manual_seed`` fixes it too.

    >>> train, valid = random_split(range(10), [0.8, 0.2], generator=tinygrad_edu.Generator().manual_seed(0))
    >>> len(train), len(valid)
    (8, 2)
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = _numpy_rng(generator).permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, indices[end - length:end]) for end, length in zip(ends, lengths)]


def _lengths_from_fractions(fractions, total):
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


# -- samplers --

def _numpy_rng(generator):
    """The NumPy generator to draw from: ``generator``'s own, or (as torch does) a fresh one
    seeded by one draw from the global generator, which ``tinygrad_edu.manual_seed`` seeds."""
    if generator is not None:
        return generator.numpy
    return numpy.random.default_rng(int(default_generator.numpy.integers(2**63)))


class Sampler:
    """Base class of the index orders: subclasses define ``__iter__`` (and usually ``__len__``)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation on every pass.

    With ``replacement=True``, ``num_samples`` indices are drawn independently.
    Without, ``num_samples`` (default ``len(data_source)``) may exceed the length:
    whole permutations follow each other.

    >>> sorted(RandomSampler(range(4)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        size, rng = len(self.data_source), _numpy_rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, size, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // size):
            yield from rng.permutation(size).tolist()
        yield from rng.permutation(size)[:self.num_samples % size].tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


# -- collation --

_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch):
    """Stack a list of samples into a batch, the way torch's ``default_collate`` does.

    Tensors and NumPy arrays are stacked along a new first dimension; Python ints
    become an int64 tensor, floats a float64 tensor, bools a bool tensor; strings
    stay a list; dicts, tuples and lists are collated field by field (a tuple sample
    gives a list of batched fields, as in torch).

    >>> default_collate([(1, 0.5), (2, 1.5)])
    [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=tinygrad_edu.float64)]
    >>> default_collate([{"x": tinygrad_edu.zeros(2)}, {"x": tinygrad_edu.ones(2)}])["x"].shape
    tinygrad_edu.Size([2, 2])
    """
    sample = batch[0]
    if isinstance(sample, Tensor):
        return tinygrad_edu.stack(batch, 0)
    if isinstance(sample, numpy.ndarray):
        if sample.dtype.kind in "SUO":
            raise TypeError(_COLLATE_ERROR.format(sample.dtype))
        return tinygrad_edu.stack([tinygrad_edu.from_numpy(array) for array in batch], 0)
    if isinstance(sample, (numpy.bool_, numpy.number)):
        return tinygrad_edu.from_numpy(numpy.array(batch))
    if isinstance(sample, float):
        return tinygrad_edu.tensor(batch, dtype=tinygrad_edu.float64)
    if isinstance(sample, int):
        return tinygrad_edu.tensor(batch)
    if isinstance(sample, (str, bytes)):
        return batch
    if isinstance(sample, collections.abc.Mapping):
        return _collate_mapping(batch)
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(sample, collections.abc.Sequence):
        return _collate_sequence(batch)
    raise TypeError(_COLLATE_ERROR.format(type(sample)))


def _collate_mapping(batch):
    sample = batch[0]
    collated = {key: default_collate([item[key] for item in batch]) for key in sample}
    if isinstance(sample, collections.abc.MutableMapping):
        clone = copy.copy(sample)
        clone.update(collated)
        return clone
    try:
        return type(sample)(collated)
    except TypeError:
        return collated


def _collate_sequence(batch):
    sample = batch[0]
    if any(len(item) != len(sample) for item in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    fields = [default_collate(field) for field in zip(*batch)]
    if isinstance(sample, tuple):
        return fields
    if isinstance(sample, collections.abc.MutableSequence):
        clone = copy.copy(sample)
        clone[:] = fields
        return clone
    try:
        return type(sample)(fields)
    except TypeError:
        return fields


def default_convert(data):
    """Turn NumPy arrays (also inside dicts, tuples and lists) into tensors; used when
    the DataLoader does not batch (``batch_size=None``)."""
    if isinstance(data, numpy.ndarray) and data.dtype.kind not in "SUO":
        return tinygrad_edu.from_numpy(data)
    if isinstance(data, (numpy.bool_, numpy.number)):
        return tinygrad_edu.from_numpy(numpy.array(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):
        return type(data)(default_convert(value) for value in data)
    return data


# -- the loader --

class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset: a map-style Dataset (``len`` and ``[i]``), or an IterableDataset.
        batch_size: samples per batch (``None``: no batching, samples one by one).
        shuffle: a new random order every epoch (from ``generator``, else from the
            global generator that ``tinygrad_edu.manual_seed`` seeds).
        sampler, batch_sampler: custom index orders (exclusive with ``shuffle``).
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        num_workers: accepted for compatibility; batches are always loaded in this process.

    >>> loader = DataLoader(TensorDataset(tinygrad_edu.arange(10)), batch_size=4)
    >>> len(loader), [xb.tolist() for (xb,) in loader]
    (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        if isinstance(dataset, IterableDataset):
            _check_iterable_options(shuffle, sampler, batch_sampler)
        else:
            if sampler is not None and shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if batch_sampler is not None:
                if batch_size != 1 or shuffle or sampler is not None or drop_last:
                    raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                     "shuffle, sampler, and drop_last")
                batch_size = None
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching "
                             "and is mutually exclusive with drop_last")
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            batching = batch_size is not None or batch_sampler is not None
            collate_fn = default_collate if batching else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return self._iterate_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)
        return (self._fetch(indices) for indices in self.batch_sampler)

    def _iterate_stream(self):
        samples = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in samples)
            return
        batch = list(itertools.islice(samples, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield self.collate_fn(batch)
            batch = list(itertools.islice(samples, self.batch_size))

    def _fetch(self, indices):
        """One batch: straight from the dataset when it can batch itself, else sample by sample."""
        if self.collate_fn is default_collate and hasattr(self.dataset, "_collated_batch"):
            batch = self.dataset._collated_batch(indices)
            if batch is not NotImplemented:
                return batch
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[index] for index in indices])


def _check_iterable_options(shuffle, sampler, batch_sampler):
    shuffle = None if shuffle in (None, False) else shuffle
    for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None:
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                             f"but got {name}={value}")
