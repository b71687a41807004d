"""The depthwise convolution route of the numba implementation: groups = C input channels, each
filter reading one channel (F = C * multiplier). A GEMM per group would be (m x KH*KW) @
(KH*KW x OH*OW), far too thin for BLAS; here each plane is convolved by jitted loops.

Each input plane is copied into a small padded scratch plane (it stays in cache), so the batch is
never padded as a whole and the input gradient is cropped straight out of its scratch plane. At
stride 1 the loops run on the "wide" grid of the direct route (kernels/conv_direct.py): on the
padded plane's flat layout, tap (kh, kw) of every output is the same contiguous run shifted by
kh*DH*Wp + kw*DW, so a kernel row is one long vectorized loop over (OH-1)*Wp + OW elements; the
backward passes spread the output gradient onto that grid with zeros in the Wp - OW wasted
columns. Strided layers loop along output rows, one compiled copy per stride (a compile-time
constant, so LLVM can vectorize the strided reads).
"""
import numpy as np
from numba import njit

from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work, parts, reduce_sum
from kernels._threads import run_parallel

__all__ = ["scratch_bytes", "forward", "backward"]

_jit = njit(cache=True, nogil=True)
# Reassociation lets LLVM vectorize dW's dot products (a different summation order only).
_jit_reassoc = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})


def scratch_bytes(g, itemsize):
    """Scratch one sample takes: a few padded planes."""
    return 4 * (g.H + 2 * g.PH) * (g.W + 2 * g.PW) * itemsize


@_jit
def _load(plane, P, PH, PW):
    """The padded scratch plane P takes ``plane`` inside its border (which stays zero)."""
    H, W = plane.shape
    for h in range(H):
        src, dst = plane[h], P[PH + h, PW:]
        for w in range(W):
            dst[w] = src[w]


@_jit
def _store(P, plane, PH, PW):
    """``plane`` = the inside of the padded scratch plane P."""
    H, W = plane.shape
    for h in range(H):
        src, dst = P[PH + h, PW:], plane[h]
        for w in range(W):
            dst[w] = src[w]


@_jit
def _spread(dy_plane, g, Wp):
    """dy (OH, OW) onto the wide grid g; the wasted columns stay as they are (zero)."""
    OH, OW = dy_plane.shape
    for oh in range(OH):
        src, o = dy_plane[oh], oh * Wp
        for ow in range(OW):
            g[o + ow] = src[ow]


# ---------------------------------------------------------------------------- stride 1: the wide grid
@_jit
def _forward_wide(x, w, b, y, PH, PW, DH, DW):
    N, C, H, W = x.shape
    F, OH, OW = y.shape[1], y.shape[2], y.shape[3]
    KH, KW = w.shape[2], w.shape[3]
    Hp, Wp = H + 2 * PH, W + 2 * PW
    m, L = F // C, (OH - 1) * Wp + OW
    P = np.zeros((Hp, Wp), x.dtype)
    flat = P.reshape(-1)
    acc = np.empty(L, y.dtype)
    for n in range(N):
        for c in range(C):
            _load(x[n, c], P, PH, PW)
            for f in range(c * m, (c + 1) * m):
                k, bias = w[f, 0], b[f]
                for i in range(L):
                    acc[i] = bias
                for kh in range(KH):
                    if KW == 3 and DW == 1:  # a kernel row's three taps in one pass
                        a0, a1, a2, src = k[kh, 0], k[kh, 1], k[kh, 2], flat[kh * DH * Wp:]
                        for i in range(L):
                            acc[i] += a0 * src[i] + a1 * src[i + 1] + a2 * src[i + 2]
                        continue
                    for kw in range(KW):
                        a, src = k[kh, kw], flat[kh * DH * Wp + kw * DW:]
                        for i in range(L):
                            acc[i] += a * src[i]
                for oh in range(OH):
                    dst, o = y[n, f, oh], oh * Wp
                    for ow in range(OW):
                        dst[ow] = acc[o + ow]


@_jit_reassoc
def _backward_wide(dy, x, w, dx, dw, need_dx, need_dw, PH, PW, DH, DW):
    N, C, H, W = x.shape
    F, OH, OW = dy.shape[1], dy.shape[2], dy.shape[3]
    KH, KW = w.shape[2], w.shape[3]
    Hp, Wp = H + 2 * PH, W + 2 * PW
    m, L = F // C, (OH - 1) * Wp + OW
    P = np.zeros((Hp, Wp), x.dtype)
    D = np.zeros((Hp, Wp), x.dtype)
    flat, dflat = P.reshape(-1), D.reshape(-1)
    # g holds the spread gradient after two zeros: a kernel row's three taps then read g[i], g[i - 1]
    # and g[i - 2] for position i of dx without a bounds test
    gz = np.zeros(L + 4, dy.dtype)
    g = gz[2:]
    zero = np.zeros(1, dw.dtype)[0]
    for n in range(N):
        for c in range(C):
            if need_dw:
                _load(x[n, c], P, PH, PW)
            if need_dx:
                dflat[:] = 0
            for f in range(c * m, (c + 1) * m):
                _spread(dy[n, f], g, Wp)
                if need_dx:
                    k = w[f, 0]
                    for kh in range(KH):
                        if KW == 3 and DW == 1:  # dx[j] += sum_kw w[kw] * g[j - kw]: one pass per row
                            a0, a1, a2, dst = k[kh, 0], k[kh, 1], k[kh, 2], dflat[kh * DH * Wp:]
                            for i in range(L + 2):
                                dst[i] += a0 * gz[i + 2] + a1 * gz[i + 1] + a2 * gz[i]
                            continue
                        for kw in range(KW):
                            a, dst = k[kh, kw], dflat[kh * DH * Wp + kw * DW:]
                            for i in range(L):
                                dst[i] += a * g[i]
                if need_dw:
                    k = dw[f, 0]
                    for kh in range(KH):
                        if KW == 3 and DW == 1:  # the row's three dot products share every load of g
                            src, b0, b1, b2 = flat[kh * DH * Wp:], zero, zero, zero
                            for i in range(L):
                                h = g[i]
                                b0 += h * src[i]
                                b1 += h * src[i + 1]
                                b2 += h * src[i + 2]
                            k[kh, 0] += b0
                            k[kh, 1] += b1
                            k[kh, 2] += b2
                            continue
                        for kw in range(KW):
                            src, acc = flat[kh * DH * Wp + kw * DW:], zero
                            for i in range(L):
                                acc += g[i] * src[i]
                            k[kh, kw] += acc
            if need_dx:
                _store(D, dx[n, c], PH, PW)


# ---------------------------------------------------------------------------- any stride: output rows
def _make_rows(SW):
    """The row loops for column stride ``SW`` (a constant of each compiled copy; 0: any stride,
    passed at run time as ``sw``)."""

    @_jit
    def forward(x, w, b, y, SH, sw, PH, PW, DH, DW):
        step = SW if SW else sw
        N, C, H, W = x.shape
        F, OH, OW = y.shape[1], y.shape[2], y.shape[3]
        KH, KW = w.shape[2], w.shape[3]
        m = F // C
        P = np.zeros((H + 2 * PH, W + 2 * PW), x.dtype)
        for n in range(N):
            for c in range(C):
                _load(x[n, c], P, PH, PW)
                for f in range(c * m, (c + 1) * m):
                    k = w[f, 0]
                    for oh in range(OH):
                        row = y[n, f, oh]
                        for ow in range(OW):
                            row[ow] = b[f]
                        for kh in range(KH):
                            src = P[oh * SH + kh * DH]
                            for kw in range(KW):
                                a, s = k[kh, kw], src[kw * DW:]
                                for ow in range(OW):
                                    row[ow] += a * s[ow * step]

    @_jit_reassoc
    def backward(dy, x, w, dx, dw, need_dx, need_dw, SH, sw, PH, PW, DH, DW):
        step = SW if SW else sw
        N, C, H, W = x.shape
        F, OH, OW = dy.shape[1], dy.shape[2], dy.shape[3]
        KH, KW = w.shape[2], w.shape[3]
        m = F // C
        P = np.zeros((H + 2 * PH, W + 2 * PW), x.dtype)
        D = np.zeros((H + 2 * PH, W + 2 * PW), x.dtype)
        zero = np.zeros(1, dw.dtype)[0]
        for n in range(N):
            for c in range(C):
                if need_dw:
                    _load(x[n, c], P, PH, PW)
                if need_dx:
                    D[:, :] = 0
                for f in range(c * m, (c + 1) * m):
                    for kh in range(KH):
                        for kw in range(KW):
                            a, acc = w[f, 0, kh, kw], zero
                            for oh in range(OH):
                                g = dy[n, f, oh]
                                r = oh * SH + kh * DH
                                if need_dx:
                                    d = D[r, kw * DW:]
                                    for ow in range(OW):
                                        d[ow * step] += a * g[ow]
                                if need_dw:
                                    s = P[r, kw * DW:]
                                    for ow in range(OW):
                                        acc += g[ow] * s[ow * step]
                            if need_dw:
                                dw[f, 0, kh, kw] += acc
                if need_dx:
                    _store(D, dx[n, c], PH, PW)

    return forward, backward


_ROWS = {stride: _make_rows(stride) for stride in (1, 2, 0)}


def _rows(g):
    return _ROWS[g.SW if g.SW in (1, 2) else 0]


def forward(x, weight, b, y, g):
    if g.SH == g.SW == 1:
        run = lambda p: _forward_wide(x[p], weight, b, y[p], g.PH, g.PW, g.DH, g.DW)  # noqa: E731
    else:
        run = lambda p: _rows(g)[0](x[p], weight, b, y[p], g.SH, g.SW, g.PH, g.PW, g.DH, g.DW)  # noqa: E731
    run_parallel(run, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))


def backward(grad_out, x, weight, g, needs):
    dx = np.empty_like(x) if needs[0] else x[:1]  # NOTE: without needs[0] a stand-in the loops never write

    def run(p):
        dw = np.zeros_like(weight)
        dxs = dx[p] if needs[0] else dx
        if g.SH == g.SW == 1:
            _backward_wide(grad_out[p], x[p], weight, dxs, dw, needs[0], needs[1], g.PH, g.PW, g.DH, g.DW)
        else:
            _rows(g)[1](grad_out[p], x[p], weight, dxs, dw, needs[0], needs[1], g.SH, g.SW, g.PH, g.PW, g.DH, g.DW)
        return dw
    dws = run_parallel(run, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))
    return (dx if needs[0] else None), (reduce_sum(dws) if needs[1] else None)
