"""Module: the base class of every layer, with torch's registration, hooks, state_dict and repr.

Backward hooks: a module with full backward (pre-)hooks routes its tensor inputs through one
identity primitive and its tensor outputs through another (each packs its tensors into one flat
array, so all gradients arrive at one node together). The output node's backward sees grad_output
(and runs the pre-hooks); the input node's backward sees grad_input and runs the hooks with both.
"""
import itertools
import warnings
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from mytorch import _dtype
from mytorch.autograd import Function, grad_mode, no_grad
from mytorch.device import device as _device
from mytorch.nn.parameter import Buffer, Parameter
from mytorch.tensor import Tensor

__all__ = ["Module", "RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_hook", "register_module_full_backward_pre_hook"]


class RemovableHandle:
    """What a ``register_*_hook`` call returns: ``remove()`` unregisters the hook (also as a context manager)."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict if isinstance(extra_dict, list)
                                                              else [extra_dict] if extra_dict is not None else []))

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(OrderedDict):
    """An OrderedDict that can be weakly referenced (a handle must not keep its module alive)."""


class _HookSet(dict):
    pass


_global_forward_pre_hooks = _HookDict()
_global_forward_hooks = _HookDict()
_global_forward_hooks_always_called = _HookSet()
_global_backward_hooks = _HookDict()
_global_backward_pre_hooks = _HookDict()


def register_module_forward_pre_hook(hook):
    """A forward pre-hook run for every module, before the module's own."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, always_call=False):
    """A forward hook run for every module, before the module's own."""
    handle = RemovableHandle(_global_forward_hooks, extra_dict=_global_forward_hooks_always_called)
    _global_forward_hooks[handle.id] = hook
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_hook(hook):
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


def register_module_full_backward_pre_hook(hook):
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s, num_spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


# ---------------------------------------------------------------------------- backward hooks
def _pack(arrays):
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate([a.reshape(-1) for a in arrays])


def _unpack(flat, shapes):
    if len(shapes) == 1:
        return [flat.reshape(shapes[0])]
    out, offset = [], 0
    for shape in shapes:
        n = int(np.prod(shape, dtype=np.int64))
        out.append(flat[offset:offset + n].reshape(shape))
        offset += n
    return out


class BackwardHookFunction(Function):
    """Identity on a group of tensors packed into one array; its backward calls ``on_grad`` with
    the group's gradients, which may replace them."""

    def forward(self, *arrays, on_grad):
        self.shapes, self.on_grad = [a.shape for a in arrays], on_grad
        return _pack(arrays).copy() if len(arrays) == 1 else _pack(arrays)

    def backward(self, g):
        grads = self.on_grad(_unpack(g, self.shapes))
        return tuple(grads)


class _Unpack(Function):
    def forward(self, flat, offset, shape):
        self.size, self.offset = flat.size, offset
        n = int(np.prod(shape, dtype=np.int64))
        return flat[offset:offset + n].reshape(shape)

    def backward(self, g):
        out = np.zeros(self.size, dtype=g.dtype)
        out[self.offset:self.offset + g.size] = g.reshape(-1)
        return out


def _route(tensors, on_grad):
    """The tensors passed through one BackwardHookFunction node; returns their stand-ins."""
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) > 1:  # one node per tensor would split the hook call: cast-free packing needs one dtype
        raise NotImplementedError("full backward hooks need a module's tensor inputs (and outputs) to share a dtype")
    node = BackwardHookFunction.apply(*tensors, on_grad=on_grad)
    if len(tensors) == 1:
        return [node]
    out, offset = [], 0
    for t in tensors:
        out.append(_Unpack.apply(node, offset=offset, shape=t._data.shape))
        offset += t._data.size
    return out


class _BackwardHook:
    """One forward call's backward hooks: grad_output is caught at the outputs, grad_input at the inputs."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = []

    def _call_hooks(self, grad_inputs):
        result = tuple(grad_inputs)
        for hook in self.hooks:
            out = hook(self.module, result, self.grad_outputs)
            if out is None:
                continue
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(result):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(result)}")
            result = out
        return result

    def setup_input_hook(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        grad_positions = [i for i in positions if args[i].requires_grad]
        self.input_positions = positions
        if not grad_positions or not grad_mode.enabled:
            self.input_routed = False
            return args

        def on_grad_input(grads):
            full = [None] * len(positions)
            for i, g in zip(grad_positions, grads):
                full[positions.index(i)] = Tensor._make(g)
            result = self._call_hooks(full)
            out = []
            for i, g in zip(grad_positions, grads):
                r = result[positions.index(i)]
                out.append(np.zeros_like(g) if r is None else (r._data if isinstance(r, Tensor) else np.asarray(r)))
            return out

        self.input_routed = True
        routed = _route([args[i] for i in grad_positions], on_grad_input)
        args = list(args)
        for i, t in zip(grad_positions, routed):
            args[i] = t
        return tuple(args)

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        outputs = (result,) if single else (tuple(result) if isinstance(result, (tuple, list)) else ())
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not positions or not grad_mode.enabled:
            return result

        def on_grad_output(grads):
            full = tuple(Tensor._make(g) for g in grads)
            for hook in self.pre_hooks:
                out = hook(self.module, full)
                if out is not None:
                    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                    if len(out) != len(full):
                        raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                           f"{len(out)}, but expected {len(full)}")
                    full = out
            self.grad_outputs = full
            if not self.input_routed and self.hooks:  # no input needs a gradient: hooks see None, as torch
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", UserWarning)
                self._call_hooks([None] * self.n_inputs)
            return [g._data if isinstance(g, Tensor) else np.asarray(g) for g in full]

        routed = _route([outputs[i] for i in positions], on_grad_output)
        if single:
            return routed[0]
        new = list(outputs)
        for i, t in zip(positions, routed):
            new[i] = t
        return type(result)(new) if isinstance(result, tuple) and not hasattr(result, "_fields") else \
            (type(result)(*new) if isinstance(result, tuple) else new)


# ---------------------------------------------------------------------------- Module
class Module:
    """Base class for layers and models.

    Parameters, submodules and buffers assigned as attributes are registered, so ``parameters()``,
    ``state_dict()``, ``train()``/``eval()`` and ``to()`` reach them recursively.

    Example::

        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> list(Net().state_dict())
        ['fc.weight', 'fc.bias']
    """

    training = True
    dump_patches = False
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'" if kwargs else
                            f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} "
                            "were given")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", OrderedDict())
        setattr_(self, "_forward_hooks", _HookDict())
        setattr_(self, "_forward_hooks_with_kwargs", _HookSet())
        setattr_(self, "_forward_hooks_always_called", _HookSet())
        setattr_(self, "_forward_pre_hooks", _HookDict())
        setattr_(self, "_forward_pre_hooks_with_kwargs", _HookSet())
        setattr_(self, "_backward_hooks", _HookDict())
        setattr_(self, "_backward_pre_hooks", _HookDict())
        setattr_(self, "_state_dict_pre_hooks", _HookDict())
        setattr_(self, "_state_dict_hooks", _HookDict())
        setattr_(self, "_load_state_dict_pre_hooks", _HookDict())
        setattr_(self, "_load_state_dict_post_hooks", _HookDict())

    # NOTE: modules pickled before the hook dicts existed still load: missing stores read as empty.
    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
                     "_state_dict_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, _HookDict())
        for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
            self.__dict__.setdefault(name, _HookSet())
        self.__dict__.setdefault("_non_persistent_buffers_set", set(self.__dict__.pop("_non_persistent", ())))

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._remove_from(name, d, d["_parameters"], d["_buffers"], d["_non_persistent_buffers_set"])
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                    "(torch.nn.Module or None expected)")
                modules[name] = value
            elif isinstance(value, Buffer):
                if d.get("_buffers") is None:
                    raise AttributeError("cannot assign buffer before Module.__init__() call")
                self._remove_from(name, d, d["_parameters"], d["_modules"])
                plain = Tensor._make(value._data)
                self.register_buffer(name, plain, value.persistent)
            else:
                buffers = d.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                        "(torch.Tensor or None expected)")
                    buffers[name] = value
                else:
                    object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, *dicts_or_sets):
        for d in dicts_or_sets:
            if name in d:
                if isinstance(d, set):
                    d.discard(name)
                else:
                    del d[name]

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        if name in d["_parameters"]:
            del d["_parameters"][name]
        elif name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def _check_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")

    def register_parameter(self, name, param):
        """Adds ``param`` (a Parameter or None) under ``name``."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly. To express '{name}' as a function of another Tensor, compute the "
                             "value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Adds a Tensor (or None) that is state but not a parameter; ``persistent=False`` keeps it out of
        state_dict."""
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Adds a child module (or None) under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    def register_module(self, name, module):
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` ("" is self)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        *path, name = target.split(".")
        parent = self.get_submodule(".".join(path))
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        setattr(parent, name, module)

    def _get_member(self, target, store, kind):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        value = getattr(mod, name)
        if name not in getattr(mod, store):
            raise AttributeError("`" + name + "` is not " + kind)
        return value

    def get_parameter(self, target):
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target):
        return self._get_member(target, "_buffers", "a buffer")

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Calls ``fn`` on every submodule (children first) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and conversion
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:  # in place, as torch (a gradient with a graph is detached first)
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                if p.grad._data.flags.writeable:
                    p.grad._data[...] = 0
                else:  # a read-only (broadcast) gradient array
                    p.grad._data = np.zeros_like(p.grad._data)

    def share_memory(self):
        """A no-op on the CPU (every tensor is already in shared process memory for threads)."""
        return self

    def _apply(self, fn):
        """``fn(array) -> array`` over every parameter, buffer and gradient, in place (same objects)."""
        for module in self.modules():
            with no_grad():
                for store in (module._parameters, module._buffers):
                    for t in store.values():
                        if t is None:
                            continue
                        t._data = fn(t._data)
                        if t.grad is not None:
                            t.grad._data = fn(t.grad._data)
        return self

    def _cast(self, dtype, floating_only=True):
        np_dtype = _dtype.to_numpy_dtype(dtype)
        return self._apply(lambda a: a.astype(np_dtype) if (a.dtype.kind == "f" or not floating_only)
                           and a.dtype != np_dtype else a)

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)``; any device but the CPU raises.
        Only floating parameters and buffers change dtype."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() received an invalid combination of arguments: {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, (_dtype.dtype, type, np.dtype)):
                dtype = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, bool):
                continue  # non_blocking passed positionally
            else:
                device = arg
        if device is not None:
            _device(device)
        if dtype is not None:
            d = dtype if isinstance(dtype, _dtype.dtype) else _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
            if not d.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={d}")
            return self._cast(d)
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        _device("cuda")
        return self

    def xpu(self, device=None):
        _device("xpu")
        return self

    def mps(self, device=None):
        _device("mps")
        return self

    def ipu(self, device=None):
        _device("ipu")
        return self

    def type(self, dst_type):
        """Casts every parameter and buffer to ``dst_type`` (a dtype)."""
        return self._cast(dst_type, floating_only=False)

    def float(self):
        return self._cast(_dtype.float32)

    def double(self):
        return self._cast(_dtype.float64)

    def half(self):
        return self._cast(_dtype.float16)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``hook(module, args, kwargs)``) before forward; may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` (or with kwargs) after forward; may return a new output."""
        handle = RemovableHandle(self._forward_hooks, extra_dict=[self._forward_hooks_with_kwargs,
                                                                  self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` when the outputs' gradients are known; may return new ones."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` once the inputs' gradients are known; may return new grad_input."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook):
        """Deprecated in torch; here the same as register_full_backward_hook."""
        return self.register_full_backward_hook(hook)

    # ------------------------------------------------------------------ state
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, in torch's order (own, then each
        child's), with the state-dict pre- and post-hooks run as torch runs them."""
        if args:  # torch's deprecated positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        d = self.__dict__
        for hook in d.get("_state_dict_pre_hooks", {}).values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in d.get("_state_dict_hooks", {}).values():
            result = hook(self, destination, prefix, {})
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _add_hook(self, store, hook, prepend=False):
        hooks = self.__dict__.setdefault(store, _HookDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` before this module's entries are collected."""
        return self._add_hook("_state_dict_pre_hooks", hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` after; edits ``state_dict`` in place."""
        hook._from_public_api = True
        return self._add_hook("_state_dict_hooks", hook)

    def _register_state_dict_hook(self, hook):
        """The older form: the hook may return a new state_dict."""
        return self._add_hook("_state_dict_hooks", hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` before the keys are checked; it may rename or convert entries of ``state_dict``."""
        return self._add_hook("_load_state_dict_pre_hooks", hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return self._add_hook("_load_state_dict_pre_hooks", lambda module, *args: hook(*args))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)``; it may clear entries of the two key lists.
        NOTE: it runs before anything is copied, so that nothing changes unless all fits."""
        return self._add_hook("_load_state_dict_post_hooks", hook)

    def _optional_state_keys(self, prefix):
        """Keys a checkpoint may omit (BatchNorm's num_batches_tracked, absent from old checkpoints)."""
        return ()

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies values in (or, with ``assign=True``, adopts them). Every key and shape is checked
        first and nothing changes unless all fit (torch may overwrite some tensors before it fails).
        Returns ``_IncompatibleKeys(missing_keys, unexpected_keys)``."""
        from collections.abc import Mapping
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        state_dict = OrderedDict(state_dict)  # hooks may edit it; the caller's stays as it was
        missing, unexpected, problems = [], [], []
        modules = list(self.named_modules(remove_duplicate=False))  # a shared module loads under each name
        for prefix, module in modules:
            for hook in module.__dict__.get("_load_state_dict_pre_hooks", {}).values():
                hook(module, state_dict, prefix + "." if prefix else "", {}, strict, missing, unexpected, problems)
        own = OrderedDict()  # the module's own entries, without the state-dict hooks' edits
        for prefix, module in modules:
            module._save_to_state_dict(own, prefix + "." if prefix else "", True)
        optional = set()
        for prefix, module in modules:
            optional.update(module._optional_state_keys(prefix + "." if prefix else ""))
        missing += [k for k in own if k not in state_dict and k not in optional]
        unexpected += [k for k in state_dict if k not in own]
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor) and not hasattr(value, "shape"):
                problems.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                                f"object from checkpoint but received {type(value)}")
                continue
            shape = tuple(value.shape)
            if shape != tuple(target.shape):
                problems.append(f"size mismatch for {key}: copying a param with shape {_size(shape)} from "
                                f"checkpoint, the shape in current model is {_size(target.shape)}.")
        incompatible = _IncompatibleKeys(missing, unexpected)
        for _, module in modules:
            for hook in module.__dict__.get("_load_state_dict_post_hooks", {}).values():
                if hook(module, incompatible) is not None:
                    raise RuntimeError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                       "expected to return new values, if incompatible_keys need to be modified,"
                                       "it should be done inplace.")
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                                + ". ")
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(problems))
        with no_grad():
            for key, target in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                array = value._data if isinstance(value, Tensor) else np.asarray(
                    value.detach().cpu().numpy() if hasattr(value, "detach") else value)
                if assign:
                    target._data = array
                else:
                    np.copyto(target._data, array.reshape(target._data.shape), casting="unsafe")  # in place, as torch
        return incompatible

    # ------------------------------------------------------------------ calling and printing
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def _call_impl(self, *args, **kwargs):
        d = self.__dict__
        if not (d.get("_forward_hooks") or d.get("_forward_pre_hooks") or d.get("_backward_hooks")
                or d.get("_backward_pre_hooks") or _global_forward_hooks or _global_forward_pre_hooks
                or _global_backward_hooks or _global_backward_pre_hooks):
            return self.forward(*args, **kwargs)
        pre_kwargs = d.get("_forward_pre_hooks_with_kwargs", ())
        for hook_id, hook in (*_global_forward_pre_hooks.items(), *d.get("_forward_pre_hooks", {}).items()):
            if hook_id in pre_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hooks = [*_global_backward_hooks.values(), *d.get("_backward_hooks", {}).values()]
        backward_pre_hooks = [*_global_backward_pre_hooks.values(), *d.get("_backward_pre_hooks", {}).values()]
        bw = None
        if backward_hooks or backward_pre_hooks:
            bw = _BackwardHook(self, backward_hooks, backward_pre_hooks)
            args = bw.setup_input_hook(args)
        forward_hooks = (*_global_forward_hooks.items(), *d.get("_forward_hooks", {}).items())
        with_kwargs = d.get("_forward_hooks_with_kwargs", ())
        always = {**_global_forward_hooks_always_called, **d.get("_forward_hooks_always_called", {})}
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in forward_hooks:
                if hook_id in always:
                    try:
                        hook(self, args, kwargs, None) if hook_id in with_kwargs else hook(self, args, None)
                    except Exception as e:
                        warnings.warn(f"forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}")
            raise
        for hook_id, hook in forward_hooks:
            out = hook(self, args, kwargs, result) if hook_id in with_kwargs else hook(self, args, result)
            if out is not None:
                result = out
        if bw is not None:
            result = bw.setup_output_hook(result)
        return result

    __call__ = _call_impl

    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split("\n")
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        attrs = dir(type(self)) + list(self.__dict__)
        keys = [k for k in attrs + list(self._parameters) + list(self._modules) + list(self._buffers)
                if not k[0].isdigit()]
        return sorted(set(keys))


def _size(shape):
    return f"torch.Size({list(shape)})"


def _typename(value):
    return type(value).__name__ if not isinstance(value, Tensor) else "torch." + type(value).__name__
