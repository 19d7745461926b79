"""Utilities, as ``torch.utils``: ``tinygrad_edu.utils.data`` holds the data loading tools."""
from tinygrad_edu.utils import data
