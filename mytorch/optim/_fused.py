"""The machinery of the ``_fused_*`` optimizer forms: lazily compiled one-pass loops.

An update written as NumPy expressions makes one array pass per operation (Adadelta's about ten;
for the MNIST CNN's 1.2 M-parameter Linear layer that was 25 ms a step against torch's 4). Each
algorithm module (sgd.py, adam.py, ...) therefore also writes its update as a loop over the
elements, which reads and writes every array once, in place, with no temporaries. The loop
performs the same float operations in the same order as the module's ``_single_tensor_`` NumPy
form, in the arrays' dtype (every scalar is cast to it first, as NumPy casts a Python float), so
the two forms give the same bits (tests/test_optim_forms.py checks each one).

Thread story: the loops only touch the arrays they are given; the one scratch array (a C-ordered
copy of a gradient that arrives transposed) is kept per thread, and the kernels release the GIL,
so two threads stepping two optimizers run at once and get the sequential results.

numba is imported on first use. ``jit_active()`` says whether the loops are compiled; the
``fused=None`` default picks the fused form only then (with numba missing or NUMBA_DISABLE_JIT=1
a loop is plain Python: still right, for ``fused=True``, but slow).
"""
import threading

import numpy as np

__all__ = ["kernel", "jit_active", "supported", "flat_inputs"]

FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_lock = threading.RLock()  # NOTE: re-entered: a kernel's first call looks numba up under it
_numba = None  # None: not looked for yet; False: missing


def _numba_module():
    global _numba
    if _numba is None:
        with _lock:
            if _numba is None:
                try:
                    import numba
                    _numba = numba
                except ImportError:
                    _numba = False
    return _numba or None


def jit_active():
    """True where numba imports and its JIT is on: the fused forms are compiled loops."""
    numba = _numba_module()
    return numba is not None and not numba.config.DISABLE_JIT


def supported(arrays):
    """Whether the fused loops take these parameter arrays (float32 or float64)."""
    return all(a.dtype in FUSED_DTYPES for a in arrays)


class kernel:
    """Decorator: a plain-Python element loop, compiled with numba on its first call; without
    numba it runs as written. NOTE: ``error_model="numpy"``: a division by zero gives inf/NaN as in
    the NumPy form instead of raising ZeroDivisionError, and without that check in the loop LLVM
    vectorizes it (about 6x on an Adam update)."""

    def __init__(self, fn):
        self.py_func = fn
        self._compiled = None
        self.__doc__, self.__name__ = fn.__doc__, fn.__name__

    def __call__(self, *args):
        if self._compiled is None:
            with _lock:
                if self._compiled is None:
                    numba = _numba_module()
                    self._compiled = (numba.njit(cache=True, nogil=True, error_model="numpy")(self.py_func)
                                      if numba is not None and not numba.config.DISABLE_JIT else self.py_func)
        return self._compiled(*args)


_local = threading.local()


def _transpose_into(src, dst):
    # dst = src.T, both C-ordered, in 32 x 32 tiles so reads and writes stay in cache
    R, C = dst.shape
    for i0 in range(0, R, 32):
        for j0 in range(0, C, 32):
            for i in range(i0, min(i0 + 32, R)):
                for j in range(j0, min(j0 + 32, C)):
                    dst[i, j] = src[j, i]


_transpose_into = kernel(_transpose_into)


def _flat_grad(grad, dtype):
    """grad as a flat C-ordered array of ``dtype``: a view where it is one already, otherwise a
    copy into this thread's scratch buffer for that shape. NOTE: a Linear layer's weight gradient
    can arrive transposed (a view of x^T @ dY); for the MNIST CNN's (128, 9216) one NumPy's copy
    took 8.8 ms and a fresh array page-faulted besides, against about 1 ms for the tiled copy."""
    if grad.flags.c_contiguous and grad.dtype == dtype:
        return grad.reshape(-1)
    if grad.dtype != dtype:
        return np.ascontiguousarray(grad, dtype=dtype).reshape(-1)
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    key = (grad.shape, grad.dtype)
    buf = buffers.get(key)
    if buf is None:
        buf = buffers[key] = np.empty(grad.shape, grad.dtype)
    if grad.ndim == 2 and grad.T.flags.c_contiguous and jit_active():
        _transpose_into(grad.T, buf)
    else:
        np.copyto(buf, grad)
    return buf.reshape(-1)


class flat_inputs:
    """``with flat_inputs(param, grad) as (p, g):`` flat C-ordered views for a loop to update in
    place; a parameter that is not C-ordered is updated in a copy written back at exit. The
    optimizer's state buffers are C-ordered and of the parameter's dtype already (Optimizer's
    ``_buffer`` makes them so)."""

    def __init__(self, param, grad):
        self.param = param
        self.work = param if param.flags.c_contiguous else np.ascontiguousarray(param)
        self.grad = _flat_grad(grad, param.dtype)

    def __enter__(self):
        return self.work.reshape(-1), self.grad

    def __exit__(self, *exc):
        if self.work is not self.param:
            self.param[...] = self.work
        return False
