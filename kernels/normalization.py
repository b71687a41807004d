"""Training-mode batch normalisation of the numba implementation: per channel, the statistics in
two passes over its values (mean, then centred squares) and the output in a third; the backward
in two (the sums of g and g * xhat, then dx), with xhat recomputed from x instead of stored. The
sums are float64 for every input dtype (a float32 running sum over 65 k values drifts ~1e-3).
Channels are split over the kernel threads.

Why: NumPy's form was seven array passes forward and eight backward, its reductions over the
(N, H, W) axes of an NCHW array strided and slow; batch norm took a quarter of a ResNet-20
training step (docs/PERFORMANCE.md). Shapes: x (N, C, M), M the flattened spatial size (1 for
BatchNorm1d on (N, C)).
"""
import numpy as np
from numba import njit

from kernels import reference
from kernels._plan import POINTWISE_MIN_ELEMENTS_PER_THREAD, parts
from kernels._threads import run_parallel

__all__ = ["batch_norm_forward", "batch_norm_backward"]

_jit = njit(cache=True, nogil=True, fastmath={"contract"})
# The sums may be reassociated: LLVM then vectorizes them (a different summation order only).
_jit_sums = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


@_jit_sums
def _statistics(x, eps, mean, var, invstd, c0, c1):
    N, C, M = x.shape
    count = N * M
    for c in range(c0, c1):
        s = np.float64(0.0)  # NOTE: not 0.0, which NumPy 2 would demote to float32 when JIT is off
        for n in range(N):
            row = x[n, c]
            for m in range(M):
                s += row[m]
        mu = s / count
        q = np.float64(0.0)
        for n in range(N):
            row = x[n, c]
            for m in range(M):
                d = row[m] - mu
                q += d * d
        v = q / count
        mean[c], var[c], invstd[c] = mu, v, 1.0 / np.sqrt(v + eps)


@_jit
def _affine(x, scale, shift, y, c0, c1):
    """y = x * scale[c] + shift[c] (scale and shift in x's dtype)."""
    N, C, M = x.shape
    for c in range(c0, c1):
        a, b = scale[c], shift[c]
        for n in range(N):
            row, out = x[n, c], y[n, c]
            for m in range(M):
                out[m] = row[m] * a + b


@_jit_sums
def _sums(g, x, mean, sum_g, sum_gx, c0, c1):
    """sum(g) and sum(g * (x - mean)) per channel, in float64."""
    N, C, M = x.shape
    for c in range(c0, c1):
        mu = mean[c]
        sg = np.float64(0.0)
        sgx = np.float64(0.0)
        for n in range(N):
            grow, xrow = g[n, c], x[n, c]
            for m in range(M):
                gv = grow[m]
                sg += gv
                sgx += gv * (xrow[m] - mu)
        sum_g[c], sum_gx[c] = sg, sgx


@_jit
def _combine(g, x, a, b, k, dx, c0, c1):
    """dx = a[c] g + b[c] x + k[c]."""
    N, C, M = x.shape
    for c in range(c0, c1):
        ac, bc, kc = a[c], b[c], k[c]
        for n in range(N):
            grow, xrow, out = g[n, c], x[n, c], dx[n, c]
            for m in range(M):
                out[m] = ac * grow[m] + bc * xrow[m] + kc


def _channels(x):
    return parts(x.shape[1], x.size, POINTWISE_MIN_ELEMENTS_PER_THREAD)


def batch_norm_forward(x, weight, bias, eps):
    if x.dtype not in _NATIVE:
        return reference.batch_norm_forward(x, weight, bias, eps)
    N, C = x.shape[:2]
    x3 = np.ascontiguousarray(x).reshape(N, C, -1)
    mean, var, invstd = np.empty(C), np.empty(C), np.empty(C)
    channels = _channels(x3)
    run_parallel(lambda s: _statistics(x3, float(eps), mean, var, invstd, s.start, s.stop), channels)
    scale, shift = reference.batch_norm_scale_shift(mean, invstd, weight, bias, x.dtype)
    y = np.empty_like(x3)
    run_parallel(lambda s: _affine(x3, scale, shift, y, s.start, s.stop), channels)
    return y.reshape(x.shape), mean, var, invstd


def batch_norm_backward(grad, x, mean, invstd, weight, need_dx=True):
    if x.dtype not in _NATIVE or grad.dtype != x.dtype:
        return reference.batch_norm_backward(grad, x, mean, invstd, weight, need_dx)
    N, C = x.shape[:2]
    x3 = np.ascontiguousarray(x).reshape(N, C, -1)
    g3 = np.ascontiguousarray(grad).reshape(N, C, -1)
    sum_g, sum_gx = np.empty(C), np.empty(C)
    channels = _channels(x3)
    run_parallel(lambda s: _sums(g3, x3, mean, sum_g, sum_gx, s.start, s.stop), channels)
    dweight, dbias = (sum_gx * invstd).astype(x.dtype), sum_g.astype(x.dtype)
    if not need_dx:
        return None, dweight, dbias
    a, b, k = reference.batch_norm_dx_coefficients(sum_g, sum_gx, mean, invstd, weight, N * x3.shape[2], x.dtype)
    dx = np.empty_like(x3)
    run_parallel(lambda s: _combine(g3, x3, a, b, k, dx, s.start, s.stop), channels)
    return dx.reshape(x.shape), dweight, dbias
