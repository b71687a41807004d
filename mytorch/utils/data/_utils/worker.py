"""DataLoader workers, run in the calling process.

``num_workers = k > 0`` gives k in-process workers that behave as torch's worker processes do, except
that they take turns instead of running in parallel: each has its own copy of the dataset (a
shallow copy, so ``worker_init_fn`` may reassign its attributes, as torch's documentation does to
split an IterableDataset), its own random state (mytorch's, Python's ``random`` and NumPy's global
one, seeded from ``base_seed + worker_id`` as torch seeds a worker; see ``_Worker`` for the one
exception), ``worker_init_fn(worker_id)``
called once when the worker starts, and :func:`get_worker_info` describing it while it runs. Batch
i of a map-style dataset comes from worker ``i % k``; an IterableDataset yields the workers' batches
in turn, as torch's does. Why not processes: docs/DECISIONS.md (DataLoader workers).
"""
import copy
import random
import threading
from contextlib import contextmanager

import numpy as np

__all__ = ["get_worker_info", "WorkerInfo"]

_local = threading.local()


class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: ``id``, ``num_workers``, ``seed``,
    ``dataset`` (this worker's copy). Read-only, as torch's."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


def get_worker_info():
    """Inside a DataLoader worker (``__getitem__``/``__iter__``/``worker_init_fn`` while
    ``num_workers > 0``): this worker's :class:`WorkerInfo`; in the main process: ``None``."""
    return getattr(_local, "info", None)


def _generator_state(generator):
    """What makes up ``generator``'s stream: its attributes (swapped as a whole: O(1), where
    get_state/set_state would serialise the state)."""
    return dict(generator.__dict__)


def _set_generator_state(generator, state):
    generator.__dict__.clear()
    generator.__dict__.update(state)


class _Worker:
    """One in-process worker: its dataset copy, random states and WorkerInfo.

    ``running()`` swaps in this worker's mytorch generator always, and its Python ``random`` and
    NumPy global states when ``isolate_all`` (datasets read sample by sample). An array-backed
    dataset (one with ``__getitems__``) draws from neither, and swapping NumPy's Mersenne-Twister
    state costs about 0.4 ms, as much as gathering the batch itself."""

    def __init__(self, worker_id, num_workers, base_seed, dataset, init_fn):
        from mytorch.random import Generator
        seed = base_seed + worker_id
        try:
            dataset = copy.copy(dataset)
        except Exception:  # an uncopyable dataset is shared: still correct unless worker_init_fn mutates it
            pass
        self.dataset = dataset
        self.isolate_all = not hasattr(dataset, "__getitems__")
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        self._torch_state = _generator_state(Generator().manual_seed(seed))
        self._random_state = random.Random(seed).getstate()
        self._numpy_state = np.random.RandomState(seed % 2 ** 32).get_state()
        if init_fn is not None:
            isolate_all, self.isolate_all = self.isolate_all, True
            with self.running():
                init_fn(worker_id)
            self.isolate_all = isolate_all

    @contextmanager
    def running(self):
        """Makes this worker's info and random states current for the duration of the block."""
        from mytorch.random import default_generator
        saved_info, saved_torch = getattr(_local, "info", None), _generator_state(default_generator)
        _local.info = self.info
        _set_generator_state(default_generator, self._torch_state)
        if self.isolate_all:
            saved_random, saved_numpy = random.getstate(), np.random.get_state()
            random.setstate(self._random_state)
            np.random.set_state(self._numpy_state)
        try:
            yield self
        finally:
            self._torch_state = _generator_state(default_generator)
            _set_generator_state(default_generator, saved_torch)
            if self.isolate_all:
                self._random_state, self._numpy_state = random.getstate(), np.random.get_state()
                random.setstate(saved_random)
                np.random.set_state(saved_numpy)
            _local.info = saved_info
