"""Winograd's minimal filtering F(4x4, 3x3): the jitted tile transforms behind the numba
implementation's 3x3 stride-1 convolutions.

A 3x3 convolution computes each 4x4 block ("tile") of outputs from a 6x6 block of the padded
input. Winograd's algorithm does it with 36 products instead of 144:

    Y = A^T [ U . V ] A,   U = G w G^T (the 3x3 filter, 6x6 after the transform),
                           V = B^T d B (the 6x6 input tile d),

and summed over input channels the 36 elementwise products become 36 GEMMs of (F x C) @ (C x T),
T being the number of tiles: 4x fewer multiply-adds than im2col's one GEMM, from a 2.25x (not 9x)
expansion of the input. The price is precision: the transforms' interpolation points 0, +-1, +-2,
+-1/2 carry factors up to 8 (A) and 5 (B), so float32 rounding grows to about 4x that of a direct
sum (measured 2e-6 of the output's scale for 64 channels against 6e-7; the agreement tests bound it
at 2e-5). Points 0, +-1 alone (F(2x2, 3x3), 2.25x fewer products) were this module's first version;
the larger tiles made shapes C, D and E 1.3-1.9x faster end to end (docs/PERFORMANCE.md).

The gradients reuse the same matrices and share one transform of the output gradient,
D = A dY_tile A^T (dY_tile a 4x4 block of it), by the adjoint of the forward identity:
- dx: dV = U^T D at each of the 36 positions ((C x F) @ (F x T) GEMMs), then B dV B^T added back
  onto the input tiles it came from (input_transform_adjoint, the transpose of input_transform).
  An earlier version ran the forward transform over dY padded by 2 - P with the filters flipped
  (a full correlation); it transformed F planes of 7x7 tiles where this transforms C planes of 6x6
  (shape E's backward 1.35x faster);
- dW = G^T [ sum over tiles D . V ] G: 36 GEMMs (F x T) @ (T x C) and a 6x6 -> 3x3 transform of
  an (F, C) array per position.

Layouts: V and the transformed gradient are (36, channels * T) buffers, channel c's T tiles at
columns c*T to (c + 1)*T, so each of the 36 positions is a (channels, T) matrix with the tile index
contiguous for the GEMMs. Per image, tile (th, tw) is column th*S + tw with S = TW + 1: each row of
tiles carries one padding tile, so a transform's neighbour "one tile to the right" is always the
next column and every stage is one flat loop over a plane's tiles. TH, TW = ceil(OH/4), ceil(OW/4).
The buffers' rows are longer than channels * T by a few elements: streams whose strides are
multiples of 4 KiB land in the same L1 cache set (on F(2x2, 3x3) the gap made the gradient transform
of shape C 7x faster).

Every stage reads and writes few arrays in one loop: LLVM vectorizes those; a loop over all 36
(measured on F(2x2, 3x3) with 32) it did not.
"""
import numpy as np
from numba import njit

__all__ = ["BT", "G", "AT", "P", "filter_transform", "filter_gradient", "input_transform", "input_transform_adjoint",
           "output_transform", "grad_transform", "tiles"]

_jit = njit(cache=True, nogil=True, fastmath={"contract"})
_inline = njit(cache=True, nogil=True, inline="always")

# The transforms of Lavin & Gray (2016) for F(4x4, 3x3), interpolation points 0, 1, -1, 2, -2, infinity.
BT = np.array([[4, 0, -5, 0, 1, 0],
               [0, -4, -4, 1, 1, 0],
               [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0],
               [0, 2, -1, -2, 1, 0],
               [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0],
              [-1 / 6, -1 / 6, -1 / 6],
              [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6],
              [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0],
               [0, 1, -1, 2, -2, 0],
               [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], np.float64)
P = 36  # transformed values per tile


def tiles(OH, OW):
    """(TH, TW), the tiles per image, and the tile columns per image in the transformed layouts,
    TH * (TW + 1) (each row of tiles carries one padding tile)."""
    TH, TW = (OH + 3) // 4, (OW + 3) // 4
    return TH, TW, TH * (TW + 1)


# K[6i + j, 3a + b] = G[i, a] * G[j, b]: G w G^T of a filter w is K @ w.ravel(), so the transforms of
# all F*C filters are one GEMM (the per-filter loops they replace took 4 ms on 256 x 256 filters,
# the GEMM 0.1 ms), and the filter gradient G^T m G is the transposed product.
_K = np.kron(G, G)


def filter_transform(w):
    """U (36, F, C) from w (F, C, 3, 3): G w G^T at every (f, c), one GEMM in w's dtype."""
    F, C = w.shape[:2]
    flat = np.ascontiguousarray(w).reshape(F * C, 9)
    return np.dot(_K.astype(w.dtype), flat.T).reshape(P, F, C)


def filter_gradient(m):
    """dW (F, C, 3, 3) from the summed products m (36, F, C): G^T m G at every (f, c), one GEMM."""
    F, C = m.shape[1:]
    flat = np.ascontiguousarray(m).reshape(P, F * C)
    return np.dot(flat.T, _K.astype(m.dtype)).reshape(F, C, 3, 3)


@_inline
def _bt6(d0, d1, d2, d3, d4, d5, v0, v1, v2, v3, v4, v5, q):
    """(v0..v5)[q] = B^T (d0..d5): one 6-point input transform."""
    a, b = d4 - 4 * d2, 4 * d1 - d3
    c, e = d4 - d2, 2 * (d1 - d3)
    v0[q] = 4 * d0 - 5 * d2 + d4
    v1[q] = a - b
    v2[q] = a + b
    v3[q] = c - e
    v4[q] = c + e
    v5[q] = 4 * d1 - 5 * d3 + d5


@_jit
def input_transform(x, V, T, PH, PW, TH, TW):
    """V[6*i + j, c*T + n*TH*S + th*S + tw] = (B^T d B)[i, j], d the 6x6 tile of the zero-padded input at
    (4*th, 4*tw), S = TW + 1. The padded plane is first split into 16 phase planes by row and column
    remainder mod 4, Q[4*rp + cp, a*S + b] = pixel (4a + rp, 4b + cp), so that tile input (k, l) is
    phase plane (k % 4, l % 4) at the tile's own flat index plus (k // 4)*S + l // 4; then B^T runs
    along the rows (R) and along the columns (V)."""
    N, C, H, W = x.shape
    S = TW + 1
    L = TH * S
    Q = np.zeros((16, (TH + 1) * S + 1), x.dtype)  # entries outside the input stay zero
    R = np.empty((24, L + 1), x.dtype)  # R[4*i + cp]: B^T along the rows, column phase cp
    row = np.zeros(4 * S, x.dtype)
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for ih in range(H):
                r = ih + PH
                src = plane[ih]
                for iw in range(W):  # NOTE: a loop; the slice assignment cost 50 ns a row
                    row[PW + iw] = src[iw]
                o = (r // 4) * S
                q0, q1, q2, q3 = Q[4 * (r % 4)], Q[4 * (r % 4) + 1], Q[4 * (r % 4) + 2], Q[4 * (r % 4) + 3]
                for b in range(S):
                    q0[o + b] = row[4 * b]
                    q1[o + b] = row[4 * b + 1]
                    q2[o + b] = row[4 * b + 2]
                    q3[o + b] = row[4 * b + 3]
            for cp in range(4):
                d0, d1, d2, d3 = Q[cp], Q[4 + cp], Q[8 + cp], Q[12 + cp]
                d4, d5 = Q[cp, S:], Q[4 + cp, S:]
                for q in range(L + 1):
                    _bt6(d0[q], d1[q], d2[q], d3[q], d4[q], d5[q],
                         R[cp], R[4 + cp], R[8 + cp], R[12 + cp], R[16 + cp], R[20 + cp], q)
            o = c * T + n * L
            for i in range(6):
                e0, e1, e2, e3 = R[4 * i], R[4 * i + 1], R[4 * i + 2], R[4 * i + 3]
                e4, e5 = R[4 * i, 1:], R[4 * i + 1, 1:]
                # NOTE: 1-D row slices: a 2-D slice of V would be non-contiguous and stop LLVM vectorizing.
                v0, v1, v2 = V[6 * i, o:o + L], V[6 * i + 1, o:o + L], V[6 * i + 2, o:o + L]
                v3, v4, v5 = V[6 * i + 3, o:o + L], V[6 * i + 4, o:o + L], V[6 * i + 5, o:o + L]
                for q in range(L):
                    _bt6(e0[q], e1[q], e2[q], e3[q], e4[q], e5[q], v0, v1, v2, v3, v4, v5, q)


@_inline
def _b6(v0, v1, v2, v3, v4, v5, e0, e1, e2, e3, e4, e5, q):
    """(e0..e5)[q] = B (v0..v5), B = BT's transpose: the adjoint of one input transform."""
    a, b = v1 + v2, v3 + v4
    c, d = v2 - v1, v3 - v4
    e0[q] = 4 * v0
    e1[q] = 4 * (c + v5) - 2 * d
    e2[q] = -5 * v0 - 4 * a - b
    e3[q] = 2 * d - c - 5 * v5
    e4[q] = v0 + a + b
    e5[q] = v5


@_jit
def input_transform_adjoint(dV, T, dx, PH, PW, TH, TW):
    """dx[n, c] = the sum over tiles of B dv B^T, dv the 36 values of tile (n, th, tw) of
    dV[:, c*T:(c + 1)*T] (input_transform's layout), each added to the zero-padded plane at
    (4*th, 4*tw) and the padding cropped off: the transpose of input_transform. Its stages undo
    input_transform's in reverse order: B along the columns (into R), B along the rows (into the
    phase planes Q), then the phase planes interleaved back into rows."""
    N, C, H, W = dx.shape
    S = TW + 1
    L = TH * S
    # NOTE: entries of these scratch rows that no loop writes stay zero: they stand for the tiles
    # before the first and after the last, so the shifted adds below need no bounds tests.
    E = np.zeros((4, L + 1), dx.dtype)  # B along the columns, outputs 0, 1, 4, 5 of one row i
    R = np.zeros((24, L + 1), dx.dtype)  # R[4*i + cp]: column phase cp
    Fk = np.zeros((6, (TH + 2) * S + 1), dx.dtype)  # B along the rows, output k at S + t
    Q = np.empty((16, (TH + 1) * S + 1), dx.dtype)
    row = np.empty(4 * S, dx.dtype)
    for n in range(N):
        for c in range(C):
            o = c * T + n * L
            for i in range(6):
                v0, v1, v2 = dV[6 * i, o:o + L], dV[6 * i + 1, o:o + L], dV[6 * i + 2, o:o + L]
                v3, v4, v5 = dV[6 * i + 3, o:o + L], dV[6 * i + 4, o:o + L], dV[6 * i + 5, o:o + L]
                e0, e1, e4, e5 = E[0], E[1], E[2], E[3]
                r0, r1, r2, r3 = R[4 * i], R[4 * i + 1], R[4 * i + 2], R[4 * i + 3]
                for q in range(L):
                    _b6(v0[q], v1[q], v2[q], v3[q], v4[q], v5[q], e0, e1, r2, r3, e4, e5, q)
                # outputs 4 and 5 belong to the next tile's phases 0 and 1
                r0[0], r1[0] = e0[0], e1[0]
                for q in range(L):
                    r0[q + 1] = e0[q + 1] + e4[q]
                    r1[q + 1] = e1[q + 1] + e5[q]
            for cp in range(4):
                f0, f1, f2, f3, f4, f5 = Fk[0, S:], Fk[1, S:], Fk[2, S:], Fk[3, S:], Fk[4, S:], Fk[5, S:]
                for t in range(L + 1):
                    _b6(R[cp, t], R[4 + cp, t], R[8 + cp, t], R[12 + cp, t], R[16 + cp, t], R[20 + cp, t],
                        f0, f1, f2, f3, f4, f5, t)
                # outputs 4 and 5 belong to the next tile row's row phases 0 and 1 (Fk[4] is f4 one
                # tile row later)
                q0, q1, q2, q3 = Q[cp], Q[4 + cp], Q[8 + cp], Q[12 + cp]
                g4, g5 = Fk[4], Fk[5]
                for t in range((TH + 1) * S + 1):
                    q0[t] = f0[t] + g4[t]
                    q1[t] = f1[t] + g5[t]
                    q2[t] = f2[t]
                    q3[t] = f3[t]
            for ih in range(H):
                r = ih + PH
                o = (r // 4) * S
                p0, p1, p2, p3 = Q[4 * (r % 4), o:], Q[4 * (r % 4) + 1, o:], Q[4 * (r % 4) + 2, o:], Q[4 * (r % 4) + 3, o:]
                for b in range(S):
                    row[4 * b] = p0[b]
                    row[4 * b + 1] = p1[b]
                    row[4 * b + 2] = p2[b]
                    row[4 * b + 3] = p3[b]
                dst = dx[n, c, ih]
                for iw in range(W):
                    dst[iw] = row[PW + iw]


@_inline
def _at6(m0, m1, m2, m3, m4, m5, s0, s1, s2, s3, q, bias):
    """(s0..s3)[q] = A^T (m0..m5) + bias: one 6-point output transform."""
    a, b = m1 + m2, m3 + m4
    c, e = m1 - m2, m3 - m4
    s0[q] = m0 + a + b + bias
    s1[q] = c + 2 * e + bias
    s2[q] = a + 4 * b + bias
    s3[q] = c + 8 * e + m5 + bias


@_jit
def output_transform(M, T, bias, y, TH, TW):
    """y[n, f, 4*th + a, 4*tw + b] = (A^T m A)[a, b] + bias[f], m the 36 values of tile (n, th, tw) of
    M[:, f*T:(f + 1)*T], laid out as in input_transform; padding tiles and the rows and columns past
    the output's edge are dropped."""
    N, F, OH, OW = y.shape
    S = TW + 1
    L = TH * S
    s = np.empty((24, L), y.dtype)  # s[4*i + b]: A^T along the columns
    out = np.empty((16, L), y.dtype)  # out[4*a + b]
    zero = y.dtype.type(0)
    for n in range(N):
        for f in range(F):
            o = f * T + n * L
            for i in range(6):
                m0, m1, m2 = M[6 * i, o:o + L], M[6 * i + 1, o:o + L], M[6 * i + 2, o:o + L]
                m3, m4, m5 = M[6 * i + 3, o:o + L], M[6 * i + 4, o:o + L], M[6 * i + 5, o:o + L]
                for q in range(L):
                    _at6(m0[q], m1[q], m2[q], m3[q], m4[q], m5[q], s[4 * i], s[4 * i + 1], s[4 * i + 2],
                         s[4 * i + 3], q, zero)
            bf = bias[f]
            for b in range(4):
                t0, t1, t2, t3, t4, t5 = s[b], s[4 + b], s[8 + b], s[12 + b], s[16 + b], s[20 + b]
                for q in range(L):
                    _at6(t0[q], t1[q], t2[q], t3[q], t4[q], t5[q], out[b], out[4 + b], out[8 + b],
                         out[12 + b], q, bf)
            full = OW // 4
            for oh in range(OH):
                a, o = oh % 4, (oh // 4) * S
                o0, o1, o2, o3 = out[4 * a, o:], out[4 * a + 1, o:], out[4 * a + 2, o:], out[4 * a + 3, o:]
                dst = y[n, f, oh]
                for tw in range(full):
                    dst[4 * tw] = o0[tw]
                    dst[4 * tw + 1] = o1[tw]
                    dst[4 * tw + 2] = o2[tw]
                    dst[4 * tw + 3] = o3[tw]
                for b in range(OW - 4 * full):
                    dst[4 * full + b] = out[4 * a + b, o + full]


@_inline
def _a6(g0, g1, g2, g3, p0, p1, p2, p3, p4, p5, q):
    """(p0..p5)[q] = A (g0..g3), A = AT's transpose: the adjoint of one output transform."""
    a, b = g0 + g2, g1 + g3
    c, e = g0 + 4 * g2, 2 * g1 + 8 * g3
    p0[q] = g0
    p1[q] = a + b
    p2[q] = a - b
    p3[q] = c + e
    p4[q] = c - e
    p5[q] = g3


@_jit
def grad_transform(dy, D, T, TH, TW):
    """D[6*k + l, f*T + n*TH*S + th*S + tw] = (A g A^T)[k, l], g the 4x4 tile of dy at (4*th, 4*tw), in
    the layout of input_transform; zero on padding tiles and past the edge, so those add nothing to
    the weight gradient."""
    N, F, OH, OW = dy.shape
    S = TW + 1
    L = TH * S
    Z = np.zeros((16, L), dy.dtype)  # Z[4*(oh % 4) + ow % 4, (oh // 4)*S + ow // 4]; the rest stays zero
    p = np.empty((24, L), dy.dtype)  # p[4*k + b]: A along the rows
    full = OW // 4
    for n in range(N):
        for f in range(F):
            plane = dy[n, f]
            for oh in range(OH):
                a, o = oh % 4, (oh // 4) * S
                z0, z1, z2, z3 = Z[4 * a, o:], Z[4 * a + 1, o:], Z[4 * a + 2, o:], Z[4 * a + 3, o:]
                src = plane[oh]
                for tw in range(full):
                    z0[tw] = src[4 * tw]
                    z1[tw] = src[4 * tw + 1]
                    z2[tw] = src[4 * tw + 2]
                    z3[tw] = src[4 * tw + 3]
                for b in range(OW - 4 * full):
                    Z[4 * a + b, o + full] = src[4 * full + b]
            for b in range(4):
                g0, g1, g2, g3 = Z[b], Z[4 + b], Z[8 + b], Z[12 + b]
                for q in range(L):
                    _a6(g0[q], g1[q], g2[q], g3[q], p[b], p[4 + b], p[8 + b], p[12 + b], p[16 + b], p[20 + b], q)
            o = f * T + n * L
            for k in range(6):
                h0, h1, h2, h3 = p[4 * k], p[4 * k + 1], p[4 * k + 2], p[4 * k + 3]
                d0, d1, d2 = D[6 * k, o:o + L], D[6 * k + 1, o:o + L], D[6 * k + 2, o:o + L]
                d3, d4, d5 = D[6 * k + 3, o:o + L], D[6 * k + 4, o:o + L], D[6 * k + 5, o:o + L]
                for q in range(L):
                    _a6(h0[q], h1[q], h2[q], h3[q], d0, d1, d2, d3, d4, d5, q)
