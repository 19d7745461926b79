"""Flatten and Unflatten: reshape a range of dimensions as a layer."""
from tinygrad_edu.nn.modules.module import Module


class Flatten(Module):
    """Flattens dimensions ``start_dim`` to ``end_dim`` into one (the batch dim is kept by default).

    >>> nn.Flatten()(tinygrad_edu.rand(3, 28, 28)).shape
    tinygrad_edu.Size([3, 784])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` into ``unflattened_size`` (one size may be -1).

    >>> nn.Unflatten(1, (9, 9))(tinygrad_edu.rand(2, 81)).shape
    tinygrad_edu.Size([2, 9, 9])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        _require_tuple_of_ints(unflattened_size)
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _require_tuple_of_ints(sizes):
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflattened_size must be a tuple of ints, but found type {type(sizes).__name__}")
    for position, size in enumerate(sizes):
        if not isinstance(size, int):
            raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                            f"{type(size).__name__} at pos {position}")
