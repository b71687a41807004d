"""torch.utils.data.sampler: the orders in which a DataLoader visits a map-style dataset.

Random samplers draw from their ``generator`` (a :class:`mytorch.Generator`), or from mytorch's
default generator when none is given, so ``mytorch.manual_seed`` reproduces a run.
"""
import itertools
from typing import Generic, TypeVar

import numpy as np

from mytorch.random import default_generator
from mytorch.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


T_co = TypeVar("T_co", covariant=True)


def _rng(generator):
    return (generator or default_generator).rng


def _check_num_samples(num_samples):
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
        raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` over dataset indices (and ``__len__`` if known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a fresh permutation per epoch, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement. Default: ``False``.
        num_samples: how many indices per epoch. Default: ``len(data_source)`` (without replacement,
            more than that chains several permutations).
        generator: Default: mytorch's default generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        _check_num_samples(self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng, n, count = _rng(self.generator), len(self.data_source), self.num_samples
        if self.replacement:
            return iter(rng.integers(0, n, count).tolist())
        order = np.concatenate([rng.permutation(n) for _ in range(-(-count // n))])
        return iter(order[:count].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, a fresh one each epoch (train/validation splits).

    Args:
        indices: a sequence of dataset indices.
        generator: Default: mytorch's default generator.

    Example::

        >>> train_sampler = SubsetRandomSampler(range(50000))
        >>> loader = DataLoader(ds, batch_size=64, sampler=train_sampler)
    """

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1 drawn with probabilities proportional to ``weights``.

    Args:
        weights: a 1-d sequence of non-negative weights (need not sum to 1).
        num_samples: how many indices per epoch.
        replacement: draw with replacement. Default: ``True``.
        generator: Default: mytorch's default generator.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_num_samples(num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        array = weights._data if isinstance(weights, Tensor) else weights
        self.weights = Tensor._make(np.asarray(array, dtype=np.float64))
        if self.weights.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(self.weights.shape)}")
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        w = self.weights._data
        # torch.multinomial's checks, made when the sampler is iterated as torch does
        if not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0 or inf or nan)")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                               f"(num_samples={self.num_samples}, {np.count_nonzero(w)} non-zero weights)")
        draws = _rng(self.generator).choice(len(w), size=self.num_samples, replace=self.replacement, p=w / w.sum())
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices (read lazily, so it may be endless).
        batch_size: a positive int.
        drop_last: drop the last batch if it is short.

    Example::

        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
