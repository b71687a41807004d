"""Elementwise kernels of the numba implementation: ReLU forward and backward, one pass each,
split over the kernel threads.

Why these: a ReLU follows nearly every convolution, and NumPy's forms took a fifth of an MNIST-CNN
training step on two threads (np.maximum, then g * (y > 0), which casts the mask from bool in a
second pass, both on one thread). Each loop here is a compare-and-select that LLVM vectorizes, and
it keeps torch's rules, which those NumPy forms did not: relu(NaN) = NaN, relu(-0.0) = -0.0, and
the gradient is 0 wherever the output is <= 0, even where the incoming gradient is inf.

Dtypes numba does not compile (float16, bool) take the reference NumPy forms.
"""
import numpy as np
from numba import njit

from kernels import reference
from kernels._plan import POINTWISE_MIN_ELEMENTS_PER_THREAD, parts
from kernels._threads import run_parallel

__all__ = ["relu", "relu_backward"]

_jit = njit(cache=True, nogil=True)
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64))


@_jit
def _relu(x, y):
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = 0 if v < 0 else v


@_jit
def _relu_backward(g, y, dx):
    for i in range(g.shape[0]):
        dx[i] = 0 if y[i] <= 0 else g[i]


def _split(fn, *arrays):
    """fn over matching slices of flat arrays, the slices on the kernel threads."""
    n = arrays[0].shape[0]
    run_parallel(lambda s: fn(*(a[s] for a in arrays)), parts(n, n, POINTWISE_MIN_ELEMENTS_PER_THREAD))


def _c_ordered(a):
    # NOTE: not np.ascontiguousarray, which turns a 0-d array into a 1-d one
    return a if a.flags.c_contiguous else a.copy(order="C")


def relu(x):
    if x.dtype not in _NATIVE:
        return reference.relu(x)
    x = _c_ordered(x)
    y = np.empty_like(x)
    if x.size:
        _split(_relu, x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(grad, y):
    if grad.dtype not in _NATIVE or y.dtype != grad.dtype or grad.shape != y.shape:
        return reference.relu_backward(grad, y)
    grad, y = _c_ordered(grad), _c_ordered(y)
    dx = np.empty_like(grad)
    if dx.size:
        _split(_relu_backward, grad.reshape(-1), y.reshape(-1), dx.reshape(-1))
    return dx
