import math
from numbers import Number

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions._special import digamma, lgamma
from mytorch.distributions.chi2 import Chi2
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, location ``loc`` and scale ``scale``.

    rsample: loc + scale * X / sqrt(Z / df) with X ~ Normal(0, 1), Z ~ Chi2(df), both reparameterised.

    Args:
        df (float or Tensor): degrees of freedom, > 0.
        loc (float or Tensor): location. Default: 0.0.
        scale (float or Tensor): scale, > 0. Default: 1.0.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=False)
        scalar = all(isinstance(v, Number) for v in (df, loc, scale))
        super().__init__(() if scalar else self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_to(StudentT, ("df", "loc", "scale"), batch_shape, _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        return mytorch.where(self.df > 1, self.loc, mytorch.full_like(self.loc, math.nan))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        safe_df = mytorch.where(self.df > 2, self.df, mytorch.full_like(self.df, 3.0))
        finite = self.scale.pow(2) * safe_df / (safe_df - 2)
        infinite_or_nan = mytorch.where(self.df > 1, mytorch.full_like(self.df, math.inf),
                                        mytorch.full_like(self.df, math.nan))
        return mytorch.where(self.df > 2, finite, infinite_or_nan)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = mytorch.randn(tuple(shape), dtype=self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        y = x * mytorch.rsqrt(z / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + lgamma(0.5 * self.df)
             - lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * mytorch.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = lgamma(0.5 * self.df) + math.lgamma(0.5) - lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (digamma(0.5 * (self.df + 1)) - digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
