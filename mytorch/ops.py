"""Differentiable primitives (one Function each) and the functions built from them.

Each primitive's forward and backward work on ndarrays. A backward returns the gradient for
each input *at the broadcast shape*; the engine (autograd.backward) sums it back to the input's
shape and dtype. Backwards never write into the incoming gradient (it may be shared).
Non-primitive ops (sub of scalars, var, std, stack of views, ...) are compositions and get their
gradient for free.
"""
import builtins
import warnings
from collections import namedtuple

import numpy as np

from mytorch import _dtype
from mytorch._dtype import result_type, to_numpy_dtype
from mytorch.autograd import CONSTANT, Function, _bump, _counter, _next_seq, _rebase_count, grad_mode, no_grad
from mytorch.tensor import Tensor, _wrap_dim
from kernels._threads import matmul as _gemm  # 2-D GEMMs split over the kernel threads


def _kernels():
    """The kernels implementation mytorch.backends resolves to (imported here, not at the top:
    mytorch.backends is loaded after this module)."""
    from mytorch import backends
    return backends.implementation()

def _return_type(name, fields=("values", "indices")):
    """A named tuple that prints as torch's ``torch.return_types.<name>(...)``."""
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"mytorch.return_types.{name}(\n{body})"
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "mytorch.return_types"})


return_types_max = _return_type("max")
return_types_min = _return_type("min")


# ---------------------------------------------------------------------------- helpers
def _tensor(x, dt):
    """x as a Tensor of dtype ``dt`` (a Python number becomes a 0-d constant)."""
    if isinstance(x, Tensor):
        return x
    t = Tensor._make(_dtype.scalar_array(x, dt.np))
    t._vc = CONSTANT
    return t


def _broadcast_error(a_shape, b_shape):
    """torch's wording for shapes that do not broadcast, or None when they do."""
    ndim = builtins.max(len(a_shape), len(b_shape))
    a = (1,) * (ndim - len(a_shape)) + tuple(a_shape)
    b = (1,) * (ndim - len(b_shape)) + tuple(b_shape)
    for d, (m, n) in enumerate(zip(a, b)):
        if m != n and m != 1 and n != 1:
            return (f"The size of tensor a ({m}) must match the size of tensor b ({n}) "
                    f"at non-singleton dimension {d}")
    return None


def _binary(cls, a, b, float_result=False):
    dt = result_type(a, b)
    if float_result and not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    a, b = _tensor(a, dt), _tensor(b, dt)
    try:
        return cls.apply(a, b, dtype=dt.np)
    except ValueError:
        msg = _broadcast_error(a._data.shape, b._data.shape)
        if msg is None:
            raise
        raise RuntimeError(msg) from None


def _float_input(x, opname):
    """Input of a transcendental op: integer tensors compute in the default float dtype, as in torch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x if x.dtype.is_floating_point else to_dtype(x, _dtype.get_default_dtype())


def _dims(dim, ndim):
    """A dim argument (None, int, or tuple) as a tuple of non-negative axes, or None for all."""
    if dim is None or ndim == 0:
        if dim is not None:
            for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
                _wrap_dim(d, 0)
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None  # torch: dim=() reduces everything
        axes = tuple(_wrap_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        return axes
    return (_wrap_dim(dim, ndim),)


def _keep(g, shape, axes):
    """A reduced gradient reshaped so it broadcasts against the input's ``shape``."""
    if axes is None:
        return g.reshape((1,) * len(shape))
    return np.expand_dims(g, axes) if g.ndim != len(shape) else g


# ---------------------------------------------------------------------------- elementwise binary
class Add(Function):
    def forward(self, a, b, dtype):
        return np.add(a, b, dtype=dtype, casting="unsafe")

    def backward(self, g):
        return g, g


class Sub(Function):
    def forward(self, a, b, dtype):
        return np.subtract(a, b, dtype=dtype, casting="unsafe")

    def backward(self, g):
        return g, -g


class Mul(Function):
    saved = ((0, 1), (1, 0))  # torch saves each factor only when the other needs a gradient

    def forward(self, a, b, dtype):
        self.a, self.b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        return np.multiply(self.a, self.b)

    def backward(self, g):
        return g * self.b, g * self.a


class Div(Function):
    saved = ((0, 1), (1, None))

    def forward(self, a, b, dtype):
        self.a, self.b = a, b.astype(dtype, copy=False)
        return np.true_divide(a, b, dtype=dtype, casting="unsafe")

    def backward(self, g):
        ga = g / self.b
        # NOTE: from the saved inputs, not the output: the output may be changed in place later.
        return ga, (-ga * self.a / self.b if self.needs_input_grad[1] else None)


class Pow(Function):
    """tensor ** tensor."""
    saved = ((0, None), (1, None))
    saves_output = True
    _torch_name = "PowBackward1"

    def forward(self, a, b, dtype):
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        self.a, self.b = a, b
        if a.dtype.kind in "iu" and np.any(b < 0):
            # torch with a tensor exponent: a**-k truncates to 0 except for a = +-1
            neg = b < 0
            self.out = np.where(neg, np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (np.abs(b) % 2), 0)),
                                np.power(a, np.where(neg, 0, b))).astype(a.dtype)
            return self.out
        self.out = np.power(a, b)
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                # NOTE: 0 where b == 0 (torch): a**0 is constant even at a == 0, where b*a**(b-1) is 0*inf
                ga = np.where(b == 0, 0, g * b * np.power(a, b - 1))
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                # NOTE: d(a**b)/db at a == 0 is taken as 0 for b >= 0, torch's convention.
                gb = np.where((a == 0) & (b >= 0), 0, g * self.out * np.log(a))
        return ga, gb


class PowScalar(Function):
    """tensor ** python number."""
    saved = ((0, None),)
    _torch_name = "PowBackward0"

    def forward(self, a, exponent, dtype):
        a = a.astype(dtype, copy=False)
        if a.dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        self.a, self.p = a, exponent
        return np.power(a, a.dtype.type(exponent))

    def backward(self, g):
        if self.p == 0:
            return np.zeros_like(g)
        if self.p == 1:
            return g
        return g * self.p * np.power(self.a, self.a.dtype.type(self.p - 1))


class Maximum(Function):
    saved = ((0, None), (1, None))
    def forward(self, a, b, dtype):
        self.a, self.b = a, b
        return np.maximum(a, b, dtype=dtype, casting="unsafe")

    def backward(self, g):
        # NOTE: ties split the gradient evenly between both inputs, as torch does.
        return _split_ties(g, self.a > self.b, self.a == self.b)


class Minimum(Function):
    saved = ((0, None), (1, None))
    def forward(self, a, b, dtype):
        self.a, self.b = a, b
        return np.minimum(a, b, dtype=dtype, casting="unsafe")

    def backward(self, g):
        return _split_ties(g, self.a < self.b, self.a == self.b)


def _split_ties(g, a_wins, tie):
    share = a_wins + 0.5 * tie
    return g * share.astype(g.dtype), g * (1 - share).astype(g.dtype)


# ---------------------------------------------------------------------------- elementwise unary
class Neg(Function):
    def forward(self, a):
        return np.negative(a)

    def backward(self, g):
        return -g


class Exp(Function):
    saves_output = True
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    saved = ((0, None),)
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, g):
        return g / self.a


class Sqrt(Function):
    saves_output = True
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    saved = ((0, None),)
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return g * np.sign(self.a)  # sign(0) = 0: torch's subgradient at the kink


class Tanh(Function):
    saves_output = True
    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Sigmoid(Function):
    saves_output = True
    def forward(self, a):
        # 0.5 * (1 + tanh(x / 2)) is exact sigmoid without exp overflow for large |x|.
        self.out = a.dtype.type(0.5) * (1 + np.tanh(a * a.dtype.type(0.5)))
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)


class Relu(Function):
    """The kernels' relu (one pass each way, on the kernel threads for the numba implementation),
    with torch's rules: relu(NaN) = NaN, relu(-0.0) = -0.0, the gradient 0 where the output is <= 0."""
    saves_output = True
    def forward(self, a):
        self.out = _kernels().relu(a)
        return self.out

    def backward(self, g):
        return _kernels().relu_backward(g, self.out)


class Clamp(Function):
    saved = ((0, None),)
    _torch_name = "ClampBackward1"
    def forward(self, a, lo, hi):
        out = a
        if lo is not None:
            out = np.maximum(out, a.dtype.type(lo))
        if hi is not None:
            out = np.minimum(out, a.dtype.type(hi))
        # NOTE: the gradient passes at the bounds themselves (lo <= a <= hi), as in torch.
        self.mask = np.ones(a.shape, bool) if lo is None else a >= lo
        if hi is not None:
            self.mask &= a <= hi
        return out

    def backward(self, g):
        return g * self.mask


class ToDtype(Function):
    _torch_name = "ToCopyBackward0"
    def forward(self, a, dtype):
        return a.astype(dtype)

    def backward(self, g):
        return g  # the engine casts back to the input's dtype


class Clone(Function):
    def forward(self, a):
        return np.array(a, copy=True, order="C")

    def backward(self, g):
        return g


# ---------------------------------------------------------------------------- reductions
class Sum(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes = a.shape, axes
        if axes is not None:
            self._torch_name = "SumBackward1"
        return np.sum(a, axis=axes, keepdims=keepdim)

    def backward(self, g):
        return np.broadcast_to(_keep(g, self.shape, self.axes), self.shape)


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes = a.shape, axes
        if axes is not None:
            self._torch_name = "MeanBackward1"
        if a.size == 0:  # nan (0/0) as torch, without NumPy's "Mean of empty slice" warning
            with warnings.catch_warnings(), np.errstate(invalid="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.mean(a, axis=axes, keepdims=keepdim)
        return np.mean(a, axis=axes, keepdims=keepdim)

    def backward(self, g):
        n = np.prod([self.shape[i] for i in self.axes]) if self.axes is not None else np.prod(self.shape)
        g = _keep(g, self.shape, self.axes) / g.dtype.type(builtins.max(n, 1))
        return np.broadcast_to(g, self.shape)


class Amax(Function):
    """max/min over dims with ties sharing the gradient evenly (torch's amax/amin and max())."""
    saved = ((0, None),)
    saves_output = True

    def forward(self, a, axes, keepdim, largest):
        out = (np.max if largest else np.min)(a, axis=axes, keepdims=True)
        self._torch_name = ("Amax" if largest else "Amin") + "Backward0" if axes is not None else \
            ("Max" if largest else "Min") + "Backward1"
        self.a, self.axes, self.out_keep = a, axes, out
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    def backward(self, g):
        hit = self.a == self.out_keep
        count = hit.sum(axis=self.axes, keepdims=True)
        return _keep(g, self.a.shape, self.axes) * hit / count.astype(g.dtype)


class TakeAlongDim(Function):
    """Values at given indices along one dim (max(dim)/min(dim)): the gradient goes to that index."""

    _torch_name = "MaxBackward0"

    def forward(self, a, index, dim, keepdim):
        self.shape, self.index, self.dim = a.shape, index, dim
        out = np.take_along_axis(a, index, axis=dim)
        return out if keepdim else np.squeeze(out, dim)

    def backward(self, g):
        full = np.zeros(self.shape, g.dtype)
        np.put_along_axis(full, self.index, _keep(g, self.shape, (self.dim,)), axis=self.dim)
        return full


class Var(Function):
    """Variance with ``correction`` (one primitive, as torch's VarBackward0: it saves its input)."""
    saved = ((0, None),)

    def forward(self, a, axes, keepdim, correction):
        self.a, self.axes, self.correction = a, axes, correction
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        self.divisor = builtins.max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty slice: nan, as torch
            centred = a - np.mean(a, axis=axes, keepdims=True)
            out = np.sum(centred * centred, axis=axes, keepdims=keepdim) / a.dtype.type(self.divisor)
        return np.asarray(out, dtype=a.dtype)

    def backward(self, g):
        a = self.a
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centred = a - np.mean(a, axis=self.axes, keepdims=True)
            return _keep(g, a.shape, self.axes) * centred * (g.dtype.type(2) / g.dtype.type(self.divisor))


# ---------------------------------------------------------------------------- linear algebra
class Matmul(Function):
    saved = ((0, 1), (1, 0))

    def forward(self, a, b, dtype):
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        self._torch_name = _MATMUL_NAMES.get((a.ndim, b.ndim), "UnsafeViewBackward0")
        self.a, self.b = a, b
        return _gemm(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        A = a[None, :] if a.ndim == 1 else a
        B = b[:, None] if b.ndim == 1 else b
        G = g
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = _gemm(G, np.swapaxes(B, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            if A.ndim == 2 and b.ndim == 2 and b.T.flags.c_contiguous and not b.flags.c_contiguous:
                # b is a transposed C array (F.linear's weight.t()): its gradient is computed in
                # b.T's layout and handed back as a view, so the weight's own gradient arrives
                # C-ordered (the optimizers' one-pass loops had to transpose it first)
                gb = _gemm(np.swapaxes(G, -1, -2), A).T
            else:
                gb = _gemm(np.swapaxes(A, -1, -2), G)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


_MATMUL_NAMES = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0",
                 (1, 2): "SqueezeBackward4", (3, 3): "BmmBackward0"}


def _check_matmul(a, b):
    sa, sb = a.shape, b.shape
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        if sa[0] != sb[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] "
                               f"to have the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        return
    k_b = sb[0] if b.ndim == 1 else sb[-2]
    if sa[-1] != k_b:
        if a.ndim <= 2 and b.ndim <= 2:
            fa = "x".join(map(str, sa if a.ndim == 2 else (1,) + tuple(sa)))
            fb = "x".join(map(str, sb if b.ndim == 2 else tuple(sb) + (1,)))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({fa} and {fb})")
        raise RuntimeError(f"matmul: the last dimension of input ({list(sa)}) must match the "
                           f"second-to-last dimension of other ({list(sb)})")
    if a.ndim > 2 and b.ndim > 2:
        msg = _broadcast_error(sa[:-2], sb[:-2])
        if msg:
            raise RuntimeError(f"matmul batch dimensions of {list(sa)} and {list(sb)} do not broadcast: {msg}")


# ---------------------------------------------------------------------------- shape
class Reshape(Function):
    _torch_name = "ViewBackward0"
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    def forward(self, a, dims):
        self.inverse = tuple(np.argsort(dims))
        return np.transpose(a, dims)

    def backward(self, g):
        return np.transpose(g, self.inverse)


class Expand(Function):
    def forward(self, a, shape):
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return g  # the engine sums back to the input's shape


class Repeat(Function):
    def forward(self, a, reps):
        self.padded = (1,) * (len(reps) - a.ndim) + a.shape
        self.reps = reps
        return np.tile(a, reps)

    def backward(self, g):
        split = [n for pair in zip(self.reps, self.padded) for n in pair]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))


class GetItem(Function):
    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        self.accumulate = _has_int_array(index)
        self._torch_name = _getitem_name(index, self.accumulate)
        return a[index]

    def backward(self, g):
        full = np.zeros(self.shape, g.dtype)
        if self.accumulate:
            np.add.at(full, self.index, g)  # repeated indices accumulate
        else:
            full[self.index] = g
        return full


def _getitem_name(index, advanced):
    if advanced or any(isinstance(p, np.ndarray) for p in (index if isinstance(index, tuple) else (index,))):
        return "IndexBackward0"
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (int, np.integer)) for p in parts):
        return "SelectBackward0"
    if any(p is None for p in parts):
        return "UnsqueezeBackward0"
    return "SliceBackward0"


def _has_int_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind != "b" for p in parts)


def _convert_index(index):
    """Tensors and lists inside an index become ndarrays NumPy understands."""
    def one(i):
        if isinstance(i, Tensor):
            return i._data
        if isinstance(i, list):
            return np.asarray(i)
        return i
    if isinstance(index, tuple):
        return tuple(one(i) for i in index)
    return one(index)


class Cat(Function):
    def forward(self, *arrays, dim, dtype):
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        self.dim = dim
        return np.concatenate(arrays, axis=dim, dtype=dtype)

    def backward(self, g):
        return tuple(np.split(g, self.bounds, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim, dtype):
        self.dim, self.n = dim, len(arrays)
        return np.stack(arrays, axis=dim, dtype=dtype)

    def backward(self, g):
        return tuple(np.take(g, i, axis=self.dim) for i in range(self.n))


class Where(Function):
    def forward(self, a, b, cond, dtype):
        self.cond = cond
        return np.where(cond, a, b).astype(dtype, copy=False)

    def backward(self, g):
        zero = g.dtype.type(0)
        return np.where(self.cond, g, zero), np.where(self.cond, zero, g)


# ============================================================================ public functions
def add(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other)


def _is_bool(x):
    return x._data.dtype.kind == "b" if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_))


def _sub_check(a, b):
    """torch refuses subtraction with a bool operand (NumPy's TypeError is not torch's type)."""
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1):
    _sub_check(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other)


def rsub(input, other, *, alpha=1):
    _sub_check(input, other)
    if alpha != 1:
        input = mul(input, alpha)
    return _binary(Sub, other, input)


def mul(input, other):
    return _binary(Mul, input, other)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _binary(Div, input, other, float_result=True)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    dt = result_type(input, other)
    if dt._category == 1:  # a Python int operand wraps into the integer dtype first, as in the other ops
        input, other = _wrapped(input, dt), _wrapped(other, dt)
    result = div(input, other).detach()
    rounded = np.floor(result._data) if rounding_mode == "floor" else np.trunc(result._data)
    dt = result_type(input, other)
    return Tensor._make(rounded.astype(dt.np))


true_divide = divide = div
multiply = mul
subtract = sub


def _wrapped(x, dt):
    """A Python int operand of an integer-dtype op as the value torch computes with (wrapped)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(_dtype.scalar_array(x, dt.np))
    return x


def floor_divide(input, other):
    dt = result_type(input, other)
    if dt._category < 2:
        other = _wrapped(other, dt) if dt._category == 1 else other
        divisor = other._data if isinstance(other, Tensor) else np.asarray(other)
        if not np.all(divisor):
            raise RuntimeError("ZeroDivisionError")
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    dt = result_type(input, other)
    a, b = _tensor(input, dt), _tensor(other, dt)
    return Tensor._make(np.remainder(a._data, b._data).astype(dt.np))


def pow(input, exponent):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        dt = result_type(input, exponent)
        return PowScalar.apply(input, exponent=exponent, dtype=dt.np)
    return _binary(Pow, input, exponent)


def maximum(input, other):
    return _binary(Maximum, input, other)


def minimum(input, other):
    return _binary(Minimum, input, other)


def neg(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"neg(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype is _dtype.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


negative = neg


def exp(input):
    return Exp.apply(_float_input(input, "exp"))


def log(input):
    return Log.apply(_float_input(input, "log"))


def sqrt(input):
    return Sqrt.apply(_float_input(input, "sqrt"))


def rsqrt(input):
    return pow(sqrt(input), -1)


def tanh(input):
    return Tanh.apply(_float_input(input, "tanh"))


def sigmoid(input):
    return Sigmoid.apply(_float_input(input, "sigmoid"))


def abs(input):
    return Abs.apply(input)


def relu(input):
    return Relu.apply(input)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    dt = result_type(input, *bounds)
    if dt._category == 1:  # a Python int bound: torch's range check, then its value in the dtype
        if isinstance(min, int):
            min = int(_dtype.scalar_array(min, dt.np, wrap=False))
        if isinstance(max, int):
            max = int(_dtype.scalar_array(max, dt.np, wrap=False))
    if input._data.dtype != dt.np:
        input = to_dtype(input, dt)  # an integer tensor clamped to float bounds is float, as in torch
    if builtins.any(isinstance(b, Tensor) for b in bounds):
        out = input
        if min is not None:
            out = maximum(out, _tensor(min, dt)) if isinstance(min, Tensor) else Clamp.apply(out, lo=min, hi=None)
        if max is not None:
            out = minimum(out, _tensor(max, dt)) if isinstance(max, Tensor) else Clamp.apply(out, lo=None, hi=max)
        return out
    return Clamp.apply(input, lo=min, hi=max)


clip = clamp


def to_dtype(input, dtype):
    if dtype is _dtype.bfloat16:
        return input.bfloat16()
    np_dtype = to_numpy_dtype(dtype)
    if input._data.dtype == np_dtype:
        return Clone.apply(input) if input._bf16 else input  # bfloat16 -> float32: a new, unmarked tensor
    if input._requires_grad and grad_mode.enabled and np_dtype.kind != "f":
        return Tensor._make(input._data.astype(np_dtype))  # integer results leave the graph
    return ToDtype.apply(input, dtype=np_dtype)


def clone(input):
    return Clone.apply(input)


def contiguous(input):
    return Clone.apply(input)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None:  # NumPy's spellings, which torch accepts as aliases
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dtype is not None:
        input = to_dtype(input, dtype)
    elif not input.dtype.is_floating_point:
        input = to_dtype(input, _dtype.int64)  # torch sums bool and integer tensors as int64
    return Sum.apply(input, axes=_dims(dim, input.ndim), keepdim=keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dtype is not None:
        input = to_dtype(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype}")
    return Mean.apply(input, axes=_dims(dim, input.ndim), keepdim=keepdim)


def _check_nonempty(name, input, dim, all_error=RuntimeError, wrap=False):
    """torch refuses a reduction without identity (max, argmax, ...) over an empty dim, naming the dim
    as the caller wrote it (amax) or wrapped (``wrap``: max(dim), argmax); reducing a non-empty dim of
    an empty tensor gives an empty result."""
    if input._data.size:
        return
    if dim is None or (isinstance(dim, (tuple, list)) and not len(dim)):
        msg = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        if all_error is RuntimeError:
            msg += " Specify the reduction dim with the 'dim' argument."
        raise all_error(msg)
    for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
        if input._data.shape[_wrap_dim(d, input.ndim)] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {_wrap_dim(d, input.ndim) if wrap else d} to "
                             "have non-zero size.")


def _max_or_min(input, dim, keepdim, other, largest):
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        return maximum(input, other) if largest else minimum(input, other)
    _check_nonempty("max" if largest else "min", input, dim, wrap=True)
    if dim is None:
        return Amax.apply(input, axes=None, keepdim=False, largest=largest)
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        idx = np.zeros((), np.int64)
        values = input
    else:
        idx = np.expand_dims((np.argmax if largest else np.argmin)(input._data, axis=d), d)
        values = TakeAlongDim.apply(input, index=idx, dim=d, keepdim=keepdim)
        if not keepdim:
            idx = np.squeeze(idx, d)
    cls = return_types_max if largest else return_types_min
    return cls(values, Tensor._make(idx.astype(np.int64)))


def max(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    """max(input) -> the largest value; max(input, dim, keepdim) -> (values, indices);
    max(input, other) -> elementwise maximum."""
    return _max_or_min(input, dim, keepdim, other, True)


def min(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _max_or_min(input, dim, keepdim, other, False)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    _check_nonempty("amax", input, dim)
    return Amax.apply(input, axes=_dims(dim, input.ndim), keepdim=keepdim, largest=True)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    _check_nonempty("amin", input, dim)
    return Amax.apply(input, axes=_dims(dim, input.ndim), keepdim=keepdim, largest=False)


def _arg(fn, input, dim, keepdim):
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{fn.__name__}(): does not support bool input")
    _check_nonempty(fn.__name__, input, dim, IndexError, wrap=True)
    if dim is None:
        out = fn(input._data.reshape(-1))
        if keepdim:
            out = np.reshape(out, (1,) * input.ndim)
    else:
        out = fn(input._data, axis=_wrap_dim(dim, input.ndim), keepdims=keepdim)
    return Tensor._make(np.asarray(out, dtype=np.int64))


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _arg(np.argmin, input, dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _var(input, dim, unbiased, keepdim, correction, "var")


def _var(input, dim, unbiased, keepdim, correction, name):
    if isinstance(dim, bool):  # var(x, False): torch's (input, unbiased) overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError(f"{name}(): pass either unbiased or correction, not both")
    correction = 1 if correction is None and unbiased is None else (
        correction if correction is not None else int(unbiased))
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"std and var only support floating point and complex dtypes (got {input.dtype})")
    axes = _dims(dim, input.ndim)
    shape = input._data.shape
    n = int(np.prod(shape)) if axes is None else int(np.prod([shape[a] for a in axes]))
    if n - correction <= 0 or not input._data.size:  # torch's reduction factor is 0 for an empty input  # nan or inf, as torch, which says why
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return Var.apply(input, axes=axes, keepdim=keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _std(input, dim, unbiased, keepdim, correction, "std")


def _std(input, dim, unbiased, keepdim, correction, name):
    v = _var(input, dim, unbiased, keepdim, correction, name)
    # NOTE: torch's std backward is 0 where std == 0 (a constant slice), not g / 0: the root is
    # taken of 1 there and the result replaced by 0, so no 0/0 arises (and no RuntimeWarning).
    zero = Tensor._make(v._data == 0)
    if not zero._data.any():
        return sqrt(v)
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def matmul(input, other, *, out=None):
    _check_matmul(input, other)
    result = _binary(Matmul, input, other)
    return result if out is None else _write_out(out, result)


def mm(input, mat2, *, out=None):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: both arguments must be 2D, got {input.ndim}D and {mat2.ndim}D")
    return matmul(input, mat2, out=out)


def _resolve_shape(shape, numel):
    """Fills in one -1 and checks the element count, with torch's message."""
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {builtins.min(shape)}")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if unknown and known != 0 and numel % known == 0:
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif unknown or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def reshape(input, *shape):
    shape = _resolve_shape(_shape_args(shape), input._data.size)
    if shape == input._data.shape:
        return input
    return _alias(Reshape.apply(input, shape=shape), input, view_fn=lambda a: a.reshape(shape))


view = reshape


def view_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, input.ndim), _wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:s] + (-1 if input.numel() else 0,) + shape[e + 1:])


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = _dims(dim, input.ndim) or ()
        new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    d = _wrap_dim(dim, input.ndim + 1)
    shape = input.shape
    return reshape(input, shape[:d] + (1,) + shape[d:])


def permute(input, *dims):
    dims = tuple(_wrap_dim(d, input.ndim) for d in _shape_args(dims))
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(): number of dims don't match: the tensor has {input.ndim} dims "
                           f"but {len(dims)} were given ({list(dims)})")
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    return _alias(Permute.apply(input, dims=dims), input, "PermuteBackward0", lambda a: a.transpose(dims))


def transpose(input, dim0, dim1):
    dims = list(range(input.ndim))
    a, b = _wrap_dim(dim0, input.ndim), _wrap_dim(dim1, input.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    dims = tuple(dims)
    return _alias(Permute.apply(input, dims=dims), input, "TransposeBackward0", lambda a: a.transpose(dims))


swapaxes = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.ndim < 2:
        return input
    return _alias(Permute.apply(input, dims=(1, 0)), input, "TBackward0", lambda a: a.T)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({input.ndim})")
    lead = len(sizes) - input.ndim
    shape = []
    for i, s in enumerate(sizes):
        old = input.shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = old
        if old is not None and old != 1 and old != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({old}) "
                               f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(input.shape)}")
        shape.append(int(s))
    return _alias(Expand.apply(input, shape=tuple(shape)), input)


def expand_as(input, other):
    return expand(input, other.shape)


def repeat(input, *sizes):
    sizes = tuple(int(s) for s in _shape_args(sizes))
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           f"dimensions of tensor (got {len(sizes)} for a {input.ndim}-D tensor)")
    return Repeat.apply(input, reps=sizes)


def _split_int_index(index):
    """torch applies integer indices as selects before advanced indexing: ``t[0, :, idx]`` is
    ``t[0][:, idx]`` (NumPy would count the 0 as an advanced index and move idx's dims first).
    Returns (the selects, the rest) for an index that mixes ints and index arrays, else None."""
    if not isinstance(index, tuple):
        return None
    ints = arrays = False
    for e in index:
        if isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_)):
            ints = True
        elif isinstance(e, np.ndarray) and e.ndim:
            arrays = True
    if not (ints and arrays):
        return None
    first, rest = [], []
    for e in index:
        if isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_)):
            first.append(e)
        elif isinstance(e, np.ndarray) and e.dtype == np.bool_:
            first.extend([slice(None)] * e.ndim)
            rest.append(e)
        elif e is None:
            first.append(None)
            rest.append(slice(None))
        else:
            first.append(Ellipsis if e is Ellipsis else slice(None))
            rest.append(e)
    return tuple(first), tuple(rest)


def getitem(input, index, *, _split=True):
    index = _convert_index(index)
    if _split:
        parts = _split_int_index(index)
        if parts is not None:
            return getitem(getitem(input, parts[0], _split=False), parts[1], _split=False)
    try:
        return _alias(GetItem.apply(input, index=index), input, view_fn=lambda a: a[index])
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(input.shape)})") from None


def _common(tensors, opname):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{opname}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{opname}(): expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    return tensors, result_type(*tensors)


def cat(tensors, dim=0, *, out=None, axis=None):
    if axis is not None:
        dim = axis
    tensors, dt = _common(tensors, "cat")
    ref = tensors[0]
    d = _wrap_dim(dim, ref.ndim)
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim}")
        for j in range(ref.ndim):
            if j != d and x.shape[j] != ref.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[j]} but got size {x.shape[j]} for tensor number {i} in the list.")
    result = Cat.apply(*tensors, dim=d, dtype=dt.np)
    return result if out is None else _write_out(out, result)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors, dt = _common(tensors, "stack")
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(x.shape)} at entry {i}")
    result = Stack.apply(*tensors, dim=_wrap_dim(dim, tensors[0].ndim + 1), dtype=dt.np)
    return result if out is None else _write_out(out, result)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:  # where(condition): the indices of the true elements
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(condition._data))
    if condition.dtype is not _dtype.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
    dt = result_type(input, other)
    a, b = _tensor(input, dt), _tensor(other, dt)
    for x in (a, b):
        msg = _broadcast_error(condition.shape, x.shape)
        if msg:
            raise RuntimeError(msg)
    result = Where.apply(a, b, cond=condition._data, dtype=dt.np)
    return result if out is None else _write_out(out, result)


# ---------------------------------------------------------------------------- comparisons
def _compare(ufunc):
    def compare(input, other):
        dt = result_type(input, other)
        a, b = _tensor(input, dt), _tensor(other, dt)
        msg = _broadcast_error(a.shape, b.shape)
        if msg:
            raise RuntimeError(msg)
        return Tensor._make(ufunc(a._data.astype(dt.np, copy=False), b._data.astype(dt.np, copy=False)))
    compare.__name__ = ufunc.__name__
    return compare


eq, ne, lt, le, gt, ge = (_compare(u) for u in (np.equal, np.not_equal, np.less, np.less_equal,
                                                   np.greater, np.greater_equal))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other):
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isnan(input):
    return Tensor._make(np.isnan(input._data))


def isfinite(input):
    return Tensor._make(np.isfinite(input._data))


def logical_not(input):
    return Tensor._make(np.logical_not(input._data))


def _bitwise(ufunc, name):
    def op(input, other):
        dt = result_type(input, other)
        if dt.is_floating_point:
            raise RuntimeError(f"\"{name}\" not implemented for '{dt.name}'")
        a, b = _tensor(input, dt), _tensor(other, dt)
        return Tensor._make(ufunc(a._data, b._data).astype(dt.np, copy=False))
    return op


logical_and = _bitwise(np.logical_and, "logical_and")
bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input):
    if input.dtype.is_floating_point:
        raise RuntimeError(f"\"bitwise_not\" not implemented for '{input.dtype.name}'")
    return Tensor._make(np.invert(input._data))


# ---------------------------------------------------------------------------- views and in place
def _alias(result, input, name=None, view_fn=None):
    """Marks ``result`` as a view of ``input`` where NumPy made it one (it shares input's memory):
    it then shares input's version counter, as torch's views do, and remembers its root base and
    ``view_fn`` (ndarray -> the same view of it), with which an in-place op on the view inside a
    graph rewrites the base (torch's CopySlices). ``name`` is torch's node name."""
    if result is not input:
        a = result._data
        if a.base is not None and np.may_share_memory(a, input._data):
            result._vc = _counter(input)
            root = input._base
            if root is None:
                result._base, result._view_fn = input, view_fn
            elif view_fn is not None and input._view_fn is not None:
                outer = input._view_fn
                result._base, result._view_fn = root, lambda arr: view_fn(outer(arr))
            else:
                result._base, result._view_fn = root, None
        if name is not None and result.grad_fn is not None:
            result.grad_fn._torch_name = name
    return result


class ViewOf(Function):
    """A view of the base by ``view_fn`` (an in-place op on a view re-derives the view from the
    rewritten base); the gradient lands in that region of the base."""
    _torch_name = "AsStridedBackward0"

    def forward(self, base, view_fn):
        self.shape, self.dtype, self.view_fn = base.shape, base.dtype, view_fn
        return view_fn(base)

    def backward(self, g):
        full = np.zeros(self.shape, g.dtype)
        self.view_fn(full)[...] = g
        return full


class CopySlices(Function):
    """The base after an in-place op on one of its views: ``new_view`` written into the region."""
    _torch_name = "CopySlices"

    def forward(self, base, new_view, view_fn):
        self.view_fn = view_fn
        out = base.copy()
        view_fn(out)[...] = new_view
        return out

    def backward(self, g):
        gb = g.copy()
        self.view_fn(gb)[...] = 0
        return gb, np.array(self.view_fn(g))


def _inplace_on_view(self, op, args, kwargs, cast_ok):
    """torch's CopySlices: ``self`` is a view of ``base``; the op runs on that view of a snapshot of
    the base, the result is written into the base's region, and both the base and the view get new
    grad_fns (CopySlices and a view of it)."""
    base, view_fn = self._base, self._view_fn
    snapshot = Tensor._make(base._data.copy(), base._requires_grad)
    snapshot.grad_fn = base.grad_fn
    seq = _next_seq()
    old_view = ViewOf.apply(snapshot, view_fn=view_fn)
    new_view = op(old_view, *args, **kwargs)
    have, want = new_view._data.dtype, old_view._data.dtype
    if have != want:
        if not cast_ok and _CATEGORY[have.kind] > _CATEGORY[want.kind]:
            raise RuntimeError(f"result type {_TORCH_NAMES[have.name]} can't be cast to the desired output "
                               f"type {_TORCH_NAMES[want.name]}")
        new_view = to_dtype(new_view, _dtype.from_numpy_dtype(want))
    new_base = CopySlices.apply(snapshot, new_view, view_fn=view_fn)
    _write(base, new_base._data, cast_ok)  # the view shares the base's memory and version counter
    if new_base.grad_fn is None:
        return self
    for t, node in ((base, new_base.grad_fn),):
        t._rebased = (t._rebased or ()) + ((seq, t.grad_fn),)
        t.grad_fn, t._requires_grad = node, True
    view = ViewOf.apply(base, view_fn=view_fn)
    self._rebased = (self._rebased or ()) + ((view.grad_fn.seq, self.grad_fn),)
    self.grad_fn, self._requires_grad = view.grad_fn, True
    _rebase_count[0] += 1
    return self


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation.")


def _write(self, array, cast_ok=False):
    """Stores ``array`` into self's memory (views see it) and bumps self's version."""
    if not self._data.flags.writeable:
        raise RuntimeError(_OVERLAP)
    have, want = array.dtype, self._data.dtype
    if not cast_ok and _CATEGORY[have.kind] > _CATEGORY[want.kind]:
        raise RuntimeError(f"result type {_TORCH_NAMES[have.name]} can't be cast to the desired output "
                           f"type {_TORCH_NAMES[want.name]}")
    if array.shape != self._data.shape:
        try:
            np.broadcast_to(array, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(array.shape, self._data.shape))}") from None
    np.copyto(self._data, array, casting="unsafe")
    _bump(self)


def _write_out(out, result):
    """The ``out=`` form: torch refuses it where autograd would record, resizes an out of another
    shape, and refuses a result of a higher dtype category."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_mode.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    _write(out, result._data)
    return out


def _tracked(self, args):
    if not grad_mode.enabled:
        return False
    if self._requires_grad:
        return True
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


def _inplace(self, op, args=(), kwargs=None, name="in-place operation", cast_ok=False):
    """``self <- op(self, *args, **kwargs)`` in self's memory, with torch's autograd rules.

    Outside a graph this is a write and a version bump. Inside one (self or an operand requires
    grad) the node is computed out of place against a snapshot that holds self's old value and
    old grad_fn (so the graph has no cycle and a backward needing the old value has it), the result
    is written into self's memory and self's grad_fn becomes the new node. A leaf that requires
    grad refuses, as in torch; so does a view of a graph tensor (torch rebases the base with
    CopySlices: not implemented here).
    """
    kwargs = kwargs or {}
    if not _tracked(self, args):
        with no_grad():
            result = op(self, *args, **kwargs)
        _write(self, result._data, cast_ok)
        return self
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None:
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        if self._view_fn is None:
            raise NotImplementedError(f"{name} on this kind of view of a tensor in an autograd graph is not "
                                      "supported by mytorch; apply the out-of-place op to the base tensor")
        return _inplace_on_view(self, op, args, kwargs, cast_ok)
    snapshot = Tensor._make(self._data.copy(), self._requires_grad)
    snapshot.grad_fn = self.grad_fn
    if self._output_nr:
        snapshot._output_nr = self._output_nr
    seq = _next_seq()  # nodes made before this point still reach self's old grad_fn
    result = op(snapshot, *args, **kwargs)
    _write(self, result._data, cast_ok)
    node = result.grad_fn
    if node is not None:
        if node._out_vc is not None and node._out_vc is result._vc:  # a saved output is self now
            node._out_vc, node._out_version = self._vc, self._vc[0]
        self._rebased = (self._rebased or ()) + ((seq, self.grad_fn),)
        _rebase_count[0] += 1
        self.grad_fn = node
        self._requires_grad = True
        self.__dict__.pop("_output_nr", None)
    return self


def _inplace_binary(ufunc, fn, float_result=False, check=None):
    def op(self, other, *, alpha=1):
        if check is not None:
            check(self, other)
        if not _tracked(self, (other,)):  # the fast path of optimizers and buffers: one ufunc, no copy
            dt = result_type(self, other)
            if float_result and not dt.is_floating_point:
                dt = _dtype.get_default_dtype()
            if dt._category > self.dtype._category:
                raise RuntimeError(f"result type {_TORCH_NAMES[dt.name]} can't be cast to the desired "
                                   f"output type {_TORCH_NAMES[self.dtype.name]}")
            value = other._data if isinstance(other, Tensor) else other
            if not self._data.flags.writeable:
                raise RuntimeError(_OVERLAP)
            if alpha != 1:
                value = np.multiply(value, alpha)
            try:
                ufunc(self._data, value, out=self._data, casting="unsafe")
            except ValueError:
                shape = np.shape(value)
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                                   f"{list(np.broadcast_shapes(shape, self._data.shape)) if not _broadcast_error(shape, self._data.shape) else list(shape)}") from None
            _bump(self)
            return self
        return _inplace(self, fn, (other,), {"alpha": alpha} if alpha != 1 else None, fn.__name__ + "_")
    op.__name__ = fn.__name__ + "_"
    return op


class Fill(Function):
    """Every element becomes ``value`` (a 0-d tensor): the input gets no gradient."""

    def forward(self, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, g):
        return np.zeros_like(g), g.sum()


class Copy(Function):
    """``copy_``: the values of ``src`` broadcast to the destination's shape and dtype."""

    def forward(self, a, src):
        return np.array(np.broadcast_to(src, a.shape), dtype=a.dtype)

    def backward(self, g):
        return np.zeros_like(g), g


class IndexPut(Function):
    """``a[index] = v`` out of place: the old values lose the indexed region's gradient; ``v`` gets
    the gradient of the region (summed back to v's shape by the engine)."""
    _torch_name = "IndexPutBackward0"

    def forward(self, a, v, index):
        self.index = index
        out = a.copy()
        out[index] = v
        return out

    def backward(self, g):
        ga = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.index] = 0
        return ga, (g[self.index] if self.needs_input_grad[1] else None)


def _fill(input, value):
    if not isinstance(value, Tensor):
        value = Tensor._make(_dtype.scalar_array(value, input._data.dtype, wrap=False))
    elif value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return Fill.apply(input, value)


def _copy(input, src):
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    msg = _broadcast_error(src.shape, input.shape)
    if msg or np.broadcast_shapes(src._data.shape, input._data.shape) != input._data.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(src.shape)}")
    return Copy.apply(input, src)


def _index_put(input, index, value):
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value, dtype=input._data.dtype))
    elif value._data.dtype != input._data.dtype:
        value = to_dtype(value, input.dtype)
    return IndexPut.apply(input, value, index=index)


add_ = _inplace_binary(np.add, add)
sub_ = _inplace_binary(np.subtract, sub, check=_sub_check)
mul_ = _inplace_binary(np.multiply, mul)
div_ = _inplace_binary(np.true_divide, div, float_result=True)


def zero_(self):
    if not _tracked(self, ()):
        self._data[...] = 0
        _bump(self)
        return self
    return _inplace(self, _fill, (0,), name="zero_")


def fill_(self, value):
    return _inplace(self, _fill, (value,), name="fill_", cast_ok=True)


def copy_(self, src, non_blocking=False):
    return _inplace(self, _copy, (src,), name="copy_", cast_ok=True)


def clamp_(self, min=None, max=None):
    return _inplace(self, clamp, (min, max), name="clamp_")


def setitem(self, index, value):
    index = _convert_index(index)
    parts = _split_int_index(index)
    if parts is not None:  # torch's dimension order: the integer selects first, on a view
        return setitem(getitem(self, parts[0], _split=False), parts[1], value)
    if not _tracked(self, (value,)):
        try:
            self._data[index] = value._data if isinstance(value, Tensor) else value
        except ValueError as e:
            raise RuntimeError(f"{e} (assigning into a tensor of shape {list(self.shape)})") from None
        _bump(self)
        return
    _inplace(self, _index_put, (index, value), name="__setitem__")


# ---------------------------------------------------------------------------- differentiable backwards
# For create_graph=True (autograd._engine_graph): each primitive's backward in mytorch ops on
# Tensors, so the gradient computation is itself recorded. ``self.parents`` are the inputs.
class _GradScatter(Function):
    """The gradient of an index: ``g`` placed into zeros of the indexed tensor's shape (adjoint of
    GetItem, whose own gradient is GetItem again)."""

    def forward(self, g, shape, index, accumulate):
        self.index = index
        full = np.zeros(shape, g.dtype)
        if accumulate:
            np.add.at(full, index, g)
        else:
            full[index] = g
        return full

    def backward(self, g):
        return g[self.index]


def _expand_back(self, g):
    return expand(reshape(g, _keep(g._data, self.shape, self.axes).shape), self.shape)


def _mean_back(self, g):
    n = np.prod([self.shape[i] for i in self.axes]) if self.axes is not None else np.prod(self.shape)
    return _expand_back(self, g) / builtins.max(int(n), 1)


def _matmul_back(self, g):
    a, b = self.parents
    if a.ndim == 1 or b.ndim == 1:
        raise NotImplementedError("create_graph=True through a matmul with a 1-D operand is not supported")
    ga = matmul(g, transpose(b, -1, -2)) if self.needs_input_grad[0] else None
    gb = matmul(transpose(a, -1, -2), g) if self.needs_input_grad[1] else None
    return ga, gb


def _var_back(self, g):
    (a,) = self.parents
    centred = a - mean(a, dim=self.axes, keepdim=True)
    gk = reshape(g, _keep(g._data, a._data.shape, self.axes).shape)
    return gk * centred * (2.0 / self.divisor)


_BACKWARD_T = {
    Add: lambda self, g: (g, g),
    Sub: lambda self, g: (g, -g),
    Neg: lambda self, g: -g,
    Mul: lambda self, g: (g * self.parents[1], g * self.parents[0]),
    Div: lambda self, g: (g / self.parents[1], -g * self.parents[0] / (self.parents[1] * self.parents[1])),
    PowScalar: lambda self, g: (g * 0 if self.p == 0 else g if self.p == 1
                                else g * self.p * self.parents[0] ** (self.p - 1)),
    Pow: lambda self, g: (g * self.parents[1] * self.parents[0] ** (self.parents[1] - 1),
                          g * self.parents[0] ** self.parents[1] * log(self.parents[0])),
    Exp: lambda self, g: g * exp(self.parents[0]),
    Log: lambda self, g: g / self.parents[0],
    Sqrt: lambda self, g: g / (2 * sqrt(self.parents[0])),
    Tanh: lambda self, g: g * (1 - tanh(self.parents[0]) ** 2),
    Sigmoid: lambda self, g: g * sigmoid(self.parents[0]) * (1 - sigmoid(self.parents[0])),
    Relu: lambda self, g: g * (self.parents[0] > 0),
    Abs: lambda self, g: g * Tensor._make(np.sign(self.parents[0]._data)),
    Sum: _expand_back,
    Mean: _mean_back,
    Var: _var_back,
    Matmul: _matmul_back,
    Reshape: lambda self, g: reshape(g, self.shape),
    Permute: lambda self, g: permute(g, self.inverse),
    Expand: lambda self, g: g,
    Clone: lambda self, g: g,
    ToDtype: lambda self, g: g,
    GetItem: lambda self, g: _GradScatter.apply(g, shape=self.shape, index=self.index, accumulate=self.accumulate),
    _GradScatter: lambda self, g: getitem(g, self.index, _split=False),
}
for _cls, _fn in _BACKWARD_T.items():
    _cls.backward_t = _fn
del _cls, _fn
