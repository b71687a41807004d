"""Convolution and pooling layers beyond nn.Conv2d/MaxPool2d/AvgPool2d (which live in layers.py):
1-D convolution, transposed convolutions, 1-D and adaptive pooling, max unpooling, as torch's.

Parameters, their shapes, initialisation and ``extra_repr`` follow torch: a convolution's weight is
(F, C/groups, *kernel), a transposed one's (C, F/groups, *kernel), both kaiming_uniform_ with
a=sqrt(5) and the bias uniform in +-1/sqrt(fan_in).
"""
import math

from mytorch import creation
from mytorch.nn import _conv as C
from mytorch.nn import init
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter

__all__ = ["Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "AvgPool1d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "MaxUnpool2d"]


def _tuple(value, n, name):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a {n}-tuple, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _ConvNd(Module):
    """What Conv1d, ConvTranspose1d and ConvTranspose2d share: argument checks, parameters, repr."""
    dims = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, output_padding=0, device=None, dtype=None):
        super().__init__()
        for value, name in ((in_channels, "in_channels"), (out_channels, "out_channels"), (groups, "groups")):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in C.PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {C.PADDING_MODES}, but got padding_mode='{padding_mode}'")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        n = self.dims
        if isinstance(padding, str):
            if self.transposed or padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and _tuple(stride, n, "stride") != (1,) * n:
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _tuple(padding, n, "padding")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride, self.dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
        self.output_padding = _tuple(output_padding, n, "output_padding")
        self.padding, self.groups, self.padding_mode = padding, groups, padding_mode
        shape = ((in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(creation.empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        n = self.dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"  # torch prints a padding string without quotes
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _output_padding(self, input, output_size):
        """torch's ConvTranspose: the output_padding that makes the output ``output_size``."""
        if output_size is None:
            return self.output_padding
        n = self.dims
        size = list(output_size)[-n:]
        out = []
        for d in range(n):
            smallest = ((input.shape[d - n] - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not smallest <= size[d] < smallest + self.stride[d]:
                raise ValueError(f"requested an output size of {list(output_size)}, but valid sizes range from "
                                 f"{smallest} to {smallest + self.stride[d] - 1} (for an input of "
                                 f"{list(input.shape[2:])})")
            out.append(size[d] - smallest)
        return tuple(out)


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
