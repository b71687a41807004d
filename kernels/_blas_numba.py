"""A GEMM that compiled (numba) code calls without the GIL: NumPy's own ``cblas_sgemm``/``cblas_dgemm``,
called through the address kernels/_blas.py found.

Why: a loop of many small GEMMs with a fused kernel between them (a recurrent layer's time steps)
pays Python's per-call cost on every np.dot, and when two threads run such loops side by side each
np.dot waits for the GIL, whose wake-up on a virtual machine costs more than the GEMM. Inside one
compiled loop neither happens.

The address is an argument, not a constant, so that the compiled code can be cached on disk.
``ok()`` says whether the direct calls are available (not under NUMBA_DISABLE_JIT, not where NumPy's
BLAS is not a library we found); callers keep a NumPy path for when they are not.
"""
import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.extending import intrinsic

from kernels import _blas

__all__ = ["ok", "functions", "gemm"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _resize(builder, value, ty):
    if value.type.width < ty.width:
        return builder.sext(value, ty)
    if value.type.width > ty.width:
        return builder.trunc(value, ty)
    return value


def _call(single, ilp64):
    """An intrinsic calling cblas_{s,d}gemm(RowMajor, transa, transb, m, n, k, alpha, a, lda, b, ldb,
    beta, c, ldc) at a run-time address; integers and pointers arrive as intp, alpha and beta as
    float64."""
    @intrinsic
    def call(typingctx, address, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        sig = types.void(types.intp, types.intp, types.intp, types.intp, types.intp, types.intp, types.float64,
                         types.intp, types.intp, types.intp, types.intp, types.float64, types.intp, types.intp)

        def codegen(context, builder, signature, args):
            enum, index = ir.IntType(32), ir.IntType(64 if ilp64 else 32)
            real = ir.FloatType() if single else ir.DoubleType()
            pointer = real.as_pointer()
            fnty = ir.FunctionType(ir.VoidType(), [enum, enum, enum, index, index, index, real, pointer, index,
                                                   pointer, index, real, pointer, index])
            fn = builder.inttoptr(args[0], fnty.as_pointer())
            (_, ta, tb, m_, n_, k_, alpha_, a_, lda_, b_, ldb_, beta_, c_, ldc_) = args
            scalar = (lambda v: builder.fptrunc(v, real)) if single else (lambda v: v)
            builder.call(fn, [ir.Constant(enum, _ROW_MAJOR), _resize(builder, ta, enum), _resize(builder, tb, enum),
                              _resize(builder, m_, index), _resize(builder, n_, index), _resize(builder, k_, index),
                              scalar(alpha_), builder.inttoptr(a_, pointer), _resize(builder, lda_, index),
                              builder.inttoptr(b_, pointer), _resize(builder, ldb_, index), scalar(beta_),
                              builder.inttoptr(c_, pointer), _resize(builder, ldc_, index)])
            return context.get_dummy_value()
        return sig, codegen
    return call


_s64, _d64, _s32, _d32 = _call(True, True), _call(False, True), _call(True, False), _call(False, False)


@njit(cache=True, nogil=True, inline="always")
def gemm(blas, a, b, trans_b, c, beta):
    """c = a @ op(b) + beta * c for 2-D arrays with unit column stride (row slices of C arrays),
    op(b) = b.T when ``trans_b``. ``blas``: (sgemm address, dgemm address, 64-bit integers) from
    ``functions()``; a, b, c share one dtype, float32 or float64."""
    m, k = a.shape
    n = b.shape[0] if trans_b else b.shape[1]
    if m == 0 or n == 0:
        return
    item = a.itemsize
    if b.itemsize != item or c.itemsize != item or (item != 4 and item != 8):
        raise ValueError("gemm: a, b and c must share one dtype, float32 or float64")
    for x in (a, b, c):
        if x.shape[1] > 1 and x.strides[1] != item:
            raise ValueError("gemm: every operand's rows must be contiguous")
    lda, ldb, ldc = a.strides[0] // item, b.strides[0] // item, c.strides[0] // item
    # BLAS wants a leading dimension of at least the row length even where there is one row
    lda, ldb, ldc = max(lda, k, 1), max(ldb, b.shape[1], 1), max(ldc, n, 1)
    tb = _TRANS if trans_b else _NO_TRANS
    single = item == 4
    address = blas[0] if single else blas[1]
    if blas[2]:
        if single:
            _s64(address, _NO_TRANS, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)
        else:
            _d64(address, _NO_TRANS, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)
    elif single:
        _s32(address, _NO_TRANS, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)
    else:
        _d32(address, _NO_TRANS, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)


@njit(cache=True, nogil=True)
def _product(blas, a, b, trans_b, c):
    gemm(blas, a, b, trans_b, c, 0.0)


def _check(blas):
    """A small product of each dtype, both layouts of b, against np.dot."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((5, 3)).astype(dtype)
        b = rng.standard_normal((3, 4)).astype(dtype)
        for trans_b, operand in ((False, b), (True, np.ascontiguousarray(b.T))):
            c = np.zeros((5, 4), dtype)
            _product(blas, a, operand, trans_b, c)
            if not np.allclose(c, a @ b, rtol=1e-5, atol=1e-5):
                return False
    return True


def functions():
    """The ``blas`` argument of ``gemm``, or None where direct calls are unavailable."""
    if config.DISABLE_JIT:
        return None
    return _blas.gemm_functions(_check)


def ok():
    return functions() is not None
