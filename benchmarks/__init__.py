"""Benchmarks of tinygrad_edu against PyTorch, hand-written NumPy and micrograd: see README.md."""
