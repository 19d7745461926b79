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
from tinygrad_edu.distributions.kl import kl_divergence, register_kl
from tinygrad_edu.distributions.normal import Normal
from tinygrad_edu.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints", "kl_divergence",
           "register_kl"]
