"""The per-pixel loops of the original report, made correct: the oracle, never the default.

Convolution is one tensordot per output pixel (and group); pooling is one loop over output
pixels. Every other implementation is tested against these. Slow is fine; clear is the point.
Shapes use the notation of kernels/_common.py.
"""
import numpy as np

from kernels._common import adaptive_bins, adaptive_size, avg_divisors, conv_geometry, pad, pair, pool_geometry

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
           "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_max_pool2d_forward",
           "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward", "relu", "relu_backward",
           "batch_norm_forward", "batch_norm_backward"]


def relu(x):
    """max(x, 0) as torch: NaN stays NaN, -0.0 stays -0.0, negatives become 0."""
    return np.where(x < 0, x.dtype.type(0), x)


def relu_backward(grad, y):
    """grad where relu's output y > 0 (or NaN), else 0 (a masked inf gradient is 0, as torch's
    threshold_backward gives)."""
    return np.where(y <= 0, grad.dtype.type(0), grad)


def batch_norm_scale_shift(mean, invstd, weight, bias, dtype):
    """Per channel, y = x * scale + shift: scale = invstd * weight, shift = bias - mean * scale."""
    scale = invstd * (1.0 if weight is None else np.asarray(weight, np.float64))
    shift = (0.0 if bias is None else np.asarray(bias, np.float64)) - mean * scale
    return scale.astype(dtype), shift.astype(dtype)


def batch_norm_dx_coefficients(sum_g, sum_gx, mean, invstd, weight, count, dtype):
    """dx = a g + b x + k per channel: the closed form w invstd / n (n g - sum(g) - xhat sum(g xhat))
    with xhat = (x - mean) invstd and sum_gx = sum(g (x - mean))."""
    w = 1.0 if weight is None else np.asarray(weight, np.float64)
    a = w * invstd
    b = -w * invstd ** 3 * sum_gx / count
    k = -a * sum_g / count - b * mean
    return a.astype(dtype), b.astype(dtype), k.astype(dtype)


def _per_channel(x):
    """(the axes batch norm reduces over: all but 1, the shape a per-channel vector broadcasts as)."""
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    return (0,) + tuple(range(2, x.ndim)), shape


def batch_norm_forward(x, weight, bias, eps):
    """Training-mode batch norm over every axis but 1: (y, mean, var, invstd), the statistics (biased
    variance) in float64."""
    axes, shape = _per_channel(x)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes)
    var = ((x64 - mean.reshape(shape)) ** 2).mean(axis=axes)
    invstd = 1.0 / np.sqrt(var + eps)
    scale, shift = batch_norm_scale_shift(mean, invstd, weight, bias, np.float64)
    y = (x64 * scale.reshape(shape) + shift.reshape(shape)).astype(x.dtype)
    return y, mean, var, invstd


def batch_norm_backward(grad, x, mean, invstd, weight, need_dx=True):
    """(dx or None, dweight, dbias) of batch_norm_forward's y for the gradient ``grad``."""
    axes, shape = _per_channel(x)
    g64 = grad.astype(np.float64)
    centred = x.astype(np.float64) - mean.reshape(shape)
    sum_g, sum_gx = g64.sum(axis=axes), (g64 * centred).sum(axis=axes)
    dweight, dbias = (sum_gx * invstd).astype(x.dtype), sum_g.astype(x.dtype)
    if not need_dx:
        return None, dweight, dbias
    a, b, k = batch_norm_dx_coefficients(sum_g, sum_gx, mean, invstd, weight, grad.size // x.shape[1], np.float64)
    dx = g64 * a.reshape(shape) + x.astype(np.float64) * b.reshape(shape) + k.reshape(shape)
    return dx.astype(x.dtype), dweight, dbias


def _window(g, oh, ow):
    """Row and column slices of output pixel (oh, ow)'s receptive field in the padded input."""
    h0, w0 = oh * g.SH, ow * g.SW
    return (slice(h0, h0 + g.DH * (g.KH - 1) + 1, g.DH),
            slice(w0, w0 + g.DW * (g.KW - 1) + 1, g.DW))


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Columns (C*KH*KW, N*OH*OW): column n*OH*OW + oh*OW + ow is pixel (n, oh, ow)'s patch."""
    KH, KW = pair(kernel_size, "kernel_size")
    g = conv_geometry(x.shape, (1, x.shape[1], KH, KW), stride, padding, dilation, 1)
    xp = pad(x, g.PH, g.PW)
    cols = np.empty((g.C * KH * KW, g.N, g.OH, g.OW), x.dtype)
    for oh in range(g.OH):
        for ow in range(g.OW):
            rows, columns = _window(g, oh, ow)
            patch = xp[:, :, rows, columns]  # (N, C, KH, KW)
            cols[:, :, oh, ow] = patch.reshape(g.N, -1).T
    return cols.reshape(g.C * KH * KW, -1)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of im2col: every column's entries added back to the pixels they came from."""
    KH, KW = pair(kernel_size, "kernel_size")
    g = conv_geometry(x_shape, (1, x_shape[1], KH, KW), stride, padding, dilation, 1)
    xp = np.zeros((g.N, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW), cols.dtype)
    cols = cols.reshape(g.C, KH, KW, g.N, g.OH, g.OW)
    for oh in range(g.OH):
        for ow in range(g.OW):
            rows, columns = _window(g, oh, ow)
            xp[:, :, rows, columns] += cols[:, :, :, :, oh, ow].transpose(3, 0, 1, 2)
    return np.ascontiguousarray(xp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W])


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y (N, F, OH, OW) = cross-correlation of x (N, C, H, W) with weight (F, C/G, KH, KW) + bias."""
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    xp = pad(x, g.PH, g.PW)
    Cg, Fg = g.C // g.G, g.F // g.G
    y = np.zeros((g.N, g.F, g.OH, g.OW), x.dtype)
    for oh in range(g.OH):
        for ow in range(g.OW):
            rows, columns = _window(g, oh, ow)
            for grp in range(g.G):
                patch = xp[:, grp * Cg:(grp + 1) * Cg, rows, columns]
                w = weight[grp * Fg:(grp + 1) * Fg]
                y[:, grp * Fg:(grp + 1) * Fg, oh, ow] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    needs=(True, True, True)):
    """(dx, dweight, dbias) for conv2d_forward; an entry is None where ``needs`` says False."""
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    xp = pad(x, g.PH, g.PW)
    Cg, Fg = g.C // g.G, g.F // g.G
    dxp = np.zeros_like(xp) if needs[0] else None
    dw = np.zeros_like(weight) if needs[1] else None
    for oh in range(g.OH):
        for ow in range(g.OW):
            rows, columns = _window(g, oh, ow)
            for grp in range(g.G):
                dy = grad_out[:, grp * Fg:(grp + 1) * Fg, oh, ow]  # (N, Fg)
                chans = slice(grp * Cg, (grp + 1) * Cg)
                if needs[0]:
                    dxp[:, chans, rows, columns] += np.tensordot(dy, weight[grp * Fg:(grp + 1) * Fg], axes=([1], [0]))
                if needs[1]:
                    dw[grp * Fg:(grp + 1) * Fg] += np.tensordot(dy, xp[:, chans, rows, columns], axes=([0], [0]))
    dx = np.ascontiguousarray(dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]) if needs[0] else None
    db = grad_out.sum(axis=(0, 2, 3)) if needs[2] else None
    return dx, dw, db


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(y, indices): indices are flat positions h * W + w in each unpadded H x W plane.

    The rule is torch's CPU loop: start at the window's first in-bounds tap with value -inf,
    move to every later tap that is greater or NaN. Ties keep the first maximum in row-major
    order, NaN wins (the last NaN's index), an all -inf window reports its first in-bounds tap.
    Taps are DH, DW apart (dilation); ceil_mode keeps a last, partial window."""
    g = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    y = np.empty((g.N, g.C, g.OH, g.OW), x.dtype)
    indices = np.empty((g.N, g.C, g.OH, g.OW), np.int64)
    for oh in range(g.OH):
        for ow in range(g.OW):
            h0, w0 = oh * g.SH - g.PH, ow * g.SW - g.PW
            # the first tap at or past 0 (torch's loop steps the start by the dilation)
            h1, w1 = h0 + -(-max(-h0, 0) // g.DH) * g.DH, w0 + -(-max(-w0, 0) // g.DW) * g.DW
            hs = [h for h in range(h1, h0 + g.DH * g.KH, g.DH) if h < g.H]
            ws = [w for w in range(w1, w0 + g.DW * g.KW, g.DW) if w < g.W]
            low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            # NOTE: a window with no tap in the input keeps -inf and an index past the plane, as torch's
            best = np.full((g.N, g.C), low, x.dtype)
            best_idx = np.full((g.N, g.C), h1 * g.W + w1, np.int64)
            if hs and ws and x.dtype.kind != "f":
                best = x[:, :, hs[0], ws[0]].copy()
            for h in hs:
                for w in ws:
                    v = x[:, :, h, w]
                    take = (v > best) | (v != v)
                    best = np.where(take, v, best)
                    best_idx = np.where(take, h * g.W + w, best_idx)
            y[:, :, oh, ow], indices[:, :, oh, ow] = best, best_idx
    return y, indices


def max_pool2d_backward(grad_out, indices, x_shape):
    """Routes each output's gradient to the input element its index names (summing repeats)."""
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), grad_out.dtype)
    planes = np.arange(N * C)
    L = grad_out.shape[2] * grad_out.shape[3]
    flat_dy, flat_idx = grad_out.reshape(N * C, L), indices.reshape(N * C, L)
    for j in range(flat_idx.shape[1]):  # one output pixel at a time; windows may overlap
        inside = flat_idx[:, j] < H * W  # a window of padding only reports an index past the plane
        dx[planes[inside], flat_idx[inside, j]] += flat_dy[inside, j]
    return dx.reshape(x_shape)


def _avg_windows(g):
    for oh in range(g.OH):
        h0 = oh * g.SH - g.PH
        for ow in range(g.OW):
            w0 = ow * g.SW - g.PW
            yield oh, ow, slice(max(h0, 0), min(h0 + g.KH, g.H)), slice(max(w0, 0), min(w0 + g.KW, g.W))


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    """Window sums over the in-input part of each window, divided by torch's divisor (avg_divisors)."""
    g = pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    div = avg_divisors(g, count_include_pad, divisor_override)
    y = np.zeros((g.N, g.C, g.OH, g.OW), x.dtype)
    for oh, ow, rows, cols in _avg_windows(g):
        y[:, :, oh, ow] = x[:, :, rows, cols].sum(axis=(2, 3)) / div[oh, ow]
    return y


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    g = pool_geometry(x_shape, kernel_size, stride, padding, 1, ceil_mode)
    div = avg_divisors(g, count_include_pad, divisor_override)
    dx = np.zeros(x_shape, grad_out.dtype)
    for oh, ow, rows, cols in _avg_windows(g):
        dx[:, :, rows, cols] += (grad_out[:, :, oh, ow] / div[oh, ow]).astype(grad_out.dtype)[:, :, None, None]
    return dx


def _bins(x_shape, output_size):
    OH, OW = adaptive_size(x_shape, output_size)
    hs, he = adaptive_bins(x_shape[-2], OH)
    ws, we = adaptive_bins(x_shape[-1], OW)
    return [(oh, ow, slice(hs[oh], he[oh]), slice(ws[ow], we[ow])) for oh in range(OH) for ow in range(OW)], (OH, OW)


def adaptive_max_pool2d_forward(x, output_size):
    """(y, indices) over torch's adaptive bins, max pooling's rule within each bin."""
    bins, (OH, OW) = _bins(x.shape, output_size)
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), x.dtype)
    indices = np.empty((N, C, OH, OW), np.int64)
    for oh, ow, rows, cols in bins:
        best = x[:, :, rows.start, cols.start].copy()
        best_idx = np.full((N, C), rows.start * W + cols.start, np.int64)
        for h in range(rows.start, rows.stop):
            for w in range(cols.start, cols.stop):
                v = x[:, :, h, w]
                take = (v > best) | (v != v)
                best, best_idx = np.where(take, v, best), np.where(take, h * W + w, best_idx)
        y[:, :, oh, ow], indices[:, :, oh, ow] = best, best_idx
    return y, indices


def adaptive_avg_pool2d_forward(x, output_size):
    bins, (OH, OW) = _bins(x.shape, output_size)
    y = np.empty(x.shape[:2] + (OH, OW), x.dtype)
    for oh, ow, rows, cols in bins:
        y[:, :, oh, ow] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


def adaptive_avg_pool2d_backward(grad_out, x_shape, output_size):
    bins, _ = _bins(x_shape, output_size)
    dx = np.zeros(x_shape, grad_out.dtype)
    for oh, ow, rows, cols in bins:
        size = (rows.stop - rows.start) * (cols.stop - cols.start)
        dx[:, :, rows, cols] += (grad_out[:, :, oh, ow] / size).astype(grad_out.dtype)[:, :, None, None]
    return dx
