"""How a kernel call is cut into work for the threads, and the scratch buffers the pieces reuse.

The threads (kernels/_threads.py) each take a slice of the batch (``parts``); inside a slice a
route walks cache-sized blocks of samples (``blocks``) whose scratch comes from a per-thread
``workspace`` that is reused from call to call. No block's scratch exceeds the memory budget
divided by the threads, so the threads together stay under it.
"""
import threading

import numpy as np

from kernels._common import budget
from kernels._threads import get_num_threads, run_parallel

__all__ = ["CONV_MIN_MACS_PER_THREAD", "POOL_MIN_ELEMENTS_PER_THREAD", "CACHE_BLOCK_BYTES", "parts", "blocks",
           "workspace", "conv_work", "thread_budget", "reduce_sum"]

# Below this much work per thread, handing part of the batch to a second thread costs more than it
# saves (docs/PERFORMANCE.md has the measurements for this machine kind).
CONV_MIN_MACS_PER_THREAD = 2 ** 20
POOL_MIN_ELEMENTS_PER_THREAD = 2 ** 16
POINTWISE_MIN_ELEMENTS_PER_THREAD = 2 ** 16

# Blocks of scratch about this size: big enough that a GEMM over a block runs near its best, small
# enough to stay mostly in cache between a fill and the GEMM that reads it.
CACHE_BLOCK_BYTES = 8 * 2 ** 20


def parts(N, work=None, min_work=1):
    """Slices of range(N), one per thread that gets at least ``min_work`` of the ``work``."""
    threads = get_num_threads()
    if work is not None:
        threads = max(1, min(threads, work // max(min_work, 1)))
    step = max(1, -(-N // threads))
    return [slice(i, min(i + step, N)) for i in range(0, N, step)]


def thread_budget():
    """The scratch bytes one thread may hold: the memory budget shared by the threads."""
    return budget.bytes // get_num_threads()


def blocks(part, bytes_per_sample, limit=None, scratch_per_sample=None):
    """Consecutive sample blocks of ``part`` whose main scratch buffer (``bytes_per_sample`` a
    sample) takes about ``limit`` bytes (CACHE_BLOCK_BYTES by default), and whose scratch buffers
    together (``scratch_per_sample``, default the same) stay within the thread's share of the
    memory budget; at least one sample (callers cut a sample into rows before it gets here when one
    is too big)."""
    step = min((limit or CACHE_BLOCK_BYTES) // max(bytes_per_sample, 1),
               thread_budget() // max(scratch_per_sample or bytes_per_sample, 1))
    step = max(1, step)
    return [slice(i, min(i + step, part.stop)) for i in range(part.start, part.stop, step)]


def conv_work(g):
    """Multiply-adds of a convolution's forward pass."""
    return g.N * g.F * (g.C // g.G) * g.KH * g.KW * g.OH * g.OW


class _Workspace(threading.local):
    """Reusable scratch buffers, one set per thread: fresh allocations over ~32 MB page-fault on
    every call. Contents never outlive the call that fills them. A buffer only grows to what a
    block asks for, and blocks are capped by the thread's share of the budget, so what is kept
    between calls stays under the budget (a change of the budget drops every thread's buffers at
    its next call); ``release()`` frees this thread's buffers."""

    def __init__(self):
        self.buffers = {}
        self.generation = budget.generation

    def get(self, role, shape, dtype):
        if self.generation != budget.generation:  # the budget changed: what is kept may exceed it
            self.buffers.clear()
            self.generation = budget.generation
        size = int(np.prod(shape))
        buf = self.buffers.get((role, dtype))
        if buf is None or buf.size < size:
            self.buffers.pop((role, dtype), None)  # drop the old one before the new one exists
            buf = np.empty(size, dtype)
            self.buffers[(role, dtype)] = buf
        return buf[:size].reshape(shape)

    def release(self):
        self.buffers.clear()

    def nbytes(self):
        return sum(b.nbytes for b in self.buffers.values())


workspace = _Workspace()


# Below this many elements added, one thread sums the partial results.
REDUCE_MIN_ELEMENTS = 2 ** 18


def reduce_sum(arrays):
    """The sum of the threads' partial results (same-shaped contiguous arrays, e.g. weight
    gradients), added into the first. Large sums are themselves split over the threads by element
    range, so the reduction does not become the serial part of a many-thread call."""
    first, rest = arrays[0], arrays[1:]
    if not rest:
        return first
    flat, others = first.reshape(-1), [a.reshape(-1) for a in rest]
    if flat.size * len(rest) < REDUCE_MIN_ELEMENTS:
        for a in others:
            flat += a
        return first

    def add(s):
        for a in others:
            np.add(flat[s], a[s], out=flat[s])
    run_parallel(add, parts(flat.size))
    return first
