"""Thread count for the two pools mytorch drives: NumPy's OpenBLAS and numba's.

``set_num_threads(n)`` applies to both, so a GEMM and a numba kernel never ask for more threads
than there are cores between them (they run one after the other, never at once).
"""
import ctypes
import glob
import os

import numpy as np

__all__ = ["set_num_threads", "get_num_threads"]

_state = {"n": None, "blas": None}


def _openblas():
    """NumPy's bundled OpenBLAS setter/getter pair, or None where NumPy uses another BLAS."""
    if _state["blas"] is None:
        _state["blas"] = False
        libdir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        for path in glob.glob(os.path.join(libdir, "*openblas*")):
            lib = ctypes.CDLL(path)
            for setter, getter in (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
                                   ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
                                   ("openblas_set_num_threads", "openblas_get_num_threads")):
                if hasattr(lib, setter) and hasattr(lib, getter):
                    _state["blas"] = (getattr(lib, setter), getattr(lib, getter))
                    break
    return _state["blas"] or None


def set_num_threads(n):
    """Sets the threads used by BLAS calls and numba kernels (torch.set_num_threads)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n}")
    _state["n"] = n
    blas = _openblas()
    if blas:
        blas[0](ctypes.c_int(n))
    _apply_numba()


def _apply_numba():
    """Numba's pool follows the setting once numba is loaded (numba itself is imported lazily)."""
    import sys
    numba = sys.modules.get("numba")
    if numba is not None and _state["n"] is not None:
        numba.set_num_threads(min(_state["n"], numba.config.NUMBA_NUM_THREADS))


def get_num_threads():
    if _state["n"] is not None:
        return _state["n"]
    blas = _openblas()
    return int(blas[1]()) if blas else (os.cpu_count() or 1)
