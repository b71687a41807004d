"""Winograd's minimal filtering F(2x2, 3x3): the jitted tile transforms behind the numba
implementation's 3x3 stride-1 convolutions.

A 3x3 convolution computes each 2x2 block ("tile") of outputs from a 4x4 block of the padded
input. Winograd's algorithm does it with 16 products instead of 36:

    Y = A^T [ U . V ] A,   U = G w G^T (the 3x3 filter, 4x4 after the transform),
                           V = B^T d B (the 4x4 input tile d),

and summed over input channels the 16 elementwise products become 16 GEMMs of (F x C) @ (C x T),
T being the number of tiles: 2.25x fewer multiply-adds than im2col's one GEMM, from a 4x (not 9x)
expansion of the input. The transforms use only 1 and 1/2, so float32 loses no more than a few
ulps over the direct sum (the agreement tests bound it).

The gradients reuse the same matrices:
- dx is the forward transform applied to dY with the filters flipped and transposed, padded by
  2 - P on each side (a full correlation), so it needs no kernel of its own;
- dW, by the adjoint of the forward identity, is  G^T [ sum over tiles (A dY_tile A^T) . V ] G,
  where dY_tile is a 2x2 block of the output gradient: 16 GEMMs (F x T) @ (T x C) and a 4x4 -> 3x3
  transform of an (F, C) array per position.

Layouts: V and the transformed gradient are (16, channels * T) buffers, channel c's T tiles at
columns c*T to (c + 1)*T, so each of the 16 positions is a (channels, T) matrix with the tile index
contiguous for the GEMMs; TH, TW = ceil(OH/2), ceil(OW/2). The buffers' rows are longer than
channels * T by a few elements: 16 streams whose strides are multiples of 4 KiB land in the same
L1 cache set (measured: the gradient transform of shape C 33 ms, 4.4 ms with the gap).
"""
import numpy as np
from numba import njit

__all__ = ["BT", "G", "AT", "filter_transform", "filter_gradient", "input_transform", "output_transform",
           "grad_transform", "tiles"]

_jit = njit(cache=True, nogil=True)

# The transforms of Lavin & Gray (2016), interpolation points 0, 1, -1 and infinity.
BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64)


def tiles(OH, OW):
    """(TH, TW), the tiles per image, and T, the tile columns per image in the transformed layouts
    (each row of tiles carries one padding tile: see input_transform)."""
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    return TH, TW, TH * (TW + 1)


def filter_transform(w):
    """U (16, F, C) from w (F, C, 3, 3), computed in float64 and returned in w's dtype."""
    F, C = w.shape[:2]
    u = np.einsum("ik,fckl,jl->ijfc", G, w.astype(np.float64), G)
    return np.ascontiguousarray(u.reshape(16, F, C), dtype=w.dtype)


def filter_gradient(m):
    """dW (F, C, 3, 3) from the summed products m (16, F, C): G^T m G at every (f, c)."""
    F, C = m.shape[1:]
    dw = np.einsum("ik,ijfc,jl->fckl", G, m.reshape(4, 4, F, C).astype(np.float64), G)
    return np.ascontiguousarray(dw, dtype=m.dtype)


@_jit
def _parity_planes(plane, Q, PH, PW, S):
    """Q[2*rp + cp, a*S + b] = the zero-padded plane's pixel (2a + rp, 2b + cp): the padded plane split
    by row and column parity, so every tile's 16 inputs sit at fixed offsets from its flat tile index.
    Entries outside the input were zeroed when Q was made and are never written."""
    H, W = plane.shape
    row = np.zeros(2 * S, plane.dtype)
    for ih in range(H):
        r = ih + PH
        row[PW:PW + W] = plane[ih]
        even, odd = Q[2 * (r % 2)], Q[2 * (r % 2) + 1]
        o = (r // 2) * S
        for b in range(S):
            even[o + b] = row[2 * b]
            odd[o + b] = row[2 * b + 1]


@_jit
def input_transform(x, V, T, PH, PW, TH, TW):
    """V[4*i + j, c*T + n*TH*S + th*S + tw] = (B^T d B)[i, j], d the 4x4 tile of the zero-padded input at
    (2*th, 2*tw); S = TW + 1: each row of tiles carries one padding tile (tw = TW), so the column
    transform runs over a whole plane's tiles in one loop. Each stage is a loop over few arrays:
    fused into one loop over 32 arrays, LLVM no longer vectorized it (2x slower on shape C)."""
    N, C, H, W = x.shape
    S = TW + 1
    L = TH * S
    Q = np.zeros((4, (TH + 1) * S + 1), x.dtype)
    R = np.zeros((8, L + 1), x.dtype)  # the row transform of even and odd columns, i = 0..3
    for n in range(N):
        for c in range(C):
            _parity_planes(x[n, c], Q, PH, PW, S)
            # B^T along the rows: (d0 - d2, d1 + d2, d2 - d1, d1 - d3), rows 2*th + (0, 1, 2, 3)
            for cp in range(2):
                top, bottom = Q[cp], Q[2 + cp]  # even and odd padded rows, this column parity
                r0, r1, r2, r3 = R[cp], R[2 + cp], R[4 + cp], R[6 + cp]
                for q in range(L):
                    d0, d1, d2, d3 = top[q], bottom[q], top[q + S], bottom[q + S]
                    r0[q] = d0 - d2
                    r1[q] = d1 + d2
                    r2[q] = d2 - d1
                    r3[q] = d1 - d3
            # and along the columns
            for i in range(4):
                even, odd = R[2 * i], R[2 * i + 1]
                o = c * T + n * L
                v0, v1 = V[4 * i, o:o + L], V[4 * i + 1, o:o + L]
                v2, v3 = V[4 * i + 2, o:o + L], V[4 * i + 3, o:o + L]
                for q in range(L):
                    v0[q] = even[q] - even[q + 1]
                    v1[q] = odd[q] + even[q + 1]
                    v2[q] = even[q + 1] - odd[q]
                    v3[q] = odd[q] - odd[q + 1]


@_jit
def output_transform(M, T, bias, y, TH, TW):
    """y[n, f, 2*th + a, 2*tw + b] = (A^T m A)[a, b] + bias[f], m the 16 values of tile (n, th, tw) of
    M[:, f*T:(f + 1)*T], laid out as in input_transform; padding tiles and the odd last row or column are dropped."""
    N, F, OH, OW = y.shape
    S = TW + 1
    L = TH * S
    out = np.empty((4, L), y.dtype)
    for n in range(N):
        for f in range(F):
            m = M[:, f * T + n * L:f * T + (n + 1) * L]
            bf = bias[f]
            for q in range(L):
                # A^T along the columns: s_i = (m_i0 + m_i1 + m_i2, m_i1 - m_i2 - m_i3)
                s00, s01 = m[0, q] + m[1, q] + m[2, q], m[1, q] - m[2, q] - m[3, q]
                s10, s11 = m[4, q] + m[5, q] + m[6, q], m[5, q] - m[6, q] - m[7, q]
                s20, s21 = m[8, q] + m[9, q] + m[10, q], m[9, q] - m[10, q] - m[11, q]
                s30, s31 = m[12, q] + m[13, q] + m[14, q], m[13, q] - m[14, q] - m[15, q]
                # and along the rows
                out[0, q] = s00 + s10 + s20 + bf
                out[1, q] = s01 + s11 + s21 + bf
                out[2, q] = s10 - s20 - s30 + bf
                out[3, q] = s11 - s21 - s31 + bf
            for oh in range(OH):
                a, th = oh % 2, oh // 2
                even, odd = out[2 * a, th * S:], out[2 * a + 1, th * S:]
                row = y[n, f, oh]
                for tw in range(OW // 2):
                    row[2 * tw] = even[tw]
                    row[2 * tw + 1] = odd[tw]
                if OW % 2:
                    row[OW - 1] = even[TW - 1]


@_jit
def grad_transform(dy, D, T, TH, TW):
    """D[4*i + j, f*T + n*TH*S + th*S + tw] = (A g A^T)[i, j], g the 2x2 tile of dy at (2*th, 2*tw), in
    the layout of input_transform; zero on padding tiles and past an odd-sized edge, so those add
    nothing to the weight gradient."""
    N, F, OH, OW = dy.shape
    S = TW + 1
    L = TH * S
    Z = np.zeros((4, L), dy.dtype)  # dy split by row and column parity
    for n in range(N):
        for f in range(F):
            plane = dy[n, f]
            for oh in range(OH):
                even, odd = Z[2 * (oh % 2)], Z[2 * (oh % 2) + 1]
                o = (oh // 2) * S
                for tw in range(OW // 2):
                    even[o + tw] = plane[oh, 2 * tw]
                    odd[o + tw] = plane[oh, 2 * tw + 1]
                if OW % 2:
                    even[o + TW - 1] = plane[oh, OW - 1]
            g00, g01, g10, g11 = Z[0], Z[1], Z[2], Z[3]
            d = D[:, f * T + n * L:f * T + (n + 1) * L]
            for q in range(L):
                # A along the rows: p = (g0, g0 + g1, g0 - g1, -g1), then along the columns
                p00, p01 = g00[q], g01[q]
                p10, p11 = g00[q] + g10[q], g01[q] + g11[q]
                p20, p21 = g00[q] - g10[q], g01[q] - g11[q]
                p30, p31 = -g10[q], -g11[q]
                d[0, q], d[1, q], d[2, q], d[3, q] = p00, p00 + p01, p00 - p01, -p01
                d[4, q], d[5, q], d[6, q], d[7, q] = p10, p10 + p11, p10 - p11, -p11
                d[8, q], d[9, q], d[10, q], d[11, q] = p20, p20 + p21, p20 - p21, -p21
                d[12, q], d[13, q], d[14, q], d[15, q] = p30, p30 + p31, p30 - p31, -p31
