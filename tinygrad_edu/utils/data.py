"""``from tinygrad_edu.utils.data import DataLoader`` works as ``from torch.utils.data import DataLoader``.

The code lives in ``tinygrad_edu.nn.data``; this module only re-exports it.
"""
from tinygrad_edu.nn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "TensorDataset", "default_collate", "default_convert",
    "random_split",
]
