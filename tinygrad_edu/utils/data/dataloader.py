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
import collections.abc
import copy
import itertools
import math

import numpy

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.utils.data.dataset import IterableDataset
from tinygrad_edu.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


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
