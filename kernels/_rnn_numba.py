"""The numba gate kernels of kernels/_rnn.py (imported lazily, by ``kernels._rnn.kernels_for``).

Same signatures as the NumPy kernels there. NumPy's SIMD tanh/exp run ~10x faster than a scalar
libm call, so float32 tanh here is a rational minimax approximation that LLVM vectorizes (within
3e-7 of tanh: float32 round-off) and sigmoid(x) = 0.5 + 0.5 tanh(x / 2); float64 calls libm (exact
to 1e-16) because float64 is the dtype of the gradient checks. The choice is made by the
argument's type when numba compiles a kernel, so each compiled loop holds only one of the two.
Constants are float32 scalars so that float32 arithmetic stays float32 (a Python literal would
promote it to float64).

Loop shape. A loop that reads and writes many arrays does not vectorize (LLVM gives up on the
run-time checks that the arrays do not overlap), so each kernel is a few short loops per batch row
with two or three arrays each: an LSTM step with one loop over all four gates was 92 us at
batch 64, hidden 128; its activation loop over the row's 4H gate columns plus a loop for c and h
is 13 us. All four gates go through one loop as ``(1 - s) + s * tanh(s * a)``, with s = 1/2
(sigmoid) or 1 (tanh) per column.
"""
import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from kernels._blas_numba import gemm

# error_model='numpy': float division without numba's ZeroDivisionError check, which otherwise
# stops LLVM from vectorizing the loops; `contract` allows FMAs.
_inline = njit(inline="always", error_model="numpy", fastmath={"contract"})
_jit = njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})

# tanh's rational minimax approximation on [-CLAMP, CLAMP] (numerator odd, degree 13; denominator
# even, degree 6), float32 coefficients. Beyond the clamp tanh is 1 to float32 precision.
_F = np.float32
_A1, _A3, _A5, _A7 = _F(4.89352455891786e-03), _F(6.37261928875436e-04), _F(1.48572235717979e-05), \
    _F(5.12229709037114e-08)
_A9, _A11, _A13 = _F(-8.60467152213735e-11), _F(2.00018790482477e-13), _F(-2.76076847742355e-16)
_B0, _B2, _B4, _B6 = _F(4.89352518554385e-03), _F(2.26843463243900e-03), _F(1.18534705686654e-04), \
    _F(1.19825839466702e-06)
_CLAMP = _F(7.90531110763549805)
_HALF, _ONE, _ZERO = _F(0.5), _F(1.0), _F(0.0)


@_inline
def _tanh_fast(x):
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = ((((((_A13 * x2 + _A11) * x2 + _A9) * x2 + _A7) * x2 + _A5) * x2 + _A3) * x2 + _A1) * x
    q = ((_B6 * x2 + _B4) * x2 + _B2) * x2 + _B0
    return p / q


def _tanh(x):
    """tanh in the argument's precision: the vectorizable approximation for float32, libm's for
    float64 (chosen when numba types the call, so each loop holds one of the two)."""
    return math.tanh(x)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@overload(_tanh, inline="always")
def _tanh_typed(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _tanh_fast(x)
    return lambda x: math.tanh(x)


@overload(_sigmoid, inline="always")
def _sigmoid_typed(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _HALF + _HALF * _tanh_fast(_HALF * x)
    return lambda x: _ONE / (_ONE + math.exp(-x))


@_jit
def _gate_scales(n_sigmoid_first, n_tanh, n_sigmoid_last, dtype_of):
    """Per gate column, s of ``(1 - s) + s * tanh(s * a)``: 1/2 gives sigmoid(a), 1 gives tanh(a)."""
    s = np.empty(n_sigmoid_first + n_tanh + n_sigmoid_last, dtype_of.dtype)
    s[:n_sigmoid_first] = _HALF
    s[n_sigmoid_first:n_sigmoid_first + n_tanh] = _ONE
    s[n_sigmoid_first + n_tanh:] = _HALF
    return s


@_jit
def lstm_forward_step(xg, hg, bias, c, gates, h):
    b, H = c.shape
    s = _gate_scales(2 * H, H, H, xg)
    for r in range(b):
        xr, hr, gr = xg[r], hg[r], gates[r]
        for j in range(4 * H):
            sj = s[j]
            gr[j] = (_ONE - sj) + sj * _tanh(sj * (xr[j] + hr[j] + bias[j]))
        cr, hh = c[r], h[r]
        for j in range(H):
            cc = gr[H + j] * cr[j] + gr[j] * gr[2 * H + j]
            cr[j] = cc
            hh[j] = gr[3 * H + j] * _tanh(cc)


@_jit
def lstm_backward_step(gates, c_prev, dh, dc, dgates):
    b, H = c_prev.shape
    tc = np.empty(H, gates.dtype)
    for r in range(b):
        gr, cp, dhr, dcr, dg = gates[r], c_prev[r], dh[r], dc[r], dgates[r]
        for j in range(H):
            tc[j] = _tanh(gr[H + j] * cp[j] + gr[j] * gr[2 * H + j])
        for j in range(H):
            o = gr[3 * H + j]
            t = tc[j]
            dcr[j] += dhr[j] * o * (_ONE - t * t)  # dc of this step's c, all paths
            dg[3 * H + j] = dhr[j] * t * o * (_ONE - o)
        for j in range(H):
            i = gr[j]
            dg[j] = dcr[j] * gr[2 * H + j] * i * (_ONE - i)
        for j in range(H):
            f = gr[H + j]
            dg[H + j] = dcr[j] * cp[j] * f * (_ONE - f)
        for j in range(H):
            g = gr[2 * H + j]
            dg[2 * H + j] = dcr[j] * gr[j] * (_ONE - g * g)
        for j in range(H):
            dcr[j] *= gr[H + j]


@_jit
def gru_forward_step(xg, hg, b_ih, b_hh, h, gates):
    b, H = h.shape
    for r in range(b):
        xr, hr, gr, hh = xg[r], hg[r], gates[r], h[r]
        for j in range(2 * H):
            gr[j] = _sigmoid(xr[j] + b_ih[j] + hr[j] + b_hh[j])
        for j in range(H):
            gr[3 * H + j] = hr[2 * H + j] + b_hh[2 * H + j]
        for j in range(H):
            gr[2 * H + j] = _tanh(xr[2 * H + j] + b_ih[2 * H + j] + gr[j] * gr[3 * H + j])
        for j in range(H):
            n = gr[2 * H + j]
            hh[j] = n + gr[H + j] * (hh[j] - n)


@_jit
def gru_backward_step(gates, h_prev, dh, dgx, dgh):
    b, H = h_prev.shape
    for r in range(b):
        gr, hp, dhr, gx, gh = gates[r], h_prev[r], dh[r], dgx[r], dgh[r]
        for j in range(H):
            z, n = gr[H + j], gr[2 * H + j]
            gx[2 * H + j] = dhr[j] * (_ONE - z) * (_ONE - n * n)
        for j in range(H):
            z, n = gr[H + j], gr[2 * H + j]
            gx[H + j] = dhr[j] * (hp[j] - n) * z * (_ONE - z)
        for j in range(H):
            rr = gr[j]
            gx[j] = gx[2 * H + j] * gr[3 * H + j] * rr * (_ONE - rr)
        for j in range(2 * H):
            gh[j] = gx[j]
        for j in range(H):
            gh[2 * H + j] = gx[2 * H + j] * gr[j]
        for j in range(H):
            dhr[j] *= gr[H + j]


@_jit
def rnn_forward_step(xg, hg, bias, h, relu):
    b, H = h.shape
    for r in range(b):
        xr, hr, hh = xg[r], hg[r], h[r]
        if relu:
            for j in range(H):
                hh[j] = max(xr[j] + hr[j] + bias[j], _ZERO)
        else:
            for j in range(H):
                hh[j] = _tanh(xr[j] + hr[j] + bias[j])


@_jit
def rnn_backward_step(h, dh, dpre, relu):
    b, H = h.shape
    for r in range(b):
        hr, dhr, dp = h[r], dh[r], dpre[r]
        if relu:
            for j in range(H):
                dp[j] = dhr[j] if hr[j] > _ZERO else _ZERO
        else:
            for j in range(H):
                v = hr[j]
                dp[j] = dhr[j] * (_ONE - v * v)


# ---------------------------------------------------------------------------- whole time loops
# One layer direction's time loop over batch rows a:e, with the per-step GEMMs called directly
# (kernels/_blas_numba.py): the same steps as the Python loops of kernels/_rnn.py, without Python's
# per-step cost and without the GIL, so that parts on two threads run side by side. ``mode``:
# LSTM, GRU, RNN_TANH, RNN_RELU as 0-3. Arrays a mode does not use arrive as empty placeholders.
LSTM, GRU, RNN_TANH, RNN_RELU = 0, 1, 2, 3


@_inline
def _step_rows(sizes, offsets, a, e, t):
    """(first row, row count) of time step t within the part's batch rows a:e (count <= 0: none)."""
    return offsets[t] + a, min(sizes[t], e) - a


@_jit
def forward_loop(blas, mode, xw, w_hh_t, bias, b_ih, b_hh, h, c, sizes, offsets, a, e, reverse, save,
                 h_prev, c_prev, gates, gate_buf, hg_buf, out, col0, has_proj, w_hr_t, raw, raw_buf):
    T, P = sizes.shape[0], h.shape[1]
    for s in range(T):
        r0, n = _step_rows(sizes, offsets, a, e, T - 1 - s if reverse else s)
        if n <= 0:
            continue
        r1 = r0 + n
        hb = h[:n]
        if save:
            h_prev[r0:r1] = hb
            if mode == LSTM:
                c_prev[r0:r1] = c[:n]
        hg = hg_buf[:n]
        gemm(blas, hb, w_hh_t, False, hg, 0.0)
        g = gates[r0:r1] if save else gate_buf[:n]
        if mode == LSTM:
            if has_proj:
                rw = raw[r0:r1] if save else raw_buf[:n]
                lstm_forward_step(xw[r0:r1], hg, bias, c[:n], g, rw)
                gemm(blas, rw, w_hr_t, False, hb, 0.0)
            else:
                lstm_forward_step(xw[r0:r1], hg, bias, c[:n], g, hb)
        elif mode == GRU:
            gru_forward_step(xw[r0:r1], hg, b_ih, b_hh, hb, g)
        else:
            rnn_forward_step(xw[r0:r1], hg, bias, hb, mode == RNN_RELU)
            if save:
                g[:, :] = hb
        out[r0:r1, col0:col0 + P] = hb


@_jit
def backward_loop(blas, mode, w_hh, dh, dc, sizes, offsets, a, e, reverse, has_dy, dy, col0, gates, c_prev,
                  h_prev, d_pre, d_hh, has_proj, w_hr, d_proj, raw_grad):
    T, P = sizes.shape[0], dh.shape[1]
    for s in range(T):
        r0, n = _step_rows(sizes, offsets, a, e, s if reverse else T - 1 - s)
        if n <= 0:
            continue
        r1 = r0 + n
        dhb = dh[:n]
        if has_dy:
            dhb += dy[r0:r1, col0:col0 + P]
        if mode == LSTM:
            draw = dhb
            if has_proj:
                d_proj[r0:r1] = dhb
                draw = raw_grad[:n]
                gemm(blas, dhb, w_hr, False, draw, 0.0)
            lstm_backward_step(gates[r0:r1], c_prev[r0:r1], draw, dc[:n], d_pre[r0:r1])
            gemm(blas, d_pre[r0:r1], w_hh, False, dhb, 0.0)
        elif mode == GRU:
            gru_backward_step(gates[r0:r1], h_prev[r0:r1], dhb, d_pre[r0:r1], d_hh[r0:r1])
            gemm(blas, d_hh[r0:r1], w_hh, False, dhb, 1.0)
        else:
            rnn_backward_step(gates[r0:r1], dhb, d_pre[r0:r1], mode == RNN_RELU)
            gemm(blas, d_pre[r0:r1], w_hh, False, dhb, 0.0)
