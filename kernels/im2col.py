"""The ``numpy`` implementation: im2col through stride tricks, one GEMM, col2im by slice-adds.

Columns are laid out (C*KH*KW, N*OH*OW) so that each copy's innermost axis (OW) is contiguous;
measured, this halves the time of the (N*OH*OW, C*KH*KW) layout. col2im adds KH*KW strided
slices (np.add.at would be slower than the reference loops). Pooling walks the KH*KW window
offsets as strided slices of the whole batch. Shapes use the notation of kernels/_common.py.
"""
import numpy as np

from kernels._common import (avg_divisors, batch_chunks, conv_geometry, first_valid_offset, pad, pair, patches,
                             pool_geometry, pool_pad_extent)
# Adaptive pooling loops over the output's bins, each vectorized over the batch and channels: the
# reference loops already are that.
from kernels.reference import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward,  # noqa: F401
                               adaptive_max_pool2d_forward, batch_norm_backward, batch_norm_forward, relu,
                               relu_backward)

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
           "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_max_pool2d_forward",
           "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward", "relu", "relu_backward",
           "batch_norm_forward", "batch_norm_backward"]


def _geometry(shape, kernel_size, stride, padding, dilation):
    KH, KW = pair(kernel_size, "kernel_size")
    return conv_geometry(shape, (1, shape[1], KH, KW), stride, padding, dilation, 1)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x.shape, kernel_size, stride, padding, dilation)
    cols = np.empty((g.C * g.KH * g.KW, g.N * g.OH * g.OW), x.dtype)
    np.copyto(cols.reshape(g.C, g.KH, g.KW, g.N, g.OH, g.OW), patches(x, g))
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x_shape, kernel_size, stride, padding, dilation)
    # Channel-major accumulator, so every slice-add lines up with a (C, N, OH, OW) block of cols.
    acc = np.zeros((g.C, g.N, g.H + 2 * g.PH, g.W + 2 * g.PW), cols.dtype)
    blocks = cols.reshape(g.C, g.KH, g.KW, g.N, g.OH, g.OW)
    for kh in range(g.KH):
        rows = slice(kh * g.DH, kh * g.DH + g.SH * (g.OH - 1) + 1, g.SH)
        for kw in range(g.KW):
            columns = slice(kw * g.DW, kw * g.DW + g.SW * (g.OW - 1) + 1, g.SW)
            acc[:, :, rows, columns] += blocks[:, kh, kw]
    return np.ascontiguousarray(acc[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W].transpose(1, 0, 2, 3))


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    K = weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, g.F // g.G, K)
    y = np.empty((g.N, g.F, g.OH, g.OW), x.dtype)
    for part in batch_chunks(g.N, g.C * g.KH * g.KW * g.OH * g.OW * x.itemsize):
        cols = im2col(x[part], (g.KH, g.KW), stride, padding, dilation)
        out = np.matmul(w, cols.reshape(g.G, K, -1))  # (G, F/G, n*OH*OW): one GEMM per group
        y[part] = out.reshape(g.F, -1, g.OH, g.OW).transpose(1, 0, 2, 3)
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    needs=(True, True, True)):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    Fg, K = g.F // g.G, weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, Fg, K)
    dx = np.empty_like(x) if needs[0] else None
    dw = np.zeros((g.G, Fg, K), weight.dtype) if needs[1] else None
    if needs[0] or needs[1]:
        for part in batch_chunks(g.N, g.C * g.KH * g.KW * g.OH * g.OW * x.itemsize):
            dy = grad_out[part].transpose(1, 0, 2, 3).reshape(g.G, Fg, -1)
            if needs[1]:
                cols = im2col(x[part], (g.KH, g.KW), stride, padding, dilation).reshape(g.G, K, -1)
                # cols @ dy^T beats dy @ cols^T here (the long L axis is the contiguous one in both).
                dw += np.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1)
            if needs[0]:
                dcols = np.matmul(w.transpose(0, 2, 1), dy)  # (G, K, n*OH*OW)
                dx[part] = col2im(dcols.reshape(g.G * K, -1), x[part].shape, (g.KH, g.KW),
                                  stride, padding, dilation)
    db = grad_out.sum(axis=(0, 2, 3)) if needs[2] else None
    return dx, (dw.reshape(weight.shape) if needs[1] else None), db


def _window_slices(g):
    """(kh, kw, view-slices into the padded input) for each window tap, in row-major order."""
    for kh in range(g.KH):
        h0 = kh * g.DH
        rows = slice(h0, h0 + g.SH * (g.OH - 1) + 1, g.SH)
        for kw in range(g.KW):
            w0 = kw * g.DW
            yield kh, kw, (slice(None), slice(None), rows, slice(w0, w0 + g.SW * (g.OW - 1) + 1, g.SW))


def _pool_pad(x, g, value):
    """x padded by PH, PW before and as far as the last window reaches after (ceil_mode)."""
    bottom, right = pool_pad_extent(g)
    N, C, H, W = x.shape
    out = np.full((N, C, g.PH + H + bottom, g.PW + W + right), value, x.dtype)
    out[:, :, g.PH:g.PH + H, g.PW:g.PW + W] = x
    return out


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(y, indices) with torch's CPU rule: first maximum in row-major window order, NaN wins (last
    NaN), an all -inf window reports its first in-bounds element."""
    g = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = _pool_pad(x, g, low)
    kh0 = first_valid_offset(g.OH, g.SH, g.PH, g.DH)
    kw0 = first_valid_offset(g.OW, g.SW, g.PW, g.DW)
    best = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    # a window with no tap in the input has its first tap past its last: start it at a padding tap
    rows = np.arange(g.OH) * g.SH + np.minimum(kh0, g.KH - 1) * g.DH
    best[...] = xp[:, :, rows[:, None], (np.arange(g.OW) * g.SW + np.minimum(kw0, g.KW - 1) * g.DW)[None, :]]
    offset = np.empty(best.shape, np.int32)  # winning window tap kh * KW + kw
    offset[...] = kh0[:, None] * g.KW + kw0[None, :]
    take = np.empty(best.shape, bool)
    for kh, kw, view in _window_slices(g):
        v = xp[view]
        np.greater(v, best, out=take)
        if x.dtype.kind == "f":
            take |= np.isnan(v)  # padding is -inf, so it never wins a strict comparison
        np.copyto(best, v, where=take)
        np.copyto(offset, kh * g.KW + kw, where=take)
    h = (np.arange(g.OH) * g.SH - g.PH)[:, None] + (offset // g.KW) * g.DH
    w = (np.arange(g.OW) * g.SW - g.PW)[None, :] + (offset % g.KW) * g.DW
    return best, (h * g.W + w).astype(np.int64)


def max_pool2d_backward(grad_out, indices, x_shape):
    N, C, H, W = x_shape
    local = indices.reshape(N * C, indices.shape[2] * indices.shape[3])
    flat = local + (np.arange(N * C, dtype=np.int64) * (H * W))[:, None]
    weights = grad_out.reshape(local.shape)
    inside = local < H * W  # a window of padding only reports an index past the plane
    if not inside.all():
        flat, weights = flat[inside], weights[inside]
    # bincount sums repeated indices (overlapping windows) in one vectorized pass.
    dx = np.bincount(flat.ravel(), weights=weights.ravel(), minlength=N * C * H * W)
    return dx.astype(grad_out.dtype, copy=False).reshape(x_shape)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    g = pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    xp = _pool_pad(x, g, 0)
    y = np.zeros((g.N, g.C, g.OH, g.OW), x.dtype)
    for _, _, view in _window_slices(g):
        y += xp[view]
    y /= avg_divisors(g, count_include_pad, divisor_override).astype(x.dtype)
    return y


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    g = pool_geometry(x_shape, kernel_size, stride, padding, 1, ceil_mode)
    bottom, right = pool_pad_extent(g)
    dxp = np.zeros((g.N, g.C, g.PH + g.H + bottom, g.PW + g.W + right), grad_out.dtype)
    share = grad_out / avg_divisors(g, count_include_pad, divisor_override).astype(grad_out.dtype)
    for _, _, view in _window_slices(g):
        dxp[view] += share
    return np.ascontiguousarray(dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W])
