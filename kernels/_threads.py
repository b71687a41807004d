"""Threads for the kernels: one small pool of Python threads running nogil numba code and
single-threaded GEMMs side by side, each on its own slice of the batch.

Why not numba's prange plus OpenBLAS's own threads: after every GEMM, OpenBLAS's workers spin
for a while, and a parallel numba kernel that follows competes with them for the two cores
(an im2col ran at half speed right after a GEMM); numba's OpenMP workers spin in turn and
slow the next GEMM as much (docs/DECISIONS.md has the measurements). Splitting the batch over our own threads,
with BLAS pinned to one thread during the call, leaves nothing spinning for long. The calling
thread works on a slice too (see run_parallel), and the hand-offs watch a counter for about
a fraction of a millisecond before blocking (kernels/_spin.py): waking a blocked thread is slow on
virtual machines.
"""
import contextlib
import ctypes
import os
import threading

import numpy as np

from kernels import _blas

__all__ = ["set_num_threads", "get_num_threads", "run_parallel", "single_threaded_blas", "blas_threads",
           "set_blas_threads", "matmul", "split_rows"]


def _default_threads():
    """OMP_NUM_THREADS where it is a positive integer (torch's default honours it too, and so does
    NumPy's OpenBLAS), else the CPUs this process may run on."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        n = 0
    if n >= 1:
        return n
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class _Config:
    threads = _default_threads()
    pool = None  # the worker threads, threads - 1 of them, made on first use
    lock = threading.Lock()  # guards pool
    busy = threading.Lock()  # held while a run_parallel call owns the workers


_config = _Config()


def _spinner():
    """kernels._spin.wait_while_equal, or None where numba is missing or its JIT is off."""
    try:
        from kernels import _spin
    except ImportError:
        return None
    return _spin.wait_while_equal if _spin.AVAILABLE else None


class _Worker:
    """One pool thread. ``counts[0]`` counts the jobs handed to it, ``counts[1]`` the jobs it has
    finished; each side watches the other's counter (spinning first, then blocking on ``cond``)."""

    def __init__(self, spin, name):
        self.counts = np.zeros(2, np.int64)
        self.address = self.counts.ctypes.data
        self.spin = spin
        self.cond = threading.Condition()
        self.job = None
        self.outcome = None
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def _wait(self, index, old):
        """Returns once counts[index] != old."""
        if self.spin is None or not self.spin(self.address + 8 * index, old):
            with self.cond:
                while self.counts[index] == old:
                    self.cond.wait()

    def _loop(self):
        done = 0
        while True:
            self._wait(0, done)
            done += 1
            fn, parts = self.job
            if fn is None:
                return
            try:
                self.outcome = (True, [fn(p) for p in parts])
            except BaseException as error:  # handed to the caller, which re-raises it
                self.outcome = (False, error)
            with self.cond:
                self.counts[1] = done
                self.cond.notify_all()

    def submit(self, fn, parts):
        self.job = (fn, parts)
        with self.cond:
            self.counts[0] += 1
            self.cond.notify_all()

    def result(self):
        """Waits for the job submitted last; (ok, results or the exception)."""
        self._wait(1, self.counts[0] - 1)
        return self.outcome

    def stop(self):
        self.submit(None, None)
        self.thread.join()


def set_num_threads(n):
    """Sets the kernel threads. Waits for a run_parallel call in progress to finish with the old pool.
    NOTE: the locks are always taken in one order, ``busy`` before ``lock`` (run_parallel holds
    ``busy`` while it asks ``_workers`` for ``lock``): the opposite order here deadlocked."""
    n = int(n)
    if n < 1:
        raise ValueError(f"number of threads must be a positive integer, got {n}")
    with _config.busy, _config.lock:
        if n != _config.threads and _config.pool is not None:
            for worker in _config.pool:
                worker.stop()
            _config.pool = None
        _config.threads = n


def get_num_threads():
    return _config.threads


def _workers():
    with _config.lock:
        if _config.pool is None:
            spin = _spinner()
            _config.pool = [_Worker(spin, f"mytorch-kernels-{i}") for i in range(_config.threads - 1)]
        return _config.pool


def run_parallel(fn, parts):
    """[fn(p) for p in parts], spread over the kernel threads (in order). The calling thread runs the
    first part itself, so only the others wait for a pool thread: a LeNet training step (batch 64,
    2 threads) took a quarter longer with every part handed to the pool. A call made
    while another thread's call holds the workers runs its parts itself."""
    if len(parts) <= 1 or _config.threads == 1 or not _config.busy.acquire(blocking=False):
        return [fn(p) for p in parts]
    try:
        workers = _workers()
        # worker i takes parts 1 + i, 1 + i + len(workers), ...
        jobs = [(worker, parts[1 + i::len(workers)]) for i, worker in enumerate(workers) if parts[1 + i::len(workers)]]
        for worker, mine in jobs:
            worker.submit(fn, mine)
        try:
            first = fn(parts[0])
        finally:
            # NOTE: wait for the other parts even when the first fails: they write into the caller's arrays.
            outcomes = [worker.result() for worker, _ in jobs]
    finally:
        _config.busy.release()
    for ok, value in outcomes:
        if not ok:
            raise value
    results = [first] + [None] * (len(parts) - 1)
    for i, (_, values) in enumerate(outcomes):
        results[1 + i::len(workers)] = values
    return results


def blas_threads(n=None):
    """Sets NumPy's OpenBLAS thread count when ``n`` is given; returns the count (None if unknown)."""
    blas = _blas.thread_functions()
    if blas is None:
        return None
    if n is not None:
        blas[0](ctypes.c_int(int(n)))
    return int(blas[1]())


class _BlasSections:
    """Calls inside single_threaded_blas, across all threads. The first one in pins OpenBLAS to one
    thread, the last one out restores ``wanted``, the count the user asked for: restoring what each
    call found instead would let two overlapping calls (or a set_num_threads in between) leave
    OpenBLAS at the wrong count."""
    lock = threading.Lock()
    active = 0
    wanted = None  # the count to restore; read from OpenBLAS when the first section starts


_blas_sections = _BlasSections()


def set_blas_threads(n):
    """Sets NumPy's OpenBLAS thread count now, or when the last single-threaded section ends."""
    with _blas_sections.lock:
        _blas_sections.wanted = int(n)
        if _blas_sections.active == 0:
            blas_threads(n)


@contextlib.contextmanager
def single_threaded_blas():
    """GEMMs run on one thread inside the block (our own threads supply the parallelism)."""
    if _blas.thread_functions() is None:
        yield
        return
    with _blas_sections.lock:
        if _blas_sections.active == 0:
            _blas_sections.wanted = blas_threads()
            if _blas_sections.wanted != 1:
                blas_threads(1)
        _blas_sections.active += 1
    try:
        yield
    finally:
        with _blas_sections.lock:
            _blas_sections.active -= 1
            if _blas_sections.active == 0 and _blas_sections.wanted != 1:
                blas_threads(_blas_sections.wanted)


# Below this many multiply-adds a GEMM is left to np.matmul: splitting the MLP's 13 M-MAC products
# slowed its training step, the CNN's 75 M-MAC fc1 gains from the split (no OpenBLAS workers left
# spinning before the next conv); docs/DECISIONS.md has the figures.
MATMUL_MIN_MACS = 2 ** 25


def matmul(a, b):
    """a @ b for 2-D operands, with the rows of the result split over the kernel threads and each
    part a single-threaded GEMM. OpenBLAS's own workers then never start, so they never spin
    against the numba kernels that run next. Other shapes, and small products, go to np.matmul."""
    if a.ndim != 2 or b.ndim != 2 or _config.threads == 1:
        return np.matmul(a, b)
    if a.shape[0] * a.shape[1] * b.shape[1] < MATMUL_MIN_MACS:
        # Small products run on one BLAS thread too: a 2-thread OpenBLAS call leaves its worker
        # spinning, and the conv kernel that follows in the backward pass loses a core to it
        # (LeNet's conv2 backward took 1.7x its time alone inside a training step).
        with single_threaded_blas():
            return np.matmul(a, b)
    M, N = a.shape[0], b.shape[1]
    out = np.empty((M, N), np.result_type(a, b))
    parts = _config.threads
    if M >= parts * 8:
        return split_rows(a, b, out, parts)
    # few rows (a batch of 64 against a wide weight): split the columns instead
    step = -(-N // parts)
    with single_threaded_blas():
        run_parallel(lambda j: np.matmul(a, b[:, j:j + step], out=out[:, j:j + step]), range(0, N, step))
    return out


def split_rows(a, b, out, parts, product=np.matmul):
    """product(a, b, out=out) with the result's rows (a's second-to-last axis) cut into ``parts``
    slices over the kernel threads, each a single-threaded GEMM into its rows of ``out``.
    ``product``: np.matmul (any batch axes in front), or np.dot for 2-D operands."""
    step = -(-a.shape[-2] // parts)
    with single_threaded_blas():
        run_parallel(lambda r: product(a[..., r:r + step, :], b, out=out[..., r:r + step, :]),
                     range(0, a.shape[-2], step))
    return out
