"""Normalization layers other than BatchNorm: LayerNorm, RMSNorm, GroupNorm, InstanceNorm1d/2d/3d,
LocalResponseNorm."""
import numbers
import warnings

from mytorch import creation
from mytorch.nn import functional as F
from mytorch.nn.modules.layers import _BatchNorm
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter

__all__ = ["LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LocalResponseNorm"]


def _shape(normalized_shape):
    return (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)


class LayerNorm(Module):
    """Normalises over the trailing ``normalized_shape`` dims of each sample.

    Args:
        normalized_shape: int or shape of the trailing dims.
        eps: Default: ``1e-5``. elementwise_affine: learn weight (ones) and bias (zeros). Default: ``True``.
        bias: learn the bias (with elementwise_affine). Default: ``True``.

    Example::

        >>> nn.LayerNorm(10)(mytorch.randn(20, 5, 10)).shape
        mytorch.Size([20, 5, 10])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype))
            self.register_parameter("bias", Parameter(creation.zeros(*self.normalized_shape, dtype=dtype))
                                    if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.elementwise_affine:
            self.weight._data[...] = 1
            if self.bias is not None:
                self.bias._data[...] = 0

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}" if self.elementwise_affine else
                f"{self.normalized_shape}, eps={self.eps}, elementwise_affine=False, bias=False")


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) over the trailing dims, times a learnt weight."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalises each sample's channels in ``num_groups`` groups, then a per-channel affine.

    Args:
        num_groups: divides num_channels. num_channels: C.
        eps: Default: ``1e-5``. affine: Default: ``True``.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.weight = Parameter(creation.ones(num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.zeros(num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    _batched_dim = 3

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=False):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=affine)

    def _optional_state_keys(self, prefix):
        # torch's InstanceNorm (version < 2 checkpoints) tolerates missing running stats
        return ((prefix + "running_mean", prefix + "running_var", prefix + "num_batches_tracked")
                if self.track_running_stats else ())

    def forward(self, input):
        batched = self._batched_dim
        if input.ndim not in (batched - 1, batched):
            raise ValueError(f"expected {batched - 1}D or {batched}D input (got {input.ndim}D input)")
        feature_dim = input.ndim - (batched - 1)
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          f"warning by not passing in num_features, which is not used because affine=False")
        if input.ndim == batched - 1:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _apply_instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats, self.momentum if self.momentum is not None
                               else 0.0, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Per-(sample, channel) normalisation of (N, C, L) or (C, L) input."""
    _batched_dim = 3


class InstanceNorm2d(_InstanceNorm):
    """Per-(sample, channel) normalisation of (N, C, H, W) or (C, H, W) input."""
    _batched_dim = 4


class InstanceNorm3d(_InstanceNorm):
    """Per-(sample, channel) normalisation of (N, C, D, H, W) or (C, D, H, W) input."""
    _batched_dim = 5


class LocalResponseNorm(Module):
    """Normalises each channel by its ``size`` neighbours' mean square (AlexNet's LRN)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
