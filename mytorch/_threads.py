"""``set_num_threads``: one number for NumPy's OpenBLAS and for the kernels' thread pool.

The kernels never run their threads and a multi-threaded GEMM at the same time (see
kernels/_threads.py), so the two pools together never ask for more threads than this.
"""
from kernels import _threads as _kernel_threads

__all__ = ["set_num_threads", "get_num_threads"]


def set_num_threads(n):
    """Sets the threads used by BLAS calls and by the convolution/pooling kernels."""
    _kernel_threads.set_num_threads(n)  # validates n before anything changes
    _kernel_threads.set_blas_threads(n)


def get_num_threads():
    return _kernel_threads.get_num_threads()
