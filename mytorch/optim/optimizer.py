"""Optimizer: param_groups, per-parameter state, zero_grad, hooks and torch-compatible state_dicts.

Each algorithm lives in its own module (sgd.py, adam.py, ...) in torch's three layers: the class
gathers the state of the parameters that have gradients (``_update_group``, called by the base
``step()`` once every group has been checked, so a bad parameter fails before anything changes); a
functional (``sgd()``, ``adam()``, ...) picks the form in one visible place; the forms do the
arithmetic on ndarrays, in place: ``_single_tensor_<name>`` in NumPy expressions (the reference,
torch's formulas in torch's order) and, for SGD, Adam/AdamW, Adadelta, RMSprop and Adagrad,
``_fused_<name>``, one compiled pass per parameter (see _fused.py). ``fused=None`` picks the fused
form where numba's JIT is on and the parameters are float32/float64; ``fused=False`` forces the
NumPy form. There is no separate ``foreach`` form: NumPy has no multi-tensor kernels, so
``foreach`` is kept in the groups (torch's state_dict has it) and changes nothing.

Thread story: an optimizer touches only its own parameters and state, so two threads may step two
optimizers at once; one optimizer stepped from two threads at once is a race, as in torch.
"""
import copy
import functools
import itertools
from collections import OrderedDict, defaultdict

import numpy as np

from mytorch.autograd import _bump, enable_grad
from mytorch.optim import _fused
from mytorch.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _check(condition, message):
    if not condition:
        raise ValueError(message)


def _scalar_dtype():
    """The dtype of 'step' and the other scalar state: float32, float64 under a float64 default
    (torch's ``_get_scalar_dtype``)."""
    import mytorch
    return np.float64 if str(mytorch.get_default_dtype()).endswith("float64") else np.float32


def _to_array(value):
    """A state value (ours, torch's or NumPy's tensor) as an ndarray, without importing torch."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _is_tensor_like(value):
    return isinstance(value, (Tensor, np.ndarray)) or (hasattr(value, "detach") and hasattr(value, "numpy"))


def _resolve_fused(fused, arrays, name):
    """The choice between an algorithm's ``_fused_`` and ``_single_tensor_`` forms. None: fused
    where numba's JIT is on and every parameter is float32/float64."""
    if fused is None:
        return _fused.jit_active() and _fused.supported(arrays)
    if fused and not _fused.supported(arrays):
        bad = next(a.dtype for a in arrays if a.dtype not in _fused.FUSED_DTYPES)
        raise RuntimeError(f"`fused=True` requires all the params to be float32 or float64 for {name}, "
                           f"but one is {bad}")
    return bool(fused)


def _check_fused_foreach(fused, foreach, differentiable):
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise NotImplementedError("differentiable=True (an optimizer step autograd can differentiate "
                                  "through) is not supported by mytorch")


class _RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks, self.id = hooks, next(self._ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _hooked_step(step):
    """Wraps a class's ``step`` so that the step pre- and post-hooks run around it; as torch's,
    a hook gets ``(optimizer, args, kwargs)`` with the optimizer itself first in ``args``."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        if self.__dict__.get("_in_hooked_step"):  # a subclass's step calling super().step(): hooks ran already
            return step(*args, **kwargs)
        self._in_hooked_step = True
        try:
            return _run_hooked(step, self, args, kwargs)
        finally:
            self._in_hooked_step = False
    wrapper._hooked = True
    return wrapper


def _run_hooked(step, self, args, kwargs):
    for hook in list(self._optimizer_step_pre_hooks.values()):
        result = hook(self, args, kwargs)
        if result is not None:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), "
                                   f"but got {result}.")
            args, kwargs = result
    out = step(*args, **kwargs)
    for hook in list(self._optimizer_step_post_hooks.values()):
        hook(self, args, kwargs)
    return out


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts defining
            parameter groups.
        defaults: the hyperparameters every group gets unless it sets its own.

    A subclass either implements ``step()`` itself (torch's way: read ``self.param_groups``,
    ``p.grad`` and ``self.state[p]``), or ``_update_group(group, params, grads)``, which the base
    ``step()`` calls with the parameters that have a gradient and their gradients as ndarrays.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__ and not getattr(cls.__dict__["step"], "_hooked", False):
            cls.step = _hooked_step(cls.__dict__["step"])

    def __getstate__(self):  # hooks (often lambdas) stay behind, as torch's
        return {k: v for k, v in self.__dict__.items() if not (k.startswith("_optimizer_") and k.endswith("_hooks"))}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("step_pre", "step_post", "state_dict_pre", "state_dict_post", "load_state_dict_pre",
                     "load_state_dict_post"):
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", OrderedDict())

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Adds a group of parameters, each hyperparameter it does not set taken from the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        group["params"] = tensors
        if names:
            group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 f"{'with' if names else 'without'} names to the optimizer")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in tensors}:
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate(group)
        if group.get("fused") or getattr(self, "_fused", None):
            _resolve_fused(True, [p._data for p in tensors], type(self).__name__)  # torch checks this up front too
        self.param_groups.append(group)

    def _validate(self, group):
        lr = group["lr"]
        if lr is not required:
            _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        if group.get("weight_decay", 0.0) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def zero_grad(self, set_to_none=True):
        """Resets the gradients: to None (the default, as torch), or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:  # a gradient with a graph (create_graph=True)
                            p.grad = p.grad.detach()
                        p.grad._data = np.zeros_like(p.grad._data)

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each step; it may return
        ``(new_args, new_kwargs)``. Returns a handle whose ``remove()`` takes it away."""
        handle = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each step."""
        handle = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _register(hooks, hook, prepend):
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ the step
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = [(group, *self._params_with_grad(group, gi)) for gi, group in enumerate(self.param_groups)]
        for group, params, grads in work:
            if params:
                self._update_group(group, params, grads)
                for p in params:  # an in-place change, as torch's: a graph that saved p now fails at backward
                    _bump(p)
        return loss

    def _update_group(self, group, params, grads):
        raise NotImplementedError(f"{type(self).__name__} must implement step() or _update_group()")

    def _params_with_grad(self, group, gi):
        """Group ``gi``'s parameters that have a gradient, and those gradients as ndarrays; a
        parameter that cannot be updated raises here, before any parameter has changed."""
        params, grads = [], []
        for i, p in enumerate(group["params"]):
            if p.grad is None:
                continue
            data, grad = p._data, p.grad._data
            if data.dtype.kind not in "fc":
                raise RuntimeError(f"{type(self).__name__} can only update floating-point parameters, but parameter "
                                   f"{i} of its group {gi} (shape {tuple(data.shape)}) "
                                   f"holds {data.dtype} data (was its .data replaced?)")
            if grad.shape != data.shape:
                raise RuntimeError(f"parameter {i} of group {gi} has shape "
                                   f"{tuple(data.shape)} but its gradient has shape {tuple(grad.shape)}")
            if not data.flags.writeable:
                raise RuntimeError(f"parameter {i} of group {gi} is a read-only "
                                   "array and cannot be updated in place")
            params.append(p)
            grads.append(grad)
        return params, grads

    @staticmethod
    def _buffer(state, name, param, fill=0.0):
        """``state[name]``'s array, made on first use (``fill``, the parameter's shape and dtype,
        C-ordered) and kept in the parameter's dtype if that changed since."""
        buf = state.get(name)
        if buf is None:
            buf = state[name] = Tensor._make(np.full(param.shape, fill, dtype=param.dtype))
        elif buf._data.dtype != param.dtype or not buf._data.flags.c_contiguous or not buf._data.flags.writeable:
            buf._data = np.array(buf._data, dtype=param.dtype, order="C")
        if buf._data.shape != param.shape:
            raise RuntimeError(f"the state '{name}' has shape {tuple(buf._data.shape)} but its parameter has shape "
                               f"{tuple(param.shape)}")
        return buf._data

    @staticmethod
    def _scalar(state, name, value):
        """``state[name]``: a 0-d tensor of the scalar dtype (float32 as torch), made on first use."""
        if name not in state:
            state[name] = Tensor._make(np.array(value, dtype=_scalar_dtype()))
        elif not isinstance(state[name], Tensor):  # an old-style number from a loaded state dict
            state[name] = Tensor._make(np.array(float(state[name]), dtype=_scalar_dtype()))
        return state[name]._data

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, laid out as
        torch's: the same keys, the same hyperparameters, 'step' a 0-d float32 tensor."""
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: _copy_state(s) for p, s in self.state.items() if id(p) in index}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restores hyperparameters and state from a state dict of this class (ours or torch's).

        Everything is checked before anything changes: the number and sizes of the groups (torch's
        ValueErrors) and the shape of every per-parameter state against its parameter (a ValueError
        naming the parameter); a dict that does not fit leaves the optimizer as it was."""
        state_dict = dict(state_dict)
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        if "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError("optimizer state_dict must have 'state' and 'param_groups' entries")
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        by_index = {}
        for gi, (mine, theirs) in enumerate(zip(self.param_groups, saved_groups)):
            for pi, (p, i) in enumerate(zip(mine["params"], theirs["params"])):
                by_index[i] = (p, gi, pi)
        new_state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            if i not in by_index:
                continue
            p, gi, pi = by_index[i]
            new_state[p] = loaded = _load_state(s, p._data.dtype)
            names = self.param_groups[gi].get("param_names")
            name = f" '{names[pi]}'" if names else ""
            self._check_loaded_state(loaded, p, f"parameter{name} {pi} of group {gi} (state index {i})")
        new_groups = []
        for mine, theirs in zip(self.param_groups, saved_groups):
            theirs["params"] = mine["params"]
            if "param_names" in mine and "param_names" not in theirs:
                theirs["param_names"] = mine["param_names"]
            for name, default in self.defaults.items():  # a dict from an older version lacks newer keys
                theirs.setdefault(name, default)
            new_groups.append(theirs)
        self.param_groups[:] = new_groups
        self.state = new_state
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)

    def _check_loaded_state(self, state, param, where):
        """Every array-valued entry of a parameter's state must have the parameter's shape (0-d
        scalars such as 'step' excepted)."""
        for key, value in state.items():
            if isinstance(value, Tensor) and value._data.ndim and value._data.shape != param._data.shape:
                raise ValueError(f"loaded state dict holds '{key}' of shape {tuple(value._data.shape)} for "
                                 f"{where}, whose shape is {tuple(param._data.shape)}: the state is from another "
                                 "model")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


Optimizer.step = _hooked_step(Optimizer.step)


def _copy_state(value):
    if isinstance(value, Tensor):
        return Tensor._make(np.array(value._data, copy=True))
    if isinstance(value, dict):
        return {k: _copy_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state(v) for v in value)
    return copy.deepcopy(value)


def _load_state(value, dtype, key=None):
    """A deep copy of a saved state value with tensors as ours: floating ones in the parameter's
    dtype, except 'step', kept as saved (torch's rule)."""
    if isinstance(value, dict):
        return {k: _load_state(v, dtype, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_load_state(v, dtype) for v in value)
    if _is_tensor_like(value):
        array = np.array(_to_array(value), copy=True, order="C")
        if key != "step" and array.dtype.kind == "f":
            array = array.astype(dtype, copy=False)
        return Tensor._make(array)
    return copy.deepcopy(value)
