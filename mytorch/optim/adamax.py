"""Adamax (Adam with the infinity norm) with torch's update rule; one form, NumPy."""
import numpy as np

from mytorch.optim.adam import _lerp_
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    """Adamax: ``m`` as Adam's, ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running average and of the infinity norm. Default: (0.9, 0.999).
        eps: added to |g|. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        foreach, differentiable, capturable: accepted as torch's. Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.

    Example::

        >>> opt = mytorch.optim.Adamax(model.parameters())
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_fused_foreach(None, foreach, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        exp_avgs = [self._buffer(s, "exp_avg", a) for s, a in zip(states, arrays)]
        exp_infs = [self._buffer(s, "exp_inf", a) for s, a in zip(states, arrays)]
        beta1, beta2 = group["betas"]
        adamax(arrays, grads, exp_avgs, exp_infs, steps, eps=group["eps"], beta1=float(beta1), beta2=float(beta2),
               lr=float(group["lr"]), weight_decay=group["weight_decay"], maximize=group["maximize"],
               foreach=group["foreach"])


def adamax(params, grads, exp_avgs, exp_infs, state_steps, *, eps, beta1, beta2, lr, weight_decay, maximize,
           foreach=None):
    """Functional Adamax on ndarrays, in place (one form: NumPy)."""
    _single_tensor_adamax(params, grads, exp_avgs, exp_infs, state_steps, eps=eps, beta1=beta1, beta2=beta2, lr=lr,
                          weight_decay=weight_decay, maximize=maximize)


def _single_tensor_adamax(params, grads, exp_avgs, exp_infs, state_steps, *, eps, beta1, beta2, lr, weight_decay,
                          maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_inf = exp_avgs[i], exp_infs[i]
        state_steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + eps, out=exp_inf)
        clr = lr / (1 - beta1 ** float(state_steps[i]))
        param -= clr * (exp_avg / exp_inf)
