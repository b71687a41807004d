"""The numba gate kernels of kernels/_rnn.py (imported lazily, by ``kernels._rnn.kernels_for``).

Same signatures as the NumPy kernels there. NumPy's SIMD tanh/exp run ~10x faster than a scalar
libm call, so float32 tanh here is a rational minimax approximation that LLVM vectorizes (within
3e-7 of tanh: float32 round-off) and sigmoid(x) = 0.5 + 0.5 tanh(x / 2); float64 calls libm (exact
to 1e-16) because float64 is the dtype of the gradient checks. Constants are float32 scalars so
that float32 arithmetic stays float32 (a Python literal would promote it to float64).
"""
import math

import numpy as np
from numba import njit

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


@_inline
def _tanh(x, precise):
    # NOTE: `precise` is loop-invariant in every caller; LLVM unswitches the loop on it, so the
    # float32 loop has no libm call left and vectorizes.
    return math.tanh(x) if precise else _tanh_fast(x)


@_inline
def _sigmoid(x, precise):
    return _ONE / (_ONE + math.exp(-x)) if precise else _HALF + _HALF * _tanh_fast(_HALF * x)


@_jit
def lstm_forward_step(xg, hg, c, gates, h, precise):
    b, H = c.shape
    for r in range(b):
        for j in range(H):
            i = _sigmoid(xg[r, j] + hg[r, j], precise)
            f = _sigmoid(xg[r, H + j] + hg[r, H + j], precise)
            g = _tanh(xg[r, 2 * H + j] + hg[r, 2 * H + j], precise)
            o = _sigmoid(xg[r, 3 * H + j] + hg[r, 3 * H + j], precise)
            cc = f * c[r, j] + i * g
            c[r, j] = cc
            h[r, j] = o * _tanh(cc, precise)
            gates[r, j] = i
            gates[r, H + j] = f
            gates[r, 2 * H + j] = g
            gates[r, 3 * H + j] = o


@_jit
def lstm_backward_step(gates, c_prev, dh, dc, dgates, precise):
    b, H = c_prev.shape
    for r in range(b):
        for j in range(H):
            i = gates[r, j]
            f = gates[r, H + j]
            g = gates[r, 2 * H + j]
            o = gates[r, 3 * H + j]
            cp = c_prev[r, j]
            tc = _tanh(f * cp + i * g, precise)
            d = dh[r, j]
            dcc = dc[r, j] + d * o * (_ONE - tc * tc)
            dgates[r, j] = dcc * g * i * (_ONE - i)
            dgates[r, H + j] = dcc * cp * f * (_ONE - f)
            dgates[r, 2 * H + j] = dcc * i * (_ONE - g * g)
            dgates[r, 3 * H + j] = d * tc * o * (_ONE - o)
            dc[r, j] = dcc * f


@_jit
def gru_forward_step(xg, hg, b_hh, h, gates, precise):
    b, H = h.shape
    for r in range(b):
        for j in range(H):
            rr = _sigmoid(xg[r, j] + hg[r, j] + b_hh[j], precise)
            z = _sigmoid(xg[r, H + j] + hg[r, H + j] + b_hh[H + j], precise)
            hn = hg[r, 2 * H + j] + b_hh[2 * H + j]
            n = _tanh(xg[r, 2 * H + j] + rr * hn, precise)
            h[r, j] = n + z * (h[r, j] - n)
            gates[r, j] = rr
            gates[r, H + j] = z
            gates[r, 2 * H + j] = n
            gates[r, 3 * H + j] = hn


@_jit
def gru_backward_step(gates, h_prev, dh, dgx, dgh):
    b, H = h_prev.shape
    for r in range(b):
        for j in range(H):
            rr = gates[r, j]
            z = gates[r, H + j]
            n = gates[r, 2 * H + j]
            hn = gates[r, 3 * H + j]
            d = dh[r, j]
            dn = d * (_ONE - z) * (_ONE - n * n)
            dr = dn * hn * rr * (_ONE - rr)
            dz = d * (h_prev[r, j] - n) * z * (_ONE - z)
            dgx[r, j] = dr
            dgx[r, H + j] = dz
            dgx[r, 2 * H + j] = dn
            dgh[r, j] = dr
            dgh[r, H + j] = dz
            dgh[r, 2 * H + j] = dn * rr
            dh[r, j] = d * z


@_jit
def rnn_forward_step(xg, hg, h, relu, precise):
    b, H = h.shape
    for r in range(b):
        for j in range(H):
            a = xg[r, j] + hg[r, j]
            if relu:
                h[r, j] = max(a, _ZERO)
            else:
                h[r, j] = _tanh(a, precise)


@_jit
def rnn_backward_step(h, dh, dpre, relu):
    b, H = h.shape
    for r in range(b):
        for j in range(H):
            v = h[r, j]
            if relu:
                dpre[r, j] = dh[r, j] if v > 0 else _ZERO
            else:
                dpre[r, j] = dh[r, j] * (_ONE - v * v)
