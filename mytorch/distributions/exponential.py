from numbers import Number

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import broadcast_all

__all__ = ["Exponential"]


class Exponential(Distribution):
    """The exponential distribution: density rate * exp(-rate * x) on x >= 0.

    Args:
        rate (float or Tensor): rate = 1 / scale, > 0.
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if isinstance(rate, Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Exponential, ("rate",), batch_shape, _instance)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return mytorch.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = mytorch.rand(tuple(shape), dtype=self.rate.dtype)
        return -mytorch.log1p(-u) / self.rate  # u in [0, 1): 1 - u > 0

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - mytorch.exp(-self.rate * value)

    def icdf(self, value):
        return -mytorch.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - mytorch.log(self.rate)
