import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch import random as _random
from mytorch.distributions import constraints
from mytorch.distributions._special import lgamma
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import _set_count_and_probs_or_logits, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["NegativeBinomial"]


class NegativeBinomial(Distribution):
    """The number of successes before ``total_count`` failures, each trial a success with ``probs``.

    Args:
        total_count (float or Tensor): the number of failures to stop at, > 0 (need not be an integer).
        probs (Tensor): success probability, in [0, 1). logits (Tensor): its log-odds (give exactly one).
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        batch_shape = _set_count_and_probs_or_logits(self, total_count, probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_to(NegativeBinomial, ("total_count", "probs", "logits"), batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.total_count * mytorch.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / mytorch.sigmoid(-self.logits)

    def sample(self, sample_shape=()):
        # a Gamma-Poisson mixture: rate ~ Gamma(total_count, scale = p / (1 - p)), count ~ Poisson(rate)
        shape = tuple(self._extended_shape(sample_shape))
        rng = _random.rng()
        r = np.broadcast_to(self.total_count._data.astype(np.float64), shape)
        odds = np.broadcast_to(np.exp(self.logits._data.astype(np.float64)), shape)
        rate = rng.standard_gamma(r) * odds
        return mytorch.tensor(rng.poisson(rate).astype(self._param._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = (self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits))
        log_normalization = -lgamma(self.total_count + value) + lgamma(1.0 + value) + lgamma(self.total_count)
        # total_count + value == 0 (no trials at all): probability 1, whatever lgamma(0) says
        zero = (self.total_count + value) == 0
        log_normalization = mytorch.where(zero, mytorch.zeros_like(log_normalization), log_normalization)
        return log_unnormalized_prob - log_normalization
