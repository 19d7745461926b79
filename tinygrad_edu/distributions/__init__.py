"""Probability distributions, as ``torch.distributions``: sampling, log-probabilities, entropies and
reparameterised samples that gradients flow through.

>>> from tinygrad_edu.distributions import Categorical
>>> m = Categorical(probs=policy(state))
>>> action = m.sample()
>>> loss = -m.log_prob(action) * reward
>>> loss.backward()
"""
from tinygrad_edu.distributions import constraints
from tinygrad_edu.distributions.bernoulli import Bernoulli
from tinygrad_edu.distributions.categorical import Categorical
from tinygrad_edu.distributions.distribution import Distribution
from tinygrad_edu.distributions.exp_family import ExponentialFamily
from tinygrad_edu.distributions.independent import Independent
from tinygrad_edu.distributions.kl import kl_divergence, register_kl
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "ExponentialFamily", "Independent", "Normal", "Uniform",
           "constraints", "kl_divergence", "register_kl"]

_NOT_YET = set(
    "Beta Binomial Cauchy Chi2 ContinuousBernoulli Dirichlet Exponential FisherSnedecor Gamma "
    "GeneralizedPareto Geometric Gumbel HalfCauchy HalfNormal InverseGamma Kumaraswamy LKJCholesky Laplace LogNormal "
    "LogisticNormal LowRankMultivariateNormal MixtureSameFamily Multinomial MultivariateNormal NegativeBinomial "
    "OneHotCategorical OneHotCategoricalStraightThrough Pareto Poisson RelaxedBernoulli RelaxedOneHotCategorical "
    "StudentT TransformedDistribution VonMises Weibull Wishart transforms biject_to transform_to".split())


def __getattr__(name):
    """torch.distributions' other names raise NotImplementedError naming what there is."""
    if name in _NOT_YET:
        raise NotImplementedError(f"tinygrad_edu.distributions has no {name}; it has {', '.join(__all__)}. "
                                  "A Distribution subclass with log_prob and sample (and register_kl) adds one.")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
