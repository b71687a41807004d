import math
from numbers import Number

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import broadcast_all

__all__ = ["Pareto"]


class Pareto(Distribution):
    """The Pareto type-1 distribution: density alpha scale^alpha / x^(alpha+1) on x >= scale.

    Args:
        scale (float or Tensor): the minimum, > 0.
        alpha (float or Tensor): the shape, > 0.
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        scalar = isinstance(scale, Number) and isinstance(alpha, Number)
        super().__init__(() if scalar else self.scale.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Pareto, ("scale", "alpha"), batch_shape, _instance)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        finite = self.alpha > 1  # alpha <= 1: infinite mean (written with where: no 0-division warning)
        a = mytorch.where(finite, self.alpha, mytorch.full_like(self.alpha, 2.0))
        return mytorch.where(finite, a * self.scale / (a - 1), mytorch.full_like(a, math.inf))

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        finite = self.alpha > 2  # alpha <= 2: infinite variance
        a = mytorch.where(finite, self.alpha, mytorch.full_like(self.alpha, 3.0))
        return mytorch.where(finite, self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2)), mytorch.full_like(a, math.inf))

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        u = mytorch.rand(shape, dtype=self.scale.dtype)
        return self.scale * (-mytorch.log1p(-u) / self.alpha).exp()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.alpha.log() + self.alpha * self.scale.log() - (self.alpha + 1) * value.log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (self.scale / value).pow(self.alpha)

    def icdf(self, value):
        return self.scale * (-mytorch.log1p(-value) / self.alpha).exp()

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
