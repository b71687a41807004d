"""Tensor: an ndarray plus what autograd needs (requires_grad, grad, grad_fn).

The ndarray lives in ``_data``; ``.data`` behaves as torch's (a detached Tensor sharing memory),
so torch scripts that write ``p.data.mul_(0.9)`` keep working. Operators and methods call ops.py.
"""
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

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "__dict__", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data=(), requires_grad=False):
        self._data = np.array(data, dtype=np.float32)
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
        t.grad = None
        t.grad_fn = None
        return t

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
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

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

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

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

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def element_size(self):
        return self._data.itemsize

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

    def numpy(self):
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
        return Tensor._make(self._data)

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        target = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        for arg in list(args) + list(kwargs.values()):
            if isinstance(arg, Tensor):
                target = arg.dtype
            elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool) or isinstance(arg, (type, np.dtype)):
                target = arg
            else:
                from mytorch.device import device
                device(arg)  # validates: raises for anything but the CPU
        if target is None:
            return self
        return ops.to_dtype(self, target)

    def type(self, dtype=None):
        if dtype is None:
            return f"mytorch.{type(self).__name__}"
        return self.to(dtype)

    def float(self):
        return ops.to_dtype(self, _dtype.float32)

    def double(self):
        return ops.to_dtype(self, _dtype.float64)

    def long(self):
        return ops.to_dtype(self, _dtype.int64)

    def int(self):
        return ops.to_dtype(self, _dtype.int32)

    def bool(self):
        return ops.to_dtype(self, _dtype.bool_)

    def cpu(self):
        return self

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
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        autograd.backward(self, gradient, retain_graph=bool(retain_graph))

    def retain_grad(self):
        raise NotImplementedError("retain_grad() is not supported: non-leaf grads are never kept")

    # ------------------------------------------------------------------ printing and copying
    def __repr__(self):
        body = _format_array(self._data)
        extras = []
        if self._data.size == 0 and self._data.ndim != 1:
            extras.append(f"size={tuple(self._data.shape)}")
        if self.dtype not in (_dtype.float32, _dtype.int64, _dtype.bool_) or \
                (self._data.size == 0 and self.dtype is not _dtype.float32):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

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
        new.__dict__.update({k: __import__("copy").deepcopy(v, memo) for k, v in self.__dict__.items()})
        return new

    __hash__ = object.__hash__


def _rebuild(cls, array, requires_grad):
    t = cls._make(np.array(array, copy=True))
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim, ndim):
    """A possibly negative dim as an index into a shape of ``ndim`` (torch's range message)."""
    dim = int(dim)
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


def _format_array(a):
    """Numbers as torch prints them: '1.' for whole floats, 4 decimals otherwise, scientific
    notation for very large or small magnitudes."""
    if a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        amax = float(np.abs(finite).max()) if finite.size else 0.0
        amin = float(np.abs(finite[finite != 0]).min()) if np.any(finite != 0) else 0.0
        whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1e5 and not whole):
            fmt = lambda v: f"{v:.4e}"  # noqa: E731
        elif whole:
            fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)  # noqa: E731
        else:
            fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)  # noqa: E731
        fmt_map = {"float_kind": lambda v: fmt(v).replace("inf", "inf")}
    elif a.dtype.kind == "b":
        width = 5 if not a.all() else 4  # torch right-aligns True under False
        fmt_map = {"bool": lambda v: ("True" if v else "False").rjust(width)}
    else:
        fmt_map = None
    if a.ndim == 0:
        return fmt_map[next(iter(fmt_map))](a.item()) if fmt_map else str(a.item())
    return np.array2string(a, separator=", ", formatter=fmt_map, prefix="tensor(",
                           threshold=1000, edgeitems=3, max_line_width=80)


from mytorch import autograd, ops  # noqa: E402  (both need Tensor defined first)


def _install_methods():
    """Tensor methods and operators are the functions of ops.py, each declared once there."""
    same_name = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "exp", "log", "sqrt",
                 "rsqrt", "abs", "tanh", "sigmoid", "relu", "clamp", "clip", "sum", "mean", "max", "min",
                 "amax", "amin", "argmax", "argmin", "var", "std", "matmul", "mm", "reshape", "view",
                 "view_as", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t", "expand",
                 "expand_as", "repeat", "eq", "ne", "lt", "le", "gt", "ge", "add_", "sub_", "mul_", "div_",
                 "zero_", "fill_", "copy_", "clamp_", "isnan", "isfinite", "logical_not", "remainder",
                 "floor_divide", "swapaxes", "equal", "allclose", "logical_and", "bitwise_not")
    for name in same_name:
        setattr(Tensor, name, getattr(ops, name))
    Tensor.negative = ops.neg
    Tensor.where = lambda self, condition, other: ops.where(condition, self, other)
    Tensor.T = property(lambda self: ops.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
    operators = {
        "__add__": ops.add, "__radd__": ops.add, "__sub__": ops.sub, "__rsub__": ops.rsub,
        "__mul__": ops.mul, "__rmul__": ops.mul, "__truediv__": ops.div,
        "__rtruediv__": lambda self, other: ops.div(other, self),
        "__pow__": ops.pow, "__rpow__": lambda self, other: ops.pow(other, self),
        "__matmul__": ops.matmul, "__rmatmul__": lambda self, other: ops.matmul(other, self),
        "__neg__": ops.neg, "__abs__": ops.abs, "__pos__": lambda self: self,
        "__floordiv__": ops.floor_divide, "__rfloordiv__": lambda self, other: ops.floor_divide(other, self),
        "__mod__": ops.remainder,
        "__eq__": ops.eq, "__ne__": ops.ne, "__lt__": ops.lt, "__le__": ops.le, "__gt__": ops.gt,
        "__ge__": ops.ge, "__getitem__": ops.getitem, "__setitem__": ops.setitem,
        "__and__": ops.bitwise_and, "__or__": ops.bitwise_or, "__xor__": ops.bitwise_xor,
        "__invert__": ops.bitwise_not,
        "__iadd__": ops.add_, "__isub__": ops.sub_, "__imul__": ops.mul_, "__itruediv__": ops.div_,
    }
    for name, fn in operators.items():
        setattr(Tensor, name, fn)


_install_methods()
