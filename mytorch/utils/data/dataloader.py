"""torch.utils.data.dataloader: DataLoader, which turns a dataset and a sampler into batches.

One batch is fetched in one of two ways, chosen in :meth:`DataLoader._fetch`: a dataset with
``__getitems__`` builds it whole (array-backed datasets answer with a :class:`Batched` of stacked
fields: one fancy index per batch); any other dataset is read sample by sample and the samples are
merged by ``collate_fn``. Both give the same batch.

``num_workers > 0`` runs in-process workers that behave as torch's worker processes (see
``_utils/worker.py``); ``pin_memory`` means nothing without a GPU and ``timeout`` cannot expire
in-process: both are checked and accepted.
"""
import itertools
from typing import Generic, TypeVar

from mytorch.random import Generator, default_generator
from mytorch.utils.data._utils.collate import default_collate, default_convert
from mytorch.utils.data._utils.worker import _Worker, get_worker_info
from mytorch.utils.data.dataset import Batched, IterableDataset
from mytorch.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


T_co = TypeVar("T_co", covariant=True)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: None, forever (the dataset decides what comes next)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader(Generic[T_co]):
    """Iterates over a dataset in batches, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style dataset (``__getitem__``, ``__len__``; optionally ``__getitems__``) or an
            :class:`IterableDataset`.
        batch_size: samples per batch; ``None`` turns batching off (each sample is passed through
            ``default_convert``). Default: 1.
        shuffle: reshuffle every epoch (map-style only). Default: ``False``.
        sampler: the order of indices (exclusive with ``shuffle``).
        batch_sampler: yields lists of indices (exclusive with batch_size, shuffle, sampler, drop_last).
        num_workers: in-process workers (see the module docstring). Default: 0.
        collate_fn: merges samples into a batch. Default: :func:`default_collate`
            (:func:`default_convert` when batching is off).
        pin_memory: accepted; no effect on a CPU-only library. Default: ``False``.
        drop_last: drop the last, short batch. Default: ``False``.
        timeout: non-negative; accepted (in-process workers never wait). Default: 0.
        worker_init_fn: called with the worker id when a worker starts. Default: ``None``.
        generator: the :class:`mytorch.Generator` behind shuffling and the workers' seeds.
        prefetch_factor: only with ``num_workers > 0`` (as torch). Default: ``None`` (2 with workers).
        persistent_workers: keep the workers (their dataset copies, random states) across epochs;
            needs ``num_workers > 0``. Default: ``False``.

    Example::

        >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
        >>> for xb, yb in loader:
        ...     pass
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                             f"but got num_workers={num_workers}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator must be a mytorch.Generator, got {type(generator).__name__}")

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if isinstance(shuffle, bool) and shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.prefetch_factor, self.pin_memory = num_workers, prefetch_factor, pin_memory
        self.pin_memory_device, self.timeout, self.worker_init_fn = pin_memory_device, timeout, worker_init_fn
        self.multiprocessing_context, self.persistent_workers, self.in_order = \
            multiprocessing_context, persistent_workers, in_order
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._workers = None
        self.__initialized = True

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __setattr__(self, attr, val):
        if self.__dict__.get("_DataLoader__initialized") and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    # ------------------------------------------------------------------ fetching
    def _fetch(self, dataset, index):
        """One batch (or one sample when batching is off) for ``index`` from ``dataset``."""
        if not self._auto_collation:
            return self.collate_fn(dataset[index])
        if hasattr(dataset, "__getitems__"):
            data = dataset.__getitems__(index)
            if isinstance(data, Batched) and self.collate_fn is not default_collate:
                # a custom collate_fn gets the samples __getitem__ returns (an int label, not a 0-d tensor)
                data = [dataset[i] for i in index]
        else:
            data = [dataset[i] for i in index]
        return self.collate_fn(data)

    def _fetch_iterable(self, it):
        """The next batch (or sample) from an IterableDataset's iterator; StopIteration at the end."""
        if not self._auto_collation:
            return self.collate_fn(next(it))
        batch = list(itertools.islice(it, self.batch_size))
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)

    # ------------------------------------------------------------------ iteration
    def _start_workers(self):
        if self.persistent_workers and self._workers is not None:
            return self._workers
        base_seed = int((self.generator or default_generator).rng.integers(0, 2 ** 63))
        workers = [_Worker(i, self.num_workers, base_seed, self.dataset, self.worker_init_fn)
                   for i in range(self.num_workers)]
        if self.persistent_workers:
            self._workers = workers
        return workers

    def __iter__(self):
        # NOTE: not a generator function, so that workers start (worker_init_fn runs) when the
        # iterator is made, as torch's worker processes do.
        workers = self._start_workers() if self.num_workers > 0 else None
        if self._iterable:
            batches = self._iter_iterable(workers)
        else:
            batches = self._iter_map(workers)
        return _DataLoaderIter(batches, self)

    def _iter_map(self, workers):
        if workers is None:
            for index in self._index_sampler:
                yield self._fetch(self.dataset, index)
            return
        for i, index in enumerate(self._index_sampler):
            worker = workers[i % len(workers)]
            with worker.running():
                batch = self._fetch(worker.dataset, index)
            yield batch

    def _iter_iterable(self, workers):
        if workers is None:
            it = iter(self.dataset)
            while True:
                try:
                    batch = self._fetch_iterable(it)
                except StopIteration:
                    return
                yield batch
        streams = []
        for w in workers:
            with w.running():
                streams.append([w, iter(w.dataset)])
        while streams:  # the workers' batches in turn; an exhausted worker drops out
            for entry in list(streams):
                worker, it = entry
                with worker.running():
                    try:
                        batch = self._fetch_iterable(it)
                    except StopIteration:
                        streams.remove(entry)
                        continue
                yield batch

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)  # TypeError when the stream has no length, as torch
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _DataLoaderIter:
    """The iterator ``iter(loader)`` returns: ``next`` gives the next batch, ``len`` the loader's length."""

    def __init__(self, batches, loader):
        self._batches, self._loader = batches, loader

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self):
        return len(self._loader)
