"""Pooling in the numba implementation: every window shape as "bins".

A window is a range of rows [hs, he) taken every DH-th row and a range of columns [ws, we) taken
every DW-th, cut to the input: max pooling's windows (padding, dilation, ceil_mode's partial last
window), average pooling's (with torch's divisor per window, kernels._common.avg_divisors) and
adaptive pooling's bins all have this form, so one loop serves each op and per-axis arrays
describe the windows. The usual cases get loops of their own that LLVM vectorizes: 2x2 stride-2
max pooling and average pooling whose windows lie inside the input.

Work is split over the N*C planes, not only the batch, so a small batch still keeps every thread
busy. Max pooling runs in the input's dtype (integers included); average pooling of float16 runs
in float32 (the caller converts).
"""
import functools

import numpy as np
from numba import njit

from kernels._common import adaptive_bins, adaptive_size, avg_divisors, pool_geometry
from kernels._plan import POOL_MIN_ELEMENTS_PER_THREAD, parts
from kernels._threads import run_parallel

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
           "adaptive_max_pool2d_forward", "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward"]

_jit = njit(cache=True, nogil=True)


@_jit
def _max_bins(x, y, idx, hs, he, ws, we, DH, DW, low):
    """x (P, H, W) planes; y, idx (P, OH, OW). torch's rule: start at the window's first tap, take
    every later one that is greater or NaN (ties keep the first, NaN wins with the last NaN's index).
    A window with no tap inside the input gives ``low`` (-inf) at the index torch reports, which
    lies outside the plane; the backward skips such indices, as torch's does."""
    P, H, W = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in range(P):
        plane = x[p]
        for oh in range(OH):
            for ow in range(OW):
                if hs[oh] >= he[oh] or ws[ow] >= we[ow]:
                    y[p, oh, ow] = low
                    idx[p, oh, ow] = hs[oh] * W + ws[ow]
                    continue
                best, best_i = plane[hs[oh], ws[ow]], hs[oh] * W + ws[ow]
                for h in range(hs[oh], he[oh], DH):
                    for w in range(ws[ow], we[ow], DW):
                        v = plane[h, w]
                        # NOTE: `v != v` is the NaN test (always False for integers).
                        if v > best or v != v:
                            best, best_i = v, h * W + w
                y[p, oh, ow] = best
                idx[p, oh, ow] = best_i


@_jit
def _max_pool_2x2(x, y, idx):
    """_max_bins for 2x2 windows at stride 2 inside the input, the rule written as selects over the
    window's four values: LLVM vectorizes it."""
    P, H, W = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in range(P):
        for oh in range(OH):
            top, bottom = x[p, 2 * oh], x[p, 2 * oh + 1]
            out, where, base = y[p, oh], idx[p, oh], 2 * oh * W
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
def _max_backward(dy, idx, dx):
    P = dy.shape[0]
    for p in range(P):
        plane = dx[p].reshape(-1)  # dx is contiguous: a view
        plane[:] = 0
        g, i = dy[p].reshape(-1), idx[p].reshape(-1)
        for j in range(g.size):
            if 0 <= i[j] < plane.size:  # a window of padding only reports an index past the plane
                plane[i[j]] += g[j]


@_jit
def _avg_bins(x, y, hs, he, ws, we, div):
    P = x.shape[0]
    OH, OW = y.shape[1], y.shape[2]
    for p in range(P):
        plane = x[p]
        for oh in range(OH):
            for ow in range(OW):
                acc = 0.0
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        acc += plane[h, w]
                y[p, oh, ow] = acc / div[oh, ow]


@_jit
def _avg_bins_backward(dy, dx, hs, he, ws, we, div):
    P = dy.shape[0]
    OH, OW = dy.shape[1], dy.shape[2]
    for p in range(P):
        plane = dx[p]
        plane[:, :] = 0
        for oh in range(OH):
            for ow in range(OW):
                share = dy[p, oh, ow] / div[oh, ow]
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        plane[h, w] += share


# Windows inside the input, one divisor for all: taps outside, output columns inside, so each inner
# loop runs along a whole output row, which LLVM vectorizes.
@_jit
def _avg_inside(x, y, KH, KW, SH, SW, scale):
    P = x.shape[0]
    OH, OW = y.shape[1], y.shape[2]
    for p in range(P):
        plane = x[p]
        for oh in range(OH):
            out = y[p, oh]
            out[:] = 0
            for kh in range(KH):
                row = plane[oh * SH + kh]
                for kw in range(KW):
                    for ow in range(OW):
                        out[ow] += row[ow * SW + kw]
            for ow in range(OW):
                out[ow] *= scale


@_jit
def _avg_inside_backward(dy, dx, KH, KW, SH, SW, scale):
    P, H, W = dx.shape
    OH, OW = dy.shape[1], dy.shape[2]
    tiled = SH == KH and SW == KW  # windows tile the input: every covered pixel is written once
    if not tiled:
        dx[...] = 0
    for p in range(P):
        plane = dx[p]
        if tiled:  # only the uncovered bottom rows and right columns need zeros
            plane[OH * SH:, :] = 0
            plane[:OH * SH, OW * SW:] = 0
        for oh in range(OH):
            g = dy[p, oh]
            for kh in range(KH):
                row = plane[oh * SH + kh]
                for kw in range(KW):
                    if tiled:
                        for ow in range(OW):
                            row[ow * SW + kw] = g[ow] * scale
                    else:
                        for ow in range(OW):
                            row[ow * SW + kw] += g[ow] * scale


def _float16_in_float32(fn):
    """The jitted loops have no float16: such arrays go through in float32 (which holds every
    float16 exactly) and the results come back in float16."""
    @functools.wraps(fn)
    def wrapper(a, *args, **kwargs):
        if a.dtype != np.float16:
            return fn(a, *args, **kwargs)
        out = fn(a.astype(np.float32), *args, **kwargs)
        if isinstance(out, tuple):  # (values, indices)
            return (out[0].astype(np.float16),) + out[1:]
        return out.astype(np.float16)
    return wrapper


def _windows(out, size, k, s, p, d):
    """(first tap, end) per output along one axis: the window's taps cut to [0, size)."""
    start = np.arange(out) * s - p
    first = start + (-(-np.maximum(-start, 0) // d)) * d
    return first.astype(np.int64), np.minimum(start + d * (k - 1) + 1, size).astype(np.int64)


def _inside(g):
    """The windows lie inside the input (no padding reached, no partial last window)."""
    return (g.PH == g.PW == 0 and (g.OH - 1) * g.SH + g.DH * (g.KH - 1) < g.H
            and (g.OW - 1) * g.SW + g.DW * (g.KW - 1) < g.W)


def _planes(a):
    N, C, H, W = a.shape
    return a.reshape(N * C, H, W)


def _over_planes(fn, *arrays):
    """fn(*slices) over the N*C planes of the (P, ...) arrays, split over the threads."""
    P = arrays[0].shape[0]
    size = max(a.size for a in arrays)
    run_parallel(lambda s: fn(*(a[s] for a in arrays)), parts(P, size, POOL_MIN_ELEMENTS_PER_THREAD))


@_float16_in_float32
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    g = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    x = np.ascontiguousarray(x)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    idx = np.empty(y.shape, np.int64)
    if y.size == 0:
        return y, idx
    if _inside(g) and g.KH == g.KW == g.SH == g.SW == 2 and g.DH == g.DW == 1:
        _over_planes(_max_pool_2x2, _planes(x), _planes(y), _planes(idx))
        return y, idx
    hs, he = _windows(g.OH, g.H, g.KH, g.SH, g.PH, g.DH)
    ws, we = _windows(g.OW, g.W, g.KW, g.SW, g.PW, g.DW)
    low = x.dtype.type(-np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    _over_planes(lambda a, b, c: _max_bins(a, b, c, hs, he, ws, we, g.DH, g.DW, low), _planes(x), _planes(y),
                 _planes(idx))
    return y, idx


@_float16_in_float32
def max_pool2d_backward(grad_out, indices, x_shape):
    grad_out, indices = np.ascontiguousarray(grad_out), np.ascontiguousarray(indices)
    dx = np.empty(x_shape, grad_out.dtype)
    if dx.size:
        _over_planes(_max_backward, _planes(grad_out), _planes(indices), _planes(dx))
    return dx


@_float16_in_float32
def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    g = pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    x = np.ascontiguousarray(x)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    if y.size == 0:
        return y
    if _inside(g):
        scale = 1.0 / (g.KH * g.KW if divisor_override is None else divisor_override)
        _over_planes(lambda a, b: _avg_inside(a, b, g.KH, g.KW, g.SH, g.SW, scale), _planes(x), _planes(y))
        return y
    hs, he = _windows(g.OH, g.H, g.KH, g.SH, g.PH, 1)
    ws, we = _windows(g.OW, g.W, g.KW, g.SW, g.PW, 1)
    div = avg_divisors(g, count_include_pad, divisor_override)
    _over_planes(lambda a, b: _avg_bins(a, b, hs, he, ws, we, div), _planes(x), _planes(y))
    return y


@_float16_in_float32
def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    g = pool_geometry(x_shape, kernel_size, stride, padding, 1, ceil_mode)
    grad_out = np.ascontiguousarray(grad_out)
    dx = np.empty(x_shape, grad_out.dtype)
    if dx.size == 0:
        return dx
    if _inside(g):
        scale = 1.0 / (g.KH * g.KW if divisor_override is None else divisor_override)
        _over_planes(lambda a, b: _avg_inside_backward(a, b, g.KH, g.KW, g.SH, g.SW, scale),
                     _planes(grad_out), _planes(dx))
        return dx
    hs, he = _windows(g.OH, g.H, g.KH, g.SH, g.PH, 1)
    ws, we = _windows(g.OW, g.W, g.KW, g.SW, g.PW, 1)
    div = avg_divisors(g, count_include_pad, divisor_override)
    _over_planes(lambda a, b: _avg_bins_backward(a, b, hs, he, ws, we, div), _planes(grad_out), _planes(dx))
    return dx


def _adaptive(x_shape, output_size):
    OH, OW = adaptive_size(x_shape, output_size)
    hs, he = adaptive_bins(x_shape[-2], OH)
    ws, we = adaptive_bins(x_shape[-1], OW)
    div = np.outer(he - hs, we - ws).astype(np.float64)
    return OH, OW, hs.astype(np.int64), he.astype(np.int64), ws.astype(np.int64), we.astype(np.int64), div


@_float16_in_float32
def adaptive_max_pool2d_forward(x, output_size):
    """(y, indices) over torch's adaptive bins; the backward is max_pool2d_backward."""
    OH, OW, hs, he, ws, we, _ = _adaptive(x.shape, output_size)
    x = np.ascontiguousarray(x)
    y = np.empty(x.shape[:2] + (OH, OW), x.dtype)
    idx = np.empty(y.shape, np.int64)
    if y.size:
        low = x.dtype.type(-np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
        _over_planes(lambda a, b, c: _max_bins(a, b, c, hs, he, ws, we, 1, 1, low), _planes(x), _planes(y),
                     _planes(idx))
    return y, idx


@_float16_in_float32
def adaptive_avg_pool2d_forward(x, output_size):
    OH, OW, hs, he, ws, we, div = _adaptive(x.shape, output_size)
    x = np.ascontiguousarray(x)
    y = np.empty(x.shape[:2] + (OH, OW), x.dtype)
    if y.size:
        _over_planes(lambda a, b: _avg_bins(a, b, hs, he, ws, we, div), _planes(x), _planes(y))
    return y


@_float16_in_float32
def adaptive_avg_pool2d_backward(grad_out, x_shape, output_size):
    OH, OW, hs, he, ws, we, div = _adaptive(x_shape, output_size)
    grad_out = np.ascontiguousarray(grad_out)
    dx = np.empty(x_shape, grad_out.dtype)
    if dx.size:
        _over_planes(lambda a, b: _avg_bins_backward(a, b, hs, he, ws, we, div), _planes(grad_out), _planes(dx))
    return dx
