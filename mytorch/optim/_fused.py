"""One-pass parameter updates compiled with numba, for the optimizer whose NumPy form costs most.

Adadelta's update written as NumPy expressions makes about ten passes over each parameter; for
the MNIST CNN's 1.2 M-parameter Linear layer that is 25 ms a step against torch's 4, a third of
the whole step (`python -m benchmarks.profile_step --model cnn`). One compiled loop reads and
writes each array once: 6 ms for that model's whole update. It performs the same float operations in the same order as the NumPy
form, in the arrays' dtype (the scalars are cast to it first, as NumPy casts Python floats), so
the two give identical bits (tests/test_optim.py checks).

numba is imported on first use; where it is missing, its JIT is off (NUMBA_DISABLE_JIT=1 would
run the loop in Python) or an array it writes is not contiguous, ``adadelta`` returns False and
the caller uses the NumPy form.
"""
import numpy as np

__all__ = ["adadelta"]

_compiled = None


def _kernels():
    global _compiled
    if _compiled is None:
        _compiled = False
        try:
            from numba import config, njit
        except ImportError:
            return None
        if config.DISABLE_JIT:
            return None

        @njit(cache=True, nogil=True)
        def adadelta_kernel(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay):
            for i in range(param.shape[0]):
                g = grad[i]
                if weight_decay != 0:
                    g = g + weight_decay * param[i]
                sa = square_avg[i] * rho + one_minus_rho * g * g
                square_avg[i] = sa
                delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sa + eps) * g
                acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
                param[i] = param[i] - lr * delta
        @njit(cache=True, nogil=True)
        def transpose_kernel(src, dst):
            # dst = src.T, both C-ordered, in 32 x 32 tiles so reads and writes stay in cache
            R, C = dst.shape
            for i0 in range(0, R, 32):
                for j0 in range(0, C, 32):
                    for i in range(i0, min(i0 + 32, R)):
                        for j in range(j0, min(j0 + 32, C)):
                            dst[i, j] = src[j, i]
        _compiled = (adadelta_kernel, transpose_kernel)
    return _compiled or None


def adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay):
    """Adadelta's update of ``param``, ``square_avg`` and ``acc_delta`` in place, as
    algorithms.Adadelta writes it with NumPy; False (nothing changed) where it cannot run."""
    written = (param, square_avg, acc_delta)
    if param.dtype not in (np.float32, np.float64) or grad.dtype != param.dtype or grad.shape != param.shape or any(
            a.dtype != param.dtype or a.shape != param.shape or not a.flags.c_contiguous for a in written):
        return False
    kernels = _kernels()
    if kernels is None:
        return False
    t = param.dtype.type
    kernels[0](param.reshape(-1), _contiguous(grad, kernels[1]).reshape(-1), square_avg.reshape(-1),
               acc_delta.reshape(-1), t(lr), t(rho), t(1 - rho), t(eps), t(weight_decay))
    return True


_copies = {}


def _contiguous(grad, transpose):
    """grad, or a C-ordered copy of it in a buffer kept per shape. NOTE: a Linear layer's weight
    gradient arrives transposed (a view of x^T @ dY): for the MNIST CNN's (128, 9216) one, NumPy's
    copy took 8.8 ms and a fresh array page-faulted besides, against 3.1 ms for the whole update;
    the tiled transpose below takes about 1 ms."""
    if grad.flags.c_contiguous:
        return grad
    key = (grad.shape, grad.dtype)
    if key not in _copies:
        _copies[key] = np.empty(grad.shape, grad.dtype)
    if grad.ndim == 2 and grad.T.flags.c_contiguous:
        transpose(grad.T, _copies[key])
    else:
        np.copyto(_copies[key], grad)
    return _copies[key]
