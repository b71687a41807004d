"""Helpers shared by the distributions (torch.distributions.utils' public names)."""
import numbers

import numpy as np

import mytorch
from mytorch.tensor import Tensor

__all__ = ["broadcast_all", "lazy_property", "logits_to_probs", "probs_to_logits", "clamp_probs"]


def broadcast_all(*values):
    """Broadcasts tensors and numbers to one shape; numbers become tensors of the tensors' dtype."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0].dtype if tensors else mytorch.get_default_dtype()
    values = [v if isinstance(v, Tensor) else mytorch.tensor(v, dtype=dtype) for v in values]
    shape = mytorch.broadcast_shapes(*[v.shape for v in values])
    return tuple(v if tuple(v.shape) == tuple(shape) else v.expand(shape) for v in values)


def _sum_rightmost(value, dim):
    """Sums the rightmost ``dim`` dims of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def _eps(t):
    return float(np.finfo(t._data.dtype).eps)


def _tiny(t):
    return float(np.finfo(t._data.dtype).tiny)


def clamp_probs(probs):
    """Clamps probabilities to the open interval (eps, 1 - eps) of their dtype."""
    eps = _eps(probs)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """sigmoid (binary) or softmax over the last dim."""
    if is_binary:
        return mytorch.sigmoid(logits)
    return mytorch.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """log p - log(1 - p) (binary) or log p, from clamped probabilities."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return mytorch.log(ps_clamped) - mytorch.log1p(-ps_clamped)
    return mytorch.log(ps_clamped)


class lazy_property:
    """Computes the attribute on first access and stores it on the instance (torch's lazy_property)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _size(*parts):
    out = ()
    for p in parts:
        out += tuple(p)
    return mytorch.Size(out)


def _as_size(sample_shape):
    if isinstance(sample_shape, numbers.Integral):
        return mytorch.Size((int(sample_shape),))
    return mytorch.Size(tuple(sample_shape))


# Parameter set-up shared by several distributions (private; not torch API).

def _set_loc_scale(dist, loc, scale):
    """Sets ``dist.loc``/``dist.scale`` broadcast together; returns the batch shape (() when both are numbers)."""
    dist.loc, dist.scale = broadcast_all(loc, scale)
    return () if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number) else dist.loc.size()


def _check_probs_xor_logits(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _set_probs_or_logits(dist, probs, logits):
    """Sets exactly one of ``dist.probs``/``dist.logits`` and ``dist._param``; returns the batch shape
    (() when the given parameter is a number)."""
    _check_probs_xor_logits(probs, logits)
    if probs is not None:
        is_scalar = isinstance(probs, numbers.Number)
        (dist.probs,) = broadcast_all(probs)
    else:
        is_scalar = isinstance(logits, numbers.Number)
        (dist.logits,) = broadcast_all(logits)
    dist._param = dist.probs if probs is not None else dist.logits
    return () if is_scalar else dist._param.size()


def _set_count_and_probs_or_logits(dist, total_count, probs, logits):
    """Sets ``dist.total_count`` (cast to the parameter's dtype) broadcast with exactly one of
    ``dist.probs``/``dist.logits``, and ``dist._param``; returns the batch shape."""
    _check_probs_xor_logits(probs, logits)
    if probs is not None:
        dist.total_count, dist.probs = broadcast_all(total_count, probs)
        dist.total_count = dist.total_count.type_as(dist.probs)
    else:
        dist.total_count, dist.logits = broadcast_all(total_count, logits)
        dist.total_count = dist.total_count.type_as(dist.logits)
    dist._param = dist.probs if probs is not None else dist.logits
    return dist._param.size()
