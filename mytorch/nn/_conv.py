"""Convolution and pooling: primitives whose forward and backward call the kernels implementation
chosen in mytorch.backends (the implementation that ran the forward also runs the backward).

nn.functional re-exports every public name here; this module is the kernels' side of the API.
"""
import numpy as np

from mytorch import backends, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor
from kernels._common import conv_out, pair

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


def _pad(input, pad):
    from mytorch.nn.functional import pad as pad_fn
    return pad_fn(input, pad)

# ---------------------------------------------------------------------------- convolution
class Conv2d(Function):
    def forward(self, x, weight, *bias, stride, padding, dilation, groups):
        self.impl = backends.implementation()
        self.x, self.weight, self.args = x, weight, (stride, padding, dilation, groups)
        return self.impl.conv2d_forward(x, weight, bias[0] if bias else None, *self.args)

    def backward(self, grad):
        needs = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dx, dw, db = self.impl.conv2d_backward(grad, self.x, self.weight, *self.args, needs=needs)
        return (dx, dw, db)[:len(self.needs_input_grad)]


def _same_padding(weight, dilation):
    """torch's padding='same': total D*(K-1) per axis, the odd one out going to the bottom/right."""
    DH, DW = dilation
    total_h, total_w = DH * (weight.shape[2] - 1), DW * (weight.shape[3] - 1)
    return (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over a batch of images, as torch.nn.functional.conv2d.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (F, C/groups, KH, KW).
        bias: (F,) or None. Default: ``None``.
        stride, dilation: int or pair. Default: 1.
        padding: int, pair, ``'valid'`` or ``'same'``. Default: 0.
        groups: splits the channels into this many independent groups. Default: 1.

    Shape:
        Output (N, F, OH, OW) with OH = (H + 2*PH - DH*(KH-1) - 1) // SH + 1 (likewise OW).

    Example::

        >>> y = conv2d(mytorch.randn(8, 1, 28, 28), mytorch.randn(6, 1, 5, 5), padding=2)
        >>> y.shape
        mytorch.Size([8, 6, 28, 28])
    """
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                           f"size: {list(input.shape)}")
    if weight.ndim != 4:
        raise RuntimeError(f"weight should have 4 dimensions (F, C/groups, KH, KW), got size {list(weight.shape)}")
    groups = int(groups)
    if groups < 1 or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, "
                           f"but got {input.shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(f"Input type ({input.dtype}) and {what} type ({t.dtype}) should be the same")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"conv2d expects a floating point input, got {input.dtype}")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            left, right, top, bottom = _same_padding(weight, dilation)
            if left != right or top != bottom:
                input = _pad(input, (left, right, top, bottom))
                padding = (0, 0)
            else:
                padding = (top, left)
        else:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    padding = pair(padding, "padding")
    if min(padding) < 0:
        raise RuntimeError(f"negative padding is not supported, got {padding}")
    OH = conv_out(input.shape[2], weight.shape[2], stride[0], padding[0], dilation[0])
    OW = conv_out(input.shape[3], weight.shape[3], stride[1], padding[1], dilation[1])
    if OH < 1 or OW < 1:
        raise RuntimeError(f"Calculated output size: ({OH}x{OW}). Output size is too small for input of "
                           f"size {list(input.shape)} with kernel {list(weight.shape[2:])}, padding {padding}, "
                           f"dilation {dilation}")
    tensors = (input, weight) if bias is None else (input, weight, bias)
    return Conv2d.apply(*tensors, stride=stride, padding=padding, dilation=dilation, groups=groups)


# ---------------------------------------------------------------------------- pooling
class MaxPool2d(Function):
    def forward(self, x, kernel_size, stride, padding):
        self.impl, self.shape = backends.implementation(), x.shape
        y, self.indices = self.impl.max_pool2d_forward(x, kernel_size, stride, padding)
        return y

    def backward(self, grad):
        return self.impl.max_pool2d_backward(grad, self.indices, self.shape)


class AvgPool2d(Function):
    def forward(self, x, kernel_size, stride, padding):
        self.impl, self.shape, self.args = backends.implementation(), x.shape, (kernel_size, stride, padding)
        return self.impl.avg_pool2d_forward(x, *self.args)

    def backward(self, grad):
        return self.impl.avg_pool2d_backward(grad, self.shape, *self.args)


def _pool_args(name, input, kernel_size, stride, padding, ceil_mode):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: Expected 3D or 4D (batch mode) tensor for input, got size {list(input.shape)}")
    if ceil_mode:
        raise NotImplementedError(f"{name}: ceil_mode=True is not supported; only the default ceil_mode=False")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else pair(stride, "stride")
    p = pair(padding, "padding")
    if min(k) < 1 or min(s) < 1:
        raise RuntimeError(f"{name}: kernel_size and stride must be positive, got kernel_size={k}, stride={s}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2 or min(p) < 0:
        raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k}")
    H, W = input.shape[-2], input.shape[-1]
    OH, OW = (H + 2 * p[0] - k[0]) // s[0] + 1, (W + 2 * p[1] - k[1]) // s[1] + 1
    if OH < 1 or OW < 1:
        raise RuntimeError(f"{name}: Given input size: ({input.shape[-3]}x{H}x{W}). Calculated output size: "
                           f"({input.shape[-3]}x{OH}x{OW}). Output size is too small")
    return k, s, p


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over KH x KW windows. With ``return_indices`` also the argmax as flat h * W + w indices."""
    if pair(dilation, "dilation") != (1, 1):
        raise NotImplementedError(f"max_pool2d: dilation={dilation} is not supported; only 1")
    k, s, p = _pool_args("max_pool2d", input, kernel_size, stride, padding, ceil_mode)
    if input.ndim == 3:
        out = max_pool2d(input.unsqueeze(0), k, s, p, return_indices=return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    y = MaxPool2d.apply(input, kernel_size=k, stride=s, padding=p)
    if not return_indices:
        return y
    # Indices are recomputed only on request (rare: MaxUnpool); the hot path keeps them internal.
    return y, Tensor._make(backends.implementation().max_pool2d_forward(input._data, k, s, p)[1])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over KH x KW windows; zero padding counts in the divisor (torch's default)."""
    if not count_include_pad or divisor_override is not None:
        raise NotImplementedError("avg_pool2d: only count_include_pad=True and divisor_override=None are supported")
    k, s, p = _pool_args("avg_pool2d", input, kernel_size, stride, padding, ceil_mode)
    if input.ndim == 3:
        return avg_pool2d(input.unsqueeze(0), k, s, p).squeeze(0)
    return AvgPool2d.apply(input, kernel_size=k, stride=s, padding=p)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (torch's bins: floor(i*H/OH) to ceil((i+1)*H/OH))."""
    H, W = input.shape[-2], input.shape[-1]
    OH, OW = pair(output_size if not isinstance(output_size, (tuple, list)) else
                  tuple(H if o is None else o for o in output_size), "output_size")
    if H % OH == 0 and W % OW == 0:
        return avg_pool2d(input, (H // OH, W // OW))
    rows = []
    for i in range(OH):
        h0, h1 = (i * H) // OH, -((-(i + 1) * H) // OH)
        cols = [input[..., h0:h1, (j * W) // OW: -((-(j + 1) * W) // OW)].mean(dim=(-2, -1)) for j in range(OW)]
        rows.append(ops.stack(cols, dim=-1))
    return ops.stack(rows, dim=-2)
