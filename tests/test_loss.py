"""Every loss against torch: each reduction and option, float64 and float32, the gradient of
every differentiable input, numerical stability at the extremes, and torch's error messages."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from helpers import Const, F as functional_of, check
from tinygrad_edu import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only adds contention

REDUCTIONS = ("none", "mean", "sum")
DTYPES = ("float64", "float32")
rng = np.random.default_rng(0)


def probabilities(shape, low=0.02, high=0.98):
    return rng.uniform(low, high, size=shape)


def class_indices(shape, n_classes, ignored=None, ignore_index=-100):
    """Random int64 class indices; ``ignored`` positions (a flat count) set to ``ignore_index``."""
    target = rng.integers(0, n_classes, size=shape)
    if ignored:
        target.reshape(-1)[:ignored] = ignore_index
    return Const(target.astype(np.int64))


def positive(shape, dtype="float64"):
    return Const(rng.uniform(0.5, 2.0, size=shape).astype(dtype))


def loss(name, **options):
    """A call running functional ``name`` of whichever framework its first tensor belongs to."""
    return lambda *tensors: getattr(functional_of(tensors[0]), name)(*tensors, **options)


# ------------------------------------------------------------------------------ regression
REGRESSION_CASES = [
    ("mse_loss", {}), ("l1_loss", {}),
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 2.0}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}), ("huber_loss", {"delta": 0.5}), ("huber_loss", {"delta": 2.5}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,options", REGRESSION_CASES, ids=[f"{n}-{o}" for n, o in REGRESSION_CASES])
def test_regression_losses_match_torch(name, options, reduction, dtype):
    check(loss(name, reduction=reduction, **options), (4, 5), (4, 5), dtype=dtype, seed=len(name))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses_with_elementwise_weight(name, reduction):
    check(lambda x, y, w: getattr(functional_of(x), name)(x, y, reduction=reduction, weight=w),
          (3, 4), (3, 4), positive((3, 4)))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_at_zero_and_at_the_kink(name):
    """Equal input and target (|d| = 0) and |d| exactly at the switch point."""
    x = np.array([1.0, 2.0, -3.0, 0.5, 4.0, 0.0])
    y = np.array([1.0, 1.0, -2.0, 0.5, 2.0, 3.0])
    check(loss(name, reduction="none"), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
def test_broadcast_target_warns_like_torch(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check(loss(name), (3, 4), (4,))
    ours = "Using a target size (tinygrad_edu.Size([4])) that is different to the input size (tinygrad_edu.Size([3, 4]))."
    assert any(str(warning.message).startswith(ours) for warning in caught)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), index=st.integers(0, len(REGRESSION_CASES) - 1),
       reduction=st.sampled_from(REDUCTIONS))
def test_regression_losses_any_shape(shape, index, reduction):
    name, options = REGRESSION_CASES[index]
    check(loss(name, reduction=reduction, **options), tuple(shape), tuple(shape))


def test_regression_errors_use_torch_messages():
    x = tg.randn(3, 4)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(x, x, weight=tg.ones(4))
    with pytest.raises(ValueError, match="Invalid reduction mode: avg. Expected one of 'none', 'mean', 'sum'."):
        F.mse_loss(x, x, reduction="avg", weight=tg.ones(3, 4))
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(RuntimeError, match="The size of tensor a"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.mse_loss(x, tg.randn(3))


# ------------------------------------------------------------------------------ binary
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_binary_cross_entropy_matches_torch(with_weight, reduction, dtype):
    weight = [positive((4,), dtype)] if with_weight else []
    check(lambda x, y, *w: functional_of(x).binary_cross_entropy(x, y, *w, reduction=reduction),
          probabilities((3, 4)), probabilities((3, 4), 0.0, 1.0), *weight, dtype=dtype)


def test_binary_cross_entropy_clamps_its_logs_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-300, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5])
    check(loss("binary_cross_entropy", reduction="none"), Const(x), Const(y), grad=False)
    check(loss("binary_cross_entropy", reduction="sum"), x, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits_matches_torch(weights, reduction, dtype):
    options = dict(reduction=reduction)
    extra, names = [], []
    if weights in ("weight", "both"):
        extra.append(positive((3, 4), dtype)), names.append("weight")
    if weights in ("pos_weight", "both"):
        extra.append(positive((4,), dtype)), names.append("pos_weight")

    def call(x, y, *weight_tensors):
        return functional_of(x).binary_cross_entropy_with_logits(x, y, **dict(zip(names, weight_tensors)), **options)
    check(call, (3, 4), probabilities((3, 4), 0.0, 1.0), *extra, dtype=dtype)


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0, 40.0, -40.0])
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0, 1.0])
    ours, _ = check(loss("binary_cross_entropy_with_logits", reduction="none"), logits, target)
    assert np.isfinite(ours[0].grad.numpy()).all()
    check(lambda x, y, w: functional_of(x).binary_cross_entropy_with_logits(x, y, pos_weight=w), logits, target,
          Const(np.array([3.0])))


def test_binary_cross_entropy_with_logits_gradient_at_zero_logit_is_sigmoid_minus_target():
    x = tg.zeros(3, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, tg.tensor([0.0, 1.0, 0.25]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, -0.5, 0.25])


def test_binary_errors_use_torch_messages():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([0.5]), tg.tensor([3.0]))
    with pytest.raises(ValueError, match=r"Using a target size \(tinygrad_edu.Size\(\[4\]\)\) that is different to "
                                         r"the input size \(tinygrad_edu.Size\(\[3, 4\]\)\) is deprecated"):
        F.binary_cross_entropy(tg.rand(3, 4), tg.rand(4))
    with pytest.raises(ValueError, match=r"Target size \(tinygrad_edu.Size\(\[4\]\)\) must be the same as input "
                                         r"size \(tinygrad_edu.Size\(\[3, 4\]\)\)"):
        F.binary_cross_entropy_with_logits(tg.rand(3, 4), tg.rand(4))
    with pytest.raises(ValueError, match="x is not a valid value for reduction"):
        F.binary_cross_entropy_with_logits(tg.rand(3, 4), tg.rand(3, 4), reduction="x")


# ------------------------------------------------------------------------------ cross entropy and NLL
CLASS_INDEX_CASES = [
    # (id, input shape, target shape, options, ignored count)
    ("2d", (5, 4), (5,), {}, 0),
    ("2d-weight", (5, 4), (5,), {"weight": True}, 0),
    ("2d-ignore", (6, 4), (6,), {}, 2),
    ("2d-weight-ignore", (6, 4), (6,), {"weight": True}, 2),
    ("2d-own-ignore-index", (6, 4), (6,), {"ignore_index": 1}, 0),
    ("4d", (2, 3, 4, 2), (2, 4, 2), {}, 0),
    ("4d-weight-ignore", (2, 3, 4, 2), (2, 4, 2), {"weight": True}, 3),
    ("unbatched", (4,), (), {}, 0),
    ("unbatched-weight", (4,), (), {"weight": True}, 0),
    ("3d", (3, 5, 2), (3, 2), {"weight": True}, 1),
]


def class_index_inputs(input_shape, target_shape, options, ignored, dtype="float64"):
    n_classes = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    ignore_index = options.get("ignore_index", -100)
    inputs = [input_shape, class_indices(target_shape, n_classes, ignored, ignore_index)]
    if options.get("weight"):
        inputs.append(positive((n_classes,), dtype))
    return inputs


def class_index_call(name, options, **extra):
    def call(x, target, weight=None):
        kwargs = {k: v for k, v in options.items() if k != "weight"}
        return getattr(functional_of(x), name)(x, target, weight=weight, **kwargs, **extra)
    return call


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("case", CLASS_INDEX_CASES, ids=[row[0] for row in CLASS_INDEX_CASES])
def test_cross_entropy_with_class_indices_matches_torch(case, label_smoothing, reduction, dtype):
    _, input_shape, target_shape, options, ignored = case
    inputs = class_index_inputs(input_shape, target_shape, options, ignored, dtype)
    check(class_index_call("cross_entropy", options, reduction=reduction, label_smoothing=label_smoothing),
          *inputs, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_INDEX_CASES, ids=[row[0] for row in CLASS_INDEX_CASES])
def test_nll_loss_matches_torch(case, reduction, dtype):
    _, input_shape, target_shape, options, ignored = case
    inputs = class_index_inputs(input_shape, target_shape, options, ignored, dtype)
    check(class_index_call("nll_loss", options, reduction=reduction), *inputs, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("input_shape", [(5, 4), (2, 3, 2, 2), (4,)])
def test_cross_entropy_with_class_probabilities_matches_torch(input_shape, with_weight, label_smoothing, reduction,
                                                              dtype):
    class_dim = 0 if len(input_shape) == 1 else 1
    target = rng.dirichlet(np.ones(input_shape[class_dim]), size=input_shape[:class_dim] + input_shape[class_dim + 1:])
    target = np.moveaxis(target, -1, class_dim)
    weight = [positive((input_shape[class_dim],), dtype)] if with_weight else []
    check(lambda x, y, *w: functional_of(x).cross_entropy(x, y, *w, reduction=reduction,
                                                          label_smoothing=label_smoothing),
          input_shape, target, *weight, dtype=dtype)


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 5), n_classes=st.integers(1, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(REDUCTIONS), label_smoothing=st.sampled_from([0.0, 0.1]), weighted=st.booleans())
def test_cross_entropy_any_shape(batch, n_classes, extra, reduction, label_smoothing, weighted):
    options = {"weight": True} if weighted else {}
    inputs = class_index_inputs((batch, n_classes, *extra), (batch, *extra), options, 0)
    check(class_index_call("cross_entropy", options, reduction=reduction, label_smoothing=label_smoothing), *inputs)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-3e4, 3e4, 0.0]])
    ours, _ = check(loss("cross_entropy", reduction="none"), logits, Const(np.array([2, 1])))
    assert np.isfinite(ours[0].grad.numpy()).all()


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_cross_entropy_with_every_target_ignored_is_nan_like_torch():
    out = F.cross_entropy(tg.randn(3, 5), tg.tensor([-100, -100, -100]))
    assert np.isnan(out.item())
    assert np.isnan(TF.cross_entropy(torch.randn(3, 5), torch.tensor([-100, -100, -100])).item())


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_accepts_a_uint8_target(label_smoothing):
    check(loss("cross_entropy", label_smoothing=label_smoothing), (3, 4), Const(np.array([0, 3, 1], dtype=np.uint8)))


CLASSIFICATION_ERRORS = [
    (ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\).",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2]))),
    (RuntimeError, r"Expected target size \[3, 4\], got \[3, 3\]",
     lambda: F.cross_entropy(tg.randn(3, 5, 4), tg.zeros(3, 3, dtype=tg.int64))),
    (RuntimeError, "expected target dtype to be Long or Byte, but got Float",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1.0, 2.0, 3.0]))),
    (RuntimeError, "expected target dtype to be Long or Byte, but got Int",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, 3], dtype=tg.int32))),
    (IndexError, "Target 7 is out of bounds.", lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, 7]))),
    (IndexError, "Target -1 is out of bounds.", lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, -1]))),
    (RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, 3]), label_smoothing=1.5)),
    (RuntimeError, "Expected floating point type for target with class probabilities, got Long",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.zeros(3, 5, dtype=tg.int64))),
    (RuntimeError, "ignore_index is not supported for floating point target",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.rand(3, 5), ignore_index=1)),
    (RuntimeError, r"weight tensor should be defined either for all 5 classes or no classes but got weight tensor "
                   r"of shape: \[4\]",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, 3]), weight=tg.ones(4))),
    (RuntimeError, r"cross_entropy: weight tensor should be defined either for all 5 classes",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.rand(3, 5), weight=tg.ones(4))),
    (ValueError, "x is not a valid value for reduction",
     lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([1, 2, 3]), reduction="x")),
    (RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
     lambda: F.nll_loss(tg.randn(3, 5), tg.zeros(3, 1, dtype=tg.int64))),
    (RuntimeError, r"Expected target size \[3, 2\], got \[3\]",
     lambda: F.nll_loss(tg.randn(3, 5, 2), tg.zeros(3, dtype=tg.int64))),
    (RuntimeError, "For 1D input, 1D target must have size 1, but got target size: 2",
     lambda: F.nll_loss(tg.randn(5), tg.tensor([1, 2]))),
    (ValueError, r"Expected 1 or more dimensions \(got 0\)", lambda: F.nll_loss(tg.randn(), tg.tensor(1))),
    (IndexError, "Target 7 is out of bounds.",
     lambda: F.nll_loss(tg.randn(3, 5, 2), tg.tensor([[1, 2], [2, 3], [4, 7]]))),
]


@pytest.mark.parametrize("error,message,call", CLASSIFICATION_ERRORS)
def test_classification_errors_use_torch_messages(error, message, call):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------------------ KL, cosine, ranking
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "batchmean", "sum", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(log_target, reduction, dtype):
    target = rng.dirichlet(np.ones(5), size=3)
    target[0, 1] = 0.0
    target = np.log(target + 0.05) if log_target else target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x, y: functional_of(x).kl_div(x, y, reduction=reduction, log_target=log_target),
              (3, 5), Const(target.astype(dtype)), dtype=dtype)
    if log_target:
        check(lambda x, y: functional_of(x).kl_div(x, y, reduction="sum", log_target=True), (3, 5), target)


def test_kl_div_target_gradient_matches_torch_for_positive_targets():
    check(loss("kl_div", reduction="batchmean"), (3, 5), rng.uniform(0.1, 1.0, size=(3, 5)))


def test_kl_div_mean_warns_and_rejects_unknown_reductions():
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        F.kl_div(tg.randn(3, 4), tg.rand(3, 4))
    with pytest.raises(ValueError, match="x is not a valid value for reduction"):
        F.kl_div(tg.randn(3, 4), tg.rand(3, 4), reduction="x")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
def test_cosine_embedding_loss_matches_torch(margin, reduction, dtype):
    target = Const(np.array([1.0, -1.0, 1.0, -1.0, -1.0], dtype=dtype))
    check(lambda a, b, y: functional_of(a).cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction),
          (5, 4), (5, 4), target, dtype=dtype)
    check(lambda a, b, y: functional_of(a).cosine_embedding_loss(a, b, y, margin=margin, reduction=reduction),
          (4,), (4,), Const(np.array(-1.0, dtype=dtype)), dtype=dtype)


def test_cosine_embedding_loss_ignores_targets_other_than_plus_or_minus_one():
    check(loss("cosine_embedding_loss", reduction="none"), (3, 4), (3, 4), Const(np.array([1, 0, 2])))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_matches_torch(margin, reduction, dtype):
    target = Const(np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0], dtype=dtype))
    check(lambda a, b, y: functional_of(a).margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
          (6,), (6,), target, dtype=dtype)


def test_pair_loss_errors_use_torch_messages():
    x = tg.randn(3, 4)
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cosine_embedding_loss(x, x, tg.ones(3, 1))
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors, but found inputs with sizes "
                                           r"\[3, 4, 2\] and \[3, 4, 2\]."):
        F.cosine_embedding_loss(tg.randn(3, 4, 2), tg.randn(3, 4, 2), tg.ones(3))
    with pytest.raises(RuntimeError, match=r"0D target tensor expects 1D input tensors"):
        F.cosine_embedding_loss(x, x, tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension but "
                                           r"got sizes: input1: tinygrad_edu.Size\(\[3\]\), input2: "
                                           r"tinygrad_edu.Size\(\[3, 1\]\), target: tinygrad_edu.Size\(\[3\]\)"):
        F.margin_ranking_loss(tg.randn(3), tg.randn(3, 1), tg.ones(3))


# ------------------------------------------------------------------------------ modules
def module_pair(make, dtype="float64"):
    """The loss module built by ``make(nn, lib)`` in both libraries."""
    return make(nn, tg), make(torch.nn, torch)


MODULE_CASES = [
    ("MSELoss", lambda n, lib: n.MSELoss(reduction="sum"), [(3, 4), (3, 4)]),
    ("L1Loss", lambda n, lib: n.L1Loss(), [(3, 4), (3, 4)]),
    ("SmoothL1Loss", lambda n, lib: n.SmoothL1Loss(beta=0.5), [(3, 4), (3, 4)]),
    ("HuberLoss", lambda n, lib: n.HuberLoss(reduction="none", delta=0.7), [(3, 4), (3, 4)]),
    ("BCELoss", lambda n, lib: n.BCELoss(weight=lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=lib.float64)),
     [probabilities((3, 4)), probabilities((3, 4))]),
    ("BCEWithLogitsLoss", lambda n, lib: n.BCEWithLogitsLoss(pos_weight=lib.tensor([2.0, 0.5, 1.0, 3.0],
                                                                                  dtype=lib.float64)),
     [(3, 4), probabilities((3, 4))]),
    ("CrossEntropyLoss", lambda n, lib: n.CrossEntropyLoss(weight=lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64),
                                                           ignore_index=0, label_smoothing=0.1),
     [(5, 3), Const(np.array([0, 1, 2, 2, 1]))]),
    ("NLLLoss", lambda n, lib: n.NLLLoss(reduction="sum"), [(5, 3), Const(np.array([0, 1, 2, 2, 1]))]),
    ("KLDivLoss", lambda n, lib: n.KLDivLoss(reduction="batchmean", log_target=True), [(3, 4), (3, 4)]),
    ("CosineEmbeddingLoss", lambda n, lib: n.CosineEmbeddingLoss(margin=0.2),
     [(3, 4), (3, 4), Const(np.array([1.0, -1.0, -1.0]))]),
    ("MarginRankingLoss", lambda n, lib: n.MarginRankingLoss(margin=0.1),
     [(4,), (4,), Const(np.array([1.0, -1.0, -1.0, 1.0]))]),
]


@pytest.mark.parametrize("name,make,inputs", MODULE_CASES, ids=[row[0] for row in MODULE_CASES])
def test_loss_modules_match_torch(name, make, inputs):
    ours, theirs = module_pair(make)
    check(lambda *tensors: (ours if isinstance(tensors[0], tg.Tensor) else theirs)(*tensors), *inputs)
    assert repr(ours) == repr(theirs) == f"{name}()"
    assert [key for key, _ in ours.named_buffers()] == [key for key, _ in theirs.named_buffers()]
    assert list(ours.parameters()) == []


def test_loss_module_attributes_match_torch():
    for make in (lambda n: n.CrossEntropyLoss(), lambda n: n.NLLLoss(ignore_index=3), lambda n: n.HuberLoss(),
                 lambda n: n.SmoothL1Loss(), lambda n: n.KLDivLoss(), lambda n: n.MarginRankingLoss(0.2)):
        ours, theirs = make(nn), make(torch.nn)
        for attribute in ("reduction", "ignore_index", "label_smoothing", "delta", "beta", "log_target", "margin"):
            assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute
    assert nn.CrossEntropyLoss().weight is None and nn.BCEWithLogitsLoss().pos_weight is None


def test_loss_module_weight_is_a_buffer_in_the_state_dict():
    weight = tg.tensor([1.0, 2.0, 3.0])
    criterion = nn.CrossEntropyLoss(weight=weight)
    assert criterion.weight is weight
    assert list(criterion.state_dict()) == ["weight"]


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True), (False, True)])
def test_legacy_size_average_and_reduce_pick_the_same_reduction_as_torch(size_average, reduce):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x, y: functional_of(x).mse_loss(x, y, size_average=size_average, reduce=reduce), (3, 4), (3, 4))
        ours = nn.L1Loss(size_average=size_average, reduce=reduce)
        assert ours.reduction == torch.nn.L1Loss(size_average=size_average, reduce=reduce).reduction
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        F.l1_loss(tg.randn(2), tg.randn(2), size_average=size_average, reduce=reduce)


def test_training_step_with_cross_entropy_lowers_the_loss():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    inputs, labels = tg.randn(16, 4), tg.randint(0, 3, (16,))
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(20):
        model.zero_grad()
        step_loss = criterion(model(inputs), labels)
        step_loss.backward()
        with tg.no_grad():
            for parameter in model.parameters():
                parameter.sub_(0.5 * parameter.grad)
        losses.append(step_loss.item())
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [row for row in CLASS_INDEX_CASES if len(row[1]) == 2], ids=lambda row: row[0])
def test_cross_entropy_backward_recorded_with_create_graph_matches_torch(case, reduction):
    _, input_shape, target_shape, options, ignored = case
    inputs = class_index_inputs(input_shape, target_shape, options, ignored)
    check(class_index_call("cross_entropy", options, reduction=reduction), *inputs, create_graph=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_second_derivative_matches_torch(reduction):
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 3])
    upstream = rng.standard_normal(5) if reduction == "none" else np.array(1.3)
    results = []
    for lib, F_ in ((tg, F), (torch, TF)):
        x = lib.tensor(logits, requires_grad=True)
        loss = F_.cross_entropy(x, lib.tensor(target), reduction=reduction)
        (grad_x,) = lib.autograd.grad(loss, x, lib.tensor(upstream), create_graph=True)
        (grad_grad_x,) = lib.autograd.grad((grad_x * lib.tensor(logits[::-1].copy())).sum(), x)
        results.append((grad_x.detach().numpy(), grad_grad_x.numpy(), loss.grad_fn.name()))
    (ours_grad, ours_second, ours_name), (torch_grad, torch_second, torch_name) = results
    np.testing.assert_allclose(ours_grad, torch_grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_second, torch_second, rtol=1e-10, atol=1e-12)
    assert ours_name == torch_name == "NllLossBackward0"
