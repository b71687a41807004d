"""torch.utils.data.dataset: map-style and iterable datasets and the ways to combine and split them.

A map-style dataset may define ``__getitems__(indices)`` to build a whole batch at once (torch's
hook). Array-backed datasets (TensorDataset, MNIST without per-sample transforms) return a
:class:`Batched` there: fields already stacked along the batch dimension, so the DataLoader gathers
a batch with one fancy index instead of one ``__getitem__`` call and one stack per sample.
"""
import bisect
import math
import warnings
from typing import Generic, TypeVar

import numpy as np

from mytorch.random import default_generator
from mytorch.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split", "Batched"]


T_co = TypeVar("T_co", covariant=True)


class Batched(tuple):
    """What ``__getitems__`` of an array-backed dataset returns: the fields of a batch of samples,
    each already stacked along dimension 0. ``default_collate`` turns it into the list torch's
    default_collate makes of the same samples (``[images, labels]``); with a custom ``collate_fn``
    the DataLoader reads the samples one by one instead, so the function sees what torch gives it."""


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``).
    ``a + b`` is ``ConcatDataset([a, b])``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is a stream: subclasses define ``__iter__``. ``a + b`` is
    ``ChainDataset([a, b])``. With ``num_workers > 0`` every worker iterates its own copy; use
    :func:`get_worker_info` in ``__iter__`` or ``worker_init_fn`` to split the stream, as in torch."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


def _first_dim(t):
    shape = getattr(t, "shape", None)
    if shape is None:
        raise TypeError(f"TensorDataset takes tensors, got {type(t).__name__}")
    if len(shape) == 0:
        raise IndexError("TensorDataset: a 0-d tensor has no first dimension to index samples by")
    return shape[0]


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors that share their first dimension.

    Args:
        *tensors: tensors with the same size of dimension 0.

    Example::

        >>> ds = TensorDataset(mytorch.randn(10, 3), mytorch.arange(10))
        >>> x, y = ds[2]
    """

    def __init__(self, *tensors):
        sizes = [_first_dim(t) for t in tensors]
        if any(n != sizes[0] for n in sizes):
            raise AssertionError(f"Size mismatch between tensors: first dimensions {sizes}")  # torch's type
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        return Batched(Tensor._make(t._data[index]) if isinstance(t, Tensor) else Tensor._make(np.asarray(t)[index])
                       for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Samples are tuples (positional datasets) or dicts (keyword datasets) of the samples of
    several equally long datasets."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets.

    Args:
        datasets: the datasets, in order. ``cumulative_sizes[i]`` is the length of the first i + 1.
    """

    @staticmethod
    def cumsum(sequence):
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")  # torch's type
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]

    def __getitems__(self, indices):
        """A whole batch: each part's ``__getitems__`` on its share of the indices, the stacked fields
        put back in the asked order (or the samples one by one when a part cannot batch)."""
        n = len(self)
        local = [[] for _ in self.datasets]
        where = []
        for i in indices:
            i = int(i) + n if int(i) < 0 else int(i)
            if not 0 <= i < n:
                return [self[i] for i in indices]  # __getitem__'s error for the bad index
            which = bisect.bisect_right(self.cumulative_sizes, i)
            start = self.cumulative_sizes[which - 1] if which > 0 else 0
            where.append((which, len(local[which])))
            local[which].append(i - start)
        parts = {k: d.__getitems__(idx) if hasattr(d, "__getitems__") else None
                 for k, (d, idx) in enumerate(zip(self.datasets, local)) if idx}
        if not parts or not all(isinstance(p, Batched) and len(p) == len(next(iter(parts.values())))
                                for p in parts.values()):
            return [self[i] for i in indices]
        keys = sorted(parts)
        offsets = dict(zip(keys, np.cumsum([0] + [len(local[k]) for k in keys])))
        order = np.asarray([offsets[k] + j for k, j in where], dtype=np.int64)
        fields = zip(*(parts[k] for k in keys))
        return Batched(Tensor._make(np.concatenate([f._data for f in field])[order]) for field in fields)

    @property
    def cummulative_sizes(self):
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes", DeprecationWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """The chain of iterable datasets: iterates each in turn."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")  # torch's type
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


def _as_index_list(indices):
    if isinstance(indices, Tensor):
        return indices._data.tolist()
    if isinstance(indices, np.ndarray):
        return indices.tolist()
    return indices


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, _as_index_list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        mapped = [self.indices[i] for i in indices]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=default_generator):
    """Splits ``dataset`` into non-overlapping random Subsets.

    Args:
        dataset: the dataset to split.
        lengths: the lengths of the parts, or fractions summing to 1 (each part gets
            ``floor(frac * len(dataset))`` and the remainder is dealt out one by one, round-robin).
        generator: the source of the permutation. Default: mytorch's default generator.

    Example::

        >>> train, val = random_split(ds, [0.8, 0.2], generator=mytorch.Generator().manual_seed(42))
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, length in enumerate(counts):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    if any(length < 0 for length in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
    order = (generator or default_generator).rng.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length]))
        start += length
    return out
