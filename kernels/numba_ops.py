"""The ``numba`` implementation: @njit(cache=True) routines, parallel over the batch.

- im2col/col2im fills that read and write whole output rows through slice views (LLVM vectorizes
  those; a signed offset index such as ``row[ow + d]`` stopped it and halved the speed), then one
  NumPy GEMM, as in the numpy implementation.
- A direct convolution where K = C/G*KH*KW is too small to feed a GEMM well (LeNet's layers):
  forward and backward loop over taps with long contiguous inner loops, bias fused, and dW
  accumulated per sample, then reduced, so threads never share an output.
- Pooling with the argmax taken in the window loop.

Every routine also runs as plain Python under NUMBA_DISABLE_JIT=1 (the tests compare the two).
Shapes use the notation of kernels/_common.py.
"""
import numpy as np
from numba import njit, prange

from kernels._common import batch_chunks, conv_geometry, pad, pair, pool_geometry

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
           "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "DIRECT_MAX_K"]

# Direct convolution when K = C/G*KH*KW is at most this (chosen from benchmarks/profile_conv.py).
DIRECT_MAX_K = 160

_jit = njit(cache=True, nogil=True)
_pjit = njit(cache=True, nogil=True, parallel=True)
# Reassociation lets LLVM vectorize the dW dot products; the result differs from the reference
# only in summation order.
_pjit_reassoc = njit(cache=True, nogil=True, parallel=True, fastmath={"reassoc", "contract", "nsz"})


@_jit
def _valid_range(out_size, in_size, stride, pad_, offset):
    """Output positions o with 0 <= o*stride - pad + offset < in_size, as [lo, hi)."""
    first = pad_ - offset  # o*stride >= first
    lo = 0 if first <= 0 else (first + stride - 1) // stride
    last = in_size + pad_ - offset  # o*stride < last
    hi = 0 if last <= 0 else (last + stride - 1) // stride
    hi = min(hi, out_size)
    return lo, max(lo, hi)


# ---------------------------------------------------------------------------- im2col / col2im
@_pjit
def _im2col_fill(x, cols, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    N, C, H, W = x.shape
    rows = C * KH * KW
    for job in prange(rows * N):
        r, n = job // N, job % N
        c, kh, kw = r // (KH * KW), (r // KW) % KH, r % KW
        lo, hi = _valid_range(OW, W, SW, PW, kw * DW)
        iw0 = lo * SW - PW + kw * DW
        base = n * OH * OW
        for oh in range(OH):
            dst = cols[r, base + oh * OW: base + (oh + 1) * OW]
            ih = oh * SH - PH + kh * DH
            if ih < 0 or ih >= H:
                dst[:] = 0
                continue
            dst[:lo] = 0
            dst[hi:] = 0
            if hi > lo:
                src = x[n, c, ih, iw0: iw0 + (hi - lo - 1) * SW + 1: SW]
                inner = dst[lo:hi]
                for i in range(hi - lo):
                    inner[i] = src[i]


@_pjit
def _col2im_add(cols, dx, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    N, C, H, W = dx.shape
    for job in prange(N * C):
        n, c = job // C, job % C
        plane = dx[n, c]
        plane[:, :] = 0
        base = n * OH * OW
        for kh in range(KH):
            for kw in range(KW):
                r = (c * KH + kh) * KW + kw
                lo, hi = _valid_range(OW, W, SW, PW, kw * DW)
                if hi <= lo:
                    continue
                iw0 = lo * SW - PW + kw * DW
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    if ih < 0 or ih >= H:
                        continue
                    src = cols[r, base + oh * OW + lo: base + oh * OW + hi]
                    dst = plane[ih, iw0: iw0 + (hi - lo - 1) * SW + 1: SW]
                    for i in range(hi - lo):
                        dst[i] += src[i]


def _geometry(shape, kernel_size, stride, padding, dilation):
    KH, KW = pair(kernel_size, "kernel_size")
    return conv_geometry(shape, (1, shape[1], KH, KW), stride, padding, dilation, 1)


def _fill_args(g):
    return g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.OH, g.OW


def im2col(x, kernel_size, stride=1, padding=0, dilation=1, out=None):
    g = _geometry(x.shape, kernel_size, stride, padding, dilation)
    shape = (g.C * g.KH * g.KW, g.N * g.OH * g.OW)
    cols = np.empty(shape, x.dtype) if out is None else out.reshape(shape)
    _im2col_fill(np.ascontiguousarray(x), cols, *_fill_args(g))
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x_shape, kernel_size, stride, padding, dilation)
    dx = np.empty(x_shape, cols.dtype)
    _col2im_add(np.ascontiguousarray(cols), dx, *_fill_args(g))
    return dx


class _Workspace:
    """One reusable scratch buffer per role: fresh allocations over ~32 MB page-fault on every
    call (about 7 ms per 75 MB here). Contents never outlive the call that fills them."""

    def __init__(self):
        self.buffers = {}

    def get(self, role, size, dtype):
        buf = self.buffers.get((role, dtype))
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype)
            self.buffers[(role, dtype)] = buf
        return buf[:size]


_workspace = _Workspace()


# ---------------------------------------------------------------------------- direct convolution
@_pjit
def _direct_forward(xp, w, b, y, SH, SW, DH, DW, G):
    N, F, OH, OW = y.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Fg = F // G
    for job in prange(N * F):
        n, f = job // F, job % F
        c0 = (f // Fg) * Cg
        out = y[n, f]
        out[:, :] = b[f]
        for c in range(Cg):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    for oh in range(OH):
                        src = xp[n, c0 + c, oh * SH + kh * DH, kw * DW: kw * DW + (OW - 1) * SW + 1: SW]
                        dst = out[oh]
                        for ow in range(OW):
                            dst[ow] += wv * src[ow]


@_pjit
def _direct_backward_input(dy, w, dxp, SH, SW, DH, DW, G):
    N, F, OH, OW = dy.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    C = dxp.shape[1]
    Fg = F // G
    for job in prange(N * C):
        n, ci = job // C, job % C
        grp, c = ci // Cg, ci % Cg
        plane = dxp[n, ci]
        plane[:, :] = 0
        for f in range(grp * Fg, (grp + 1) * Fg):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    for oh in range(OH):
                        dst = plane[oh * SH + kh * DH, kw * DW: kw * DW + (OW - 1) * SW + 1: SW]
                        src = dy[n, f, oh]
                        for ow in range(OW):
                            dst[ow] += wv * src[ow]


@_pjit_reassoc
def _direct_backward_weight(dy, xp, dw_per_sample, SH, SW, DH, DW, G):
    N, F, OH, OW = dy.shape
    Cg, KH, KW = dw_per_sample.shape[2], dw_per_sample.shape[3], dw_per_sample.shape[4]
    Fg = F // G
    for n in prange(N):
        for f in range(F):
            c0 = (f // Fg) * Cg
            for c in range(Cg):
                for kh in range(KH):
                    for kw in range(KW):
                        acc = 0.0
                        for oh in range(OH):
                            src = xp[n, c0 + c, oh * SH + kh * DH, kw * DW: kw * DW + (OW - 1) * SW + 1: SW]
                            g = dy[n, f, oh]
                            for ow in range(OW):
                                acc += g[ow] * src[ow]
                        dw_per_sample[n, f, c, kh, kw] = acc


def _uses_direct(weight):
    return weight.shape[1] * weight.shape[2] * weight.shape[3] <= DIRECT_MAX_K


# ---------------------------------------------------------------------------- conv2d
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    x = np.ascontiguousarray(x)
    weight = np.ascontiguousarray(weight)
    if _uses_direct(weight):
        y = np.empty((g.N, g.F, g.OH, g.OW), x.dtype)
        b = np.zeros(g.F, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
        _direct_forward(pad(x, g.PH, g.PW), weight, b, y, g.SH, g.SW, g.DH, g.DW, g.G)
        return y
    K = weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, g.F // g.G, K)
    y = np.empty((g.N, g.F, g.OH, g.OW), x.dtype)
    for part in batch_chunks(g.N, g.C * g.KH * g.KW * g.OH * g.OW * x.itemsize):
        n = part.stop - part.start
        cols = _workspace.get("cols", g.C * g.KH * g.KW * n * g.OH * g.OW, x.dtype)
        cols = im2col(x[part], (g.KH, g.KW), stride, padding, dilation, out=cols)
        out = np.matmul(w, cols.reshape(g.G, K, -1))
        y[part] = out.reshape(g.F, n, g.OH, g.OW).transpose(1, 0, 2, 3)
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    needs=(True, True, True)):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    x = np.ascontiguousarray(x)
    weight = np.ascontiguousarray(weight)
    grad_out = np.ascontiguousarray(grad_out)
    db = grad_out.sum(axis=(0, 2, 3)) if needs[2] else None
    dx = dw = None
    if _uses_direct(weight):
        if needs[0]:
            dxp = np.empty((g.N, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW), x.dtype)
            _direct_backward_input(grad_out, weight, dxp, g.SH, g.SW, g.DH, g.DW, g.G)
            dx = np.ascontiguousarray(dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]) if g.PH or g.PW else dxp
        if needs[1]:
            per_sample = np.empty((g.N,) + weight.shape, x.dtype)
            _direct_backward_weight(grad_out, pad(x, g.PH, g.PW), per_sample, g.SH, g.SW, g.DH, g.DW, g.G)
            dw = per_sample.sum(axis=0)
        return dx, dw, db
    Fg, K = g.F // g.G, weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, Fg, K)
    if needs[0]:
        dx = np.empty_like(x)
    if needs[1]:
        dw = np.zeros((g.G, Fg, K), weight.dtype)
    if needs[0] or needs[1]:
        for part in batch_chunks(g.N, g.C * g.KH * g.KW * g.OH * g.OW * x.itemsize):
            n = part.stop - part.start
            dy = grad_out[part].transpose(1, 0, 2, 3).reshape(g.G, Fg, -1)
            size = g.C * g.KH * g.KW * n * g.OH * g.OW
            if needs[1]:
                cols = im2col(x[part], (g.KH, g.KW), stride, padding, dilation,
                              out=_workspace.get("cols", size, x.dtype)).reshape(g.G, K, -1)
                dw += np.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1)
            if needs[0]:
                dcols = _workspace.get("dcols", size, x.dtype).reshape(g.G, K, -1)
                np.matmul(w.transpose(0, 2, 1), dy, out=dcols)
                _col2im_add(dcols.reshape(g.G * K, -1), dx[part], *_fill_args(g))
        if needs[1]:
            dw = dw.reshape(weight.shape)
    return dx, dw, db


# ---------------------------------------------------------------------------- pooling
@_pjit
def _max_pool_forward(x, y, idx, KH, KW, SH, SW, PH, PW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for job in prange(N * C):
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


@_pjit
def _max_pool_backward(dy, idx, dx):
    N, C = dy.shape[0], dy.shape[1]
    for job in prange(N * C):
        n, c = job // C, job % C
        plane = dx[n, c].reshape(-1)  # dx is contiguous: a view
        plane[:] = 0
        g, i = dy[n, c].reshape(-1), idx[n, c].reshape(-1)
        for j in range(g.size):
            plane[i[j]] += g[j]


@_pjit
def _avg_pool_forward(x, y, KH, KW, SH, SW, PH, PW):
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    scale = 1.0 / (KH * KW)
    for job in prange(N * C):
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


@_pjit
def _avg_pool_backward(dy, dx, KH, KW, SH, SW, PH, PW):
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    scale = 1.0 / (KH * KW)
    for job in prange(N * C):
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


def _pool_args(g):
    return g.KH, g.KW, g.SH, g.SW, g.PH, g.PW


def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    g = pool_geometry(x.shape, kernel_size, stride, padding)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    idx = np.empty(y.shape, np.int64)
    _max_pool_forward(np.ascontiguousarray(x), y, idx, *_pool_args(g))
    return y, idx


def max_pool2d_backward(grad_out, indices, x_shape):
    dx = np.empty(x_shape, grad_out.dtype)
    _max_pool_backward(np.ascontiguousarray(grad_out), np.ascontiguousarray(indices), dx)
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0):
    g = pool_geometry(x.shape, kernel_size, stride, padding)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    _avg_pool_forward(np.ascontiguousarray(x), y, *_pool_args(g))
    return y


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None, padding=0):
    g = pool_geometry(x_shape, kernel_size, stride, padding)
    dx = np.empty(x_shape, grad_out.dtype)
    _avg_pool_backward(np.ascontiguousarray(grad_out), dx, *_pool_args(g))
    return dx
