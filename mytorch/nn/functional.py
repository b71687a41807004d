"""torch.nn.functional: activations, normalization, dropout, padding, resampling, attention,
embeddings and losses; convolution and pooling are re-exported from mytorch.nn._conv (the kernels
side of the API).

Pointwise activations are rows of one table (ACTIVATIONS: forward and derivative on ndarrays) run
by one primitive. Softmax, normalization, binary cross-entropy, embedding lookups, resampling,
fold/unfold and CTC are fused primitives with closed-form backwards; the rest are compositions
whose gradients come from the engine.
"""
import math

import numpy as np

from mytorch import _dtype, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim
from mytorch.nn import _conv
from mytorch.nn._conv import *  # noqa: F401,F403  (convolution and pooling: the kernels side)

__all__ = list(_conv.__all__) + ["pad", "relu", "relu_", "leaky_relu", "leaky_relu_", "sigmoid", "tanh", "gelu",
           "linear", "softmax", "log_softmax", "softmin", "dropout", "one_hot", "batch_norm", "embedding", "elu",
           "elu_", "selu", "celu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_", "relu6",
           "hardsigmoid", "hardswish", "logsigmoid", "softshrink", "hardshrink", "tanhshrink", "threshold",
           "threshold_", "rrelu", "rrelu_", "prelu", "glu", "nll_loss", "cross_entropy", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss", "kl_div",
           "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss", "pairwise_distance",
           "cosine_similarity", "normalize", "cosine_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "layer_norm", "rms_norm",
           "group_norm", "instance_norm", "local_response_norm", "dropout1d", "dropout2d", "dropout3d",
           "alpha_dropout", "feature_alpha_dropout", "interpolate", "upsample", "upsample_nearest",
           "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "unfold", "fold", "bilinear", "scaled_dot_product_attention", "multi_head_attention_forward",
           "affine_grid", "grid_sample", "embedding_bag", "gumbel_softmax", "pdist", "selu_", "celu_", "ctc_loss"]


class Pad(Function):
    """Constant padding (np.pad); the backward crops the gradient back."""

    def forward(self, a, widths, value):
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return np.pad(a, widths, constant_values=value)

    def backward(self, g):
        return g[self.crop]


class _SavedInput(Function):
    """The identity, declaring that its input is saved: a composite whose torch form is one
    primitive that saves the input (soft_margin_loss, binary_cross_entropy_with_logits,
    multi_margin_loss) passes the input through it first, so that changing the input in place
    after the call raises torch's error at backward. The output shares the input's memory; the
    composites use it only internally."""
    saved = ((0, None),)

    def forward(self, x):
        return x

    def backward(self, g):
        return g

    backward_t = backward  # create_graph=True: the identity's backward is differentiable as it is


class _SavedInputAndTarget(Function):
    """_SavedInput for a loss whose torch primitive saves the target too: ``apply(input, target)``
    returns the input (the target gets no gradient here; the composite differentiates it)."""
    saved = ((0, None), (1, None))

    def forward(self, x, target):
        return x

    def backward(self, g):
        return g, None

    backward_t = backward


# ---------------------------------------------------------------------------- activations
sigmoid = ops.sigmoid
tanh = ops.tanh


def relu(input, inplace=False):
    """max(0, x); ``inplace`` writes into ``input`` (out of place inside a graph until in-place autograd exists)."""
    out = ops.relu(input)
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


class _Pointwise(Function):
    """One row of ACTIVATIONS as a primitive: one pass forward, one for the exact derivative."""
    saved = ((0, None),)  # the backward reads x (for the version check)

    def forward(self, x, name, params):
        self.x, self.op, self.params = x, name, params
        return np.asarray(ACTIVATIONS[name][0](x, **params)).astype(x.dtype, copy=False)

    def backward(self, g):
        d = ACTIVATIONS[self.op][1](self.x, None, **self.params)
        return (g * d).astype(g.dtype, copy=False)

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


# ---------------------------------------------------------------------------- embedding
_LEGACY_TYPE = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
                "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                "bool": "BoolTensor"}


def _legacy_type_name(t):
    return "torch." + _LEGACY_TYPE.get(t._data.dtype.name, t._data.dtype.name)


def _scatter_add_rows(index, rows, num_rows):
    """out[index[i]] += rows[i] for a flat int index and rows (n, D): one stable sort and one
    reduceat (np.add.at would do a Python-speed scatter per element)."""
    out = np.zeros((num_rows,) + rows.shape[1:], dtype=rows.dtype)
    if index.size == 0:
        return out
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_index[1:] != sorted_index[:-1])))
    out[sorted_index[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Function):
    """weight[indices] as one primitive; the backward scatter-adds the rows' gradients, skips the
    padding row and divides by each index's count under ``scale_grad_by_freq``. The indices are an
    input (no gradient) so that changing them in place before backward raises, as in torch."""
    saved = ((1, None),)

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        indices = indices.astype(np.intp, copy=False)
        self.indices, self.num_rows = indices, weight.shape[0]
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, g):
        flat = self.indices.reshape(-1)
        rows = g.reshape((flat.size,) + g.shape[self.indices.ndim:])
        if self.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=self.num_rows)
            rows = rows / counts[flat].astype(rows.dtype).reshape((-1,) + (1,) * (rows.ndim - 1))
        out = _scatter_add_rows(flat, rows, self.num_rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out, None


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rows of ``weight`` looked up by ``indices`` rescaled in place to p-norm <= max_norm (torch's
    embedding_renorm_: scale max_norm / (norm + 1e-7))."""
    w = weight._data
    rows = np.unique(indices)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1) if w.ndim == 2 else \
        np.abs(w[rows]).astype(np.float64)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale.reshape((-1,) + (1,) * (w.ndim - 1))
        if hasattr(weight, "_version"):
            weight._version += 1  # an in-place change: graphs that saved the weight must notice, as in torch


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) looked up by the integer tensor ``input``.

    Args:
        padding_idx: this row gets no gradient. Default: ``None``.
        max_norm: looked-up rows with a larger ``norm_type``-norm are renormalised in place. Default: ``None``.
        scale_grad_by_freq: divide gradients by the index's frequency in the batch. Default: ``False``.
        sparse: accepted; gradients are dense.

    Shape:
        input (*) -> output (*, embedding_dim).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'input' must be Tensor, not {type(input).__name__}")
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_legacy_type_name(input)} instead (while checking arguments for "
                           "embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got {weight.ndim}-D")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):  # NOTE: torch refuses negative indices here
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx.astype(np.intp, copy=False), max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embeddings: rows of a 2-D ``input`` are bags, or a 1-D
    ``input`` is cut into bags at ``offsets``. Entries equal to ``padding_idx`` are left out."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        B, L = input.shape
        flat = input.reshape(-1)
        bag = np.repeat(np.arange(B), L)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = offsets._data.astype(np.int64)
        n = input.shape[0]
        if include_last_offset:
            off, B = off, len(off) - 1
            starts = off[:-1]
        else:
            B, starts = len(off), off
        if B and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {starts[0]}")
        flat = input
        bag = np.searchsorted(starts, np.arange(n), side="right") - 1 if B else np.zeros(0, np.int64)
        if include_last_offset and len(off):
            bag = np.where(np.arange(n) >= off[-1], -1, bag)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    idx = flat._data.astype(np.int64)
    keep = bag >= 0
    if padding_idx is not None:
        pad_row = padding_idx if padding_idx >= 0 else weight.shape[0] + padding_idx
        keep = keep & (idx != pad_row)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)  # (n, D)
    dtype = weight._data.dtype
    D = weight.shape[1]
    if mode == "max":
        kept = np.flatnonzero(keep)  # bags are contiguous runs: one reduceat per statistic
        values = rows._data[kept]
        kb = bag[kept]
        arg = np.zeros((B, D), np.int64)
        nonempty = np.zeros(B, bool)
        if kept.size:
            starts = np.flatnonzero(np.concatenate(([True], kb[1:] != kb[:-1])))
            best = np.maximum.reduceat(values, starts, axis=0)
            segment = np.cumsum(np.concatenate(([0], (kb[1:] != kb[:-1]).astype(np.int64))))
            position = np.where(values == best[segment], kept[:, None], np.iinfo(np.int64).max)
            arg[kb[starts]] = np.minimum.reduceat(position, starts, axis=0)
            nonempty[kb[starts]] = True
        gathered = rows[Tensor._make(arg), Tensor._make(np.broadcast_to(np.arange(D), (B, D)).copy())]
        return gathered * Tensor._make(nonempty.astype(dtype)[:, None])
    S = np.zeros((B, len(idx)), dtype)
    S[bag[keep], np.flatnonzero(keep)] = 1
    if mode == "mean":
        counts = S.sum(1, keepdims=True)
        S = S / np.maximum(counts, 1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    return ops.matmul(Tensor._make(S), rows)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / tau); ``hard`` returns one-hot samples whose gradient is the soft one's."""
    from mytorch.random import rng
    gumbels = Tensor._make((-np.log(rng().exponential(1.0, tuple(logits.shape)))).astype(logits._data.dtype))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = _wrap_dim(dim, logits.ndim)
    index = y_soft._data.argmax(axis=d)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, np.expand_dims(index, d), 1.0, axis=d)
    return Tensor._make(y_hard) - y_soft.detach() + y_soft


def pdist(input, p=2):
    """p-norm distances between the rows of (N, M) input, the upper triangle flattened: (N (N - 1) / 2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], k=1)
    diff = input[Tensor._make(i)] - input[Tensor._make(j)]
    return _norm(diff, p, -1)


def selu_(input):
    """In-place selu."""
    return selu(input, True)


def celu_(input, alpha=1.0):
    """In-place celu."""
    return celu(input, alpha, True)


# ---------------------------------------------------------------------------- batch norm
class BatchNorm(Function):
    """Training-mode batch norm as one primitive: one pass for the statistics, one for the
    output, and the closed-form backward (two reductions) instead of a ~15-node graph. The backward
    reads its own xhat, but torch's reads the input: ``saved`` declares it so that changing the
    input in place afterwards raises as in torch."""
    saved = ((0, None),)

    def forward(self, x, *affine, axes, eps, stats):
        self.axes = axes
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        self.shape = shape
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        self.invstd = 1.0 / np.sqrt(var + eps)
        self.xhat = centred * self.invstd
        stats.extend((mean.reshape(-1), var.reshape(-1)))  # for the running statistics, even under no_grad
        self.weight = affine[0].reshape(shape) if affine else None
        out = self.xhat
        if affine:
            out = out * self.weight + affine[1].reshape(shape)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        n = g.size // g.shape[1]
        dxhat = g * self.weight if self.weight is not None else g
        sum_d = dxhat.sum(axis=self.axes, keepdims=True)
        sum_dx = (dxhat * self.xhat).sum(axis=self.axes, keepdims=True)
        dx = (self.invstd / n) * (n * dxhat - sum_d - self.xhat * sum_dx)
        if self.weight is None:
            return dx
        return dx, (g * self.xhat).sum(axis=self.axes), g.sum(axis=self.axes)


class BatchNormAffine(BatchNorm):
    """BatchNorm with weight and bias: the backward reads the weight (for the version check)."""
    saved = ((0, None), (1, 0))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every dim but the channel dim (1).

    In training mode the batch statistics normalise the input and update the running buffers in
    place: ``running = (1 - momentum) * running + momentum * batch`` with the unbiased variance, as
    torch does. In eval mode the running statistics are used."""
    if input.ndim < 2:
        raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        affine = (weight, bias) if weight is not None else ()
        if weight is not None and bias is None:
            from mytorch.creation import zeros
            affine = (weight, zeros(C, dtype=weight.dtype))
        stats = []
        fn_out = (BatchNormAffine if affine else BatchNorm).apply(input, *affine, axes=axes, eps=eps, stats=stats)
        if running_mean is not None and momentum is not None:
            mean, var = stats
            m = momentum
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean
            running_var._data[...] = (1 - m) * running_var._data + m * var * (n / (n - 1))
        return fn_out
    shape = [1] * input.ndim
    shape[1] = C
    input = _SavedInput.apply(input)  # torch's eval-mode batch norm saves the input too
    out = (input - running_mean.detach().reshape(shape)) / ops.sqrt(running_var.detach().reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---------------------------------------------------------------------------- normalization layers
class Standardize(Function):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance) as one primitive; the backward
    is the closed form invstd / n * (n g - sum(g) - xhat * sum(g xhat)). ``saved``: torch's layer,
    group and instance norms save the input (see BatchNorm)."""
    saved = ((0, None),)

    def forward(self, x, axes, eps, stats=None):
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        self.invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        self.xhat = centred * self.invstd
        self.axes = axes
        self.n = int(np.prod([x.shape[a] for a in axes]))
        if stats is not None:
            stats.extend((mean, var))
        return self.xhat

    def backward(self, g):
        n, xhat, axes = self.n, self.xhat, self.axes
        sum_g = g.sum(axis=axes, keepdims=True)
        sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
        return (self.invstd / n) * (n * g - sum_g - xhat * sum_gx)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing ``normalized_shape`` dims, then ``* weight + bias``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    out = Standardize.apply(input, axes=tuple(range(input.ndim - k, input.ndim)), eps=eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing dims, times ``weight``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    out = input * ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def _channel_shape(input, C):
    return (C,) + (1,) * (input.ndim - 2)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises each sample's channels in ``num_groups`` groups, then a per-channel affine."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    N, C = input.shape[0], input.shape[1]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    grouped = input.reshape(N, num_groups, -1)
    out = Standardize.apply(grouped, axes=(2,), eps=eps).reshape(tuple(input.shape))
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input, C))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(input, C))
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each (sample, channel) over its spatial dims; the running statistics, if given,
    move towards the batch average of the per-instance statistics (unbiased variance), as torch."""
    if input.ndim < 3:
        raise ValueError(f"expected at least 3D input (got {input.ndim}D input)")
    C = input.shape[1]
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = tuple(range(2, input.ndim))
    n = int(np.prod(input.shape[2:]))
    if n <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    stats = []
    out = Standardize.apply(input, axes=spatial, eps=eps, stats=stats)
    if running_mean is not None and momentum is not None:
        mean, var = stats
        m = momentum
        running_mean._data[...] = (1 - m) * running_mean._data + m * mean.reshape(input.shape[0], C).mean(0)
    if running_var is not None and momentum is not None:
        mean, var = stats
        unbiased = var.reshape(input.shape[0], C) * (n / (n - 1))
        running_var._data[...] = (1 - momentum) * running_var._data + momentum * unbiased.mean(0)
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input, C))
    if bias is not None:
        out = out + bias.reshape(_channel_shape(input, C))
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (zero-padded window)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    C = input.shape[1]
    sq = input * input
    widths = [0] * (2 * (input.ndim - 2)) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    lead = (slice(None),)
    window = padded[lead + (slice(0, C),)]
    for j in range(1, size):
        window = window + padded[lead + (slice(j, j + C),)]
    div = (window * (alpha / size) + k) ** beta
    return input / div


# ---------------------------------------------------------------------------- dropout family
def _bernoulli_keep(shape, p, dtype):
    from mytorch.random import rng
    return (rng().random(shape, dtype=np.float32) >= np.float32(p)).astype(dtype)


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _masked(input, mask, inplace):
    out = input * Tensor._make(mask)
    return _write_back(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    dtype = input._data.dtype if input._data.dtype.kind == "f" else np.float32
    if p == 1.0:
        return _masked(input, np.zeros((), dtype), inplace)
    keep = _bernoulli_keep(tuple(input.shape), p, dtype)
    return _masked(input, keep * dtype.type(1.0 / (1.0 - p)), inplace)


def _feature_dropout(input, p, training, inplace, alpha):
    """Drops whole channels: one draw per (sample, channel), broadcast over the spatial dims."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    dtype = input._data.dtype
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = _bernoulli_keep(mask_shape, p, dtype) if p < 1 else np.zeros(mask_shape, dtype)
    if not alpha:
        return _masked(input, keep / dtype.type(1 - p) if p < 1 else keep, inplace)
    return _alpha_apply(input, keep, p, inplace)


_ALPHA_PRIME = 1.7580993408473766  # SELU's -scale * alpha: the value a dropped SELU unit saturates to


def _alpha_apply(input, keep, p, inplace):
    """x * keep * a + (keep - 1) * alpha' * a + alpha' * a * p (torch's affine correction keeps mean 0, var 1)."""
    if p == 1:
        return _masked(input, np.zeros((), input._data.dtype), inplace)
    a = 1.0 / np.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    dtype = input._data.dtype
    b = ((keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p).astype(dtype)
    out = input * Tensor._make((keep * a).astype(dtype)) + Tensor._make(b)
    return _write_back(input, out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value, then an affine map
    restores zero mean and unit variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _alpha_apply(input, _bernoulli_keep(tuple(input.shape), p, input._data.dtype), p, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels."""
    return _feature_dropout(input, p, training, inplace, alpha=True)


def _unbatched_feature_dropout(input, p, training, inplace, batched_dim):
    if input.ndim == batched_dim - 1:
        out = _feature_dropout(input.unsqueeze(0), p, training, False, alpha=False)
        out = out.squeeze(0) if out is not input else out
        if out is input or not training or p == 0:
            return input
        return _write_back(input, out) if inplace else out
    return _feature_dropout(input, p, training, inplace, alpha=False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched_feature_dropout(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input (a 3-D input is taken as (N, C, L), as torch)."""
    _check_p(p)
    import warnings
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, alpha=False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        import warnings
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on "
                      "inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", UserWarning, stacklevel=2)
    return _unbatched_feature_dropout(input, p, training, inplace, 5)


# ---------------------------------------------------------------------------- padding
class _Gather(Function):
    """x indexed along each dim by an integer array (one per dim, None for all): the forward of
    reflect/replicate/circular padding and of nearest upsampling; the backward scatter-adds."""

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        out = x
        for d, idx in enumerate(index):
            if idx is not None:
                out = np.take(out, idx, axis=d)
        return out

    def backward(self, g):
        for d in reversed(range(len(self.index))):
            idx = self.index[d]
            if idx is None:
                continue
            moved = np.moveaxis(g, d, 0)
            acc = np.zeros((self.shape[d],) + moved.shape[1:], dtype=g.dtype)
            if idx.size and (idx[1:] >= idx[:-1]).all():
                # sorted (nearest resampling): one reduceat over runs instead of np.add.at's slow loop
                starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
                acc[idx[starts]] = np.add.reduceat(moved, starts, axis=0)
            else:
                np.add.at(acc, idx, moved)
            g = np.moveaxis(acc, 0, d)
        return g


_NP_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_index(n, lo, hi, mode, dim):
    """Source indices along one dim. As torch: reflect and replicate pad the whole dim and then
    crop negative widths; circular crops first and wraps what is left."""
    if mode == "reflect" and max(lo, hi) >= n:
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({lo}, {hi}) at dimension {dim} of input {n}")
    if mode == "replicate" and n == 0:
        raise RuntimeError("padding size is expected to be non-empty")
    if mode == "circular":
        idx = np.arange(n)[max(-lo, 0): n - max(-hi, 0)]
        if max(lo, 0) > len(idx) or max(hi, 0) > len(idx):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        return np.pad(idx, (max(lo, 0), max(hi, 0)), mode="wrap")
    idx = np.pad(np.arange(n), (max(lo, 0), max(hi, 0)), mode=_NP_PAD_MODE[mode])
    return idx[max(-lo, 0): len(idx) - max(-hi, 0)]


def pad(input, pad, mode="constant", value=None):
    """Pads the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) pairs from the last dim.

    Args:
        mode: ``'constant'`` (negative widths crop), ``'reflect'``, ``'replicate'`` or ``'circular'``
            (the last 1, 2 or 3 dims of a batched or unbatched input). Default: ``'constant'``.
        value: the fill for constant padding. Default: ``0``.
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k)]  # pairs[i] pads dim -1 - i
    if mode == "constant":
        widths = [(0, 0)] * input.ndim
        crop = [slice(None)] * input.ndim
        for i, (lo, hi) in enumerate(pairs):
            d = input.ndim - 1 - i
            n = input.shape[d]
            if n + lo + hi < 0:
                raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                                   f"output size, which is invalid. Check dimension {d} of your input.")
            widths[d] = (max(lo, 0), max(hi, 0))
            crop[d] = slice(max(-lo, 0), n - max(-hi, 0))
        x = input[tuple(crop)] if any(s != slice(None) for s in crop) else input
        if not any(w != (0, 0) for w in widths):
            return x
        return Pad.apply(x, widths=tuple(widths), value=0.0 if value is None else value)
    if mode not in _NP_PAD_MODE:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise AssertionError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (k + 1 <= input.ndim <= k + 2) or k > 3:
        raise NotImplementedError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
                                  if k > 3 or input.ndim > 5 else
                                  f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                                  f"other non-zero dimensions for input, but got: {list(input.shape)}")
    index = [None] * input.ndim
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        n = input.shape[d]
        if n + lo + hi < 1 and k == 1 and mode != "circular":  # (torch's 2-D/3-D kernels return empty)
            letter = "WHD"[i]
            raise RuntimeError(f"input ({letter}: {n}) is too small. Calculated output {letter}: {n + lo + hi}")
        index[d] = _pad_index(n, lo, hi, mode, d)
    if mode != "circular":  # torch's reflection and replication pads save the input
        input = _SavedInput.apply(input)
    return _Gather.apply(input, index=tuple(index))


# ---------------------------------------------------------------------------- resampling
class _AxisMatrices(Function):
    """Applies a matrix M_d (out_d, in_d) along each spatial dim d (linear, cubic, area, nearest
    resampling are all separable); the backward applies each M_d transposed."""

    def forward(self, x, mats):
        self.mats = mats
        for d, m in mats:
            x = np.moveaxis(np.moveaxis(x, d, -1) @ m.T.astype(x.dtype, copy=False), -1, d)
        return np.ascontiguousarray(x)

    def backward(self, g):
        for d, m in reversed(self.mats):
            g = np.moveaxis(np.moveaxis(g, d, -1) @ m.astype(g.dtype, copy=False), -1, d)
        return np.ascontiguousarray(g)


def _source_scale(in_n, out_n, align_corners, scale):
    """torch's area_pixel_compute_scale."""
    if align_corners:
        return (in_n - 1) / (out_n - 1) if out_n > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_n / out_n


def _linear_matrix(in_n, out_n, align_corners, scale):
    if in_n == out_n:  # NOTE: torch copies a dim whose size is unchanged, whatever the scale factor
        return np.eye(in_n)
    ratio = _source_scale(in_n, out_n, align_corners, scale)
    dst = np.arange(out_n, dtype=np.float64)
    real = ratio * dst if align_corners else np.maximum(ratio * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_n - 1)
    i1 = np.where(i0 < in_n - 1, i0 + 1, i0)
    lam = real - i0
    m = np.zeros((out_n, in_n))
    np.add.at(m, (np.arange(out_n), i0), 1 - lam)
    np.add.at(m, (np.arange(out_n), i1), lam)
    return m


def _cubic_matrix(in_n, out_n, align_corners, scale, A=-0.75):
    ratio = _source_scale(in_n, out_n, align_corners, scale)
    dst = np.arange(out_n, dtype=np.float64)
    real = ratio * dst if align_corners else ratio * (dst + 0.5) - 0.5
    base = np.floor(real).astype(np.int64)
    t = real - base
    cc1 = lambda x: ((A + 2) * x - (A + 3)) * x * x + 1  # noqa: E731  |x| <= 1
    cc2 = lambda x: ((A * x - 5 * A) * x + 8 * A) * x - 4 * A  # noqa: E731  1 < |x| < 2
    m = np.zeros((out_n, in_n))
    rows = np.arange(out_n)
    for offset, w in ((-1, cc2(t + 1)), (0, cc1(t)), (1, cc1(1 - t)), (2, cc2(2 - t))):
        np.add.at(m, (rows, np.clip(base + offset, 0, in_n - 1)), w)
    return m


def _nearest_index(in_n, out_n, scale, exact):
    """Source index of each output position along one dim, as torch's nearest / nearest-exact."""
    if not exact and out_n in (in_n, 2 * in_n):  # torch's shortcuts, taken whatever the scale factor
        return np.arange(out_n) // (out_n // in_n)
    # NOTE: torch computes the source index in float32
    ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_n) / np.float32(out_n)
    dst = np.arange(out_n, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * ratio if exact else dst * ratio).astype(np.int64)
    return np.minimum(src, in_n - 1)


def _area_matrix(in_n, out_n):
    m = np.zeros((out_n, in_n))
    for i in range(out_n):
        start, end = (i * in_n) // out_n, -(-((i + 1) * in_n) // out_n)
        m[i, start:end] = 1.0 / (end - start)
    return m


_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    Args:
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'``/``'bicubic'``
            (4-D), ``'trilinear'`` (5-D) or ``'area'``. Default: ``'nearest'``.
        align_corners: for the interpolating modes, map corner pixel centres onto each other. Default: ``False``.
        recompute_scale_factor: compute the coordinate scale from the output size rather than
            ``scale_factor``. Default: ``None`` (use ``scale_factor``).
    """
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("antialias=True is not supported")
    dim = input.ndim - 2
    if dim < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D)")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != dim:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = [int(n) for n in input.shape[2:]]
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {in_sizes} and output size of {sizes}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        sizes = [int(s) for s in sizes]
        scales = [None] * dim
    elif scale_factor is not None:
        scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dim
        if len(scales) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {in_sizes} and scale_factor of shape {scales}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                             f"(s1, s2, ...,sK) format.")
        sizes = [int(np.floor(float(n) * float(s))) for n, s in zip(in_sizes, scales)]
        if recompute_scale_factor:
            scales = [None] * dim
        else:
            scales = [float(s) for s in scales]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        return _adaptive_avg_pool_nd(input, sizes)
    if mode in ("nearest", "nearest-exact"):  # a gather: exact for every dtype, integers included
        index = [None, None] + [_nearest_index(n_in, n_out, sc, mode == "nearest-exact")
                                for n_in, n_out, sc in zip(in_sizes, sizes, scales)]
        return _Gather.apply(input, index=tuple(index))
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"upsample_{mode}" not implemented for \'{_LEGACY_TYPE[input._data.dtype.name][:-6]}\'')
    mats = []
    for d, (n_in, n_out, sc) in enumerate(zip(in_sizes, sizes, scales)):
        m = _cubic_matrix(n_in, n_out, align_corners, sc) if mode == "bicubic" else \
            _linear_matrix(n_in, n_out, align_corners, sc)
        mats.append((d + 2, m))
    return _AxisMatrices.apply(input, mats=tuple(mats))


def _adaptive_avg_pool_nd(input, output_size):
    """Adaptive average pooling over every spatial dim (one averaging matrix per dim)."""
    mats = tuple((d + 2, _area_matrix(int(input.shape[d + 2]), int(n))) for d, n in enumerate(output_size))
    return _AxisMatrices.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (warns)."""
    import warnings
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", UserWarning)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated alias: interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated alias: interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class _Permuted(Function):
    """A reshape -> transpose -> reshape (pixel_shuffle, pixel_unshuffle, channel_shuffle) as one
    primitive; the backward runs the inverse."""

    def forward(self, x, split, perm, out_shape):
        self.in_shape, self.split, self.perm = x.shape, split, perm
        return np.ascontiguousarray(x.reshape(split).transpose(perm)).reshape(out_shape)

    def backward(self, g):
        inverse = np.argsort(self.perm)
        permuted = tuple(self.split[p] for p in self.perm)
        return np.ascontiguousarray(g.reshape(permuted).transpose(inverse)).reshape(self.in_shape)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    split = tuple(lead) + (c // (r * r), r, r, h, w)
    perm = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h}"
                           f" is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w}"
                           f" is not divisible by {r}")
    k = len(lead)
    split = tuple(lead) + (c, h // r, r, w // r, r)
    perm = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """(N, C, *) with C = g k -> channels reordered as (k, g)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    N, C, *rest = input.shape
    if C % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {C} channels and {groups} groups.")
    split = (N, groups, C // groups) + tuple(rest)
    perm = (0, 2, 1) + tuple(range(3, 3 + len(rest)))
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(input.shape))


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------- unfold / fold
def _pair2(v, name):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return tuple(int(a) for a in v)


def _unfold_np(xp, KH, KW, DH, DW, SH, SW, OH, OW):
    """Padded (N, C, H, W) -> (N, C, KH, KW, OH, OW) patches."""
    N, C = xp.shape[:2]
    cols = np.empty((N, C, KH, KW, OH, OW), dtype=xp.dtype)
    for i in range(KH):
        for j in range(KW):
            cols[:, :, i, j] = xp[:, :, i * DH: i * DH + SH * (OH - 1) + 1: SH, j * DW: j * DW + SW * (OW - 1) + 1: SW]
    return cols


def _fold_np(cols, HP, WP, KH, KW, DH, DW, SH, SW, OH, OW):
    """(N, C, KH, KW, OH, OW) patches summed back into a padded (N, C, HP, WP) image."""
    N, C = cols.shape[:2]
    out = np.zeros((N, C, HP, WP), dtype=cols.dtype)
    for i in range(KH):
        for j in range(KW):
            rows = slice(i * DH, i * DH + SH * (OH - 1) + 1, SH)
            out[:, :, rows, j * DW: j * DW + SW * (OW - 1) + 1: SW] += cols[:, :, i, j]
    return out


class _Unfold(Function):
    def forward(self, x, k, d, p, s, o):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = k, d, p, s, o
        self.geo, self.shape = (k, d, p, s, o), x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW))) if PH or PW else x
        cols = _unfold_np(xp, KH, KW, DH, DW, SH, SW, OH, OW)
        return cols.reshape(x.shape[0], -1, OH * OW)

    def backward(self, g):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = self.geo
        N, C, H, W = self.shape
        img = _fold_np(g.reshape(N, C, KH, KW, OH, OW), H + 2 * PH, W + 2 * PW, KH, KW, DH, DW, SH, SW, OH, OW)
        return img[:, :, PH:PH + H, PW:PW + W]


class _Fold(Function):
    def forward(self, cols, k, d, p, s, o, size):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = k, d, p, s, o
        H, W = size
        self.geo, self.size, self.cshape = (k, d, p, s, o), size, cols.shape
        N = cols.shape[0]
        img = _fold_np(cols.reshape(N, -1, KH, KW, OH, OW), H + 2 * PH, W + 2 * PW, KH, KW, DH, DW, SH, SW, OH, OW)
        return np.ascontiguousarray(img[:, :, PH:PH + H, PW:PW + W])

    def backward(self, g):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = self.geo
        gp = np.pad(g, ((0, 0), (0, 0), (PH, PH), (PW, PW))) if PH or PW else g
        return _unfold_np(gp, KH, KW, DH, DW, SH, SW, OH, OW).reshape(self.cshape)


def _blocks(size, k, d, p, s):
    return [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) input as columns: (N, C * KH * KW, L) (im2col)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s = (_pair2(v, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                            (padding, "padding"), (stride, "stride")))
    o = _blocks(input.shape[2:], k, d, p, s)
    if min(o) < 1:
        raise RuntimeError(f"Given input with spatial size ({input.shape[2]}, {input.shape[3]}), kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
                           f"({o[0]}, {o[1]}), but its components must be at least one.")
    return _Unfold.apply(input, k=k, d=d, p=p, s=s, o=tuple(o))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums (N, C * KH * KW, L) columns back into (N, C, H, W) (col2im), the adjoint of unfold."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.ndim}D)")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    size, k, d, p, s = (_pair2(v, n) for v, n in ((output_size, "output_size"), (kernel_size, "kernel_size"),
                                                  (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    o = _blocks(size, k, d, p, s)
    if input.shape[1] % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={input.shape[1]} and kernel_size={k}")
    if input.shape[2] != o[0] * o[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{o[0]} * {o[1]} = {o[0] * o[1]}, but got input.size(2)={input.shape[2]}.")
    return _Fold.apply(input, k=k, d=d, p=p, s=s, o=tuple(o), size=size)


# ---------------------------------------------------------------------------- bilinear
def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k for weight (out, in1, in2), over any leading dims."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {in1}" if input1.shape[-1] != in1 else
                           f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {in2}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = ops.matmul(x1, weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))


# ---------------------------------------------------------------------------- attention
def _float_mask(mask, dtype, name):
    """A boolean mask (True = masked out) as an additive float mask (-inf there), or a float mask as is."""
    if mask is None:
        return None
    m = mask._data
    if m.dtype == np.bool_:
        return Tensor._make(np.where(m, -np.inf, 0.0).astype(dtype))
    if m.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(_dtype.from_numpy_dtype(dtype)) if m.dtype != dtype else mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two dims (any leading batch dims).

    ``attn_mask``: boolean (True = may attend) or additive float, broadcast to (..., L, S);
    ``is_causal``: position i attends to positions <= i. Default ``scale``: 1 / sqrt(E)."""
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    scale_factor = 1 / np.sqrt(E) if scale is None else scale
    dtype = query._data.dtype
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        bias = Tensor._make(np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(dtype))
    if attn_mask is not None:
        m = attn_mask._data
        bias = Tensor._make(np.where(m, 0.0, -np.inf).astype(dtype)) if m.dtype == np.bool_ else attn_mask
    if enable_gqa and query.shape[-3] != key.shape[-3]:
        import mytorch
        rep = query.shape[-3] // key.shape[-3]
        key = mytorch.repeat_interleave(key, rep, dim=-3)
        value = mytorch.repeat_interleave(value, rep, dim=-3)
    # torch's math form: q and k each scaled by sqrt(scale) first, so the product saves the scaled
    # copies (changing query or key in place afterwards does not raise, as in torch)
    root = float(np.sqrt(abs(scale_factor)))
    scores = ops.matmul(query * root, key.transpose(-2, -1) * root)
    if scale_factor < 0:
        scores = -scores
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, value)


def _in_projection(x, w, b):
    return linear(x, w, b)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch's multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched (L, E)).

    Returns (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, or per head, or None)."""
    import mytorch
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal mask is applied by scaled_dot_product_attention
    else:
        is_causal = False
    if not use_separate_proj_weight:
        E = embed_dim
        w_q, w_k, w_v = in_proj_weight[0:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias[0:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
        else:
            b_q = b_k = b_v = None
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
        if in_proj_bias is not None:
            E = embed_dim
            b_q, b_k, b_v = in_proj_bias[0:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
        else:
            b_q = b_k = b_v = None
    q = _in_projection(query, w_q, b_q)
    k = _in_projection(key, w_k, b_k)
    v = _in_projection(value, w_v, b_v)
    dtype = q._data.dtype
    attn_mask = _float_mask(attn_mask, dtype, "attn_mask")
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {_torch_size(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {_torch_size(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        k = mytorch.cat([k, bias_k.repeat(1, bsz, 1)])
        v = mytorch.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((bsz * num_heads, 1, head_dim), dtype))
        k = mytorch.cat([k, zeros], dim=1)
        v = mytorch.cat([v, zeros], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{_torch_size(key_padding_mask.shape)}")
        kpm = _float_mask(key_padding_mask, dtype, "key_padding_mask")
        kpm = kpm.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = ops.matmul(q * float(np.sqrt(1.0 / head_dim)), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = ops.matmul(weights, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.reshape(bsz, -1, tgt_len, src_len) if attn_mask.shape[0] != 1 else \
            attn_mask.unsqueeze(0)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    return out, None


# ---------------------------------------------------------------------------- spatial transformer sampling
def _warn_align_corners(align_corners):
    if align_corners is None:
        import warnings
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", UserWarning, stacklevel=3)
        return False
    return align_corners


def _base_coords(n, align_corners, dtype):
    if align_corners:
        return np.linspace(-1, 1, n, dtype=np.float64).astype(dtype) if n > 1 else np.zeros(1, dtype)
    return ((np.arange(n, dtype=np.float64) * 2 + 1) / n - 1).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta`` (N, 2, 3) (or (N, 3, 4))
    over an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)), in [-1, 1] coordinates."""
    align_corners = _warn_align_corners(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    dtype = theta._data.dtype
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{list(theta.shape)}.")
        N, _, H, W = size
        xs, ys = _base_coords(W, align_corners, dtype), _base_coords(H, align_corners, dtype)
        base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1), dtype)), -1)  # (H, W, 3)
        spatial = (H, W)
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{list(theta.shape)}.")
        N, _, D, H, W = size
        xs, ys, zs = (_base_coords(n, align_corners, dtype) for n in (W, H, D))
        base = np.stack(np.broadcast_arrays(xs[None, None, :], ys[None, :, None], zs[:, None, None],
                                            np.ones((1, 1, 1), dtype)), -1)
        spatial = (D, H, W)
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    k = base.shape[-1]
    flat = Tensor._make(np.ascontiguousarray(base.reshape(1, -1, k)))
    grid = ops.matmul(flat, theta.transpose(1, 2))  # (N, prod(spatial), k - 1)
    return grid.reshape((N,) + spatial + (k - 1,))


def _reflect(x, twice_low, twice_high):
    """torch's reflect_coordinates, with d(out)/d(in) (+1 or -1)."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = x - low
    sign = np.where(d < 0, -1.0, 1.0)
    a = np.abs(d)
    extra, flips = np.fmod(a, span), np.floor(a / span)
    even = flips % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _source_coords(coord, size, align_corners, padding_mode):
    """Grid values in [-1, 1] -> pixel coordinates, with the padding mode's remapping and its derivative."""
    if align_corners:
        x, dx = (coord + 1) / 2 * (size - 1), np.full_like(coord, (size - 1) / 2)
    else:
        x, dx = ((coord + 1) * size - 1) / 2, np.full_like(coord, size / 2)
    if padding_mode == "reflection":
        x, d = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        dx = dx * d
    if padding_mode in ("border", "reflection"):
        inside = (x > 0) & (x < size - 1)
        dx = np.where(inside, dx, 0)
        x = np.clip(x, 0, size - 1)
    return x, dx


class GridSample2d(Function):
    """Bilinear or nearest sampling of (N, C, H, W) input at grid (N, OH, OW, 2) (x, y) locations;
    the backward scatter-adds into the input and differentiates the bilinear weights for the grid."""
    saved = ((0, None), (1, None))  # as torch's GridSampler2DBackward0

    def forward(self, x, grid, mode, padding_mode, align_corners):
        N, C, H, W = x.shape
        ix, dix = _source_coords(grid[..., 0].astype(np.float64), W, align_corners, padding_mode)
        iy, diy = _source_coords(grid[..., 1].astype(np.float64), H, align_corners, padding_mode)
        self.x, self.mode, self.grid_dtype = x, mode, grid.dtype
        self.dix, self.diy = dix, diy
        n_idx = np.arange(N)[:, None, None]
        xt = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if mode == "nearest":
            cx, cy = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
            self.taps = [(cy, cx, np.ones_like(ix), None, None)]
        else:
            x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
            tx, ty = ix - x0, iy - y0
            self.taps = [(y0, x0, (1 - tx) * (1 - ty), -(1 - ty), -(1 - tx)),
                         (y0, x0 + 1, tx * (1 - ty), (1 - ty), -tx),
                         (y0 + 1, x0, (1 - tx) * ty, -ty, (1 - tx)),
                         (y0 + 1, x0 + 1, tx * ty, ty, tx)]
        out = np.zeros(grid.shape[:3] + (C,), dtype=np.float64)
        self.values = []
        for cy, cx, w, _, _ in self.taps:
            valid = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
            v = xt[n_idx, np.clip(cy, 0, H - 1), np.clip(cx, 0, W - 1)] * valid[..., None]
            self.values.append((v, valid))
            out += w[..., None] * v
        self.n_idx = n_idx
        return out.transpose(0, 3, 1, 2).astype(x.dtype)

    def backward(self, g):
        N, C, H, W = self.x.shape
        gt = g.transpose(0, 2, 3, 1).astype(np.float64)  # (N, OH, OW, C)
        gx = np.zeros((N, H, W, C))
        gix = np.zeros(g.shape[:1] + g.shape[2:])
        giy = np.zeros_like(gix)
        n_full = np.broadcast_to(self.n_idx, gix.shape)
        for (cy, cx, w, dwx, dwy), (v, valid) in zip(self.taps, self.values):
            contrib = (w * valid)[..., None] * gt
            np.add.at(gx, (n_full[valid], cy[valid], cx[valid]), contrib[valid])
            if dwx is not None:
                gv = (gt * v).sum(-1)
                gix += dwx * gv
                giy += dwy * gv
        ggrid = np.stack([gix * self.dix, giy * self.diy], -1).astype(self.grid_dtype)
        return gx.transpose(0, 3, 1, 2).astype(self.x.dtype), ggrid


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples (N, C, H, W) ``input`` at the [-1, 1] locations of ``grid`` (N, OH, OW, 2).

    Args:
        mode: ``'bilinear'`` or ``'nearest'``. padding_mode: ``'zeros'``, ``'border'`` or ``'reflection'``.
        align_corners: -1 and 1 are the corner pixels' centres (True) or edges (False). Default: ``False``.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _warn_align_corners(align_corners)
    if input.ndim != 4 or grid.ndim != 4:
        raise NotImplementedError("grid_sample supports 4-D input and grid here (5-D volumetric sampling is not "
                                  "implemented)")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not implemented")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes "
                           f"{list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return GridSample2d.apply(input, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


# ---------------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def legacy_get_string(size_average, reduce, emit_warning=True):
    """torch's _Reduction.legacy_get_string: the old size_average/reduce flags as a reduction name."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        import warnings
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      UserWarning, stacklevel=4)
    return ret


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return reduction


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    _check_reduction(reduction)
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


def _torch_size(shape):
    return f"torch.Size({list(shape)})"


def _warn_broadcast_target(input, target):
    """torch warns (and broadcasts) when an elementwise loss gets a target of another shape."""
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({_torch_size(target.shape)}) that is different to the input size "
                      f"({_torch_size(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=4)
        a, b = tuple(input.shape), tuple(target.shape)
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and 1 not in (a[i], b[i]):
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                   f"non-singleton dimension {i}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class-index targets given log-probabilities (N, C) or (N, C, d...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected target of an integer dtype (class indices), got {target.dtype}")
    batch = input.shape[0] if input.ndim > 1 else 1
    if (input.ndim > 1 and target.shape[0] != batch
            or (input.ndim > 2 and tuple(target.shape[1:]) != tuple(input.shape[2:]))):
        raise ValueError(f"Expected input batch_size ({batch}) to match target batch_size ({target.shape[0]})"
                         if target.shape[0] != batch else
                         f"Expected target size {[batch] + list(input.shape[2:])}, got {list(target.shape)}")
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    t = target._data.reshape(-1)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")
    if weight is not None and tuple(weight.shape) != (C,):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    dtype = input._data.dtype
    safe = np.where(valid, t, 0)
    w = np.ones(C, dtype=dtype) if weight is None else weight._data.astype(dtype, copy=False)
    sample_w = np.where(valid, w[safe], 0).astype(dtype)
    cdim = 1 if input.ndim > 1 else 0
    index_shape = list(input.shape)
    index_shape[cdim] = 1
    return NllLoss.apply(input, target, index=safe.reshape(index_shape), sample_w=sample_w.reshape(index_shape),
                         reduction=reduction, cdim=cdim, out_shape=tuple(target.shape))


class NllLoss(Function):
    """-weight[t] * logp[t] per sample, reduced, as one primitive: the forward gathers along the
    class dim, the backward scatters -weight / denominator back (no permute, gather and sum nodes).
    ``saved``: torch's backward takes the input and the target (mytorch's reads only the input's
    shape and the index made from the target), so the target is an input without a gradient."""
    saved = ((0, None), (1, None))

    def forward(self, x, target, index, sample_w, reduction, cdim, out_shape):
        self.shape, self.index, self.sample_w, self.reduction, self.cdim = x.shape, index, sample_w, reduction, cdim
        loss = -np.take_along_axis(x, index, axis=cdim) * sample_w
        if reduction == "none":
            return loss.reshape(out_shape)
        total = loss.sum(dtype=x.dtype)
        if reduction == "sum":
            return np.asarray(total)
        self.denom = sample_w.sum(dtype=x.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as torch
            return np.asarray(total / self.denom)

    def backward(self, g):
        if self.reduction == "none":
            per = g.reshape(self.index.shape)
        elif self.reduction == "sum":
            per = g
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                per = g / self.denom
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(grad, self.index, (-per * self.sample_w).astype(g.dtype, copy=False), axis=self.cdim)
        return grad, None

    def name(self):
        return "NllLoss2DBackward0" if len(self.shape) > 2 else "NllLossBackward0"


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax + nll_loss for class-index targets, or the soft cross-entropy for class
    probabilities (a float target shaped like the input); with torch's label smoothing."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    class_dim = 1 if input.ndim > 1 else 0
    logp = log_softmax(input, class_dim)
    C = input.shape[class_dim]
    if target.dtype.is_floating_point:
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected floating point target to have the same shape as input "
                               f"{list(input.shape)}, got {list(target.shape)}")
        probs = target * (1 - label_smoothing) + label_smoothing / C if label_smoothing else target
        weighted = logp * probs
        if weight is not None:
            shape = [1] * input.ndim
            shape[class_dim] = C
            weighted = weighted * weight.reshape(shape)
        loss = -weighted.sum(dim=class_dim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if loss.ndim else 1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    shape = [1] * input.ndim
    shape[class_dim] = C
    per_class = logp if weight is None else logp * weight.reshape(shape)
    smooth = -per_class.sum(dim=class_dim) / C  # (N, d...)
    valid = Tensor._make((target._data != ignore_index).astype(input._data.dtype))
    smooth = smooth * valid
    if reduction == "none":
        smooth_red = smooth
    elif reduction == "sum":
        smooth_red = smooth.sum()
    else:
        t = target._data.reshape(-1)
        if weight is None:
            denom = max(int((t != ignore_index).sum()), 0)
        else:
            denom = float(np.where(t != ignore_index, weight._data[np.where(t != ignore_index, t, 0)], 0).sum())
        smooth_red = smooth.sum() / denom
    return nll * (1 - label_smoothing) + smooth_red * label_smoothing


class _Elementwise2(Function):
    """A loss of (input, target) as one primitive: f(d) of d = input - target, reduced, and its
    derivative f'(d) (target's gradient is -f'(d)); one node where torch has one. ``saved``: torch's
    mse, smooth_l1 and huber save input and target (l1 is a composite there: _L1 saves neither)."""
    saved = ((0, None), (1, None))

    _NAMES = {"mse": "MseLossBackward0", "smooth_l1": "SmoothL1LossBackward0", "huber": "HuberLossBackward0",
              "l1": {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}}

    def forward(self, x, t, kind, param, reduction):
        d = x - t
        self.d, self.kind, self.param, self.reduction = d, kind, param, reduction
        a = np.abs(d)
        if kind == "mse":
            loss = d * d
        elif kind == "l1" or (kind == "smooth_l1" and param == 0):
            loss = a
        elif kind == "smooth_l1":  # param: beta
            loss = np.where(a < param, (0.5 / param) * d * d, a - 0.5 * param).astype(d.dtype, copy=False)
        else:  # huber, param: delta
            loss = np.where(a < param, 0.5 * d * d, param * (a - 0.5 * param)).astype(d.dtype, copy=False)
        if reduction == "none":
            return loss
        return np.asarray(loss.sum(dtype=d.dtype) if reduction == "sum" else loss.mean(dtype=d.dtype))

    def backward(self, g):
        d, kind, p = self.d, self.kind, self.param
        if self.reduction == "mean":
            g = g / d.size if d.size else g
        if kind == "mse":
            gd = 2 * d * g
        elif kind == "l1" or (kind == "smooth_l1" and p == 0):
            gd = np.sign(d) * g
        elif kind == "smooth_l1":
            gd = np.where(np.abs(d) < p, d / p, np.sign(d)) * g
        else:
            gd = np.clip(d, -p, p) * g
        gd = np.broadcast_to(gd, d.shape).astype(g.dtype, copy=False)
        return gd, -gd

    def name(self):
        n = self._NAMES[self.kind]
        return n[self.reduction] if isinstance(n, dict) else n


class _L1(_Elementwise2):
    """l1 as _Elementwise2: torch's l1_loss is sub, abs and a reduction, so no input is saved (abs
    saves the difference, which nothing else can change)."""
    saved = ()


def _pointwise_loss(kind, input, target, reduction, param=None, weight=None):
    _check_reduction(reduction)
    _warn_broadcast_target(input, target)
    cls = _L1 if kind == "l1" else _Elementwise2
    if weight is not None:
        return _reduce(cls.apply(input, target, kind=kind, param=param, reduction="none") * weight, reduction)
    return cls.apply(input, target, kind=kind, param=param, reduction=reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _pointwise_loss("mse", input, target, reduction, weight=weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _pointwise_loss("l1", input, target, reduction, weight=weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = input - target)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss("smooth_l1", input, target, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta * (|d| - delta / 2)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss("huber", input, target, reduction, float(delta), weight=weight)


class BinaryCrossEntropy(Function):
    """-w (t log x + (1 - t) log(1 - x)) with each log clamped at -100, reduced, as torch: finite
    at x = 0 or 1. The input gradient is w (x - t) / max(x (1 - x), 1e-12), torch's form, finite
    there too; the weight is a constant (torch gives it no gradient)."""
    saved = ((0, None), (1, None))

    def forward(self, x, t, weight, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight
        self.x, self.t, self.weight, self.reduction = x, t, weight, reduction
        if reduction == "none":
            return loss.astype(x.dtype, copy=False)
        return np.asarray(loss.sum(dtype=x.dtype) if reduction == "sum" else loss.mean(dtype=x.dtype))

    def backward(self, g):
        x, t = self.x, self.t
        if self.reduction == "mean" and x.size:
            g = g / x.size
        if self.weight is not None:
            g = g * self.weight
        gx = g * (x - t) / np.maximum(x * (1 - x), 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):  # NOTE: torch leaves the target's gradient unclamped
            gt = g * (np.log1p(-x) - np.log(x))
        return (np.broadcast_to(gx, x.shape).astype(x.dtype, copy=False),
                np.broadcast_to(gt, t.shape).astype(x.dtype, copy=False))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (t log(x) + (1 - t) log(1 - x)), with each log clamped at -100 as torch does."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_torch_size(target.shape)}) that is different to the input size "
                         f"({_torch_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data if isinstance(weight, Tensor) else np.asarray(weight), x.shape).astype(x.dtype)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in the stable form (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_torch_size(target.shape)}) must be the same as input size "
                         f"({_torch_size(input.shape)})")
    input = _SavedInputAndTarget.apply(input, target)
    softplus_neg = _activation("softplus", -input, beta=1.0, threshold=float("inf"))  # log(1 + exp(-x))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class KLDiv(Function):
    """Pointwise KL term: t (log t - x), 0 where t = 0; or exp(t) (t - x) for a log target."""
    saved = ((1, None), (0, 1))

    def forward(self, x, t, log_target):
        self.x, self.t, self.log_target = x, t, log_target
        if log_target:
            self.et = np.exp(t)
            return self.et * (t - x)
        with np.errstate(divide="ignore", invalid="ignore"):  # xlogy: 0 where t == 0, NaN where t < 0 (torch)
            self.log_t = np.log(np.where(t == 0, 1, t))
        return np.where(t == 0, 0, t * (self.log_t - x)).astype(x.dtype, copy=False)

    def backward(self, g):
        if self.log_target:
            return -g * self.et, g * self.et * (self.t - self.x + 1)
        return -g * self.t, (g * np.where(self.t == 0, 0, self.log_t + 1 - self.x)).astype(g.dtype, copy=False)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) per element, with ``input`` as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence proper);
    ``'mean'`` divides by every element and warns, as torch does."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        import warnings
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    loss = KLDiv.apply(input, target, log_target=log_target)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) for targets in {1, -1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input = _SavedInputAndTarget.apply(input, target)
    return _reduce(_activation("softplus", -target * input, beta=1.0, threshold=float("inf")), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_torch_size(input1.shape)}, input2: {_torch_size(input2.shape)}, "
                           f"target: {_torch_size(target.shape)} ")
    return _reduce(relu(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where target is 1, max(0, margin - x) where target is -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    zero = Tensor._make(np.zeros((), input._data.dtype))
    loss = ops.where(Tensor._make(t != 1), relu(margin - input), zero) + ops.where(Tensor._make(t != -1), input, zero)
    return _reduce(loss, reduction)


class _Norm(Function):
    """The p-norm along ``dim``; its gradient is 0 where the norm is 0 (torch's choice there)."""
    saved = ((0, None),)
    saves_output = True

    def forward(self, x, p, dim, keepdim):
        self.x, self.p, self.dim, self.keepdim = x, p, dim, keepdim
        a = np.abs(x)
        if p == float("inf"):
            n = a.max(axis=dim, keepdims=True)
        elif p == -float("inf"):
            n = a.min(axis=dim, keepdims=True)
        elif p == 0:
            n = (a != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
        elif p == 1:
            n = a.sum(axis=dim, keepdims=True)
        elif p == 2:
            n = np.sqrt((x * x).sum(axis=dim, keepdims=True))
        else:
            n = (a ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)
        self.norm = n
        return n if keepdim else np.squeeze(n, axis=dim)

    def backward(self, g):
        x, p, n = self.x, self.p, self.norm
        if not self.keepdim:
            g = np.expand_dims(g, self.dim)
        if p == 0:
            return np.zeros_like(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p in (float("inf"), -float("inf")):
                hit = np.abs(x) == n
                d = np.sign(x) * hit / hit.sum(axis=self.dim, keepdims=True)
            elif p == 1:
                d = np.sign(x)
            elif p == 2:
                d = x / n
            else:
                d = np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1)
        return np.where(n == 0, 0, g * d).astype(x.dtype, copy=False)


def _norm(x, p, dim, keepdim=False):
    return _Norm.apply(x, p=float(p), dim=_wrap_dim(dim, max(x.ndim, 1)), keepdim=keepdim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    ndim = max(x1.ndim, x2.ndim)
    return _norm(x1 - x2 + eps, p, -1 if ndim else 0, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (torch clamps each norm)."""
    ndim = max(x1.ndim, x2.ndim)
    dim = _wrap_dim(dim, ndim)
    n1 = ops.clamp(_norm(x1, 2, dim - (ndim - x1.ndim), keepdim=True), min=eps)
    n2 = ops.clamp(_norm(x2, 2, dim - (ndim - x2.ndim), keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along ``dim``."""
    denom = ops.clamp(_norm(input, p, dim, keepdim=True), min=eps)
    result = input / denom
    if out is not None:
        out._data[...] = result._data
        return out
    return result


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss: 0D target tensor expects 1D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}." if input1.ndim != 2 else
                           f"cosine_embedding_loss: expected 2D inputs, got {input1.ndim}D and {input2.ndim}D")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / ops.sqrt(mag1 * mag2)
    t = target._data
    zero = Tensor._make(np.zeros((), input1._data.dtype))
    loss = ops.where(Tensor._make(t == 1), 1 - cos, zero) + ops.where(Tensor._make(t == -1), relu(cos - margin), zero)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-distance; ``swap`` uses
    min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(relu(margin + d_pos - d_neg), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """triplet_margin_loss with any distance function (default: pairwise_distance)."""
    _check_reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return _reduce(relu(margin + d_pos - d_neg), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(x) - t x for log-rate inputs, else x - t log(x + eps); ``full`` adds Stirling's term
    t log t - t + log(2 pi t) / 2 where t > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        big = target._data > 1
        safe = ops.where(Tensor._make(big), target, Tensor._make(np.ones((), target._data.dtype)))
        stirling = safe * ops.log(safe) - safe + 0.5 * ops.log(2 * np.pi * safe)
        loss = loss + ops.where(Tensor._make(big), stirling, Tensor._make(np.zeros((), stirling._data.dtype)))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2, + log(2 pi) / 2 if ``full``.

    ``var`` may have one dim fewer than ``input`` or a last dim of 1 (one variance per sample).
    The clamp at eps does not stop the gradient (torch clamps under no_grad)."""
    if isinstance(var, (int, float)):
        var = Tensor._make(np.full(input.shape, var, dtype=input._data.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction)
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    var = ops.clone(var)
    np.maximum(var._data, eps, out=var._data)
    loss = 0.5 * (ops.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over the classes (last dim)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def _logsumexp_np(*arrays):
    stacked = np.stack(arrays)
    m = stacked.max(axis=0)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(m), safe + np.log(np.exp(stacked - safe).sum(axis=0)), m)


class CTCLoss(Function):
    """Per-sample CTC negative log-likelihood by the forward-backward recursion in log space.

    The backward is torch's: exp(lp) - exp(log(alpha beta summed per class) + nll - lp), the
    gradient with respect to the logits behind a log_softmax (it equals the true gradient once
    it has passed through log_softmax's backward, whose rows it leaves unchanged). The gradient
    is made in the forward; ``saved`` declares the input torch's backward reads."""
    saved = ((0, None),)

    def forward(self, lp, targets, input_lengths, target_lengths, blank, zero_infinity):
        T, N, C = lp.shape
        lp64 = lp.astype(np.float64)
        losses = np.zeros(N)
        self.grad = np.zeros((T, N, C))
        for n in range(N):
            Tn, label = int(input_lengths[n]), targets[n]
            L = 2 * len(label) + 1
            ext = np.full(L, blank, np.int64)
            ext[1::2] = label
            skip = np.zeros(L, bool)
            skip[3::2] = label[1:] != label[:-1]  # s may come from s - 2 (a label differing from the previous)
            x = lp64[:Tn, n]
            emit = x[:, ext]  # (Tn, L)
            alpha = np.full((Tn, L), -np.inf)
            if Tn:
                alpha[0, 0] = emit[0, 0]
                if L > 1:
                    alpha[0, 1] = emit[0, 1]
            for t in range(1, Tn):
                prev = alpha[t - 1]
                one = np.concatenate(([-np.inf], prev[:-1]))
                two = np.where(skip, np.concatenate(([-np.inf, -np.inf], prev[:-2])), -np.inf)
                alpha[t] = _logsumexp_np(prev, one, two) + emit[t]
            beta = np.full((Tn, L), -np.inf)
            if Tn:
                beta[Tn - 1, L - 1] = emit[Tn - 1, L - 1]
                if L > 1:
                    beta[Tn - 1, L - 2] = emit[Tn - 1, L - 2]
            skip_next = np.concatenate((skip[2:], [False, False]))  # s + 2 reachable from s
            for t in range(Tn - 2, -1, -1):
                nxt = beta[t + 1]
                one = np.concatenate((nxt[1:], [-np.inf]))
                two = np.where(skip_next, np.concatenate((nxt[2:], [-np.inf, -np.inf])), -np.inf)
                beta[t] = _logsumexp_np(nxt, one, two) + emit[t]
            if Tn == 0:
                nll = 0.0 if L == 1 else np.inf
            else:
                nll = -_logsumexp_np(alpha[Tn - 1, L - 1], alpha[Tn - 1, L - 2] if L > 1 else -np.inf)
            ab = alpha + beta
            lcab = np.full((Tn, C), -np.inf)
            for c in np.unique(ext):
                cols = ab[:, ext == c]
                lcab[:, c] = _logsumexp_np(*cols.T) if cols.shape[1] > 1 else cols[:, 0]
            with np.errstate(over="ignore", invalid="ignore"):
                g = np.exp(x) - np.exp(lcab + nll - x)
            if zero_infinity and np.isinf(nll):
                nll, g = 0.0, np.zeros_like(g)
            losses[n] = nll
            self.grad[:Tn, n] = g
        return losses.astype(lp.dtype)

    def backward(self, g):
        return (self.grad * g[None, :, None]).astype(g.dtype)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss of (T, N, C) log-probabilities (or (T, C) unbatched).

    ``targets``: (N, S) padded or 1-D concatenated label sequences (no blanks); ``'mean'`` divides
    each sample's loss by its target length, then averages over the batch."""
    _check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    T, N, C = log_probs.shape
    as_array = lambda v: np.asarray(v._data if isinstance(v, Tensor) else v, dtype=np.int64).reshape(-1)  # noqa: E731
    il, tl = as_array(input_lengths), as_array(target_lengths)
    tgt = targets._data.astype(np.int64)
    if unbatched and tgt.ndim == 1 and tgt.size == tl.sum():
        tgt = tgt[None]
    if tgt.ndim == 2:
        seqs = [tgt[n, :tl[n]] for n in range(N)]
    else:
        ends = np.cumsum(tl)
        seqs = [tgt[e - k:e] for e, k in zip(ends, tl)]
    if len(il) != N or len(tl) != N:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {il.max()}"
                           if len(il) == N else f"input_lengths must be of size batch_size ({N})")
    if il.max(initial=0) > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {il.max()} (while "
                           f"checking arguments for ctc_loss_cpu)")
    losses = CTCLoss.apply(log_probs, targets=seqs, input_lengths=il, target_lengths=tl, blank=blank,
                           zero_infinity=zero_infinity)
    if reduction == "mean":
        return (losses / Tensor._make(np.maximum(tl, 1).astype(losses._data.dtype))).mean()
    if reduction == "sum":
        return losses.sum()
    return losses.squeeze(0) if unbatched else losses


def _target_rows(input, target, name):
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{name}: expected 1D or 2D input, but got {input.ndim}D")
    return input if input.ndim == 2 else input.unsqueeze(0)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of max(0, margin - x[y] + x[i])^p / C, per sample (times weight[y])."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = _target_rows(_SavedInputAndTarget.apply(input, target), target, "multi_margin_loss")
    N, C = x.shape
    t = target._data.reshape(-1).astype(np.intp)
    if t.size != N:
        raise RuntimeError(f"inconsistent target size, expected {N} but got {list(target.shape)}")
    if t.size and (t.min() < 0 or t.max() >= C):
        raise IndexError(f"target out of range: {t[(t < 0) | (t >= C)][0]} (expected 0 <= target < {C})")
    x_y = x[np.arange(N), t].unsqueeze(1)
    m = relu(margin - x_y + x)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * Tensor._make(weight._data[t]).unsqueeze(1)
    off_target = np.ones((N, C), dtype=x._data.dtype)
    off_target[np.arange(N), t] = 0
    loss = (m * Tensor._make(off_target)).sum(1) / C
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j (up to the first -1) and non-target classes i of
    max(0, 1 - (x[j] - x[i])) / C, per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x = _target_rows(input, target, "multilabel_margin_loss")
    N, C = x.shape
    t = target._data.reshape(N, C).astype(np.intp)
    is_target = np.zeros((N, C), dtype=bool)
    pair = np.zeros((N, C), dtype=x._data.dtype)  # pair[n, j]: how often class j is a listed target
    for n in range(N):
        for j in t[n]:
            if j < 0:
                break
            is_target[n, j] = True
            pair[n, j] += 1
    # sum_j sum_{i not target} relu(1 - x_j + x_i): a (N, C, C) difference masked by targets x non-targets
    diff = relu(1 - x.unsqueeze(2) + x.unsqueeze(1))
    mask = pair[:, :, None] * (~is_target)[:, None, :]
    loss = (diff * Tensor._make(mask.astype(x._data.dtype))).sum((1, 2)) / C
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)
