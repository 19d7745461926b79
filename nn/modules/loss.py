"""Loss functions: the layers (``nn.CrossEntropyLoss()``) and their functional forms (``F.cross_entropy``).

Every loss computes one value per element (or per sample), then applies
``reduction``: ``'mean'`` (the default), ``'sum'``, or ``'none'`` (no reduction).
Logarithms of probabilities are never taken after an ``exp``: cross entropy goes
through ``log_softmax`` and BCE-with-logits through a log-sigmoid, so large logits
cannot overflow.

>>> loss_fn = nn.CrossEntropyLoss()
>>> loss = loss_fn(logits, labels)      # logits (N, C), labels (N,) of class indices
>>> loss.backward()
"""
import warnings

from tinygrad_edu.autograd import Function, Op
from tinygrad_edu.ops_reduce import Softmax
from tinygrad_edu.nn.modules.activation import logsigmoid
from tinygrad_edu.nn.modules.module import Module


# ---- reduction --------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """The ``reduction`` that torch's deprecated ``size_average``/``reduce`` flags stand for."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _check_reduction(reduction, allowed=("none", "mean", "sum")):
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted_reduce(loss, weight, input, reduction, mean_over_weights=True):
    """Multiply by a per-element ``weight`` of input's size, then reduce (mse, l1, huber)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_over_weights else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _warn_if_sizes_differ(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(target)}) that is different to the input size ({_size(input)}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _size(tensor):
    return repr(tensor.size())


# ---- regression losses ---------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: (input - target)², reduced.

    >>> F.mse_loss(tinygrad_edu.tensor([1.0, 2.0]), tinygrad_edu.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _warn_if_sizes_differ(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    squared_error = (input - target) ** 2
    if weight is not None:
        return _weighted_reduce(squared_error, weight, input, reduction)
    _check_reduction(reduction)
    return _reduce(squared_error, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: |input - target|, reduced."""
    _warn_if_sizes_differ(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    absolute_error = (input - target).abs()
    if weight is not None:
        return _weighted_reduce(absolute_error, weight, input, reduction)
    _check_reduction(reduction)
    return _reduce(absolute_error, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d² / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    _warn_if_sizes_differ(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    distance = (input - target).abs()
    loss = (0.5 / beta * distance ** 2).where(distance < beta, distance - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d² where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target)."""
    _warn_if_sizes_differ(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    distance = (input - target).abs()
    loss = (0.5 * distance ** 2).where(distance < delta, delta * (distance - 0.5 * delta))
    if weight is not None:
        return _weighted_reduce(loss, weight, input, reduction, mean_over_weights=False)
    _check_reduction(reduction)
    return _reduce(loss, reduction)


# ---- binary classification -------------------------------------------------------------------
class _BinaryCrossEntropy(Function):
    """-(y log x + (1 - y) log(1 - x)), each log clamped at -100 as torch does (so 0·log 0 = 0)."""

    def forward(self, x, y):
        xp = self.xp
        self.save_for_backward(x, y)
        log_x = xp.maximum(xp.log(x), -100)
        log_one_minus_x = xp.maximum(xp.log1p(-x), -100)
        return -(y * log_x + (1 - y) * log_one_minus_x)

    def backward(self, grad_output):
        x, y = self.saved_tensors
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            grad_x = grad_output * (x - y) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            grad_y = grad_output * ((-x).log1p() - x.log())     # unclamped, as torch: ±inf at 0 and 1
        return grad_x, grad_y


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy between probabilities ``input`` (in [0, 1]) and ``target``.

    For logits (before a sigmoid) use ``binary_cross_entropy_with_logits``: it is
    stabler and cheaper. ``weight`` rescales each element's loss.

    >>> F.binary_cross_entropy(tinygrad_edu.tensor([0.9, 0.2]), tinygrad_edu.tensor([1.0, 0.0]))
    tensor(0.1643)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(target)}) that is different to the input size "
                         f"({_size(input)}) is deprecated. Please ensure they have the same size.")
    _check_reduction(reduction)
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}")
    if ((input < 0) | (input > 1)).any().item():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if ((target < 0) | (target > 1)).any().item():
        raise RuntimeError("all elements of target should be between 0 and 1")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid then binary cross entropy, in one stable step: for logit x and target y,
    loss = (1 - y) x + (1 + (pos_weight - 1) y) · softplus(-x), with softplus(-x) = -log σ(x).

    ``pos_weight`` (one value per class, broadcast over the last dim) weighs the
    positive examples: > 1 raises recall, < 1 raises precision.

    >>> F.binary_cross_entropy_with_logits(tinygrad_edu.tensor([2.0, -1.0]), tinygrad_edu.tensor([1.0, 0.0]))
    tensor(0.2201)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target)}) must be the same as input size ({_size(input)})")
    _check_reduction(reduction)
    softplus_of_negative = -logsigmoid(input)
    if pos_weight is not None:
        softplus_of_negative = (1 + (pos_weight - 1) * target) * softplus_of_negative
    loss = (1 - target) * input + softplus_of_negative
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---- multi-class classification ------------------------------------------------------------------
def _check_class_weight(weight, n_classes, prefix=""):
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


def _check_nll_shapes(input, target):
    if input.dim() == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if input.dim() == 1:
        if target.dim() > 1 or (target.dim() == 1 and target.shape[0] != 1):
            raise RuntimeError("For 1D input, 1D target must have size 1, but got target size: "
                               f"{target.shape[0] if target.dim() == 1 else list(target.shape)}")
        return
    if target.dim() == 0 or input.shape[0] != target.shape[0]:
        target_batch = target.shape[0] if target.dim() else 1
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target_batch}).")
    if input.dim() == 2 and target.dim() != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = list(input.shape[:1]) + list(input.shape[2:])
    if input.dim() > 2 and list(target.shape) != expected:
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")


def _check_target_dtype(target):
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{target.dtype.scalar_name}")


def _check_class_indices(target, n_classes, ignore_index):
    counted = target != ignore_index
    out_of_bounds = counted & ((target < 0) | (target >= n_classes))
    if out_of_bounds.any().item():
        raise IndexError(f"Target {target[out_of_bounds][0].item()} is out of bounds.")


def _checked_class_target(input, target, weight, ignore_index):
    """torch's checks of class-index targets for ``input`` of log-probabilities or logits; ``target`` as int64."""
    _check_nll_shapes(input, target)
    n_classes = input.shape[0] if input.dim() == 1 else input.shape[1]
    _check_class_weight(weight, n_classes)
    _check_target_dtype(target)
    target = target.long()
    _check_class_indices(target, n_classes, ignore_index)
    return target


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood: -weight[t] · input[n, t] for each sample n of class t.

    ``input`` holds log-probabilities, (N, C) or (N, C, d1, ...), or (C) for one
    sample; ``target`` the class indices, (N) or (N, d1, ...). Samples whose target
    is ``ignore_index`` add nothing; ``'mean'`` divides by the summed weights of the
    samples that count.

    >>> F.nll_loss(F.log_softmax(logits, dim=1), labels)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _checked_class_target(input, target, weight, ignore_index)
    if input.dim() == 1:
        loss = _nll(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
        return loss.reshape(()) if reduction == "none" else loss
    return _nll(input, target, weight, ignore_index, reduction)


def _nll(log_probs, target, weight, ignore_index, reduction):
    """nll_loss on (N, C, *) log-probabilities and (N, *) int64 targets, checks done."""
    counted = target != ignore_index
    safe_target = target.masked_fill(~counted, 0)               # ignored samples pick class 0, weighted 0
    picked = log_probs.gather(1, safe_target.unsqueeze(1)).squeeze(1)
    sample_weight = counted.to(log_probs.dtype)
    if weight is not None:
        sample_weight = sample_weight * weight[safe_target]
    loss = -picked * sample_weight
    if reduction == "mean":
        return loss.sum() / sample_weight.sum()
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy between logits ``input`` and ``target``: log_softmax then nll_loss.

    ``input``: (N, C), (N, C, d1, ...) or (C) unnormalised logits. ``target``:
    class indices ((N), (N, d1, ...) or ()) or, when shaped like ``input``, class
    probabilities. ``label_smoothing`` mixes the target with the uniform
    distribution: (1 - ε) target + ε / C.

    >>> logits = tinygrad_edu.tensor([[2.0, 0.5, -1.0]])
    >>> F.cross_entropy(logits, tinygrad_edu.tensor([0]))
    tensor(0.2413)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not input.dtype.is_floating_point:
        input.log_softmax(0 if input.dim() == 1 else 1)  # raises torch's error for integer logits
    if input.dim() == 2 and target.dim() == 1 and weight is None and label_smoothing == 0.0:
        target = _checked_class_target(input, target, weight, ignore_index)
        return _CrossEntropy.apply(input, target, ignore_index=ignore_index, reduction=reduction)
    class_dim = 0 if input.dim() == 1 else 1
    log_probs = input.log_softmax(class_dim)
    if tuple(input.shape) == tuple(target.shape):
        return _cross_entropy_with_probabilities(log_probs, target, weight, ignore_index, reduction,
                                                 label_smoothing, class_dim)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    loss = nll_loss(log_probs, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0.0:
        return loss
    smoothing = _uniform_target_loss(log_probs, target.long(), weight, ignore_index, reduction, class_dim)
    return (1 - label_smoothing) * loss + smoothing * (label_smoothing / input.shape[class_dim])


class _CrossEntropy(Op):
    """log_softmax and nll_loss as one node, for (N, C) logits and (N,) class indices.

    The gradient is softmax minus the one-hot target, scaled by each sample's share of the
    loss; the softmax is computed again from the logits, so the backward can be recorded too.
    """
    backward_name = "NllLossBackward0"

    def forward(self, logits, target, ignore_index, reduction):
        xp = self.xp
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))      # (N, C)
        counted = target != ignore_index
        safe_target = xp.where(counted, target, 0)[:, None]                          # (N, 1)
        sample_weight = counted.astype(logits.dtype)[:, None]                        # (N, 1)
        if reduction == "mean":
            sample_weight /= sample_weight.sum()
        one_hot = xp.zeros_like(logits)
        one_hot[xp.arange(len(logits)), safe_target[:, 0]] = 1
        self.reduction = reduction
        self.save_for_backward(logits, one_hot, sample_weight)
        losses = -xp.take_along_axis(log_probs, safe_target, 1) * sample_weight      # (N, 1)
        return losses[:, 0] if reduction == "none" else losses.sum()

    def backward(self, grad_output):
        logits, one_hot, sample_weight = self.saved_tensors
        if self.reduction == "none":
            grad_output = grad_output.reshape(-1, 1)
        probs = Softmax.apply(logits, dim=1)
        return (probs - one_hot) * (sample_weight * grad_output), None


def _uniform_target_loss(log_probs, target, weight, ignore_index, reduction, class_dim):
    """The cross entropy against a uniform target (times C), normalised as nll_loss normalises."""
    class_shape = [1] * log_probs.dim()
    class_shape[class_dim] = log_probs.shape[class_dim]
    weighted = log_probs if weight is None else log_probs * weight.reshape(class_shape)
    counted = target != ignore_index
    loss = -weighted.sum(class_dim).masked_fill(~counted, 0.0)
    if reduction != "mean":
        return _reduce(loss, reduction)
    if weight is None:
        return loss.sum() / counted.sum()
    return loss.sum() / weight[target[counted]].sum()


def _cross_entropy_with_probabilities(log_probs, target, weight, ignore_index, reduction, label_smoothing,
                                      class_dim):
    if not target.dtype.is_floating_point:
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{target.dtype.scalar_name}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = log_probs.shape[class_dim]
    _check_class_weight(weight, n_classes, prefix="cross_entropy: ")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    products = log_probs * target
    if weight is not None:
        class_shape = [1] * log_probs.dim()
        class_shape[class_dim] = n_classes
        products = products * weight.reshape(class_shape)
    if reduction == "none":
        return -products.sum(class_dim)
    if reduction == "sum":
        return -products.sum()
    return -products.sum() / (log_probs.numel() // n_classes)


# ---- distributions and embeddings ------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target ‖ exp(input)) pointwise: target · (log target - input).

    ``input`` holds log-probabilities; ``target`` probabilities, or log-probabilities
    with ``log_target=True``. ``reduction='batchmean'`` (sum / batch size) is the
    true KL divergence; ``'mean'`` divides by every element and warns.

    >>> F.kl_div(F.log_softmax(logits, dim=1), target_probs, reduction="batchmean")
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    _check_reduction(reduction, ("none", "batchmean", "mean", "sum"))
    if log_target:
        loss = target.exp() * (target - input)
    else:
        target_log_target = target * target.where(target != 0, 1).log()    # x log x, 0 where x = 0
        loss = target_log_target - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) for pairs labelled 1; max(0, cos(x1, x2) - margin) for pairs labelled -1.

    ``input1``, ``input2``: (N, D) or (D); ``target``: (N) or () of 1 and -1.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target_dim = target.dim()
    if target_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != target_dim + 1 or input2.dim() != target_dim + 1:
        raise RuntimeError(f"{target_dim}D target tensor expects {target_dim + 1}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dot = (input1 * input2).sum(target_dim)
    squared_norms = ((input1 * input1).sum(target_dim) + 1e-12) * ((input2 * input2).sum(target_dim) + 1e-12)
    cosine = dot / squared_norms.sqrt()
    zero = cosine * 0
    similar = (1 - cosine).where(target == 1, zero)
    dissimilar = (cosine - margin).clamp(min=0).where(target == -1, zero)
    return _reduce(similar + dissimilar, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target · (input1 - input2) + margin): target 1 asks input1 to rank higher, -1 lower."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


# ---- layers ------------------------------------------------------------------------------------------
class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error between input and target.

    >>> nn.MSELoss()(prediction, target)
    """

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error between input and target.

    >>> nn.L1Loss(reduction="sum")(prediction, target)
    """

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above: less sensitive to outliers than MSE.

    >>> nn.SmoothL1Loss(beta=0.5)(prediction, target)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below ``delta``, delta-scaled absolute error above (SmoothL1Loss × delta).

    >>> nn.HuberLoss(delta=2.0)(prediction, target)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities (after a sigmoid).

    >>> nn.BCELoss()(probabilities, targets)
    """

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross entropy in one numerically stable step; takes logits.

    >>> nn.BCEWithLogitsLoss(pos_weight=tinygrad_edu.tensor([3.0]))(logits, targets)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices under log-probabilities (after LogSoftmax).

    >>> nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities (LogSoftmax + NLLLoss).

    >>> loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> loss_fn(logits, labels)          # logits (N, C), labels (N,)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence; input in log space, target in probability (or log) space.

    >>> nn.KLDivLoss(reduction="batchmean")(F.log_softmax(logits, dim=1), target_probs)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """Pulls pairs labelled 1 to cosine 1, pushes pairs labelled -1 below cosine ``margin``.

    >>> nn.CosineEmbeddingLoss(margin=0.5)(x1, x2, tinygrad_edu.tensor([1.0, -1.0]))
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """Asks input1 to exceed input2 by ``margin`` where target is 1 (and the reverse where -1).

    >>> nn.MarginRankingLoss(margin=0.1)(scores1, scores2, tinygrad_edu.tensor([1.0, -1.0]))
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)
