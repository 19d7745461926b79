"""Embedding: a lookup table from integer ids to learned vectors; ``one_hot`` encoding."""
import tinygrad_edu
from tinygrad_edu.autograd import Function
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter


class _ScaleRowGradients(Function):
    """Identity forward; backward multiplies the gradient of each looked-up row by a factor.

    The factor is 0 where the id is ``padding_idx`` (that row never learns) and, with
    ``scale_grad_by_freq``, 1 / (how often the id occurs in the batch).
    """

    def forward(self, rows, indices, padding_idx, scale_grad_by_freq):
        xp = self.xp
        if scale_grad_by_freq:
            _, position_of_id, counts = xp.unique(indices, return_inverse=True, return_counts=True)
            factor = (1 / counts[position_of_id.reshape(indices.shape)]).astype(rows.dtype)
        else:
            factor = xp.ones(indices.shape, dtype=rows.dtype)
        if padding_idx is not None:
            factor[indices == padding_idx] = 0
        self.save_for_backward(factor[..., None])
        return rows

    def backward(self, grad_output):
        factor, = self.saved_tensors
        return grad_output * factor, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the ids in ``input``.

    The result has shape (*input.shape, embedding_dim). The row ``padding_idx`` gets no
    gradient. With ``max_norm``, each looked-up row whose ``norm_type``-norm exceeds it
    is first rescaled to that norm, in place in ``weight``. ``sparse`` is accepted for
    compatibility; gradients are always dense.

    >>> weight = tinygrad_edu.randn(10, 3)
    >>> F.embedding(tinygrad_edu.tensor([[1, 2], [4, 9]]), weight).shape
    tinygrad_edu.Size([2, 2, 3])
    """
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    padding_idx = _normalise_padding_idx(padding_idx, weight.shape[0])
    _check_indices(input, weight.shape[0])
    if max_norm is not None:
        _renormalise_rows_(weight, input, max_norm, norm_type)
    rows = weight[input.long()]                                    # (*input.shape, embedding_dim)
    if padding_idx is None and not scale_grad_by_freq:
        return rows
    return _ScaleRowGradients.apply(rows, input, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _normalise_padding_idx(padding_idx, num_embeddings):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def _check_indices(input, num_embeddings):
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{input.dtype.tensor_type_name} instead "
                           "(while checking arguments for embedding)")
    if input.numel() and ((input < 0) | (input >= num_embeddings)).any().item():
        raise IndexError("index out of range in self")


def _renormalise_rows_(weight, input, max_norm, norm_type):
    """Scale, in place, each row used by ``input`` whose norm exceeds ``max_norm`` down to it."""
    with tinygrad_edu.no_grad():
        ids = input.reshape(-1).long()
        rows = weight[ids]
        norms = (rows.abs() ** norm_type).sum(1, keepdim=True) ** (1 / norm_type)
        scale = (max_norm / (norms + 1e-7)).where(norms > max_norm, 1.0)
        weight[ids] = rows * scale


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes): 1 at each class index, 0 elsewhere.

    ``num_classes=-1`` uses the largest index + 1.

    >>> F.one_hot(tinygrad_edu.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel():
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.max().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = tinygrad_edu.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, indexed by id.

    ``weight`` starts as N(0, 1); the row ``padding_idx`` (if given) starts at zero and
    receives no gradient, so it stays a neutral "no token" vector.

    >>> embed = nn.Embedding(10, 3, padding_idx=0)
    >>> embed
    Embedding(10, 3, padding_idx=0)
    >>> embed(tinygrad_edu.tensor([[0, 2, 4], [4, 3, 9]])).shape
    tinygrad_edu.Size([2, 3, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _normalise_padding_idx(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            weight = tinygrad_edu.empty(num_embeddings, embedding_dim, device=device, dtype=dtype)
            self.weight = Parameter(weight, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the table again from N(0, 1), with the padding row at zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with tinygrad_edu.no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is ``embeddings`` (num_embeddings, embedding_dim), shared, not copied.

        ``freeze=True`` (the default) keeps the table fixed during training. The row
        ``padding_idx`` keeps its given values but receives no gradient.

        >>> table = tinygrad_edu.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
        >>> nn.Embedding.from_pretrained(table)(tinygrad_edu.tensor([1]))
        tensor([[4.0000, 5.1000, 6.3000]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
