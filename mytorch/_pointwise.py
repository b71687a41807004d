"""Pointwise ops, one table row each: from a row come the function ``mytorch.<name>``, the Tensor
method, the in-place ``<name>_`` method, the ``out=`` form and the aliases.

A row (``Row``) holds the NumPy forward, the derivative (``grad(g, out, *inputs, **params)``
returning one gradient per tensor input, in terms of the upstream gradient, the output and the
inputs), what the backward reads (``saves``: "x" the inputs, "y" the output, "" nothing, or a
tuple of input indices, with "y" for the output; the version check of autograd.py uses it, and
tests/test_core_pointwise.py checks it raises exactly where torch does), and the dtype rule
(``kind``):

- ``float``: integer and bool inputs compute in the default float dtype (torch's ``sin(int)``);
- ``same``: torch's type promotion of the inputs (``abs(int)`` stays int);
- ``bool``: comparisons and predicates: computed in the promoted dtype, the result is bool;
- ``int``: bitwise ops, integer and bool inputs only;
- ``f64``: always float64 (``float_power``).

The hot arithmetic (add, mul, tanh, ...) keeps its hand-written primitive in ops.py, measured
faster than the generic row (``benchmarks.overhead``); its row names that function (``fn=``) so
its in-place and ``out=`` forms and aliases still come from here.
"""
import inspect
import math

import numpy as np

from mytorch import _dtype, ops
from mytorch._dtype import result_type
from mytorch.autograd import Function
from mytorch.tensor import Tensor

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)
ROWS = {}      # name -> Row: the table (the conformance tests and the coverage report read it)


class Row:
    """One pointwise op. ``params``: (name, default) pairs after the tensor arguments;
    ``kw_params``: keyword-only ones. ``torch_name``: the grad_fn name when not <Name>Backward0."""

    def __init__(self, name, forward=None, grad=None, *, inputs=("input",), params=(), kw_params=(),
                 saves="x", kind="float", aliases=(), fn=None, method=True, inplace=True,
                 torch_name=None, domain=(-2.0, 2.0), refuse=None):
        self.name, self.forward, self.grad = name, forward, grad
        self.inputs, self.params, self.kw_params = inputs, params, kw_params
        self.saves, self.kind, self.aliases = saves, kind, aliases
        self.fn, self.method, self.inplace = fn, method, inplace
        self.torch_name, self.domain = torch_name, domain
        self.refuse = refuse or {}  # "bool"/"int" -> (exception type, message): inputs torch refuses
        self.primitive = None if fn is not None or grad is None else _primitive(self)
        self.fast = self.primitive is not None and kind in ("float", "same") and not self.refuse


def _primitive(row):
    """The Function subclass for a row: forward and backward call the row's NumPy code."""
    n = len(row.inputs)
    camel = "".join(p.capitalize() for p in row.name.split("_"))

    def forward(self, *arrays, **params):
        out = row.forward(*arrays, **params)
        self.x, self.out, self.params = arrays, out, params
        return out

    def backward(self, g):
        with np.errstate(all="ignore"):
            return row.grad(g, self.out, *self.x, **self.params)

    if isinstance(row.saves, tuple):  # indices of the inputs the derivative reads (+ "y")
        saved = tuple((i, None) for i in row.saves if isinstance(i, int))
    else:
        saved = tuple((i, None) for i in range(n)) if "x" in row.saves else ()
    return type(camel, (Function,), {"forward": forward, "backward": backward, "saved": saved,
                                     "saves_output": "y" in row.saves,
                                     "_torch_name": row.torch_name or camel + "Backward0",
                                     "__module__": __name__})


# ---------------------------------------------------------------------------- calling a row
_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _not_implemented(kernel, *categories):
    """torch's NotImplementedError for a kernel without an integer (and/or bool) version."""
    return {c: (NotImplementedError, f'"{kernel}" not implemented for \'{{}}\'') for c in categories}


def _refused(row, args):
    """Raises what torch raises for an input dtype the op does not take (rows that declare ``refuse``)."""
    dt = result_type(*args)
    category = "bool" if dt is _dtype.bool_ else "int" if not dt.is_floating_point else None
    if category in row.refuse:
        exc, msg = row.refuse[category]
        raise exc(msg.format(_TORCH_NAMES[dt.name]))
    return dt


def _compute_dtype(row, args):
    if row.refuse:
        dt = _refused(row, args)
    else:
        dt = result_type(*args) if len(args) > 1 else (
            args[0].dtype if isinstance(args[0], Tensor) else result_type(args[0]))
    if row.kind == "float" and not dt.is_floating_point:
        return _dtype.get_default_dtype()
    if row.kind == "f64":
        return _dtype.float64
    if row.kind == "int" and (dt.is_floating_point or (dt is _dtype.bool_ and row.name in _SHIFT_KERNELS)):
        kernel = _SHIFT_KERNELS.get(row.name, row.name)
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_TORCH_NAMES[dt.name]}'")
    return dt


_SHIFT_KERNELS = {"bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift"}  # torch's kernel names


def _invert(self):
    if self.dtype is _dtype.bool_:
        return logical_not(self)  # noqa: F821 (made by _generate)
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)  # noqa: F821


def _as_tensor(x, dt):
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt.np else ops.to_dtype(x, dt)
    return Tensor._make(_dtype.scalar_array(x, dt.np))


def _check_broadcast(ts):
    shapes = [t._data.shape for t in ts]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        for s in shapes[1:]:
            msg = ops._broadcast_error(shapes[0], s)
            if msg:
                raise RuntimeError(msg) from None
        raise RuntimeError(f"shapes {[list(s) for s in shapes]} do not broadcast") from None


def _call(row, args, params):
    if row.fast and len(args) == 1:  # one float tensor into a float op: nothing to convert or check
        x = args[0]
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            return row.primitive.apply(x, **params)
    if not isinstance(args[0], Tensor) and not any(isinstance(a, Tensor) for a in args):
        raise TypeError(f"{row.name}(): argument '{row.inputs[0]}' (position 1) must be Tensor, "
                        f"not {type(args[0]).__name__}")
    dt = _compute_dtype(row, args)
    ts = [_as_tensor(a, dt) for a in args]
    if len(ts) > 1:
        _check_broadcast(ts)
    if row.primitive is not None:
        return row.primitive.apply(*ts, **params)
    with np.errstate(all="ignore"):
        out = row.forward(*[t._data for t in ts], **params)
    return Tensor._make(np.asarray(out))


_write_out = ops._write_out


# ---------------------------------------------------------------------------- the generator
def _generate(row):
    """Makes ``row.name`` (function with torch's signature), its method, in-place form and aliases."""
    pos = list(row.inputs) + [f"{p}={d!r}" for p, d in row.params]
    kw = [f"{p}={d!r}" for p, d in row.kw_params] + ["out=None"]
    names = list(row.inputs) + [p for p, _ in row.params] + [p for p, _ in row.kw_params]
    passed = ", ".join(row.inputs) + ("," if len(row.inputs) == 1 else "")
    params = ", ".join(f"{p!r}: {p}" for p in names[len(row.inputs):])
    check = ""
    if row.fn is None:
        body = f"_call(_row, ({passed}), {{{params}}})"
    else:
        body = "_fn(" + ", ".join(row.inputs) + "".join(f", {p}={p}" for p in names[len(row.inputs):]) + ")"
        if row.refuse:
            check = f"    _refused(_row, ({passed}))\n"
    src = (f"def {row.name}({', '.join(pos)}, *, {', '.join(kw)}):\n" + check +
           f"    result = {body}\n"
           f"    return result if out is None else _write_out(out, result)\n")
    scope = {"_call": _call, "_row": row, "_fn": row.fn, "_write_out": _write_out, "_refused": _refused}
    exec(compile(src, f"<mytorch._pointwise row {row.name}>", "exec"), scope)
    fn = scope[row.name]
    fn.__doc__ = f"torch.{row.name}: declared by one row of mytorch._pointwise (see ROWS[{row.name!r}])."
    fn.__module__ = __name__
    for name in (row.name,) + tuple(row.aliases):
        globals()[name] = fn
        __all__.append(name)
        if row.method:
            # a method has no out=: the hand-written primitive directly, unless dtypes need checking
            METHODS[name] = fn if row.refuse or row.fn is None else row.fn
            if row.inplace:
                METHODS[name + "_"] = _inplace_method(fn, name, row)
    return fn


def _inplace_method(fn, name, row):
    cast_ok = row.kind == "bool"

    def method(self, *args, **kwargs):
        return ops._inplace(self, fn, args, kwargs, name=name + "_", cast_ok=cast_ok)
    method.__name__ = method.__qualname__ = name + "_"
    sig = inspect.signature(fn)
    method.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "out"])
    method.__doc__ = f"In-place form of :func:`mytorch.{name}` (version-counted, autograd-aware)."
    return method


# ---------------------------------------------------------------------------- special functions
_erf_scalar = np.frompyfunc(math.erf, 1, 1)
_erfc_scalar = np.frompyfunc(math.erfc, 1, 1)


def _erf(x):
    return _erf_scalar(x.astype(np.float64)).astype(np.float64).astype(x.dtype)


def _erfc(x):
    return _erfc_scalar(x.astype(np.float64)).astype(np.float64).astype(x.dtype)


def _erfinv(y):
    """Inverse error function: M. Giles' single-precision polynomial (2010) as the start, then two
    Newton steps on erf(x) - y in float64: |error| below 1e-12 relative for |y| < 1 - 1e-12
    (tests/test_core_pointwise.py checks erf(erfinv(y)) == y); +-1 give +-inf, |y| > 1 NaN."""
    y64 = y.astype(np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - y64) * (1.0 + y64))
        small = w < 5.0
        ws = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p1 = c + p1 * ws
        wl = np.sqrt(w) - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            p2 = c + p2 * wl
        x = np.where(small, p1, p2) * y64
        inner = np.isfinite(x)
        for _ in range(2):
            step = (_erf_scalar(x).astype(np.float64) - y64) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
            x = np.where(inner, x - step, x)
        x = np.where(y64 == 1, np.inf, np.where(y64 == -1, -np.inf, x))
        x = np.where(np.abs(y64) > 1, np.nan, x)
    return x.astype(y.dtype)


def _round(x, decimals=0):
    if decimals == 0:
        return np.round(x)
    if x.dtype.kind in "iub":
        raise RuntimeError("round_cpu with decimals is not implemented for integer tensors")
    return np.round(x, decimals)


def _nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def _logit_grad(g, y, x, eps=None):
    d = g / (x * (1 - x))
    if eps is not None:
        d = np.where((x < eps) | (x > 1 - eps), 0, d)
    return (d,)


def _xlogy(x, y):
    with np.errstate(all="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)


def _sinc(x):
    return np.sinc(x)


def _sinc_grad(g, y, x):
    px = np.pi * x
    d = np.where(x == 0, 0, (np.cos(px) * px - np.sin(px)) / (px * x))
    return (g * d,)


def _copysign_grad(g, y, a, b):
    ratio = np.where(a == 0, 0, y / np.where(a == 0, 1, a))
    return g * ratio, np.zeros_like(g)


def _int_divisor(b):
    """torch raises for an integer division by zero (NumPy would warn and return 0)."""
    if b.dtype.kind in "iub" and not np.all(b):
        raise RuntimeError("ZeroDivisionError")
    return b


def _fmax_grad(g, y, a, b, larger=True):
    self_wins = ((a >= b) if larger else (a <= b)) | np.isnan(b)
    return g * self_wins, g * ~self_wins


def _pow_grads(g, y, a, b):
    ga = np.where(b == 0, 0, g * b * np.power(a, b - 1))
    gb = np.where((a == 0) & (b >= 0), 0, g * y * np.log(a))
    return ga, gb


def _zero(g, y, *xs, **params):
    return tuple(np.zeros_like(g) for _ in xs)  # torch's gradient of a step function: zeros, not None


LN2, LN10 = math.log(2.0), math.log(10.0)

# ---------------------------------------------------------------------------- the table
_ADDCDIV_INT = {c: (RuntimeError, "Integer division with addcdiv is no longer supported, and in a future release "
                    "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
                    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior "
                    "is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")
                for c in ("int", "bool")}
_BIN = ("input", "other")
_ROWS = [
    # trigonometric and hyperbolic
    Row("sin", np.sin, lambda g, y, x: (g * np.cos(x),)),
    Row("cos", np.cos, lambda g, y, x: (-g * np.sin(x),)),
    Row("tan", np.tan, lambda g, y, x: (g * (1 + y * y),), saves="y", domain=(-1.2, 1.2)),
    Row("asin", np.arcsin, lambda g, y, x: (g / np.sqrt(1 - x * x),), aliases=("arcsin",), domain=(-0.9, 0.9)),
    Row("acos", np.arccos, lambda g, y, x: (-g / np.sqrt(1 - x * x),), aliases=("arccos",), domain=(-0.9, 0.9)),
    Row("atan", np.arctan, lambda g, y, x: (g / (1 + x * x),), aliases=("arctan",)),
    Row("sinh", np.sinh, lambda g, y, x: (g * np.cosh(x),)),
    Row("cosh", np.cosh, lambda g, y, x: (g * np.sinh(x),)),
    Row("asinh", np.arcsinh, lambda g, y, x: (g / np.sqrt(x * x + 1),), aliases=("arcsinh",)),
    Row("acosh", np.arccosh, lambda g, y, x: (g / np.sqrt(x * x - 1),), aliases=("arccosh",), domain=(1.1, 3.0)),
    Row("atanh", np.arctanh, lambda g, y, x: (g / (1 - x * x),), aliases=("arctanh",), domain=(-0.9, 0.9)),
    Row("atan2", np.arctan2, lambda g, y, a, b: (g * b / (a * a + b * b), -g * a / (a * a + b * b)),
        inputs=_BIN, aliases=("arctan2",)),
    Row("deg2rad", lambda x: x * x.dtype.type(np.pi / 180), lambda g, y, x: (g * (np.pi / 180),), saves=""),
    Row("rad2deg", lambda x: x * x.dtype.type(180 / np.pi), lambda g, y, x: (g * (180 / np.pi),), saves=""),
    Row("sinc", _sinc, _sinc_grad),
    # exponentials and logarithms
    Row("exp2", np.exp2, lambda g, y, x: (g * y * LN2,), saves="y"),
    Row("expm1", np.expm1, lambda g, y, x: (g * (y + 1),), saves="y"),
    Row("log2", np.log2, lambda g, y, x: (g / (x * LN2),), domain=(0.1, 3.0)),
    Row("log10", np.log10, lambda g, y, x: (g / (x * LN10),), domain=(0.1, 3.0)),
    Row("log1p", np.log1p, lambda g, y, x: (g / (1 + x),), domain=(-0.9, 3.0)),
    Row("logaddexp", np.logaddexp, lambda g, y, a, b: (g / (1 + np.exp(b - a)), g / (1 + np.exp(a - b))),
        inputs=_BIN, inplace=False, refuse=_not_implemented("logaddexp_cpu", "int", "bool")),
    Row("logaddexp2", np.logaddexp2, lambda g, y, a, b: (g / (1 + np.exp2(b - a)), g / (1 + np.exp2(a - b))),
        inputs=_BIN, inplace=False, refuse=_not_implemented("logaddexp2_cpu", "int", "bool")),
    Row("rsqrt", lambda x: 1 / np.sqrt(x), lambda g, y, x: (-0.5 * g * y * y * y,), saves="y",
        domain=(0.1, 3.0)),
    Row("square", lambda x: np.square(x.astype(np.int64) if x.dtype == np.bool_ else x), lambda g, y, x: (2 * g * x,), kind="same", torch_name="PowBackward0"),
    Row("reciprocal", np.reciprocal, lambda g, y, x: (-g * y * y,), saves="y", domain=(0.5, 3.0)),
    Row("erf", _erf, lambda g, y, x: (g * (2 / math.sqrt(math.pi)) * np.exp(-x * x),)),
    Row("erfc", _erfc, lambda g, y, x: (-g * (2 / math.sqrt(math.pi)) * np.exp(-x * x),)),
    Row("erfinv", _erfinv, lambda g, y, x: (g * (math.sqrt(math.pi) / 2) * np.exp(_erfinv(x) ** 2),),
        domain=(-0.9, 0.9)),
    Row("logit", _logit, _logit_grad, params=(("eps", None),), domain=(0.1, 0.9)),
    Row("xlogy", _xlogy, lambda g, y, a, b: (g * np.where((a == 0) & (b == 0), 0, np.log(b)), g * a / b),
        inputs=_BIN, domain=(0.1, 3.0)),
    Row("hypot", np.hypot, lambda g, y, a, b: (g * a / y, g * b / y), inputs=_BIN, saves="xy", refuse=_not_implemented("hypot_cpu", "int", "bool")),
    Row("float_power", np.power, _pow_grads, inputs=("input", "exponent"), kind="f64", saves="xy",
        torch_name="PowBackward1", domain=(0.5, 2.0)),
    # sign and rounding
    Row("sign", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x), _zero, kind="same", saves=""),
    Row("sgn", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x), _zero, kind="same", saves="xy", torch_name="SgnBackward0"),
    Row("copysign", np.copysign, _copysign_grad, inputs=_BIN, saves=(0, "y")),
    Row("floor", np.floor, _zero, kind="same", saves="", refuse=_not_implemented("floor_vml_cpu", "bool")),
    Row("ceil", np.ceil, _zero, kind="same", saves="", refuse=_not_implemented("ceil_vml_cpu", "bool")),
    Row("round", _round, _zero, kw_params=(("decimals", 0),), kind="same", saves="", refuse=_not_implemented("round_vml_cpu", "bool")),
    Row("trunc", np.trunc, _zero, kind="same", saves="", aliases=("fix",), refuse=_not_implemented("trunc_vml_cpu", "bool")),
    Row("frac", lambda x: x - np.trunc(x), lambda g, y, x: (g,), kind="same", saves="", refuse=_not_implemented("frac_cpu", "int", "bool")),
    Row("remainder", lambda a, b: np.remainder(a, _int_divisor(b)), lambda g, y, a, b: (g, -g * np.floor(a / b)), inputs=_BIN, kind="same",
        domain=(0.5, 3.0), refuse=_not_implemented("remainder_cpu", "bool")),
    Row("fmod", lambda a, b: np.fmod(a, _int_divisor(b)), lambda g, y, a, b: (g, -g * np.trunc(a / b)), inputs=_BIN, kind="same",
        domain=(0.5, 3.0), refuse=_not_implemented("fmod_cpu", "bool")),
    Row("nan_to_num", _nan_to_num, lambda g, y, x, **p: (g * np.isfinite(x),),
        params=(("nan", 0.0), ("posinf", None), ("neginf", None)), kind="same"),
    Row("fmax", np.fmax, _fmax_grad, inputs=_BIN, kind="same", inplace=False),
    Row("fmin", np.fmin, lambda g, y, a, b: _fmax_grad(g, y, a, b, larger=False), inputs=_BIN, kind="same",
        inplace=False),
    Row("positive", fn=lambda input: input, kind="same", inplace=False, refuse={"bool": (RuntimeError, "The `+` operator, on a bool tensor is not supported.")}),
    Row("lerp", lambda a, b, w: a + w * (b - a), lambda g, y, a, b, w: (g * (1 - w), g * w, g * (b - a)),
        inputs=("input", "end", "weight"), refuse=_not_implemented("lerp_kernel_tensor", "int", "bool")),
    Row("addcmul", lambda a, b, c, value=1: a + value * b * c,
        lambda g, y, a, b, c, value=1: (g, g * value * c, g * value * b),
        inputs=("input", "tensor1", "tensor2"), kw_params=(("value", 1),), kind="same", saves=(1, 2), refuse=_not_implemented("addcmul_cpu_out", "bool")),
    Row("addcdiv", lambda a, b, c, value=1: a + value * b / c,
        lambda g, y, a, b, c, value=1: (g, g * value / c, -g * value * b / (c * c)),
        inputs=("input", "tensor1", "tensor2"), kw_params=(("value", 1),), domain=(0.5, 2.0), saves=(1, 2), refuse=_ADDCDIV_INT),
    # predicates and comparisons (bool results, no gradient)
    Row("isnan", np.isnan, kind="bool", inplace=False),
    Row("isinf", np.isinf, kind="bool", inplace=False),
    Row("isposinf", np.isposinf, kind="bool", inplace=False),
    Row("isneginf", np.isneginf, kind="bool", inplace=False),
    Row("isfinite", np.isfinite, kind="bool", inplace=False),
    Row("isreal", lambda x: np.ones(x.shape, bool), kind="bool", inplace=False),
    Row("isclose", lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: np.isclose(a, b, rtol, atol, equal_nan),
        inputs=_BIN, params=(("rtol", 1e-05), ("atol", 1e-08), ("equal_nan", False)), kind="bool",
        inplace=False),
    Row("eq", np.equal, inputs=_BIN, kind="bool"),
    Row("ne", np.not_equal, inputs=_BIN, kind="bool", aliases=("not_equal",)),
    Row("lt", np.less, inputs=_BIN, kind="bool", aliases=("less",)),
    Row("le", np.less_equal, inputs=_BIN, kind="bool", aliases=("less_equal",)),
    Row("gt", np.greater, inputs=_BIN, kind="bool", aliases=("greater",)),
    Row("ge", np.greater_equal, inputs=_BIN, kind="bool", aliases=("greater_equal",)),
    Row("logical_and", np.logical_and, inputs=_BIN, kind="bool"),
    Row("logical_or", np.logical_or, inputs=_BIN, kind="bool"),
    Row("logical_xor", np.logical_xor, inputs=_BIN, kind="bool"),
    Row("logical_not", np.logical_not, kind="bool"),
    # bitwise (integer and bool only)
    Row("bitwise_and", np.bitwise_and, inputs=_BIN, kind="int"),
    Row("bitwise_or", np.bitwise_or, inputs=_BIN, kind="int"),
    Row("bitwise_xor", np.bitwise_xor, inputs=_BIN, kind="int"),
    Row("bitwise_not", np.invert, kind="int"),
    Row("bitwise_left_shift", np.left_shift, inputs=_BIN, kind="int"),
    Row("bitwise_right_shift", np.right_shift, inputs=_BIN, kind="int"),
    # the hand-written primitives of ops.py (kept for speed), declared here for their other forms
    Row("add", fn=ops.add, inputs=_BIN, kw_params=(("alpha", 1),), kind="same"),
    Row("sub", fn=ops.sub, inputs=_BIN, kw_params=(("alpha", 1),), kind="same", aliases=("subtract",), refuse={"bool": (RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not "
        "supported. Use the `^` or `logical_xor()` operator instead.")}),
    Row("mul", fn=ops.mul, inputs=_BIN, kind="same", aliases=("multiply",)),
    Row("div", fn=ops.div, inputs=_BIN, kw_params=(("rounding_mode", None),), aliases=("divide", "true_divide")),
    Row("floor_divide", fn=ops.floor_divide, inputs=_BIN, kind="same", domain=(0.5, 3.0), refuse=_not_implemented("div_floor_cpu", "bool")),
    Row("pow", fn=ops.pow, inputs=("input", "exponent"), kind="same", domain=(0.5, 2.0), refuse=_not_implemented("pow", "bool")),
    Row("maximum", fn=ops.maximum, inputs=_BIN, kind="same"),
    Row("minimum", fn=ops.minimum, inputs=_BIN, kind="same"),
    Row("neg", fn=ops.neg, kind="same", aliases=("negative",)),
    Row("abs", fn=ops.abs, kind="same", aliases=("absolute",), refuse=_not_implemented("abs_cpu", "bool")),
    Row("exp", fn=ops.exp),
    Row("log", fn=ops.log, domain=(0.1, 3.0)),
    Row("sqrt", fn=ops.sqrt, domain=(0.1, 3.0)),
    Row("tanh", fn=ops.tanh),
    Row("sigmoid", fn=ops.sigmoid),
    Row("relu", fn=ops.relu, kind="same", refuse={"bool": (RuntimeError, "Boolean inputs not supported for relu")}),
    Row("clamp", fn=ops.clamp, params=(("min", None), ("max", None)), kind="same", aliases=("clip",)),
    Row("clamp_min", fn=lambda input, min: ops.clamp(input, min=min), params=(("min", None),), kind="same"),
    Row("clamp_max", fn=lambda input, max: ops.clamp(input, max=max), params=(("max", None),), kind="same"),
]

for _row in _ROWS:
    ROWS[_row.name] = _row
    _generate(_row)
del _row

# torch spells the shift methods with the dunders only; the functions keep bitwise_* names
OPERATORS = {
    "__lshift__": bitwise_left_shift,  # noqa: F821 (made by _generate)
    "__rshift__": bitwise_right_shift,  # noqa: F821
    "__rlshift__": lambda self, other: bitwise_left_shift(other, self),  # noqa: F821
    "__rrshift__": lambda self, other: bitwise_right_shift(other, self),  # noqa: F821
    "__rmod__": lambda self, other: remainder(other, self),  # noqa: F821
    "__rand__": lambda self, other: bitwise_and(other, self),  # noqa: F821
    "__ror__": lambda self, other: bitwise_or(other, self),  # noqa: F821
    "__rxor__": lambda self, other: bitwise_xor(other, self),  # noqa: F821
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,  # noqa: F821
    "__invert__": _invert,
    "__pos__": lambda self: self,
    "__ipow__": METHODS["pow_"], "__imod__": METHODS["remainder_"],
    "__ifloordiv__": METHODS["floor_divide_"], "__iand__": METHODS["bitwise_and_"],
    "__ior__": METHODS["bitwise_or_"], "__ixor__": METHODS["bitwise_xor_"],
    "__ilshift__": METHODS["bitwise_left_shift_"], "__irshift__": METHODS["bitwise_right_shift_"],
}
