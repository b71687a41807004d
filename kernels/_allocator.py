"""The C allocator's settings for a process that makes and frees many multi-megabyte arrays.

NumPy takes every array's memory from the C library's malloc. With glibc's defaults, an array
larger than the mmap threshold is mapped fresh from the kernel and unmapped when freed, and free
memory at the top of the heap is handed back to the kernel past the trim threshold (both
thresholds adapt, but a training step frees most of what it allocated at its end, so memory keeps
going back and forth). Every 4 KiB page of memory that comes back from the kernel costs a page fault
on its first write: a LeNet-5 training step (batch 64) took ~1,460 faults, a quarter of its time
(docs/PERFORMANCE.md). Raising both thresholds keeps that memory in the process, and the next step
writes into pages already mapped.

``tune()`` runs once, when kernels is imported: on glibc only (other C libraries manage large
blocks their own way, and the call is not there to make); ``MYTORCH_MALLOC_TUNING=0`` in the
environment leaves the allocator alone. The price is memory: up to TRIM_THRESHOLD bytes of free
heap stay with the process instead of going back to the system.
"""
import ctypes
import os
import sys

__all__ = ["tune", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

# Arrays up to this size come from the heap (glibc's own ceiling for the dynamic threshold on
# 64-bit; larger ones are rare, and their work dwarfs their faults).
MMAP_THRESHOLD = 32 * 2 ** 20
# Free memory at the top of the heap kept for reuse before any goes back to the system.
TRIM_THRESHOLD = 128 * 2 ** 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


class _State:
    applied = None  # None: not tried yet; then whether the settings took effect


def _glibc():
    """glibc's functions as a ctypes library, or None elsewhere (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not (hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt")):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def tune():
    """Applies the thresholds above once per process (see the module's docstring); returns whether
    they are in effect."""
    if _State.applied is None:
        _State.applied = False
        libc = _glibc() if os.environ.get("MYTORCH_MALLOC_TUNING", "1") != "0" else None
        if libc is not None:
            # mallopt returns 1 on success; a setting glibc refuses leaves its default in place
            _State.applied = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & \
                bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _State.applied
