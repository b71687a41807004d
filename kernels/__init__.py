"""CPU kernels for convolution and pooling: ndarray in, ndarray out; never imports mytorch.

Three implementations export the same functions with the same signatures:

- ``reference``: the per-pixel loops (the oracle; slow);
- ``numpy`` (module ``kernels.im2col``): im2col + one GEMM + col2im, pure NumPy;
- ``numba`` (module ``kernels.numba_ops``): jitted fills, direct convolution and pooling.

``kernels.load(name)`` imports one by name (numba lazily, only when asked for).
"""
import importlib

from kernels._common import get_memory_budget, set_memory_budget

IMPLEMENTATIONS = {"reference": "kernels.reference", "numpy": "kernels.im2col", "numba": "kernels.numba_ops"}
CONTRACT = ("im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
            "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward")

__all__ = ["IMPLEMENTATIONS", "CONTRACT", "load", "set_memory_budget", "get_memory_budget"]


def load(name):
    """The implementation module called ``name`` (one of IMPLEMENTATIONS)."""
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"unknown kernels implementation {name!r}; choose one of {sorted(IMPLEMENTATIONS)}")
    return importlib.import_module(IMPLEMENTATIONS[name])
