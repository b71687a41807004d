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


# Planes at most this many output pixels wide are transformed side by side (see _Layout).
SIDE_BY_SIDE_MAX_OW = 16


class _Layout:
    """How a block of samples meets the transforms. Their loops run along rows of tiles, and on a
    narrow plane (an 8- or 16-pixel ResNet stage) a row holds 3-5 tiles, too short to vectorize:
    (64,32,16,16) forward 4.4 ms, (64,64,8,8) 3.7 ms. For those the block's images are laid side by
    side in one wide image, each in a strip of ``pitch`` columns (its own columns, then zeros) whose
    tiles never read the next image's pixels, and the transforms run rows nb times as long: 2.8 and
    2.2 ms (docs/PERFORMANCE.md). The tiles are the same; only their order and the padding tiles
    (one per strip) differ, so the GEMMs are unchanged. The methods below are kernels/_winograd.py's
    four transforms on a block in either layout."""

    def __init__(self, N, H, W, OH, OW, PH, PW):
        self.H, self.W, self.OH, self.OW, self.PH, self.PW = H, W, OH, OW, PH, PW
        self.TH, self.TW, self.per_image = wino.tiles(OH, OW)
        self.wide = OW <= SIDE_BY_SIDE_MAX_OW and N > 1
        self.pitch = 4 * self.TW + 4  # >= the padded width + 2: a strip's tiles read only its own columns

    def tiles(self, nb):
        """(T, TW) of a block of nb samples: the tile columns the transforms see per row."""
        if not self.wide:
            return nb * self.per_image, self.TW
        TW = wino.tiles(self.OH, nb * self.pitch - 2)[1]
        return self.TH * (TW + 1), TW

    def input_transform(self, x, V, T, TW):
        if self.wide:
            wide = np.zeros((1, x.shape[1], self.H, x.shape[0] * self.pitch), x.dtype)
            self._inputs_of(wide)[...] = x.transpose(1, 2, 0, 3)
            wino.input_transform(wide, V, T, self.PH, 0, self.TH, TW)
        else:
            wino.input_transform(x, V, T, self.PH, self.PW, self.TH, TW)

    def output_transform(self, M, T, bias, y, TW):
        if self.wide:
            wide = np.empty((1, y.shape[1], self.OH, y.shape[0] * self.pitch - 2), y.dtype)
            wino.output_transform(M, T, bias, wide, self.TH, TW)
            y[...] = self._strips(wide, self.OW).transpose(2, 0, 1, 3)
        else:
            wino.output_transform(M, T, bias, y, self.TH, TW)

    def grad_transform(self, dy, D, T, TW):
        if self.wide:
            wide = np.zeros((1, dy.shape[1], self.OH, dy.shape[0] * self.pitch - 2), dy.dtype)
            self._strips(wide, self.OW)[...] = dy.transpose(1, 2, 0, 3)
            dy = wide
        wino.grad_transform(dy, D, T, self.TH, TW)

    def input_transform_adjoint(self, V, T, dx, TW):
        if self.wide:
            wide = np.empty((1, dx.shape[1], self.H, dx.shape[0] * self.pitch), dx.dtype)
            wino.input_transform_adjoint(V, T, wide, self.PH, 0, self.TH, TW)
            dx[...] = self._inputs_of(wide).transpose(2, 0, 1, 3)
        else:
            wino.input_transform_adjoint(V, T, dx, self.PH, self.PW, self.TH, TW)

    def _strips(self, a, width):
        """(C, rows, nb, width) view of a wide image a (1, C, rows, nb * pitch [- 2])."""
        C, rows, total = a.shape[1:]
        nb = -(-total // self.pitch)
        st = a.strides
        return np.lib.stride_tricks.as_strided(a[0], (C, rows, nb, width), (st[1], st[2], self.pitch * st[3], st[3]))

    def _inputs_of(self, wide):
        """(C, H, nb, W) view of each image's own columns in a wide input (after its PW zeros)."""
        return self._strips(wide, self.PW + self.W)[..., self.PW:]


def _winograd(x, u, bias, y, PH, PW, G=1):
    """y = the 3x3 stride-1 convolution of x (padding PH, PW) with the transformed filters u
    (36, F, C), plus bias: per cache-sized block of samples, input transform -> 36 GEMMs ->
    output transform, each thread on its own slice of the batch."""
    N, C, H, W = x.shape
    F, OH, OW = y.shape[1:]
    lay = _Layout(N, H, W, OH, OW, PH, PW)

    def run(p):
        for block in _blocks(p, lay.per_image, C, F, x.itemsize):
            T, TW = lay.tiles(block.stop - block.start)
            V = _tile_buffer("wino_v", C, T, x.dtype)
            M = _tile_buffer("wino_m", F, T, x.dtype)
            lay.input_transform(x[block], V, T, TW)
            Vm, Mm = _matrices(V, C, T), _matrices(M, F, T)
            for cs, fs in _groups(G, C, F):  # u is (36, F, C/G): each group's filters see its channels
                np.matmul(u[:, fs], Vm[:, cs], out=Mm[:, fs])
            lay.output_transform(M, T, bias, y[block], TW)
    with single_threaded_blas():
        run_parallel(run, parts(N, N * F * C * wino.P * lay.per_image, CONV_MIN_MACS_PER_THREAD))


def _winograd_backward(grad_out, x, weight, dx, PH, PW, needs, G=1):
    """The gradients of a 3x3 stride-1 convolution from one transform of dY per block of samples,
    D = A dY A^T: dx (written into ``dx`` if needs[0]) as the transpose of the input transform
    applied to U^T D (36 GEMMs (C x F) @ (F x T)), and dW (returned if needs[1]) as G^T [sum over
    the tiles of D . V] G, V the input's transform (36 GEMMs (F x T) @ (T x C))."""
    N, C, H, W = x.shape
    F, OH, OW = grad_out.shape[1:]
    lay = _Layout(N, H, W, OH, OW, PH, PW)
    u_t = _filter_transform(weight).transpose(0, 2, 1) if needs[0] else None  # (36, C/G, F)

    def run(p):
        m = np.zeros((wino.P, F, C // G), x.dtype) if needs[1] else None
        for block in _blocks(p, lay.per_image, C, F, x.itemsize):
            T, TW = lay.tiles(block.stop - block.start)
            V = _tile_buffer("wino_v", C, T, x.dtype)
            D = _tile_buffer("wino_m", F, T, x.dtype)
            lay.grad_transform(grad_out[block], D, T, TW)
            if needs[1]:
                lay.input_transform(x[block], V, T, TW)
                Dm, Vm = _matrices(D, F, T), _matrices(V, C, T)
                for cs, fs in _groups(G, C, F):
                    m[:, fs] += np.matmul(Dm[:, fs], Vm[:, cs].transpose(0, 2, 1))
            if needs[0]:  # V's buffer now takes dV = U^T D
                Dm, Vm = _matrices(D, F, T), _matrices(V, C, T)
                for cs, fs in _groups(G, C, F):  # u_t is (36, C/G, F)
                    np.matmul(u_t[:, :, fs], Dm[:, fs], out=Vm[:, cs])
                lay.input_transform_adjoint(V, T, dx[block], TW)
        return m
    with single_threaded_blas():
        ms = run_parallel(run, parts(N, N * F * C * wino.P * lay.per_image, CONV_MIN_MACS_PER_THREAD))
    return _filter_gradient(reduce_sum(ms)) if needs[1] else None


# Extra elements per row of a tile buffer (see kernels/_winograd.py: keeps the rows' strides off
# multiples of 4 KiB).
_TILE_ROW_GAP = 16


def _tile_buffer(role, channels, T, dtype):
    return workspace.get(role, (wino.P, channels * T + _TILE_ROW_GAP), dtype)


def _matrices(buf, channels, T):
    """The (36, channels, T) view of a tile buffer that the GEMMs take."""
    return buf[:, :channels * T].reshape(wino.P, channels, T)

