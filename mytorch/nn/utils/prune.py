"""torch.nn.utils.prune: masks a parameter through a forward pre-hook.

Pruning ``name`` keeps the original as the parameter ``name + "_orig"``, the mask as the buffer
``name + "_mask"`` and sets ``module.<name> = orig * mask`` before every forward (so gradients
reach the original only where the mask is 1). Pruning again prunes among what is left."""
import numbers

import numpy as np

from mytorch.autograd import no_grad
from mytorch.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


def _validate_amount(amount):
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (not isinstance(amount, numbers.Integral) and
                                                                   (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _n_to_prune(amount, size):
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
        return int(amount)
    return int(round(amount * size))


class BasePruningMethod:
    """A pruning technique: ``compute_mask(t, default_mask)`` says which entries survive."""

    PRUNING_TYPE = "unstructured"
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        raise NotImplementedError

    def apply_mask(self, module):
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        old_method = None
        found = 0
        for k, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old_method, found = hook, found + 1
                del module._forward_pre_hooks[k]
        if found > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                                 "Use a PruningContainer.")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old_method is not None:
            container = old_method if isinstance(old_method, PruningContainer) else PruningContainer(old_method)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        scores = importance_scores if importance_scores is not None else orig
        if old_method is None:
            default_mask = Tensor._make(np.ones(orig.shape, dtype=orig._data.dtype))
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
        else:
            orig = getattr(module, name + "_orig")
            default_mask = getattr(module, name + "_mask").detach().clone()
        mask = method.compute_mask(scores, default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        scores = importance_scores if importance_scores is not None else t
        default_mask = default_mask if default_mask is not None else Tensor._make(np.ones(t.shape, t._data.dtype))
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module):
        weight = self.apply_mask(module)
        from mytorch.nn.parameter import Parameter
        delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        with no_grad():
            orig._data = np.array(weight._data)
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig if isinstance(orig, Parameter) else Parameter(orig))


class PruningContainer(BasePruningMethod):
    """Several pruning methods on one tensor, each pruning among the entries the previous left."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], (tuple, list)):
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args[0] if len(args) == 1 else args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                             f"PruningContainer. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        mask = default_mask._data.copy()
        keep = mask == 1
        if method.PRUNING_TYPE == "unstructured":
            partial = method.compute_mask(Tensor._make(t._data[keep]), Tensor._make(mask[keep]))
            mask[keep] = partial._data
        else:
            dim = method.dim if method.dim >= 0 else t.ndim + method.dim
            others = tuple(i for i in range(t.ndim) if i != dim)
            alive = np.flatnonzero(mask.sum(axis=others) != 0)
            index = [slice(None)] * t.ndim
            index[dim] = alive
            partial = method.compute_mask(Tensor._make(t._data[tuple(index)]), Tensor._make(mask[tuple(index)]))
            mask[tuple(index)] = partial._data
        return Tensor._make(mask)


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones)."""

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` entries (an int, or a fraction of those left) chosen at random."""

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _n_to_prune(self.amount, t.numel())
        mask = default_mask._data.copy()
        if k:
            from mytorch.random import rng
            order = np.argsort(rng().random(t.numel()))
            mask.reshape(-1)[order[:k]] = 0
        return Tensor._make(mask)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the ``amount`` entries of smallest absolute value."""

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _n_to_prune(self.amount, t.numel())
        mask = default_mask._data.copy()
        if k:
            order = np.argsort(np.abs(t._data).reshape(-1), kind="stable")
            mask.reshape(-1)[order[:k]] = 0
        return Tensor._make(mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim``, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        dim = self.dim if self.dim >= 0 else t.ndim + self.dim
        k = _n_to_prune(self.amount, t.shape[dim])
        mask = default_mask._data.copy()
        if k:
            from mytorch.random import rng
            pruned = np.argsort(rng().random(t.shape[dim]))[:k]
            index = [slice(None)] * t.ndim
            index[dim] = pruned
            mask[tuple(index)] = 0
        return Tensor._make(mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` channels along ``dim`` of smallest L``n`` norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        dim = self.dim if self.dim >= 0 else t.ndim + self.dim
        k = _n_to_prune(self.amount, t.shape[dim])
        mask = default_mask._data.copy()
        if k:
            moved = np.moveaxis(np.abs(t._data).astype(np.float64), dim, 0).reshape(t.shape[dim], -1)
            n = self.n
            norms = (moved.max(1) if n in ("inf", float("inf")) else
                     (moved ** n).sum(1) ** (1 / n) if n not in ("fro",) else np.sqrt((moved ** 2).sum(1)))
            index = [slice(None)] * t.ndim
            index[dim] = np.argsort(norms, kind="stable")[:k]
            mask[tuple(index)] = 0
        return Tensor._make(mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given mask is 0."""

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        return Tensor._make(default_mask._data * (self.mask._data if isinstance(self.mask, Tensor) else
                                                  np.asarray(self.mask)).astype(default_mask._data.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Zeroes the ``amount`` (int, or fraction of the unpruned) entries of smallest |value|."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prunes across several (module, name) pairs at once, as if they were one tensor."""
    parameters = list(parameters)
    importance_scores = importance_scores or {}
    tensors, masks = [], []
    for module, name in parameters:
        scores = importance_scores.get((module, name), getattr(module, name))
        tensors.append(scores._data.reshape(-1))
        mask = getattr(module, name + "_mask", None)
        masks.append(mask._data.reshape(-1) if mask is not None else np.ones(scores.numel(), scores._data.dtype))
    flat, default = np.concatenate(tensors), np.concatenate(masks)
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    final = container.compute_mask(Tensor._make(flat), Tensor._make(default))._data
    offset = 0
    for module, name in parameters:
        n = getattr(module, name).numel()
        custom_from_mask(module, name, Tensor._make(final[offset:offset + n].reshape(getattr(module, name).shape)))
        offset += n


def remove(module, name):
    """Makes the pruning permanent: ``name`` becomes a plain parameter holding orig * mask."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether any submodule has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod) for m in module.modules()
               for hook in m._forward_pre_hooks.values())
