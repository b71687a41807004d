"""Optimizer: param_groups, per-parameter state, zero_grad, and torch-compatible state_dicts."""
import copy

import numpy as np

from mytorch.autograd import no_grad
from mytorch.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _check(condition, message):
    if not condition:
        raise ValueError(message)


class Optimizer:
    """Base class. Subclasses implement ``_update(group, param, grad, state)`` on ndarrays.

    Args:
        params: an iterable of Tensors, or of dicts defining parameter groups.
        defaults: the hyperparameters every group gets unless it sets its own.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
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

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if existing & {id(p) for p in group["params"]}:
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group):
        _check(group["lr"] >= 0.0, f"Invalid learning rate: {group['lr']}")
        if group.get("weight_decay", 0.0) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad._data = np.zeros_like(p.grad._data)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss if given."""
        loss = None
        if closure is not None:
            from mytorch.autograd import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if group.get("maximize", False):
                    grad = -grad
                state = self.state.setdefault(p, {})
                self._update(group, p._data, grad, state)
        return loss

    def _update(self, group, param, grad, state):
        raise NotImplementedError

    @staticmethod
    def _buffer(state, name, like, fill=0.0):
        if name not in state:
            state[name] = Tensor._make(np.full_like(like, fill))
        return state[name]._data

    @staticmethod
    def _step(state):
        """Increments and returns the step count, kept as a 0-d float32 tensor as torch keeps it."""
        if "step" not in state:
            state["step"] = Tensor._make(np.zeros((), np.float32))
        state["step"]._data = state["step"]._data + np.float32(1)
        return float(state["step"]._data)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as torch's."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: {k: (v.clone().detach() if isinstance(v, Tensor) else copy.deepcopy(v))
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores hyperparameters and state; checks the group structure first and changes nothing
        if it does not match."""
        groups = state_dict.get("param_groups")
        if groups is None or "state" not in state_dict:
            raise ValueError("optimizer state_dict must have 'state' and 'param_groups' entries")
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                                 "of optimizer's group")
        by_index = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        new_state = {}
        for i, s in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            new_state[p] = {k: (Tensor._make(np.array(v._data if isinstance(v, Tensor) else v,
                                                      dtype=p._data.dtype if k != "step" else np.float32))
                                if isinstance(v, (Tensor, np.ndarray)) else copy.deepcopy(v))
                            for k, v in s.items()}
        for mine, theirs in zip(self.param_groups, groups):
            mine.update({k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"})
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
