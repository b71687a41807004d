"""dtypes as torch names them, and torch's type-promotion rules (not NumPy's)."""
import numpy as np

__all__ = ["dtype", "float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool_", "bfloat16",
           "get_default_dtype", "set_default_dtype", "finfo", "iinfo", "to_numpy_dtype", "from_numpy_dtype", "result_type",
           "promote_types", "can_cast"]


class dtype:
    """A torch-style dtype: a named wrapper around one NumPy dtype (singletons, compared by identity)."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == 2
        self._category = category  # 0 bool, 1 integer, 2 floating: torch promotes across categories upward

    def __repr__(self):
        return f"mytorch.{self.name}"

    def __reduce__(self):
        return (from_numpy_dtype, (self.np,))


float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
float16 = dtype("float16", np.float16, 2)
int64 = dtype("int64", np.int64, 1)
int32 = dtype("int32", np.int32, 1)
int16 = dtype("int16", np.int16, 1)
int8 = dtype("int8", np.int8, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool_ = dtype("bool", np.bool_, 0)

# NOTE: NumPy has no bfloat16: a bfloat16 tensor stores float32 values rounded to bfloat16's 8-bit
# mantissa and is marked so (Tensor._bf16) that its .dtype reads bfloat16; not in _BY_NUMPY.
bfloat16 = dtype("bfloat16", np.float32, 2)
bfloat16.itemsize = 2

_BY_NUMPY = {d.np: d for d in (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)}
_PY_TYPES = {float: float64, int: int64, bool: bool_}  # torch maps Python's own types this way


_DEFAULT = [float32]  # process-wide, as in torch


def get_default_dtype():
    """The dtype of Python floats in new tensors and of integer inputs to float ops (float32)."""
    return _DEFAULT[0]


def set_default_dtype(d):
    """torch.set_default_dtype: float32, float64 or float16."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type (got {d!r})")
    _DEFAULT[0] = d


def from_numpy_dtype(np_dtype):
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"mytorch has no dtype for NumPy dtype {np.dtype(np_dtype)}; "
                        f"supported: {', '.join(str(k) for k in _BY_NUMPY)}") from None


def to_numpy_dtype(d):
    """Accepts a mytorch dtype, a NumPy dtype or type, or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d.np
    if d in _PY_TYPES:
        return _PY_TYPES[d].np
    return from_numpy_dtype(d).np


def _scalar_dtype(x):
    """The dtype a Python number takes when it stands alone (torch's 'wrapped number')."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _DEFAULT[0]
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t"}


def scalar_array(x, np_dtype, wrap=True):
    """A Python number as a 0-d array of ``np_dtype``. An integer out of an integer dtype's range
    wraps modulo 2**bits where torch wraps it (the scalar operand of arithmetic, comparison and
    bitwise ops: ``uint8 tensor * 300`` multiplies by 44); with ``wrap=False`` it raises torch's
    RuntimeError instead (fill_, masked_fill, full, clamp), except that an unsigned dtype takes
    -max..-1 wrapped, as torch's range check does. Beyond 64 bits: OverflowError."""
    try:
        return np.asarray(x, dtype=np_dtype)
    except OverflowError:
        np_dtype = np.dtype(np_dtype)
        if np_dtype.kind not in "iu" or not isinstance(x, (int, np.integer)) or not -2 ** 63 <= x < 2 ** 64:
            if isinstance(x, (int, np.integer)):
                raise OverflowError("int too big to convert") from None
            raise
        if not wrap and not (np_dtype.kind == "u" and -np.iinfo(np_dtype).max <= x < 0):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[np_dtype.name]} without overflow") \
                from None
        bits = 8 * np_dtype.itemsize
        v = int(x) & ((1 << bits) - 1)
        if np_dtype.kind == "i" and v >= 1 << (bits - 1):
            v -= 1 << bits
        return np.asarray(v, dtype=np_dtype)


def _promote(dtypes):
    """Promotion inside one priority tier: the highest category wins, then NumPy's rule within it."""
    top = max(d._category for d in dtypes)
    out = None
    for d in dtypes:
        if d._category == top:
            out = d.np if out is None else np.promote_types(out, d.np)
    return _BY_NUMPY[out]


def promote_types(type1, type2):
    """``torch.promote_types``: the dtype both promote to (bfloat16 meets float16 at float32)."""
    for k, t in enumerate((type1, type2), 1):
        if not isinstance(t, dtype):
            raise TypeError(f"promote_types(): argument 'type{k}' (position {k}) must be torch.dtype, "
                            f"not {type(t).__name__}")
    if bfloat16 in (type1, type2):
        other = type2 if type1 is bfloat16 else type1
        if other is bfloat16 or other._category < 2:
            return bfloat16
        return float32 if other in (float16, float32) else other
    return _promote((type1, type2))


def can_cast(from_, to):
    """``torch.can_cast``: False only where the cast would cross down a category (a float to an
    integer, anything but bool to bool); narrowing within a category is allowed, as in torch."""
    return from_._category <= to._category


def result_type(*operands):
    """torch.result_type: dimensioned tensors outrank 0-d tensors, which outrank Python numbers,
    except that a lower tier of a higher category (bool < int < float) lifts the result to
    that category. So float32 tensor + 2.0 or + a 0-d float64 tensor stays float32, and
    int64 tensor + 2.5 is float32 (the default dtype)."""
    if len(operands) == 2:  # fast paths for the common cases: same dtypes, float tensor and a number
        a, b = operands
        if hasattr(a, "_data"):
            if hasattr(b, "_data"):
                if a._data.dtype == b._data.dtype:
                    return _BY_NUMPY[a._data.dtype]
            elif a._data.dtype.kind == "f" and isinstance(b, (int, float)):
                return _BY_NUMPY[a._data.dtype]
        elif hasattr(b, "_data") and b._data.dtype.kind == "f" and isinstance(a, (int, float)):
            return _BY_NUMPY[b._data.dtype]
    tiers = ([], [], [])
    for x in operands:
        if hasattr(x, "_data"):
            tiers[0 if x._data.ndim else 1].append(from_numpy_dtype(x._data.dtype))
        else:
            tiers[2].append(_scalar_dtype(x))
    result = None
    for tier in tiers:
        if not tier:
            continue
        d = _promote(tier)
        if result is None or d._category > result._category:
            result = d
    return result


class finfo:
    """``torch.finfo(dtype)``: bits, eps, max, min, tiny (smallest_normal), resolution."""

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type, got {d!r}")
        if d is bfloat16:  # float32's exponent range with an 8-bit mantissa
            self.dtype, self.bits, self.eps = "bfloat16", 16, 2.0 ** -7
            self.max = float((2 - 2.0 ** -7) * 2.0 ** 127)
            self.min, self.tiny = -self.max, 2.0 ** -126
            self.smallest_normal, self.resolution = self.tiny, 0.01
            return
        info = np.finfo(d.np)
        self.dtype, self.bits = d.name, info.bits
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, eps={self.eps:e}, "
                f"smallest_normal={self.smallest_normal:e}, tiny={self.tiny:e}, dtype={self.dtype})")


class iinfo:
    """``torch.iinfo(dtype)``: bits, max, min of an integer dtype."""

    def __init__(self, type):
        if not isinstance(type, dtype) or type.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type, got {type!r}")
        info = np.iinfo(type.np) if type.np.kind != "b" else None
        self.dtype = type.name
        self.bits = 8 if info is None else info.bits
        self.max, self.min = (1, 0) if info is None else (int(info.max), int(info.min))

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
