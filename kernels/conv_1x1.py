"""The 1x1 convolution route of the numba implementation: a pointwise convolution is a GEMM per
sample, (F x C) @ (C x OH*OW), with no columns to build. A strided one first takes every SH-th row
and SW-th column (a subsample, copied once per sample into reused scratch), and its input gradient
goes back to those pixels only. Planes too small for a GEMM per sample to pay go through the
im2col route, whose blocks gather several samples into one GEMM.
"""
import numpy as np

from kernels import conv_im2col
from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work, parts, reduce_sum, workspace
from kernels._threads import run_parallel, single_threaded_blas

__all__ = ["scratch_bytes", "forward", "backward"]

# Output planes with fewer pixels than this go through the im2col route (several samples per GEMM).
MIN_PLANE = 256


def scratch_bytes(g, itemsize):
    """Scratch one sample takes: its subsampled input and its input gradient before the scatter."""
    return 2 * g.C * g.OH * g.OW * itemsize


def _sample(x, n, g, role):
    """Sample n's input as (G, C/G, OH*OW): a view at stride 1, a copy into scratch otherwise."""
    if g.SH == g.SW == 1:
        return x[n].reshape(g.G, g.C // g.G, -1)
    buf = workspace.get(role, (g.C, g.OH, g.OW), x.dtype)
    np.copyto(buf, x[n, :, ::g.SH, ::g.SW])
    return buf.reshape(g.G, g.C // g.G, -1)


def forward(x, weight, b, y, g):
    if g.OH * g.OW < MIN_PLANE:
        return conv_im2col.forward(x, weight, b, y, g)
    w = weight.reshape(g.G, g.F // g.G, g.C // g.G)
    bias = b.reshape(-1, 1, 1)

    def gemm(p):
        for n in range(p.start, p.stop):
            np.matmul(w, _sample(x, n, g, "sub"), out=y[n].reshape(g.G, g.F // g.G, -1))
            y[n] += bias
    with single_threaded_blas():
        run_parallel(gemm, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))


def backward(grad_out, x, weight, g, needs):
    if g.OH * g.OW < MIN_PLANE:
        return conv_im2col.backward(grad_out, x, weight, g, needs)
    Fg, Cg = g.F // g.G, g.C // g.G
    w_t = weight.reshape(g.G, Fg, Cg).transpose(0, 2, 1)
    strided = not g.SH == g.SW == 1
    dx = np.empty_like(x) if needs[0] else None  # a strided layer's samples are zeroed by their thread

    def gemm(p):
        dw = np.zeros((g.G, Fg, Cg), x.dtype) if needs[1] else None
        step = workspace.get("dw_step", (g.G, Fg, Cg), x.dtype) if needs[1] else None
        for n in range(p.start, p.stop):
            dy = grad_out[n].reshape(g.G, Fg, -1)
            if needs[1]:
                np.matmul(dy, _sample(x, n, g, "sub").transpose(0, 2, 1), out=step)
                dw += step
            if needs[0]:
                if strided:
                    dsub = workspace.get("dsub", (g.G, Cg, g.OH * g.OW), x.dtype)
                    np.matmul(w_t, dy, out=dsub)
                    dx[n] = 0
                    dx[n, :, ::g.SH, ::g.SW] = dsub.reshape(g.C, g.OH, g.OW)
                else:
                    np.matmul(w_t, dy, out=dx[n].reshape(g.G, Cg, -1))
        return dw
    with single_threaded_blas():
        dws = run_parallel(gemm, parts(g.N, conv_work(g), CONV_MIN_MACS_PER_THREAD))
    return dx, (reduce_sum(dws).reshape(weight.shape) if needs[1] else None)
