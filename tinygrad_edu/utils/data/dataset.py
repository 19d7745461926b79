"""Datasets, as ``torch.utils.data.dataset``: Dataset, IterableDataset, TensorDataset, Subset,
ConcatDataset and random_split.

A *dataset* answers ``len(dataset)`` and ``dataset[i]`` (or, for an IterableDataset, ``iter(dataset)``).
"""
import bisect
import itertools
import math
import warnings

import tinygrad_edu
from tinygrad_edu.random import fresh_numpy_generator


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
    indices = fresh_numpy_generator(generator).permutation(sum(lengths)).tolist()
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
