"""CPU kernels for convolution and pooling: ndarray in, ndarray out; never imports mytorch.

Three implementations export the same functions with the same signatures:

- ``reference``: the per-pixel loops (the oracle; slow);
- ``numpy`` (module ``kernels.im2col``): im2col + one GEMM + col2im, pure NumPy;
- ``numba`` (module ``kernels.numba_ops``): jitted routines and single-threaded GEMMs on a pool of
  threads; each convolution takes one of several routes (direct, Winograd, 1x1, depthwise, dilated,
  im2col), chosen in ``kernels.routes.choose_route`` and forced with ``kernels.routes.force_route``.

``kernels.load(name)`` imports one by name (numba lazily, only when asked for). The contract's
signatures (shapes in the notation of kernels/_common.py):

    conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> y
    conv2d_backward(grad_out, x, weight, stride, padding, dilation, groups, needs=(dx, dw, db)) -> (dx, dw, db)
    im2col(x, kernel_size, stride, padding, dilation) -> cols (C*KH*KW, N*OH*OW); col2im its transpose
    max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> (y, indices)
    max_pool2d_backward(grad_out, indices, x_shape) -> dx
    avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override) -> y
    avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override) -> dx
    adaptive_max_pool2d_forward(x, output_size) -> (y, indices)   (backward: max_pool2d_backward)
    adaptive_avg_pool2d_forward(x, output_size) -> y; adaptive_avg_pool2d_backward(grad_out, x_shape, output_size)
    relu(x) -> y; relu_backward(grad, y) -> dx        (torch's NaN, -0.0 and masked-inf rules)
    batch_norm_forward(x, weight, bias, eps) -> (y, mean, var, invstd)   (training mode; statistics float64)
    batch_norm_backward(grad, x, mean, invstd, weight, need_dx=True) -> (dx or None, dweight, dbias)

An empty batch gives empty results; float16 is accepted (the numba loops compute it in float32).
"""
import importlib

from kernels import _allocator
from kernels._common import get_memory_budget, set_memory_budget

_allocator.tune()  # keep freed array memory mapped between calls (kernels/_allocator.py)

IMPLEMENTATIONS = {"reference": "kernels.reference", "numpy": "kernels.im2col", "numba": "kernels.numba_ops"}
CONTRACT = ("im2col", "col2im", "conv2d_forward", "conv2d_backward", "max_pool2d_forward",
            "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "adaptive_max_pool2d_forward",
            "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward", "relu", "relu_backward",
            "batch_norm_forward", "batch_norm_backward")

__all__ = ["IMPLEMENTATIONS", "CONTRACT", "load", "set_memory_budget", "get_memory_budget"]


def load(name):
    """The implementation module called ``name`` (one of IMPLEMENTATIONS)."""
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"unknown kernels implementation {name!r}; choose one of {sorted(IMPLEMENTATIONS)}")
    return importlib.import_module(IMPLEMENTATIONS[name])
