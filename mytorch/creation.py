"""Tensor factories, with torch's dtype inference (Python floats become the default float32)."""
import numpy as np

from mytorch import _dtype
from mytorch._dtype import to_numpy_dtype
from mytorch.device import device as _device
from mytorch.random import rng
from mytorch.tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace",
           "eye", "randn", "rand", "randint", "randperm", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like", "normal"]


def _finish(array, requires_grad, dev=None):
    if dev is not None:
        _device(dev)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data, dtype):
    """An ndarray from data: NumPy input keeps its dtype, Python floats become float32."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        array = np.asarray(data)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        elif array.dtype == object:
            raise TypeError(f"could not infer a dtype for {type(data).__name__} data; expected numbers, "
                            "nested lists of numbers, an ndarray or a Tensor")
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64, copy=False)
    if dtype is not None:
        array = array.astype(to_numpy_dtype(dtype), copy=False)
    _dtype.from_numpy_dtype(array.dtype)  # rejects dtypes mytorch has no name for
    return array


def tensor(data, dtype=None, device=None, requires_grad=False):
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


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return size


def _np_dtype(dtype):
    return (dtype and to_numpy_dtype(dtype)) or np.float32


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(_size(size), _np_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(_size(size), _np_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.empty(_size(size), _np_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:  # torch infers from the fill value
        dtype = _dtype._scalar_dtype(fill_value)
    return _finish(np.full(_size((size,)), fill_value, to_numpy_dtype(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        whole = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if whole else _dtype.float32
    return _finish(np.arange(start, end, step).astype(to_numpy_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(np.linspace(start, end, int(steps)).astype(_np_dtype(dtype)), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples from the mytorch generator (seeded by ``mytorch.manual_seed``)."""
    dt = _np_dtype(dtype)
    return _finish(rng(generator).standard_normal(_size(size), dtype=dt), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1) from the mytorch generator."""
    dt = _np_dtype(dtype)
    return _finish(rng(generator).random(_size(size), dtype=dt), requires_grad, device)


def normal(mean, std, size, generator=None, dtype=None, requires_grad=False):
    array = rng(generator).normal(mean, std, _size((size,))).astype(_np_dtype(dtype))
    return _finish(array, requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = rng(generator).integers(low, high, _size((size,)), dtype=np.int64)
    return _finish(array.astype(to_numpy_dtype(dtype or _dtype.int64)), requires_grad, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got {n}")
    return _finish(rng(generator).permutation(int(n)).astype(to_numpy_dtype(dtype or _dtype.int64)),
                   requires_grad, device)


def _like(factory):
    def like(input, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*input.shape, dtype=dtype or input.dtype, device=device,
                       requires_grad=requires_grad, **kwargs)
    like.__name__ = factory.__name__ + "_like"
    return like


zeros_like, ones_like, empty_like, rand_like, randn_like = (
    _like(f) for f in (zeros, ones, empty, rand, randn))


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)
