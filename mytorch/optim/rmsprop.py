"""RMSprop (Hinton) in torch's three layers: the class, ``rmsprop()`` choosing the form,
``_single_tensor_rmsprop`` (NumPy) and ``_fused_rmsprop`` (one pass)."""
import numpy as np

from mytorch.optim import _fused
from mytorch.optim.adam import _lerp_
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _resolve_fused

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha v + (1-alpha) g^2``; ``p -= lr g / (sqrt(v) + eps)`` (centered: the
    variance ``v - mean(g)^2`` instead of ``v``; with momentum, through a buffer).

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        alpha: smoothing constant. Default: 0.99.
        eps: added to the denominator. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        momentum: momentum factor. Default: 0.
        centered: normalise by the estimated variance of the gradient. Default: False.
        capturable, foreach, differentiable: accepted as torch's. Defaults: False, None, False.
        maximize: ascend the objective instead. Default: False.
        fused: None (compiled one-pass form where numba's JIT is on), True or False (NumPy form).
            Not a torch argument for RMSprop; it is kept out of the state dict. Default: None.

    Example::

        >>> opt = mytorch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False, *, fused=None):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        _check_fused_foreach(fused, foreach, differentiable)
        self._fused = fused
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        arrays = [p._data for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        square_avgs = [self._buffer(s, "square_avg", a) for s, a in zip(states, arrays)]
        bufs = ([self._buffer(s, "momentum_buffer", a) for s, a in zip(states, arrays)]
                if group["momentum"] > 0 else [])
        grad_avgs = [self._buffer(s, "grad_avg", a) for s, a in zip(states, arrays)] if group["centered"] else []
        rmsprop(arrays, grads, square_avgs, grad_avgs, bufs, steps, lr=float(group["lr"]), alpha=group["alpha"],
                eps=group["eps"], weight_decay=group["weight_decay"], momentum=group["momentum"],
                centered=group["centered"], maximize=group["maximize"], foreach=group["foreach"],
                fused=group.get("fused", getattr(self, "_fused", None)))


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha, eps,
            weight_decay, momentum, centered, maximize, foreach=None, fused=None):
    """Functional RMSprop on ndarrays, in place. The one place where the form is chosen."""
    fused = _resolve_fused(fused, params, "RMSprop")
    func = _fused_rmsprop if fused else _single_tensor_rmsprop
    func(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, lr=lr, alpha=alpha, eps=eps,
         weight_decay=weight_decay, momentum=momentum, centered=centered, maximize=maximize)


def _single_tensor_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha,
                           eps, weight_decay, momentum, centered, maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        square_avg = square_avgs[i]
        state_steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if centered:
            grad_avg = grad_avgs[i]
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = momentum_buffer_list[i]
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * (grad / avg)


def _fused_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha, eps,
                   weight_decay, momentum, centered, maximize):
    w = 1 - alpha
    for i, param in enumerate(params):
        t = param.dtype.type
        state_steps[i] += 1
        with _fused.flat_inputs(param, grads[i]) as (p, g):
            sa = square_avgs[i].reshape(-1)
            _rmsprop_kernel(p, g, sa, grad_avgs[i].reshape(-1) if centered else sa,
                            momentum_buffer_list[i].reshape(-1) if momentum > 0 else sa, t(lr), t(alpha), t(w),
                            t(1 - w), abs(w) < 0.5, t(eps), t(weight_decay), t(momentum), centered, maximize)


@_fused.kernel
def _rmsprop_kernel(param, grad, square_avg, grad_avg, buf, lr, alpha, w, one_minus_w, small_w, eps, weight_decay,
                    momentum, centered, maximize):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        sa = square_avg[i] * alpha + w * g * g
        square_avg[i] = sa
        if centered:
            ga = grad_avg[i]
            ga = ga + w * (g - ga) if small_w else g - (g - ga) * one_minus_w
            grad_avg[i] = ga
            avg = np.sqrt(sa - ga * ga)
        else:
            avg = np.sqrt(sa)
        avg = avg + eps
        if momentum > 0:
            b = buf[i] * momentum + g / avg
            buf[i] = b
            param[i] = param[i] - lr * b
        else:
            param[i] = param[i] - lr * (g / avg)
