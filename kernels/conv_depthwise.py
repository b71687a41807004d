"""The depthwise convolution route of the numba implementation: groups = C input channels, each
filter reading one channel (F = C * multiplier). A GEMM per group would be (m x KH*KW) @
(KH*KW x OH*OW), far too thin for BLAS; here each output row is a jitted loop over the kernel's
taps, any stride and dilation, the inner loop running along the row.
"""
import numpy as np
from numba import njit

from kernels._common import pad
from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work, parts, reduce_sum
from kernels._threads import run_parallel

__all__ = ["scratch_bytes", "forward", "backward"]

_jit = njit(cache=True, nogil=True)
# Reassociation lets LLVM vectorize dW's dot products (a different summation order only).
_jit_reassoc = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})


def scratch_bytes(g, itemsize):
    """Scratch one sample takes: its padded input gradient."""
    return g.C * (g.H + 2 * g.PH) * (g.W + 2 * g.PW) * itemsize


@_jit
def _forward(xp, w, b, y, SH, SW, DH, DW):
    N, F, OH, OW = y.shape
    C, KH, KW = xp.shape[1], w.shape[2], w.shape[3]
    m = F // C
    for n in range(N):
        for f in range(F):
            plane, k = xp[n, f // m], w[f, 0]
            for oh in range(OH):
                row = y[n, f, oh]
                for ow in range(OW):
                    row[ow] = b[f]
                for kh in range(KH):
                    src = plane[oh * SH + kh * DH]
                    for kw in range(KW):
                        a, off = k[kh, kw], kw * DW
                        for ow in range(OW):
                            row[ow] += a * src[ow * SW + off]


@_jit
def _backward_input(dy, w, dxp, SH, SW, DH, DW):
    N, F, OH, OW = dy.shape
    C, KH, KW = dxp.shape[1], w.shape[2], w.shape[3]
    m = F // C
    dxp[...] = 0
    for n in range(N):
        for f in range(F):
            plane, k = dxp[n, f // m], w[f, 0]
            for oh in range(OH):
                g = dy[n, f, oh]
                for kh in range(KH):
                    dst = plane[oh * SH + kh * DH]
                    for kw in range(KW):
                        a, off = k[kh, kw], kw * DW
                        for ow in range(OW):
                            dst[ow * SW + off] += a * g[ow]


@_jit_reassoc
def _backward_weight(dy, xp, dw, SH, SW, DH, DW):
    N, F, OH, OW = dy.shape
    C, KH, KW = xp.shape[1], dw.shape[2], dw.shape[3]
    m = F // C
    zero = np.zeros(1, dw.dtype)[0]
    for n in range(N):
        for f in range(F):
            plane, k = xp[n, f // m], dw[f, 0]
            for kh in range(KH):
                for kw in range(KW):
                    acc, off = zero, kw * DW
                    for oh in range(OH):
                        src, g = plane[oh * SH + kh * DH], dy[n, f, oh]
                        for ow in range(OW):
                            acc += g[ow] * src[ow * SW + off]
                    k[kh, kw] += acc


def forward(x, weight, b, y, g):
    xp = pad(x, g.PH, g.PW)
    run_parallel(lambda p: _forward(xp[p], weight, b, y[p], g.SH, g.SW, g.DH, g.DW),
                 parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))


def backward(grad_out, x, weight, g, needs):
    xp = pad(x, g.PH, g.PW)
    dxp = np.empty(xp.shape, x.dtype) if needs[0] else None

    def run(p):
        if needs[0]:
            _backward_input(grad_out[p], weight, dxp[p], g.SH, g.SW, g.DH, g.DW)
        if needs[1]:
            dw = np.zeros_like(weight)
            _backward_weight(grad_out[p], xp[p], dw, g.SH, g.SW, g.DH, g.DW)
            return dw
        return None
    dws = run_parallel(run, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))
    dx = np.ascontiguousarray(dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]) if needs[0] else None
    return dx, (reduce_sum(dws) if needs[1] else None)
