from numbers import Number

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch.distributions import constraints
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Geometric"]


class Geometric(Distribution):
    """The number of failures before the first success in Bernoulli(probs) trials.

    Args:
        probs (Number or Tensor): success probability, in (0, 1].
        logits (Number or Tensor): its log-odds (give exactly one).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        param = probs if probs is not None else logits
        batch_shape = () if isinstance(param, Number) else (self.probs if probs is not None else self.logits).size()
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0  # beyond unit_interval: probs must be strictly positive, as torch
            if not bool(valid.all()):
                invalid = self.probs.detach()[~valid]
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                                 f"{tuple(self.probs.shape)}) of distribution {repr(self)} to be positive but found "
                                 f"invalid values:\n{invalid}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_to(Geometric, ("probs", "logits"), batch_shape, _instance)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return mytorch.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with mytorch.no_grad():
            tiny = float(np.finfo(self.probs._data.dtype).tiny)
            u = mytorch.rand(shape, dtype=self.probs.dtype).clamp(min=tiny)  # log(0) would give inf
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 and k = 0: 0 * log(0) counts as 0
        probs = mytorch.where((probs == 1) & (value == 0), mytorch.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
