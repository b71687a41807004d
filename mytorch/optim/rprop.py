"""Rprop (resilient backpropagation, Riedmiller and Braun) with torch's update rule; one form, NumPy."""
import numpy as np

from mytorch.optim.optimizer import Optimizer, _check, _check_fused_foreach

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    """Rprop: a step size per element, grown by ``etas[1]`` while the gradient keeps its sign and
    cut by ``etas[0]`` (that step skipped) when it flips, clamped to ``step_sizes``; ``p -= sign(g) * step``.

    Args:
        params: iterable of Tensors or of dicts defining parameter groups.
        lr: the initial step size. Default: 1e-2.
        etas: (etaminus, etaplus). Default: (0.5, 1.2).
        step_sizes: the (minimal, maximal) step size. Default: (1e-6, 50).
        capturable, foreach, differentiable: accepted as torch's. Defaults: False, None, False.
        maximize: ascend the objective instead. Default: False.

    Example::

        >>> opt = mytorch.optim.Rprop(model.parameters())
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check(float(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_fused_foreach(None, foreach, differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update_group(self, group, params, grads):
        states = [self.state[p] for p in params]
        steps = [self._scalar(s, "step", 0.0) for s in states]
        prevs = [self._buffer(s, "prev", p._data) for s, p in zip(states, params)]
        step_sizes = [self._buffer(s, "step_size", p._data, float(group["lr"])) for s, p in zip(states, params)]
        (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        rprop([p._data for p in params], grads, prevs, step_sizes, steps, step_size_min=step_size_min,
              step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus, maximize=group["maximize"],
              foreach=group["foreach"])


def rprop(params, grads, prevs, step_sizes, state_steps, *, step_size_min, step_size_max, etaminus, etaplus,
          maximize, foreach=None):
    """Functional Rprop on ndarrays, in place (one form: NumPy)."""
    _single_tensor_rprop(params, grads, prevs, step_sizes, state_steps, step_size_min=step_size_min,
                         step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus, maximize=maximize)


def _single_tensor_rprop(params, grads, prevs, step_sizes, state_steps, *, step_size_min, step_size_max, etaminus,
                         etaplus, maximize):
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        prev, step_size = prevs[i], step_sizes[i]
        state_steps[i] += 1
        # the factor per element, in the parameter's dtype, set in torch's order
        sign = np.sign(grad * prev).astype(param.dtype, copy=False)
        sign[sign > 0] = etaplus
        sign[sign < 0] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = np.array(grad, dtype=param.dtype, copy=True)
        grad[sign == sign.dtype.type(etaminus)] = 0  # a flipped sign skips the step
        param -= np.sign(grad) * step_size
        prev[...] = grad
