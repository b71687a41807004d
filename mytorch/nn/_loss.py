"""nn.functional losses and distances: fused nll, pointwise, binary cross-entropy, KL and CTC
primitives; the rest composite."""
import numpy as np

from mytorch import ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim
from mytorch.nn._functional_base import _LinearMap, _SavedInputAndTarget
from mytorch.nn._activation import _MaskedGrad, _activation, log_softmax, logsigmoid, relu

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss", "kl_div", "soft_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "pairwise_distance", "cosine_similarity", "normalize",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "ctc_loss"]


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
        self.out_shape = out_shape
        if reduction == "mean":
            self.denom = sample_w.sum(dtype=x.dtype)
        return self._pick(x)

    def _pick(self, x):
        """The loss as a linear function of x (the adjoint of backward)."""
        loss = -np.take_along_axis(x, self.index, axis=self.cdim) * self.sample_w.astype(x.dtype, copy=False)
        if self.reduction == "none":
            return loss.reshape(self.out_shape)
        total = loss.sum(dtype=x.dtype)
        if self.reduction == "sum":
            return np.asarray(total)
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as torch
            return np.asarray(total / self.denom.astype(x.dtype))

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

    def backward_t(self, g):
        return _LinearMap.apply(g, fwd=lambda a: self.backward(a)[0], adjoint=self._pick), None

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


def _const_like(t, a):
    return Tensor._make(np.asarray(a, dtype=t._data.dtype))


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

    def backward_t(self, g):
        x, t = self.parents
        d, p = x - t, self.param
        if self.reduction == "mean" and self.d.size:
            g = g / self.d.size
        if self.kind == "mse":
            gd = 2 * d * g
        else:
            sign = _const_like(d, np.sign(self.d))
            if self.kind == "l1" or (self.kind == "smooth_l1" and p == 0):
                gd = sign * g
            else:
                inner = _const_like(d, np.abs(self.d) < p)
                gd = (inner * d / p + (1 - inner) * sign if self.kind == "smooth_l1"
                      else inner * d + (1 - inner) * sign * p) * g
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

    def backward_t(self, g):
        x, p, n_np = self.parents[0], self.p, self.norm
        if not self.keepdim:
            g = g.unsqueeze(self.dim)
        if p in (0, 1, float("inf"), -float("inf")):  # piecewise-constant derivative
            with np.errstate(divide="ignore", invalid="ignore"):
                d = self.backward(np.ones(n_np.shape, x._data.dtype) if self.keepdim else np.ones(np.squeeze(
                    n_np, axis=self.dim).shape, x._data.dtype))
            return _MaskedGrad.apply(g, x, d=d)
        n = _Norm.apply(x, p=p, dim=self.dim, keepdim=True)
        nonzero = _const_like(x, n_np != 0)
        safe_n = n + (1 - nonzero)  # 1 where the norm is 0: the gradient is 0 there (torch's choice)
        if p == 2:
            return g * nonzero * x / safe_n
        return g * nonzero * _const_like(x, np.sign(x._data)) * ops.abs(x) ** (p - 1) / safe_n ** (p - 1)


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
