import numpy as np

import mytorch
from mytorch import random as _random
from mytorch.distributions import constraints
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """A distribution over {0, ..., K-1}, given ``probs`` (normalised here) or ``logits`` (exactly one).

    The last dim of the parameter indexes the categories; the rest is the batch.

    Args:
        probs (Tensor): event probabilities (non-negative, finite, non-zero sum).
        logits (Tensor): event log-probabilities (unnormalised).

    Example::

        >>> m = Categorical(mytorch.tensor([0.25, 0.25, 0.25, 0.25]))
        >>> m.sample().shape
        mytorch.Size([])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_to(Categorical, ("probs", "logits"), batch_shape, _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return mytorch.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return mytorch.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        probs = self.probs._data.astype(np.float64)
        cdf = np.cumsum(probs, axis=-1)
        u = _random.rng().random(shape) * cdf[..., -1]  # inverse-CDF draw, broadcast over the batch
        index = (cdf <= u[..., None]).sum(-1)
        return mytorch.tensor(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = mytorch.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape))
        value = value.expand(tuple(shape[:-1]) + (1,))
        log_pmf = self.logits.expand(shape)
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = self.logits.clamp(min=min_real)  # -inf logits of zero-probability classes add 0, not nan
        p_log_p = logits * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand=True):
        values = mytorch.arange(self._num_events, dtype=mytorch.int64)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
