"""Adadelta (Zeiler) in torch's three layers: the class, ``adadelta()`` choosing the form,
``_single_tensor_adadelta`` (NumPy) and ``_fused_adadelta`` (one pass)."""
import numpy as np

from mytorch.optim import _fused
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _resolve_fused

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    """Adadelta: ``v = rho v + (1-rho) g^2``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1-rho) delta^2``, ``p -= lr * delta``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: scales delta. Default: 1.0.
        rho: coefficient of the running averages. Default: 0.9.
        eps: added inside the square roots. Default: 1e-6.
        weight_decay: L2 penalty. Default: 0.
        foreach, capturable, differentiable: accepted as torch's. Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.
        fused: None (compiled one-pass form where numba's JIT is on), True or False (NumPy form).
            Not a torch argument for Adadelta; it is kept out of the state dict. Default: None.

    Example::

        >>> opt = mytorch.optim.Adadelta(model.parameters(), lr=1.0)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False, fused=None):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_fused_foreach(fused, foreach, differentiable)
        self._fused = fused  # torch's Adadelta has no fused argument, so its groups have no 'fused' key
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        square_avgs = [self._buffer(s, "square_avg", a) for s, a in zip(states, arrays)]
        acc_deltas = [self._buffer(s, "acc_delta", a) for s, a in zip(states, arrays)]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        adadelta(arrays, grads, square_avgs, acc_deltas, steps, lr=float(group["lr"]), rho=group["rho"],
                 eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"],
                 foreach=group["foreach"], fused=group.get("fused", getattr(self, "_fused", None)))


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay, maximize,
             foreach=None, fused=None):
    """Functional Adadelta on ndarrays, in place. The one place where the form is chosen."""
    fused = _resolve_fused(fused, params, "Adadelta")
    func = _fused_adadelta if fused else _single_tensor_adadelta
    func(params, grads, square_avgs, acc_deltas, state_steps, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
         maximize=maximize)


def _single_tensor_adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay,
                            maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        square_avg, acc_delta = square_avgs[i], acc_deltas[i]
        state_steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= lr * delta


def _fused_adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay, maximize):
    for i, param in enumerate(params):
        t = param.dtype.type
        state_steps[i] += 1
        with _fused.flat_inputs(param, grads[i]) as (p, g):
            _adadelta_kernel(p, g, square_avgs[i].reshape(-1), acc_deltas[i].reshape(-1), t(lr), t(rho),
                             t(1 - rho), t(eps), t(weight_decay), maximize)


@_fused.kernel
def _adadelta_kernel(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay, maximize):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        sa = square_avg[i] * rho + one_minus_rho * g * g
        square_avg[i] = sa
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sa + eps) * g
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        param[i] = param[i] - lr * delta
