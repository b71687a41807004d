"""Convolution and pooling layers beyond nn.Conv2d/MaxPool2d/AvgPool2d (which live in layers.py):
1-D convolution, transposed convolutions, 1-D and adaptive pooling, max unpooling, as torch's.

Parameters, their shapes, initialisation and ``extra_repr`` follow torch: a convolution's weight is
(F, C/groups, *kernel), a transposed one's (C, F/groups, *kernel), both kaiming_uniform_ with
a=sqrt(5) and the bias uniform in +-1/sqrt(fan_in).
"""
from mytorch.nn import _conv as C
from mytorch.nn.modules.layers import _ConvNd, _tuple
from mytorch.nn.modules.module import Module

__all__ = ["Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "AvgPool1d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "MaxUnpool2d"]


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) inputs (or (C, L)).

    Args:
        in_channels, out_channels, kernel_size: C, F and K.
        stride: Default: 1. padding: int, 'valid' or 'same'. Default: 0. dilation: Default: 1.
        groups: Default: 1. bias: Default: ``True``.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Example::

        >>> nn.Conv1d(4, 8, 3, padding=1)(mytorch.randn(2, 4, 10)).shape
        mytorch.Size([2, 8, 10])
    """
    dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)

    def forward(self, input):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return C.conv_with_padding_mode(C.conv1d, input, self.weight, self.bias, self.stride[0], padding,
                                        self.dilation[0], self.groups, self.padding_mode, dims=1)


class ConvTranspose1d(_ConvNd):
    """1-D transposed convolution over (N, C, L) inputs; weight (C, F/groups, K).

    Args: as Conv1d, plus output_padding (Default: 0); padding_mode only 'zeros'.
    """
    dims, transposed = 1, True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return C.conv_transpose1d(input, self.weight, self.bias, self.stride[0], self.padding[0], op[0],
                                  self.groups, self.dilation[0])


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution over (N, C, H, W) inputs; weight (C, F/groups, KH, KW).

    Args:
        in_channels, out_channels, kernel_size: C, F and the kernel.
        stride: Default: 1. padding: Default: 0. output_padding: Default: 0. groups: Default: 1.
        bias: Default: ``True``. dilation: Default: 1. padding_mode: only 'zeros'.

    Shape:
        Output height (H - 1)*stride - 2*padding + dilation*(KH - 1) + output_padding + 1.

    Example::

        >>> nn.ConvTranspose2d(4, 2, 3, stride=2)(mytorch.randn(1, 4, 5, 5)).shape
        mytorch.Size([1, 2, 11, 11])
    """
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)

    def forward(self, input, output_size=None):
        return C.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class MaxPool1d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return C.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 1, "kernel_size")
        self.stride = _tuple(stride if stride is not None else kernel_size, 1, "stride")
        self.padding = _tuple(padding, 1, "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return C.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _Adaptive(Module):
    def __init__(self, output_size, return_indices=None):
        super().__init__()
        self.output_size = output_size
        if return_indices is not None:
            self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_Adaptive):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size, return_indices)

    def forward(self, input):
        return C.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_Adaptive):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size, return_indices)

    def forward(self, input):
        return C.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_Adaptive):
    def forward(self, input):
        return C.adaptive_avg_pool1d(input, self.output_size)


class MaxUnpool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.stride = _tuple(stride if stride is not None else kernel_size, 2, "stride")
        self.padding = _tuple(padding, 2, "padding")

    def forward(self, input, indices, output_size=None):
        return C.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
