"""nn.functional dropout family: dropout, channel dropouts, alpha dropouts, rrelu."""
import numpy as np

from mytorch.tensor import Tensor
from mytorch.nn._activation import _write_back

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


# ---------------------------------------------------------------------------- dropout family
def _bernoulli_keep(shape, p, dtype):
    from mytorch.random import rng
    return (rng().random(shape, dtype=np.float32) >= np.float32(p)).astype(dtype)


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _masked(input, mask, inplace):
    out = input * Tensor._make(mask)
    return _write_back(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    dtype = input._data.dtype if input._data.dtype.kind == "f" else np.float32
    if p == 1.0:
        return _masked(input, np.zeros((), dtype), inplace)
    keep = _bernoulli_keep(tuple(input.shape), p, dtype)
    return _masked(input, keep * dtype.type(1.0 / (1.0 - p)), inplace)


def _feature_dropout(input, p, training, inplace, alpha):
    """Drops whole channels: one draw per (sample, channel), broadcast over the spatial dims."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    dtype = input._data.dtype
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = _bernoulli_keep(mask_shape, p, dtype) if p < 1 else np.zeros(mask_shape, dtype)
    if not alpha:
        return _masked(input, keep / dtype.type(1 - p) if p < 1 else keep, inplace)
    return _alpha_apply(input, keep, p, inplace)


_ALPHA_PRIME = 1.7580993408473766  # SELU's -scale * alpha: the value a dropped SELU unit saturates to


def _alpha_apply(input, keep, p, inplace):
    """x * keep * a + (keep - 1) * alpha' * a + alpha' * a * p (torch's affine correction keeps mean 0, var 1)."""
    if p == 1:
        return _masked(input, np.zeros((), input._data.dtype), inplace)
    a = 1.0 / np.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    dtype = input._data.dtype
    b = ((keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p).astype(dtype)
    out = input * Tensor._make((keep * a).astype(dtype)) + Tensor._make(b)
    return _write_back(input, out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value, then an affine map
    restores zero mean and unit variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _alpha_apply(input, _bernoulli_keep(tuple(input.shape), p, input._data.dtype), p, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels."""
    return _feature_dropout(input, p, training, inplace, alpha=True)


def _unbatched_feature_dropout(input, p, training, inplace, batched_dim):
    if input.ndim == batched_dim - 1:
        out = _feature_dropout(input.unsqueeze(0), p, training, False, alpha=False)
        out = out.squeeze(0) if out is not input else out
        if out is input or not training or p == 0:
            return input
        return _write_back(input, out) if inplace else out
    return _feature_dropout(input, p, training, inplace, alpha=False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched_feature_dropout(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input (a 3-D input is taken as (N, C, L), as torch)."""
    _check_p(p)
    import warnings
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, alpha=False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        import warnings
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on "
                      "inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", UserWarning, stacklevel=2)
    return _unbatched_feature_dropout(input, p, training, inplace, 5)


