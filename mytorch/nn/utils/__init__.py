"""torch.nn.utils: gradient clipping, parameter flattening, ``rnn`` (packed sequences), ``prune``,
and the hook-based ``weight_norm`` / ``spectral_norm`` reparametrisations."""
import numpy as np

from mytorch.autograd import no_grad
from mytorch.tensor import Tensor
from mytorch.nn.utils import parametrizations, parametrize, prune, rnn
# NOTE: these rebind the names `spectral_norm` and `weight_norm` from the submodules to the
# functions, as torch's own `from .spectral_norm import spectral_norm` does; the submodules stay
# importable as mytorch.nn.utils.spectral_norm via sys.modules.
from mytorch.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from mytorch.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["rnn", "prune", "parametrize", "parametrizations", "spectral_norm", "remove_spectral_norm", "weight_norm", "remove_weight_norm",
           "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients together so their joint norm is at most max_norm; returns the norm."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor._make(np.asarray(0.0, np.float32))
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.abs(g._data).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g._data.astype(np.float64)) ** norm_type).sum()) for g in grads)) ** (1 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped.")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        with no_grad():
            for g in grads:
                g._data = g._data * g._data.dtype.type(coef)
    return Tensor._make(np.asarray(total, dtype=grads[0]._data.dtype))


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Deprecated alias of ``clip_grad_norm_`` (warns FutureWarning, as torch)."""
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value):
    with no_grad():
        for p in _params(parameters):
            if p.grad is not None:
                np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters):
    return Tensor._make(np.concatenate([p._data.reshape(-1) for p in _params(parameters)]))


def vector_to_parameters(vec, parameters):
    offset = 0
    with no_grad():
        for p in _params(parameters):
            n = p.numel()
            p._data[...] = vec._data[offset:offset + n].reshape(p.shape)
            offset += n
