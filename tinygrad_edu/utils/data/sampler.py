"""Samplers, as ``torch.utils.data.sampler``: the order in which a DataLoader visits a dataset's
indices, and how a batch sampler groups them into batches."""
import itertools

import numpy

from tinygrad_edu.creation import as_tensor
from tinygrad_edu.dtypes import float64
from tinygrad_edu.random import fresh_numpy_generator, numpy_generator

_CHUNK = 4096   # indices drawn at a time with replacement: a huge num_samples never sits in memory at once


# -- samplers --

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

    With ``replacement=True``, ``num_samples`` indices are drawn independently, a chunk at
    a time as the loop asks for them (``num_samples=int(1e10)`` costs no memory).
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
        size, rng = len(self.data_source), fresh_numpy_generator(self.generator)
        if self.replacement:
            if size == 0:
                raise RuntimeError("random_ expects 'from' to be less than 'to', but got from=0 >= to=0")
            yield from _draw_in_chunks(lambda count: rng.integers(0, size, count), self.num_samples)
            return
        for _ in range(self.num_samples // size):
            yield from rng.permutation(size).tolist()
        yield from rng.permutation(size)[:self.num_samples % size].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in random order, without replacement: a fresh permutation every pass.

    The usual way to split one dataset into training and validation parts:

    >>> indices = list(range(100))
    >>> train_sampler = SubsetRandomSampler(indices[:80])
    >>> valid_sampler = SubsetRandomSampler(indices[80:])
    >>> sorted(valid_sampler) == indices[80:]
    True
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for position in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of ``[0, len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)`` (the weights need not sum to one).

    With ``replacement=False`` an index is drawn at most once: each draw picks among the
    indices not drawn yet, in proportion to their weights. Errors in the weights (negative,
    infinite, NaN, all zero) are raised when iteration starts, with torch's messages.

    >>> sampler = WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=True)
    >>> len(list(sampler))
    5
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = as_tensor(weights, dtype=float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        weights = self.weights.cpu().numpy()
        _check_distribution(weights, self.num_samples, self.replacement)
        rng = numpy_generator(self.generator)
        if not self.replacement:
            yield from _draw_without_replacement(weights, self.num_samples, rng).tolist()
            return
        cumulative = numpy.cumsum(weights)
        last_possible = int(numpy.flatnonzero(weights)[-1])

        def draw(count):
            drawn = numpy.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
            return numpy.minimum(drawn, last_possible)   # a uniform rounded up to the total
        yield from _draw_in_chunks(draw, self.num_samples)

    def __len__(self):
        return self.num_samples


def _draw_in_chunks(draw, total):
    """``total`` indices, ``draw(count)`` asked for at most ``_CHUNK`` of them at a time."""
    for start in range(0, total, _CHUNK):
        yield from draw(min(_CHUNK, total - start)).tolist()


def _draw_without_replacement(weights, count, rng):
    """Weighted draws without replacement, all at once: sorting exponential(1) / weight orders the
    indices as drawing one at a time in proportion to the remaining weights does."""
    with numpy.errstate(divide="ignore", invalid="ignore"):     # a zero weight sorts last
        keys = rng.exponential(size=len(weights)) / weights
    return numpy.argsort(keys, kind="stable")[:count]


def _check_distribution(weights, num_samples, replacement):
    """torch.multinomial's checks, in its order and words."""
    if not replacement and num_samples > len(weights):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        if len(weights) and not (weights.max() < numpy.inf and weights.min() >= 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    else:
        for weight in weights[~(numpy.isfinite(weights) & (weights >= 0))][:1]:
            problem = "< 0" if not weight >= 0 else "= infinity or NaN"
            raise RuntimeError(f"invalid multinomial distribution (encountering probability entry {problem})")
    if not weights.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


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
