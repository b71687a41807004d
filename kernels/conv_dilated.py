"""The dilated convolution route of the numba implementation (stride 1, dilation D > 1): a tap
grid D apart only ever reads pixels of one phase, the rows a mod DH and columns b mod DW of the
padded input. So the convolution is DH*DW ordinary (undilated, unpadded) convolutions, one per
phase: output pixel (DH*i + a, DW*j + b) is pixel (i, j) of the convolution of phase (a, b). Each
phase convolution goes through kernels.numba_ops again and takes the route its own geometry calls
for (Winograd for the 3x3 layers this route is chosen for, with 4x fewer multiplications than the
im2col GEMM a dilated layer would otherwise take); the backward scatters each phase's input
gradient back and sums the phases' weight gradients. The passes that split and join the phases
run on all threads, by batch slices.
"""
import numpy as np

from kernels._common import pad
from kernels._plan import parts
from kernels._threads import run_parallel

__all__ = ["scratch_bytes", "forward", "backward"]


def scratch_bytes(g, itemsize):
    """The phase convolutions cut their own work (they go through the dispatcher again)."""
    return 0


def _phases(g):
    return [(a, b) for a in range(g.DH) for b in range(g.DW) if a < g.OH and b < g.OW]


def _split(a, g, steps, padding):
    """{phase: its pixels of ``a`` (zero-padded by ``padding`` first)} as contiguous arrays."""
    DH, DW = steps
    Hp, Wp = a.shape[2] + 2 * padding[0], a.shape[3] + 2 * padding[1]
    out = {(r, c): np.empty(a.shape[:2] + (len(range(r, Hp, DH)), len(range(c, Wp, DW))), a.dtype)
           for r, c in _phases(g)}

    def fill(p):
        ap = pad(a[p], *padding)
        for (r, c), o in out.items():
            o[p] = ap[:, :, r::DH, c::DW]
    run_parallel(fill, parts(a.shape[0]))
    return out


def forward(x, weight, b, y, g):
    from kernels import numba_ops
    phases = _split(x, g, (g.DH, g.DW), (g.PH, g.PW))
    results = {ab: numba_ops.conv2d_forward(xs, weight, b, 1, 0, 1, g.G) for ab, xs in phases.items()}

    def join(p):
        for (r, c), ys in results.items():
            y[p, :, r::g.DH, c::g.DW] = ys[p]
    run_parallel(join, parts(g.N))


def backward(grad_out, x, weight, g, needs):
    from kernels import numba_ops
    phases = _split(x, g, (g.DH, g.DW), (g.PH, g.PW))
    grads = _split(grad_out, g, (g.DH, g.DW), (0, 0))
    dx = np.empty_like(x) if needs[0] else None
    dw = np.zeros(weight.shape, x.dtype) if needs[1] else None
    pieces = {}
    for ab, xs in phases.items():
        dxs, dws, _ = numba_ops.conv2d_backward(grads[ab], xs, weight, 1, 0, 1, g.G, needs=(needs[0], needs[1], False))
        pieces[ab] = dxs
        if needs[1]:
            dw += dws
    if needs[0]:
        def join(p):
            dxp = np.zeros((p.stop - p.start, g.C, g.H + 2 * g.PH, g.W + 2 * g.PW), x.dtype)
            for (r, c), dxs in pieces.items():
                rows, cols = dxs.shape[2], dxs.shape[3]
                dxp[:, :, r:r + g.DH * rows:g.DH, c:c + g.DW * cols:g.DW] += dxs[p]
            dx[p] = dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]
        run_parallel(join, parts(g.N))
    return dx, dw
