"""The ``numba`` implementation: the kernels contract on jitted nogil routines and NumPy GEMMs.

A convolution goes through three steps, all visible here:
1. the inputs it cannot run as they are: an empty batch returns empty results; float16 runs in
   float32 and the results are converted back;
2. ``kernels.routes.choose_route`` picks the route (direct, Winograd, 1x1, depthwise, im2col; each
   its own module) and how many blocks of output rows each sample is cut into;
3. with one block per sample the route splits the batch over the threads itself; with more, each
   (sample, rows) block is a convolution of its own, run on one thread: a block's scratch then fits
   the thread's share of the memory budget even for one large image, and a batch smaller than the
   thread count still keeps every thread busy.

Threads (kernels/_threads.py): the calling thread and a small pool of Python threads each run
nogil numba code and single-threaded GEMMs on their own slice; nested calls run serially.
Pooling is in kernels/pooling.py. Shapes use the notation of kernels/_common.py.
"""
import numpy as np

from kernels import routes
from kernels._common import conv_geometry
from kernels._plan import REDUCE_MIN_ELEMENTS, parts, reduce_sum
from kernels._threads import get_num_threads, run_parallel
from kernels.conv_im2col import col2im, im2col
from kernels.normalization import batch_norm_backward, batch_norm_forward
from kernels.pointwise import relu, relu_backward
from kernels.pooling import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, adaptive_max_pool2d_forward,
                             avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward)

__all__ = ["im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
           "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_max_pool2d_forward",
           "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward", "relu", "relu_backward",
           "batch_norm_forward", "batch_norm_backward", "choose"]

# Dtypes the jitted routes run in; others are converted (float16 -> float32) and back.
_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def _compute(a):
    """``a`` contiguous in a dtype the routes run in."""
    if a.dtype not in _NATIVE:
        a = a.astype(np.float32)
    return np.ascontiguousarray(a)


def _finite(*arrays):
    """A callable telling whether all values are finite, asked only when a route needs to know. A
    sum is one cheap pass (overflow of a finite sum only sends the call to an exact route, which is
    still right); large arrays are summed by batch slices on all threads."""
    def finite():
        with np.errstate(invalid="ignore", over="ignore"):
            return all(np.isfinite(_sum_over_batch(a, None)).all() for a in arrays)
    return finite


def _sum_over_batch(a, axis):
    """a.sum over ``axis`` (None: all) of each slice of the batch, the slices on all threads, then
    added: a serial pass over a large input or gradient would be the serial part of a many-thread
    call. ``axis`` names the axes after the first."""
    if a.size < REDUCE_MIN_ELEMENTS or a.ndim < 2:
        return np.add.reduce(a, axis=None if axis is None else (0,) + axis)
    part_sums = run_parallel(lambda p: np.add.reduce(a[p], axis=None if axis is None else (0,) + axis),
                             parts(a.shape[0]))
    return reduce_sum([np.asarray(ps) for ps in part_sums])


def choose(g, backward=False, arrays=(), itemsize=4):
    """routes.choose_route for this call on the current thread count."""
    return routes.choose_route(g, get_num_threads(), backward, _finite(*arrays), itemsize)


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    dtype = x.dtype
    if g.N == 0 or g.F == 0 or g.OH < 1 or g.OW < 1:
        return np.zeros((g.N, g.F, max(g.OH, 0), max(g.OW, 0)), dtype)
    x = _compute(x)
    weight = _compute(weight).astype(x.dtype, copy=False)
    b = np.zeros(g.F, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    choice = choose(g, False, (x, weight), x.itemsize)
    module, options = routes.route_module(choice.route)
    y = np.empty((g.N, g.F, g.OH, g.OW), x.dtype)
    if choice.rows == 1:
        module.forward(x, weight, b, y, g, **options)
    else:
        def rows(units):
            for n, o0, o1 in units:
                xs, gs, _ = _row_block(x, weight, g, n, o0, o1)
                ys = np.empty((1, g.F, o1 - o0, g.OW), x.dtype)
                module.forward(xs, weight, b, ys, gs, **options)
                y[n, :, o0:o1] = ys[0]
        run_parallel(rows, _row_units(g, choice.rows))
    return y.astype(dtype, copy=False)


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1, groups=1,
                    needs=(True, True, True)):
    g = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    dtype = x.dtype
    db = _sum_over_batch(_compute(grad_out), (2, 3)).astype(dtype) if needs[2] else None
    if g.N == 0 or g.F == 0 or not (needs[0] or needs[1]):
        return (np.zeros(x.shape, dtype) if needs[0] else None,
                np.zeros(weight.shape, dtype) if needs[1] else None, db)
    x, weight, grad_out = _compute(x), _compute(weight), _compute(grad_out)
    # Non-finite values: a non-finite input or output gradient always makes the weight gradient
    # non-finite, so when dW is computed it is checked afterwards (weight-sized: cheap) and the call
    # redone on an exact route if needed; the weight is checked first (a non-finite weight spreads
    # through dx on the inexact routes), and without dW the output gradient too.
    checked = (weight,) if needs[1] else (weight, grad_out)
    choice = routes.choose_route(g, get_num_threads(), True, _finite(*checked), x.itemsize)
    dx, dw = _backward(choice, grad_out, x, weight, g, needs)
    if needs[1] and choice.route not in routes.EXACT["backward"] and not _finite(dw)():
        choice = routes.choose_route(g, get_num_threads(), True, lambda: False, x.itemsize)
        dx, dw = _backward(choice, grad_out, x, weight, g, needs)
    return (dx.astype(dtype, copy=False) if needs[0] else None,
            dw.astype(dtype, copy=False) if needs[1] else None, db)


def _backward(choice, grad_out, x, weight, g, needs):
    module, options = routes.route_module(choice.route)
    if choice.rows == 1:
        return module.backward(grad_out, x, weight, g, needs, **options)

    dx = np.zeros(x.shape, x.dtype) if needs[0] else None

    def rows(units):
        halos, dw = [], None
        for n, o0, o1 in units:
            xs, gs, (lo, a, b) = _row_block(x, weight, g, n, o0, o1)
            dxs, dws = module.backward(np.ascontiguousarray(grad_out[n:n + 1, :, o0:o1]), xs, weight, gs, needs,
                                       **options)
            if needs[0]:
                # the input rows no neighbouring block reads are this block's alone: written here;
                # the few rows it shares with a neighbour are added afterwards, on one thread
                own_a = a if o0 == 0 else max(a, _input_rows(g, o0 - 1, o0)[1])
                own_b = b if o1 == g.OH else min(b, _input_rows(g, o1, o1 + 1)[0])
                own_a, own_b = min(own_a, b), max(min(own_b, b), min(own_a, b))
                dx[n, :, own_a:own_b] = dxs[0, :, own_a - lo:own_b - lo]
                halos += [(n, a, own_a, dxs[0, :, a - lo:own_a - lo]), (n, own_b, b, dxs[0, :, own_b - lo:b - lo])]
            if needs[1]:
                if dw is None:
                    dw = dws
                else:
                    dw += dws
        return halos, dw
    results = run_parallel(rows, _row_units(g, choice.rows))
    for halos, _ in results:
        for n, r0, r1, piece in halos:
            if r1 > r0:
                dx[n, :, r0:r1] += piece
    dw = reduce_sum([part_dw for _, part_dw in results]) if needs[1] else None
    return dx, dw


def _input_rows(g, o0, o1):
    """The input rows [a, b) that output rows [o0, o1) read, cut to the input."""
    lo = o0 * g.SH - g.PH
    hi = (o1 - 1) * g.SH - g.PH + g.DH * (g.KH - 1) + 1
    a = min(max(lo, 0), g.H)
    return a, max(min(hi, g.H), a)


def _row_units(g, rows):
    """The (sample, first row, end row) blocks of the output, dealt to the threads in turn: one
    list per thread, so run_parallel hands each thread its share at once."""
    step = -(-g.OH // rows)
    units = [(n, o0, min(o0 + step, g.OH)) for n in range(g.N) for o0 in range(0, g.OH, step)]
    threads = min(get_num_threads(), len(units))
    return [units[i::threads] for i in range(threads)]


def _row_block(x, weight, g, n, o0, o1):
    """Output rows [o0, o1) of sample n as a convolution of its own: the input rows they read, with
    the padding above and below made explicit (so the block's geometry pads only the columns).
    Returns (input block, its geometry, (first padded row, first and end input row))."""
    lo = o0 * g.SH - g.PH
    hi = (o1 - 1) * g.SH - g.PH + g.DH * (g.KH - 1) + 1
    a, b = _input_rows(g, o0, o1)
    if a == lo and b == hi:
        xs = x[n:n + 1, :, a:b]
    else:
        xs = np.zeros((1, g.C, hi - lo, g.W), x.dtype)
        if b > a:
            xs[:, :, a - lo:b - lo] = x[n:n + 1, :, a:b]
    gs = conv_geometry(xs.shape, weight.shape, (g.SH, g.SW), (0, g.PW), (g.DH, g.DW), g.G)
    return np.ascontiguousarray(xs), gs, (lo, a, b)

