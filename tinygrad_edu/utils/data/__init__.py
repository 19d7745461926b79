"""Data loading, as ``torch.utils.data``: ``from tinygrad_edu.utils.data import DataLoader`` works as
``from torch.utils.data import DataLoader``; the modules ``dataset``, ``sampler`` and ``dataloader``
hold the code under torch's module paths."""
from tinygrad_edu.utils.data.dataset import (ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                                             random_split)
from tinygrad_edu.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                             SubsetRandomSampler, WeightedRandomSampler)
from tinygrad_edu.utils.data.dataloader import DataLoader, default_collate, default_convert

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
    "default_collate", "default_convert", "random_split",
]
