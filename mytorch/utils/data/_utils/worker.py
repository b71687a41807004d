"""DataLoader workers, run in the calling process.

``num_workers = k > 0`` gives k in-process workers that behave as torch's worker processes do, except
that they take turns instead of running in parallel: each has its own copy of the dataset (a
shallow copy, so ``worker_init_fn`` may reassign its attributes, as torch's documentation does to
split an IterableDataset), its own random state (mytorch's, Python's ``random`` and NumPy's global
one, seeded from ``base_seed + worker_id`` as torch seeds a worker), ``worker_init_fn(worker_id)``
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


class _Worker:
    """One in-process worker: its dataset copy, random states and WorkerInfo."""

    def __init__(self, worker_id, num_workers, base_seed, dataset, init_fn):
        seed = base_seed + worker_id
        try:
            dataset = copy.copy(dataset)
        except Exception:  # an uncopyable dataset is shared: still correct unless worker_init_fn mutates it
            pass
        self.dataset = dataset
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        from mytorch.random import Generator
        self._torch_state = Generator().manual_seed(seed).get_state()
        self._random_state = random.Random(seed).getstate()
        self._numpy_state = np.random.RandomState(seed % 2 ** 32).get_state()
        if init_fn is not None:
            with self.running():
                init_fn(worker_id)

    @contextmanager
    def running(self):
        """Makes this worker's info and random states current for the duration of the block."""
        from mytorch.random import default_generator
        saved = (getattr(_local, "info", None), default_generator.get_state(), random.getstate(),
                 np.random.get_state())
        _local.info = self.info
        default_generator.set_state(self._torch_state)
        random.setstate(self._random_state)
        np.random.set_state(self._numpy_state)
        try:
            yield self
        finally:
            self._torch_state, self._random_state = default_generator.get_state(), random.getstate()
            self._numpy_state = np.random.get_state()
            _local.info = saved[0]
            default_generator.set_state(saved[1])
            random.setstate(saved[2])
            np.random.set_state(saved[3])
