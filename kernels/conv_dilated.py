"""The dilated convolution route of the numba implementation (stride 1, dilation D > 1): a tap
grid D apart only ever reads pixels of one phase, the rows a mod DH and columns b mod DW of the
padded input. So the convolution is DH*DW ordinary (undilated, unpadded) convolutions, one per
phase: output pixel (DH*i + a, DW*j + b) is pixel (i, j) of the convolution of phase (a, b). Each
phase convolution goes through kernels.numba_ops again and takes the route its own geometry calls
for (Winograd for the 3x3 layers this route is chosen for, with 4x fewer multiplications than the
im2col GEMM a dilated layer would otherwise take); the backward scatters each phase's input
gradient back and sums the phases' weight gradients.
"""
import numpy as np

from kernels._common import pad

__all__ = ["scratch_bytes", "forward", "backward"]


def scratch_bytes(g, itemsize):
    """The phase convolutions cut their own work (they go through the dispatcher again)."""
    return 0


def _phases(g):
    return [(a, b) for a in range(g.DH) for b in range(g.DW) if a < g.OH and b < g.OW]


def _phase_input(xp, a, b, g):
    return np.ascontiguousarray(xp[:, :, a::g.DH, b::g.DW])


def forward(x, weight, b, y, g):
    from kernels import numba_ops
    xp = pad(x, g.PH, g.PW)
    for a, c in _phases(g):
        y[:, :, a::g.DH, c::g.DW] = numba_ops.conv2d_forward(_phase_input(xp, a, c, g), weight, b, 1, 0, 1, g.G)


def backward(grad_out, x, weight, g, needs):
    from kernels import numba_ops
    xp = pad(x, g.PH, g.PW)
    dxp = np.zeros(xp.shape, x.dtype) if needs[0] else None
    dw = np.zeros(weight.shape, x.dtype) if needs[1] else None
    for a, c in _phases(g):
        dy = np.ascontiguousarray(grad_out[:, :, a::g.DH, c::g.DW])
        dxs, dws, _ = numba_ops.conv2d_backward(dy, _phase_input(xp, a, c, g), weight, 1, 0, 1, g.G,
                                                needs=(needs[0], needs[1], False))
        if needs[0]:
            rows, cols = dxs.shape[2], dxs.shape[3]
            dxp[:, :, a:a + g.DH * rows:g.DH, c:c + g.DW * cols:g.DW] += dxs
        if needs[1]:
            dw += dws
    dx = np.ascontiguousarray(dxp[:, :, g.PH:g.PH + g.H, g.PW:g.PW + g.W]) if needs[0] else None
    return dx, dw
