"""Data loading against torch.utils.data: the same batches, lengths, collated types and errors."""
import collections
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as torch_data
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.utils.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
    random_split,
)

Point = collections.namedtuple("Point", "x y")


def assert_same(ours, theirs):
    """Same nesting, container types, tensor dtypes, shapes and values (torch's side as the oracle)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"expected a tensor, got {type(ours)}"
        assert ours.dtype.name == str(theirs.dtype).rsplit(".", 1)[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for our_item, their_item in zip(ours, theirs):
            assert_same(our_item, their_item)
    else:
        assert ours == theirs


def to_torch(structure):
    """The same sample with our tensors swapped for torch tensors."""
    if isinstance(structure, tg.Tensor):
        return torch.from_numpy(structure.numpy().copy())
    if isinstance(structure, Point):
        return Point(*(to_torch(item) for item in structure))
    if isinstance(structure, dict):
        return {key: to_torch(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(to_torch(item) for item in structure)
    return structure


def xy(n, features=3):
    rng = np.random.default_rng(n)
    return rng.standard_normal((n, features)).astype(np.float32), rng.integers(0, 5, n)


# -- collation --

COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5],
    "bools": [True, False],
    "strings": ["a", "b"],
    "tensors": [tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])],
    "int tensors": [tg.tensor(1), tg.tensor(2)],
    "numpy arrays": [np.arange(3, dtype=np.float64), np.ones(3)],
    "numpy uint8": [np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8)],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "numpy ints": [np.int32(1), np.int32(7)],
    "tuples": [(tg.zeros(2), 1), (tg.ones(2), 0)],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"image": tg.zeros(2), "label": 3}, {"image": tg.ones(2), "label": 4}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"pair": (1, [0.5, "s"])}, {"pair": (2, [1.5, "t"])}],
}


@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    assert_same(default_collate(batch), torch_data.default_collate(to_torch(batch)))


def test_collate_unequal_lists():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


@pytest.mark.parametrize("batch, found", [([object()], "object"), ([np.array(["a"])], "<U1")])
def test_collate_rejects_unknown_types(batch, found):
    message = f"batch must contain tensors, numpy arrays, numbers, dicts or lists; found .*{found}"
    with pytest.raises(TypeError, match=message):
        default_collate(batch)


# -- the loader over a TensorDataset --

def test_tensor_dataset():
    x, y = xy(5)
    dataset = TensorDataset(tg.tensor(x), tg.tensor(y))
    assert len(dataset) == 5
    sample = dataset[2]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(sample[0].numpy(), x[2])
    assert sample[1].item() == y[2]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(tg.zeros(3), tg.zeros(4))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 23), batch_size=st.integers(1, 9), drop_last=st.booleans())
def test_loader_batches_match_torch(n, batch_size, drop_last):
    x, y = xy(n)
    ours = DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=batch_size, drop_last=drop_last)
    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                   batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches) == len(ours)
    for our_batch, their_batch in zip(our_batches, their_batches):
        assert_same(our_batch, their_batch)


def test_fast_path_indexes_whole_batches(monkeypatch):
    x, y = xy(10)
    dataset = TensorDataset(tg.tensor(x), tg.tensor(y))
    expected = [default_collate([dataset[i] for i in range(start, min(start + 4, 10))]) for start in (0, 4, 8)]

    def per_sample_indexing(self, index):
        raise AssertionError("the fast path should not index sample by sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample_indexing)
    batches = list(DataLoader(dataset, batch_size=4))
    for batch, want in zip(batches, expected):
        assert isinstance(batch, list)
        for ours, wanted in zip(batch, want):
            assert ours.dtype == wanted.dtype
            np.testing.assert_array_equal(ours.numpy(), wanted.numpy())


def test_fast_path_respects_overridden_getitem_and_custom_collate():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            return tuple(tensor[index] * 2 for tensor in self.tensors)

    dataset = Doubled(tg.arange(6))
    (batch,) = next(iter(DataLoader(dataset, batch_size=6)))
    assert batch.tolist() == [0, 2, 4, 6, 8, 10]
    collated = next(iter(DataLoader(TensorDataset(tg.arange(3)), batch_size=3, collate_fn=lambda b: len(b))))
    assert collated == 3


def test_subset_of_tensor_dataset_uses_fast_path():
    x, y = xy(12)
    dataset = TensorDataset(tg.tensor(x), tg.tensor(y))
    subset = Subset(dataset, [11, 0, 5, 3, 7])
    fast = list(DataLoader(subset, batch_size=2))
    slow = list(DataLoader(subset, batch_size=2, collate_fn=lambda batch: default_collate(batch)))
    assert len(fast) == len(slow) == 3
    for fast_batch, slow_batch in zip(fast, slow):
        for ours, expected in zip(fast_batch, slow_batch):
            np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    np.testing.assert_array_equal(fast[0][0].numpy(), x[[11, 0]])


def test_grad_flows_through_batches():
    weights = tg.tensor([[1.0], [2.0]], requires_grad=True)
    (batch,) = next(iter(DataLoader(TensorDataset(weights), batch_size=2)))
    batch.backward(tg.tensor([[3.0], [4.0]]))
    assert weights.grad.tolist() == [[3.0], [4.0]]


# -- shuffling and samplers --

def epoch_order(loader):
    return [int(value) for (batch,) in loader for value in batch.tolist()]


def test_shuffle_is_a_fresh_permutation_reproducible_with_manual_seed():
    loader = DataLoader(TensorDataset(tg.arange(50)), batch_size=8, shuffle=True)
    tg.manual_seed(3)
    first, second = epoch_order(loader), epoch_order(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second != list(range(50))
    tg.manual_seed(3)
    assert epoch_order(loader) == first and epoch_order(loader) == second


def test_shuffle_with_generator():
    dataset = TensorDataset(tg.arange(30))
    orders = [epoch_order(DataLoader(dataset, batch_size=7, shuffle=True, generator=tg.Generator().manual_seed(5)))
              for _ in range(2)]
    tg.manual_seed(0)
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(30))


def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler(range(4))) == 4
    generator = tg.Generator().manual_seed(1)
    assert sorted(RandomSampler(range(6), generator=generator)) == list(range(6))
    longer = list(RandomSampler(range(4), num_samples=10, generator=generator))
    assert len(longer) == 10 and sorted(longer[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=20, generator=generator))
    assert len(drawn) == 20 and set(drawn) <= {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True, num_samples=20)) == 20


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(replacement=1), TypeError, "replacement should be a boolean value, but got replacement=1"),
    (dict(num_samples=0), ValueError, "num_samples should be a positive integer value, but got num_samples=0"),
])
def test_random_sampler_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        RandomSampler(range(3), **kwargs)
    with pytest.raises(error, match=message):
        torch_data.RandomSampler(range(3), **kwargs)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 20), batch_size=st.integers(1, 7), drop_last=st.booleans())
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch_data.BatchSampler(torch_data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("batch_size, drop_last, message", [
    (0, False, "batch_size should be a positive integer value, but got batch_size=0"),
    (True, False, "batch_size should be a positive integer value, but got batch_size=True"),
    (2, 1, "drop_last should be a boolean value, but got drop_last=1"),
])
def test_batch_sampler_errors(batch_size, drop_last, message):
    with pytest.raises(ValueError, match=message):
        BatchSampler(range(3), batch_size, drop_last)


def test_custom_sampler_and_batch_sampler():
    dataset = TensorDataset(tg.arange(10))
    assert epoch_order(DataLoader(dataset, batch_size=3, sampler=[9, 1, 5, 2])) == [9, 1, 5, 2]
    loader = DataLoader(dataset, batch_sampler=[[0, 1], [7, 8, 9]])
    assert loader.batch_size is None and len(loader) == 2
    assert [batch.tolist() for (batch,) in loader] == [[0, 1], [7, 8, 9]]


# -- DataLoader options --

class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, index):
        if index >= 5:
            raise IndexError(index)
        return {"x": np.full(2, index * index, dtype=np.int64), "label": index}


def test_map_dataset_of_dicts_matches_torch():
    for batch_size in (2, None):
        ours = list(DataLoader(Squares(), batch_size=batch_size))
        theirs = list(torch_data.DataLoader(Squares(), batch_size=batch_size))
        assert len(ours) == len(theirs)
        for our_batch, their_batch in zip(ours, theirs):
            assert_same(our_batch, their_batch)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(torch_data.IterableDataset):
    __init__, __iter__, __len__ = Stream.__init__, Stream.__iter__, Stream.__len__


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (None, False), (1, False)])
def test_iterable_dataset_matches_torch(batch_size, drop_last):
    ours = DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = torch_data.DataLoader(TorchStream(7), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches)
    for our_batch, their_batch in zip(our_batches, their_batches):
        assert_same(our_batch, their_batch)


def test_num_workers_is_accepted():
    loader = DataLoader(TensorDataset(tg.arange(5)), batch_size=2, num_workers=2, pin_memory=True)
    assert epoch_order(loader) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("streaming, kwargs, message", [
    (False, dict(shuffle=True, sampler=[0]), "sampler option is mutually exclusive with shuffle"),
    (False, dict(batch_size=2, batch_sampler=[[0]]),
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (False, dict(batch_size=None, drop_last=True),
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (False, dict(num_workers=-1), "num_workers option should be non-negative"),
    (True, dict(shuffle=True),
     "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True"),
    (True, dict(sampler=[0]), "DataLoader with IterableDataset: expected unspecified sampler option"),
])
def test_loader_option_errors_match_torch(streaming, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Stream(3) if streaming else Squares(), **kwargs)
    with pytest.raises(ValueError, match=message):
        torch_data.DataLoader(TorchStream(3) if streaming else Squares(), **kwargs)


# -- Subset, ConcatDataset, random_split --

def test_subset_and_concat():
    subset = Subset(range(10), [7, 3, 5])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [7, 3, 5] and subset[-1] == 5
    concat = ConcatDataset([range(3), range(10, 14)])
    assert len(concat) == 7 and [concat[i] for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert concat[-1] == 13 and concat.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        concat[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])
    joined = TensorDataset(tg.arange(2)) + TensorDataset(tg.arange(5, 8))
    assert isinstance(joined, ConcatDataset) and epoch_order(DataLoader(joined, batch_size=2)) == [0, 1, 5, 6, 7]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40),
       fractions=st.sampled_from([[0.8, 0.2], [0.3, 0.3, 0.4], [0.5, 0.5], [1.0], [0.1] * 10]))
def test_random_split_fraction_lengths_match_torch(n, fractions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(range(n), fractions, generator=tg.Generator().manual_seed(0))
        theirs = torch_data.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(split) for split in ours] == [len(split) for split in theirs]
    assert sorted(index for split in ours for index in split) == list(range(n))


def test_random_split_counts_and_reproducibility():
    splits = random_split(range(10), [3, 7], generator=tg.Generator().manual_seed(42))
    again = random_split(range(10), [3, 7], generator=tg.Generator().manual_seed(42))
    assert [list(split) for split in splits] == [list(split) for split in again]
    assert all(isinstance(split, Subset) for split in splits)
    assert sorted(list(splits[0]) + list(splits[1])) == list(range(10))
    tg.manual_seed(1)
    first = [list(split) for split in random_split(range(10), [5, 5])]
    tg.manual_seed(1)
    assert [list(split) for split in random_split(range(10), [5, 5])] == first


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], "Sum of input lengths does not equal the length of the input dataset!"),
    ([0.5, 1.5, -1.0], "Fraction at index 1 is not between 0 and 1"),
])
def test_random_split_errors_match_torch(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(range(10), lengths)
    with pytest.raises(ValueError, match=message):
        torch_data.random_split(range(10), lengths)


def test_random_split_warns_on_empty_split():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.5, 0.5])


def test_imports_like_torch():
    import tinygrad_edu.utils.data as utils_data
    from tinygrad_edu import utils

    assert utils.data.DataLoader is utils_data.DataLoader
    assert issubclass(TensorDataset, Dataset) and issubclass(IterableDataset, Dataset)


# -- the samplers of torch.utils.data.sampler --

def frequencies(indices, size):
    return np.bincount(np.asarray(indices), minlength=size) / len(indices)


def assert_frequencies_match(indices, probabilities):
    """Empirical frequencies within five standard errors of the expected probabilities."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    bound = 5 * np.sqrt(probabilities * (1 - probabilities) / len(indices)) + 1e-12
    assert np.all(np.abs(frequencies(indices, len(probabilities)) - probabilities) <= bound)


def test_sampler_module_exports_what_torch_exports():
    import tinygrad_edu.utils.data as our_data
    import tinygrad_edu.utils.data.sampler as our_sampler
    for name in torch_data.sampler.__all__:
        assert getattr(our_sampler, name) is getattr(our_data, name)


@pytest.mark.parametrize("indices", [[], [7], [3, 9, 4, 0, 11], list(range(50, 80)), "abc"])
def test_subset_random_sampler_is_a_permutation_of_the_indices(indices):
    ours = SubsetRandomSampler(indices, generator=tg.Generator().manual_seed(3))
    theirs = torch_data.SubsetRandomSampler(indices)
    assert len(ours) == len(theirs) == len(indices)
    drawn = list(ours)
    assert sorted(drawn) == sorted(theirs) == sorted(indices)


def test_subset_random_sampler_reshuffles_and_is_reproducible():
    indices = list(range(100, 140))
    tg.manual_seed(0)
    first, second = list(SubsetRandomSampler(indices)), list(SubsetRandomSampler(indices))
    tg.manual_seed(0)
    assert list(SubsetRandomSampler(indices)) == first and first != second
    sampler = SubsetRandomSampler(indices, generator=tg.Generator().manual_seed(1))
    assert list(sampler) != list(sampler)     # a fresh order every pass


def test_subset_random_sampler_gives_a_validation_split():
    dataset = TensorDataset(tg.arange(20) * 10)
    train_loader = DataLoader(dataset, batch_size=4, sampler=SubsetRandomSampler(range(15)))
    valid_loader = DataLoader(dataset, batch_size=4, sampler=SubsetRandomSampler(range(15, 20)))
    assert len(train_loader) == 4 and len(valid_loader) == 2
    assert sorted(epoch_order(train_loader)) == [10 * i for i in range(15)]
    assert sorted(epoch_order(valid_loader)) == [10 * i for i in range(15, 20)]


def test_subset_random_sampler_position_frequencies_are_uniform():
    sampler = SubsetRandomSampler([5, 6, 7, 8], generator=tg.Generator().manual_seed(2))
    firsts = [next(iter(sampler)) - 5 for _ in range(8000)]
    assert_frequencies_match(firsts, [0.25] * 4)


@pytest.mark.parametrize("weights", [[0.1, 0.9, 0.4, 0.7, 3.0, 0.6], [1, 0, 2, 0, 5], [0.0, 1.0]])
def test_weighted_random_sampler_frequencies_match_the_weights(weights):
    ours = WeightedRandomSampler(weights, 20000, generator=tg.Generator().manual_seed(0))
    theirs = torch_data.WeightedRandomSampler(weights, 20000)
    drawn = list(ours)
    assert len(ours) == len(drawn) == len(list(theirs)) == 20000
    probabilities = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    assert_frequencies_match(drawn, probabilities)
    assert_frequencies_match(list(theirs), probabilities)     # the same bound holds for torch's draws
    assert all(weights[i] > 0 for i in set(drawn))


def test_weighted_random_sampler_without_replacement_draws_in_proportion_to_what_is_left():
    weights = [1.0, 2.0, 3.0, 4.0]
    sampler = WeightedRandomSampler(weights, 2, replacement=False, generator=tg.Generator().manual_seed(4))
    pairs = [tuple(sampler) for _ in range(12000)]
    assert all(first != second for first, second in pairs)
    total = sum(weights)
    expected = [weights[i] / total * weights[j] / (total - weights[i]) for i in range(4) for j in range(4) if i != j]
    codes = [4 * i + j for i, j in pairs]
    observed = frequencies(codes, 16)[[4 * i + j for i in range(4) for j in range(4) if i != j]]
    bound = 5 * np.sqrt(np.asarray(expected) * (1 - np.asarray(expected)) / len(pairs))
    assert np.all(np.abs(observed - expected) <= bound)


def test_weighted_random_sampler_without_replacement_takes_zero_weights_last():
    for replacement_order in (list(WeightedRandomSampler([0, 3, 0, 1], 4, replacement=False)),
                              list(torch_data.WeightedRandomSampler([0, 3, 0, 1], 4, replacement=False))):
        assert sorted(replacement_order[:2]) == [1, 3] and sorted(replacement_order[2:]) == [0, 2]


def test_weighted_random_sampler_attributes_match_torch():
    ours = WeightedRandomSampler(tg.tensor([1, 2, 3]), 5, replacement=False)
    theirs = torch_data.WeightedRandomSampler(torch.tensor([1, 2, 3]), 5, replacement=False)
    assert_same(ours.weights, theirs.weights)
    assert (ours.num_samples, ours.replacement, len(ours)) == (theirs.num_samples, theirs.replacement, len(theirs))
    tg.manual_seed(7)
    first = list(WeightedRandomSampler([1, 2, 3], 50))
    tg.manual_seed(7)
    assert list(WeightedRandomSampler([1, 2, 3], 50)) == first


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("args, kwargs", [
    (([1.0, 2.0], 0), {}), (([1.0, 2.0], -3), {}), (([1.0, 2.0], True), {}), (([1.0, 2.0], 2.0), {}),
    (([1.0, 2.0], 2), dict(replacement=1)), (([[1.0, 2.0]], 2), {}), ((5.0, 2), {}),
])
def test_weighted_random_sampler_argument_errors_match_torch(args, kwargs):
    with pytest.raises(ValueError) as theirs:
        torch_data.WeightedRandomSampler(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        WeightedRandomSampler(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, -1.0, 2.0], 1, True), ([1.0, -1.0, 2.0], 2, True), ([1.0, -1.0, 2.0], 2, False),
    ([1.0, NAN], 1, True), ([1.0, NAN], 2, True), ([NAN, -1.0], 2, True), ([1.0, NAN], 2, False),
    ([1.0, INF], 1, True), ([1.0, INF, -1.0], 2, True), ([1.0, INF], 2, False),
    ([0.0, 0.0], 1, True), ([0.0, 0.0], 3, True), ([0.0, 0.0], 2, False), ([], 3, True),
    ([1.0, 2.0], 3, False), ([], 2, False),
])
def test_weighted_random_sampler_distribution_errors_match_torch(weights, num_samples, replacement):
    with pytest.raises(RuntimeError) as theirs:
        list(torch_data.WeightedRandomSampler(weights, num_samples, replacement))
    with pytest.raises(RuntimeError) as ours:
        list(WeightedRandomSampler(weights, num_samples, replacement))
    assert str(ours.value) == str(theirs.value)


def test_random_sampler_with_replacement_draws_lazily():
    import tracemalloc
    sampler = RandomSampler(range(1000), replacement=True, num_samples=int(1e10),
                            generator=tg.Generator().manual_seed(0))
    assert len(sampler) == len(torch_data.RandomSampler(range(1000), replacement=True, num_samples=int(1e10)))
    tracemalloc.start()
    try:
        first = list(itertools.islice(iter(sampler), 10_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(first) == 10_000 and peak < 4 * 2**20
    batches = itertools.islice(iter(BatchSampler(sampler, 64, drop_last=False)), 3)
    assert [len(batch) for batch in batches] == [64, 64, 64]


@pytest.mark.parametrize("num_samples", [1, 31, 4095, 4096, 4097, 10_000])
def test_random_sampler_with_replacement_is_uniform_and_exact_in_length(num_samples):
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=num_samples,
                               generator=tg.Generator().manual_seed(num_samples)))
    assert len(drawn) == num_samples == len(list(torch_data.RandomSampler(range(5), True, num_samples)))
    assert set(drawn) <= set(range(5))
    if num_samples >= 4095:
        assert_frequencies_match(drawn, [0.2] * 5)


def test_random_sampler_errors_on_an_empty_dataset_like_torch():
    for sampler_class, error in ((torch_data.RandomSampler, RuntimeError), (RandomSampler, RuntimeError)):
        with pytest.raises(error, match="random_ expects 'from' to be less than 'to', but got from=0 >= to=0"):
            list(sampler_class(range(0), replacement=True, num_samples=3))


def test_weighted_random_sampler_balances_classes_in_a_dataloader():
    labels = np.array([0] * 90 + [1] * 10)
    class_weights = 1.0 / np.bincount(labels)
    sample_weights = class_weights[labels].tolist()
    dataset = TensorDataset(tg.from_numpy(labels))
    sampler = WeightedRandomSampler(sample_weights, num_samples=4000, generator=tg.Generator().manual_seed(0))
    ours = DataLoader(dataset, batch_size=64, sampler=sampler)
    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.from_numpy(labels)), batch_size=64,
                                   sampler=torch_data.WeightedRandomSampler(sample_weights, num_samples=4000))
    assert len(ours) == len(theirs) == 63
    drawn = epoch_order(ours)
    assert len(drawn) == 4000
    assert_frequencies_match(drawn, [0.5, 0.5])
