"""The depthwise convolution route of the numba implementation: groups = C input channels, each
filter reading one channel (F = C * multiplier). A GEMM per group would be (m x KH*KW) @
(KH*KW x OH*OW), far too thin for BLAS; here each plane is convolved by jitted loops.

Each input plane is copied into small scratch "phase planes" (they stay in cache), so the batch is
never padded as a whole and the input gradient is read straight out of its scratch planes. At
stride (SH, SW) the padded plane is dealt into SH*SW phase planes of (Hq, Wq) = (ceil(Hp/SH),
ceil(Wp/SW)), padded pixel (hp, wp) going to phase (hp % SH, wp % SW) at (hp // SH, wp // SW);
tap (kh, kw) of output (oh, ow) then reads phase (kh*DH % SH, kw*DW % SW) at (oh + kh*DH // SH,
ow + kw*DW // SW): a stride-1 read. So every stride runs the "wide" grid of the direct route
(kernels/conv_direct.py): on a phase plane's flat layout, a tap of every output is one contiguous
run of (OH-1)*Wq + OW elements, shifted by the tap's offset, and a kernel row is one long
vectorized loop (at stride 1 there is one phase plane, the padded plane itself). The backward
passes spread the output gradient onto that grid with zeros in the Wq - OW wasted columns.
"""
import numpy as np
from numba import njit

from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work, parts, reduce_sum
from kernels._threads import run_parallel

__all__ = ["scratch_bytes", "forward", "backward"]

_jit = njit(cache=True, nogil=True, fastmath={"contract"})
# Reassociation lets LLVM vectorize dW's dot products (a different summation order only).
_jit_reassoc = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})


def scratch_bytes(g, itemsize):
    """Scratch one sample takes: a few sets of phase planes."""
    planes = g.SH * g.SW * -(-(g.H + 2 * g.PH) // g.SH) * -(-(g.W + 2 * g.PW) // g.SW)
    return 4 * planes * itemsize


@_jit
def _column_phases(W, PW, SW):
    """For each column phase pw: the first input column in it (w0) and where it lands in the phase
    plane (q0), for _load and _store."""
    w0, q0 = np.empty(SW, np.int64), np.empty(SW, np.int64)
    for pw in range(SW):
        w0[pw] = (pw - PW) % SW
        q0[pw] = (w0[pw] + PW) // SW
    return w0, q0


@_jit
def _load(plane, Q, PH, PW, SH, SW, w0, q0):
    """The phase planes Q take ``plane`` inside their border (which stays zero): padded pixel
    (hp, wp) goes to phase (hp % SH) * SW + wp % SW at (hp // SH, wp // SW)."""
    H, W = plane.shape
    # NOTE: no division inside the loops (the row's phase is counted): divisions per row cost as
    # much as a stride-1 plane's convolution by one tap
    qh, ph = PH // SH, PH % SH
    for h in range(H):
        src = plane[h]
        if SW == 1:
            dst = Q[ph, qh, PW:]
            for w in range(W):
                dst[w] = src[w]
        for pw in range(SW if SW > 1 else 0):  # a phase's columns: a strided read, a contiguous write
            dst, start = Q[ph * SW + pw, qh, q0[pw]:], w0[pw]
            for j in range((W - start + SW - 1) // SW):
                dst[j] = src[start + j * SW]
        ph += 1
        if ph == SH:
            ph, qh = 0, qh + 1


@_jit
def _store(Q, plane, PH, PW, SH, SW, w0, q0):
    """``plane`` = the inside of the phase planes Q (the inverse of _load)."""
    H, W = plane.shape
    qh, ph = PH // SH, PH % SH
    for h in range(H):
        dst = plane[h]
        if SW == 1:
            src = Q[ph, qh, PW:]
            for w in range(W):
                dst[w] = src[w]
        for pw in range(SW if SW > 1 else 0):
            src, start = Q[ph * SW + pw, qh, q0[pw]:], w0[pw]
            for j in range((W - start + SW - 1) // SW):
                dst[start + j * SW] = src[j]
        ph += 1
        if ph == SH:
            ph, qh = 0, qh + 1


@_jit
def _spread(dy_plane, g, Wq):
    """dy (OH, OW) onto the wide grid g; the wasted columns stay as they are (zero)."""
    OH, OW = dy_plane.shape
    for oh in range(OH):
        src, o = dy_plane[oh], oh * Wq
        for ow in range(OW):
            g[o + ow] = src[ow]


@_jit
def _phases(H, W, PH, PW, SH, SW):
    """(Hq, Wq): the size of each of the SH*SW phase planes of the padded input."""
    return (H + 2 * PH + SH - 1) // SH, (W + 2 * PW + SW - 1) // SW


@_jit
def _taps(KH, KW, DH, DW, SH, SW, Hq, Wq):
    """offsets[kh, kw]: where tap (kh, kw) of output 0 reads in the phase planes laid end to end;
    output (oh, ow) reads offsets[kh, kw] + oh*Wq + ow. (Computed once per call: divisions in the
    loops over planes were a third of a stride-1 layer's time.)"""
    offsets = np.empty((KH, KW), np.int64)
    for kh in range(KH):
        for kw in range(KW):
            r, s = kh * DH, kw * DW
            offsets[kh, kw] = ((r % SH) * SW + s % SW) * Hq * Wq + (r // SH) * Wq + s // SW
    return offsets


# ---------------------------------------------------------------------------- the wide grid on phase planes
@_jit
def _forward_wide(x, w, b, y, PH, PW, SH, SW, DH, DW):
    N, C, H, W = x.shape
    F, OH, OW = y.shape[1], y.shape[2], y.shape[3]
    KH, KW = w.shape[2], w.shape[3]
    Hq, Wq = _phases(H, W, PH, PW, SH, SW)
    m, L = F // C, (OH - 1) * Wq + OW
    offsets = _taps(KH, KW, DH, DW, SH, SW, Hq, Wq)
    w0, q0 = _column_phases(W, PW, SW)
    shifted = KW == 3 and DW == 1 and SW == 1  # a kernel row's taps read one run shifted by 0, 1, 2
    Q = np.zeros((SH * SW, Hq, Wq), x.dtype)
    flat = Q.reshape(-1)
    acc = np.empty(L, y.dtype)
    for n in range(N):
        for c in range(C):
            _load(x[n, c], Q, PH, PW, SH, SW, w0, q0)
            for f in range(c * m, (c + 1) * m):
                k, bias = w[f, 0], b[f]
                for i in range(L):
                    acc[i] = bias
                for kh in range(KH):
                    if shifted:  # a kernel row's three taps in one pass over one run
                        a0, a1, a2, src = k[kh, 0], k[kh, 1], k[kh, 2], flat[offsets[kh, 0]:]
                        for i in range(L):
                            acc[i] += a0 * src[i] + a1 * src[i + 1] + a2 * src[i + 2]
                        continue
                    if KW == 3:  # the same over three runs (in two phase planes)
                        a0, a1, a2 = k[kh, 0], k[kh, 1], k[kh, 2]
                        s0, s1, s2 = flat[offsets[kh, 0]:], flat[offsets[kh, 1]:], flat[offsets[kh, 2]:]
                        for i in range(L):
                            acc[i] += a0 * s0[i] + a1 * s1[i] + a2 * s2[i]
                        continue
                    for kw in range(KW):
                        o = offsets[kh, kw]
                        a, src = k[kh, kw], flat[o:]
                        for i in range(L):
                            acc[i] += a * src[i]
                for oh in range(OH):
                    dst, o = y[n, f, oh], oh * Wq
                    for ow in range(OW):
                        dst[ow] = acc[o + ow]


@_jit_reassoc
def _backward_wide(dy, x, w, dx, dw, need_dx, need_dw, PH, PW, SH, SW, DH, DW):
    N, C, H, W = x.shape
    F, OH, OW = dy.shape[1], dy.shape[2], dy.shape[3]
    KH, KW = w.shape[2], w.shape[3]
    Hq, Wq = _phases(H, W, PH, PW, SH, SW)
    m, L = F // C, (OH - 1) * Wq + OW
    offsets = _taps(KH, KW, DH, DW, SH, SW, Hq, Wq)
    w0, q0 = _column_phases(W, PW, SW)
    Q = np.zeros((SH * SW, Hq, Wq), x.dtype)
    D = np.zeros((SH * SW, Hq, Wq), x.dtype)
    flat, dflat = Q.reshape(-1), D.reshape(-1)
    # g holds the spread gradient after two zeros: a kernel row's three taps then read g[i], g[i - 1]
    # and g[i - 2] for position i of dx without a bounds test
    gz = np.zeros(L + 4, dy.dtype)
    g = gz[2:]
    zero = np.zeros(1, dw.dtype)[0]
    shifted = KW == 3 and DW == 1 and SW == 1  # a kernel row's taps read one run shifted by 0, 1, 2
    for n in range(N):
        for c in range(C):
            if need_dw:
                _load(x[n, c], Q, PH, PW, SH, SW, w0, q0)
            if need_dx:
                dflat[:] = 0
            for f in range(c * m, (c + 1) * m):
                _spread(dy[n, f], g, Wq)
                if need_dx:
                    k = w[f, 0]
                    for kh in range(KH):
                        if shifted:  # dx[j] += sum_kw w[kw] * g[j - kw]: one pass per row
                            o = offsets[kh, 0]
                            a0, a1, a2, dst = k[kh, 0], k[kh, 1], k[kh, 2], dflat[o:]
                            for i in range(L + 2):
                                dst[i] += a0 * gz[i + 2] + a1 * gz[i + 1] + a2 * gz[i]
                            continue
                        for kw in range(KW):
                            o = offsets[kh, kw]
                            a, dst = k[kh, kw], dflat[o:]
                            for i in range(L):
                                dst[i] += a * g[i]
                if need_dw:
                    k = dw[f, 0]
                    for kh in range(KH):
                        if shifted:  # the row's three dot products share every load of g
                            src, b0, b1, b2 = flat[offsets[kh, 0]:], zero, zero, zero
                            for i in range(L):
                                h = g[i]
                                b0 += h * src[i]
                                b1 += h * src[i + 1]
                                b2 += h * src[i + 2]
                            k[kh, 0] += b0
                            k[kh, 1] += b1
                            k[kh, 2] += b2
                            continue
                        if KW == 3:  # the same over three runs
                            s0, s1, s2 = flat[offsets[kh, 0]:], flat[offsets[kh, 1]:], flat[offsets[kh, 2]:]
                            b0, b1, b2 = zero, zero, zero
                            for i in range(L):
                                h = g[i]
                                b0 += h * s0[i]
                                b1 += h * s1[i]
                                b2 += h * s2[i]
                            k[kh, 0] += b0
                            k[kh, 1] += b1
                            k[kh, 2] += b2
                            continue
                        for kw in range(KW):
                            o = offsets[kh, kw]
                            src, acc = flat[o:], zero
                            for i in range(L):
                                acc += g[i] * src[i]
                            k[kh, kw] += acc
            if need_dx:
                _store(D, dx[n, c], PH, PW, SH, SW, w0, q0)


def forward(x, weight, b, y, g):
    run_parallel(lambda p: _forward_wide(x[p], weight, b, y[p], g.PH, g.PW, g.SH, g.SW, g.DH, g.DW),
                 parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))


def backward(grad_out, x, weight, g, needs):
    dx = np.empty_like(x) if needs[0] else x[:1]  # NOTE: without needs[0] a stand-in the loops never write

    def run(p):
        dw = np.zeros_like(weight)
        dxs = dx[p] if needs[0] else dx
        _backward_wide(grad_out[p], x[p], weight, dxs, dw, needs[0], needs[1], g.PH, g.PW, g.SH, g.SW, g.DH, g.DW)
        return dw
    dws = run_parallel(run, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))
    return (dx if needs[0] else None), (reduce_sum(dws) if needs[1] else None)
