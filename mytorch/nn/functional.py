"""torch.nn.functional: activations, normalization, losses; convolution and pooling re-exported
from mytorch.nn._conv (primitives on the kernels chosen in mytorch.backends).

The activations and losses here are compositions of ops.py primitives, or fused primitives where a
benchmark showed it pays.
"""
import numpy as np

from mytorch import _dtype, ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim
from mytorch.nn._conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d  # noqa: F401

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad", "relu", "leaky_relu",
           "sigmoid", "tanh", "gelu", "linear", "softmax", "log_softmax", "dropout", "one_hot", "batch_norm",
           "nll_loss", "cross_entropy", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "embedding"]


class Pad(Function):
    def forward(self, a, widths, value):
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return np.pad(a, widths, constant_values=value)

    def backward(self, g):
        return g[self.crop]


def pad(input, pad, mode="constant", value=0.0):
    """Constant padding; ``pad`` lists (before, after) pairs starting from the last dimension."""
    if mode != "constant":
        raise NotImplementedError(f"pad mode {mode!r} is not supported; only 'constant'")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number of "
                           f"dimensions ({input.ndim}), got {len(pad)}")
    if min(pad) < 0:
        raise NotImplementedError(f"negative padding (cropping) is not supported, got {tuple(pad)}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return Pad.apply(input, widths=tuple(widths), value=value)


# ---------------------------------------------------------------------------- activations
relu = ops.relu
sigmoid = ops.sigmoid
tanh = ops.tanh

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

    def forward(self, x, name, params):
        self.x, self.op, self.params = x, name, params
        return np.asarray(ACTIVATIONS[name][0](x, **params)).astype(x.dtype, copy=False)

    def backward(self, g):
        d = ACTIVATIONS[self.op][1](self.x, None, **self.params)
        return (g * d).astype(g.dtype, copy=False)

    def name(self):
        return "".join(w.capitalize() for w in self.op.split("_")) + "Backward0"


def _activation(name, input, inplace=False, **params):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_LEGACY_TYPE[input._data.dtype.name][:-6]}\'')
    out = _Pointwise.apply(input, name=name, params=params)
    return _write_back(input, out) if inplace else out


def _write_back(input, out):
    """inplace=True: the result goes into ``input``'s memory and ``input`` is returned, where that is
    safe without version counters (outside a graph); inside one the result stays out of place."""
    from mytorch.autograd import grad_mode
    if input._requires_grad and grad_mode.enabled:
        inplace = getattr(input, "_inplace_from", None)  # CORE's in-place-in-graph hook, once it exists
        return inplace(out) if inplace is not None else out
    input._data[...] = out._data
    if hasattr(input, "_version"):
        input._version += 1
    return input


def elu(input, alpha=1.0, inplace=False):
    return _activation("elu", input, inplace, alpha=alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    return _activation("selu", input, inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _activation("celu", input, inplace, alpha=alpha)


def silu(input, inplace=False):
    return _activation("silu", input, inplace)


def mish(input, inplace=False):
    return _activation("mish", input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _activation("softplus", input, beta=beta, threshold=threshold)


def softsign(input):
    return _activation("softsign", input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation("hardtanh", input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    return _activation("hardsigmoid", input, inplace)


def hardswish(input, inplace=False):
    return _activation("hardswish", input, inplace)


def logsigmoid(input):
    return _activation("logsigmoid", input)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _activation("softshrink", input, lambd=lambd)


def hardshrink(input, lambd=0.5):
    return _activation("hardshrink", input, lambd=lambd)


def tanhshrink(input):
    return _activation("tanhshrink", input)


def threshold(input, threshold, value, inplace=False):
    return _activation("threshold", input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _activation("threshold", input, True, threshold=threshold, value=value)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _activation("leaky_relu", input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def relu_(input):
    return _write_back(input, relu(input))


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
    return rrelu(input, lower, upper, training, True)


class PRelu(Function):
    """max(0, x) + w * min(0, x) with a learnt slope w broadcast along the channel dim."""

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


class Gelu(Function):
    """x * Phi(x) with the exact normal CDF (erf), or torch's tanh approximation."""

    def forward(self, a, approximate):
        self.a, self.approximate = a, approximate
        if approximate == "tanh":
            inner = np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3)
            self.t = np.tanh(inner)
            return (0.5 * a * (1 + self.t)).astype(a.dtype, copy=False)
        self.cdf = (0.5 * (1 + _erf(a / np.sqrt(2)))).astype(a.dtype, copy=False)
        return a * self.cdf

    def backward(self, g):
        a = self.a
        if self.approximate == "tanh":
            dinner = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * a * a)
            return g * (0.5 * (1 + self.t) + 0.5 * a * (1 - self.t * self.t) * dinner).astype(g.dtype, copy=False)
        pdf = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        return g * (self.cdf + a * pdf).astype(g.dtype, copy=False)


_erf_scalar = np.vectorize(__import__("math").erf, otypes=[np.float64])


def _erf(x):
    # NOTE: NumPy has no erf; math.erf element by element is exact and fine for GELU's sizes here.
    return _erf_scalar(x)


def gelu(input, approximate="none"):
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


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    from mytorch.random import rng
    dtype = input._data.dtype if input._data.dtype.kind == "f" else np.float32
    keep = rng().random(input.shape, dtype=np.float32) >= np.float32(p)
    scale = np.multiply(keep, dtype.type(1.0 / (1.0 - p)), dtype=dtype)
    return input * Tensor._make(scale)


def one_hot(tensor, num_classes=-1):
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
    padding row and divides by each index's count under ``scale_grad_by_freq``."""

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
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
        return out


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
    idx = idx.astype(np.intp, copy=False)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


# ---------------------------------------------------------------------------- batch norm
class BatchNorm(Function):
    """Training-mode batch norm as one primitive: one pass for the statistics, one for the
    output, and the closed-form backward (two reductions) instead of a ~15-node graph."""

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
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        affine = (weight, bias) if weight is not None else ()
        if weight is not None and bias is None:
            from mytorch.creation import zeros
            affine = (weight, zeros(C, dtype=weight.dtype))
        stats = []
        fn_out = BatchNorm.apply(input, *affine, axes=axes, eps=eps, stats=stats)
        if running_mean is not None and momentum is not None:
            mean, var = stats
            m = momentum
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean
            running_var._data[...] = (1 - m) * running_var._data + m * var * (n / (n - 1))
        return fn_out
    shape = [1] * input.ndim
    shape[1] = C
    out = (input - running_mean.detach().reshape(shape)) / ops.sqrt(running_var.detach().reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---------------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


def _class_dim_last(input):
    """(N, C, d1, ...) -> (N*d1*..., C); (N, C) and (C,) unchanged."""
    if input.ndim <= 2:
        return input
    return ops.flatten(input.permute(0, *range(2, input.ndim), 1), 0, -2)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class-index targets given log-probabilities (N, C) or (N, C, d...)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected target of an integer dtype (class indices), got {target.dtype}")
    batch = input.shape[0] if input.ndim > 1 else 1
    if input.ndim > 1 and target.shape[0] != batch or (input.ndim > 2 and tuple(target.shape[1:]) != tuple(input.shape[2:])):
        raise ValueError(f"Expected input batch_size ({batch}) to match target batch_size ({target.shape[0]})"
                         if target.shape[0] != batch else
                         f"Expected target size {[batch] + list(input.shape[2:])}, got {list(target.shape)}")
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    logp = _class_dim_last(input)
    if logp.ndim == 1:
        logp = logp.unsqueeze(0)
    t = target._data.reshape(-1)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")
    if weight is not None and tuple(weight.shape) != (C,):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    safe = np.where(valid, t, 0)
    w = np.ones(C, dtype=input._data.dtype) if weight is None else weight._data
    sample_w = np.where(valid, w[safe], 0).astype(input._data.dtype)
    picked = -logp[np.arange(len(t)), safe] * Tensor._make(sample_w)
    if reduction == "none":
        return picked.reshape(target.shape)
    if reduction == "sum":
        return picked.sum()
    return picked.sum() / Tensor._make(np.asarray(sample_w.sum(), dtype=input._data.dtype))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax + nll_loss for class-index targets, or the soft cross-entropy for class
    probabilities (a float target shaped like the input); with torch's label smoothing."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
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


def _check_same_shape(input, target, name):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target size ({list(target.shape)}) must be the same as input size "
                         f"({list(input.shape)})")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_same_shape(input, target, "l1_loss")
    return _reduce(ops.abs(input - target), reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t*log(x) + (1-t)*log(1-x)), with each log clamped at -100 as torch does."""
    _check_same_shape(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * ops.clamp(ops.log(input), min=-100) + (1 - target) * ops.clamp(ops.log(1 - input), min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in the stable form max(x, 0) - x*t + log(1 + exp(-|x|))."""
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = ops.log(1 + ops.exp(-ops.abs(input))) + ops.relu(-input)  # log(1 + exp(-x))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
