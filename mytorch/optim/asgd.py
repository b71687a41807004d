"""ASGD (averaged SGD, Polyak and Juditsky) with torch's update rule; one form, NumPy."""
from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach, _scalar_dtype

__all__ = ["ASGD", "asgd"]


class ASGD(Optimizer):
    """Averaged SGD: ``p *= 1 - lambd eta``, ``p -= eta g``, ``ax`` the running average of ``p``
    from step ``t0`` on; ``eta = lr / (1 + lambd lr t)^alpha``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        lambd: decay term. Default: 1e-4.
        alpha: power for the eta update. Default: 0.75.
        t0: the step at which averaging starts. Default: 1e6.
        weight_decay: L2 penalty. Default: 0.
        foreach, differentiable, capturable: accepted as torch's. Defaults: None, False, False.
        maximize: ascend the objective instead. Default: False.

    Example::

        >>> opt = mytorch.optim.ASGD(model.parameters(), lr=0.01)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_fused_foreach(None, foreach, differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        etas = [self._scalar(s, "eta", float(group["lr"])) for s in states]
        mus = [self._scalar(s, "mu", 1.0) for s in states]
        axs = [self._buffer(s, "ax", p._data) for s, p in zip(states, params)]
        asgd([p._data for p in params], grads, axs, mus, etas, steps, lambd=group["lambd"], lr=float(group["lr"]),
             t0=group["t0"], alpha=group["alpha"], weight_decay=group["weight_decay"], maximize=group["maximize"],
             foreach=group["foreach"])


def asgd(params, grads, axs, mus, etas, state_steps, *, lambd, lr, t0, alpha, weight_decay, maximize, foreach=None):
    """Functional ASGD on ndarrays, in place (one form: NumPy). ``mus`` and ``etas`` are 0-d
    arrays; their new values round to the scalar dtype (float32) as torch's do."""
    _single_tensor_asgd(params, grads, axs, mus, etas, state_steps, lambd=lambd, lr=lr, t0=t0, alpha=alpha,
                        weight_decay=weight_decay, maximize=maximize)


def _single_tensor_asgd(params, grads, axs, mus, etas, state_steps, *, lambd, lr, t0, alpha, weight_decay,
                        maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        ax, mu, eta = axs[i], mus[i], etas[i]
        state_steps[i] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param
        eta_value = float(eta)
        param *= 1 - lambd * eta_value
        param -= eta_value * grad
        if float(mu) != 1:
            ax += (param - ax) * mu.astype(param.dtype)
        else:
            ax[...] = param
        step = float(state_steps[i])
        # NOTE: torch makes the new values with torch.as_tensor, in the default dtype, before
        # copying them in: they round to float32 even where eta and mu are float64 (after a load)
        scalar = _scalar_dtype()
        eta[...] = scalar(lr / ((1 + lambd * lr * step) ** alpha))
        mu[...] = scalar(1 / max(1, step - t0))
