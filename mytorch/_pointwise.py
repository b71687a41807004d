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
    # NOTE: np.asarray: a frompyfunc ufunc returns a Python float (no .astype) for a 0-d input
    return np.asarray(_erf_scalar(x.astype(np.float64)), np.float64).astype(x.dtype)


def _erfc(x):
    return np.asarray(_erfc_scalar(x.astype(np.float64)), np.float64).astype(x.dtype)


def _erfinv(y):
    """Inverse error function: M. Giles' single-precision polynomial (2010) as the start, then two
    Newton steps on erf(x) - y (erfc near |y| = 1) in float64: |error| below 1e-12 relative for |y| < 1
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
        # NOTE: near |y| = 1 Newton runs on ln erfc(|x|) = ln(1 - |y|): 1 - |y| is exact there, while
        # erf(x) - y would cancel to a few digits, and the log keeps the steps from overshooting
        a, xa = np.abs(y64), np.abs(x)
        for _ in range(4):
            slope = 2 / math.sqrt(math.pi) * np.exp(-xa * xa)
            near = np.asarray(_erfc_scalar(np.where(inner, xa, 0.0)), np.float64)
            far = np.asarray(_erf_scalar(np.where(inner, xa, 0.0)), np.float64)
            step = np.where(a > 0.5, (np.log(near) - np.log(1 - a)) * near, a - far) / slope
            xa = np.where(inner & np.isfinite(step), xa + step, xa)
        x = np.copysign(xa, y64)
        x = np.where(y64 == 1, np.inf, np.where(y64 == -1, -np.inf, x))
        x = np.where(np.abs(y64) > 1, np.nan, x)
    return x.astype(y.dtype)


def _gamma_np():
    """The exact lgamma/digamma kernels of mytorch.distributions._special (imported at first use:
    the distributions package builds on this module)."""
    from mytorch.distributions import _special
    return _special


def _lgamma(x):
    """ln|Gamma(x)|; +inf at the poles 0, -1, -2, ... (math.lgamma raises there). Near its zeros
    at 1 and 2, where math.lgamma keeps only a few digits, the Taylor series
    lgamma(1 + z) = -gamma z + sum_k (-1)^k zeta(k) z^k / k (and lgamma(2 + z) = that + log1p(z))."""
    pole = (x <= 0) & (x == np.floor(x))
    out = _gamma_np()._lgamma_np(np.where(pole, 1, x).astype(x.dtype) if pole.any() else x)
    z64 = x.astype(np.float64)
    z = np.where(np.abs(z64 - 2) < 0.2, z64 - 2, z64 - 1)
    near = np.abs(z) < 0.2
    if near.any():
        zn = z[near]
        series = -_EULER_GAMMA * zn
        power = -zn
        for k in range(2, 40):
            power = power * -zn  # (-z)^k
            series = series + _ZETA_INT[k] * power / k
        out = out.astype(np.float64) if out.dtype.kind != "f" else out.copy()
        out[near] = series + np.where(np.abs(z64[near] - 2) < 0.2, np.log1p(zn), 0.0)
    return np.where(pole, np.inf, out).astype(out.dtype) if pole.any() else out


def _digamma(x):
    """psi(x); at 0 torch gives -inf (+inf at -0.0) where the negative integers are NaN poles."""
    out = _gamma_np()._digamma_np(x)
    return np.where(x == 0, np.copysign(np.inf, -x), out).astype(out.dtype) if np.any(x == 0) else out


# B_2j / (2j)! for j = 1..8: the Euler-Maclaurin coefficients of the Hurwitz zeta tail
_EM_COEF = tuple(b / math.factorial(2 * j) for j, b in enumerate(
    (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510), start=1))


def _hurwitz_zeta(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for an integer s >= 2, in float64: the terms are summed
    directly until q + k >= 2s + 10 (also for negative non-integer q, as Cephes' zeta does), then
    Euler-Maclaurin with eight Bernoulli terms (truncation below 1e-16 relative there)."""
    q = np.array(q, np.float64)
    acc = np.zeros_like(q)
    start = 2.0 * s + 10.0
    with np.errstate(all="ignore"):
        while True:
            low = q < start
            if not low.any():
                break
            acc += np.where(low, np.where(low, q, 1.0) ** -s, 0.0)
            q = np.where(low, q + 1.0, q)
        tail = q ** (1.0 - s) / (s - 1) + 0.5 * q ** -s
        rising, power = float(s), q ** (-s - 1.0)
        for j, c in enumerate(_EM_COEF):
            tail = tail + c * rising * power
            rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
            power = power / (q * q)
    return acc + tail


_EULER_GAMMA = 0.5772156649015329
_ZETA_INT = {k: float(_hurwitz_zeta(k, 1.0)) for k in range(2, 40)}  # zeta(k), for the lgamma series


def _polygamma_np(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1; (-1)^(n+1) inf at the poles (0, -1, ...),
    as torch."""
    x = np.asarray(x)
    z = x.astype(np.float64)
    sign = (-1.0) ** (n + 1)
    out = sign * math.factorial(n) * _hurwitz_zeta(n + 1, z)
    out = np.where((z <= 0) & (z == np.floor(z)), sign * np.inf, out)
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


class Polygamma(Function):
    """psi^(n)(x), n >= 1; its derivative is psi^(n+1)(x)."""
    saved = ((0, None),)

    def forward(self, x, n):
        self.x, self.n = x, n
        return _polygamma_np(n, x)

    def backward(self, g):
        return g * _polygamma_np(self.n + 1, self.x)


def polygamma(n, input, *, out=None):
    """The n-th derivative of the digamma function (``polygamma(0, x)`` is ``digamma(x)``);
    integer inputs compute in the default float dtype, as in torch."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        result = digamma(input)  # noqa: F821 (made by _generate)
    else:
        result = Polygamma.apply(ops._float_input(input, "polygamma"), n=n)
    return result if out is None else _write_out(out, result)


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_(self, n):
    """In-place form of :func:`mytorch.polygamma`."""
    return ops._inplace(self, _polygamma_method, (n,), {}, name="polygamma_")


def mvlgamma(input, p, *, out=None):
    """Multivariate log-gamma of dimension ``p``: sum_i lgamma(x - i/2) + p(p-1)/4 ln(pi), built
    from lgamma (so its gradient is the sum of digammas)."""
    if not isinstance(p, int) or p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got {p}")
    x = ops._float_input(input, "mvlgamma")
    result = p * (p - 1) / 4 * math.log(math.pi) + sum(lgamma(x - i / 2) for i in range(p))  # noqa: F821
    return result if out is None else _write_out(out, result)


def _i1(x):
    """I_1(x) by its power series sum (x/2)^(2k+1) / (k! (k+1)!): all terms of one sign, summed
    until they no longer change the sum (float64 rounding)."""
    x = x.astype(np.float64)
    term = x / 2
    total = term.copy()
    q = (x / 2) ** 2
    k = 0
    with np.errstate(all="ignore"):
        while True:
            term = term * q / ((k + 1) * (k + 2))
            k += 1
            if not np.any(np.abs(term) > np.abs(total) * 1e-17) or k > 2000:
                break
            total = total + term
    return total


def _ndtr(x):
    return 0.5 * _erfc(-x / math.sqrt(2))


def _ndtri(p):
    """Inverse of the standard normal CDF: the Abramowitz-Stegun 26.2.23 start (|error| < 5e-4),
    then Newton steps on ln ndtr(x) = ln p, with ndtr through erfc (exact in the lower tail), so
    tiny p (1e-300) keep full precision; 0 and 1 give -inf and +inf, outside [0, 1] NaN."""
    p64 = p.astype(np.float64)
    with np.errstate(all="ignore"):
        q = np.minimum(p64, 1 - p64)
        t = np.sqrt(-2 * np.log(q))
        x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + t * (1.432788 + t * (0.189269 + 0.001308 * t)))
        x = -x  # the lower-tail quantile of q; p > 1/2 is its mirror image (1 - p is exact there)
        inner = q > 0
        for _ in range(4):
            cdf = _ndtr(x)
            step = (np.log(cdf) - np.log(q)) * cdf / (np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
            x = np.where(inner & np.isfinite(step), x - step, x)
        x = np.where(p64 == 0.5, 0.0, np.where(p64 < 0.5, x, -x))
        x = np.where(p64 == 0, -np.inf, np.where(p64 == 1, np.inf, x))
        x = np.where((p64 < 0) | (p64 > 1) | np.isnan(p64), np.nan, x)
    return x.astype(p.dtype)


def _entr(x):
    with np.errstate(all="ignore"):
        out = -x * np.log(x)
    return np.where(x == 0, 0, np.where(x < 0, -np.inf, out)).astype(out.dtype)


def _xlog1py(x, y):
    with np.errstate(all="ignore"):
        out = x * np.log1p(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)


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
    Row("lgamma", _lgamma, lambda g, y, x: (g * _digamma(x),), domain=(0.5, 3.0)),
    Row("digamma", _digamma, lambda g, y, x: (g * _polygamma_np(1, x),), domain=(0.5, 3.0)),
    Row("i0", lambda x: np.i0(x).astype(x.dtype), lambda g, y, x: (g * _i1(x).astype(x.dtype),)),
    Row("special_ndtri", _ndtri, lambda g, y, x: (g * math.sqrt(2 * math.pi) * np.exp(0.5 * y * y),), saves="y",
        method=False, inplace=False, domain=(0.1, 0.9)),
    Row("special_entr", _entr, lambda g, y, x: (-g * (np.log(x) + 1),), method=False, inplace=False,
        domain=(0.1, 2.0)),
    Row("special_xlog1py", _xlog1py, lambda g, y, a, b: (g * np.where((a == 0) & (b == -1), 0, np.log1p(b)),
                                                         g * a / (1 + b)),
        inputs=_BIN, method=False, inplace=False, domain=(0.1, 3.0)),
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
# torch keeps these in torch.special only (mytorch.special re-exports them under their short names)
__all__ = [n for n in __all__ if not n.startswith("special_")]

_frexp_rt = ops._return_type("frexp", ("mantissa", "exponent"))


def frexp(input, *, out=None):
    """(mantissa, exponent) with ``input = mantissa * 2**exponent``, |mantissa| in [0.5, 1) (int32
    exponent); the mantissa is ``input * 2**-exponent``, so its gradient is torch's."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    _, e = np.frexp(input._data)
    exponent = Tensor._make(e.astype(np.int32))
    mantissa = input * Tensor._make(np.ldexp(np.ones((), input._data.dtype), -e).astype(input._data.dtype))
    if out is not None:
        _write_out(out[0], mantissa)
        _write_out(out[1], exponent)
        return _frexp_rt(out[0], out[1])
    return _frexp_rt(mantissa, exponent)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``
    (torch's factor maxnorm / (norm + 1e-7)); composite, so the gradient flows through the norm."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = dim % input.ndim
    dims = tuple(k for k in range(input.ndim) if k != d)
    norms = input.norm(p, dim=dims, keepdim=True)
    with ops.no_grad():
        over = norms > maxnorm
    scale = ops.where(over, maxnorm / (norms + 1e-7), Tensor._make(np.ones((), input._data.dtype)))
    result = input * scale
    return result if out is None else _write_out(out, result)


# n comes before the tensor in torch's signature, so polygamma is declared by hand beside the table
__all__ += ["polygamma", "mvlgamma", "frexp", "renorm"]
METHODS.update(frexp=frexp, renorm=renorm, renorm_=lambda self, p, dim, maxnorm: ops._inplace(
    self, renorm, (p, dim, maxnorm), {}, name="renorm_"),
               polygamma=_polygamma_method, polygamma_=_polygamma_, mvlgamma=mvlgamma,
               mvlgamma_=lambda self, p: ops._inplace(self, mvlgamma, (p,), {}, name="mvlgamma_"))

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
