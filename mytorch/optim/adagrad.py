"""Adagrad (Duchi et al.) in torch's three layers: the class, ``adagrad()`` choosing the form,
``_single_tensor_adagrad`` (NumPy) and ``_fused_adagrad`` (one pass)."""
import numpy as np

from mytorch.optim import _fused
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _resolve_fused

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    """Adagrad: ``s += g^2``; ``p -= clr g / (sqrt(s) + eps)`` with ``clr = lr / (1 + (step-1) lr_decay)``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        lr_decay: learning rate decay. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        initial_accumulator_value: the sum's starting value. Default: 0.
        eps: added to the denominator. Default: 1e-10.
        foreach, differentiable: accepted as torch's. Defaults: None, False.
        maximize: ascend the objective instead. Default: False.
        fused: None (compiled one-pass form where numba's JIT is on), True or False (NumPy form). Default: None.

    Example::

        >>> opt = mytorch.optim.Adagrad(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_fused_foreach(fused, foreach, differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        # torch makes the state when the optimizer is built, so a state dict taken before the first step has it
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group)

    def _init_state(self, state, param, group):
        self._scalar(state, "step", 0.0)
        return self._buffer(state, "sum", param, group["initial_accumulator_value"])

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        sums = [self._init_state(s, p._data, group) for s, p in zip(states, params)]
        steps = [s["step"]._data for s in states]
        adagrad([p._data for p in params], grads, sums, steps, lr=float(group["lr"]),
                weight_decay=group["weight_decay"], lr_decay=group["lr_decay"], eps=group["eps"],
                maximize=group["maximize"], foreach=group["foreach"], fused=group["fused"])


def adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize, foreach=None,
            fused=None):
    """Functional Adagrad on ndarrays, in place. The one place where the form is chosen."""
    fused = _resolve_fused(fused, params, "Adagrad")
    func = _fused_adagrad if fused else _single_tensor_adagrad
    func(params, grads, state_sums, state_steps, lr=lr, weight_decay=weight_decay, lr_decay=lr_decay, eps=eps,
         maximize=maximize)


def _single_tensor_adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        state_steps[i] += 1
        step = float(state_steps[i])
        if weight_decay != 0:
            grad = grad + weight_decay * param
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sums[i] += grad * grad
        param -= clr * (grad / (np.sqrt(state_sums[i]) + eps))


def _fused_adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize):
    for i, param in enumerate(params):
        t = param.dtype.type
        state_steps[i] += 1
        clr = lr / (1 + (float(state_steps[i]) - 1) * lr_decay)
        with _fused.flat_inputs(param, grads[i]) as (p, g):
            _adagrad_kernel(p, g, state_sums[i].reshape(-1), t(clr), t(weight_decay), t(eps), maximize)


@_fused.kernel
def _adagrad_kernel(param, grad, state_sum, clr, weight_decay, eps, maximize):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] = param[i] - clr * (g / (np.sqrt(s) + eps))
