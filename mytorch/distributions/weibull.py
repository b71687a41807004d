import math
from numbers import Number

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions._special import lgamma
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.gumbel import _EULER_GAMMA
from mytorch.distributions.utils import broadcast_all

__all__ = ["Weibull"]


class Weibull(Distribution):
    """The two-parameter Weibull distribution: cdf 1 - exp(-(x / scale) ** concentration).

    Args:
        scale (float or Tensor): lambda, > 0.
        concentration (float or Tensor): k, > 0.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        scalar = isinstance(scale, Number) and isinstance(concentration, Number)
        super().__init__(() if scalar else self.scale.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Weibull, ("scale", "concentration"), batch_shape, _instance)

    @property
    def mean(self):
        return self.scale * lgamma(1 + self.concentration.reciprocal()).exp()

    @property
    def mode(self):
        k = self.concentration
        base = ((k - 1) / k).clamp(min=0)  # k < 1: no interior mode; torch's formula gives nan there
        mode = self.scale * base ** k.reciprocal()
        return mytorch.where(k < 1, mytorch.full_like(mode, math.nan), mode)

    @property
    def variance(self):
        k_inv = self.concentration.reciprocal()
        return self.scale.pow(2) * (lgamma(1 + 2 * k_inv).exp() - lgamma(1 + k_inv).exp().pow(2))

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        u = mytorch.rand(shape, dtype=self.scale.dtype)
        return self.scale * (-mytorch.log1p(-u)).pow(self.concentration.reciprocal())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = value / self.scale
        return (self.concentration / self.scale).log() + (self.concentration - 1) * z.log() - z.pow(self.concentration)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -mytorch.expm1(-(value / self.scale).pow(self.concentration))

    def icdf(self, value):
        return self.scale * (-mytorch.log1p(-value)).pow(self.concentration.reciprocal())

    def entropy(self):
        return (_EULER_GAMMA * (1 - self.concentration.reciprocal()) + (self.scale / self.concentration).log() + 1)
