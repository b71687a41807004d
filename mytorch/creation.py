"""Tensor factories, with torch's dtype inference (Python floats become the default float32), the
random samplers (rand, randn, randint, normal, bernoulli, multinomial, poisson) with torch's
overloads and ``generator=``, the ``*_like`` and ``new_*`` families, and the legacy typed
constructors (FloatTensor, LongTensor, ...).
"""
import builtins
import functools
import inspect
import math
import numbers
import warnings

import numpy as np

from mytorch import _dtype
from mytorch._dtype import to_numpy_dtype
from mytorch.autograd import Function
from mytorch.device import device as _device
from mytorch.random import rng
from mytorch.tensor import Size, Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "empty_strided", "arange",
           "linspace", "logspace", "eye", "scalar_tensor", "randn", "rand", "randint", "randperm", "normal",
           "bernoulli", "multinomial", "poisson", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand_like", "randn_like", "randint_like", "heaviside",
           "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor", "range", "set_default_tensor_type", "preserve_format", "contiguous_format", "channels_last", "strided"]
METHODS = {}  # Tensor methods declared here: new_ones, new_zeros, new_full, new_empty, bernoulli, ...


class _Token:
    """torch's memory_format / layout constants: accepted and ignored (CPU tensors are C-ordered)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"mytorch.{self.name}"


preserve_format, contiguous_format, channels_last = (_Token(n) for n in
                                                     ("preserve_format", "contiguous_format", "channels_last"))
strided = _Token("strided")


# ---------------------------------------------------------------------------- helpers
def _finish(array, requires_grad, dev=None, out=None):
    if dev is not None:
        _device(dev)
    if out is not None:  # torch resizes out to the result's shape, then writes into it
        if out._data.shape != array.shape:
            out._data = np.empty(array.shape, out._data.dtype)
        np.copyto(out._data, array, casting="unsafe")
        return out
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data, dtype):
    """An ndarray from data: NumPy input keeps its dtype, Python floats become the default dtype.

    NOTE: with ``dtype`` given, Python floats go to it straight from float64 (never rounded through
    float32 first), so ``tensor(72.68, dtype=float64).item() == 72.68`` as in torch.
    """
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        inferred = _sequence_dtype(data) if dtype is None and isinstance(data, (list, tuple)) else None
        if isinstance(data, (list, tuple)) and builtins.any(isinstance(x, Tensor) for x in data):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        array = np.asarray(data)
        if array.dtype == object and _numbers(data) and inferred is not None and inferred.is_floating_point:
            array = np.asarray(data, dtype=np.float64)  # a huge int among floats: torch converts it too
        elif array.dtype == np.uint64 or (array.dtype == object and _numbers(data)):
            raise ValueError("Overflow when unpacking long long")  # a Python int beyond int64
        if array.dtype == object:
            raise TypeError(f"could not infer a dtype for {type(data).__name__} data; expected numbers, "
                            "nested lists of numbers, an ndarray or a Tensor")
        if inferred is not None:
            array = array.astype(inferred.np, copy=False)
        elif array.dtype == np.float64 and dtype is None:
            array = array.astype(_dtype.get_default_dtype().np)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64, copy=False)
        if dtype is not None:
            _check_fits(array, to_numpy_dtype(dtype))
    if dtype is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # to inf in a narrower float, silently as torch
            array = array.astype(to_numpy_dtype(dtype), copy=False)
    _dtype.from_numpy_dtype(array.dtype)  # rejects dtypes mytorch has no name for
    return array


def _numbers(data):
    try:
        np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t"}


def _check_fits(values, target, type_name=None):
    """torch refuses Python numbers an integer dtype cannot hold (NaN included); an unsigned dtype
    takes negatives down to -max, wrapping them as two's complement."""
    if target.kind not in "iu" or values.dtype.kind not in "iuf" or not values.size:
        return
    info = np.iinfo(target)
    # NOTE: an int wraps into an unsigned dtype from -max (two's complement); a float does not
    low = -int(info.max) if target.kind == "u" and values.dtype.kind != "f" else int(info.min)
    if (values.dtype.kind == "f" and np.isnan(values).any()) or (values > info.max).any() or (values < low).any():
        raise RuntimeError(f"value cannot be converted to type {type_name or target.name} without overflow")


def _sequence_dtype(data):
    """torch's dtype for nested lists: each element's own type counts (Python floats the default
    dtype, ints int64, bools bool; a NumPy scalar or array, or a Tensor, its dtype), promoted as
    torch promotes. None where an element is of another kind (NumPy then decides or refuses)."""
    found, stack = set(), [data]
    while stack:
        for x in stack.pop():
            kind = type(x)
            if kind is float:
                found.add(_dtype.get_default_dtype())
            elif kind is int:
                found.add(_dtype.int64)
            elif kind is bool:
                found.add(_dtype.bool_)
            elif kind is list or kind is tuple:
                stack.append(x)
            elif isinstance(x, Tensor):
                found.add(x.dtype)
            elif isinstance(x, (np.ndarray, np.generic)) and x.dtype in _dtype._BY_NUMPY:
                found.add(_dtype._BY_NUMPY[x.dtype])
            else:
                return None
    return _dtype._promote(found) if found else None


def _size(size, kwsize=None):
    """A shape from varargs sizes, one tuple/list/Size, or the ``size=`` keyword."""
    if kwsize is not None:
        if size:
            raise TypeError("size given both positionally and as size=")
        size = (kwsize,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if builtins.any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(size)}: {list(size)}")
    return size


def _np_dtype(dtype):
    return to_numpy_dtype(dtype) if dtype is not None else np.dtype(_dtype.get_default_dtype().np)


def _float_dtype(dtype, opname):
    dt = _np_dtype(dtype)
    if dt.kind != "f":
        raise NotImplementedError(f"\"{opname}\" not implemented for '{_torch_name(dt)}'")
    return dt


def _torch_name(np_dtype):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)


# ---------------------------------------------------------------------------- from data
def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an ndarray or a Tensor).

    Args:
        data: the values.
        dtype: the result's dtype. Default: inferred (Python floats -> float32, ints -> int64,
            an ndarray keeps its own dtype).
        requires_grad: whether autograd records operations on it. Default: ``False``.

    Example::

        >>> mytorch.tensor([[1, 2], [3, 4]]).dtype
        mytorch.int64
    """
    return _finish(np.array(_infer(data, dtype), copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with ``data`` when it already is a suitable ndarray or Tensor."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _finish(_infer(data, dtype), False, device)


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (writes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, **_):
    """A 0-d tensor holding ``s`` (float32 by default, whatever the type of s)."""
    return _finish(np.asarray(s, dtype=_np_dtype(dtype)), requires_grad, device)


# ---------------------------------------------------------------------------- filled
def _filled(fill):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
                memory_format=None, **kwargs):
        shape = _size(size, kwargs.pop("size", None))
        if kwargs:
            raise TypeError(f"{factory.__name__}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if dtype is None and out is not None:
            dtype = out.dtype
        return _finish(fill(shape, _np_dtype(dtype)), requires_grad, device, out)
    return factory


zeros = _filled(np.zeros)
ones = _filled(np.ones)
empty = _filled(np.zeros)  # NOTE: zeros, not np.empty: uninitialised memory makes runs irreproducible
zeros.__name__, ones.__name__, empty.__name__ = "zeros", "ones", "empty"
zeros.__doc__ = "zeros(*size, *, out=None, dtype=None, requires_grad=False): a tensor of zeros."
ones.__doc__ = "ones(*size, *, out=None, dtype=None, requires_grad=False): a tensor of ones."
empty.__doc__ = "empty(*size, ...): an 'uninitialised' tensor (zero-filled here)."


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """empty(size): strides are accepted and ignored (NumPy lays the tensor out in C order)."""
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value (bool, int64,
    or the default float) unless given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = out.dtype if out is not None else _dtype._scalar_dtype(fill_value)
    target = to_numpy_dtype(dtype)
    value = np.asarray(fill_value)
    _check_fits(value, target, _C_TYPES.get(target.name))
    with np.errstate(over="ignore", invalid="ignore"):
        value = value.astype(target)
    return _finish(np.full(_size((size,)), value, target), requires_grad, device, out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An n x m (default n x n) matrix with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device, out)


def heaviside(input, values, *, out=None):
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0."""
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes")
    return _finish(np.heaviside(x, v).astype(x.dtype), False, None, out)


# ---------------------------------------------------------------------------- ranges
def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 when every argument is an
    integer, else the default float dtype."""
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is not None and to_numpy_dtype(dtype).kind in "iub":
        start, end, step = int(start), int(end), int(step)  # torch truncates the bounds and the step first
        if step == 0:
            raise ValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        whole = builtins.all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if whole else _dtype.float32
    n = builtins.max(math.ceil((end - start) / step), 0)
    values = start + np.arange(n, dtype=np.float64 if to_numpy_dtype(dtype).kind == "f" else np.int64) * step
    return _finish(values.astype(to_numpy_dtype(dtype)), requires_grad, device, out)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):
    """Deprecated ``torch.range``: values from ``start`` to ``end`` INCLUDED by ``step``, in the
    default float dtype unless ``dtype`` is given (torch warns the same way; use :func:`arange`)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dtype = _dtype.get_default_dtype() if dtype is None else dtype
    n = int(math.floor((end - start) / step)) + 1
    values = start + np.arange(n, dtype=np.float64) * step
    return _finish(values.astype(to_numpy_dtype(dtype)), requires_grad, device, out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    values = np.linspace(start, end, int(steps))
    return _finish(values.astype(_np_dtype(dtype)), requires_grad, device, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    values = np.power(float(base), np.linspace(_number(start), _number(end), int(steps)))
    return _finish(values.astype(_np_dtype(dtype)), requires_grad, device, out)


# ---------------------------------------------------------------------------- random
class _Sampled(Function):
    """A sample whose distribution's parameters require grad: torch puts it in the graph with a
    zero gradient for each parameter (the reparameterised form is mean + std * randn_like)."""

    def forward(self, *params, value):
        self.shapes = [p.shape for p in params]
        return value

    def backward(self, g):
        return tuple(np.zeros(shape, g.dtype) for shape in self.shapes)


# torch's node names: normal(Tensor, float), normal(float, Tensor), normal(Tensor, Tensor), ...
_SAMPLED = {k: type("Sampled", (_Sampled,), {"_torch_name": f"NormalBackward{k}"}) for k in (1, 2, 3)}
_SAMPLED.update({k: type("Sampled", (_Sampled,), {"_torch_name": f"{k}Backward0"}) for k in ("Bernoulli", "Poisson")})


def _draw(sampler, shape, dt):
    """NumPy draws float32 and float64 directly (half the passes of drawing float64 and casting)."""
    if dt in (np.float32, np.float64):
        return sampler(shape, dtype=dt)
    return sampler(shape).astype(dt)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kwargs):
    """Uniform samples on [0, 1): ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype, "check_uniform_bounds")
    shape = _size(size, kwargs.pop("size", None))
    return _finish(_draw(rng(generator).random, shape, dt), requires_grad, device, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kwargs):
    """Standard normal samples: ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``."""
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype, "normal_kernel_cpu")
    shape = _size(size, kwargs.pop("size", None))
    return _finish(_draw(rng(generator).standard_normal, shape, dt), requires_grad, device, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """Integers in [low, high): ``randint(high, size)``, ``randint(low, high, size)``, or with
    ``size=`` as a keyword. int64 unless ``dtype`` is given."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint() received an invalid combination of arguments: missing 'size' "
                        "(randint(high, size) or randint(low, high, size))")
    low, high = int(_number(low)), int(_number(high))
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = rng(generator).integers(low, high, _size((size,)), dtype=np.int64)
    dt = dtype if dtype is not None else (out.dtype if out is not None else _dtype.int64)
    return _finish(array.astype(to_numpy_dtype(dt)), requires_grad, device, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    return _finish(rng(generator).permutation(int(n)).astype(to_numpy_dtype(dtype or _dtype.int64)),
                   requires_grad, device, out)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Normal samples, torch's four overloads: normal(mean_tensor, std_tensor),
    normal(mean_tensor, std=1.0), normal(mean, std_tensor), normal(mean, std, size).

    Example::

        >>> mytorch.normal(2.0, 3.0, size=(1, 4)).shape
        mytorch.Size([1, 4])
    """
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if tensors:
        if size is not None:
            raise TypeError("normal(): size is only accepted when mean and std are both numbers")
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if np.any(np.asarray(s) < 0):
            raise RuntimeError(f"normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = np.result_type(*(t._data.dtype for t in tensors))
        if dt.kind != "f":
            raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{_torch_name(dt)}'")
        array = (m + s * rng(generator).standard_normal(shape)).astype(dt)
        if out is None and any(t._requires_grad for t in tensors):
            overload = 3 if len(tensors) == 2 else 1 if isinstance(mean, Tensor) else 2
            return _SAMPLED[overload].apply(*tensors, value=array)  # in the graph, zero gradients (torch)
        return _finish(array, False, None, out)
    if size is None:
        if out is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), "
                            "but expected (float mean, float std, tuple of ints size)")
        size = out.shape
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype, "normal_kernel_cpu")
    array = (mean + std * rng(generator).standard_normal(_size((size,)))).astype(dt)
    return _finish(array, requires_grad, device, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probability ``input`` (or the number ``p``), in input's dtype."""
    prob = input._data if p is None else np.full(input.shape, p)
    if np.any((prob < 0) | (prob > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    array = (rng(generator).random(input.shape) < prob).astype(input._data.dtype)
    if out is None and p is None and input._requires_grad:
        return _SAMPLED["Bernoulli"].apply(input, value=array)
    return _finish(array, False, None, out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices sampled from the rows of ``input`` (non-negative weights, 1-D or 2-D), with or
    without replacement."""
    w = input._data
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if w.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = rng(generator)
    if replacement:
        cdf = np.cumsum(rows, 1)
        u = gen.random((rows.shape[0], num_samples)) * cdf[:, -1:]
        picks = np.stack([np.searchsorted(c, x, side="right") for c, x in zip(cdf, u)])
        picks = np.minimum(picks, rows.shape[1] - 1)
    else:
        if np.any((rows > 0).sum(1) < num_samples):
            raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough "
                               "non-negative category to sample)")
        # Gumbel top-k: the k largest log(w) + Gumbel noise are a sample without replacement.
        with np.errstate(divide="ignore"):
            keys = np.log(rows) - np.log(-np.log(gen.random(rows.shape)))
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return _finish(picks.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64), False, None, out)


def poisson(input, generator=None):
    """Poisson samples with rates ``input``, in input's dtype."""
    if np.any(input._data < 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    array = rng(generator).poisson(input._data).astype(input._data.dtype)
    return _SAMPLED["Poisson"].apply(input, value=array) if input._requires_grad else Tensor._make(array)


# ---------------------------------------------------------------------------- *_like and new_*
def _like(factory, name):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
             generator=None, pin_memory=False):
        kwargs = {"generator": generator} if generator is not None else {}
        return factory(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad,
                       **kwargs)
    like.__name__ = name
    like.__doc__ = f"{factory.__name__}() with input's shape (and dtype, unless ``dtype`` is given)."
    return like


zeros_like = _like(zeros, "zeros_like")
ones_like = _like(ones, "ones_like")
empty_like = _like(empty, "empty_like")
rand_like = _like(rand, "rand_like")
randn_like = _like(randn, "randn_like")


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """full() with input's shape and dtype."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """randint() with input's shape and dtype: ``randint_like(x, high)`` or ``(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device,
                   requires_grad=requires_grad, generator=generator)


def _new(factory, name):
    def new(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kwargs):
        return factory(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad, **kwargs)
    new.__name__ = name
    new.__doc__ = f"{factory.__name__}(*size) with self's dtype (unless ``dtype`` is given)."
    return new


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """full(size, fill_value) with self's dtype (unless ``dtype`` is given)."""
    return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _bernoulli_(self, p=0.5, *, generator=None):
    """Fills self with 0/1 samples of probability ``p`` (a number or a tensor)."""
    prob = p._data if isinstance(p, Tensor) else p
    return _fill(self, (rng(generator).random(self.shape) < prob).astype(self._data.dtype))


def _fill(self, array):
    """Writes samples into self (a version bump, as any in-place write)."""
    from mytorch import ops
    if self._requires_grad and ops.grad_mode.enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation."
                           if self.grad_fn is None else "in-place sampling of a tensor that is part of a graph "
                           "is not supported; sample into a fresh tensor")
    ops._write(self, array, cast_ok=True)
    return self


def _sampler_(draw, doc):
    def sample_(self, *args, generator=None, **kwargs):
        return _fill(self, draw(rng(generator), self.shape, *args, **kwargs).astype(self._data.dtype))
    sample_.__doc__ = doc
    return sample_


def _random_draw(gen, shape, low=0, high=None, *, to=None):
    if to is not None:
        high = to
    if high is None:
        low, high = 0, low if low else 2 ** 31
    return gen.integers(low, high, shape)


METHODS.update(
    new_zeros=_new(zeros, "new_zeros"), new_ones=_new(ones, "new_ones"), new_empty=_new(empty, "new_empty"),
    new_full=new_full, heaviside=heaviside, bernoulli=_bernoulli_method, bernoulli_=_bernoulli_,
    multinomial=multinomial,
    uniform_=_sampler_(lambda g, s, a=0.0, b=1.0: g.uniform(a, b, s), "Fills self with U(from, to) samples."),
    normal_=_sampler_(lambda g, s, mean=0.0, std=1.0: g.normal(mean, std, s), "Fills self with N(mean, std) samples."),
    exponential_=_sampler_(lambda g, s, lambd=1.0: g.exponential(1 / lambd, s), "Fills self with Exp(lambd) samples."),
    geometric_=_sampler_(lambda g, s, p: g.geometric(p, s), "Fills self with Geometric(p) samples."),
    log_normal_=_sampler_(lambda g, s, mean=1.0, std=2.0: g.lognormal(mean, std, s),
                          "Fills self with log-normal samples."),
    cauchy_=_sampler_(lambda g, s, median=0.0, sigma=1.0: median + sigma * g.standard_cauchy(s),
                      "Fills self with Cauchy samples."),
    random_=_sampler_(_random_draw, "Fills self with integers in [from, to)."),
)


# ---------------------------------------------------------------------------- legacy typed constructors
class _LegacyType(type):
    """``isinstance(t, FloatTensor)`` is true for a float32 Tensor, as in torch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'mytorch.{cls.__name__}'>"


def _legacy(name, dt):
    def __new__(cls, *args, device=None):
        if not args:
            return zeros(0, dtype=dt)
        if builtins.all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args) or \
                (len(args) == 1 and isinstance(args[0], Size)):
            return empty(*args, dtype=dt)  # FloatTensor(2, 3): a tensor of that size
        if len(args) != 1:
            raise TypeError(f"{name}() takes sizes or one sequence of data, got {len(args)} arguments")
        return tensor(args[0], dtype=dt)  # FloatTensor([1, 2]): the data
    return _LegacyType(name, (), {"__new__": __new__, "dtype": dt, "is_sparse": False,
                                  "__doc__": f"Legacy constructor: a {dt.name} tensor from sizes or data."})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
BoolTensor = _legacy("BoolTensor", _dtype.bool_)


def set_default_tensor_type(t):
    """Deprecated ``torch.set_default_tensor_type``: the default dtype from a legacy type or its name
    (``torch.DoubleTensor``, ``'torch.FloatTensor'``); only floating types, as in torch."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        name = t.split(".")[-1]
        legacy = globals().get(name)
        if not isinstance(legacy, _LegacyType) or t not in (f"torch.{name}", f"mytorch.{name}", name):
            raise TypeError(f"invalid type: '{t}'")
        t = legacy
    if not isinstance(t, _LegacyType):
        raise TypeError(f"invalid type: {t!r}; expected a tensor type such as torch.FloatTensor")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)


def _bfloat16_aware(fn):
    """``fn(..., dtype=mytorch.bfloat16)``: made in float32, then cast (rounded and marked), since
    NumPy has no bfloat16 storage (see Tensor.bfloat16)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs.get("dtype") is _dtype.bfloat16:
            kwargs["dtype"] = _dtype.float32
            requires_grad = kwargs.pop("requires_grad", False)
            out = fn(*args, **kwargs).bfloat16()
            return out.requires_grad_(True) if requires_grad else out
        return fn(*args, **kwargs)
    return wrapper


for _name in __all__:
    _fn = globals()[_name]
    if inspect.isfunction(_fn) and "dtype" in inspect.signature(_fn).parameters:
        globals()[_name] = _bfloat16_aware(_fn)
del _name, _fn
