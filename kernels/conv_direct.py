"""The direct convolution route of the numba implementation: stride 1, small K = C/G*KH*KW (LeNet's
layers, the MNIST CNN's first), where K is too short to feed a GEMM well.

Each kernel row (c, kh) is one long contiguous loop over a padded-width ("wide") plane, four
filters or channels at a time, bias fused; dW is accumulated per thread and the threads' partial
sums added at the end (threads never share an output). Exact for non-finite inputs in the forward
pass; the backward's zero-spread gradient meets an inf of the input in a wasted column, so
kernels/routes.py sends non-finite backward passes to the row-by-row im2col route.
"""
import numpy as np
from numba import njit

from kernels._common import pad
from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work, parts, reduce_sum
from kernels._threads import run_parallel

__all__ = ["scratch_bytes", "forward", "backward"]

_jit = njit(cache=True, nogil=True, fastmath={"contract"})
# Reassociation lets LLVM vectorize the dW dot products; the result differs from the reference
# only in summation order.
_jit_reassoc = njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
# Helpers called once per kernel row inside the loops: inlined into the caller (as separate
# functions, calls cost LeNet's second layer forward twice the time).
_jit_inline = njit(cache=True, nogil=True, inline="always")


# ---------------------------------------------------------------------------- direct convolution
# Stride-1 convolution on the padded input, computed on a "wide" grid whose rows are as long as the
# padded input's (Wp): output (oh, ow) sits at flat position oh*Wp + ow, and tap (kh, kw) reads the
# input plane's flat position shifted by kh*DH*Wp + kw*DW. Each kernel row (c, kh) is then one long
# contiguous loop over (OH-1)*Wp + OW elements, which LLVM vectorizes; the Wp - OW wasted columns
# per row are the price.
#
# The routines work on blocks of four filters (forward, dW) or four input channels (dx): the four
# share every load of the row they read (LeNet's second layer forward ran 2.4x faster than one
# filter at a time). A group's last one to three go one at a time (forward, dx) or padded to
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
    vectorized the written-out loops."""

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
            # Between samples the taps read zeros and add nothing (longer loops: LeNet's second layer dx 1.4x faster).
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
            # second layer dW took twice as long); chunks of about DOT_CHUNK elements keep gw in cache.
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


def _direct_routines(g):
    """(forward, backward) of the direct convolution for this geometry's kernel rows."""
    return _DIRECT[g.KW if g.KW in (3, 5) and g.DW == 1 else 0]

def scratch_bytes(g, itemsize):
    """Scratch one sample takes in the backward pass: its output gradient spread over two padded
    planes per filter (dx and dW) and four accumulator planes."""
    return (2 * g.F + 5) * (g.H + 2 * g.PH) * (g.W + 2 * g.PW) * itemsize


def forward(x, weight, b, y, g):
    xp = pad(x, g.PH, g.PW)

    def direct(p):
        _direct_routines(g)[0](xp[p], weight, b, y[p], g.DH, g.DW, g.G)
    run_parallel(direct, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))


def backward(grad_out, x, weight, g, needs):
    dx = np.empty_like(x) if needs[0] else None
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
    dws = run_parallel(direct, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))
    if needs[0] and dxp is not dx:
        dx[...] = dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]
    return dx, (reduce_sum(dws) if needs[1] else None)
