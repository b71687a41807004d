"""NAdam (Adam with Nesterov momentum, Dozat) with torch's update rule; one form, NumPy."""
import numpy as np

from mytorch.optim.adam import _lerp_
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    """NAdam with torch's momentum schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay))``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty (decoupled as AdamW's with ``decoupled_weight_decay``). Default: 0.
        momentum_decay: the momentum schedule's decay. Default: 4e-3.
        decoupled_weight_decay: ``p *= 1 - lr * weight_decay`` instead of adding to the gradient. Default: False.
        foreach, capturable, differentiable: accepted as torch's. Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.

    Example::

        >>> opt = mytorch.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        _check_fused_foreach(None, foreach, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        mu_products = [self._scalar(s, "mu_product", 1.0) for s in states]
        exp_avgs = [self._buffer(s, "exp_avg", a) for s, a in zip(states, arrays)]
        exp_avg_sqs = [self._buffer(s, "exp_avg_sq", a) for s, a in zip(states, arrays)]
        beta1, beta2 = group["betas"]
        nadam(arrays, grads, exp_avgs, exp_avg_sqs, mu_products, steps, beta1=float(beta1), beta2=float(beta2),
              lr=float(group["lr"]), weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
              eps=group["eps"], decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
              foreach=group["foreach"])


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *, beta1, beta2, lr, weight_decay,
          momentum_decay, eps, decoupled_weight_decay=False, maximize=False, foreach=None):
    """Functional NAdam on ndarrays, in place (one form: NumPy). ``mu_products`` are 0-d arrays
    of the scalar dtype (float32 as torch's), so the product rounds as torch's does."""
    _single_tensor_nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, beta1=beta1, beta2=beta2,
                         lr=lr, weight_decay=weight_decay, momentum_decay=momentum_decay, eps=eps,
                         decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)


def _single_tensor_nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *, beta1, beta2, lr,
                         weight_decay, momentum_decay, eps, decoupled_weight_decay, maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        exp_avg, exp_avg_sq, mu_product = exp_avgs[i], exp_avg_sqs[i], mu_products[i]
        state_steps[i] += 1
        step = float(state_steps[i])
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            if decoupled_weight_decay:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu  # NOTE: in the 0-d array's own dtype (float32), as torch's tensor
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
        product = float(mu_product)
        param += (-lr * (1.0 - mu) / (1.0 - product)) * (grad / denom)
        param += ((-lr * mu_next) / (1.0 - product * mu_next)) * (exp_avg / denom)
