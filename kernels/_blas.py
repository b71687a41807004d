"""NumPy's own BLAS library, found on disk: its thread-count functions and its GEMMs' addresses.

NumPy's wheels for Linux and Windows carry OpenBLAS in ``numpy.libs/`` (macOS wheels built on it in
``numpy/.dylibs/``); its symbols are ``scipy_openblas_*64_`` (64-bit integers) in NumPy 2, plain
``openblas_*`` / ``cblas_*`` (32-bit integers) in older builds. Where none is found (NumPy on
Accelerate or MKL, a distribution's NumPy linked to a system BLAS) every caller has a plain path:
the thread count is left alone and GEMMs go through np.dot.

What the GEMM addresses are for: compiled loops (kernels/_blas_numba.py) call ``cblas_?gemm``
directly, without the GIL, between their own steps (a recurrent layer's time loop). Before a
library's GEMMs are handed out they multiply one small product and must match np.dot, so a
mis-read symbol is never used. ``MYTORCH_DIRECT_BLAS=0`` (read once) or ``set_direct_gemm(False)``
turns the direct calls off: tests use it to run the plain path.
"""
import ctypes
import glob
import os
import threading

import numpy as np

__all__ = ["thread_functions", "gemm_functions", "set_direct_gemm"]

# (thread setter, thread getter, sgemm, dgemm, 64-bit integers) per symbol family
_FAMILIES = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_", "scipy_cblas_sgemm64_",
     "scipy_cblas_dgemm64_", True),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_", "cblas_sgemm64_", "cblas_dgemm64_", True),
    ("openblas_set_num_threads", "openblas_get_num_threads", "cblas_sgemm", "cblas_dgemm", False),
)


class _Found:
    lock = threading.Lock()
    searched = False
    threads = None  # (setter, getter) or None
    gemm = None  # (sgemm address, dgemm address, 64-bit integers) or None
    direct = os.environ.get("MYTORCH_DIRECT_BLAS", "1") != "0"
    checked = None  # whether the direct GEMMs passed their check (None: not yet run)


def _library_paths():
    root = os.path.dirname(os.path.dirname(np.__file__))
    patterns = [os.path.join(root, "numpy.libs", "*openblas*"),
                os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*")]
    return sorted(p for pattern in patterns for p in glob.glob(pattern))


def _search():
    with _Found.lock:
        if _Found.searched:
            return
        for path in _library_paths():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_threads, get_threads, sgemm, dgemm, ilp64 in _FAMILIES:
                if not (hasattr(lib, set_threads) and hasattr(lib, get_threads)):
                    continue
                _Found.threads = (getattr(lib, set_threads), getattr(lib, get_threads))
                if hasattr(lib, sgemm) and hasattr(lib, dgemm):
                    address = ctypes.cast(getattr(lib, sgemm), ctypes.c_void_p).value
                    _Found.gemm = (address, ctypes.cast(getattr(lib, dgemm), ctypes.c_void_p).value, ilp64)
                break
            if _Found.threads is not None:
                break
        _Found.searched = True


def thread_functions():
    """(set_num_threads, get_num_threads) of NumPy's OpenBLAS as ctypes functions, or None."""
    _search()
    return _Found.threads


def gemm_functions(check):
    """(sgemm address, dgemm address, 64-bit integers) for compiled code to call, or None where the
    library has none, direct calls are off, or ``check`` (a callable taking that triple and returning
    whether a small product came out right) failed once."""
    if not _Found.direct:
        return None
    _search()
    if _Found.gemm is None:
        return None
    if _Found.checked is None:
        _Found.checked = bool(check(_Found.gemm))
    return _Found.gemm if _Found.checked else None


def set_direct_gemm(enabled):
    """Turns compiled code's direct GEMM calls on or off (off: the callers' plain NumPy paths); returns
    the previous setting."""
    previous, _Found.direct = _Found.direct, bool(enabled)
    return previous
