"""torch.nn.utils.parametrize: a module attribute computed from unconstrained originals.

``register_parametrization(module, "weight", P)`` moves ``module.weight`` to
``module.parametrizations.weight.original`` (or ``original0``, ``original1``, ... when ``P.right_inverse``
returns several tensors) and makes ``module.weight`` a property that evaluates ``P(original)`` on every
access (once per ``cached()`` block). The module's class becomes a subclass named ``Parametrized<Class>``
that holds the properties, as torch does, so state_dict keys and ``type(module).__name__`` match torch's.
"""
import contextlib

from mytorch.autograd import no_grad
from mytorch.tensor import Tensor
from mytorch.nn.modules.container import ModuleDict, ModuleList
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations", "transfer_parametrizations_and_params"]

_cache_enabled = [0]
_cache = {}


@contextlib.contextmanager
def cached():
    """Inside this block each parametrized tensor is computed once, at its first access."""
    _cache_enabled[0] += 1
    try:
        yield
    finally:
        _cache_enabled[0] -= 1
        if not _cache_enabled[0]:
            _cache.clear()


def _as_parameter(t, like):
    if isinstance(like, Parameter):
        return Parameter(t.detach(), requires_grad=like.requires_grad)
    return t


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to its originals (``original`` or
    ``original0``, ``original1``, ...)."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    continue
                new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (tuple(new.shape) != tuple(original.shape) or new.dtype != original.dtype):
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the dtype or shape.\n"
                                 f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}\n"
                                 f"original.shape: {tuple(original.shape)}\n"
                                 f"right_inverse(original).shape: {tuple(new.shape)}")
            with no_grad():
                original._data = new._data.astype(original._data.dtype, copy=True) if new is not original \
                    else original._data
            self._register_original("original", original, original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...)."
                                     f" Got element {i} of the sequence with type {type(t).__name__}.")
                self._register_original(f"original{i}", _as_parameter(t, original), original)

    def _register_original(self, name, t, like):
        if isinstance(like, Parameter) and not isinstance(t, Parameter):
            t = Parameter(t.detach(), requires_grad=like.requires_grad)
        if isinstance(t, Parameter):
            self.register_parameter(name, t)
        else:
            self.register_buffer(name, t)

    def right_inverse(self, value):
        """Sets the originals so that the parametrization evaluates to ``value``."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif module is not self[0] or self.is_tensor:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement "
                                       "right_inverse.")
            if self.is_tensor:
                self.original._data[...] = value._data
            else:
                if not isinstance(value, (list, tuple)) or len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of {self.ntensors} tensors")
                for i, t in enumerate(value):
                    getattr(self, f"original{i}")._data[...] = t._data

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _parametrized_class(module):
    cls = type(module)

    def __setattr__(self, name, value):
        if is_parametrized(self, name):
            self.parametrizations[name].right_inverse(value)
        else:
            cls.__setattr__(self, name, value)

    def __getstate__(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through state_dict().")

    return type(f"Parametrized{cls.__name__}", (cls,),
                {"__setattr__": __setattr__, "__getstate__": __getstate__, "_orig_class": cls})


def _inject_property(module, tensor_name):
    def get(self):
        key = (id(self), tensor_name)
        if _cache_enabled[0]:
            t = _cache.get(key)
            if t is None:
                t = _cache[key] = self.parametrizations[tensor_name]()
            return t
        return self.parametrizations[tensor_name]()

    def set_(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get, set_))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Makes ``module.<tensor_name>`` the output of ``parametrization`` applied to the stored original.

    Args:
        module (nn.Module): the module holding the tensor.
        tensor_name (str): a parameter or buffer of ``module`` (or, when already parametrized, the name again
            to chain another parametrization).
        parametrization (nn.Module): maps the original(s) to the tensor; may define ``right_inverse``.
        unsafe (bool): skip the shape and dtype checks. Default: ``False``

    Example::

        >>> register_parametrization(layer, "weight", Symmetric())
        >>> list(layer.state_dict())  # ['bias', 'parametrizations.weight.original']
    """
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = plist()
            z = parametrization(y)
            if not isinstance(z, Tensor) or tuple(z.shape) != tuple(y.shape) or z.dtype != y.dtype:
                raise ValueError("Registering a parametrization may not change the shape or dtype of the tensor, "
                                 "unless `unsafe` flag is enabled.")
        plist.append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
                         f"with name '{tensor_name}'")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.__class__ = _parametrized_class(module)
        Module.__setattr__(module, "parametrizations", ModuleDict())
    module.parametrizations[tensor_name] = plist
    _inject_property(module, tensor_name)
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` (or its ``tensor_name``) has a parametrization."""
    plists = module._modules.get("parametrizations") if isinstance(module, Module) else None
    if not isinstance(plists, ModuleDict) or not hasattr(type(module), "_orig_class"):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Removes the parametrizations of ``module.<tensor_name>``: the attribute becomes a plain parameter
    (or buffer) holding the parametrized value (``leave_parametrized=True``) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            original._data = value._data.astype(original._data.dtype, copy=True)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
        with no_grad():
            value = getattr(module, tensor_name).detach()
        if any(isinstance(getattr(plist, f"original{i}"), Parameter) for i in range(plist.ntensors)):
            original = Parameter(value)
        else:
            original = value
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    cls_setattr = type(module)._orig_class.__setattr__
    if isinstance(original, Parameter):
        cls_setattr(module, tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = type(module)._orig_class
    return module


def type_before_parametrizations(module):
    """The module's class before any parametrization was registered."""
    return type(module)._orig_class if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Registers ``from_module``'s parametrizations (all, or those of ``tensor_name``) on ``to_module``
    and copies their originals."""
    if not is_parametrized(from_module):
        return to_module
    names = [tensor_name] if tensor_name is not None else list(from_module.parametrizations.keys())
    for name in names:
        src = from_module.parametrizations[name]
        if not is_parametrized(to_module, name):
            if not hasattr(to_module, name):
                setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
            for p in src:
                register_parametrization(to_module, name, p)
        dst = to_module.parametrizations[name]
        with no_grad():
            for key in (["original"] if src.is_tensor else [f"original{i}" for i in range(src.ntensors)]):
                getattr(dst, key)._data[...] = getattr(src, key)._data
    return to_module
