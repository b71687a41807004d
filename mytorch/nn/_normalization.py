"""nn.functional normalization: batch, layer, group, instance, RMS and local response norm."""
import numpy as np

from mytorch import ops
from mytorch.ops import _kernels
from mytorch.autograd import Function
from mytorch.nn._functional_base import _SavedInput
from mytorch.nn._sampling import pad

__all__ = ["batch_norm", "layer_norm", "rms_norm", "group_norm", "instance_norm", "local_response_norm"]


# ---------------------------------------------------------------------------- batch norm
class BatchNorm(Function):
    """Training-mode batch norm as one primitive, on the kernels (kernels/normalization.py for
    numba: the statistics in float64, two passes forward and two backward, xhat recomputed from the
    input) instead of a ~15-node graph. The backward reads the input, as torch's does: ``saved``
    declares it so that changing the input in place afterwards raises as in torch."""
    saved = ((0, None),)

    def forward(self, x, *affine, axes, eps, stats):
        self.axes, self.eps = axes, eps
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        self.shape = shape
        self.kernels = _kernels()
        self.x, self.weight = x, (affine[0] if affine else None)
        y, self.mean, var, self.invstd = self.kernels.batch_norm_forward(x, self.weight, affine[1] if affine else None,
                                                                          eps)
        stats.extend((self.mean, var))  # for the running statistics, even under no_grad
        return y

    def backward(self, g):
        dx, dweight, dbias = self.kernels.batch_norm_backward(g, self.x, self.mean, self.invstd, self.weight,
                                                              self.needs_input_grad[0])
        if self.weight is None:
            return dx
        return dx, dweight.astype(self.weight.dtype, copy=False), dbias.astype(self.weight.dtype, copy=False)

    def backward_t(self, g):
        x = self.parents[0]
        xhat, invstd = _standardize_t(x, self.axes, self.eps)
        if self.weight is None:
            return _standardize_back_t(g, xhat, invstd, self.axes)
        w = self.parents[1]
        dx = _standardize_back_t(g * ops.reshape(w, tuple(self.shape)), xhat, invstd, self.axes)
        return dx, ops.sum(g * xhat, dim=self.axes), ops.sum(g, dim=self.axes)


# create_graph=True: the normalisations' backward in differentiable mytorch ops, xhat and invstd recomputed
# from the input Tensor so that the gradient's own gradient reaches it.
def _standardize_t(x, axes, eps):
    centred = x - ops.mean(x, dim=axes, keepdim=True)
    invstd = (ops.mean(centred * centred, dim=axes, keepdim=True) + eps) ** -0.5
    return centred * invstd, invstd


def _standardize_back_t(g, xhat, invstd, axes):
    n = int(np.prod([g.shape[a] for a in axes]))
    sum_g = ops.sum(g, dim=axes, keepdim=True)
    sum_gx = ops.sum(g * xhat, dim=axes, keepdim=True)
    return (invstd / n) * (n * g - sum_g - xhat * sum_gx)


class BatchNormAffine(BatchNorm):
    """BatchNorm with weight and bias: the backward reads the weight (for the version check)."""
    saved = ((0, None), (1, 0))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every dim but the channel dim (1).

    In training mode the batch statistics normalise the input and update the running buffers in
    place: ``running = (1 - momentum) * running + momentum * batch`` with the unbiased variance, as
    torch does. In eval mode the running statistics are used."""
    if input.ndim < 2:
        raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        affine = (weight, bias) if weight is not None else ()
        if weight is not None and bias is None:
            from mytorch.creation import zeros
            affine = (weight, zeros(C, dtype=weight.dtype))
        stats = []
        fn_out = (BatchNormAffine if affine else BatchNorm).apply(input, *affine, axes=axes, eps=eps, stats=stats)
        if running_mean is not None and momentum is not None:
            mean, var = stats
            m = momentum
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean
            running_var._data[...] = (1 - m) * running_var._data + m * var * (n / (n - 1))
        return fn_out
    shape = [1] * input.ndim
    shape[1] = C
    input = _SavedInput.apply(input)  # torch's eval-mode batch norm saves the input too
    out = (input - running_mean.detach().reshape(shape)) / ops.sqrt(running_var.detach().reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---------------------------------------------------------------------------- normalization layers
class Standardize(Function):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance) as one primitive; the backward
    is the closed form invstd / n * (n g - sum(g) - xhat * sum(g xhat)). ``saved``: torch's layer,
    group and instance norms save the input (see BatchNorm)."""
    saved = ((0, None),)

    def forward(self, x, axes, eps, stats=None):
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        self.invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        self.xhat = centred * self.invstd
        self.axes, self.eps = axes, eps
        self.n = int(np.prod([x.shape[a] for a in axes]))
        if stats is not None:
            stats.extend((mean, var))
        return self.xhat

    def backward(self, g):
        n, xhat, axes = self.n, self.xhat, self.axes
        sum_g = g.sum(axis=axes, keepdims=True)
        sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
        return (self.invstd / n) * (n * g - sum_g - xhat * sum_gx)

    def backward_t(self, g):
        xhat, invstd = _standardize_t(self.parents[0], self.axes, self.eps)
        return _standardize_back_t(g, xhat, invstd, self.axes)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing ``normalized_shape`` dims, then ``* weight + bias``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    out = Standardize.apply(input, axes=tuple(range(input.ndim - k, input.ndim)), eps=eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing dims, times ``weight``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    out = input * ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def _channel_shape(input, C):
    return (C,) + (1,) * (input.ndim - 2)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises each sample's channels in ``num_groups`` groups, then a per-channel affine."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    N, C = input.shape[0], input.shape[1]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    grouped = input.reshape(N, num_groups, -1)
    out = Standardize.apply(grouped, axes=(2,), eps=eps).reshape(tuple(input.shape))
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input, C))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(input, C))
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each (sample, channel) over its spatial dims; the running statistics, if given,
    move towards the batch average of the per-instance statistics (unbiased variance), as torch."""
    if input.ndim < 3:
        raise ValueError(f"expected at least 3D input (got {input.ndim}D input)")
    C = input.shape[1]
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = tuple(range(2, input.ndim))
    n = int(np.prod(input.shape[2:]))
    if n <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    stats = []
    out = Standardize.apply(input, axes=spatial, eps=eps, stats=stats)
    if running_mean is not None and momentum is not None:
        mean, var = stats
        m = momentum
        running_mean._data[...] = (1 - m) * running_mean._data + m * mean.reshape(input.shape[0], C).mean(0)
    if running_var is not None and momentum is not None:
        mean, var = stats
        unbiased = var.reshape(input.shape[0], C) * (n / (n - 1))
        running_var._data[...] = (1 - momentum) * running_var._data + momentum * unbiased.mean(0)
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input, C))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(input, C))
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (zero-padded window)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    C = input.shape[1]
    sq = input * input
    widths = [0] * (2 * (input.ndim - 2)) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    lead = (slice(None),)
    window = padded[lead + (slice(0, C),)]
    for j in range(1, size):
        window = window + padded[lead + (slice(j, j + C),)]
    div = (window * (alpha / size) + k) ** beta
    return input / div


