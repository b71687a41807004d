"""nn.functional activations: the ACTIVATIONS table run by one primitive, softmax family, linear,
prelu, gelu, glu."""
import math

import numpy as np

from mytorch import _dtype, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim
from mytorch.nn._functional_base import _LEGACY_TYPE

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "sigmoid", "tanh", "gelu", "linear", "softmax",
           "log_softmax", "softmin", "one_hot", "elu", "elu_", "selu", "celu", "silu", "mish", "softplus", "softsign",
           "hardtanh", "hardtanh_", "relu6", "hardsigmoid", "hardswish", "logsigmoid", "softshrink", "hardshrink",
           "tanhshrink", "threshold", "threshold_", "rrelu", "rrelu_", "prelu", "glu", "selu_",
           "celu_"]


# ---------------------------------------------------------------------------- activations
sigmoid = ops.sigmoid
tanh = ops.tanh


class _Relu(ops.Relu):
    """ops' relu, whose gradient under create_graph=True depends on x as torch's threshold_backward does: it
    requires grad when x does (zero second derivative), also where the incoming gradient does not."""
    _torch_name = "ReluBackward0"

    def backward_t(self, g):
        return _MaskedGrad.apply(g, self.parents[0], d=self.out > 0)


def relu(input, inplace=False):
    """max(0, x); ``inplace`` writes into ``input`` (out of place inside a graph until in-place autograd exists)."""
    if not isinstance(input, Tensor):
        return ops.relu(input)  # ops' own error for a non-Tensor
    out = _Relu.apply(input)
    return _write_back(input, out) if inplace else out

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid_np(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _softplus_np(x):
    """log(1 + exp(x)) without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _elu_fwd(x, alpha, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, (scale * alpha) * np.expm1(np.minimum(x, 0) * input_scale))


def _elu_grad(x, y, alpha, scale=1.0, input_scale=1.0):
    # NOTE: torch takes the negative branch at x == 0 (SELU's slope there is scale * alpha).
    return np.where(x > 0, scale, (scale * alpha * input_scale) * np.exp(np.minimum(x, 0) * input_scale))


def _softplus_fwd(x, beta, threshold):
    bx = x * beta
    return np.where(bx > threshold, x, _softplus_np(bx) / beta)


def _mish_fwd(x):
    return x * np.tanh(_softplus_np(x))


def _mish_grad(x, y):
    t = np.tanh(_softplus_np(x))
    return t + x * _sigmoid_np(x) * (1 - t * t)


def _hardswish_grad(x, y):
    return np.where(x <= -3, 0, np.where(x >= 3, 1, x / 3 + 0.5))


# One row per pointwise activation: (forward(x, **params), derivative(x, y, **params)) on ndarrays,
# with torch's choice of one-sided derivative at each kink. _Pointwise runs any row as one primitive.
ACTIVATIONS = {
    "elu": (_elu_fwd, _elu_grad),
    "selu": (lambda x: _elu_fwd(x, _SELU_ALPHA, _SELU_SCALE), lambda x, y: _elu_grad(x, y, _SELU_ALPHA, _SELU_SCALE)),
    "celu": (lambda x, alpha: _elu_fwd(x, alpha, 1.0, 1.0 / alpha),
             lambda x, y, alpha: _elu_grad(x, y, alpha, 1.0, 1.0 / alpha)),
    "silu": (lambda x: x * _sigmoid_np(x), lambda x, y: (lambda s: s * (1 + x * (1 - s)))(_sigmoid_np(x))),
    "mish": (_mish_fwd, _mish_grad),
    "softplus": (_softplus_fwd, lambda x, y, beta, threshold: np.where(x * beta > threshold, 1, _sigmoid_np(x * beta))),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x, y: 1 / (1 + np.abs(x)) ** 2),
    "hardtanh": (lambda x, min_val, max_val: np.clip(x, min_val, max_val),
                 lambda x, y, min_val, max_val: (x > min_val) & (x < max_val)),
    # NOTE: torch's hardsigmoid slope is the float32 1/6 in every dtype
    "hardsigmoid": (lambda x: np.clip(x + 3, 0, 6) / 6,
                    lambda x, y: np.where((x > -3) & (x < 3), float(np.float32(1 / 6)), 0)),
    "hardswish": (lambda x: x * np.clip(x + 3, 0, 6) / 6, _hardswish_grad),
    "logsigmoid": (lambda x: -_softplus_np(-x), lambda x, y: _sigmoid_np(-x)),
    "softshrink": (lambda x, lambd: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)),
                   lambda x, y, lambd: np.abs(x) > lambd),
    "hardshrink": (lambda x, lambd: np.where(np.abs(x) > lambd, x, 0), lambda x, y, lambd: np.abs(x) > lambd),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x, y: np.tanh(x) ** 2),
    "threshold": (lambda x, threshold, value: np.where(x > threshold, x, value),
                  lambda x, y, threshold, value: x > threshold),
    "leaky_relu": (lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
                   lambda x, y, negative_slope: np.where(x > 0, 1, negative_slope)),
}


# create_graph=True: each smooth row's derivative written with differentiable mytorch ops on the Tensor x,
# so that the gradient g * f'(x) is itself differentiable. Rows not here are piecewise linear: their
# derivative is piecewise constant and _MaskedGrad carries it. Masks are constants (their derivative is
# zero almost everywhere); exp() of a masked argument keeps the unused branch from overflowing.
def _const(x, mask):
    return Tensor._make(np.asarray(mask, dtype=x._data.dtype))


def _elu_grad_t(x, alpha, scale=1.0, input_scale=1.0):
    pos = _const(x, x._data > 0)
    neg = 1 - pos
    return pos * scale + neg * ((scale * alpha * input_scale) * ops.exp(x * neg * input_scale))


def _mish_grad_t(x):
    t = ops.tanh(_Pointwise.apply(x, name="softplus", params={"beta": 1.0, "threshold": 20.0}))
    return t + x * ops.sigmoid(x) * (1 - t * t)


def _softplus_grad_t(x, beta, threshold):
    big = _const(x, x._data * beta > threshold)
    return big + (1 - big) * ops.sigmoid(x * beta)


def _hardswish_grad_t(x):
    mid = _const(x, (x._data > -3) & (x._data < 3))
    return _const(x, x._data >= 3) + mid * (x / 3 + 0.5)


SMOOTH_DERIVATIVES = {
    "elu": _elu_grad_t,
    "selu": lambda x: _elu_grad_t(x, _SELU_ALPHA, _SELU_SCALE),
    "celu": lambda x, alpha: _elu_grad_t(x, alpha, 1.0, 1.0 / alpha),
    "silu": lambda x: (lambda s: s * (1 + x * (1 - s)))(ops.sigmoid(x)),
    "mish": _mish_grad_t,
    "softplus": _softplus_grad_t,
    "softsign": lambda x: (1 + ops.abs(x)) ** -2,
    "hardswish": _hardswish_grad_t,
    "logsigmoid": lambda x: ops.sigmoid(-x),
}


class _MaskedGrad(Function):
    """g * d with d a piecewise-constant derivative (leaky_relu, hardtanh, threshold, ...) of x: the
    gradient of such an activation, as a node of its own for create_graph=True. Its derivative in x is
    zero, but the result depends on x, so it requires grad when x does (torch's
    LeakyReluBackwardBackward0 and friends)."""

    def forward(self, g, x, d):
        self.d = d
        return (g * d).astype(g.dtype, copy=False)

    def backward(self, gg):
        return (gg * self.d).astype(gg.dtype, copy=False), np.zeros(self.d.shape, gg.dtype)

    def backward_t(self, gg):
        return gg * Tensor._make(np.asarray(self.d, dtype=gg._data.dtype)), None


class _Pointwise(Function):
    """One row of ACTIVATIONS as a primitive: one pass forward, one for the exact derivative."""
    saved = ((0, None),)  # the backward reads x (for the version check)

    def forward(self, x, name, params):
        self.x, self.op, self.params = x, name, params
        return np.asarray(ACTIVATIONS[name][0](x, **params)).astype(x.dtype, copy=False)

    def backward(self, g):
        d = ACTIVATIONS[self.op][1](self.x, None, **self.params)
        return (g * d).astype(g.dtype, copy=False)

    def backward_t(self, g):
        x = self.parents[0]
        smooth = SMOOTH_DERIVATIVES.get(self.op)
        if smooth is not None:
            return g * smooth(x, **self.params)
        d = np.broadcast_to(ACTIVATIONS[self.op][1](self.x, None, **self.params), self.x.shape)
        return _MaskedGrad.apply(g, x, d=d)

    def name(self):
        return "".join(w.capitalize() for w in self.op.split("_")) + "Backward0"


def _leaky_relu_result_grad(y, negative_slope):
    if negative_slope < 0:
        raise RuntimeError("In-place leakyReLu backward calculation is triggered with a negative slope which is "
                           "not supported. This is caused by calling in-place forward function with a negative "
                           "slope, please call out-of-place version instead.")
    return np.where(y > 0, 1, negative_slope)


# The in-place forms torch differentiates from the result (it overwrote the input): derivative(y, **params),
# taking the negative branch at y == 0 as the rows above do at x == 0.
RESULT_DERIVATIVES = {
    "elu": lambda y, alpha: np.where(y > 0, 1, y + alpha),
    "selu": lambda y: np.where(y > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA),
    "celu": lambda y, alpha: np.where(y > 0, 1, (y + alpha) / alpha),
    "leaky_relu": _leaky_relu_result_grad,
}
_RESULT_NAMES = {"elu": "EluBackward1", "selu": "EluBackward1", "celu": "CeluBackward1",
                 "leaky_relu": "LeakyReluBackward1"}


class _PointwiseFromResult(_Pointwise):
    """An in-place activation inside a graph (``inplace=True``): the backward reads the result, as
    torch's in-place forms do, so changing the input after it (which is the result) raises and
    changing the original values does not matter."""
    saved = ()
    saves_output = True

    def forward(self, x, name, params):
        self.op, self.params = name, params
        self.y = super().forward(x, name, params)
        return self.y

    def backward(self, g):
        d = RESULT_DERIVATIVES[self.op](self.y, **self.params)
        return (g * d).astype(g.dtype, copy=False)

    def backward_t(self, g):
        # NOTE: the in-place forward made the input hold the result: parents[0] is y now (Tensor._inplace_from),
        # and its grad_fn is this node, so a gradient through y flows back through this node, as in torch.
        y = self.parents[0]
        if self.op == "leaky_relu":
            return _MaskedGrad.apply(g, y, d=RESULT_DERIVATIVES["leaky_relu"](self.y, **self.params))
        alpha = self.params.get("alpha", 1.0)
        pos = _const(y, self.y > 0)
        if self.op == "elu":
            return g * (pos + (1 - pos) * (y + alpha))
        if self.op == "selu":
            return g * (pos * _SELU_SCALE + (1 - pos) * (y + _SELU_SCALE * _SELU_ALPHA))
        return g * (pos + (1 - pos) * (y + alpha) / alpha)  # celu

    def name(self):
        return _RESULT_NAMES[self.op]


def _activation(name, input, inplace=False, **params):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        # torch's integer rules: hardtanh clamps integers, the composite ones promote, the rest refuse
        if name == "hardtanh" and input._data.dtype != np.bool_:
            out = Tensor._make(np.clip(input._data, params["min_val"], params["max_val"]).astype(input._data.dtype))
            return _write_back(input, out) if inplace else out
        if name in ("softsign", "tanhshrink"):
            input = input.to(_dtype.get_default_dtype())
        else:
            kernel = "log_sigmoid" if name == "logsigmoid" else name
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for '
                                      f"'{_LEGACY_TYPE[input._data.dtype.name][:-6]}'")
    if name == "tanhshrink":  # torch's composite: its backward reads tanh(x), not x
        return input - ops.tanh(input)
    cls = _PointwiseFromResult if inplace and name in RESULT_DERIVATIVES else _Pointwise
    out = cls.apply(input, name=name, params=params)
    return _write_back(input, out) if inplace else out


def _write_back(input, out):
    """inplace=True: ``input`` takes the result computed out of place and is returned, with its
    version bumped and, inside a graph, its grad_fn rebased onto the result's (Tensor._inplace_from,
    torch's semantics: a leaf that requires grad raises)."""
    inplace = getattr(input, "_inplace_from", None)
    if inplace is not None:
        return inplace(out)
    from mytorch.autograd import grad_mode
    if input._requires_grad and grad_mode.enabled:
        return out
    input._data[...] = out._data
    return input


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1). Default alpha: ``1.0``."""
    return _activation("elu", input, inplace, alpha=alpha)


def elu_(input, alpha=1.0):
    """In-place elu."""
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (alpha 1.6733, scale 1.0507)."""
    return _activation("selu", input, inplace)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). Default alpha: ``1.0``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _activation("celu", input, inplace, alpha=alpha)


def silu(input, inplace=False):
    """x * sigmoid(x) (swish)."""
    return _activation("silu", input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _activation("mish", input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear where beta x > ``threshold``. Defaults: ``1.0``, ``20.0``."""
    return _activation("softplus", input, beta=beta, threshold=threshold)


def softsign(input):
    """x / (1 + |x|)."""
    return _activation("softsign", input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val). Defaults: ``-1.0``, ``1.0``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation("hardtanh", input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """clamp(x / 6 + 1/2, 0, 1)."""
    return _activation("hardsigmoid", input, inplace)


def hardswish(input, inplace=False):
    """x * hardsigmoid(x)."""
    return _activation("hardswish", input, inplace)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return _activation("logsigmoid", input)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0. Default lambd: ``0.5``."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _activation("softshrink", input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0. Default lambd: ``0.5``."""
    return _activation("hardshrink", input, lambd=lambd)


def tanhshrink(input):
    """x - tanh(x)."""
    return _activation("tanhshrink", input)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    return _activation("threshold", input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    """In-place threshold."""
    return _activation("threshold", input, True, threshold=threshold, value=value)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x. Default negative_slope: ``0.01``."""
    return _activation("leaky_relu", input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place leaky_relu."""
    return leaky_relu(input, negative_slope, True)


def relu_(input):
    """In-place relu."""
    return relu(input, inplace=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a random slope in [lower, upper] per element in training, (lower+upper)/2 in eval."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from mytorch.random import rng
    x = input._data
    slope = rng().uniform(lower, upper, x.shape).astype(x.dtype)
    out = input * Tensor._make(np.where(x >= 0, 1, slope).astype(x.dtype))
    return _write_back(input, out) if inplace else out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place rrelu."""
    return rrelu(input, lower, upper, training, True)


class PRelu(Function):
    """max(0, x) + w * min(0, x) with a learnt slope w broadcast along the channel dim."""
    saved = ((0, None), (1, 0))

    def forward(self, x, w):
        self.x, self.w = x, w
        return np.where(x > 0, x, w * x).astype(x.dtype, copy=False)

    def backward(self, g):
        pos = self.x > 0
        return np.where(pos, g, g * self.w), np.where(pos, 0, g * self.x)

    def backward_t(self, g):
        x, w = self.parents
        pos = _const(x, self.x > 0)
        return g * (pos + (1 - pos) * w), g * (1 - pos) * x


def prelu(input, weight):
    """PReLU: ``weight`` has 1 element or one per channel (dim 1 of ``input``)."""
    n = weight.numel()
    if n != 1:
        if input.ndim == 0 or (input.shape[1] if input.ndim > 1 else input.shape[0]) != n:
            channels = input.shape[1] if input.ndim > 1 else (input.shape[0] if input.ndim else 1)
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
        if input.ndim > 1:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return PRelu.apply(input, weight)


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = _wrap_dim(dim, input.ndim)
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    lead = (slice(None),) * dim
    return input[lead + (slice(0, n // 2),)] * sigmoid(input[lead + (slice(n // 2, n),)])


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # Python floats keep float32 arrays in float32 (NEP 50)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Function):
    """x * Phi(x) with the exact normal CDF (erf), or torch's tanh approximation."""
    saved = ((0, None),)

    def forward(self, a, approximate):
        self.a, self.approximate = a, approximate
        if approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
            return (0.5 * a * (1 + self.t)).astype(a.dtype, copy=False)
        self.cdf = (0.5 * (1 + _erf(a * _INV_SQRT_2))).astype(a.dtype, copy=False)
        return a * self.cdf

    def backward(self, g):
        a = self.a
        if self.approximate == "tanh":
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return g * (0.5 * (1 + self.t) + 0.5 * a * (1 - self.t * self.t) * dinner).astype(g.dtype, copy=False)
        pdf = np.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return g * (self.cdf + a * pdf).astype(g.dtype, copy=False)

    def backward_t(self, g):
        x = self.parents[0]
        if self.approximate == "tanh":
            t = ops.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        return g * (_NormalCdf.apply(x) + x * ops.exp(-0.5 * x * x) * _INV_SQRT_2PI)


class _NormalCdf(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, for gelu's differentiable gradient; Phi' is the normal pdf."""

    def forward(self, a):
        self.a = a
        return (0.5 * (1 + _erf(a * _INV_SQRT_2))).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * (np.exp(-0.5 * self.a * self.a) * _INV_SQRT_2PI).astype(g.dtype, copy=False)

    def backward_t(self, g):
        x = self.parents[0]
        return g * ops.exp(-0.5 * x * x) * _INV_SQRT_2PI


_ERF_UFUNC = []


def _erf(x):
    """erf elementwise. NumPy has none: math.erf compiled into a ufunc by numba (built lazily on
    first use, cached on disk; ~20x faster than calling math.erf per element), else math.erf per
    element. NOTE: a shared home in kernels/ (with _pointwise's erf) would be better; see the
    NN report."""
    if not _ERF_UFUNC:
        try:
            import numba

            @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
            def erf_ufunc(v):
                return math.erf(v)
        except Exception:  # numba missing or unable to compile here: the exact slow path
            erf_ufunc = np.frompyfunc(math.erf, 1, 1)
        _ERF_UFUNC.append(erf_ufunc)
    x = np.asarray(x)
    out = _ERF_UFUNC[0](x if x.dtype in (np.float32, np.float64) else x.astype(np.float64))
    return np.asarray(out, dtype=x.dtype if x.dtype in (np.float32, np.float64) else np.float64)


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return Gelu.apply(input, approximate=approximate)


def linear(input, weight, bias=None):
    """input @ weight.T + bias, with weight (out_features, in_features) as in torch."""
    if input.shape[-1] != weight.shape[-1]:
        a = "x".join(map(str, (int(np.prod(input.shape[:-1])), input.shape[-1])))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a} and {weight.shape[1]}x{weight.shape[0]})")
    out = ops.matmul(input, weight.t())
    return out if bias is None else out + bias


class LogSoftmax(Function):
    """log_softmax as one primitive: forward x - max - log(sum(exp(x - max))), backward
    g - softmax * sum(g). Measured 1.9x faster than the 6-node composite at (64, 10), 1.1x at
    (256, 1000) (benchmarks/fused_ops.py)."""
    saves_output = True

    def forward(self, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.dim = dim
        return self.out

    def backward(self, g):
        return g - np.exp(self.out) * g.sum(axis=self.dim, keepdims=True)

    def backward_t(self, g):
        p = Softmax.apply(self.parents[0], dim=self.dim)
        return g - p * (ops.sum(g, dim=self.dim, keepdim=True) if self.dim is not None else ops.sum(g))


def _softmax_dim(name, ndim, dim):
    if dim is None:
        import warnings
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1  # torch's legacy implicit choice
    return _wrap_dim(dim, max(ndim, 1))


def _softmax_input(input, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for '
                           f"'{_LEGACY_TYPE[input._data.dtype.name][:-6]}'")
    return input


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Numerically stable log(softmax(x)) along ``dim``."""
    input = _softmax_input(input, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim=_softmax_dim("log_softmax", input.ndim, dim) if input.ndim else None)


class Softmax(Function):
    """softmax as one primitive: backward y * (g - sum(g * y))."""
    saves_output = True

    def forward(self, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        self.out = e / e.sum(axis=dim, keepdims=True)
        self.dim = dim
        return self.out

    def backward(self, g):
        y = self.out
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True))

    def backward_t(self, g):
        y = Softmax.apply(self.parents[0], dim=self.dim)
        gy = g * y
        return y * (g - (ops.sum(gy, dim=self.dim, keepdim=True) if self.dim is not None else ops.sum(gy)))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed from x - max(x)."""
    input = _softmax_input(input, dtype, "softmax")
    return Softmax.apply(input, dim=_softmax_dim("softmax", input.ndim, dim) if input.ndim else None)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    input = _softmax_input(input, dtype, "softmax")
    return Softmax.apply(-input, dim=_softmax_dim("softmin", input.ndim, dim) if input.ndim else None)


def one_hot(tensor, num_classes=-1):
    """Integer class indices (*) -> (*, num_classes) int64 one-hot rows; num_classes=-1 infers max + 1."""
    if tensor.dtype.is_floating_point or tensor.dtype is _dtype.bool_:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    t = tensor._data
    if num_classes == -1:
        num_classes = int(t.max()) + 1 if t.size else 0
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}) and non-negative")
    return Tensor._make(np.eye(num_classes, dtype=np.int64)[t])


def selu_(input):
    """In-place selu."""
    return selu(input, True)


def celu_(input, alpha=1.0):
    """In-place celu."""
    return celu(input, alpha, True)
