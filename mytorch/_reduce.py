"""Reductions and scans: prod, norm, logsumexp, cumsum, sort, topk, median, unique, ... (one declaration each).

Each public op is declared once with ``@op(...)``, which records its function name, Tensor method
name(s), aliases, in-place ``_`` form and ``out=`` form in ``__all__`` / ``METHODS``. A backward of
its own is written only where no composition gives it at a reasonable cost: TakeAlong (gather),
Prod and Cumprod (exact where the input has zeros), Cumsum, LogSumExp and LogCumSumExp (no
overflow). Ops that pick elements (sort, topk, kthvalue, median, mode, cummax) compute indices in
NumPy and gather the values with TakeAlong, so the gradient goes to the returned index, as in
torch; the rest compose ops.py primitives and get their gradients for free.
"""
import inspect
import warnings
from collections import namedtuple

import numpy as np

from mytorch import _dtype, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)


# ---------------------------------------------------------------------------- declaration
def declare(all_names, methods):
    """The ``@op`` decorator for one op module: registers a function under its name, its method
    name(s), its aliases, an in-place ``name_`` method and an ``out=`` keyword, from one line.
    torch's keyword aliases come with it: ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``."""

    def op(method=True, aliases=(), inplace=False, out=False, public=True):
        def register(fn):
            fn = _keywords(fn, out)
            names = (fn.__name__,) + tuple(aliases)
            for alias in aliases:  # module attributes too, so `from module import *` finds them
                getattr(fn, "__wrapped__", fn).__globals__[alias] = fn
            if public:
                all_names.extend(names)
            if method:
                for name in (names if method is True else (method,) if isinstance(method, str) else method):
                    methods[name] = fn
            if inplace:
                methods[fn.__name__ + "_"] = _inplace_form(fn)
            return fn
        return register
    return op


def _keywords(fn, out):
    """``fn`` taking torch's ``out=`` (when ``out``) and its ``axis``/``keepdims`` spellings."""
    params = inspect.signature(fn).parameters
    renames = {alias: name for alias, name in (("axis", "dim"), ("keepdims", "keepdim")) if name in params}
    if not out and not renames:
        return fn

    def op(*args, **kwargs):
        for alias, name in renames.items():
            if alias in kwargs:
                kwargs[name] = kwargs.pop(alias)
        target = kwargs.pop("out", None) if out else None
        result = fn(*args, **kwargs)
        if target is None:
            return result
        if isinstance(result, tuple):
            for o, r in zip(target, result):
                _write_out(o, r, fn.__name__)
            return type(result)(*target) if hasattr(result, "_fields") else tuple(target)
        return _write_out(target, result, fn.__name__)
    op.__name__, op.__qualname__, op.__doc__, op.__wrapped__ = fn.__name__, fn.__qualname__, fn.__doc__, fn
    if out:  # the signature stub generators and help() see
        sig = inspect.signature(fn)
        extra = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
        op.__signature__ = sig.replace(parameters=[*sig.parameters.values(), extra])
    return op


def _write_out(out, result, opname):
    if out._requires_grad and ops.grad_mode.enabled:
        raise RuntimeError(f"{opname}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)  # torch resizes out to the result's shape
    ops._write(out, result._data, cast_ok=True)  # bumps out's version counter
    return out


def _inplace_form(fn):
    """``x.op_(...)``: ``op(x, ...)`` written into x."""
    def inplace(self, *args, **kwargs):
        return apply_inplace(self, fn, args, kwargs)
    inplace.__name__ = fn.__name__ + "_"
    inplace.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    sig = inspect.signature(fn)  # the stub and help() show the op's own parameters (no out=)
    inplace.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "out"])
    return inplace


def apply_inplace(self, fn, args=(), kwargs=None, name=None):
    """``self <- fn(self, *args, **kwargs)`` through ops._inplace, the in-place machinery of ops.py:
    it writes into self's memory, bumps its version and, inside a graph, makes the new node self's
    grad_fn (a leaf that requires grad is refused, as in torch)."""
    return ops._inplace(self, fn, tuple(args), kwargs or {}, name or fn.__name__ + "_", cast_ok=True)


op = declare(__all__, METHODS)


class return_types:  # noqa: N801  (torch.return_types: the named tuples of the ops declared here)
    """The named tuples ops return (``mytorch.return_types.sort`` and so on), printed as torch prints them."""


def _rt(name, fields=("values", "indices")):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"mytorch.return_types.{name}(\n{body})"
    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    setattr(return_types, name, cls)
    return cls


_sort_rt, _topk_rt, _kth_rt, _median_rt, _mode_rt = (_rt(n) for n in ("sort", "topk", "kthvalue", "median", "mode"))
_nanmedian_rt, _cummax_rt, _cummin_rt = _rt("nanmedian"), _rt("cummax"), _rt("cummin")
_aminmax_rt = _rt("aminmax", ("min", "max"))
__all__.append("return_types")


# ---------------------------------------------------------------------------- helpers
def _long(array):
    return Tensor._make(np.asarray(array, dtype=np.int64))


def _along(input, index, dim, unique=False):
    """gather: ``out[i][j][k] = input[i][index[i][j][k]][k]`` for dim=1 (index may be shorter than
    input on the other dims, as torch allows). ``unique``: each slice's indices are distinct (sort,
    topk), so the backward can place instead of accumulate."""
    index = np.asarray(index, np.int64)
    if input.ndim == 0:
        return TakeAlong.apply(ops.reshape(input, 1), index=index.reshape(-1) * 0, dim=0,
                               unique=False).reshape(index.shape)
    return TakeAlong.apply(input, index=index, dim=dim, unique=unique)


def _last(array, dim):
    """array with ``dim`` moved last (a view)."""
    return np.moveaxis(array, dim, -1)


def _cast_reduce(input, dtype):
    """Reductions that sum or multiply: integer and bool inputs compute in int64, as torch."""
    if dtype is not None:
        return ops.to_dtype(input, dtype)
    if not input.dtype.is_floating_point:
        return ops.to_dtype(input, _dtype.int64)
    return input


def _not_for(input, dtypes, message, exc=NotImplementedError):
    """torch's refusal of some dtypes (``message`` may name the dtype as {dtype})."""
    if input.dtype.name in dtypes:
        raise exc(message.format(dtype=_torch_name(input.dtype)))


def _torch_name(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[dt.name]


# ---------------------------------------------------------------------------- primitives
class TakeAlong(Function):
    """np.take_along_axis over the leading block of ``a`` that index covers; the backward adds the
    gradient back at the indices (one bincount over flat positions: far faster than np.add.at)."""

    def forward(self, a, index, dim, unique):
        self.shape, self.index, self.dim, self.unique = a.shape, index, dim, unique
        self.block = tuple(slice(None) if k == dim else slice(0, n) for k, n in enumerate(index.shape))
        return np.take_along_axis(a[self.block], index, axis=dim)

    def backward(self, g):
        full = np.zeros(self.shape, g.dtype)
        region = full[self.block]  # a view: writes land in full
        if self.unique:
            np.put_along_axis(region, self.index, g, axis=self.dim)
            return full
        grid = list(np.indices(self.index.shape, sparse=True))
        grid[self.dim] = self.index % region.shape[self.dim]
        flat = np.ravel_multi_index(tuple(np.broadcast_to(x, self.index.shape) for x in grid), region.shape)
        region[...] = np.bincount(flat.ravel(), weights=g.ravel(), minlength=region.size).reshape(region.shape)
        return full


class Prod(Function):
    saved = ((0, None),)  # what backward reads, for the version check of in-place writes
    def forward(self, a, axes, keepdim):
        self.a, self.axes = a, axes
        return np.prod(a, axis=axes, keepdims=keepdim, dtype=a.dtype)  # NumPy would widen int32

    def backward(self, g):
        # NOTE: the product of the *other* elements (exclusive products from both ends), not
        # out / a: exact where the input has zeros, as torch's.
        a = self.a
        axes = tuple(range(a.ndim)) if self.axes is None else self.axes
        last = tuple(range(a.ndim - len(axes), a.ndim))
        moved = np.moveaxis(a, axes, last)
        rows = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
        ones = np.ones(rows.shape[:-1] + (1,), a.dtype)
        left = np.cumprod(np.concatenate([ones, rows[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], -1), -1)[..., ::-1]
        others = np.moveaxis((left * right).reshape(moved.shape), last, axes)
        return ops._keep(g, a.shape, self.axes) * others


class LogSumExp(Function):
    """One node instead of five (max, sub, exp, sum, log): it sits in every log-likelihood."""
    saved = ((0, None),)
    saves_output = True

    def forward(self, a, axes, keepdim):
        m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(a.dtype)  # shift by the max; +-inf pass through
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
        self.a, self.out, self.axes = a, out, axes
        return out if keepdim else out.reshape(np.sum(a, axis=axes).shape)

    def backward(self, g):
        with np.errstate(invalid="ignore"):
            return ops._keep(g, self.a.shape, self.axes) * np.exp(self.a - self.out)


class LogCumSumExp(Function):
    saved = ((0, None),)
    saves_output = True

    def forward(self, a, dim):
        self.a, self.dim = a, dim
        self.out = np.logaddexp.accumulate(a, axis=dim) if a.size else a.copy()
        return self.out

    def backward(self, g):
        # grad_j = sum_{i>=j} g_i exp(a_j - out_i), summed in log space separately for the positive
        # and negative parts of g (torch's formulation): no exp overflows.
        d = self.dim

        def reverse_scan(x):
            return np.flip(np.logaddexp.accumulate(np.flip(x, d), axis=d), d)
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.exp(self.a + reverse_scan(np.log(np.maximum(g, 0)) - self.out))
            neg = np.exp(self.a + reverse_scan(np.log(np.maximum(-g, 0)) - self.out))
        return (pos - neg).astype(g.dtype)


class Cumsum(Function):
    def forward(self, a, dim):
        self.dim = dim
        return np.cumsum(a, axis=dim, dtype=a.dtype)

    def backward(self, g):
        return np.flip(np.cumsum(np.flip(g, self.dim), axis=self.dim), self.dim)


class Cumprod(Function):
    saved = ((0, None),)

    def forward(self, a, dim):
        self.a, self.dim = a, dim
        return np.cumprod(a, axis=dim, dtype=a.dtype)

    def backward(self, g):
        # grad_i = prod_{k<i} a_k * R_i with R_i = g_i + a_{i+1} R_{i+1}: exact with zeros
        # (out / a is not), one reverse pass along dim.
        a, g = _last(self.a, self.dim), _last(g, self.dim)
        n = a.shape[-1]
        r = np.empty_like(g)
        r[..., n - 1] = g[..., n - 1]
        for i in range(n - 2, -1, -1):
            r[..., i] = g[..., i] + a[..., i + 1] * r[..., i + 1]
        ones = np.ones(a.shape[:-1] + (1,), a.dtype)
        before = np.cumprod(np.concatenate([ones, a[..., :-1]], -1), -1)
        return np.moveaxis(before * r, -1, self.dim)


# ---------------------------------------------------------------------------- sums and products
@op(out=True)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of the elements (all, or along ``dim``); integer and bool inputs give int64.

    Example::

        >>> mytorch.prod(mytorch.tensor([[1., 2.], [3., 4.]]), 1)
        tensor([ 2., 12.])
    """
    input = _cast_reduce(input, dtype)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axes = None if dim is None else ops._dims(dim, input.ndim)
    return Prod.apply(input, axes=axes, keepdim=keepdim and dim is not None)


@op(out=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum() treating NaN as zero."""
    if input.dtype.is_floating_point:
        input = ops.where(ops.isnan(input), 0.0, input)
    return ops.sum(input, dim, keepdim, dtype=dtype)


@op(out=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean() of the non-NaN elements."""
    if dtype is not None:
        input = ops.to_dtype(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_torch_name(input.dtype)}")
    count = ops.sum(ops.logical_not(ops.isnan(input)), dim, keepdim)
    return ops.div(nansum(input, dim, keepdim), count)


@op(out=True)
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) along ``dim`` (an int or a tuple), computed without overflow."""
    if not input.dtype.is_floating_point:
        input = ops.to_dtype(input, _dtype.float32)
    return LogSumExp.apply(input, axes=ops._dims(dim, input.ndim), keepdim=keepdim)


# ---------------------------------------------------------------------------- scans
@op(out=True, inplace=True)
def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``; integer and bool inputs give int64."""
    input = _cast_reduce(input, dtype)
    return Cumsum.apply(input, dim=_wrap_dim(dim, input.ndim)) if input.ndim else ops.clone(input)


@op(out=True, inplace=True)
def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``; exact gradient where the input has zeros."""
    input = _cast_reduce(input, dtype)
    return Cumprod.apply(input, dim=_wrap_dim(dim, input.ndim)) if input.ndim else ops.clone(input)


@op(out=True)
def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, as a running logaddexp (no overflow, no underflow)."""
    _not_for(input, ("int64", "int32", "int16", "int8", "uint8", "bool"),
             "\"logcumsumexp_out_cpu\" not implemented for '{dtype}'")
    if input.ndim == 0:
        return ops.clone(input)
    return LogCumSumExp.apply(input, dim=_wrap_dim(dim, input.ndim))


def _cumext(input, dim, largest, rt):
    if input.ndim == 0:
        return rt(ops.clone(input), _long(0))
    d = _wrap_dim(dim, input.ndim)
    x = input._data
    acc = (np.maximum if largest else np.minimum).accumulate(x, axis=d) if x.size else x
    n = x.shape[d]
    steps = np.arange(n).reshape((-1,) + (1,) * (x.ndim - d - 1))
    hit = (x == acc) | (np.isnan(x) if x.dtype.kind == "f" else False)
    index = np.maximum.accumulate(np.where(hit, steps, 0), axis=d) if x.size else np.zeros(x.shape, np.int64)
    return rt(_along(input, index, d), _long(index))


@op(out=True)
def cummax(input, dim):
    """(values, indices) of the running maximum along ``dim`` (ties take the later index, as torch)."""
    return _cumext(input, dim, True, _cummax_rt)


@op(out=True)
def cummin(input, dim):
    """(values, indices) of the running minimum along ``dim``."""
    return _cumext(input, dim, False, _cummin_rt)


# ---------------------------------------------------------------------------- sorting and selection
def _argsort(x, dim, descending):
    """Stable argsort along dim; descending keeps equal elements in their original order, NaN
    counts as the largest value (torch's order)."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    flipped = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
    return (n - 1) - np.flip(flipped, dim)


@op(out=True)
def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) sorted along ``dim``. Equal elements keep their order (always stable here).

    Example::

        >>> mytorch.sort(mytorch.tensor([3., 1., 2.]), descending=True).indices
        tensor([0, 2, 1])
    """
    if input.ndim == 0:
        return _sort_rt(ops.clone(input), _long(0))
    d = _wrap_dim(dim, input.ndim)
    index = _argsort(input._data, d, descending)
    return _sort_rt(_along(input, index, d, unique=True), _long(index))


@op()
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable=stable).indices if input.ndim else _long(0)


@op(out=True)
def msort(input):
    """sort(input, dim=0).values."""
    return sort(input, 0).values


@op(out=True)
def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the ``k`` largest (or smallest) elements along ``dim``."""
    _not_for(input, ("bool",), "topk does not support bool dtypes on CPU", RuntimeError)
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return _topk_rt(ops.clone(input), _long(0))
    index = np.take(_argsort(input._data, d, largest), np.arange(k), axis=d)
    return _topk_rt(_along(input, index, d, unique=True), _long(index))


def _select(input, dim, keepdim, pick, rt, opname):
    """Picks one element per slice along dim: ``pick(rows)`` gives, for rows of shape (M, n), the
    chosen column of each row; the value is gathered (gradient to that index)."""
    if input.ndim == 0:
        return rt(ops.clone(input), _long(0))
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] == 0:
        raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size.")
    x = _last(input._data, d)
    column = np.asarray(pick(x.reshape(-1, x.shape[-1]))).reshape(x.shape[:-1])
    index = np.expand_dims(column, d)
    values = _along(input, index, d)
    if not keepdim:
        values, index = ops.squeeze(values, d), np.squeeze(index, d)
    return rt(values, _long(index))


def _kth_column(rows, k):
    return np.argsort(rows, axis=-1, kind="stable")[:, k]


@op(out=True)
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (1-based) along ``dim``."""
    _not_for(input, ("bool",), "\"kthvalue_cpu\" not implemented for '{dtype}'")
    n = input.shape[_wrap_dim(dim, input.ndim)] if input.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {_wrap_dim(dim, input.ndim)} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {_wrap_dim(dim, input.ndim)}")
    return _select(input, dim, keepdim, lambda rows: _kth_column(rows, k - 1), _kth_rt, "kthvalue")


def _median_column(rows, skip_nan):
    order = np.argsort(rows, axis=-1, kind="stable")  # NaN sort last
    nan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)
    if skip_nan:
        k = np.maximum((rows.shape[-1] - nan.sum(-1) - 1) // 2, 0)
    else:  # any NaN: the median is NaN, at the first NaN
        k = np.where(nan.any(-1), rows.shape[-1] - nan.sum(-1), (rows.shape[-1] - 1) // 2)
    return np.take_along_axis(order, k[:, None], -1)[:, 0]


def _scalar_min(dt):
    return float("-inf") if dt.is_floating_point else int(np.iinfo(dt.np).min) if dt.np.kind in "iu" else False


def _median(input, dim, keepdim, skip_nan, rt, opname):
    _not_for(input, ("bool",), "\"median_cpu\" not implemented for '{dtype}'")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{opname}() input tensor cannot be empty")
        flat = ops.reshape(input, -1)
        value = _select(flat, 0, False, lambda rows: _median_column(rows, skip_nan), rt, opname).values
        if input.dtype.is_floating_point and np.isnan(value._data):
            return value
        # NOTE: torch spreads the global median's gradient evenly over the elements equal to it
        # (with dim it goes to the returned index): amax over those elements does exactly that.
        ties = Tensor._make(input._data == value._data)
        return ops.amax(ops.where(ties, input, _scalar_min(input.dtype)))
    return _select(input, dim, keepdim, lambda rows: _median_column(rows, skip_nan), rt, opname)


@op(out=True)
def median(input, dim=None, keepdim=False):
    """median(input) -> the lower median; median(input, dim, keepdim) -> (values, indices).
    NaN propagates, as in torch."""
    return _median(input, dim, keepdim, False, _median_rt, "median")


@op(out=True)
def nanmedian(input, dim=None, keepdim=False):
    """median() ignoring NaN."""
    return _median(input, dim, keepdim, True, _nanmedian_rt, "nanmedian")


def _mode_column(rows):
    """Per row: the smallest of the most frequent values, at its last occurrence (torch's index)."""
    m, n = rows.shape
    ordered = np.sort(rows, axis=1)
    starts = np.ones((m, n), bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run = np.cumsum(starts, axis=1) - 1  # the run each sorted element belongs to
    counts = np.zeros((m, n), np.int64)
    np.add.at(counts, (np.arange(m)[:, None], run), 1)
    best = np.argmax(counts, axis=1)  # the first longest run: the smallest such value
    value = ordered[np.arange(m), np.argmax(run == best[:, None], axis=1)]
    return n - 1 - np.argmax((rows == value[:, None])[:, ::-1], axis=1)


@op(out=True)
def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along ``dim`` (the smallest among equally
    frequent ones) and the index of its last occurrence."""
    return _select(input, dim, keepdim, _mode_column, _mode_rt, "mode")


# ---------------------------------------------------------------------------- logical and counting
def _logical(fn, input, dim, keepdim):
    x = input._data
    axes = None if dim is None else ops._dims(dim, input.ndim)
    out = fn(x, axis=axes, keepdims=keepdim and dim is not None)
    return Tensor._make(np.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))


@op(out=True)
def all(input, dim=None, keepdim=False):
    """True where every element (along ``dim``) is non-zero; uint8 input gives uint8, as torch."""
    return _logical(np.all, input, dim, keepdim)


@op(out=True)
def any(input, dim=None, keepdim=False):
    """True where some element (along ``dim``) is non-zero."""
    return _logical(np.any, input, dim, keepdim)


@op()
def count_nonzero(input, dim=None):
    """Number of non-zero elements (along ``dim``, an int or a tuple), as int64."""
    axes = None if dim is None else ops._dims(dim, input.ndim)
    return _long(np.count_nonzero(input._data, axis=axes))


@op()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), always sorted as torch's CPU kernel does;
    optionally the inverse indices and the counts."""
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(x.shape)
    else:
        d = _wrap_dim(dim, input.ndim)
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    out = (Tensor._make(values),)
    if return_inverse:
        out += (_long(inverse),)
    if return_counts:
        out += (_long(counts),)
    return out[0] if len(out) == 1 else out


@op()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapses runs of equal consecutive elements (or slices along ``dim``)."""
    x = input._data
    if dim is None:
        rows, shape = x.reshape(-1, 1), None
    else:
        d = _wrap_dim(dim, input.ndim)
        moved = np.moveaxis(x, d, 0)
        rows, shape = moved.reshape(moved.shape[0], -1), moved.shape
    n = rows.shape[0]
    start = np.ones(n, bool)
    if n:
        start[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    firsts = np.flatnonzero(start)
    if dim is None:
        values = x.reshape(-1)[firsts]
    else:
        values = np.moveaxis(np.moveaxis(x, d, 0)[firsts], 0, d)
    out = (Tensor._make(np.ascontiguousarray(values)),)
    if return_inverse:
        inverse = np.cumsum(start) - 1
        out += (_long(inverse.reshape(x.shape) if dim is None else inverse),)
    if return_counts:
        out += (_long(np.diff(np.append(firsts, n))),)
    return out[0] if len(out) == 1 else out


# ---------------------------------------------------------------------------- statistics
@op(method=False, out=True)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim`` with Bessel's ``correction`` (default 1)."""
    if isinstance(dim, bool):  # var_mean(x, unbiased)
        dim, unbiased = None, dim
    v = ops._var(input, dim, unbiased, keepdim, correction, "var_mean")
    m = ops.mean(input, dim=dim if dim is not None else None, keepdim=keepdim)
    return v, m


@op(method=False, out=True)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim`` with Bessel's ``correction`` (default 1)."""
    if isinstance(dim, bool):  # std_mean(x, unbiased)
        dim, unbiased = None, dim
    s = ops._std(input, dim, unbiased, keepdim, correction, "std_mean")
    return s, ops.mean(input, dim=dim, keepdim=keepdim)


@op(out=True)
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over all elements or along ``dim``."""
    if input.numel() == 0:
        if dim is None:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                               "no identity.")
        d = _wrap_dim(dim, input.ndim)
        if input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    dims = () if dim is None else dim
    return _aminmax_rt(ops.amin(input, dims, keepdim and dim is not None),
                       ops.amax(input, dims, keepdim and dim is not None))


@op()
def bincount(input, weights=None, minlength=0):
    """Counts of each value of a non-negative 1-D int tensor (sums of ``weights`` if given)."""
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iub":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _long(np.bincount(x, minlength=minlength))
    w = weights._data
    dt = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor._make(np.bincount(x, weights=w, minlength=minlength).astype(dt))


@op(out=True)
def histc(input, bins=100, min=0, max=0):
    """Histogram of ``bins`` equal-width bins between min and max (the data's range when equal);
    elements outside are ignored."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_torch_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {lo} max {hi}")
    counts, _ = np.histogram(x, bins=int(bins), range=(lo, hi))
    return Tensor._make(counts.astype(x.dtype))


@op()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along ``dim`` (logical xor for bool tensors)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    x = ops.cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi = ops.getitem(x, (slice(None),) * d + (slice(1, None),))
        lo = ops.getitem(x, (slice(None),) * d + (slice(0, m - 1),))
        x = ops.ne(hi, lo) if x.dtype is _dtype.bool_ else hi - lo
    return x


@op(method=False, aliases=("trapz",))
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoidal rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x``."""
    _not_for(y, ("bool",), "trapezoid: received a bool input for `y`, but bool is not supported", RuntimeError)
    d = _wrap_dim(dim, y.ndim)
    m = y.shape[d]
    if m == 0:
        return ops.sum(y, d)
    hi = ops.getitem(y, (slice(None),) * d + (slice(1, None),))
    lo = ops.getitem(y, (slice(None),) * d + (slice(0, m - 1),))
    if x is None:
        return ops.sum(hi + lo, d) * ((1.0 if dx is None else dx) / 2)
    spacing = diff(x, dim=-1 if x.ndim == 1 else d)
    if x.ndim == 1:
        spacing = ops.reshape(spacing, (-1,) + (1,) * (y.ndim - d - 1))
    return ops.sum((hi + lo) * spacing, d) / 2


def _quantile(input, q, dim, keepdim, interpolation, skip_nan, opname):
    if input.dtype.name not in ("float32", "float64"):
        raise RuntimeError(f"{opname}() input tensor must be either float or double dtype")
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, np.float64)
    if qs.ndim > 1:
        raise RuntimeError(f"{opname}() q must be a scalar or 1D tensor")
    if np.any((qs < 0) | (qs > 1)):
        raise RuntimeError(f"{opname}() q must be in the range [0, 1] but got {qs.tolist()}")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"{opname}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Found {interpolation}")
    if input.numel() == 0:
        raise RuntimeError(f"{opname}() input tensor must be non-empty")
    x = ops.reshape(input, -1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, input.ndim)
    rows = _move_last(sort(x, d).values, d) if x.ndim else ops.reshape(x, 1)  # NaN sort last
    nan = np.isnan(rows._data)
    count = (rows.shape[-1] - nan.sum(-1)) if skip_nan else np.full(rows.shape[:-1], rows.shape[-1])
    pos = qs.reshape((-1,) + (1,) * (rows.ndim - 1)) * (np.maximum(count, 1) - 1)  # (Q, *rows)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    if interpolation == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # half to even, as torch
    if not skip_nan:  # a slice holding NaN: its quantiles are its last sorted element, a NaN (as torch)
        last = np.broadcast_to(nan.any(-1), pos.shape)
        pos = np.where(last, rows.shape[-1] - 1, pos)
        lo, hi = np.where(last, rows.shape[-1] - 1, lo), np.where(last, rows.shape[-1] - 1, hi)
    table = ops.expand(ops.unsqueeze(rows, 0), (pos.shape[0],) + tuple(rows.shape))
    v_lo = ops.squeeze(_along(table, lo[..., None], table.ndim - 1), -1)
    v_hi = ops.squeeze(_along(table, hi[..., None], table.ndim - 1), -1)
    if interpolation in ("lower", "nearest"):
        out = v_lo
    elif interpolation == "higher":
        out = v_hi
    elif interpolation == "midpoint":
        out = (v_lo + v_hi) * 0.5
    else:
        out = v_lo + (v_hi - v_lo) * Tensor._make((pos - lo).astype(rows._data.dtype))
    if keepdim:
        out = ops.reshape(out, out.shape[:1] + ((1,) * input.ndim if dim is None else
                                                tuple(1 if i == d else n for i, n in enumerate(input.shape))))
    return ops.squeeze(out, 0) if qs.ndim == 0 else out


def _move_last(t, d):
    return t if d == t.ndim - 1 else ops.permute(t, [i for i in range(t.ndim) if i != d] + [d])


@op(out=True)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) over all elements or along ``dim``;
    a slice holding NaN gives NaN. With a tensor q the quantiles stack along a new first dim."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@op(out=True)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile() ignoring NaN (a slice of only NaN gives NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@op()
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns)."""
    _not_for(input, ("bool",), "cov(): bool dtype is not supported for input", RuntimeError)
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = ops.reshape(input, (1, -1)) if input.ndim < 2 else input
    if not x.dtype.is_floating_point:
        x = ops.to_dtype(x, _dtype.float32)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights._data.astype(np.float64)
    if aweights is not None:
        w = aweights._data.astype(np.float64) if w is None else w * aweights._data
    if w is None:
        mean = ops.mean(x, 1, keepdim=True)
        norm = n - correction
        centred = x - mean
        c = ops.matmul(centred, ops.transpose(centred, 0, 1)) / max(norm, 0)
    else:
        w_sum = w.sum()
        wt = Tensor._make(w.astype(x._data.dtype))
        mean = ops.sum(x * wt, 1, keepdim=True) / float(w_sum)
        norm = w_sum - (correction * (w * aweights._data).sum() / w_sum if aweights is not None else correction)
        centred = x - mean
        c = ops.matmul(centred * wt, ops.transpose(centred, 0, 1)) / max(float(norm), 0)
    # NOTE: one variable (a 1-D input or a single row) gives a 0-d result, as torch's squeeze does
    return ops.reshape(c, ()) if c.shape == (1, 1) else c


@op()
def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = ops.sqrt(_diagonal(c))
    return ops.clamp(c / ops.reshape(d, (-1, 1)) / ops.reshape(d, (1, -1)), -1, 1)


def _diagonal(matrix):
    n = matrix.shape[0]
    return ops.getitem(matrix, (_long(np.arange(n)), _long(np.arange(n))))


_histogram_rt = _rt("histogram", ("hist", "bin_edges"))


@op(out=True)
def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or weight sums, or a density) of ``input`` in ``bins`` equal bins
    over ``range`` (the data's range by default) or between the given edges."""
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the same dtype, but got "
                           f"input {_torch_name(input.dtype).lower()} and bins float")
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    hist, bin_edges = np.histogram(x.reshape(-1), bins=edges, range=range,
                                   weights=None if weight is None else weight._data.reshape(-1), density=density)
    return _histogram_rt(Tensor._make(hist.astype(x.dtype)), Tensor._make(bin_edges.astype(x.dtype)))


@op(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoidal integral along ``dim`` (one element shorter than y along it)."""
    d = _wrap_dim(dim, y.ndim)
    m = y.shape[d]
    hi = ops.getitem(y, (slice(None),) * d + (slice(1, None),))
    lo = ops.getitem(y, (slice(None),) * d + (slice(0, max(m - 1, 0)),))
    if x is None:
        return cumsum((hi + lo) * ((1.0 if dx is None else dx) / 2), d)
    spacing = diff(x, dim=-1 if x.ndim == 1 else d)
    if x.ndim == 1:
        spacing = ops.reshape(spacing, (-1,) + (1,) * (y.ndim - d - 1))
    return cumsum((hi + lo) * spacing / 2, d)


# ---------------------------------------------------------------------------- norms
@op()
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the vector p-norm over ``dim`` (all elements by default); ``p="fro"`` is the
    2-norm, ``p="nuc"`` the nuclear norm of matrices."""
    from mytorch import linalg
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc" or (isinstance(p, str) and dim is not None and len(dim) == 2):
        return linalg.matrix_norm(input, p, dim=(-2, -1) if dim is None else dim, keepdim=keepdim, dtype=dtype)
    if p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported p {p!r}")
    return linalg.vector_norm(input, p, dim, keepdim, dtype=dtype)


@op()
def dist(input, other, p=2):
    """The p-norm of ``input - other``."""
    from mytorch import linalg
    return linalg.vector_norm(ops.sub(input, other), p)


# ---------------------------------------------------------------------------- linear algebra at the top level
from mytorch import linalg  # noqa: E402  (importing it also makes mytorch.linalg available)

_svd_rt = _rt("svd", ("U", "S", "V"))


@op()
def svd(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with input = U diag(S) V^T (V, not linalg.svd's Vh); no gradient
    through U and V."""
    u, s, vh = linalg.svd(input, full_matrices=not some)
    if not compute_uv:  # torch returns zero-filled U and V then
        return _svd_rt(Tensor._make(np.zeros_like(u._data)), s, Tensor._make(np.zeros_like(vh._data)))
    return _svd_rt(u, s, ops.transpose(vh, -2, -1))


@op()
def det(input):
    """linalg.det."""
    return linalg.det(input)


@op()
def logdet(input):
    """log(det(input)) (NaN for a negative determinant, as torch)."""
    return ops.log(linalg.det(input))


@op()
def slogdet(input):
    """linalg.slogdet: (sign, log|det|)."""
    return linalg.slogdet(input)


@op()
def inverse(input):
    """linalg.inv."""
    return linalg.inv(input)


@op()
def matrix_power(input, n):
    """linalg.matrix_power."""
    return linalg.matrix_power(input, n)


@op(method=False)
def chain_matmul(*matrices):
    """linalg.multi_dot of the matrices (torch's deprecated spelling, with its warning)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    return linalg.multi_dot(matrices)


@op()
def pinverse(input, rcond=1e-15):
    """linalg.pinv (forward only)."""
    return linalg.pinv(input, rtol=rcond)
