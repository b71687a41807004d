import math

import numpy as np

import mytorch
from mytorch import random as _random
from mytorch.distributions import constraints
from mytorch.distributions._special import lgamma
from mytorch.distributions.binomial import Binomial
from mytorch.distributions.categorical import Categorical
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Counts of ``total_count`` draws from a Categorical (last dim: the K categories, the event).

    Args:
        total_count (int): number of trials. Default: 1.
        probs (Tensor): event probabilities. logits (Tensor): event log-probabilities (give exactly one).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        probs = np.broadcast_to(self.probs._data.astype(np.float64), shape)
        probs = probs / probs.sum(-1, keepdims=True)
        counts = _random.rng().multinomial(self.total_count, probs)
        return mytorch.tensor(counts.astype(self.probs._data.dtype))

    def entropy(self):
        # H = n H(categorical) - lgamma(n + 1) + sum_i E[lgamma(x_i + 1)], x_i ~ Binomial(n, p_i)
        n = float(self.total_count)
        binomial = Binomial(self.total_count, self.probs, validate_args=False)
        support = binomial.enumerate_support(expand=False)[1:]
        binomial_probs = mytorch.exp(binomial.log_prob(support))
        weights = lgamma(support + 1)
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        term2 = (binomial_probs * weights).sum(0).sum(-1)
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        # 0 * -inf (a category of probability 0 never drawn) counts as 0
        logits = mytorch.where((value == 0) & (logits == -float("inf")), mytorch.zeros_like(logits), logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
