"""RAdam (rectified Adam, Liu et al.) with torch's update rule; one form, NumPy."""
import numpy as np

from mytorch.optim.adam import _lerp_
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    """RAdam: Adam's step scaled by the variance rectification term once the approximated SMA
    length exceeds 5, plain bias-corrected momentum before.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty (decoupled as AdamW's with ``decoupled_weight_decay``). Default: 0.
        decoupled_weight_decay: ``p *= 1 - lr * weight_decay`` instead of adding to the gradient. Default: False.
        foreach, capturable, differentiable: accepted as torch's. Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.

    Example::

        >>> opt = mytorch.optim.RAdam(model.parameters())
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_fused_foreach(None, foreach, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        exp_avgs = [self._buffer(s, "exp_avg", a) for s, a in zip(states, arrays)]
        exp_avg_sqs = [self._buffer(s, "exp_avg_sq", a) for s, a in zip(states, arrays)]
        beta1, beta2 = group["betas"]
        radam(arrays, grads, exp_avgs, exp_avg_sqs, steps, beta1=float(beta1), beta2=float(beta2),
              lr=float(group["lr"]), weight_decay=group["weight_decay"], eps=group["eps"],
              decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
              foreach=group["foreach"])


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, beta1, beta2, lr, weight_decay, eps,
          decoupled_weight_decay=False, maximize=False, foreach=None):
    """Functional RAdam on ndarrays, in place (one form: NumPy)."""
    _single_tensor_radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, beta1=beta1, beta2=beta2, lr=lr,
                         weight_decay=weight_decay, eps=eps, decoupled_weight_decay=decoupled_weight_decay,
                         maximize=maximize)


def _single_tensor_radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, beta1, beta2, lr, weight_decay, eps,
                         decoupled_weight_decay, maximize):
    rho_inf = 2 / (1 - beta2) - 1  # the approximated SMA's maximum length
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
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2 ** 0.5) / (np.sqrt(exp_avg_sq) + eps)
            param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param -= bias_corrected_exp_avg * lr
