"""Shared test settings: PyTorch, the oracle, runs single-threaded (tiny tensors are faster that way)."""
import torch

torch.set_num_threads(1)
