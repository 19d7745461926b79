"""ExponentialFamily, as ``torch.distributions.exp_family``."""
import tinygrad_edu
from tinygrad_edu.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    r"""Distributions with density p(x; θ) = exp(⟨t(x), θ⟩ − F(θ) + k(x)): natural parameters θ
    (``_natural_params``), log normaliser F (``_log_normalizer``) and carrier measure k
    (``_mean_carrier_measure`` is E[k(x)]). Entropy and KL between two members of one family
    follow from F's gradient (a Bregman divergence), which autograd computes.
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        """−E[k(x)] + F(θ) − ⟨θ, ∇F(θ)⟩."""
        result = -self._mean_carrier_measure
        natural_params = [param.detach().requires_grad_() for param in self._natural_params]
        log_normalizer = self._log_normalizer(*natural_params)
        gradients = tinygrad_edu.autograd.grad(log_normalizer.sum(), natural_params, create_graph=True)
        result += log_normalizer
        for param, gradient in zip(natural_params, gradients):
            result -= (param * gradient).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
