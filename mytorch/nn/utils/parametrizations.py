"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (the modern
forms of the hook-based nn.utils.weight_norm / spectral_norm), with torch's state_dict keys:
``parametrizations.weight.original0`` (g) / ``original1`` (v) for weight_norm, and
``parametrizations.weight.original`` plus the power-iteration buffers ``parametrizations.weight.0._u`` /
``_v`` for spectral_norm."""
import numpy as np

from mytorch import ops
from mytorch.autograd import no_grad
from mytorch.tensor import Tensor
from mytorch.nn.modules.module import Module
from mytorch.nn.utils import parametrize
from mytorch.nn.utils.weight_norm import norm_except_dim

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim).detach(), weight.detach()


def weight_norm(module, name="weight", dim=0):
    """Reparametrises ``module.<name>`` as g * v / ||v|| (norm over every dim but ``dim``; ``dim=None``:
    the whole tensor), with g = ``parametrizations.<name>.original0`` and v = ``original1``.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape  # (40, 1)
    """
    dim = -1 if dim is None else (dim + getattr(module, name).ndim if dim < -1 else dim)
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _normalize(a, eps):
    return a / max(float(np.linalg.norm(a)), eps)


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                             f"{n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            from mytorch.random import rng
            mat = self._reshape_weight_to_matrix(weight.detach())._data
            h, w = mat.shape
            u = _normalize(rng().normal(0, 1, h), eps).astype(mat.dtype)
            v = _normalize(rng().normal(0, 1, w), eps).astype(mat.dtype)
            self.register_buffer("_u", Tensor._make(u))
            self.register_buffer("_v", Tensor._make(v))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, mat, n_power_iterations):
        w = mat.astype(np.float64)
        u, v = self._u._data.astype(np.float64), self._v._data.astype(np.float64)
        for _ in range(n_power_iterations):
            u = _normalize(w @ v, self.eps)
            v = _normalize(w.T @ u, self.eps)
        self._u._data[...] = u
        self._v._data[...] = v

    def forward(self, weight):
        if weight.ndim == 1:
            from mytorch.nn.functional import normalize
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            with no_grad():
                self._power_method(weight_mat._data, self.n_power_iterations)
        u, v = Tensor._make(self._u._data.copy()), Tensor._make(self._v._data.copy())
        sigma = (u * ops.matmul(weight_mat, v.reshape(-1, 1)).reshape(-1)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrises ``module.<name>`` as W / sigma(W), sigma the largest singular value estimated by
    ``n_power_iterations`` power-iteration steps per training-mode access (buffers ``_u``, ``_v``).
    ``dim`` defaults to 1 for ConvTranspose layers, else 0.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
