"""The Winograd F(4x4, 3x3) convolution route of the numba implementation (3x3, stride 1, no
dilation; groups as one set of GEMMs per group): per cache-sized block of samples, input transform -> 36 GEMMs -> output
transform (the transforms are in kernels/_winograd.py).

A tile's 36 transformed values mix all of its 6x6 input pixels, so one inf or NaN input would
spread over whole output tiles that never see it (torch: inf only where the pixel reaches);
kernels/routes.py therefore sends calls with non-finite values to an exact route.
"""
import numpy as np

from kernels import _winograd as wino
from kernels._plan import CONV_MIN_MACS_PER_THREAD, blocks, parts, reduce_sum, workspace
from kernels._threads import run_parallel, single_threaded_blas

__all__ = ["scratch_bytes", "forward", "backward"]

# Blocks of the transformed tiles (the speed was flat from 0.5 to 4 MiB: docs/PERFORMANCE.md), but
# at least MIN_BLOCK_TILES tiles: each block's 36 GEMMs read all of U (36 x F x C/G), and on wide
# layers a 2 MiB block held so few tiles that those reads, not the products, set the speed.
WINOGRAD_BLOCK_BYTES = 2 * 2 ** 20
MIN_BLOCK_TILES = 256


def _blocks(p, per_image, C, F, itemsize):
    """The sample blocks of part ``p``: WINOGRAD_BLOCK_BYTES of tiles, or MIN_BLOCK_TILES tiles."""
    per_sample = wino.P * (C + F) * per_image * itemsize
    limit = max(WINOGRAD_BLOCK_BYTES, -(-MIN_BLOCK_TILES // per_image) * per_sample)
    return blocks(p, per_sample, limit)


def scratch_bytes(g, itemsize):
    """Scratch one sample takes: its input's and output's transformed tiles."""
    return wino.P * (g.C + g.F) * wino.tiles(g.OH, g.OW)[2] * itemsize


def forward(x, weight, b, y, g):
    _winograd(x, _filter_transform(weight), b, y, g.PH, g.PW, g.G)


def backward(grad_out, x, weight, g, needs):
    dx = np.empty_like(x) if needs[0] else None
    return dx, _winograd_backward(grad_out, x, weight, dx, g.PH, g.PW, needs, g.G)


def _filter_transform(weight):
    """wino.filter_transform on one BLAS thread (as every GEMM of this route)."""
    with single_threaded_blas():
        return wino.filter_transform(weight)


def _filter_gradient(m):
    with single_threaded_blas():
        return wino.filter_gradient(m)


def _groups(G, C, F):
    """(channel slice, filter slice) of each group."""
    Cg, Fg = C // G, F // G
    return [(slice(i * Cg, (i + 1) * Cg), slice(i * Fg, (i + 1) * Fg)) for i in range(G)]


def _winograd(x, u, bias, y, PH, PW, G=1):
    """y = the 3x3 stride-1 convolution of x (padding PH, PW) with the transformed filters u
    (36, F, C), plus bias: per cache-sized block of samples, input transform -> 36 GEMMs ->
    output transform, each thread on its own slice of the batch."""
    N, C = x.shape[:2]
    F, OH, OW = y.shape[1:]
    TH, TW, per_image = wino.tiles(OH, OW)

    def run(p):
        for block in _blocks(p, per_image, C, F, x.itemsize):
            T = (block.stop - block.start) * per_image
            V = _tile_buffer("wino_v", C, T, x.dtype)
            M = _tile_buffer("wino_m", F, T, x.dtype)
            wino.input_transform(x[block], V, T, PH, PW, TH, TW)
            Vm, Mm = _matrices(V, C, T), _matrices(M, F, T)
            for cs, fs in _groups(G, C, F):  # u is (36, F, C/G): each group's filters see its channels
                np.matmul(u[:, fs], Vm[:, cs], out=Mm[:, fs])
            wino.output_transform(M, T, bias, y[block], TH, TW)
    with single_threaded_blas():
        run_parallel(run, parts(N, N * F * C * wino.P * per_image, CONV_MIN_MACS_PER_THREAD))


def _winograd_backward(grad_out, x, weight, dx, PH, PW, needs, G=1):
    """The gradients of a 3x3 stride-1 convolution from one transform of dY per block of samples,
    D = A dY A^T: dx (written into ``dx`` if needs[0]) as the transpose of the input transform
    applied to U^T D (36 GEMMs (C x F) @ (F x T)), and dW (returned if needs[1]) as G^T [sum over
    the tiles of D . V] G, V the input's transform (36 GEMMs (F x T) @ (T x C))."""
    N, C = x.shape[:2]
    F, OH, OW = grad_out.shape[1:]
    TH, TW, per_image = wino.tiles(OH, OW)
    u_t = _filter_transform(weight).transpose(0, 2, 1) if needs[0] else None  # (36, C/G, F)

    def run(p):
        m = np.zeros((wino.P, F, C // G), x.dtype) if needs[1] else None
        for block in _blocks(p, per_image, C, F, x.itemsize):
            T = (block.stop - block.start) * per_image
            V = _tile_buffer("wino_v", C, T, x.dtype)
            D = _tile_buffer("wino_m", F, T, x.dtype)
            wino.grad_transform(grad_out[block], D, T, TH, TW)
            if needs[1]:
                wino.input_transform(x[block], V, T, PH, PW, TH, TW)
                Dm, Vm = _matrices(D, F, T), _matrices(V, C, T)
                for cs, fs in _groups(G, C, F):
                    m[:, fs] += np.matmul(Dm[:, fs], Vm[:, cs].transpose(0, 2, 1))
            if needs[0]:  # V's buffer now takes dV = U^T D
                Dm, Vm = _matrices(D, F, T), _matrices(V, C, T)
                for cs, fs in _groups(G, C, F):  # u_t is (36, C/G, F)
                    np.matmul(u_t[:, :, fs], Dm[:, fs], out=Vm[:, cs])
                wino.input_transform_adjoint(V, T, dx[block], PH, PW, TH, TW)
        return m
    with single_threaded_blas():
        ms = run_parallel(run, parts(N, N * F * C * wino.P * per_image, CONV_MIN_MACS_PER_THREAD))
    return _filter_gradient(reduce_sum(ms)) if needs[1] else None


# Extra elements per row of a tile buffer (see kernels/_winograd.py: keeps the rows' strides off
# multiples of 4 KiB).
_TILE_ROW_GAP = 16


def _tile_buffer(role, channels, T, dtype):
    return workspace.get(role, (wino.P, channels * T + _TILE_ROW_GAP), dtype)


def _matrices(buf, channels, T):
    """The (36, channels, T) view of a tile buffer that the GEMMs take."""
    return buf[:, :channels * T].reshape(wino.P, channels, T)

