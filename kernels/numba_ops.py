"""The ``numba`` implementation: @njit(cache=True, nogil=True) routines, parallel over the batch.

Parallelism comes from kernels/_threads.py: the batch is split into one slice per thread, and each
thread runs the serial nogil routines below and a single-threaded GEMM on its own slice, so no
thread pool spins against another (see that module for the measurements).

- Three routes for a convolution, picked by shape (thresholds measured, see each constant):
  - a direct stride-1 convolution where K = C/G*KH*KW is too small to feed a GEMM well (LeNet's
    layers, the MNIST CNN's first): each kernel row is one long contiguous loop over a
    padded-width ("wide") plane, four filters or channels at a time, bias fused, and dW
    accumulated per thread, then reduced, so threads never share an output;
  - Winograd F(4x4, 3x3) for 3x3 stride-1 layers with enough channels and pixels
    (kernels/_winograd.py): 4x fewer multiply-adds, in 36 GEMMs;
  - otherwise im2col -> one NumPy GEMM -> col2im. At stride 1 the columns are taken on the same
    wide grid, so every copy and every col2im add runs over long contiguous rows; strided layers
    use jitted fills that read and write whole output rows (LLVM vectorizes those; a signed
    offset index such as ``row[ow + d]`` stopped it and halved the speed).
- Pooling with the argmax taken in the window loop.

Every routine also runs as plain Python under NUMBA_DISABLE_JIT=1 (the tests compare the two).
Shapes use the notation of kernels/_common.py.
"""
import threading

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

from kernels import _winograd as wino
from kernels._common import budget, conv_geometry, pad, pair, patches, pool_geometry
from kernels._threads import get_num_threads, run_parallel, single_threaded_blas

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
           "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"]

# Direct convolution when K = C/G*KH*KW is at most this: DIRECT_MAX_K for rows of 5 taps, which
# the direct routines handle best, DIRECT_MAX_K_OTHER otherwise. Measured fwd+bwd against the
# im2col GEMM, 1 / 2 threads, ms: 5x5: K=25 (LeNet's first layer) 1.3 vs 4.0 / 1.4 vs 4.0; K=75 (28x28)
# 7.4 vs 12.3 / 4.8 vs 8.5; K=100 (14x14) 2.3 vs 2.5 / 1.5 vs 2.1; K=150 (LeNet's second layer) 3.3 vs
# 3.7 / 2.0 vs 2.6. 3x3: K=9 (the MNIST CNN's first layer) 2.8 vs 5.6 / 2.0 vs 4.6; K=54 (14x14) 2.7
# vs 2.9 / 1.8 vs 2.6; K=144 (12x12) 10.5 vs 6.5 / 6.2 vs 4.2.
DIRECT_MAX_K = 160
DIRECT_MAX_K_OTHER = 64

_jit = njit(cache=True, nogil=True)
# Reassociation lets LLVM vectorize the dW dot products; the result differs from the reference
# only in summation order.
_jit_reassoc = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
# Helpers called once per kernel row inside the direct convolution's loops: inlined into the caller
# (as separate functions, calls cost LeNet's second layer forward 1.6 instead of 0.7 ms).
_jit_inline = njit(cache=True, nogil=True, inline="always")


@_jit
def _valid_range(out_size, in_size, stride, pad_, offset):
    """Output positions o with 0 <= o*stride - pad + offset < in_size, as [lo, hi)."""
    first = pad_ - offset  # o*stride >= first
    # NOTE: lo is capped at out_size too: the fills zero [0, lo) of a row of out_size (a wide
    # dilated kernel on a narrow input has no valid position, and an uncapped lo wrote past the row).
    lo = 0 if first <= 0 else min((first + stride - 1) // stride, out_size)
    last = in_size + pad_ - offset  # o*stride < last
    hi = 0 if last <= 0 else (last + stride - 1) // stride
    hi = min(hi, out_size)
    return lo, max(lo, hi)


# ---------------------------------------------------------------------------- im2col / col2im
@_jit
def _im2col_fill(x, cols, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    """cols[(c*KH + kh)*KW + kw, (n*OH + oh)*OW + ow] = x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]
    (0 outside the input). Plain indexed loops: rows are short (OW), so per-row slice views cost more
    than they save."""
    N, C, H, W = x.shape
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                row = cols[(c * KH + kh) * KW + kw]
                lo, hi = _valid_range(OW, W, SW, PW, kw * DW)
                shift = kw * DW - PW
                for n in range(N):
                    for oh in range(OH):
                        o = (n * OH + oh) * OW
                        ih = oh * SH - PH + kh * DH
                        if ih < 0 or ih >= H:
                            for ow in range(OW):
                                row[o + ow] = 0
                            continue
                        for ow in range(lo):
                            row[o + ow] = 0
                        for ow in range(lo, hi):
                            row[o + ow] = x[n, c, ih, ow * SW + shift]
                        for ow in range(hi, OW):
                            row[o + ow] = 0


@_jit
def _col2im_add(cols, dx, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    """dx = 0, then every column entry added back to the pixel im2col took it from."""
    N, C, H, W = dx.shape
    dx[...] = 0
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                row = cols[(c * KH + kh) * KW + kw]
                lo, hi = _valid_range(OW, W, SW, PW, kw * DW)
                shift = kw * DW - PW
                for n in range(N):
                    for oh in range(OH):
                        ih = oh * SH - PH + kh * DH
                        if ih < 0 or ih >= H:
                            continue
                        o = (n * OH + oh) * OW
                        for ow in range(lo, hi):
                            dx[n, c, ih, ow * SW + shift] += row[o + ow]


def _geometry(shape, kernel_size, stride, padding, dilation):
    KH, KW = pair(kernel_size, "kernel_size")
    return conv_geometry(shape, (1, shape[1], KH, KW), stride, padding, dilation, 1)


def _fill_args(g):
    return g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.OH, g.OW


# Below this much work per thread, handing half the batch to a second thread costs more than it
# saves. Measured: LeNet's first conv (7.5 M multiply-adds) fwd+bwd 1.4 ms on two threads against
# 1.9 ms on one; 2x2 pooling of (64, 6, 28, 28) ran faster on one thread.
CONV_MIN_MACS_PER_THREAD = 2 ** 20
POOL_MIN_ELEMENTS_PER_THREAD = 2 ** 20


def _parts(N, work=None, min_work=1):
    """Slices of the batch, one per thread that gets at least ``min_work`` of the ``work``."""
    threads = get_num_threads()
    if work is not None:
        threads = max(1, min(threads, work // min_work))
    step = -(-N // threads)
    return [slice(i, min(i + step, N)) for i in range(0, N, step)]


# Column blocks of about this size: big enough that the GEMM over a block runs near its best, small
# enough to stay mostly in cache between the fill and the GEMM (measured fwd+bwd on one thread with
# the wide-grid fill: E 58 ms at 2 MiB, 51 ms at 8 MiB, 58 ms at 16 MiB; B 3.7 -> 3.5 ms).
CACHE_BLOCK_BYTES = 8 * 2 ** 20


def _blocks(part, bytes_per_sample, limit=None):
    """Consecutive sample blocks of ``part`` whose scratch buffers take about ``limit`` bytes
    (CACHE_BLOCK_BYTES by default; at least one sample; never more than the memory budget allows)."""
    limit = min(limit or CACHE_BLOCK_BYTES, budget.bytes // get_num_threads())
    step = max(1, limit // max(bytes_per_sample, 1))
    return [slice(i, min(i + step, part.stop)) for i in range(part.start, part.stop, step)]


def _fill_block(x, cols, g):
    """im2col of one cache-sized block, inside a worker thread. NumPy's strided copy (which releases
    the GIL) beat the jitted fill here on every shape (B 3.4 vs 4.4 ms, C 52 vs 59 ms fwd+bwd); the
    jitted fill wins when it has the whole batch and both cores, as in ``im2col`` below."""
    np.copyto(cols.reshape(x.shape[1], g.KH, g.KW, x.shape[0], g.OH, g.OW), patches(x, g))


def _columns(part, OH, OW):
    return slice(part.start * OH * OW, part.stop * OH * OW)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x.shape, kernel_size, stride, padding, dilation)
    x = np.ascontiguousarray(x)
    cols = np.empty((g.C * g.KH * g.KW, g.N * g.OH * g.OW), x.dtype)
    run_parallel(lambda p: _im2col_fill(x[p], cols[:, _columns(p, g.OH, g.OW)], *_fill_args(g)), _parts(g.N))
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x_shape, kernel_size, stride, padding, dilation)
    dx = np.empty(x_shape, cols.dtype)
    run_parallel(lambda p: _col2im_add(cols[:, _columns(p, g.OH, g.OW)], dx[p], *_fill_args(g)), _parts(g.N))
    return dx


class _Workspace(threading.local):
    """Reusable scratch buffers, one set per thread: fresh allocations over ~32 MB page-fault on
    every call (about 7 ms per 75 MB here). Contents never outlive the call that fills them."""

    def __init__(self):
        self.buffers = {}

    def get(self, role, shape, dtype):
        size = int(np.prod(shape))
        buf = self.buffers.get((role, dtype))
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype)
            self.buffers[(role, dtype)] = buf
        return buf[:size].reshape(shape)


_workspace = _Workspace()


# ---------------------------------------------------------------------------- direct convolution
# Stride-1 convolution on the padded input, computed on a "wide" grid whose rows are as long as the
# padded input's (Wp): output (oh, ow) sits at flat position oh*Wp + ow, and tap (kh, kw) reads the
# input plane's flat position shifted by kh*DH*Wp + kw*DW. Each kernel row (c, kh) is then one long
# contiguous loop over (OH-1)*Wp + OW elements, which LLVM vectorizes; the Wp - OW wasted columns
# per row are the price.
#
# The routines work on blocks of four filters (forward, dW) or four input channels (dx): the four
# share every load of the row they read (LeNet's second layer forward: 1.7 ms one filter at a time,
# 0.7 ms four at a time). A group's last one to three go one at a time (forward, dx) or padded to
# four with a zero gradient row and scratch outputs (dW). The helpers below are the innermost loops
# over one kernel row: for any width, and written out for rows of 5 and 3 contiguous taps
# (dilation 1), where each accumulator element is loaded and stored once per row, not once per tap.
# NOTE: the width is chosen at the call site, not inside one helper, and every call spells out its
# arguments: an inlined helper with the branch inside, or arguments bound to names shared by the
# branches, ran 2.3x slower (LLVM no longer vectorized the loop).

@_jit_inline
def _taps4_5(d0, d1, d2, d3, src, w0, w1, w2, w3, step, n):
    """dj[i] += sum_k wj[k] * src[i + k] for i < n, k < 5, j < 4."""
    a0, a1, a2, a3, a4 = w0[0], w0[1], w0[2], w0[3], w0[4]
    b0, b1, b2, b3, b4 = w1[0], w1[1], w1[2], w1[3], w1[4]
    c0, c1, c2, c3, c4 = w2[0], w2[1], w2[2], w2[3], w2[4]
    e0, e1, e2, e3, e4 = w3[0], w3[1], w3[2], w3[3], w3[4]
    for i in range(n):
        x0, x1, x2, x3, x4 = src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4]
        d0[i] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 + a4 * x4
        d1[i] += b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4
        d2[i] += c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3 + c4 * x4
        d3[i] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3 + e4 * x4


@_jit_inline
def _taps4_3(d0, d1, d2, d3, src, w0, w1, w2, w3, step, n):
    """dj[i] += sum_k wj[k] * src[i + k] for i < n, k < 3, j < 4."""
    a0, a1, a2 = w0[0], w0[1], w0[2]
    b0, b1, b2 = w1[0], w1[1], w1[2]
    c0, c1, c2 = w2[0], w2[1], w2[2]
    e0, e1, e2 = w3[0], w3[1], w3[2]
    for i in range(n):
        x0, x1, x2 = src[i], src[i + 1], src[i + 2]
        d0[i] += a0 * x0 + a1 * x1 + a2 * x2
        d1[i] += b0 * x0 + b1 * x1 + b2 * x2
        d2[i] += c0 * x0 + c1 * x1 + c2 * x2
        d3[i] += e0 * x0 + e1 * x1 + e2 * x2


@_jit_inline
def _taps4(d0, d1, d2, d3, src, w0, w1, w2, w3, step, n):
    """dj[i] += sum_k wj[k] * src[i + k*step] for i < n, any width, j < 4."""
    for k in range(w0.shape[0]):
        s, a, b, c, e = src[k * step:], w0[k], w1[k], w2[k], w3[k]
        for i in range(n):
            x = s[i]
            d0[i] += a * x
            d1[i] += b * x
            d2[i] += c * x
            d3[i] += e * x


@_jit_inline
def _dots4_5(g0, g1, g2, g3, src, o0, o1, o2, o3, step, n, zero):
    """oj[k] += sum_i gj[i] * src[i + k] for i < n, k < 5, j < 4 (``zero``: 0 in the arrays' dtype;
    float32 dot products summed in float64 ran at half the speed)."""
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = e0 = e1 = e2 = e3 = e4 = zero
    for i in range(n):
        x0, x1, x2, x3, x4 = src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4]
        h = g0[i]
        a0, a1, a2, a3, a4 = a0 + h * x0, a1 + h * x1, a2 + h * x2, a3 + h * x3, a4 + h * x4
        h = g1[i]
        b0, b1, b2, b3, b4 = b0 + h * x0, b1 + h * x1, b2 + h * x2, b3 + h * x3, b4 + h * x4
        h = g2[i]
        c0, c1, c2, c3, c4 = c0 + h * x0, c1 + h * x1, c2 + h * x2, c3 + h * x3, c4 + h * x4
        h = g3[i]
        e0, e1, e2, e3, e4 = e0 + h * x0, e1 + h * x1, e2 + h * x2, e3 + h * x3, e4 + h * x4
    o0[0] += a0; o0[1] += a1; o0[2] += a2; o0[3] += a3; o0[4] += a4  # noqa: E702
    o1[0] += b0; o1[1] += b1; o1[2] += b2; o1[3] += b3; o1[4] += b4  # noqa: E702
    o2[0] += c0; o2[1] += c1; o2[2] += c2; o2[3] += c3; o2[4] += c4  # noqa: E702
    o3[0] += e0; o3[1] += e1; o3[2] += e2; o3[3] += e3; o3[4] += e4  # noqa: E702


@_jit_inline
def _dots4_3(g0, g1, g2, g3, src, o0, o1, o2, o3, step, n, zero):
    """oj[k] += sum_i gj[i] * src[i + k] for i < n, k < 3, j < 4."""
    a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = e0 = e1 = e2 = zero
    for i in range(n):
        x0, x1, x2 = src[i], src[i + 1], src[i + 2]
        h = g0[i]
        a0, a1, a2 = a0 + h * x0, a1 + h * x1, a2 + h * x2
        h = g1[i]
        b0, b1, b2 = b0 + h * x0, b1 + h * x1, b2 + h * x2
        h = g2[i]
        c0, c1, c2 = c0 + h * x0, c1 + h * x1, c2 + h * x2
        h = g3[i]
        e0, e1, e2 = e0 + h * x0, e1 + h * x1, e2 + h * x2
    o0[0] += a0; o0[1] += a1; o0[2] += a2  # noqa: E702
    o1[0] += b0; o1[1] += b1; o1[2] += b2  # noqa: E702
    o2[0] += c0; o2[1] += c1; o2[2] += c2  # noqa: E702
    o3[0] += e0; o3[1] += e1; o3[2] += e2  # noqa: E702


@_jit_inline
def _dots4(g0, g1, g2, g3, src, o0, o1, o2, o3, step, n, zero):
    """oj[k] += sum_i gj[i] * src[i + k*step] for i < n, any width, j < 4."""
    for k in range(o0.shape[0]):
        s = src[k * step:]
        a = b = c = e = zero
        for i in range(n):
            x = s[i]
            a += g0[i] * x
            b += g1[i] * x
            c += g2[i] * x
            e += g3[i] * x
        o0[k] += a
        o1[k] += b
        o2[k] += c
        o3[k] += e


@_jit_inline
def _taps1_5(d, src, w, step, n):
    """d[i] += sum_k w[k] * src[i + k] for i < n, k < 5."""
    a0, a1, a2, a3, a4 = w[0], w[1], w[2], w[3], w[4]
    for i in range(n):
        d[i] += a0 * src[i] + a1 * src[i + 1] + a2 * src[i + 2] + a3 * src[i + 3] + a4 * src[i + 4]


@_jit_inline
def _taps1_3(d, src, w, step, n):
    """d[i] += sum_k w[k] * src[i + k] for i < n, k < 3."""
    a0, a1, a2 = w[0], w[1], w[2]
    for i in range(n):
        d[i] += a0 * src[i] + a1 * src[i + 1] + a2 * src[i + 2]


@_jit_inline
def _taps1(d, src, w, step, n):
    """d[i] += sum_k w[k] * src[i + k*step] for i < n, any width."""
    for k in range(w.shape[0]):
        s, a = src[k * step:], w[k]
        for i in range(n):
            d[i] += a * s[i]


@_jit_inline
def _copy_row(src, dst):
    # NOTE: not dst[:] = src, which numba compiles with an overlap check and a temporary copy.
    for i in range(src.shape[0]):
        dst[i] = src[i]


@_jit
def _spread_wide(dy_plane, g, Wp):
    """dy (OH, OW) laid out on the wide grid (the gaps were zeroed once and stay zero)."""
    OH, OW = dy_plane.shape
    for oh in range(OH):
        _copy_row(dy_plane[oh], g[oh * Wp:oh * Wp + OW])


# Elements per loop of the direct backward: it runs over several samples' padded planes at once
# (see _make_direct's backward).
DOT_CHUNK = 4096


def _make_direct(width):
    """The direct forward and backward routines for kernel rows of ``width`` taps read contiguously
    (5 or 3: those loops are written out), or of any width (0). ``width`` is a constant of each copy,
    so numba compiles (and caches) one copy per width with the other branches folded away.
    NOTE: not one function with a width argument: with the branch taken at run time, LLVM no longer
    vectorized the written-out loops (LeNet's second layer forward 1.1 instead of 0.7 ms)."""

    @_jit
    def forward(xp, w, b, y, DH, DW, G):
        N, C, Hp, Wp = xp.shape
        F, OH, OW = y.shape[1], y.shape[2], y.shape[3]
        Cg, KH = w.shape[1], w.shape[2]
        Fg, L = F // G, (OH - 1) * Wp + OW
        acc = np.empty((4, L), y.dtype)
        for n in range(N):
            f0 = 0
            while f0 < F:
                m, c0 = min(4, Fg - f0 % Fg), (f0 // Fg) * Cg  # the block stays inside its group
                for j in range(m):
                    acc[j, :] = b[f0 + j]
                for c in range(Cg):
                    plane = xp[n, c0 + c].reshape(-1)
                    for kh in range(KH):
                        src = plane[kh * DH * Wp:]
                        if m == 4:
                            if width == 5:
                                _taps4_5(acc[0], acc[1], acc[2], acc[3], src,
                                         w[f0, c, kh], w[f0 + 1, c, kh], w[f0 + 2, c, kh], w[f0 + 3, c, kh], DW, L)
                            elif width == 3:
                                _taps4_3(acc[0], acc[1], acc[2], acc[3], src,
                                         w[f0, c, kh], w[f0 + 1, c, kh], w[f0 + 2, c, kh], w[f0 + 3, c, kh], DW, L)
                            else:
                                _taps4(acc[0], acc[1], acc[2], acc[3], src,
                                       w[f0, c, kh], w[f0 + 1, c, kh], w[f0 + 2, c, kh], w[f0 + 3, c, kh], DW, L)
                        else:
                            for j in range(m):
                                if width == 5:
                                    _taps1_5(acc[j], src, w[f0 + j, c, kh], DW, L)
                                elif width == 3:
                                    _taps1_3(acc[j], src, w[f0 + j, c, kh], DW, L)
                                else:
                                    _taps1(acc[j], src, w[f0 + j, c, kh], DW, L)
                for j in range(m):
                    for oh in range(OH):
                        _copy_row(acc[j, oh * Wp:oh * Wp + OW], y[n, f0 + j, oh])
                f0 += m

    @_jit_reassoc
    def backward(dy, xp, w, dxp, dw, need_dx, need_dw, DH, DW, G):
        """dxp = the input gradient on the padded grid (if need_dx); dw += this slice of the batch's
        weight gradient (if need_dw), both from dy spread onto the wide grid.

        The input gradient of kernel row (c, kh) is dx[kh*DH*Wp + j] += sum_kw w[kw] * g[j - kw*DW]: the
        forward's row taps with the weights reversed, read from g with P = (KW-1)*DW zeros on each side."""
        N, C, Hp, Wp = xp.shape
        F, OH, OW = dy.shape[1], dy.shape[2], dy.shape[3]
        Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
        Fg, L = F // G, (OH - 1) * Wp + OW
        P = (KW - 1) * DW
        zero = np.zeros(1, dy.dtype)[0]  # 0 in the arrays' dtype (see _dots4_5)
        flipped = np.ascontiguousarray(w[:, :, :, ::-1])
        scratch_w = np.zeros((4, KH, KW), dw.dtype)  # the outputs of a block's padding rows
        plane_size = Hp * Wp
        chunk = max(1, DOT_CHUNK // plane_size)
        if need_dx:
            # Over a chunk of samples at once as well, so the loops run long: sample n's dy at
            # n*plane_size + P of gx (zeros around it), its input gradient at n*plane_size of dxc.
            # Between samples the taps read zeros and add nothing (LeNet's second layer dx: 1.15 -> 0.8 ms).
            gx = np.zeros((F, chunk * plane_size + 2 * P), dy.dtype)
            dxc = np.empty((4, chunk * plane_size), dxp.dtype)
            for n0 in range(0, N, chunk):
                nc = min(chunk, N - n0)
                span = (nc - 1) * plane_size + L + P
                for f in range(F):
                    for n in range(nc):
                        _spread_wide(dy[n0 + n, f], gx[f, n * plane_size + P:n * plane_size + P + L], Wp)
                c0 = 0
                while c0 < C:
                    m, cl, f_first = min(4, Cg - c0 % Cg), c0 % Cg, (c0 // Cg) * Fg
                    dxc[:m, :nc * plane_size] = 0
                    for f in range(f_first, f_first + Fg):
                        wf = flipped[f]
                        for kh in range(KH):
                            shift = kh * DH * Wp
                            if m == 4:
                                if width == 5:
                                    _taps4_5(dxc[0, shift:], dxc[1, shift:], dxc[2, shift:], dxc[3, shift:], gx[f],
                                             wf[cl, kh], wf[cl + 1, kh], wf[cl + 2, kh], wf[cl + 3, kh], DW, span)
                                elif width == 3:
                                    _taps4_3(dxc[0, shift:], dxc[1, shift:], dxc[2, shift:], dxc[3, shift:], gx[f],
                                             wf[cl, kh], wf[cl + 1, kh], wf[cl + 2, kh], wf[cl + 3, kh], DW, span)
                                else:
                                    _taps4(dxc[0, shift:], dxc[1, shift:], dxc[2, shift:], dxc[3, shift:], gx[f],
                                           wf[cl, kh], wf[cl + 1, kh], wf[cl + 2, kh], wf[cl + 3, kh], DW, span)
                            else:
                                for j in range(m):
                                    if width == 5:
                                        _taps1_5(dxc[j, shift:], gx[f], wf[cl + j, kh], DW, span)
                                    elif width == 3:
                                        _taps1_3(dxc[j, shift:], gx[f], wf[cl + j, kh], DW, span)
                                    else:
                                        _taps1(dxc[j, shift:], gx[f], wf[cl + j, kh], DW, span)
                    for j in range(m):
                        for n in range(nc):
                            _copy_row(dxc[j, n * plane_size:(n + 1) * plane_size], dxp[n0 + n, c0 + j].reshape(-1))
                    c0 += m
        if need_dw:
            # The weight gradient as one long dot product per tap over a chunk of samples: each
            # sample's dy plane spread onto its own padded-size row of gw (zeros around it), so sample
            # n's terms never reach sample n + 1's pixels. Per-sample dot products over the short rows
            # spent more on the final sums of their vector accumulators than in the loop (LeNet's
            # second layer dW 1.19 -> 0.6 ms); chunks of about DOT_CHUNK elements keep gw in cache.
            gw = np.zeros((F + 1, chunk * plane_size), dy.dtype)  # row F stays zero: it pads short blocks
            xc = np.empty(chunk * plane_size, xp.dtype)
            for n0 in range(0, N, chunk):
                nc = min(chunk, N - n0)
                total = (nc - 1) * plane_size + L
                for f in range(F):
                    for n in range(nc):
                        _spread_wide(dy[n0 + n, f], gw[f, n * plane_size:n * plane_size + L], Wp)
                for grp in range(G):
                    for c in range(Cg):
                        for n in range(nc):
                            _copy_row(xp[n0 + n, grp * Cg + c].reshape(-1), xc[n * plane_size:(n + 1) * plane_size])
                        f0 = grp * Fg
                        while f0 < (grp + 1) * Fg:
                            m = min(4, (grp + 1) * Fg - f0)
                            r = [f0 + j if j < m else F for j in range(4)]
                            o = [dw[f0 + j, c] if j < m else scratch_w[j] for j in range(4)]
                            for kh in range(KH):
                                if width == 5:
                                    _dots4_5(gw[r[0]], gw[r[1]], gw[r[2]], gw[r[3]], xc[kh * DH * Wp:],
                                             o[0][kh], o[1][kh], o[2][kh], o[3][kh], DW, total, zero)
                                elif width == 3:
                                    _dots4_3(gw[r[0]], gw[r[1]], gw[r[2]], gw[r[3]], xc[kh * DH * Wp:],
                                             o[0][kh], o[1][kh], o[2][kh], o[3][kh], DW, total, zero)
                                else:
                                    _dots4(gw[r[0]], gw[r[1]], gw[r[2]], gw[r[3]], xc[kh * DH * Wp:],
                                           o[0][kh], o[1][kh], o[2][kh], o[3][kh], DW, total, zero)
                            f0 += m

    return forward, backward


_DIRECT = {width: _make_direct(width) for width in (5, 3, 0)}


def _uses_direct(g, weight):
    limit = DIRECT_MAX_K if g.KW == 5 else DIRECT_MAX_K_OTHER
    return g.SH == g.SW == 1 and weight.shape[1] * g.KH * g.KW <= limit


def _direct_routines(g):
    """(forward, backward) of the direct convolution for this geometry's kernel rows."""
    return _DIRECT[g.KW if g.KW in (3, 5) and g.DW == 1 else 0]


# ---------------------------------------------------------------------------- Winograd F(4x4, 3x3)
# 3x3 stride-1 convolutions with at least this many input and output channels, and outputs at
# least this many pixels high and wide, go through the Winograd transforms of kernels/_winograd.py.
# Measured fwd+bwd, one thread, Winograd / the im2col or direct route: C 0.44, D 0.41, E 0.75;
# (64, 16 -> 32, 26x26) 0.89, (64, 16 -> 64, 26x26) 1.02; small planes lose, where the tiles'
# padding and the per-plane work weigh more: (64, 32 -> 64, 12x12) 1.03, (16, 64 -> 64, 8x8) 1.21.
WINOGRAD_MIN_CHANNELS = 16
WINOGRAD_MIN_SIZE = 16
# Blocks of the transformed tiles (measured 0.5-16 MiB: flat from 0.5 to 4 MiB on C, D and E).
WINOGRAD_BLOCK_BYTES = 2 * 2 ** 20


def _uses_winograd(g):
    return (g.G == 1 and g.KH == g.KW == 3 and g.SH == g.SW == 1 and g.DH == g.DW == 1
            and min(g.C, g.F) >= WINOGRAD_MIN_CHANNELS
            and min(g.OH, g.OW) >= WINOGRAD_MIN_SIZE)


def _winograd(x, u, bias, y, PH, PW):
    """y = the 3x3 stride-1 convolution of x (padding PH, PW) with the transformed filters u
    (36, F, C), plus bias: per cache-sized block of samples, input transform -> 36 GEMMs ->
    output transform, each thread on its own slice of the batch."""
    N, C = x.shape[:2]
    F, OH, OW = y.shape[1:]
    TH, TW, per_image = wino.tiles(OH, OW)

    def run(p):
        for block in _blocks(p, wino.P * (C + F) * per_image * x.itemsize, WINOGRAD_BLOCK_BYTES):
            T = (block.stop - block.start) * per_image
            V = _tile_buffer("wino_v", C, T, x.dtype)
            M = _tile_buffer("wino_m", F, T, x.dtype)
            wino.input_transform(x[block], V, T, PH, PW, TH, TW)
            np.matmul(u, _matrices(V, C, T), out=_matrices(M, F, T))
            wino.output_transform(M, T, bias, y[block], TH, TW)
    with single_threaded_blas():
        run_parallel(run, _parts(N, N * F * C * wino.P * per_image, CONV_MIN_MACS_PER_THREAD))


def _winograd_backward(grad_out, x, weight, dx, PH, PW, needs):
    """The gradients of a 3x3 stride-1 convolution from one transform of dY per block of samples,
    D = A dY A^T: dx (written into ``dx`` if needs[0]) as the transpose of the input transform
    applied to U^T D (36 GEMMs (C x F) @ (F x T)), and dW (returned if needs[1]) as G^T [sum over
    the tiles of D . V] G, V the input's transform (36 GEMMs (F x T) @ (T x C))."""
    N, C = x.shape[:2]
    F, OH, OW = grad_out.shape[1:]
    TH, TW, per_image = wino.tiles(OH, OW)
    u_t = wino.filter_transform(weight).transpose(0, 2, 1) if needs[0] else None  # (36, C, F)

    def run(p):
        m = np.zeros((wino.P, F, C), x.dtype) if needs[1] else None
        for block in _blocks(p, wino.P * (C + F) * per_image * x.itemsize, WINOGRAD_BLOCK_BYTES):
            T = (block.stop - block.start) * per_image
            V = _tile_buffer("wino_v", C, T, x.dtype)
            D = _tile_buffer("wino_m", F, T, x.dtype)
            wino.grad_transform(grad_out[block], D, T, TH, TW)
            if needs[1]:
                wino.input_transform(x[block], V, T, PH, PW, TH, TW)
                m += np.matmul(_matrices(D, F, T), _matrices(V, C, T).transpose(0, 2, 1))
            if needs[0]:  # V's buffer now takes dV = U^T D
                np.matmul(u_t, _matrices(D, F, T), out=_matrices(V, C, T))
                wino.input_transform_adjoint(V, T, dx[block], PH, PW, TH, TW)
        return m
    with single_threaded_blas():
        ms = run_parallel(run, _parts(N, N * F * C * wino.P * per_image, CONV_MIN_MACS_PER_THREAD))
    return wino.filter_gradient(sum(ms[1:], ms[0])) if needs[1] else None


# Extra elements per row of a tile buffer (see kernels/_winograd.py: keeps the rows' strides off
# multiples of 4 KiB).
_TILE_ROW_GAP = 16


def _tile_buffer(role, channels, T, dtype):
    return _workspace.get(role, (wino.P, channels * T + _TILE_ROW_GAP), dtype)


def _matrices(buf, channels, T):
    """The (36, channels, T) view of a tile buffer that the GEMMs take."""
    return buf[:, :channels * T].reshape(wino.P, channels, T)


# ---------------------------------------------------------------------------- wide-row im2col
# For stride 1 the direct convolution's "wide" grid (above) also makes im2col cheap: on the padded
# input's flat plane, tap (kh, kw) reads one contiguous run of Lw = (OH-1)*Wp + OW elements, so a
# column row is N runs of Lw (not N*OH runs of OW: LeNet's second layer copies 10-element rows
# otherwise). The GEMM then also computes the Wp - OW wasted columns per output row, and the output
# gradient enters the GEMMs spread onto the same grid with zeros there.

# Measured fwd+bwd against the row-by-row fill, one thread: B 3.5 vs 3.9 ms, E 51 vs 57 ms, C 86 vs
# 100 ms: the cheaper fill and col2im (B: 0.27 vs 0.49 ms and 0.24 vs 0.90 ms) outweigh the GEMM over
# the wasted columns (B: 0.58 vs 0.46 ms). Strided layers keep the row-by-row fill. The forward pass
# has no col2im to win back, so it takes the wide grid only when it wastes at most this fraction of
# the columns (B wastes 36 %: forward 1.33 vs 1.12 ms; E wastes 8 %: 20.1 vs 20.8 ms).
WIDE_FORWARD_MAX_WASTE = 0.2


def _uses_wide(g, forward=False):
    if not g.SH == g.SW == 1:
        return False
    wide_columns = (g.OH - 1) * (g.W + 2 * g.PW) + g.OW
    return not forward or wide_columns <= (1 + WIDE_FORWARD_MAX_WASTE) * g.OH * g.OW


def _fill_wide_block(x, cols, g, Lw):
    """The wide-grid im2col of one block of samples into cols (C*KH*KW, n*Lw). The block is padded
    into a reused scratch buffer: padding the whole batch at once would grow memory with N past the
    budget."""
    n, C, H, W = x.shape
    xp = pad(x, g.PH, g.PW, out=_workspace.get("xp", (n, C, H + 2 * g.PH, W + 2 * g.PW), x.dtype)
             if g.PH or g.PW else None)
    sN, sC, sH, sW = xp.strides
    patches_wide = as_strided(xp, shape=(C, g.KH, g.KW, n, Lw),
                              strides=(sC, sH * g.DH, sW * g.DW, sN, sW), writeable=False)
    np.copyto(cols.reshape(C, g.KH, g.KW, n, Lw), patches_wide)


def _wide_grid(buf, n, OH, OW, Wp):
    """The (rows, n, OH, OW) view of the valid positions of a (rows, n*Lw) wide-grid buffer."""
    Lw, s = buf.shape[1] // n, buf.itemsize
    return as_strided(buf, shape=(buf.shape[0], n, OH, OW), strides=(buf.strides[0], Lw * s, Wp * s, s))


@_jit
def _col2im_wide(dcols, dxp, KH, KW, DH, DW):
    """dxp = 0, then every wide-grid column row added back onto the padded planes it was read from."""
    N, C, Hp, Wp = dxp.shape
    Lw = dcols.shape[1] // N
    dxp[...] = 0
    for n in range(N):
        for c in range(C):
            plane = dxp[n, c].reshape(-1)
            for kh in range(KH):
                for kw in range(KW):
                    src = dcols[(c * KH + kh) * KW + kw, n * Lw:(n + 1) * Lw]
                    dst = plane[kh * DH * Wp + kw * DW:]
                    for i in range(Lw):
                        dst[i] += src[i]


# ---------------------------------------------------------------------------- conv2d
def _conv_work(g, weight):
    return g.N * g.F * weight.shape[1] * g.KH * g.KW * g.OH * g.OW


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    x, weight = np.ascontiguousarray(x), np.ascontiguousarray(weight)
    y = np.empty((g.N, g.F, g.OH, g.OW), x.dtype)
    b = np.zeros(g.F, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    if _uses_winograd(g):
        _winograd(x, wino.filter_transform(weight), b, y, g.PH, g.PW)
        return y
    if _uses_direct(g, weight):
        xp = pad(x, g.PH, g.PW)

        def direct(p):
            _direct_routines(g)[0](xp[p], weight, b, y[p], g.DH, g.DW, g.G)
        run_parallel(direct, _parts(g.N, _conv_work(g, weight), CONV_MIN_MACS_PER_THREAD))
        return y
    K = weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, g.F // g.G, K)
    rows, L = g.C * g.KH * g.KW, g.OH * g.OW
    bias4 = b.reshape(1, -1, 1, 1)
    wide = _uses_wide(g, forward=True)
    if wide:
        Wp = g.W + 2 * g.PW
        L = (g.OH - 1) * Wp + g.OW

    def gemm(p):
        for block in _blocks(p, rows * L * x.itemsize):
            n = block.stop - block.start
            cols = _workspace.get("cols", (rows, n * L), x.dtype)
            if wide:
                _fill_wide_block(x[block], cols, g, L)
                out = _workspace.get("out", (g.G, g.F // g.G, n * L), x.dtype)
                np.matmul(w, cols.reshape(g.G, K, -1), out=out)
                valid = _wide_grid(out.reshape(g.F, -1), n, g.OH, g.OW, Wp)
                np.add(valid.transpose(1, 0, 2, 3), bias4, out=y[block])
                continue
            _fill_block(x[block], cols, g)
            if n == 1:  # one sample: the GEMM writes its NCHW output in place
                np.matmul(w, cols.reshape(g.G, K, L), out=y[block.start].reshape(g.G, -1, L))
                if bias is not None:
                    y[block] += bias4
            else:
                out = np.matmul(w, cols.reshape(g.G, K, -1)).reshape(g.F, n, g.OH, g.OW)
                np.add(out.transpose(1, 0, 2, 3), bias4, out=y[block])
    with single_threaded_blas():
        run_parallel(gemm, _parts(g.N, _conv_work(g, weight), CONV_MIN_MACS_PER_THREAD))
    return y


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    needs=(True, True, True)):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    x, weight = np.ascontiguousarray(x), np.ascontiguousarray(weight)
    grad_out = np.ascontiguousarray(grad_out)
    db = grad_out.sum(axis=(0, 2, 3)) if needs[2] else None
    dx = np.empty_like(x) if needs[0] else None
    if not (needs[0] or needs[1]):
        return None, None, db
    if _uses_winograd(g):
        return dx, _winograd_backward(grad_out, x, weight, dx, g.PH, g.PW, needs), db
    if _uses_direct(g, weight):
        xp = pad(x, g.PH, g.PW)
        padded = (g.N, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW)
        dxp = (dx if not (g.PH or g.PW) else np.empty(padded, x.dtype)) if needs[0] else None

        def direct(p):
            # dw: one per thread, summed below (threads never share an output)
            dw = np.zeros_like(weight)
            # NOTE: without needs[0] the kernel never writes dxp; xp only stands in for its shape.
            _direct_routines(g)[1](grad_out[p], xp[p], weight, dxp[p] if needs[0] else xp[p], dw,
                                   needs[0], needs[1], g.DH, g.DW, g.G)
            return dw if needs[1] else None
        dws = run_parallel(direct, _parts(g.N, _conv_work(g, weight), CONV_MIN_MACS_PER_THREAD))
        if needs[0] and dxp is not dx:
            dx[...] = dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]
        return dx, (sum(dws[1:], dws[0]) if needs[1] else None), db
    Fg, K = g.F // g.G, weight.shape[1] * g.KH * g.KW
    w_t = weight.reshape(g.G, Fg, K).transpose(0, 2, 1)
    rows, L = g.C * g.KH * g.KW, g.OH * g.OW
    wide = _uses_wide(g)
    if wide:
        Wp = g.W + 2 * g.PW
        L = (g.OH - 1) * Wp + g.OW

    def gemm(p):
        dw = np.zeros((g.G, K, Fg), x.dtype) if needs[1] else None
        for block in _blocks(p, rows * L * x.itemsize):
            n = block.stop - block.start
            if wide:
                dy = _workspace.get("dy", (g.F, n * L), x.dtype)
                dy[...] = 0
                np.copyto(_wide_grid(dy, n, g.OH, g.OW, Wp), grad_out[block].transpose(1, 0, 2, 3))
                dy = dy.reshape(g.G, Fg, -1)
            else:
                dy = grad_out[block].reshape(n, g.G, Fg, L)
                dy = dy[0] if n == 1 else np.ascontiguousarray(dy.transpose(1, 2, 0, 3)).reshape(g.G, Fg, n * L)
            if needs[1]:
                cols = _workspace.get("cols", (rows, n * L), x.dtype)
                if wide:
                    _fill_wide_block(x[block], cols, g, L)
                else:
                    _fill_block(x[block], cols, g)
                # cols @ dy^T beats dy @ cols^T: the long axis stays the contiguous one.
                dw += np.matmul(cols.reshape(g.G, K, -1), dy.transpose(0, 2, 1))
            if needs[0]:
                dcols = _workspace.get("dcols", (g.G, K, n * L), x.dtype)
                np.matmul(w_t, dy, out=dcols)
                if wide and not (g.PH or g.PW):
                    _col2im_wide(dcols.reshape(rows, -1), dx[block], g.KH, g.KW, g.DH, g.DW)
                elif wide:
                    dxp = _workspace.get("dxp", (n, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW), x.dtype)
                    _col2im_wide(dcols.reshape(rows, -1), dxp, g.KH, g.KW, g.DH, g.DW)
                    dx[block] = dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]
                else:
                    _col2im_add(dcols.reshape(rows, -1), dx[block], *_fill_args(g))
        return dw
    with single_threaded_blas():
        dws = run_parallel(gemm, _parts(g.N, _conv_work(g, weight), CONV_MIN_MACS_PER_THREAD))
    dw = None
    if needs[1]:
        dw = np.ascontiguousarray(sum(dws[1:], dws[0]).transpose(0, 2, 1)).reshape(weight.shape)
    return dx, dw, db


# ---------------------------------------------------------------------------- pooling
@_jit
def _max_pool_forward(x, y, idx, KH, KW, SH, SW, PH, PW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for job in range(N * C):
        n, c = job // C, job % C
        plane = x[n, c]
        for oh in range(OH):
            h0 = oh * SH - PH
            hs, he = max(h0, 0), min(h0 + KH, H)
            for ow in range(OW):
                w0 = ow * SW - PW
                ws, we = max(w0, 0), min(w0 + KW, W)
                best = -np.inf
                best_i = hs * W + ws
                for h in range(hs, he):
                    for w in range(ws, we):
                        v = plane[h, w]
                        # NOTE: `v != v` is the NaN test; NaN wins and the last NaN's index is kept.
                        if v > best or v != v:
                            best = v
                            best_i = h * W + w
                y[n, c, oh, ow] = best
                idx[n, c, oh, ow] = best_i


@_jit
def _max_pool_backward(dy, idx, dx):
    N, C = dy.shape[0], dy.shape[1]
    for job in range(N * C):
        n, c = job // C, job % C
        plane = dx[n, c].reshape(-1)  # dx is contiguous: a view
        plane[:] = 0
        g, i = dy[n, c].reshape(-1), idx[n, c].reshape(-1)
        for j in range(g.size):
            plane[i[j]] += g[j]


@_jit
def _avg_pool_forward(x, y, KH, KW, SH, SW, PH, PW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    scale = 1.0 / (KH * KW)
    for job in range(N * C):
        n, c = job // C, job % C
        plane = x[n, c]
        for oh in range(OH):
            h0 = oh * SH - PH
            for ow in range(OW):
                w0 = ow * SW - PW
                acc = 0.0
                for h in range(max(h0, 0), min(h0 + KH, H)):
                    for w in range(max(w0, 0), min(w0 + KW, W)):
                        acc += plane[h, w]
                y[n, c, oh, ow] = acc * scale


@_jit
def _avg_pool_backward(dy, dx, KH, KW, SH, SW, PH, PW):
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    scale = 1.0 / (KH * KW)
    for job in range(N * C):
        n, c = job // C, job % C
        plane = dx[n, c]
        plane[:, :] = 0
        for oh in range(OH):
            h0 = oh * SH - PH
            for ow in range(OW):
                w0 = ow * SW - PW
                share = dy[n, c, oh, ow] * scale
                for h in range(max(h0, 0), min(h0 + KH, H)):
                    for w in range(max(w0, 0), min(w0 + KW, W)):
                        plane[h, w] += share


# Unpadded pooling (the common case) needs no bounds per window. Average pooling loops over taps
# outside and output columns inside, so each inner loop runs along a whole output row, which LLVM
# vectorizes; max pooling keeps the running maximum in a register per output instead (measured
# faster than a vectorized select over two row arrays).
@_jit
def _max_pool_forward_unpadded(x, y, idx, KH, KW, SH, SW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for oh in range(OH):
                h0 = oh * SH
                for ow in range(OW):
                    w0 = ow * SW
                    best, best_i = plane[h0, w0], h0 * W + w0
                    for kh in range(KH):
                        row = plane[h0 + kh]
                        for kw in range(KW):
                            v = row[w0 + kw]
                            if v > best or v != v:  # same rule as _max_pool_forward
                                best, best_i = v, (h0 + kh) * W + w0 + kw
                    y[n, c, oh, ow] = best
                    idx[n, c, oh, ow] = best_i


@_jit
def _max_pool_forward_2x2(x, y, idx):
    """_max_pool_forward_unpadded for 2x2 windows at stride 2, the usual case, with the rule written
    as selects over the window's four values: LLVM vectorizes it (LeNet's first pooling 0.55 -> 0.18 ms)."""
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for n in range(N):
        for c in range(C):
            for oh in range(OH):
                top, bottom = x[n, c, 2 * oh], x[n, c, 2 * oh + 1]
                out, where, base = y[n, c, oh], idx[n, c, oh], 2 * oh * W
                for ow in range(OW):
                    best, off = top[2 * ow], 0
                    v = top[2 * ow + 1]
                    take = (v > best) | (v != v)
                    best, off = (v, 1) if take else (best, off)
                    v = bottom[2 * ow]
                    take = (v > best) | (v != v)
                    best, off = (v, W) if take else (best, off)
                    v = bottom[2 * ow + 1]
                    take = (v > best) | (v != v)
                    best, off = (v, W + 1) if take else (best, off)
                    out[ow] = best
                    where[ow] = base + 2 * ow + off


@_jit
def _avg_pool_forward_unpadded(x, y, KH, KW, SH, SW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    scale = 1.0 / (KH * KW)
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for oh in range(OH):
                out = y[n, c, oh]
                out[:] = 0
                for kh in range(KH):
                    row = plane[oh * SH + kh]
                    for kw in range(KW):
                        for ow in range(OW):
                            out[ow] += row[ow * SW + kw]
                for ow in range(OW):
                    out[ow] *= scale


@_jit
def _avg_pool_backward_unpadded(dy, dx, KH, KW, SH, SW):
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    scale = 1.0 / (KH * KW)
    tiled = SH == KH and SW == KW  # windows tile the input: every covered pixel is written once
    if not tiled:
        dx[...] = 0
    for n in range(N):
        for c in range(C):
            plane = dx[n, c]
            if tiled:  # only the uncovered bottom rows and right columns need zeros
                plane[OH * SH:, :] = 0
                plane[:OH * SH, OW * SW:] = 0
            for oh in range(OH):
                g = dy[n, c, oh]
                for kh in range(KH):
                    row = plane[oh * SH + kh]
                    for kw in range(KW):
                        if tiled:
                            for ow in range(OW):
                                row[ow * SW + kw] = g[ow] * scale
                        else:
                            for ow in range(OW):
                                row[ow * SW + kw] += g[ow] * scale


def _pool_args(g):
    return g.KH, g.KW, g.SH, g.SW, g.PH, g.PW


def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    g = pool_geometry(x.shape, kernel_size, stride, padding)
    x = np.ascontiguousarray(x)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    idx = np.empty(y.shape, np.int64)
    if g.PH or g.PW:
        run_parallel(lambda p: _max_pool_forward(x[p], y[p], idx[p], *_pool_args(g)), _parts(g.N, x.size, POOL_MIN_ELEMENTS_PER_THREAD))
    elif g.KH == g.KW == g.SH == g.SW == 2:
        run_parallel(lambda p: _max_pool_forward_2x2(x[p], y[p], idx[p]), _parts(g.N, x.size, POOL_MIN_ELEMENTS_PER_THREAD))
    else:
        run_parallel(lambda p: _max_pool_forward_unpadded(x[p], y[p], idx[p], g.KH, g.KW, g.SH, g.SW), _parts(g.N, x.size, POOL_MIN_ELEMENTS_PER_THREAD))
    return y, idx


def max_pool2d_backward(grad_out, indices, x_shape):
    grad_out, indices = np.ascontiguousarray(grad_out), np.ascontiguousarray(indices)
    dx = np.empty(x_shape, grad_out.dtype)
    run_parallel(lambda p: _max_pool_backward(grad_out[p], indices[p], dx[p]), _parts(x_shape[0], dx.size, POOL_MIN_ELEMENTS_PER_THREAD))
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0):
    g = pool_geometry(x.shape, kernel_size, stride, padding)
    x = np.ascontiguousarray(x)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    if g.PH or g.PW:
        run_parallel(lambda p: _avg_pool_forward(x[p], y[p], *_pool_args(g)), _parts(g.N, x.size, POOL_MIN_ELEMENTS_PER_THREAD))
    else:
        run_parallel(lambda p: _avg_pool_forward_unpadded(x[p], y[p], g.KH, g.KW, g.SH, g.SW), _parts(g.N, x.size, POOL_MIN_ELEMENTS_PER_THREAD))
    return y


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None, padding=0):
    g = pool_geometry(x_shape, kernel_size, stride, padding)
    grad_out = np.ascontiguousarray(grad_out)
    dx = np.empty(x_shape, grad_out.dtype)
    if g.PH or g.PW:
        run_parallel(lambda p: _avg_pool_backward(grad_out[p], dx[p], *_pool_args(g)), _parts(g.N, dx.size, POOL_MIN_ELEMENTS_PER_THREAD))
    else:
        run_parallel(lambda p: _avg_pool_backward_unpadded(grad_out[p], dx[p], g.KH, g.KW, g.SH, g.SW), _parts(g.N, dx.size, POOL_MIN_ELEMENTS_PER_THREAD))
    return dx
