"""Indexing and shape ops: gather, scatter, index_select, flip, roll, chunk, split, einsum, ...

Each public op is declared once with ``@op(...)`` (see mytorch._reduce.declare). Two primitives
live here: ``Put`` (write values into a zero tensor at an index: the adjoint of getitem, behind
scatter, index_add/copy/put, masked_scatter, diag_embed, block_diag) and ``Einsum`` (its gradient
is an einsum of the other operands). ``ScatterReduce`` carries prod/amax/amin/mean. Everything
else composes ops.py primitives: selections are one ``getitem`` or ``TakeAlong`` (gradients
accumulate at repeated indices), fills are ``where``, products are ``matmul`` or ``einsum``.
"""
import builtins
import inspect
import string

import numpy as np

from mytorch import _dtype, ops
from mytorch._reduce import _along, _long, apply_inplace, declare
from mytorch.autograd import Function
from mytorch.tensor import Size, Tensor, _wrap_dim

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)
op = declare(__all__, METHODS)


# ---------------------------------------------------------------------------- primitives
class Put(Function):
    """``zeros(shape)`` with ``src`` written at ``index`` (added there when ``accumulate``)."""

    def forward(self, src, index, shape, accumulate):
        out = np.zeros(shape, src.dtype)
        if accumulate:
            np.add.at(out, index, src)
        else:
            out[index] = src
        self.index = index
        return out

    def backward(self, g):
        return g[self.index]


def _einsum(equation, *arrays):
    # NOTE: numpy's contraction-path search (optimize=True) reaches BLAS (3.5x faster on an attention
    # product) but costs ~40 us, which dominates on small operands: it is used for big or many ones.
    big = len(arrays) > 2 or sum(a.size for a in arrays) > 4096
    return np.einsum(equation, *arrays, optimize=big)


class Einsum(Function):
    """np.einsum on explicit subscripts (no ellipsis, explicit output). Each operand's gradient
    reads the others: ``_einsum_node(n)`` gives the subclass whose ``saved`` says so for n operands."""

    def forward(self, *arrays, subs, out):
        self.arrays, self.subs, self.out = arrays, subs, out
        return _einsum(",".join(subs) + "->" + out, *arrays)

    def backward(self, g):
        grads = []
        for i, (a, s) in enumerate(zip(self.arrays, self.subs)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [j for j in range(len(self.arrays)) if j != i]
            letters = "".join(dict.fromkeys(s))
            available = set(self.out).union(*(self.subs[j] for j in others))
            target = "".join(c for c in letters if c in available)
            eq = ",".join([self.out] + [self.subs[j] for j in others]) + "->" + target
            grad = _einsum(eq, g, *[self.arrays[j] for j in others])
            size = {c: a.shape[s.index(c)] for c in letters}
            for k, c in enumerate(target):  # a size-1 subscript broadcast against n elsewhere: sum it back
                if size[c] == 1 and grad.shape[k] != 1:
                    grad = grad.sum(axis=k, keepdims=True)
            # letters summed inside operand i alone: its gradient is constant along them
            grad = np.broadcast_to(grad.reshape([size[c] if c in target else 1 for c in letters]),
                                   [size[c] for c in letters])
            if len(letters) != len(s):  # a repeated subscript (a diagonal): write onto it
                full = np.zeros(a.shape, g.dtype)
                pos = {c: k for k, c in enumerate(letters)}
                full[tuple(np.arange(size[c]).reshape([-1 if k == pos[c] else 1 for k in range(len(letters))])
                           for c in s)] = grad
                grad = full
            grads.append(grad)
        return tuple(grads)


_EINSUM_NODES = {}


def _einsum_node(n):
    if n not in _EINSUM_NODES:
        _EINSUM_NODES[n] = type("Einsum", (Einsum,), {"saved": tuple((i, None) for i in range(n))})
    return _EINSUM_NODES[n]


class ScatterReduce(Function):
    """``input`` with ``src`` reduced into it at ``index`` (a full index tuple) by prod, amax, amin
    or mean; ``include_self=False`` leaves the old values out of the written positions."""
    saved = ((0, None), (1, None))  # what backward reads, for the version check of in-place writes
    saves_output = True

    def forward(self, a, src, index, reduce, include_self):
        hit = np.zeros(a.shape, bool)
        hit[index] = True
        count = np.zeros(a.shape, np.int64)
        np.add.at(count, index, 1)
        identity = {"prod": 1, "mean": 0, "amax": -np.inf, "amin": np.inf, "sum": 0}[reduce]
        if a.dtype.kind in "iu" and reduce in ("amax", "amin"):
            identity = np.iinfo(a.dtype).min if reduce == "amax" else np.iinfo(a.dtype).max
        elif a.dtype.kind == "b" and reduce in ("amax", "amin"):
            identity = reduce == "amin"
        out = np.where(hit & (not include_self), np.asarray(identity).astype(a.dtype), a)
        ufunc = {"prod": np.multiply, "mean": np.add, "sum": np.add, "amax": np.maximum, "amin": np.minimum}[reduce]
        ufunc.at(out, index, src)
        if reduce == "mean":
            n = count + include_self
            out = np.where(hit, out / np.maximum(n, 1), out).astype(a.dtype) if a.dtype.kind == "f" else \
                np.where(hit, np.floor_divide(out, np.maximum(n, 1)), out).astype(a.dtype)
            count = n
        self.a, self.src, self.index, self.hit, self.out = a, src, index, hit, out
        self.reduce, self.self_in = reduce, hit & (not include_self)  # positions where a is left out
        self.count = count
        return out

    def backward(self, g):
        a, src, index, reduce, out = self.a, self.src, self.index, self.reduce, self.out
        left_out = self.self_in
        if reduce == "sum":
            ga, gs = g, g[index]
        elif reduce == "mean":
            scaled = np.where(self.hit, g / np.maximum(self.count, 1), g)
            ga, gs = scaled, scaled[index]
        elif reduce in ("amax", "amin"):
            # NOTE: ties share the gradient evenly, as torch's scatter_reduce does; like torch, an
            # input value equal to the result counts as a tie even with include_self=False (it then
            # takes no gradient itself).
            a_hit = a == out
            s_hit = src == out[index]
            ties = a_hit.astype(np.int64)
            np.add.at(ties, index, s_hit.astype(np.int64))
            share = g / np.maximum(ties, 1)
            ga, gs = share * a_hit, share[index] * s_hit
        else:  # prod: the product of the other factors, exact where some are zero
            zeros = np.where(left_out, 0, a == 0).astype(np.int64)
            np.add.at(zeros, index, (src == 0).astype(np.int64))
            nonzero = np.where(left_out | (a == 0), 1, a).astype(a.dtype)
            np.multiply.at(nonzero, index, np.where(src == 0, 1, src))

            def others(x, z, p):
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.where(z == 0, p / np.where(x == 0, 1, x), np.where((z == 1) & (x == 0), p, 0))
            ga = g * others(a, zeros, nonzero)
            gs = g[index] * others(src, zeros[index], nonzero[index])
        return np.where(left_out, 0, ga), gs


# ---------------------------------------------------------------------------- helpers
def _index_array(index, opname, allow_int32=True):
    arr = index._data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu" or (not allow_int32 and arr.dtype != np.int64):
        raise RuntimeError(f"{opname}(): Expected dtype int64 for index")
    return arr.astype(np.int64)  # a copy: backward must not see later writes to the index tensor


def _scatter_grid(input, dim, index, opname):
    """The full index tuple (one int array per axis) that scatter/gather address with ``index``
    (a 0-d index with a 1-D self counts as one element, as in torch)."""
    idx = _index_array(index, opname)
    if idx.ndim != input.ndim and not (idx.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as self tensor")
    d = _wrap_dim(dim, input.ndim)
    for k in range(idx.ndim):
        if k != d and idx.shape[k] > input.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be "
                               f"smaller than self {list(input.shape)} apart from dimension {d}")
    n = input.shape[d] if input.ndim else 1
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise RuntimeError(f"index {int(bad[0])} is out of bounds for dimension {d} with size {n}")
    if input.ndim == 0:
        return (), idx, d
    if idx.ndim == 0:  # torch reads a 0-d index of a 1-D self as one element
        idx = idx.reshape(1)
    grid = list(np.indices(idx.shape, sparse=True))
    grid[d] = idx
    return tuple(np.broadcast_to(x, idx.shape) for x in grid), idx, d


def _same_dtype(x, dt):
    return ops.to_dtype(x, dt) if x.dtype is not dt else x


_C_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _source(src, input, message):
    """A source tensor that must have input's dtype, as torch requires of scatter/index_*/masked_scatter."""
    if src.dtype is not input.dtype:
        raise RuntimeError(message.format(self=_C_NAMES[input.dtype.name], src=_C_NAMES[src.dtype.name]))
    return src


_SCATTER_DTYPE = "scatter(): Expected self.dtype to be equal to src.dtype"


def _scalar(value, dt):
    if isinstance(value, Tensor):
        return _same_dtype(value, dt)
    if isinstance(value, int) and dt._category == 1:
        return Tensor._make(_dtype.scalar_array(value, dt.np, wrap=False))  # torch's range check
    return Tensor._make(np.asarray(value).astype(dt.np))


def _mask(shape, index):
    mask = np.zeros(shape, bool)
    mask[index] = True
    return Tensor._make(mask)


def _slices(src, shape):
    """``src[:shape[0], :shape[1], ...]`` (scatter reads only the part of src that index covers);
    a 0-d src with a one-element 1-D index is that element."""
    if src.ndim == 0 and tuple(shape) == (1,):
        return ops.reshape(src, (1,))
    if tuple(src.shape) == tuple(shape):
        return src
    return ops.getitem(src, tuple(slice(0, n) for n in shape))


def _tensors(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tuple(tensors)


def _dim_index(ndim, dim, index):
    """(slice, ..., index at dim): one advanced index, which torch and NumPy both keep in place."""
    return (slice(None),) * dim + (index,)


# ---------------------------------------------------------------------------- gather / scatter
@op(out=True)
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (and likewise for other dims).

    Example::

        >>> mytorch.gather(mytorch.tensor([[1, 2], [3, 4]]), 1, mytorch.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    grid, idx, d = _scatter_grid(input, dim, index, "gather")
    out = _along(input, idx, d)
    return ops.reshape(out, ()) if input.ndim == 1 and np.ndim(_index_array(index, "gather")) == 0 else out


@op(inplace=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``input`` with ``src`` (a tensor, or a number ``value``) written at ``index`` along ``dim``;
    ``reduce='add'``/``'multiply'`` accumulates instead (torch's legacy form)."""
    if src is None:
        src = value
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        if not isinstance(src, Tensor):
            src = _scalar(src, input.dtype).expand(index.shape)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    grid, idx, d = _scatter_grid(input, dim, index, "scatter")
    if isinstance(src, Tensor):
        placed = Put.apply(_slices(_source(src, input, _SCATTER_DTYPE), idx.shape), index=grid,
                           shape=input.shape, accumulate=False)
    else:
        placed = _scalar(src, input.dtype)
    return ops.where(_mask(input.shape, grid), placed, input)


@op(inplace=True)
def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    grid, idx, d = _scatter_grid(input, dim, index, "scatter_add")
    src = _slices(_source(src, input, _SCATTER_DTYPE), idx.shape)
    return ops.add(input, Put.apply(src, index=grid, shape=input.shape, accumulate=True))


@op(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with ``src`` reduced in at ``index`` along ``dim`` by 'sum', 'prod', 'mean',
    'amax' or 'amin'; ``include_self=False`` leaves input's own values out of written places."""
    if reduce == "mean" and input.dtype is _dtype.bool_:
        raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch accepts these spellings too
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    grid, idx, d = _scatter_grid(input, dim, index, "scatter_reduce")
    src = _slices(_source(src, input, _SCATTER_DTYPE), idx.shape)
    return ScatterReduce.apply(input, src, index=grid, reduce=reduce, include_self=include_self)


@op(out=True)
def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (of the flattened input when dim is None);
    input and indices broadcast against each other except along dim."""
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        return take(input, indices.reshape(-1) if isinstance(indices, Tensor) else idx.reshape(-1))
    d = _wrap_dim(dim, input.ndim)
    shape_in = list(input.shape)
    shape_idx = list(idx.shape)
    shape_in[d] = shape_idx[d] = 1
    common = np.broadcast_shapes(tuple(shape_in), tuple(shape_idx))
    input = ops.expand(input, common[:d] + (input.shape[d],) + common[d + 1:])
    idx = np.broadcast_to(idx, common[:d] + (idx.shape[d],) + common[d + 1:])
    return _along(input, idx, d)


@op(out=True)
def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (the result has index's shape)."""
    idx = _index_array(index, "take")
    n = input.numel()
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor of {n} elements.")
    return ops.getitem(ops.reshape(input, -1), _long(idx))


@op(inplace=True)
def put(input, index, source, accumulate=False):
    """``input`` with the elements of ``source`` written (or added) at the flat positions ``index``."""
    idx = _index_array(index, "put").reshape(-1)
    n = input.numel()
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor of {n} elements.")
    src = ops.reshape(_source(source, input, "put_(): self ({self}) and source ({src}) must have the same "
                                                "scalar type"), -1)
    if src.shape[0] != idx.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {src.shape[0]}, index.numel() = {idx.size}")
    where = np.unravel_index(idx % max(n, 1), input.shape) if input.ndim else ()
    placed = Put.apply(src if input.ndim else ops.reshape(src, ()), index=where, shape=input.shape,
                       accumulate=accumulate)
    if accumulate:
        return ops.add(input, placed)
    return ops.where(_mask(input.shape, where), placed, input)


# ---------------------------------------------------------------------------- index_*
def _index_vector(index, opname, size=None, dim=0):
    """A 1-D index of slices along a dim of ``size`` (checked: torch refuses negative indices here)."""
    idx = _index_array(index, opname)
    if idx.ndim > 1:
        raise IndexError(f"{opname}(): Index is supposed to be a vector")
    bad = idx[(idx < 0) | (idx >= size)] if size is not None else idx[:0]
    if bad.size:
        if opname == "index_select":
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(bad.reshape(-1)[0])} axis_dim={size}")
        raise RuntimeError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {dim} with size {size}")
    return idx.reshape(-1)


@op(out=True)
def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the 1-D ``index``."""
    d = _wrap_dim(dim, input.ndim)
    idx = _index_vector(index, "index_select", input.shape[d] if input.ndim else 1, d)
    if input.ndim == 0:
        return ops.getitem(ops.reshape(input, 1), _long(idx)).reshape(()) if idx.size == 1 else input
    return ops.getitem(input, _dim_index(input.ndim, d, _long(idx)))


def _index_place(input, dim, index, source, accumulate, opname, dtype_message):
    d = _wrap_dim(dim, input.ndim)
    idx = _index_vector(index, opname, input.shape[d] if input.ndim else 1, d)
    where = _dim_index(input.ndim, d, idx)
    source = _source(source, input, dtype_message)
    expected = input._data[where].shape
    if tuple(source.shape) != expected:
        source = ops.expand(source, expected)
    return Put.apply(source, index=where, shape=input.shape, accumulate=accumulate), where


@op(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` added into the slices at ``index`` along ``dim``."""
    message = "index_add_(): self ({self}) and source ({src}) must have the same scalar type"
    _source(source, input, message)
    if alpha != 1:
        source = ops.mul(source, alpha)
    placed, _ = _index_place(input, dim, index, source, True, "index_add", message)
    return ops.add(input, placed)


@op(inplace=True)
def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by those of ``source``."""
    placed, where = _index_place(input, dim, index, source, False, "index_copy", "index_copy_(): self and source "
                                 "expected to have the same dtype, but got (self) {self} and (source) {src}")
    return ops.where(_mask(input.shape, where), placed, input)


@op(inplace=True)
def index_fill(input, dim, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    d = _wrap_dim(dim, input.ndim)
    idx = _index_vector(index, "index_fill", input.shape[d] if input.ndim else 1, d)
    where = _dim_index(input.ndim, d, idx) if input.ndim else ()
    return ops.where(_mask(input.shape, where), _scalar(value, input.dtype), input)


@op(inplace=True)
def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written (or added, ``accumulate=True``) at ``input[indices]``."""
    where = tuple(np.array(i._data) if isinstance(i, Tensor) else i for i in indices)  # copies, kept for backward
    values = _source(values if isinstance(values, Tensor) else _scalar(values, input.dtype), input,
                     "Index put requires the source and destination dtypes match, got {self} for the destination "
                     "and {src} for the source.")
    expected = input._data[where].shape
    if tuple(values.shape) != expected:
        values = ops.expand(values, expected)
    placed = Put.apply(values, index=where, shape=input.shape, accumulate=accumulate)
    if accumulate:
        return ops.add(input, placed)
    return ops.where(_mask(input.shape, where), placed, input)


@op(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """``input`` with the slices of ``source`` reduced into the slices at ``index`` along ``dim``
    by 'prod', 'mean', 'amax' or 'amin' (scatter_reduce with the index spread over each slice)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = _wrap_dim(dim, input.ndim)
    idx = _index_vector(index, "index_reduce", input.shape[d] if input.ndim else 1, d)
    spread = np.broadcast_to(idx.reshape((-1,) + (1,) * (source.ndim - d - 1)), source.shape)
    return scatter_reduce(input, d, _long(spread), source, reduce, include_self=include_self)


# ---------------------------------------------------------------------------- masks
def _bool_mask(mask, opname):
    if not isinstance(mask, Tensor) or mask.dtype is not _dtype.bool_:
        got = mask.dtype.name if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"{opname} only supports boolean masks, but got mask with dtype {got}")
    return mask


@op(inplace=True)
def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is True (mask broadcasts)."""
    _bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    return ops.where(mask, _scalar(value, input.dtype), input)


@op(out=True)
def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    _bool_mask(mask, "masked_select:")
    shape = np.broadcast_shapes(input.shape, mask.shape)
    if tuple(input.shape) != shape:
        input = ops.expand(input, shape)
    return ops.getitem(input, Tensor._make(np.broadcast_to(mask._data, shape)))


@op(inplace=True)
def masked_scatter(input, mask, source):
    """``input`` with the True positions of ``mask`` filled, in order, from ``source``."""
    _bool_mask(mask, "masked_scatter_")
    where = np.array(np.broadcast_to(mask._data, input.shape))  # a copy, kept for backward
    k = int(where.sum())
    if source.numel() < k:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    _source(source, input, "masked_scatter: expected self and source to have same dtypes but got {self} and {src}")
    src = ops.getitem(ops.reshape(source, -1), slice(0, k))
    placed = Put.apply(src, index=where, shape=input.shape, accumulate=False)
    return ops.where(Tensor._make(where), placed, input)


@op(method=False)
def where(condition, input=None, other=None):
    """where(condition, input, other) picks elementwise; where(condition) is nonzero(as_tuple=True)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return ops.where(condition, input, other)


@op(out=True)
def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
    x = input._data if input.ndim else input._data.reshape(1)
    found = np.nonzero(x)
    if as_tuple:
        return tuple(_long(i) for i in found)
    out = np.stack(found, axis=1) if input.ndim else np.zeros((len(found[0]), 0), np.int64)
    return _long(out)


@op()
def argwhere(input):
    """nonzero(input): the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


@op(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` is in ``test_elements``."""
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._make(np.isin(e, t, invert=invert))


@op(method=False, out=True)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted into the innermost dim of ``sorted_sequence``."""
    seq = sorted_sequence._data
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    how = "right" if right else "left"
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    if seq.ndim <= 1:
        out = np.searchsorted(seq, x, side=how)
    else:
        if seq.shape[:-1] != x.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match")
        rows, vals = seq.reshape(-1, seq.shape[-1]), x.reshape(-1, x.shape[-1])
        out = np.stack([np.searchsorted(r, v, side=how) for r, v in zip(rows, vals)]).reshape(x.shape)
    return Tensor._make(np.asarray(out, np.int32 if out_int32 else np.int64))


@op(method=False, out=True)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each element, the index of its bucket among the 1-D sorted ``boundaries``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    out = np.searchsorted(boundaries._data, x, side="right" if right else "left")
    return Tensor._make(np.asarray(out, np.int32 if out_int32 else np.int64))


# ---------------------------------------------------------------------------- split and join
@op()
def narrow(input, dim, start, length):
    """The slice ``start:start+length`` of ``input`` along ``dim`` (a view)."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return ops.getitem(input, _dim_index(input.ndim, d, slice(start, start + length)))


@op()
def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return ops.getitem(input, _dim_index(input.ndim, d, int(index)))


def _pieces(input, d, bounds):
    return tuple(ops.getitem(input, _dim_index(input.ndim, d, slice(a, b))) for a, b in zip(bounds[:-1], bounds[1:]))


@op()
def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    d = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    else:
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size and n else [0]
    return _pieces(tensor, d, np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist())


@op()
def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces of equal size ceil(n / chunks) along ``dim``."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input.shape[_wrap_dim(dim, input.ndim)]
    if n == 0:  # torch: `chunks` empty pieces
        return tuple(narrow(input, dim, 0, 0) for _ in range(chunks))
    return split(input, -(-n // chunks), dim)


@op()
def tensor_split(input, indices_or_sections, dim=0):
    """``sections`` nearly equal pieces (the first n % sections one longer), or pieces cut at
    the listed indices, along ``dim``."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    arg = indices_or_sections
    if isinstance(arg, Tensor):
        arg = arg.item() if arg.ndim == 0 else arg.tolist()
    if isinstance(arg, (list, tuple)):
        cuts = [builtins.min(builtins.max(int(i) if i >= 0 else n + int(i), 0), n) for i in arg]
        bounds = [0] + cuts + [n]
        bounds = [bounds[0]] + [builtins.max(b, a) for a, b in zip(bounds[:-1], bounds[1:])]
    else:
        k = int(arg)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
    return _pieces(input, d, bounds)


def _splitter(axis, at_least):
    def split_fn(input, indices_or_sections):
        if input.ndim < at_least:
            raise RuntimeError(f"torch.{split_fn.__name__} requires a tensor with at least {at_least} dimension, "
                               f"but got a tensor with {input.ndim} dimensions!")
        size = input.shape[axis if input.ndim > 1 else 0]
        if not isinstance(indices_or_sections, (list, tuple)) and size % int(indices_or_sections):
            raise RuntimeError(f"torch.{split_fn.__name__} attempted to split along dimension {axis}, but the size "
                               f"of the dimension {size} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return tensor_split(input, indices_or_sections, axis if input.ndim > 1 or axis != 1 else 0)
    return split_fn


hsplit, vsplit, dsplit = _splitter(1, 1), _splitter(0, 2), _splitter(2, 3)
hsplit.__name__, vsplit.__name__, dsplit.__name__ = "hsplit", "vsplit", "dsplit"
for _fn in (hsplit, vsplit, dsplit):
    op()(_fn)


@op()
def unbind(input, dim=0):
    """The slices along ``dim``, each without that dim."""
    d = _wrap_dim(dim, input.ndim)
    return tuple(ops.getitem(input, _dim_index(input.ndim, d, i)) for i in range(input.shape[d]))


def _atleast(ndim, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    out = tuple(_pad_dims(t, ndim) for t in _tensors(tensors))
    return out[0] if single else out


def _pad_dims(t, ndim):
    if t.ndim >= ndim:
        return t
    if ndim == 3 and t.ndim == 1:
        return ops.reshape(t, (1, t.shape[0], 1))
    if ndim == 3 and t.ndim == 2:
        return ops.reshape(t, tuple(t.shape) + (1,))
    return ops.reshape(t, (1,) * (ndim - t.ndim) + tuple(t.shape))


@op(method=False)
def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (a 0-d tensor becomes shape (1,))."""
    return _atleast(1, tensors)


@op(method=False)
def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions (leading 1s added)."""
    return _atleast(2, tensors)


@op(method=False)
def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(3, tensors)


@op(method=False, out=True)
def hstack(tensors):
    """cat along dim 1 (dim 0 for 1-D tensors)."""
    ts = [atleast_1d(t) for t in tensors]
    return ops.cat(ts, 0 if ts[0].ndim == 1 else 1)


@op(method=False, out=True, aliases=("row_stack",))
def vstack(tensors):
    """cat of the tensors made at least 2-D, along dim 0."""
    return ops.cat([atleast_2d(t) for t in tensors], 0)


@op(method=False, out=True)
def dstack(tensors):
    """cat of the tensors made at least 3-D, along dim 2."""
    return ops.cat([atleast_3d(t) for t in tensors], 2)


@op(method=False, out=True)
def column_stack(tensors):
    """0-d and 1-D tensors as columns, then cat along dim 1."""
    return ops.cat([ops.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


# ---------------------------------------------------------------------------- reorder
def _dim_list(dims, args):
    if args:
        dims = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    if dims is None:
        raise TypeError("flip() missing required argument 'dims'")
    return (dims,) if isinstance(dims, int) else tuple(dims)


@op()
def flip(input, *args, dims=None):
    """``input`` reversed along each of ``dims`` (a copy, as torch's)."""
    listed = [_wrap_dim(d, input.ndim) for d in _dim_list(dims, args)]
    axes = set(listed)
    if len(axes) != len(listed):
        raise RuntimeError(f"dims has duplicates, original flip dims size={len(listed)}, but unique flip dims "
                           f"size={len(axes)}")
    if not axes or input.ndim == 0:
        return ops.clone(input)
    return ops.clone(ops.getitem(input, tuple(slice(None, None, -1) if i in axes else slice(None)
                                              for i in range(input.ndim))))


@op()
def fliplr(input):
    """flip along dim 1 (needs >= 2 dims)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@op()
def flipud(input):
    """flip along dim 0 (needs >= 1 dim)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


@op()
def roll(input, shifts, dims=None):
    """``input`` rotated by ``shifts`` along ``dims`` (of the flattened tensor when dims is None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return ops.reshape(roll(ops.reshape(input, -1), shifts, 0), input.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for s, dim in zip(shifts, dims):
        d = _wrap_dim(dim, input.ndim)
        n = input.shape[d]
        s = s % n if n else 0
        if s:
            out = ops.cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out if out is not input else ops.clone(input)


@op()
def rot90(input, k=1, dims=(0, 1)):
    """``input`` rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first towards the second."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return ops.transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(ops.transpose(input, d0, d1), d1)
    return ops.clone(input)


@op(aliases=("moveaxis",))
def movedim(input, source, destination):
    """``input`` with the dims at ``source`` moved to ``destination`` (the others keep their order)."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = [_wrap_dim(d, input.ndim) for d in src]
    dst = [_wrap_dim(d, input.ndim) for d in dst]
    order = [d for d in range(input.ndim) if d not in src]
    for s, t in sorted(zip(dst, src)):
        order.insert(s, t)
    return ops.permute(input, order) if input.ndim else input


@op()
def unflatten(input, dim, sizes):
    """``dim`` of ``input`` split into ``sizes`` (one may be -1)."""
    d = _wrap_dim(dim, input.ndim)
    sizes = list(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = n // known if known else 0
    if int(np.prod(sizes)) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return ops.reshape(input, input.shape[:d] + tuple(sizes) + input.shape[d + 1:])


@op()
def broadcast_to(input, size):
    """``input`` expanded to ``size`` (a view)."""
    return ops.expand(input, tuple(size))


@op(method=False)
def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape."""
    tensors = _tensors(tensors)
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if tuple(t.shape) == shape else ops.expand(t, shape) for t in tensors)


@op(method=False)
def broadcast_shapes(*shapes):
    """The shape tensors of the given shapes broadcast to."""
    try:
        return Size(np.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s) for s in shapes)))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}") from None


@op(method=False)
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors; ``indexing='ij'`` (default) or ``'xy'`` (first two swapped)."""
    tensors = _tensors(tensors)
    indexing = indexing or "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    flat = [ops.reshape(t, -1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    order = [1, 0] + list(range(2, len(flat))) if swap else list(range(len(flat)))
    shape = tuple(flat[i].shape[0] for i in order)
    out = []
    for k, t in enumerate(flat):
        pos = order.index(k)
        view = [1] * len(flat)
        view[pos] = t.shape[0]
        out.append(ops.expand(ops.reshape(t, view), shape))
    return tuple(out)


@op(method=False)
def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors, one per row."""
    tensors = _tensors(tensors)
    if len(tensors) == 1:
        return tensors[0]
    return ops.stack([ops.reshape(g, -1) for g in meshgrid(*tensors, indexing="ij")], 1)


@op()
def ravel(input):
    """The elements of ``input`` as a 1-D tensor."""
    return ops.reshape(input, -1)


@op(public=False)
def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of ``size`` elements, ``step`` apart, along ``dimension``; the
    windows replace that dim and their elements form a new last dim."""
    x = input if input.ndim else ops.reshape(input, 1)
    d = _wrap_dim(dimension, x.ndim)
    n = x.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    windows = (n - size) // step + 1
    index = np.arange(windows)[:, None] * step + np.arange(size)[None, :]
    out = ops.getitem(x, _dim_index(x.ndim, d, _long(index)))
    out = movedim(out, d + 1, -1)
    return ops.reshape(out, (size,)) if input.ndim == 0 else out


def _scatter_into(input, src, where, opname):
    src = _source(src, input, opname + "(): expected src to have dtype {self}, but got {src}")
    expected = input._data[where].shape
    if tuple(src.shape) != expected:
        raise RuntimeError(f"{opname}(): expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(expected)}")
    placed = Put.apply(src, index=where, shape=input.shape, accumulate=False)
    return ops.where(_mask(input.shape, where), placed, input)


@op()
def select_scatter(input, src, dim, index):
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    d = _wrap_dim(dim, input.ndim)
    return _scatter_into(input, src, _dim_index(input.ndim, d, int(index)), "select_scatter")


@op()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    d = _wrap_dim(dim, input.ndim)
    return _scatter_into(input, src, _dim_index(input.ndim, d, slice(start, end, step)), "slice_scatter")


@op()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``offset``-th diagonal over (dim1, dim2) replaced by ``src``."""
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    r, c = _diag_index(input.shape[d1], input.shape[d2], offset)
    where = [slice(None)] * input.ndim
    # NOTE: the diagonal is the last dim of src (as diagonal() returns it): index arrays placed at
    # d1 and d2 with the other dims broadcast in front give that layout.
    rest = [k for k in range(input.ndim) if k not in (d1, d2)]
    grids = np.indices([input.shape[k] for k in rest], sparse=True) if rest else []
    index = [None] * input.ndim
    for k, g in zip(rest, grids):
        index[k] = g[..., None]
    index[d1], index[d2] = r, c
    return _scatter_into(input, src, tuple(index), "diagonal_scatter")


@op(method=False)
def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-D tensor, one per row."""
    import itertools
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r)) if r > 0 else []
    index = np.array(rows, np.int64).reshape(-1, r) if rows else np.zeros((0,) if r == 0 else (0, r), np.int64)
    return ops.getitem(input, _long(index))


@op(method=False)
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D tensor: columns x^(N-1), ..., x^0 (reversed if ``increasing``)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if not x.dtype.is_floating_point:
        x = ops.to_dtype(x, _dtype.int64)
    column = ops.reshape(x, (-1, 1))
    ones = Tensor._make(np.ones((x.shape[0], 1), x._data.dtype))
    if n <= 1:
        out = ops.getitem(ones, (slice(None), slice(0, n)))
    else:  # cumprod: exact where x has zeros (a power's gradient at 0 is not)
        from mytorch._reduce import cumprod
        out = ops.cat([ones, cumprod(ops.expand(column, (x.shape[0], n - 1)), 1)], 1)
    return out if increasing else flip(out, 1)


@op()
def adjoint(input):
    """The last two dims swapped (the conjugate is the tensor itself for real dtypes)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return ops.transpose(input, -2, -1)


@op()
def narrow_copy(input, dim, start, length):
    """narrow(), as a new tensor."""
    return ops.clone(narrow(input, dim, start, length))


@op(method=False)
def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in a tensor of ``shape``: one int64 tensor per dim."""
    idx = _index_array(indices, "unravel_index")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape))
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise RuntimeError("unravel_index: index out of bounds for the given shape")
    return tuple(_long(c) for c in np.unravel_index(idx % max(n, 1), shape))


# ---------------------------------------------------------------------------- triangles and diagonals
def _triangle(input, diagonal, lower):
    if input.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2:]
    keep = np.tri(rows, cols, diagonal, dtype=bool) if lower else ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    return ops.where(Tensor._make(keep), input, _scalar(0, input.dtype))


@op(inplace=True, out=True)
def tril(input, diagonal=0):
    """``input`` with the elements above the ``diagonal``-th diagonal of its last two dims zeroed."""
    return _triangle(input, diagonal, True)


@op(inplace=True, out=True)
def triu(input, diagonal=0):
    """``input`` with the elements below the ``diagonal``-th diagonal of its last two dims zeroed."""
    return _triangle(input, diagonal, False)


def _tri_indices(row, col, offset, dtype, lower):
    if lower:
        r, c = np.tril_indices(row, offset, col)
    else:
        r, c = np.triu_indices(row, offset, col)
    from mytorch._dtype import to_numpy_dtype
    return Tensor._make(np.stack([r, c]).astype(to_numpy_dtype(dtype)))


@op(method=False)
def tril_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    """(2, N) row and column indices of the lower triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, dtype, True)


@op(method=False)
def triu_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    """(2, N) row and column indices of the upper triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, dtype, False)


def _diag_index(n_rows, n_cols, offset):
    """Row and column indices of the ``offset``-th diagonal of an n_rows x n_cols matrix."""
    length = min(n_rows, n_cols - offset) if offset >= 0 else min(n_rows + offset, n_cols)
    length = max(length, 0)
    i = np.arange(length)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


@op()
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal over ``dim1`` and ``dim2``, appended as the last dim (a view in torch)."""
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(input.ndim) if d not in (d1, d2)]
    moved = ops.permute(input, rest + [d1, d2])
    r, c = _diag_index(input.shape[d1], input.shape[d2], offset)
    return ops.getitem(moved, (Ellipsis, _long(r), _long(c)))


@op()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (over ``dim1``, ``dim2``) are the last dim of ``input``."""
    ndim = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + builtins.abs(offset)
    r, c = _diag_index(n, n, offset)
    out = Put.apply(input, index=(Ellipsis, r, c), shape=tuple(input.shape[:-1]) + (n, n), accumulate=False)
    rest = iter(range(ndim - 2))
    order = [ndim - 2 if d == d1 else ndim - 1 if d == d2 else next(rest) for d in range(ndim)]
    return ops.permute(out, order)


@op(out=True)
def diag(input, diagonal=0):
    """1-D input: a square matrix with it on the ``diagonal``-th diagonal; 2-D: that diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@op()
def diagflat(input, offset=0):
    """The flattened ``input`` on the ``offset``-th diagonal of a square matrix."""
    return diag_embed(ops.reshape(input, -1), offset)


@op()
def trace(input):
    """Sum of the main diagonal of a 2-D tensor (int64 for integer input)."""
    if input.dtype is _dtype.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return ops.sum(diagonal(input))


@op(public=False)
def fill_diagonal_(input, fill_value, wrap=False):
    """Writes ``fill_value`` on the main diagonal of ``input`` (all dims equal, or 2-D), in place."""
    if input.ndim < 2 or (input.ndim > 2 and len(set(input.shape)) != 1):
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(input.shape, bool)
    if input.ndim == 2:
        rows, cols = input.shape
        step = cols + 1
        flat = mask.reshape(-1)
        end = rows * cols if wrap or rows <= cols else cols * cols
        flat[:end:step] = True
    else:
        i = np.arange(input.shape[0])
        mask[(i,) * input.ndim] = True
    return apply_inplace(input, lambda x: ops.where(Tensor._make(mask), _scalar(fill_value, x.dtype), x),
                         name="fill_diagonal_")


@op(method=False)
def block_diag(*tensors):
    """The tensors (0-d, 1-D or 2-D) as blocks along the diagonal of one matrix."""
    blocks = [ops.reshape(t, (1, -1) if t.ndim < 2 else t.shape) if t.ndim != 2 else t for t in tensors]
    if not blocks:
        return Tensor._make(np.zeros((1, 0), np.float32))
    dt = ops.result_type(*blocks)
    shape = (builtins.sum(b.shape[0] for b in blocks), builtins.sum(b.shape[1] for b in blocks))
    out, r, c = None, 0, 0
    for b in blocks:
        where = (slice(r, r + b.shape[0]), slice(c, c + b.shape[1]))
        placed = Put.apply(_same_dtype(b, dt), index=where, shape=shape, accumulate=False)
        out = placed if out is None else ops.add(out, placed)
        r, c = r + b.shape[0], c + b.shape[1]
    return out


# ---------------------------------------------------------------------------- products
def _einsum_parse(equation, shapes):
    """Explicit subscripts: '...' replaced by letters (right-aligned), and the output spelled out."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError(f"einsum(): {'more' if len(shapes) > len(ins) else 'fewer'} operands were provided "
                           "than specified in the equation")
    free = iter(c for c in string.ascii_letters if c not in eq)
    n_ell = builtins.max([len(sh) - (len(s) - 3) for s, sh in zip(ins, shapes) if "..." in s], default=0)
    ell = "".join(next(free) for _ in range(n_ell))
    subs = []
    for s, sh in zip(ins, shapes):
        if "..." in s:
            k = len(sh) - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != len(sh):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({len(sh)}) for operand {len(subs)}"
                               + ("" if "..." in eq else " and no ellipsis was given"))
        subs.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return subs, out


@op(method=False)
def einsum(equation, *operands):
    """Einstein summation (``'ij,jk->ik'``, implicit output, ``...``); gradients are einsums of the other operands.

    Example::

        >>> a, b = mytorch.ones(2, 3), mytorch.ones(3, 4)
        >>> mytorch.einsum("ij,jk->ik", a, b).shape
        mytorch.Size([2, 4])
    """
    operands = _tensors(operands)
    subs, out = _einsum_parse(equation, [t.shape for t in operands])
    dt = operands[0].dtype
    for t in operands[1:]:
        if t.dtype is not dt:  # torch does not promote here
            raise RuntimeError(f"expected scalar type {_C_NAMES[dt.name]} but found {_C_NAMES[t.dtype.name]}")
    sizes = {}
    for k, (s, t) in enumerate(zip(subs, operands)):
        for c, n in zip(s, t.shape):
            if sizes.setdefault(c, n) != n and 1 not in (n, sizes[c]):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes: subscript '{c}' "
                                   f"has size {n} for operand {k}, which does not match the size {sizes[c]} "
                                   "seen before")
    if len(operands) > 1 and dt is _dtype.bool_:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")  # torch contracts with bmm
    if len(operands) == 1 and not dt.is_floating_point and set(subs[0]) - set(out):
        operands = (ops.to_dtype(operands[0], _dtype.int64),)  # a summing einsum of one operand is a sum
    return _einsum_node(len(operands)).apply(*operands, subs=subs, out=out)


@op(method=False)
def tensordot(a, b, dims=2, out=None):
    """Sum over the last ``dims`` dims of a and the first of b, or over the listed pairs of dims."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if isinstance(da, Tensor):
            da, db = da.tolist(), db.tolist()
    da = [_wrap_dim(d, a.ndim) for d in da]
    db = [_wrap_dim(d, b.ndim) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} "
                               f"and second has size {b.shape[y]} in dim {y}")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for x, y in zip(da, db):
        sb[y] = sa[x]
    keep = [c for i, c in enumerate(sa) if i not in da] + [c for i, c in enumerate(sb) if i not in db]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(keep)}", a, b)


@op(aliases=("ger",), out=True)
def outer(input, vec2):
    """The outer product of two 1-D tensors."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D")
    return ops.mul(ops.reshape(input, (-1, 1)), ops.reshape(vec2, (1, -1)))


@op(out=True)
def inner(input, other):
    """Sum of products over the last dims: shape input.shape[:-1] + other.shape[:-1]."""
    if input.ndim == 0 or other.ndim == 0:
        return ops.mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def _vector_pair(input, other, opname):
    if input.dtype is _dtype.bool_:
        raise NotImplementedError(f"\"{opname}\" not implemented for 'Bool'")
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{opname} : expected both vectors to have same dtype, but found "
                           f"{_C_NAMES[input.dtype.name]} and {_C_NAMES[other.dtype.name]}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] "
                           f"to have the same number of elements, but got {input.shape[0]} and {other.shape[0]} "
                           "elements respectively")


@op(out=True)
def dot(input, tensor):
    """Dot product of two 1-D tensors of the same dtype."""
    _vector_pair(input, tensor, "dot")
    return ops.matmul(input, tensor)


@op(out=True)
def vdot(input, other):
    """Dot product of two 1-D tensors (the first conjugated: the same for real tensors)."""
    _vector_pair(input, other, "vdot")
    return ops.matmul(input, other)


@op(out=True)
def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    if input.dtype is _dtype.bool_:
        raise NotImplementedError("\"addmv_impl_cpu\" not implemented for 'Bool'")
    return ops.matmul(input, vec)


@op(out=True)
def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if input.dtype is _dtype.bool_:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
                           f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return ops.matmul(input, mat2)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product; beta == 0 ignores input's values (NaN included), as torch."""
    if alpha != 1:
        product = ops.mul(product, alpha)
    if beta == 0:
        shape = np.broadcast_shapes(input.shape, product.shape)
        return product if tuple(product.shape) == shape else ops.expand(product, shape)
    return ops.add(input if beta == 1 else ops.mul(input, beta), product)


@op(inplace=True, out=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    return _scaled_sum(input, ops.mm(mat1, mat2), beta, alpha)


@op(inplace=True, out=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


@op(inplace=True, out=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


@op(inplace=True, out=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


@op(inplace=True, out=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum over the batch of bmm(batch1, batch2)."""
    return _scaled_sum(input, ops.sum(bmm(batch1, batch2), 0), beta, alpha)


@op(out=True)
def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype.name == "bool" or other.dtype.name == "bool":
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    shape = np.broadcast_shapes(input.shape, other.shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = _wrap_dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    a = unbind(ops.expand(input, shape) if tuple(input.shape) != shape else input, d)
    b = unbind(ops.expand(other, shape) if tuple(other.shape) != shape else other, d)
    return ops.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)


@op(out=True)
def kron(input, other):
    """Kronecker product: blocks ``input[i, j] * other``."""
    n = builtins.max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = ops.reshape(input, [x for s in sa for x in (s, 1)])
    b = ops.reshape(other, [x for s in sb for x in (1, s)])
    return ops.reshape(ops.mul(a, b), [x * y for x, y in zip(sa, sb)])


@op(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): shape (..., P, R)."""
    from mytorch import linalg
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_C_NAMES[x.dtype.name]}")
    if x1.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"cdist\" not implemented for '{_C_NAMES[x1.dtype.name]}'")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    diff = ops.sub(ops.unsqueeze(x1, -2), ops.unsqueeze(x2, -3))
    return linalg.vector_norm(diff, p, -1)


# ---------------------------------------------------------------------------- repetition
@op()
def tile(input, dims):
    """``input`` repeated ``dims`` times per dim (fewer dims than input: leading 1s assumed)."""
    dims = tuple(dims) if not isinstance(dims, int) else (dims,)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return ops.repeat(input, dims)


@op()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times; with one tensor argument,
    the indices 0..n-1 repeated by its values."""
    if repeats is None:  # repeat_interleave(repeats)
        counts = _index_array(input, "repeat_interleave")
        return _long(np.repeat(np.arange(counts.shape[0]), counts))
    if dim is None:
        input, d = ops.reshape(input, -1), 0
    else:
        d = _wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    reps = repeats._data.reshape(-1) if isinstance(repeats, Tensor) else np.asarray(repeats).reshape(-1)
    if reps.size not in (1, n):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{reps.size} and input.size({d}) = {n}")
    if reps.size and reps.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return index_select(input, d, _long(np.repeat(np.arange(n), np.broadcast_to(reps, (n,)))))


# ---------------------------------------------------------------------------- views and dtype
@op(method=False)
def clone(input, *, memory_format=None):
    """A copy of ``input`` that stays in the graph (``memory_format`` accepted; CPU layout is C order)."""
    return ops.clone(input)


def view(self, *shape):
    """``view(*shape)``: the same data in another shape; ``view(dtype)``: the same bytes read as
    another dtype (the last dim scales by the ratio of item sizes; no gradient)."""
    if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype) or shape[0] in (float, int, bool)):
        target = _dtype.to_numpy_dtype(shape[0])
        x = self._data
        if target.itemsize != x.itemsize and x.ndim and x.shape[-1] * x.itemsize % target.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by {target.itemsize // x.itemsize} to view "
                               f"{self.dtype} as {_dtype.from_numpy_dtype(target)} (different element sizes)")
        return ops._alias(Tensor._make(np.ascontiguousarray(x).view(target)), self)  # shares self's version
    return ops.reshape(self, *shape)


def reshape_as(self, other):
    """``self.reshape(other.shape)``."""
    return ops.reshape(self, other.shape)


def type_as(self, other):
    """``self`` cast to ``other``'s dtype."""
    return ops.to_dtype(self, other.dtype)


def _reshaping_inplace(fn):
    """``x.unsqueeze_(0)`` and friends: self takes the shape of ``fn(self, ...)`` (a view of its own
    memory). Inside a graph the new node becomes self's grad_fn, with the old self as its input."""
    def inplace(self, *args, **kwargs):
        if not (ops.grad_mode.enabled and self._requires_grad):
            self._data = fn(self.detach(), *args, **kwargs)._data
            return self
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        old = Tensor._make(self._data, True)
        old.grad_fn = self.grad_fn
        result = fn(old, *args, **kwargs)
        self._data, self.grad_fn = result._data, result.grad_fn
        return self
    inplace.__name__ = fn.__name__ + "_"
    inplace.__doc__ = f"In-place version of :meth:`{fn.__name__}` (changes self's shape)."
    inplace.__signature__ = inspect.signature(fn)
    return inplace


METHODS.update(view=view, reshape_as=reshape_as, type_as=type_as, clone=clone,
               moveaxis=movedim, swapdims=ops.transpose, swapaxes=ops.transpose)
METHODS.update({name: _reshaping_inplace(fn) for name, fn in (
    ("unsqueeze_", ops.unsqueeze), ("squeeze_", ops.squeeze), ("t_", ops.t), ("transpose_", ops.transpose),
    ("swapaxes_", ops.transpose), ("swapdims_", ops.transpose))})
__all__ += ["swapdims"]
swapdims = ops.transpose
