"""Reverse-mode autograd: Function (a primitive's forward/backward on ndarrays), the backward engine,
grad-mode switches and gradcheck.

A graph node is the Function instance that made a tensor (``tensor.grad_fn``). It holds its input
tensors (``parents``) and whatever its forward saved on ``self``. Broadcasting is undone here, in
the engine, by summing each input gradient back to its parent's shape: no op does it itself.
"""
import functools

import numpy as np

__all__ = ["Function", "backward", "grad_mode", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "gradcheck", "GradcheckError"]


class _GradMode:
    enabled = True


grad_mode = _GradMode()


def is_grad_enabled():
    return grad_mode.enabled


class _GradModeContext:
    """Base for no_grad/enable_grad: a context manager that also decorates functions."""

    _target = None

    def __enter__(self):
        self._prev = grad_mode.enabled
        grad_mode.enabled = self._target

    def __exit__(self, *exc):
        grad_mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disables graph building inside the block or decorated function."""
    _target = False


class enable_grad(_GradModeContext):
    """Re-enables graph building inside a no_grad block."""
    _target = True


class set_grad_enabled(_GradModeContext):
    """Sets grad mode now (as a function call) or for a block (as a context manager)."""

    def __init__(self, mode):
        self._prev = grad_mode.enabled
        self._target = bool(mode)
        grad_mode.enabled = self._target

    def __enter__(self):
        pass  # already switched in __init__, as torch does

    def __call__(self, fn):
        grad_mode.enabled = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class Function:
    """A differentiable primitive.

    Subclasses implement ``forward(self, *arrays, **options) -> ndarray`` and
    ``backward(self, grad) -> one gradient (or None) per array input``, saving on ``self`` what the
    backward needs. ``apply`` takes Tensors (and options as keywords) and returns a Tensor.
    """

    __slots__ = ("parents", "needs_input_grad", "released", "__dict__")

    @classmethod
    def apply(cls, *inputs, **options):
        fn = cls()
        out = fn.forward(*[t._data for t in inputs], **options)
        requires_grad = False
        if grad_mode.enabled:
            for t in inputs:  # a plain loop: any() with a generator costs ~1 us per op here
                if t._requires_grad:
                    requires_grad = True
                    break
        result = Tensor._make(out, requires_grad)
        if requires_grad:
            fn.parents = inputs
            fn.needs_input_grad = tuple(t._requires_grad for t in inputs)
            fn.released = False
            result.grad_fn = fn
        return result

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"


def _sum_to(grad, shape):
    """Sums a broadcast gradient back to ``shape`` (the inverse of NumPy broadcasting)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[i + lead] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


def _topological_order(root_fn):
    """Nodes reachable from root_fn, each after every node that consumes its output.

    Depth-first post-order with an explicit stack (a chain of 100,000 ops does not touch the
    recursion limit), reversed. NOTE: a node is marked visited when it is expanded, not when it is
    pushed: marking at push lets a node reached by two paths finish before one of its consumers.
    """
    order, visited = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for parent in fn.parents:
            p = parent.grad_fn
            if p is not None and p not in visited:
                stack.append((p, False))
    order.reverse()
    return order


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulates d(tensor)/d(leaf) into every leaf's ``.grad`` that requires grad."""
    if not tensor._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs "
                               f"(got a tensor of shape {list(tensor.shape)}); pass `gradient`")
        grad = np.ones_like(tensor._data)
    else:
        grad = gradient._data if hasattr(gradient, "_data") else np.asarray(gradient)
        if grad.shape != tensor._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {list(grad.shape)} "
                               f"and output has a shape of {list(tensor.shape)}")
        grad = grad.astype(tensor._data.dtype, copy=False)

    if tensor.grad_fn is None:  # backward on a leaf: d(leaf)/d(leaf) = gradient
        _accumulate_leaf(tensor, grad)
        return
    with no_grad():
        grads = {tensor.grad_fn: grad}
        for fn in _topological_order(tensor.grad_fn):
            g = grads.pop(fn, None)
            if g is None:
                continue
            if fn.released:
                raise RuntimeError("Trying to backward through the graph a second time; "
                                   "pass retain_graph=True to the first backward call")
            input_grads = fn.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, needed, pg in zip(fn.parents, fn.needs_input_grad, input_grads):
                if not needed or pg is None:
                    continue
                pg = _sum_to(pg, parent._data.shape)
                if pg.dtype != parent._data.dtype:
                    pg = pg.astype(parent._data.dtype)
                node = parent.grad_fn
                if node is None:
                    _accumulate_leaf(parent, pg)
                elif node in grads:
                    grads[node] = grads[node] + pg  # out of place: pg may alias another buffer
                else:
                    grads[node] = pg
            if not retain_graph:
                fn.released = True
                fn.__dict__.clear()  # frees the saved arrays now, as torch frees saved tensors


def _accumulate_leaf(leaf, grad):
    if leaf.grad is None:
        # A copy: the same array may flow to several leaves (a + b sends g to both), and an
        # in-place op on one leaf's grad must not reach another's.
        leaf.grad = Tensor._make(np.array(grad, dtype=leaf._data.dtype, copy=True), False)
    else:
        leaf.grad._data = leaf.grad._data + grad


class GradcheckError(RuntimeError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the analytic Jacobian of ``fn`` with float64 central differences.

    Every input that requires grad must be float64. Returns True when every entry agrees within
    ``atol + rtol * |numeric|``; otherwise raises GradcheckError naming the worst element (or returns
    False with ``raise_exception=False``).

    Example::

        >>> x = mytorch.randn(3, dtype=mytorch.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    for i in wrt:
        if inputs[i].dtype.np != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs; input {i} is {inputs[i].dtype}")

    def outputs():
        out = fn(*inputs)
        return out if isinstance(out, (tuple, list)) else (out,)

    with no_grad():
        base = [o._data.copy() for o in outputs()]

    worst = (-1.0, None)
    for out_idx, out0 in enumerate(base):
        for i in wrt:
            if not inputs[i]._data.flags.c_contiguous:
                inputs[i]._data = np.ascontiguousarray(inputs[i]._data)
            x = inputs[i]._data
            numeric = np.empty((x.size, out0.size))
            flat = x.reshape(-1)  # a view: perturbs the tensor's own storage
            with no_grad():
                for k in range(x.size):
                    orig = flat[k]
                    flat[k] = orig + eps
                    plus = outputs()[out_idx]._data.astype(np.float64).reshape(-1)
                    flat[k] = orig - eps
                    minus = outputs()[out_idx]._data.astype(np.float64).reshape(-1)
                    flat[k] = orig
                    numeric[k] = (plus - minus) / (2 * eps)
            analytic = np.zeros_like(numeric)
            for j in range(out0.size):
                for t in inputs:
                    if isinstance(t, Tensor):
                        t.grad = None
                out = outputs()[out_idx]
                if not out.requires_grad:
                    continue
                seed = np.zeros(out0.size)
                seed[j] = 1.0
                out.backward(Tensor._make(seed.reshape(out0.shape).astype(out._data.dtype), False))
                if inputs[i].grad is not None:
                    analytic[:, j] = inputs[i].grad._data.reshape(-1)
            for t in inputs:
                if isinstance(t, Tensor):
                    t.grad = None
            excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
            if excess.size and excess.max() > worst[0]:
                k, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
                worst = (excess.max(), (out_idx, i, k, j, analytic[k, j], numeric[k, j]))
    if worst[0] > 0:
        out_idx, i, k, j, a, n = worst[1]
        msg = (f"Jacobian mismatch for output {out_idx} with respect to input {i}: "
               f"at (input element {k}, output element {j}) analytic {a!r} vs numeric {n!r} "
               f"(atol={atol}, rtol={rtol})")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


from mytorch.tensor import Tensor  # noqa: E402  (tensor.py needs this module's names first)
