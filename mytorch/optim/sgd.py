"""SGD with torch's momentum rule, in torch's three layers: the class, ``sgd()`` choosing the form,
and the forms ``_single_tensor_sgd`` (NumPy, the reference) and ``_fused_sgd`` (one pass)."""
from mytorch.optim import _fused
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _resolve_fused
from mytorch.tensor import Tensor

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    ``g += weight_decay * p``; with momentum ``buf = momentum * buf + (1 - dampening) * g``
    (``buf = g`` on the first step) and ``g = buf`` (nesterov: ``g + momentum * buf``); then
    ``p -= lr * g``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        momentum: momentum factor. Default: 0.
        dampening: dampening for momentum. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        nesterov: Nesterov momentum. Default: False.
        maximize: ascend the objective instead. Default: False.
        foreach: accepted for torch compatibility; NumPy has no multi-tensor form. Default: None.
        differentiable: only False is supported. Default: False.
        fused: None picks the one-pass compiled form where numba's JIT is on and the parameters
            are float32/float64; True forces it, False forces the NumPy form. Default: None.

    Example::

        >>> opt = mytorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_fused_foreach(fused, foreach, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group, params, grads):
        momentum = group["momentum"]
        bufs = [self._buffer(self.state[p], "momentum_buffer", p._data)
                if momentum != 0 and self.state[p].get("momentum_buffer") is not None else None for p in params]
        sgd([p._data for p in params], grads, bufs, weight_decay=group["weight_decay"], momentum=momentum,
            lr=float(group["lr"]), dampening=group["dampening"], nesterov=group["nesterov"],
            maximize=group["maximize"], foreach=group["foreach"], fused=group["fused"])
        if momentum != 0:
            for p, buf in zip(params, bufs):
                if self.state[p].get("momentum_buffer") is None:
                    self.state[p]["momentum_buffer"] = Tensor._make(buf)


def sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening, nesterov, maximize,
        foreach=None, fused=None):
    """Functional SGD on ndarrays, in place; a None entry of ``momentum_buffer_list`` is replaced
    by the new buffer. The one place where the form is chosen."""
    fused = _resolve_fused(fused, params, "SGD")
    func = _fused_sgd if fused else _single_tensor_sgd
    func(params, grads, momentum_buffer_list, weight_decay=weight_decay, momentum=momentum, lr=lr,
         dampening=dampening, nesterov=nesterov, maximize=maximize)


def _single_tensor_sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening, nesterov,
                       maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = momentum_buffer_list[i] = grad.astype(param.dtype, order="C", copy=True)
            else:
                buf *= momentum
                buf += (1 - dampening) * grad
            grad = grad + momentum * buf if nesterov else buf
        param -= lr * grad


def _fused_sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening, nesterov, maximize):
    for i, param in enumerate(params):
        t = param.dtype.type
        with _fused.flat_inputs(param, grads[i]) as (p, g):
            first = False
            if momentum != 0:
                buf = momentum_buffer_list[i]
                if buf is None:
                    buf = momentum_buffer_list[i] = param.copy(order="C")  # overwritten on the first step
                    first = True
                b = buf.reshape(-1)
            else:
                b = p  # not read without momentum
            _sgd_kernel(p, g, b, t(lr), t(weight_decay), t(momentum), t(1 - dampening), nesterov, maximize, first)


@_fused.kernel
def _sgd_kernel(param, grad, buf, lr, weight_decay, momentum, one_minus_dampening, nesterov, maximize, first):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        if momentum != 0:
            b = g if first else buf[i] * momentum + one_minus_dampening * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * g
