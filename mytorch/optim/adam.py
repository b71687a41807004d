"""Adam and AdamW (Adam with ``decoupled_weight_decay=True``) in torch's three layers: the classes,
``adam()`` choosing the form, ``_single_tensor_adam`` (NumPy) and ``_fused_adam`` (one pass)."""
import numpy as np

from mytorch.optim import _fused
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _resolve_fused

__all__ = ["Adam", "AdamW", "adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
    _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Adam (Kingma and Ba) with torch's bias corrections.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        betas: coefficients of the running averages of the gradient and its square. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty, or with ``decoupled_weight_decay`` AdamW's decay. Default: 0.
        amsgrad: use the running maximum of the second moment. Default: False.
        foreach, capturable, differentiable: accepted as torch's (no effect on the CPU; only
            differentiable=False is supported). Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.
        fused: None picks the one-pass compiled form where numba's JIT is on; True forces it,
            False forces the NumPy form. Default: None.
        decoupled_weight_decay: ``p *= 1 - lr * weight_decay`` instead of adding to the gradient
            (AdamW). Default: False.

    Example::

        >>> opt = mytorch.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_fused_foreach(fused, foreach, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        exp_avgs = [self._buffer(s, "exp_avg", a) for s, a in zip(states, arrays)]
        exp_avg_sqs = [self._buffer(s, "exp_avg_sq", a) for s, a in zip(states, arrays)]
        max_exp_avg_sqs = ([self._buffer(s, "max_exp_avg_sq", a) for s, a in zip(states, arrays)]
                           if group["amsgrad"] else [])
        steps = [self._scalar(s, "step", 0.0) for s in states]
        beta1, beta2 = group["betas"]
        adam(arrays, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, amsgrad=group["amsgrad"],
             beta1=float(beta1), beta2=float(beta2), lr=float(group["lr"]), weight_decay=group["weight_decay"],
             eps=group["eps"], maximize=group["maximize"], foreach=group["foreach"], fused=group["fused"],
             decoupled_weight_decay=group.get("decoupled_weight_decay", False))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam step. Arguments as :class:`Adam`; weight_decay defaults to 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1, beta2, lr,
         weight_decay, eps, maximize, foreach=None, fused=None, decoupled_weight_decay=False):
    """Functional Adam on ndarrays, in place (``state_steps``: 0-d arrays, incremented). The one
    place where the form is chosen."""
    fused = _resolve_fused(fused, params, "Adam")
    func = _fused_adam if fused else _single_tensor_adam
    func(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=amsgrad, beta1=beta1,
         beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps, maximize=maximize,
         decoupled_weight_decay=decoupled_weight_decay)


def _lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` with a scalar weight, in torch's two formulas."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _single_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1,
                        beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_avg_sq = exp_avgs[i], exp_avg_sqs[i]
        state_steps[i] += 1
        step = float(state_steps[i])
        if weight_decay != 0:
            if decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
            denom = np.sqrt(max_exp_avg_sqs[i]) / bias_correction2_sqrt + eps
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        param -= step_size * (exp_avg / denom)


def _fused_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1, beta2, lr,
                weight_decay, eps, maximize, decoupled_weight_decay):
    for i, param in enumerate(params):
        t = param.dtype.type
        state_steps[i] += 1
        step = float(state_steps[i])
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        w = 1 - beta1
        with _fused.flat_inputs(param, grads[i]) as (p, g):
            m, v = exp_avgs[i].reshape(-1), exp_avg_sqs[i].reshape(-1)
            _adam_kernel(p, g, m, v, max_exp_avg_sqs[i].reshape(-1) if amsgrad else v, t(weight_decay),
                         t(1 - lr * weight_decay), t(w), t(1 - w), abs(w) < 0.5, t(beta2), t(1 - beta2),
                         t(step_size), t(bias_correction2_sqrt), t(eps), amsgrad, decoupled_weight_decay, maximize)


@_fused.kernel
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, weight_decay, decay, w, one_minus_w, small_w,
                 beta2, one_minus_beta2, step_size, bias_correction2_sqrt, eps, amsgrad, decoupled, maximize):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * decay
            else:
                g = g + weight_decay * p
        m = exp_avg[i]
        m = m + w * (g - m) if small_w else g - (g - m) * one_minus_w
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq[i] = v
        if amsgrad:
            top = max_exp_avg_sq[i]
            if v > top or v != v:  # np.maximum's rule: NaN wins
                top = v
            max_exp_avg_sq[i] = top
            v = top
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p - step_size * (m / denom)

