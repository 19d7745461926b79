"""tinygrad_edu.distributions against torch.distributions: values, gradients, shapes, draws and errors."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import distributions as D

F64 = {"rtol": 1e-7, "atol": 1e-9}
F32 = {"rtol": 1e-5, "atol": 1e-6}
needs_erf = pytest.mark.skipif(not hasattr(tg.Tensor, "erf") or not hasattr(tg.Tensor, "erfinv"),
                               reason="needs Tensor.erf and Tensor.erfinv")


def pair(array, grad=True, dtype="float64"):
    array = np.asarray(array, dtype=dtype)
    return (tg.tensor(array.copy(), requires_grad=grad), torch.tensor(array.copy(), requires_grad=grad))


def family(framework):
    return D if framework == "ours" else torch.distributions


def assert_same(ours, theirs, tolerance=F64):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)


def assert_same_with_grads(ours, theirs, our_inputs, their_inputs, tolerance=F64, seed=0):
    """Values equal; then a random upstream gradient through both, and every input's gradient equal."""
    assert_same(ours, theirs, tolerance)
    upstream = np.random.default_rng(seed).standard_normal(tuple(theirs.shape))
    ours.backward(tg.tensor(upstream, dtype=ours.dtype))
    theirs.backward(torch.tensor(upstream, dtype=theirs.dtype))
    for our_input, their_input in zip(our_inputs, their_inputs):
        if their_input.grad is None:
            assert our_input.grad is None
        else:
            np.testing.assert_allclose(our_input.grad.numpy(), their_input.grad.numpy(), **tolerance)


def message_of(error, whole=True):
    """The error's message with torch's Size spelt as ours; only its first line (without the printed
    tensor) when ``whole`` is false."""
    message = str(error.value).replace("torch.Size", "tinygrad_edu.Size")
    return message if whole else message.split("\n")[0]


# Each case: a constructor from framework-neutral parameters, the parameters (each requires grad),
# and values to score (inside the support).
PROBS = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.125, 0.125], [0.7, 0.1, 0.1, 0.1]])
CASES = {
    "categorical_probs": (lambda d, probs: d.Categorical(probs=probs), [PROBS * 3], np.array([[3, 0, 1], [0, 1, 3]])),
    "categorical_logits": (lambda d, logits: d.Categorical(logits=logits), [np.log(PROBS) + 2.0],
                           np.array([2, 1, 0])),
    "categorical_vector": (lambda d, probs: d.Categorical(probs), [np.array([0.2, 0.3, 0.5])], np.array([[2], [0]])),
    "normal": (lambda d, loc, scale: d.Normal(loc, scale), [np.array([0.0, 1.0, -2.0]), np.array([1.0, 0.5, 2.0])],
               np.array([[0.3, 1.2, -5.0], [1.0, -1.0, 0.0]])),
    "normal_broadcast": (lambda d, loc, scale: d.Normal(loc, scale), [np.array([[0.0], [1.0]]), np.array([0.5, 2.0])],
                         np.array([0.25, -0.75])),
    "bernoulli_probs": (lambda d, probs: d.Bernoulli(probs=probs), [np.array([0.1, 0.5, 0.9])],
                        np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])),
    "bernoulli_logits": (lambda d, logits: d.Bernoulli(logits=logits), [np.array([-2.0, 0.0, 3.0])],
                         np.array([1.0, 0.0, 0.0])),
    "uniform": (lambda d, low, high: d.Uniform(low, high), [np.array([0.0, -1.0]), np.array([2.0, 3.0])],
                np.array([[0.5, 2.5], [1.9, -1.0]])),
}


def build_both(case, dtype="float64"):
    build, params, values = CASES[case]
    pairs = [pair(param, dtype=dtype) for param in params]
    ours = build(D, *[our for our, _ in pairs])
    theirs = build(torch.distributions, *[their for _, their in pairs])
    value_dtype = values.dtype if values.dtype.kind == "i" else dtype
    our_value, their_value = pair(values.astype(value_dtype), grad=False)
    return ours, theirs, [our for our, _ in pairs], [their for _, their in pairs], our_value, their_value


@pytest.mark.parametrize("case", sorted(CASES))
def test_log_prob_and_its_gradients_match_torch(case):
    ours, theirs, our_params, their_params, our_value, their_value = build_both(case)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    assert_same_with_grads(ours.log_prob(our_value), theirs.log_prob(their_value), our_params, their_params)


@pytest.mark.parametrize("case", sorted(CASES))
def test_entropy_and_its_gradients_match_torch(case):
    ours, theirs, our_params, their_params, _, _ = build_both(case)
    assert_same_with_grads(ours.entropy(), theirs.entropy(), our_params, their_params, seed=1)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", ["mean", "variance", "stddev", "mode", "probs", "logits", "perplexity"])
def test_statistics_match_torch(case, name):
    ours, theirs, _, _, _, _ = build_both(case)
    if not hasattr(theirs, name):
        assert not hasattr(ours, name)
        return
    if name == "mode" and case == "uniform":
        return
    our_value, their_value = getattr(ours, name), getattr(theirs, name)
    if name == "perplexity":
        our_value, their_value = our_value(), their_value()
    assert_same(our_value, their_value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_stays_float32(case):
    ours, theirs, _, _, our_value, their_value = build_both(case, dtype="float32")
    for our_result, their_result in ((ours.log_prob(our_value), theirs.log_prob(their_value)),
                                     (ours.entropy(), theirs.entropy()), (ours.sample((2,)), theirs.sample((2,)))):
        assert str(our_result.dtype).split(".")[-1] == str(their_result.dtype).split(".")[-1]
    assert_same(ours.log_prob(our_value), theirs.log_prob(their_value), F32)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shape_dtype_and_no_graph(case, sample_shape):
    ours, theirs, _, _, _, _ = build_both(case)
    our_sample, their_sample = ours.sample(sample_shape), theirs.sample(sample_shape)
    assert tuple(our_sample.shape) == tuple(their_sample.shape)
    assert str(our_sample.dtype).split(".")[-1] == str(their_sample.dtype).split(".")[-1]
    assert not our_sample.requires_grad and our_sample.grad_fn is None
    assert ours.log_prob(our_sample).shape == tuple(theirs.log_prob(their_sample).shape)


@pytest.mark.parametrize("case", sorted(CASES))
def test_expand_matches_torch(case):
    ours, theirs, _, _, _, _ = build_both(case)
    batch_shape = (2,) + tuple(theirs.batch_shape)
    our_expanded, their_expanded = ours.expand(batch_shape), theirs.expand(batch_shape)
    assert our_expanded.batch_shape == tuple(their_expanded.batch_shape)
    assert type(our_expanded) is type(ours)
    assert_same(our_expanded.entropy(), their_expanded.entropy())


@pytest.mark.parametrize("case", ["categorical_probs", "categorical_vector", "bernoulli_probs"])
@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support_matches_torch(case, expand):
    ours, theirs, _, _, _, _ = build_both(case)
    assert ours.has_enumerate_support and theirs.has_enumerate_support
    assert_same(ours.enumerate_support(expand), theirs.enumerate_support(expand))


# --- draws, checked statistically (seeded, with bounds of about five standard errors) ---

def test_categorical_draws_follow_probs():
    tg.manual_seed(0)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    draws = D.Categorical(probs=tg.tensor(probs)).sample((20000,)).numpy()
    assert draws.shape == (20000, 2) and draws.dtype == np.int64
    for row in range(2):
        frequencies = np.bincount(draws[:, row], minlength=3) / len(draws)
        np.testing.assert_allclose(frequencies, probs[row], atol=5 * math.sqrt(0.25 / len(draws)))
    assert not (draws[:, 1] == 2).any()


def test_categorical_draws_are_seeded():
    probs = tg.tensor([0.3, 0.3, 0.4])
    tg.manual_seed(3)
    first = D.Categorical(probs).sample((50,)).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(D.Categorical(probs).sample((50,)).numpy(), first)


def test_normal_draws_have_its_mean_and_stddev():
    tg.manual_seed(1)
    loc, scale = np.array([0.0, 3.0, -1.0]), np.array([1.0, 0.5, 4.0])
    for method in ("sample", "rsample"):
        draws = getattr(D.Normal(tg.tensor(loc), tg.tensor(scale)), method)((40000,)).detach().numpy()
        np.testing.assert_allclose(draws.mean(0), loc, atol=5 * scale.max() / math.sqrt(len(draws)))
        np.testing.assert_allclose(draws.std(0), scale, rtol=5 / math.sqrt(2 * len(draws)))


def test_bernoulli_draws_have_its_probability():
    tg.manual_seed(2)
    probs = np.array([0.05, 0.5, 0.9])
    draws = D.Bernoulli(logits=tg.tensor(np.log(probs / (1 - probs)))).sample((20000,)).numpy()
    assert set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), probs, atol=5 * math.sqrt(0.25 / len(draws)))


def test_uniform_draws_fill_the_interval():
    tg.manual_seed(4)
    low, high = np.array([0.0, -2.0]), np.array([1.0, 6.0])
    draws = D.Uniform(tg.tensor(low), tg.tensor(high)).rsample((20000,)).detach().numpy()
    assert (draws >= low).all() and (draws < high).all()
    np.testing.assert_allclose(draws.mean(0), (low + high) / 2, atol=5 * (high - low).max() / math.sqrt(12 * 20000))


# --- reparameterised draws: gradients reach the parameters ---

@settings(max_examples=15, deadline=None)
@given(shape=st.sampled_from([(), (3,), (2, 4)]), sample_shape=st.sampled_from([(), (5,), (2, 1)]),
       seed=st.integers(0, 1000))
def test_normal_rsample_is_loc_plus_scale_times_noise(shape, sample_shape, seed):
    rng = np.random.default_rng(seed)
    loc = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    scale = tg.tensor(rng.uniform(0.5, 2.0, shape), requires_grad=True)
    draw = D.Normal(loc, scale).rsample(sample_shape)
    assert draw.shape == tuple(sample_shape) + shape and draw.requires_grad
    upstream = rng.standard_normal(draw.shape)
    draw.backward(tg.tensor(upstream))
    eps = (draw.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    reduce_axes = tuple(range(len(sample_shape)))
    np.testing.assert_allclose(loc.grad.numpy(), upstream.sum(reduce_axes), **F64)
    np.testing.assert_allclose(scale.grad.numpy(), (upstream * eps).sum(reduce_axes), **F64)


def test_normal_rsample_sum_gradients_are_ones_and_the_noise():
    loc = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    scale = tg.tensor([1.0, 0.1, 3.0], dtype=tg.float64, requires_grad=True)
    draw = D.Normal(loc, scale).rsample()
    draw.sum().backward()
    np.testing.assert_array_equal(loc.grad.numpy(), np.ones(3))
    np.testing.assert_allclose(scale.grad.numpy(), (draw.detach().numpy() - [0.5, -1.0, 2.0]) / [1.0, 0.1, 3.0],
                               **F64)


def test_uniform_rsample_gradients_are_one_minus_u_and_u():
    low = tg.tensor([0.0, -1.0], dtype=tg.float64, requires_grad=True)
    high = tg.tensor([2.0, 3.0], dtype=tg.float64, requires_grad=True)
    draw = D.Uniform(low, high).rsample()
    draw.sum().backward()
    fraction = (draw.detach().numpy() - [0.0, -1.0]) / [2.0, 4.0]
    np.testing.assert_allclose(high.grad.numpy(), fraction, **F64)
    np.testing.assert_allclose(low.grad.numpy(), 1 - fraction, **F64)


def test_sample_refuses_gradients_and_has_rsample_flags():
    loc = tg.tensor([0.0], requires_grad=True)
    assert not D.Normal(loc, 1.0).sample().requires_grad
    assert D.Normal.has_rsample and D.Uniform.has_rsample
    assert not D.Categorical.has_rsample and not D.Bernoulli.has_rsample
    with pytest.raises(NotImplementedError):
        D.Categorical(probs=tg.tensor([0.5, 0.5])).rsample()


# --- the reinforcement-learning pattern ---

def test_reinforce_pattern_matches_torch():
    torch.manual_seed(0)
    torch_policy = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3),
                                       torch.nn.Softmax(dim=-1)).double()
    our_policy = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 3), tg.nn.Softmax(dim=-1)).double()
    our_policy.load_state_dict({key: tg.tensor(value.numpy()) for key, value in torch_policy.state_dict().items()})
    states = np.random.default_rng(0).standard_normal((5, 4))
    rewards = [1.0, -0.5, 2.0, 0.0, 1.5]
    our_losses, their_losses = [], []
    for state, reward in zip(states, rewards):
        m = D.Categorical(our_policy(tg.tensor(state)))
        action = m.sample()
        assert action.dtype == tg.int64 and action.shape == ()
        our_losses.append(-m.log_prob(action) * reward)
        their_m = torch.distributions.Categorical(torch_policy(torch.tensor(state)))
        their_losses.append(-their_m.log_prob(torch.tensor(action.item())) * reward)
    tg.stack(our_losses).sum().backward()
    torch.stack(their_losses).sum().backward()
    for ours, theirs in zip(our_policy.parameters(), torch_policy.parameters()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **F64)


def test_reinforce_with_a_gaussian_policy_matches_torch():
    mu, sigma = pair([0.2, -0.4]), pair([0.1, -0.3])
    actions = np.array([0.5, 0.1])
    ours = D.Normal(mu[0], sigma[0].exp())
    theirs = torch.distributions.Normal(mu[1], sigma[1].exp())
    assert_same_with_grads(-ours.log_prob(tg.tensor(actions)) * 2.0 - 0.01 * ours.entropy(),
                           -theirs.log_prob(torch.tensor(actions)) * 2.0 - 0.01 * theirs.entropy(),
                           [mu[0], sigma[0]], [mu[1], sigma[1]])


# --- cdf and icdf ---

def test_uniform_cdf_and_icdf_match_torch():
    ours, theirs, our_params, their_params, _, _ = build_both("uniform")
    values = pair([[0.5, 2.0], [1.0, 2.9]], grad=False)
    assert_same_with_grads(ours.cdf(values[0]), theirs.cdf(values[1]), our_params, their_params)
    outside = pair([-0.5, 3.5], grad=False)
    assert_same(D.Uniform(*our_params, validate_args=False).cdf(outside[0]),
                torch.distributions.Uniform(*their_params, validate_args=False).cdf(outside[1]))
    quantiles = pair([[0.1, 0.9], [0.5, 0.0]], grad=False)
    assert_same(ours.icdf(quantiles[0]), theirs.icdf(quantiles[1]))


@needs_erf
def test_normal_cdf_and_icdf_match_torch():
    ours, theirs, our_params, their_params, our_value, their_value = build_both("normal")
    assert_same_with_grads(ours.cdf(our_value), theirs.cdf(their_value), our_params, their_params)
    quantiles = pair([[0.1, 0.5, 0.975], [0.01, 0.7, 0.3]], grad=False)
    assert_same(ours.icdf(quantiles[0]), theirs.icdf(quantiles[1]))


# --- KL divergences ---

KL_CASES = {
    "normal": (lambda d, a, b, c, e: (d.Normal(a, b), d.Normal(c, e)),
               [[0.0, 1.0, -1.0], [1.0, 0.5, 2.0], [0.5, 1.0, 0.0], [2.0, 0.5, 1.0]]),
    "categorical": (lambda d, a, b: (d.Categorical(probs=a), d.Categorical(logits=b)),
                    [[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], [[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]]]),
    "bernoulli": (lambda d, a, b: (d.Bernoulli(probs=a), d.Bernoulli(logits=b)), [[0.2, 0.5, 0.9], [0.0, -1.0, 3.0]]),
    "uniform": (lambda d, a, b, c, e: (d.Uniform(a, b), d.Uniform(c, e)),
                [[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5], [2.0, 3.0]]),
}


@pytest.mark.parametrize("case", sorted(KL_CASES))
def test_kl_divergence_and_its_gradients_match_torch(case):
    build, params = KL_CASES[case]
    pairs = [pair(param) for param in params]
    our_p, our_q = build(D, *[our for our, _ in pairs])
    their_p, their_q = build(torch.distributions, *[their for _, their in pairs])
    ours = D.kl_divergence(our_p, our_q)
    theirs = torch.distributions.kl_divergence(their_p, their_q)
    finite = np.isfinite(theirs.detach().numpy())
    assert_same(ours, theirs)
    if finite.all():
        assert_same_with_grads(ours, theirs, [our for our, _ in pairs], [their for _, their in pairs])


def test_kl_divergence_handles_zero_probabilities_like_torch():
    p, q = [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]
    for first, second in ((p, q), (q, p), (p, p)):
        ours = D.kl_divergence(D.Categorical(tg.tensor(first)), D.Categorical(tg.tensor(second)))
        theirs = torch.distributions.kl_divergence(torch.distributions.Categorical(torch.tensor(first)),
                                                   torch.distributions.Categorical(torch.tensor(second)))
        assert_same(ours, theirs)
    ours = D.kl_divergence(D.Bernoulli(tg.tensor([0.0, 1.0, 0.5])), D.Bernoulli(tg.tensor([1.0, 0.0, 0.0])))
    theirs = torch.distributions.kl_divergence(torch.distributions.Bernoulli(torch.tensor([0.0, 1.0, 0.5])),
                                               torch.distributions.Bernoulli(torch.tensor([1.0, 0.0, 0.0])))
    assert_same(ours, theirs)


def test_kl_divergence_without_a_formula_raises_torchs_error():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q "
                                                  "type Uniform"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))


def test_register_kl_adds_a_pair_and_subclasses_dispatch_to_it():
    class Wide(D.Normal):
        pass

    @D.register_kl(Wide, D.Uniform)
    def kl_wide_uniform(p, q):
        return p.loc * 0 + 7.0

    assert D.kl_divergence(Wide(0.0, 1.0), D.Uniform(0.0, 1.0)).item() == 7.0
    assert D.kl_divergence(Wide(0.0, 1.0), Wide(0.0, 2.0)).item() == pytest.approx(
        torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                          torch.distributions.Normal(0.0, 2.0)).item())
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        D.register_kl(int, D.Normal)


# --- errors, in torch's words ---

@pytest.mark.parametrize("build", [
    lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, -1.0])),
    lambda d, t: d.Normal(t([0.0, float("nan")]), t([1.0, 1.0])),
    lambda d, t: d.Categorical(probs=t([0.5, -0.5, 1.0])),
    lambda d, t: d.Categorical(logits=t([[0.5, float("nan")]])),
    lambda d, t: d.Bernoulli(probs=t([0.5, 1.5])),
    lambda d, t: d.Uniform(t([0.0, 2.0]), t([1.0, 1.0])),
    lambda d, t: d.Uniform(t(1.0), t(1.0)),
])
def test_invalid_parameters_raise_torchs_value_error(build):
    with pytest.raises(ValueError) as theirs:
        build(torch.distributions, torch.tensor)
    with pytest.raises(ValueError) as ours:
        build(D, tg.tensor)
    whole = "nan" not in str(theirs.value)  # NaN prints as tensor printing does, which is not compared here
    assert message_of(ours, whole) == message_of(theirs, whole)


@pytest.mark.parametrize("build, value", [
    (lambda d, t: d.Categorical(probs=t([0.25, 0.75])), [0.0, 2.0]),
    (lambda d, t: d.Categorical(probs=t([0.25, 0.75])), [0.5]),
    (lambda d, t: d.Bernoulli(probs=t([0.25, 0.75])), [1.0, 0.5]),
    (lambda d, t: d.Uniform(t([0.0, 1.0]), t([1.0, 2.0])), [0.5, 2.5]),
    (lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, 2.0])), [0.5, float("nan")]),
    (lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, 2.0])), [[0.5, 0.1, 0.2]]),
])
def test_values_outside_the_support_raise_torchs_value_error(build, value):
    with pytest.raises(ValueError) as theirs:
        build(torch.distributions, torch.tensor).log_prob(torch.tensor(value))
    with pytest.raises(ValueError) as ours:
        build(D, tg.tensor).log_prob(tg.tensor(value))
    whole = "nan" not in str(theirs.value)  # NaN prints as tensor printing does, which is not compared here
    assert message_of(ours, whole) == message_of(theirs, whole)


@pytest.mark.parametrize("build, message", [
    (lambda d, t: d.Categorical(), "Either `probs` or `logits` must be specified, but not both."),
    (lambda d, t: d.Categorical(probs=t([0.5]), logits=t([0.0])), "Either `probs` or `logits` must be specified"),
    (lambda d, t: d.Categorical(probs=t(0.5)), "`probs` parameter must be at least one-dimensional."),
    (lambda d, t: d.Categorical(logits=t(0.5)), "`logits` parameter must be at least one-dimensional."),
    (lambda d, t: d.Bernoulli(), "Either `probs` or `logits` must be specified, but not both."),
    (lambda d, t: d.Normal("a", 1.0), "Input arguments must all be instances of Number, torch.Tensor"),
    (lambda d, t: d.Normal(t([0.0]), t([1.0])).log_prob([0.0]), "The value argument to log_prob must be a Tensor"),
])
def test_bad_arguments_raise_torchs_value_error(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build(torch.distributions, torch.tensor)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build(D, tg.tensor)


def test_validation_can_be_turned_off():
    bad = D.Normal(tg.tensor([0.0]), tg.tensor([-1.0]), validate_args=False)
    assert bad.log_prob(tg.tensor([0.0])).shape == (1,)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(probs=tg.tensor([2.0]))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Bernoulli(probs=tg.tensor([2.0]))


def test_repr_matches_torch():
    theirs = torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    ours = D.Normal(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 2.0]))
    assert repr(ours) == repr(theirs).replace("torch.", "tinygrad_edu.")
    assert repr(D.Bernoulli(0.3)) == repr(torch.distributions.Bernoulli(0.3))
    assert repr(D.Categorical(logits=tg.tensor([0.0, 0.0]))) == "Categorical(logits: tinygrad_edu.Size([2]))"


def test_scalar_parameters_give_an_empty_batch_shape():
    for ours, theirs in ((D.Normal(0.0, 1.0), torch.distributions.Normal(0.0, 1.0)),
                         (D.Uniform(0.0, 2.0), torch.distributions.Uniform(0.0, 2.0)),
                         (D.Bernoulli(logits=0.5), torch.distributions.Bernoulli(logits=0.5))):
        assert ours.batch_shape == () == tuple(theirs.batch_shape)
        assert_same(ours.entropy(), theirs.entropy(), F32)
        assert ours.sample((3,)).shape == (3,)


def test_module_paths_mirror_torch():
    import tinygrad_edu.distributions.bernoulli
    import tinygrad_edu.distributions.categorical
    import tinygrad_edu.distributions.distribution
    import tinygrad_edu.distributions.kl
    import tinygrad_edu.distributions.normal
    import tinygrad_edu.distributions.uniform
    assert tg.distributions.Categorical is tinygrad_edu.distributions.categorical.Categorical
    assert tg.distributions.Normal is tinygrad_edu.distributions.normal.Normal
    assert tg.distributions.Bernoulli is tinygrad_edu.distributions.bernoulli.Bernoulli
    assert tg.distributions.Uniform is tinygrad_edu.distributions.uniform.Uniform
    assert tg.distributions.Distribution is tinygrad_edu.distributions.distribution.Distribution
    assert tg.distributions.kl_divergence is tinygrad_edu.distributions.kl.kl_divergence
    assert issubclass(D.Normal, D.Distribution)
    assert repr(D.constraints.positive) == repr(torch.distributions.constraints.positive)
    assert repr(D.constraints.real_vector) == repr(torch.distributions.constraints.real_vector)


# --- Independent: batch dims read as event dims ---

def test_independent_normal_matches_torch():
    mu, sigma = pair(np.random.default_rng(5).standard_normal((4, 3))), pair(np.full((4, 3), 0.7))
    ours = D.Independent(D.Normal(mu[0], sigma[0]), 1)
    theirs = torch.distributions.Independent(torch.distributions.Normal(mu[1], sigma[1]), 1)
    assert (ours.batch_shape, ours.event_shape) == ((4,), (3,))
    assert (tuple(theirs.batch_shape), tuple(theirs.event_shape)) == ((4,), (3,))
    assert ours.has_rsample and not ours.has_enumerate_support
    assert repr(ours) == repr(theirs).replace("torch.", "tinygrad_edu.")
    actions = pair(np.random.default_rng(6).standard_normal((2, 4, 3)), grad=False)
    assert_same_with_grads(ours.log_prob(actions[0]) + ours.entropy(), theirs.log_prob(actions[1]) + theirs.entropy(),
                           [mu[0], sigma[0]], [mu[1], sigma[1]])
    assert ours.rsample((5,)).shape == (5, 4, 3) and ours.expand((2, 4)).batch_shape == (2, 4)
    other_ours = D.Independent(D.Normal(mu[0].detach() + 1, sigma[0].detach()), 1)
    other_theirs = torch.distributions.Independent(torch.distributions.Normal(mu[1].detach() + 1, sigma[1].detach()), 1)
    assert_same(D.kl_divergence(ours, other_ours), torch.distributions.kl_divergence(theirs, other_theirs))


def test_independent_errors_are_torchs():
    with pytest.raises(ValueError, match=r"Expected reinterpreted_batch_ndims <= len\(base_distribution.batch_shape\), "
                                         r"actual 2 vs 1"):
        D.Independent(D.Normal(tg.zeros(3), tg.ones(3)), 2)
    with pytest.raises(ValueError, match="Expected value argument"):
        D.Independent(D.Bernoulli(tg.tensor([[0.5, 0.5]])), 1, validate_args=True).log_prob(tg.tensor([[0.5, 1.0]]))


def test_the_other_torch_distributions_say_they_are_missing():
    with pytest.raises(NotImplementedError, match="tinygrad_edu.distributions has no MultivariateNormal; it has "):
        _ = D.MultivariateNormal
    with pytest.raises(AttributeError):
        _ = D.NoSuchDistribution


# --- the exponential family: entropy and KL from the log normaliser's gradient ---

@pytest.mark.parametrize("case", ["normal", "normal_broadcast", "bernoulli_probs", "bernoulli_logits"])
def test_exponential_family_entropy_matches_torch(case):
    ours, theirs, our_params, their_params, _, _ = build_both(case)
    assert isinstance(ours, D.ExponentialFamily)
    assert_same_with_grads(D.ExponentialFamily.entropy(ours), torch.distributions.ExponentialFamily.entropy(theirs),
                           our_params, their_params)
    assert_same(D.ExponentialFamily.entropy(ours), ours.entropy())


def test_bregman_kl_between_exponential_family_members_matches_torch():
    from torch.distributions.kl import _kl_expfamily_expfamily as torch_bregman_kl
    from tinygrad_edu.distributions.kl import _kl_expfamily_expfamily as our_bregman_kl
    for build, first, second in ((lambda d, a, b: d.Normal(a, b), ([0.0, 1.0], [1.0, 0.5]), ([0.5, 0.0], [2.0, 1.0])),
                                 (lambda d, a: d.Bernoulli(a), ([0.2, 0.7],), ([0.5, 0.1],))):
        our_first, their_first = zip(*(pair(param) for param in first))
        our_second, their_second = zip(*(pair(param) for param in second))
        ours = our_bregman_kl(build(D, *our_first), build(D, *our_second))
        theirs = torch_bregman_kl(build(torch.distributions, *their_first), build(torch.distributions, *their_second))
        assert_same_with_grads(ours, theirs, our_second, their_second)
        assert_same(ours, D.kl_divergence(build(D, *our_first), build(D, *our_second)))
    with pytest.raises(NotImplementedError, match="The cross KL-divergence between different exponential families"):
        our_bregman_kl(D.Normal(0.0, 1.0), D.Bernoulli(0.5))


@pytest.mark.parametrize("module", ["distribution", "exp_family", "categorical", "normal", "bernoulli", "uniform",
                                    "independent", "kl", "constraints", "utils"])
def test_each_name_is_defined_where_torch_defines_it(module):
    """Every name torch.distributions.<module> defines that we offer (at the package or in the module)
    is defined in tinygrad_edu.distributions.<module>."""
    import importlib
    theirs = importlib.import_module(f"torch.distributions.{module}")
    ours = importlib.import_module(f"tinygrad_edu.distributions.{module}")
    names = [name for name in dir(theirs) if not name.startswith("_")
             and getattr(getattr(theirs, name), "__module__", None) == theirs.__name__]
    offered = [name for name in names if name in D.__all__ or hasattr(ours, name)]
    assert offered
    for name in offered:
        assert getattr(ours, name).__module__ == ours.__name__, name
        if name in D.__all__:
            assert getattr(D, name) is getattr(ours, name)
