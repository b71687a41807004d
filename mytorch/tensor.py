"""Tensor: an ndarray plus what autograd needs (requires_grad, grad, grad_fn).

The ndarray lives in ``_data``; ``.data`` behaves as torch's (a detached Tensor sharing memory,
outside the version check), so torch scripts that write ``p.data.mul_(0.9)`` keep working.
Methods and operators are the functions of the op tables (ops.py, _pointwise.py, _reduce.py,
_shape.py, creation.py), installed by ``_install_methods`` and listed for editors in tensor.pyi;
printing follows torch's rules (_printing.py).
"""
import functools
import warnings
import weakref

import numpy as np

from mytorch import _dtype
from mytorch._dtype import from_numpy_dtype

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """A tensor's shape: a tuple that prints like torch.Size."""

    def __repr__(self):
        return f"mytorch.Size({list(self)})"

    def numel(self):
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    """A multi-dimensional array with reverse-mode autograd.

    ``Tensor(data)`` follows ``torch.Tensor(data)``: the result is float32. Prefer
    ``mytorch.tensor(data)``, which infers the dtype as torch does.

    Example::

        >>> x = mytorch.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_vc", "__dict__", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator
    _output_nr = 0   # which output of its grad_fn this tensor is (torch-form Functions have several)
    _hooks = None    # gradient hooks of a leaf (a non-leaf's live on its grad_fn)
    _base = None     # the root tensor this one is a view of (set by view ops: ops._alias)
    _view_fn = None  # ndarray -> the same view of it (for in-place ops on views inside graphs)
    _rebased = None  # ((seq, old grad_fn), ...) once in-place ops inside a graph changed grad_fn
    def __init__(self, *args, requires_grad=False, device=None):
        # torch.Tensor's overloads: Tensor() is empty, Tensor(2, 3) (or a Size) has that shape
        # (zeros here, where torch leaves memory uninitialised), Tensor(data) copies the values.
        if len(args) == 1 and isinstance(args[0], (Size, tuple)) and all(isinstance(n, int) for n in args[0]) \
                and isinstance(args[0], Size):
            args = tuple(args[0])
        if not args:
            data = np.zeros((0,), np.float32)
        elif all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in args):
            data = np.zeros(tuple(int(n) for n in args), np.float32)
        elif len(args) == 1:
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
        else:
            raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of data, got {args!r}")
        self._data = np.array(data, dtype=np.float32)
        self._vc = None
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, requires_grad=False):
        """Wraps an ndarray without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t._data = array if isinstance(array, np.ndarray) else np.asarray(array)
        t._requires_grad = requires_grad
        t._vc = None
        t.grad = None
        t.grad_fn = None
        return t

    def __init_subclass__(cls, **kwargs):
        # A subclass whose __init__ does not call Tensor.__init__ (nn.Parameter) still gets its
        # version counter. NOTE: not a __getattr__ fallback: defining __getattr__ slows every
        # attribute access on Tensor (about 1 us per op in benchmarks.overhead).
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            @functools.wraps(init)
            def __init__(self, *args, **kw):
                self._vc = None
                init(self, *args, **kw)
            cls.__init__ = __init__

    @property
    def _version(self):
        """How many in-place changes this tensor's storage has seen (shared by its views)."""
        return 0 if self._vc is None else self._vc[0]

    @_version.setter
    def _version(self, value):
        # code that writes ``t._data`` directly records the change with ``t._version += 1``
        autograd._bump(self)
        self._vc[0] = int(value)

    def _inplace_from(self, out):
        """Makes this tensor hold ``out``, a result computed out of place from it, as the in-place
        form of that op would (nn's ``inplace=True`` inside a graph). ``out``'s memory becomes this
        tensor's (the node keeps the old array, so its backward reads the old values), the version
        is bumped (older nodes that saved this tensor raise at backward, as in torch) and grad_fn
        becomes out's node, which still reaches the old grad_fn through the rebase history."""
        if self._requires_grad and self.grad_fn is None and autograd.grad_mode.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        node = out.grad_fn
        if node is None or not autograd.grad_mode.enabled:
            ops._write(self, out._data)
            return self
        self._data = out._data
        autograd._bump(self)
        v = node._versions
        if v is not None:  # the node read the old array, which nothing changes: no check on self
            keep = []
            for k in range(0, len(v), 2):
                if v[k] is not self:
                    keep += v[k:k + 2]
            node._versions = keep or None
        if node._out_vc is not None and node._out_vc is out._vc:  # a saved output is self now
            node._out_vc, node._out_version = self._vc, self._vc[0]
        self._rebased = (self._rebased or ()) + ((node.seq + 1, self.grad_fn),)
        autograd._rebase_count[0] += 1
        self.grad_fn = node
        self._requires_grad = True
        return self

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients "
                               f"(this tensor is {self.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; "
                               "use detach() to get a tensor outside the graph")
        self._requires_grad = requires_grad
        return self

    @property
    def data(self):
        """A tensor sharing this one's memory, outside autograd, with its own version counter: as in
        torch, in-place changes through ``.data`` are not seen by the version check."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        from_numpy_dtype(array.dtype)  # a dtype mytorch has a name for
        if self._requires_grad and array.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or "
                               f"complex dtype (got {from_numpy_dtype(array.dtype)})")
        self._data = array

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    _bf16 = False  # float32 storage holding bfloat16-rounded values (see Tensor.bfloat16)

    @property
    def dtype(self):
        return _dtype.bfloat16 if self._bf16 else from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        from mytorch.device import device
        return device("cpu")

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def is_cuda(self):
        return False

    @property
    def is_mps(self):
        return False

    @property
    def is_xpu(self):
        return False

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def element_size(self):
        return 2 if self._bf16 else self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        if force:
            return self._data.copy() if self._requires_grad else self._data
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def detach(self):
        """A tensor sharing this one's memory and version counter, outside the graph."""
        t = Tensor._make(self._data)
        t._vc = autograd._counter(self)
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)`` or ``to(other_tensor)``; ``copy=True``
        returns a new tensor even when nothing changes."""
        target = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        copy = kwargs.pop("copy", False)
        for arg in list(args) + list(kwargs.values()):
            if isinstance(arg, Tensor):
                target = arg.dtype
            elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool) or isinstance(arg, (type, np.dtype)):
                target = arg
            elif isinstance(arg, bool):
                continue  # to(dtype, non_blocking, copy) positionally
            else:
                from mytorch.device import device
                device(arg)  # validates: raises for anything but the CPU
        if target is _dtype.bfloat16 or (self._bf16 and target is not None):
            return ops.to_dtype(self, target)
        if target is None or _dtype.to_numpy_dtype(target) == self._data.dtype:
            return ops.clone(self) if copy else self
        return ops.to_dtype(self, target)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """``t.type()`` names the legacy type ('torch.FloatTensor'); ``t.type(mytorch.FloatTensor)``,
        ``t.type("torch.FloatTensor")`` or ``t.type(mytorch.float64)`` converts."""
        if dtype is None:
            return "torch." + autograd._legacy_type_name(self._data.dtype)
        if isinstance(dtype, str):
            name = dtype.rpartition(".")[2]
            by_name = {v: k for k, v in autograd._LEGACY.items()}
            if name not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = _dtype.from_numpy_dtype(by_name[name])
        elif not isinstance(dtype, _dtype.dtype) and hasattr(dtype, "dtype"):
            dtype = dtype.dtype  # a legacy class such as mytorch.FloatTensor
        return self.to(dtype)

    def float(self, memory_format=None):
        return ops.to_dtype(self, _dtype.float32)

    def double(self, memory_format=None):
        return ops.to_dtype(self, _dtype.float64)

    def half(self, memory_format=None):
        return ops.to_dtype(self, _dtype.float16)

    def bfloat16(self, memory_format=None):
        """Values rounded to bfloat16 precision (8 mantissa bits, round to nearest even), held in
        float32 storage (NumPy has no bfloat16) and marked so that ``.dtype`` reads bfloat16.
        Differentiable, as a cast. NOTE: ops on such a tensor compute and return float32; only
        the cast itself rounds."""
        if self._bf16:
            return self
        f32 = ops.to_dtype(self, _dtype.float32)
        bits = f32._data.view(np.uint32)
        rounded = ((bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000))
        rounded = np.where(np.isnan(f32._data), bits, rounded).view(np.float32)
        out = f32 + Tensor._make(rounded - f32._data) if f32.requires_grad else Tensor._make(rounded)
        out._bf16 = True
        return out

    def long(self, memory_format=None):
        return ops.to_dtype(self, _dtype.int64)

    def int(self, memory_format=None):
        return ops.to_dtype(self, _dtype.int32)

    def short(self, memory_format=None):
        return ops.to_dtype(self, _dtype.int16)

    def char(self, memory_format=None):
        return ops.to_dtype(self, _dtype.int8)

    def byte(self, memory_format=None):
        return ops.to_dtype(self, _dtype.uint8)

    def bool(self, memory_format=None):
        return ops.to_dtype(self, _dtype.bool_)

    def cpu(self, memory_format=None):
        return self

    # ------------------------------------------------------------------ memory
    def stride(self, dim=None):
        """Strides in elements, as torch (NumPy counts bytes)."""
        strides = tuple(st // self._data.itemsize for st in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def storage_offset(self):
        """Elements between the start of the underlying buffer and this tensor's first element."""
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def untyped_storage(self):
        return _Storage(self._data)

    def share_memory_(self):
        """Marks this tensor's storage as shared (``is_shared()`` is then True for it and its views,
        as torch on the CPU). NOTE: the memory itself does not move: a NumPy array crosses process
        boundaries by pickling, so nothing is shared between processes."""
        root = _root_array(self._data)
        _shared_roots[id(root)] = weakref.ref(root, lambda _, key=id(root): _shared_roots.pop(key, None))
        return self

    def is_shared(self):
        root = _root_array(self._data)
        ref = _shared_roots.get(id(root))
        return ref is not None and ref() is root

    def apply_(self, callable):
        """Replaces each element x by ``callable(x)`` (a Python function of one number), in place;
        CPU only in torch too, and slow: a Python call per element."""
        if self._requires_grad:
            raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
        values = [callable(v) for v in self._data.reshape(-1).tolist()]
        ops._write(self, np.array(values).reshape(self._data.shape), cast_ok=True)
        return self

    def map_(self, tensor, callable):
        """``self[i] = callable(self[i], tensor[i])`` element by element, in place (``tensor``
        broadcasts to self's shape)."""
        if self._requires_grad:
            raise RuntimeError("Can't call map_() on Variable that requires grad. Use var.detach().map_() instead.")
        other = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
        try:
            other = np.broadcast_to(other, self._data.shape)
        except ValueError:
            raise RuntimeError(f"The expanded size of the tensor must match the existing size: target sizes "
                               f"{list(self._data.shape)}, tensor sizes {list(other.shape)}") from None
        values = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other.reshape(-1).tolist())]
        ops._write(self, np.array(values).reshape(self._data.shape), cast_ok=True)
        return self

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None):
        return False

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        """A new tensor holding a copy of ``data``, with this tensor's dtype unless given."""
        from mytorch.creation import tensor
        if isinstance(data, Tensor):
            data = data._data
        return tensor(np.array(data, copy=True), dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new(self, *args, device=None):
        """Legacy ``Tensor.new``: ``x.new(2, 3)`` / ``x.new(size)`` is a tensor of that shape (zeros
        here, where torch leaves memory uninitialised), ``x.new(data)`` a tensor of the data, and
        ``x.new(tensor)`` that tensor itself; always with self's dtype, as torch. Prefer ``new_empty``
        and ``new_tensor``."""
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype is not self.dtype:
                raise TypeError(f"new(): expected a tensor of dtype {self.dtype}, got {args[0].dtype}")
            return args[0]
        if not args:
            return Tensor._make(np.zeros((0,), self._data.dtype))
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in args):
            return Tensor._make(np.zeros(tuple(int(n) for n in args), self._data.dtype))
        if len(args) != 1:
            raise TypeError(f"new(): expected sizes (ints) or one sequence of data, got {args!r}")
        return Tensor._make(np.array(args[0], dtype=self._data.dtype))

    def resize_(self, *sizes, memory_format=None):
        """Reshapes self in place to ``sizes``, keeping its elements in row-major order: a larger size
        appends zeros (torch leaves them uninitialised), a smaller one drops the tail. Not allowed on
        a tensor that requires grad, as in torch."""
        if self._requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if any(not isinstance(n, (int, np.integer)) or n < 0 for n in shape):
            raise RuntimeError(f"resize_(): sizes must be non-negative integers, got {list(shape)}")
        n = int(np.prod(shape, dtype=np.int64))
        flat = self._data.reshape(-1)
        if n == flat.size:
            data = flat.reshape(shape) if self._data.flags.c_contiguous else flat.copy().reshape(shape)
        else:
            data = np.zeros(n, self._data.dtype)
            data[:min(n, flat.size)] = flat[:n]
            data = data.reshape(shape)
        self._data = data
        autograd._bump(self)
        return self

    def resize(self, *sizes):
        """Deprecated out-of-place :meth:`resize_` (torch warns the same way)."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return Tensor._make(self._data).resize_(*sizes)

    def resize_as_(self, other, memory_format=None):
        """:meth:`resize_` to ``other``'s shape."""
        return self.resize_(tuple(other.shape))

    def cuda(self, *args, **kwargs):
        from mytorch.device import device
        device("cuda")  # raises the clear "no CUDA" error

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        return ops.contiguous(self)

    def is_contiguous(self):
        return self._data.flags.c_contiguous

    def clone(self):
        return ops.clone(self)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates the gradient of this tensor into the leaves' ``.grad`` (only into
        ``inputs``' when given)."""
        autograd.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                          inputs=inputs)

    def register_hook(self, hook):
        """Calls ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces
        the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self.__dict__.setdefault("_hooks", [])
        else:
            if self.grad_fn._tensor_hooks is None:
                self.grad_fn._tensor_hooks = []
            hooks = self.grad_fn._tensor_hooks
        hooks.append(hook)
        autograd._hook_count[0] += 1
        return _RemovableHandle(hooks, hook)

    def retain_grad(self):
        """Keeps this non-leaf tensor's gradient in ``.grad`` during backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            import weakref
            self.grad_fn._retain = weakref.ref(self)
            self._retains_grad = True
            if self.grad_fn._tensor_hooks is None:
                self.grad_fn._tensor_hooks = []  # the engine looks for _retain behind this
            autograd._hook_count[0] += 1

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.__dict__.get("_retains_grad", False)

    # ------------------------------------------------------------------ printing and copying
    def __repr__(self, *, tensor_contents=None):
        return _printing.tensor_repr(self)

    def softmax(self, dim, dtype=None):
        from mytorch.nn import functional
        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        from mytorch.nn import functional
        return functional.log_softmax(self, dim, dtype=dtype)

    def __format__(self, format_spec):
        """A 0-d tensor formats as its value (``f"{loss:.4f}"``), as in torch."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __reduce_ex__(self, protocol):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) can be "
                               "pickled or deep-copied; detach() it first")
        return (_rebuild, (type(self), self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol; detach() it first")
        new = _rebuild(type(self), self._data.copy(), self._requires_grad)
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        # autograd bookkeeping (view links, rebase history, hooks) does not carry over: the copy is
        # a fresh leaf with its own memory, as torch's deepcopy makes it
        new.__dict__.update({k: __import__("copy").deepcopy(v, memo) for k, v in self.__dict__.items()
                             if k not in _AUTOGRAD_KEYS})
        return new

    __hash__ = object.__hash__


class _Storage:
    """A minimal ``untyped_storage()``: the bytes under a tensor."""

    def __init__(self, array):
        base = array
        while isinstance(base.base, np.ndarray):
            base = base.base
        self._array = base

    def data_ptr(self):
        return self._array.__array_interface__["data"][0]

    def nbytes(self):
        return self._array.nbytes

    def size(self):
        return self._array.nbytes

    __len__ = size


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


_AUTOGRAD_KEYS = frozenset({"_base", "_view_fn", "_rebased", "_hooks", "_accumulate_node", "_output_nr",
                            "_retains_grad"})


def _rebuild(cls, array, requires_grad):
    t = cls._make(np.array(array, copy=True))
    t._requires_grad = requires_grad
    return t


_shared_roots = {}  # id(root ndarray) -> weakref to it: the storages share_memory_ marked


def _root_array(array):
    """The ndarray that owns the memory ``array`` views (a tensor's storage)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _wrap_dim(dim, ndim):
    """A possibly negative dim as an index into a shape of ``ndim`` (torch's range message)."""
    dim = int(dim)
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


from mytorch import _printing, autograd, ops  # noqa: E402  (both need Tensor defined first)


def _install_methods():
    """Tensor methods are the functions of the op tables (each declared once, in its module's
    ``METHODS``); the operators call the same functions. tensor.pyi lists them for editors
    (``python -m mytorch._stubgen`` regenerates it; tests check it is current)."""
    from mytorch import _pointwise, _reduce, _shape, creation
    same_name = ("sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "matmul", "mm",
                 "reshape", "view", "view_as", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t",
                 "expand", "expand_as", "repeat", "add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_",
                 "clamp_", "swapaxes", "equal", "allclose", "where")
    for name in same_name:
        setattr(Tensor, name, getattr(ops, name))
    for module in (_pointwise, _reduce, _shape, creation):
        for name, fn in getattr(module, "METHODS", {}).items():
            if name in ("add_", "sub_", "mul_", "div_", "clamp_"):
                continue  # ops.py's in-place fast paths (one ufunc, no copy, outside graphs)
            setattr(Tensor, name, fn)
    Tensor.where = lambda self, condition, other: ops.where(condition, self, other)
    Tensor.T = property(lambda self: ops.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
    operators = {
        "__add__": ops.add, "__radd__": ops.add, "__sub__": ops.sub, "__rsub__": ops.rsub,
        "__mul__": ops.mul, "__rmul__": ops.mul, "__truediv__": ops.div,
        "__rtruediv__": lambda self, other: ops.div(other, self),
        # the table's pow and floor_divide: they refuse bool operands as torch does
        "__pow__": _pointwise.pow, "__rpow__": lambda self, other: _pointwise.pow(other, self),
        "__matmul__": ops.matmul, "__rmatmul__": lambda self, other: ops.matmul(other, self),
        "__neg__": ops.neg, "__abs__": ops.abs,
        "__floordiv__": _pointwise.floor_divide, "__rfloordiv__": lambda self, other: _pointwise.floor_divide(other, self),
        "__mod__": _pointwise.remainder,
        "__eq__": ops.eq, "__ne__": ops.ne, "__lt__": ops.lt, "__le__": ops.le, "__gt__": ops.gt,
        "__ge__": ops.ge, "__getitem__": ops.getitem, "__setitem__": ops.setitem,
        "__iadd__": ops.add_, "__isub__": ops.sub_, "__imul__": ops.mul_, "__itruediv__": ops.div_,
    }
    operators.update(_pointwise.OPERATORS)
    for name, fn in operators.items():
        setattr(Tensor, name, fn)


_install_methods()
