"""Convolution and pooling: primitives whose forward and backward call the kernels implementation
chosen in mytorch.backends (the implementation that ran the forward also runs the backward).

nn.functional re-exports every name in ``__all__``; this module is the kernels' side of the API.
One-dimensional ops are the two-dimensional ones on inputs of height 1; a transposed convolution's
forward is a convolution's input gradient and its backward a convolution and a weight gradient.
"""
import numpy as np

from mytorch import backends, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor
from kernels._common import adaptive_size, conv_out, pair, pool_out

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "max_unpool2d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# ---------------------------------------------------------------------------- padding modes
def _mode_indices(size, before, after, mode):
    """For each position of the padded axis, the input position it copies."""
    i = np.arange(-before, size + after)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= size, 2 * (size - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    return i % size  # circular


class ModePad(Function):
    """Reflect, replicate or circular padding of the trailing axes: a gather along each padded axis;
    the backward adds each gradient back to the position it was copied from."""
    def forward(self, a, widths, mode):
        self.shape, self.taken = a.shape, []
        for axis, (before, after) in enumerate(widths):
            if before or after:
                idx = _mode_indices(a.shape[axis], before, after, mode)
                self.taken.append((axis, idx))
                a = np.take(a, idx, axis=axis)
        return a

    def backward(self, g):
        for axis, idx in reversed(self.taken):
            shape = list(g.shape)
            shape[axis] = self.shape[axis]
            out = np.zeros(shape, g.dtype)
            np.add.at(out, (slice(None),) * axis + (idx,), g)
            g = out
        return g


def mode_pad(input, pad, mode):
    """torch.nn.functional.pad for mode 'reflect', 'replicate' or 'circular' (``pad``: (before, after)
    pairs from the last axis backwards, at most the spatial axes, as torch allows)."""
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"padding mode must be 'reflect', 'replicate' or 'circular', got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        axis = input.ndim - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        size = input.shape[axis]
        if min(before, after) < 0:
            raise NotImplementedError(f"negative padding is not supported, got {tuple(pad)}")
        if (mode == "reflect" and max(before, after) >= size) or (mode == "circular" and max(before, after) > size):
            raise RuntimeError(f"Padding size should be less than{'' if mode == 'reflect' else ' or equal to'} the "
                               f"corresponding input dimension, but got: padding ({before}, {after}) at dimension "
                               f"{axis} of input {list(input.shape)}")
        widths[axis] = (before, after)
    return ModePad.apply(input, widths=tuple(widths), mode=mode)


def conv_with_padding_mode(conv, input, weight, bias, stride, padding, dilation, groups, padding_mode, dims=2):
    """``conv(input, weight, bias, stride, padding, dilation, groups)`` where the padding is made with
    ``padding_mode`` (what the Conv modules' forward does; torch's ``_conv_forward``): 'zeros' passes
    the padding to the convolution, the other modes pad the input first, then convolve unpadded."""
    if padding_mode == "zeros":
        return conv(input, weight, bias, stride, padding, dilation, groups)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, but got padding_mode='{padding_mode}'")
    if padding == "valid":
        amounts = [(0, 0)] * dims
    elif padding == "same":
        d = (dilation,) * dims if isinstance(dilation, int) else tuple(dilation)
        totals = [dd * (k - 1) for dd, k in zip(d, weight.shape[2:])]
        amounts = [(t // 2, t - t // 2) for t in totals]
    else:
        p = (padding,) * dims if isinstance(padding, int) else tuple(padding)
        amounts = [(q, q) for q in p]
    flat = [v for before_after in reversed(amounts) for v in before_after]
    return conv(mode_pad(input, flat, padding_mode), weight, bias, stride, 0, dilation, groups)


# ---------------------------------------------------------------------------- convolution
def _f32(*arrays):
    """float16 arrays as float32 (others as they are): every implementation computes a float16
    convolution in float32 and rounds the results to float16, as torch's CPU kernels accumulate."""
    return [a.astype(np.float32) if a is not None and a.dtype == np.float16 else a for a in arrays]


def _as(dtype, *arrays):
    return tuple(a.astype(dtype, copy=False) if a is not None else None for a in arrays)


class Conv2d(Function):
    saved = ((0, None), (1, None))

    def forward(self, x, weight, *bias, stride, padding, dilation, groups):
        self.impl = backends.implementation()
        self.x, self.weight, self.args = x, weight, (stride, padding, dilation, groups)
        x, weight, b = _f32(x, weight, bias[0] if bias else None)
        return self.impl.conv2d_forward(x, weight, b, *self.args).astype(self.x.dtype, copy=False)

    def backward(self, grad):
        needs = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dx, dw, db = self.impl.conv2d_backward(*_f32(grad, self.x, self.weight), *self.args, needs=needs)
        return _as(self.x.dtype, dx, dw, db)[:len(self.needs_input_grad)]


def _same_padding(weight, dilation):
    """torch's padding='same': total D*(K-1) per axis, the odd one out going to the bottom/right."""
    DH, DW = dilation
    total_h, total_w = DH * (weight.shape[2] - 1), DW * (weight.shape[3] - 1)
    return (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2)


class ZeroPad(Function):
    """Zero padding of the last two axes by (left, right, top, bottom), for padding='same' with an
    even kernel (the only asymmetric padding a convolution needs)."""
    def forward(self, a, amounts):
        left, right, top, bottom = amounts
        self.crop = (Ellipsis, slice(top, top + a.shape[-2]), slice(left, left + a.shape[-1]))
        return np.pad(a, [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)])

    def backward(self, g):
        return g[self.crop]


def _check_conv(name, input, weight, bias, groups, transposed=False):
    if weight.ndim != 4:
        raise RuntimeError(f"weight should have 4 dimensions, got size {list(weight.shape)}")
    groups = int(groups)
    if groups < 1:
        raise RuntimeError(f"non-positive groups is not supported, got groups={groups}")
    channels = weight.shape[0] if transposed else weight.shape[1] * groups
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if not transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input to be "
                           f"divisible by groups={groups} at dimension 0")
    if input.shape[1] != channels:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {channels} channels, "
                           f"but got {input.shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size {list(bias.shape)} instead")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(f"Input type ({input.dtype}) and {what} type ({t.dtype}) should be the same")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name} expects a floating point input, got {input.dtype}")
    return groups


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
        float16 inputs are computed in float32 and the result returned in float16.

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
    groups = _check_conv("conv2d", input, weight, bias, groups)
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
                input = ZeroPad.apply(input, amounts=(left, right, top, bottom))
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


class ConvTranspose2d(Function):
    """y = the input gradient of the convolution whose output has the input's shape; its backward is
    that convolution (for dx) and the convolution's weight gradient with the roles of input and
    output gradient swapped (for dW)."""
    saved = ((0, None), (1, None))

    def forward(self, x, weight, *bias, stride, padding, dilation, groups, out_hw, extra):
        self.impl = backends.implementation()
        self.dtype = x.dtype
        x, weight = _f32(x, weight)
        self.x, self.weight, self.args, self.extra = x, weight, (stride, padding, dilation, groups), extra
        N, Cout = x.shape[0], weight.shape[1] * groups
        if extra != (0, 0):  # output_padding reaches rows no input row maps to: zero rows stand in
            x = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
        shape_only = np.zeros((N, Cout) + out_hw, x.dtype)
        y = self.impl.conv2d_backward(x, shape_only, weight, *self.args, needs=(True, False, False))[0]
        if bias:
            y += bias[0].reshape(1, -1, 1, 1).astype(y.dtype, copy=False)
        return y.astype(self.dtype, copy=False)

    def backward(self, grad):
        grad = _f32(grad)[0]
        needs = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        H, W = self.x.shape[2:]
        dx = self.impl.conv2d_forward(grad, self.weight, None, *self.args)[:, :, :H, :W] if needs[0] else None
        dw = None
        if needs[1]:
            x = self.x if self.extra == (0, 0) else np.pad(self.x, ((0, 0), (0, 0), (0, self.extra[0]),
                                                                     (0, self.extra[1])))
            dw = self.impl.conv2d_backward(x, grad, self.weight, *self.args, needs=(False, True, False))[1]
        db = grad.sum(axis=(0, 2, 3)) if needs[2] else None
        dx = np.ascontiguousarray(dx) if dx is not None else None
        return _as(self.dtype, dx, dw, db)[:len(self.needs_input_grad)]


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), as torch.nn.functional.conv_transpose2d.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (C, F/groups, KH, KW).
        bias: (F,) or None. Default: ``None``.
        stride, padding, dilation: int or pair. Default: 1, 0, 1.
        output_padding: rows/columns added to one side of the output. Default: 0.
        groups: Default: 1.

    Shape:
        Output (N, F, OH, OW), OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding + 1.

    Example::

        >>> conv_transpose2d(mytorch.randn(1, 4, 5, 5), mytorch.randn(4, 2, 3, 3), stride=2).shape
        mytorch.Size([1, 2, 11, 11])
    """
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of "
                           f"size: {list(input.shape)}")
    groups = _check_conv("conv_transpose2d", input, weight, bias, groups, transposed=True)
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    dilation, output_padding = pair(dilation, "dilation"), pair(output_padding, "output_padding")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise RuntimeError(f"conv_transpose2d: invalid stride={stride}, padding={padding}, dilation={dilation} "
                           f"or output_padding={output_padding}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out_hw = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
                   zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding))
    if min(out_hw) < 1:
        raise RuntimeError(f"Given input size per channel: {list(input.shape[2:])}. Calculated output size per "
                           f"channel: {list(out_hw)}. Output size is too small")
    # the convolution of the output has this many rows and columns; past the input's, zeros
    conv_hw = tuple(conv_out(o, k, s, p, d) for o, k, s, p, d in zip(out_hw, weight.shape[2:], stride, padding,
                                                                         dilation))
    extra = tuple(c - size for c, size in zip(conv_hw, input.shape[2:]))
    tensors = (input, weight) if bias is None else (input, weight, bias)
    return ConvTranspose2d.apply(*tensors, stride=stride, padding=padding, dilation=dilation, groups=groups,
                                 out_hw=out_hw, extra=extra)


def _single(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        return int(value[0])
    return int(value)


def _as_2d(input, name):
    """(N, C, L) or (C, L) as (N, C, 1, L) and the function that turns a 2-D result back."""
    if input.ndim == 2:
        return input.unsqueeze(0).unsqueeze(2), lambda y: y.squeeze(2).squeeze(0)
    if input.ndim != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to {name}, but got input of size: "
                           f"{list(input.shape)}")
    return input.unsqueeze(2), lambda y: y.squeeze(2)


def _weight_2d(weight, name):
    if weight.ndim != 3:
        raise RuntimeError(f"{name}: weight should have 3 dimensions, got size {list(weight.shape)}")
    return weight.unsqueeze(2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, as torch.nn.functional.conv1d: conv2d on inputs of height 1.

    Args:
        input: (N, C, L) or (C, L). weight: (F, C/groups, K). bias: (F,) or None.
        stride, dilation: int. padding: int, ``'valid'`` or ``'same'``. groups: int.

    Shape:
        Output (N, F, OL), OL = (L + 2*padding - dilation*(K-1) - 1) // stride + 1.
    """
    x, back = _as_2d(input, "conv1d")
    p = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    y = conv2d(x, _weight_2d(weight, "conv1d"), bias, (1, _single(stride, "stride")), p,
               (1, _single(dilation, "dilation")), groups)
    return back(y)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution, as torch.nn.functional.conv_transpose1d (conv_transpose2d on
    inputs of height 1). weight: (C, F/groups, K)."""
    x, back = _as_2d(input, "conv_transpose1d")
    y = conv_transpose2d(x, _weight_2d(weight, "conv_transpose1d"), bias, (1, _single(stride, "stride")),
                         (0, _single(padding, "padding")), (0, _single(output_padding, "output_padding")), groups,
                         (1, _single(dilation, "dilation")))
    return back(y)


# ---------------------------------------------------------------------------- pooling
class MaxPoolGrad(Function):
    """The gradient node of max pooling, adaptive or not: the forward ran in the kernels already
    (its indices are needed outside too, for return_indices), this routes the gradient by them."""
    saved = ((0, None),)

    def forward(self, x, y, indices, impl):
        self.impl, self.shape, self.indices = impl, x.shape, indices
        return y

    def backward(self, grad):
        return self.impl.max_pool2d_backward(grad, self.indices, self.shape)


class AvgPool2d(Function):
    saved = ((0, None),)

    def forward(self, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        self.impl, self.shape = backends.implementation(), x.shape
        self.args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        if x.dtype == np.float16:
            return self.impl.avg_pool2d_forward(x.astype(np.float32), *self.args).astype(np.float16)
        return self.impl.avg_pool2d_forward(x, *self.args)

    def backward(self, grad):
        if grad.dtype == np.float16:
            return self.impl.avg_pool2d_backward(grad.astype(np.float32), self.shape, *self.args).astype(np.float16)
        return self.impl.avg_pool2d_backward(grad, self.shape, *self.args)


class AdaptiveAvgPool2d(Function):
    saved = ((0, None),)

    def forward(self, x, output_size):
        self.impl, self.shape, self.size = backends.implementation(), x.shape, output_size
        if x.dtype == np.float16:
            return self.impl.adaptive_avg_pool2d_forward(x.astype(np.float32), output_size).astype(np.float16)
        return self.impl.adaptive_avg_pool2d_forward(x, output_size)

    def backward(self, grad):
        if grad.dtype == np.float16:
            return self.impl.adaptive_avg_pool2d_backward(grad.astype(np.float32), self.shape,
                                                          self.size).astype(np.float16)
        return self.impl.adaptive_avg_pool2d_backward(grad, self.shape, self.size)


def _pool_args(name, input, kernel_size, stride, padding, dilation, ceil_mode, integers=False):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: Expected 3D or 4D (batch mode) tensor for input, got size {list(input.shape)}")
    if not (input.dtype.is_floating_point or (integers and input.dtype.name not in ("bool", "complex64",
                                                                                   "complex128"))):
        raise RuntimeError(f"\"{name}\" not implemented for '{input.dtype}'")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be positive, got kernel_size={k}, "
                           f"stride={s}, dilation={d}")
    if min(p) < 0 or p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k} and dilation={d}")
    H, W = input.shape[-2], input.shape[-1]
    OH, OW = pool_out(H, k[0], s[0], p[0], d[0], ceil_mode), pool_out(W, k[1], s[1], p[1], d[1], ceil_mode)
    if OH < 1 or OW < 1:
        raise RuntimeError(f"Given input size: ({input.shape[-3]}x{H}x{W}). Calculated output size: "
                           f"({input.shape[-3]}x{OH}x{OW}). Output size is too small")
    return k, s, p, d


def _compute_dtype(x):
    """Max pooling runs in the input's dtype except float16, which the jitted loops lack: float32
    holds every float16 exactly, so the maximum and its index are the same."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over KH x KW windows, as torch.nn.functional.max_pool2d.

    Args:
        input: (N, C, H, W) or (C, H, W); floating point or integer.
        kernel_size: int or pair. stride: Default: ``kernel_size``. padding: at most half the kernel.
        dilation: spacing of a window's taps. Default: 1.
        ceil_mode: keep a last, partial window. Default: ``False``.
        return_indices: also return the argmax as flat h * W + w indices. Default: ``False``.
    """
    k, s, p, d = _pool_args("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, integers=True)
    if input.ndim == 3:
        out = max_pool2d(input.unsqueeze(0), k, s, p, d, ceil_mode, return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    impl = backends.implementation()
    y, indices = impl.max_pool2d_forward(_compute_dtype(input._data), k, s, p, d, ceil_mode)
    y = MaxPoolGrad.apply(input, y=y.astype(input._data.dtype, copy=False), indices=indices, impl=impl)
    return (y, Tensor._make(indices)) if return_indices else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over KH x KW windows, as torch.nn.functional.avg_pool2d.

    Args:
        kernel_size, stride (Default: ``kernel_size``), padding: int or pair.
        ceil_mode: keep a last, partial window. Default: ``False``.
        count_include_pad: zero padding counts in the divisor. Default: ``True``.
        divisor_override: divide every window's sum by this instead. Default: ``None``.
    """
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, _ = _pool_args("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    if input.ndim == 3:
        return avg_pool2d(input.unsqueeze(0), k, s, p, ceil_mode, count_include_pad, divisor_override).squeeze(0)
    return AvgPool2d.apply(input, kernel_size=k, stride=s, padding=p, ceil_mode=bool(ceil_mode),
                           count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def _adaptive_check(name, input, output_size, integers=False):
    if input.ndim not in (3, 4) or min(input.shape[-2:]) < 1:
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor with non-zero sizes for the spatial dimensions, "
                           f"but input has sizes {list(input.shape)}")
    if not (input.dtype.is_floating_point or integers):
        raise RuntimeError(f"\"{name}\" not implemented for '{input.dtype}'")
    OH, OW = adaptive_size(input.shape, output_size)
    if OH < 0 or OW < 0:
        raise RuntimeError(f"{name}: output_size must be non-negative, got {(OH, OW)}")
    return OH, OW


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size, torch's bins: rows floor(i*H/OH) to ceil((i+1)*H/OH).
    Global average pooling (output 1x1) is a mean over the plane."""
    OH, OW = _adaptive_check("adaptive_avg_pool2d", input, output_size)
    if (OH, OW) == (1, 1) and input.dtype.name != "float16":
        return ops.mean(input, dim=(-2, -1), keepdim=True)
    if input.ndim == 3:
        return adaptive_avg_pool2d(input.unsqueeze(0), (OH, OW)).squeeze(0)
    return AdaptiveAvgPool2d.apply(input, output_size=(OH, OW))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size over torch's adaptive bins; indices as max_pool2d's."""
    OH, OW = _adaptive_check("adaptive_max_pool2d", input, output_size)
    if input.ndim == 3:
        out = adaptive_max_pool2d(input.unsqueeze(0), (OH, OW), return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    impl = backends.implementation()
    y, indices = impl.adaptive_max_pool2d_forward(_compute_dtype(input._data), (OH, OW))
    y = MaxPoolGrad.apply(input, y=y.astype(input._data.dtype, copy=False), indices=indices, impl=impl)
    return (y, Tensor._make(indices)) if return_indices else y


def _pool1d(name, input):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor for input, got size {list(input.shape)}")
    return input.unsqueeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """max_pool2d over (N, C, L) or (C, L) inputs (height 1); indices are positions along L."""
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride")
    out = max_pool2d(_pool1d("max_pool1d", input), (1, k), (1, s), (0, _single(padding, "padding")),
                     (1, _single(dilation, "dilation")), ceil_mode, return_indices)
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """avg_pool2d over (N, C, L) or (C, L) inputs (height 1)."""
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride")
    return avg_pool2d(_pool1d("avg_pool1d", input), (1, k), (1, s), (0, _single(padding, "padding")), ceil_mode,
                      count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool2d(_pool1d("adaptive_avg_pool1d", input), (1, _single(output_size, "output_size"))
                               ).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = adaptive_max_pool2d(_pool1d("adaptive_max_pool1d", input), (1, _single(output_size, "output_size")),
                              return_indices)
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


class MaxUnpool2d(Function):
    saved = ()

    def forward(self, x, indices, size):
        N, C = x.shape[:2]
        self.shape_in = x.shape[2:]
        self.indices = indices.reshape(N, C, -1)
        y = np.zeros((N, C, size[0] * size[1]), x.dtype)
        np.put_along_axis(y, self.indices, x.reshape(N, C, -1), axis=2)
        return y.reshape(N, C, *size)

    def backward(self, grad):
        N, C = grad.shape[:2]
        g = np.take_along_axis(grad.reshape(N, C, -1), self.indices, axis=2)
        return g.reshape(self.indices.shape[:2] + self.shape_in)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d with return_indices: each value put back at its index, zeros elsewhere."""
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else pair(stride, "stride")
    p = pair(padding, "padding")
    if input.ndim == 3:
        return max_unpool2d(input.unsqueeze(0), indices.unsqueeze(0), k, s, p, output_size).squeeze(0)
    if output_size is None:
        size = tuple((i - 1) * ss - 2 * pp + kk for i, ss, pp, kk in zip(input.shape[2:], s, p, k))
    else:
        size = tuple(output_size)[-2:]
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= size[0] * size[1]):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are of size "
                           f"{size[0]}x{size[1]})")
    return MaxUnpool2d.apply(input, indices=idx, size=size)
