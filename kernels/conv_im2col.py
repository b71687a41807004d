"""The im2col + GEMM convolution route of the numba implementation: the input's patches copied into
columns (C*KH*KW, n*OH*OW) per cache-sized block of samples, one GEMM per group, col2im for dx.

Two fills: row by row (any stride; plain indexed loops or NumPy's strided copy), and at stride 1 the
"wide" grid, whose columns are taken on the padded input's flat plane: tap (kh, kw) reads one
contiguous run of Lw = (OH-1)*Wp + OW elements, so a column row is n runs of Lw (not n*OH runs of
OW). The GEMM then also computes the Wp - OW wasted columns per output row, and the output
gradient enters the GEMMs spread onto the same grid with zeros there.

The row-by-row route is exact for non-finite values (each output sums exactly the products torch
sums); the wide grid is not in the backward pass (a zero of the spread gradient meets an inf of
the input in a wasted column), which is why kernels/routes.py sends non-finite calls here.
"""
import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

from kernels._common import conv_geometry, pad, pair, patches
from kernels._plan import CACHE_BLOCK_BYTES, CONV_MIN_MACS_PER_THREAD, blocks, conv_work, parts, reduce_sum, workspace
from kernels._threads import get_num_threads, run_parallel, single_threaded_blas, split_rows

__all__ = ["im2col", "col2im", "scratch_bytes", "forward", "backward"]

_jit = njit(cache=True, nogil=True)

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


def _fill_block(x, cols, g):
    """im2col of one cache-sized block, inside a worker thread. NumPy's strided copy (which releases
    the GIL) beat the jitted fill here on every shape measured (docs/PERFORMANCE.md); the
    jitted fill wins when it has the whole batch and both cores, as in ``im2col`` below."""
    np.copyto(cols.reshape(x.shape[1], g.KH, g.KW, x.shape[0], g.OH, g.OW), patches(x, g))


def _columns(part, OH, OW):
    return slice(part.start * OH * OW, part.stop * OH * OW)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x.shape, kernel_size, stride, padding, dilation)
    x = np.ascontiguousarray(x)
    cols = np.empty((g.C * g.KH * g.KW, g.N * g.OH * g.OW), x.dtype)
    run_parallel(lambda p: _im2col_fill(x[p], cols[:, _columns(p, g.OH, g.OW)], *_fill_args(g)), parts(g.N))
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    g = _geometry(x_shape, kernel_size, stride, padding, dilation)
    dx = np.empty(x_shape, cols.dtype)
    run_parallel(lambda p: _col2im_add(cols[:, _columns(p, g.OH, g.OW)], dx[p], *_fill_args(g)), parts(g.N))
    return dx


# ---------------------------------------------------------------------------- wide-row im2col
def _fill_wide_block(x, cols, g, Lw):
    """The wide-grid im2col of one block of samples into cols (C*KH*KW, n*Lw). The block is padded
    into a reused scratch buffer: padding the whole batch at once would grow memory with N past the
    budget."""
    n, C, H, W = x.shape
    xp = pad(x, g.PH, g.PW, out=workspace.get("xp", (n, C, H + 2 * g.PH, W + 2 * g.PW), x.dtype)
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


# ---------------------------------------------------------------------------- the route
def _wide_length(g):
    return (g.OH - 1) * (g.W + 2 * g.PW) + g.OW


def scratch_bytes(g, itemsize, wide=False):
    """Scratch one sample takes: its columns, their gradient, the (spread) output gradient or the
    GEMM's output, and its padded input or input gradient."""
    L = _wide_length(g) if wide else g.OH * g.OW
    return ((2 * g.C * g.KH * g.KW + g.F) * L + g.C * (g.H + 2 * g.PH) * (g.W + 2 * g.PW)) * itemsize


def _split_products(g, samples):
    """Whether a call's GEMMs split their rows over the kernel threads: when the whole batch is one
    part (a single sample, more than one thread, work enough for two), so that the threads still
    share the work without cutting the sample into blocks of rows, each with its own columns."""
    return len(samples) == 1 and g.N == 1 and get_num_threads() > 1 and \
        conv_work(g) >= 2 * CONV_MIN_MACS_PER_THREAD


def _matmul(a, b, out, split):
    """np.matmul(a, b, out); with ``split`` each product's rows (a's second-to-last axis) are
    spread over the kernel threads, every part a single-threaded GEMM into its rows of ``out``."""
    if not split:
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty(a.shape[:-1] + b.shape[-1:], np.result_type(a, b))
    return split_rows(a, b, out, min(get_num_threads(), max(1, a.shape[-2] // 16)))


def forward(x, weight, b, y, g, wide=False):
    K = weight.shape[1] * g.KH * g.KW
    w = weight.reshape(g.G, g.F // g.G, K)
    rows, L = g.C * g.KH * g.KW, g.OH * g.OW
    bias4 = b.reshape(1, -1, 1, 1)
    if wide:
        Wp = g.W + 2 * g.PW
        L = _wide_length(g)

    samples = parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD)
    split = _split_products(g, samples)

    def gemm(p):
        for block in blocks(p, rows * L * x.itemsize, None, scratch_bytes(g, x.itemsize, wide)):
            n = block.stop - block.start
            cols = workspace.get("cols", (rows, n * L), x.dtype)
            if wide:
                _fill_wide_block(x[block], cols, g, L)
                out = workspace.get("out", (g.G, g.F // g.G, n * L), x.dtype)
                _matmul(w, cols.reshape(g.G, K, -1), out, split)
                valid = _wide_grid(out.reshape(g.F, -1), n, g.OH, g.OW, Wp)
                np.add(valid.transpose(1, 0, 2, 3), bias4, out=y[block])
                continue
            _fill_block(x[block], cols, g)
            if n == 1:  # one sample: the GEMM writes its NCHW output in place
                _matmul(w, cols.reshape(g.G, K, L), y[block.start].reshape(g.G, -1, L), split)
                y[block] += bias4
            else:
                out = workspace.get("out", (g.G, g.F // g.G, n * L), x.dtype)
                _matmul(w, cols.reshape(g.G, K, -1), out, split)
                np.add(out.reshape(g.F, n, g.OH, g.OW).transpose(1, 0, 2, 3), bias4, out=y[block])
    with single_threaded_blas():
        run_parallel(gemm, samples)


# From this many filters per group dW is computed as dY @ cols^T (see backward).
F_MAJOR_MIN_FILTERS = 128


def backward(grad_out, x, weight, g, needs, wide=False):
    """(dx or None, dw or None) of the convolution, per block of samples: dW from the columns, dx
    as col2im of W^T dY."""
    dx = np.empty_like(x) if needs[0] else None
    Fg, K = g.F // g.G, weight.shape[1] * g.KH * g.KW
    w_t = weight.reshape(g.G, Fg, K).transpose(0, 2, 1)
    rows, L = g.C * g.KH * g.KW, g.OH * g.OW
    if wide:
        Wp = g.W + 2 * g.PW
        L = _wide_length(g)

    # dW's GEMM sums over the block's columns and writes a weight-sized product per block: blocks
    # whose columns are few next to the weight (many channels, small planes) are made longer, up to
    # the thread's share of the budget, so the product is written fewer times.
    limit = max(CACHE_BLOCK_BYTES, 2 * rows * max(K, Fg) * x.itemsize) if needs[1] else None
    f_major = Fg >= F_MAJOR_MIN_FILTERS
    samples = parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD)
    split = _split_products(g, samples)

    def gemm(p):
        dw = None
        for block in blocks(p, rows * L * x.itemsize, limit, scratch_bytes(g, x.itemsize, wide)):
            n = block.stop - block.start
            if wide:
                dy = workspace.get("dy", (g.F, n * L), x.dtype)
                dy[...] = 0
                np.copyto(_wide_grid(dy, n, g.OH, g.OW, Wp), grad_out[block].transpose(1, 0, 2, 3))
                dy = dy.reshape(g.G, Fg, -1)
            else:
                dy = grad_out[block].reshape(n, g.G, Fg, L)
                if n == 1:
                    dy = dy[0]
                else:
                    buf = workspace.get("dy", (g.G, Fg, n, L), x.dtype)
                    np.copyto(buf, dy.transpose(1, 2, 0, 3))
                    dy = buf.reshape(g.G, Fg, n * L)
            if needs[1]:
                cols = workspace.get("cols", (rows, n * L), x.dtype)
                if wide:
                    _fill_wide_block(x[block], cols, g, L)
                else:
                    _fill_block(x[block], cols, g)
                # Thin layers: cols @ dY^T runs faster than dY @ cols^T (M = K, not the few filters)
                # and its (K, F) result is cheap to transpose. Layers with many filters: dY @ cols^T,
                # already in the weight's (F, K) layout, since transposing a large weight-sized array
                # (rows a multiple of 4 KiB apart) cost more than the GEMM. Later blocks' products go
                # to scratch first (a fresh weight-sized array per block page-faults).
                a, b = (dy, cols.reshape(g.G, K, -1).transpose(0, 2, 1)) if f_major else \
                    (cols.reshape(g.G, K, -1), dy.transpose(0, 2, 1))
                if dw is None:
                    dw = _matmul(a, b, None, split)
                else:
                    step = workspace.get("dw_step", (g.G, Fg, K) if f_major else (g.G, K, Fg), x.dtype)
                    _matmul(a, b, step, split)
                    dw += step
            if needs[0]:
                dcols = workspace.get("dcols", (g.G, K, n * L), x.dtype)
                _matmul(w_t, dy, dcols, split)
                if wide and not (g.PH or g.PW):
                    _col2im_wide(dcols.reshape(rows, -1), dx[block], g.KH, g.KW, g.DH, g.DW)
                elif wide:
                    dxp = workspace.get("dxp", (n, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW), x.dtype)
                    _col2im_wide(dcols.reshape(rows, -1), dxp, g.KH, g.KW, g.DH, g.DW)
                    dx[block] = dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]
                else:
                    _col2im_add(dcols.reshape(rows, -1), dx[block], *_fill_args(g))
        return dw
    with single_threaded_blas():
        dws = run_parallel(gemm, samples)
    if not needs[1]:
        return dx, None
    dw = reduce_sum(dws)
    return dx, (dw if f_major else np.ascontiguousarray(dw.transpose(0, 2, 1))).reshape(weight.shape)
