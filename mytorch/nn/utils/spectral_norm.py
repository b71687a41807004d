"""torch.nn.utils.spectral_norm: w / sigma(w), sigma estimated by power iteration (buffers
``name + "_u"`` and ``name + "_v"``, updated in training mode) before every forward."""
import numpy as np

from mytorch import ops
from mytorch.autograd import no_grad
from mytorch.tensor import Tensor

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalize(a, eps):
    return a / max(float(np.linalg.norm(a)), eps)


class SpectralNorm:
    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                             f"{n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                w = weight_mat._data.astype(np.float64)
                uu, vv = u._data.astype(np.float64), v._data.astype(np.float64)
                for _ in range(self.n_power_iterations):
                    vv = _normalize(w.T @ uu, self.eps)
                    uu = _normalize(w @ vv, self.eps)
                u._data[...] = uu
                v._data[...] = vv
        u_c, v_c = Tensor._make(u._data.copy()), Tensor._make(v._data.copy())
        sigma = (u_c * ops.matmul(weight_mat, v_c)).sum()
        return weight / sigma

    def remove(self, module):
        from mytorch.nn.parameter import Parameter
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        del module._buffers[self.name + "_u"]
        del module._buffers[self.name + "_v"]
        del module._parameters[self.name + "_orig"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        from mytorch.random import rng
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        mat = fn.reshape_weight_to_matrix(weight.detach())
        h, w = mat.shape
        dtype = weight._data.dtype
        u = Tensor._make(_normalize(rng().normal(0, 1, h), eps).astype(dtype))
        v = Tensor._make(_normalize(rng().normal(0, 1, w), eps).astype(dtype))
        del module._parameters[name]
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, Tensor._make(weight._data.copy()))
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides ``module.<name>`` by its largest singular value, estimated by power iteration."""
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
