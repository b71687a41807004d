"""Reverse-mode autograd: Function (a primitive's forward/backward on ndarrays), the backward engine,
grad-mode switches, version counters and gradcheck.

A graph node is the Function instance that made a tensor (``tensor.grad_fn``). It holds its input
tensors (``parents``), its creation sequence number (``seq``) and whatever its forward saved on
``self``. Broadcasting is undone here, in the engine, by summing each input gradient back to its
parent's shape: no op does it itself.

Threads: grad mode is per thread (``grad_mode`` is a ``threading.local``; a new thread starts with
grad enabled, as in torch). A graph belongs to the thread that runs its backward; two threads may
build and differentiate separate graphs at the same time because the engine keeps its state in
locals. Sharing one graph between threads while it runs backward is not supported (torch locks).

Version counters: a tensor's ``_vc`` is a one-element list shared by all views of the same
storage, created on first need (None reads as version 0: most tensors are never changed in place,
and every extra container per op costs garbage-collector time); an in-place op bumps it. A
primitive declares what its backward reads (``saved``: which inputs, ``saves_output``) and
``apply`` records those versions; backward raises torch's "modified by an inplace operation"
error when they changed. An in-place op inside a graph gives the tensor a new grad_fn; nodes made
before it still reach the old one through the tensor's ``_rebased`` history, looked up by the
nodes' creation sequence numbers (``seq``), so no node stores a list of edges.
"""
import functools
import inspect
import itertools
import sys
import threading
import types

import numpy as np

__all__ = ["Function", "backward", "grad", "grad_mode", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "gradcheck",
           "GradcheckError", "Variable", "once_differentiable", "FunctionCtx", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled"]


class _GradMode(threading.local):
    enabled = True  # a class attribute: what every thread sees until it sets its own


grad_mode = _GradMode()


def is_grad_enabled():
    return grad_mode.enabled


class _GradModeContext:
    """Base for no_grad/enable_grad: a context manager that also decorates functions, with or without
    parentheses (``@no_grad()`` and ``@no_grad``, as torch 2 accepts)."""

    _target = None

    def __new__(cls, *args, **kwargs):
        if cls in (no_grad, enable_grad) and len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = grad_mode.enabled
        grad_mode.enabled = self._target

    def __exit__(self, *exc):
        grad_mode.enabled = self._prev
        return False

    def __call__(self, fn):
        cls = self.__class__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disables graph building inside the block or decorated function (in this thread)."""
    _target = False


class enable_grad(_GradModeContext):
    """Re-enables graph building inside a no_grad block (in this thread)."""
    _target = True


class inference_mode(_GradModeContext):
    """``torch.inference_mode(mode=True)``: here the same as ``no_grad`` (there are no inference
    tensors to forbid later autograd use of); ``inference_mode(False)`` changes nothing."""

    def __new__(cls, mode=True):
        if mode is not None and not isinstance(mode, bool) and callable(mode):
            return cls()(mode)  # bare ``@inference_mode``
        return super().__new__(cls)

    def __init__(self, mode=True):
        self._target = False if mode else None

    def __enter__(self):
        self._prev = grad_mode.enabled
        if self._target is not None:
            grad_mode.enabled = self._target

    def __call__(self, fn):
        mode = self._target is not None

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


def is_inference_mode_enabled():
    return False


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


# ============================================================================ graph nodes
class Function:
    """A differentiable primitive, in one of two forms.

    Internal form (ops.py and the nn kernels): subclasses implement ``forward(self, *arrays,
    **options) -> ndarray`` and ``backward(self, grad) -> one gradient (or None) per array input``,
    saving on ``self`` what the backward needs, and declare what that is for the version check:
    ``saved`` lists ``(i, j)`` pairs, "input i is read by backward when input j needs a gradient"
    (``j`` None: always), and ``saves_output`` says the backward reads the result. ``Cls.apply(
    *tensors, **options)`` returns a Tensor.

    torch's form (user code): ``@staticmethod forward(ctx, *args, **kwargs)`` and ``@staticmethod
    backward(ctx, *grads)``, called as ``Cls.apply(*args)``; see ``FunctionCtx``. A class is
    in torch's form when its ``forward`` is a staticmethod.
    """

    __slots__ = ("parents", "seq", "needs_input_grad", "released", "__dict__", "__weakref__")
    saved = ()
    saves_output = False
    _versions = None        # flat [saved input tensor, its version then] * k
    _out_vc = None          # the output's version counter when the backward reads the output
    _out_version = 0        # the version expected there (0, or later after an in-place rebase)
    _out_array = None       # the output's array (for the error message)
    _tensor_hooks = None    # hooks registered on the (non-leaf) tensor this node made
    _retain = None          # weakref to that tensor when it called retain_grad()
    _multi = False          # a node with several outputs (torch-form Functions only)
    _torch_name = None
    _records = False        # saved or saves_output: apply records versions

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(inspect.getattr_static(cls, "forward", None), staticmethod):
            cls.apply = classmethod(_apply_torch_form)
        else:  # a graph-node class: named as torch names its nodes (type(y.grad_fn).__name__ == "MulBackward0")
            cls.__name__ = cls.__qualname__ = cls.__dict__.get("_torch_name") or cls.__name__ + "Backward0"
        cls._records = bool(cls.saved or cls.saves_output)

    @classmethod
    def apply(cls, *inputs, **options):
        fn = cls()
        out = fn.forward(*[t._data for t in inputs], **options)
        if grad_mode.enabled:
            for t in inputs:  # a plain loop: any() with a generator costs ~1 us per op here
                if t._requires_grad:
                    break
            else:
                return Tensor._make(out)
            result = Tensor._make(out, True)
            fn.parents = inputs
            fn.seq = _next_seq()
            fn.needs_input_grad = tuple([t._requires_grad for t in inputs])
            fn.released = False
            if cls._records:
                if cls.saves_output:  # exp, tanh, sigmoid, relu: the output's counter, expected at 0
                    fn._out_vc = result._vc = [0]
                    fn._out_array = out
                if cls.saved:
                    versions = []
                    for i, j in cls.saved:
                        if j is None or inputs[j]._requires_grad:
                            t = inputs[i]
                            vc = t._vc
                            if vc is not CONSTANT:
                                versions += (t, 0 if vc is None else vc[0])
                    if versions:
                        fn._versions = versions
            result.grad_fn = fn
            return result
        return Tensor._make(out)

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def name(self):
        return self._torch_name or type(self).__name__

    @property
    def next_functions(self):
        """((node, output index), ...) per input, as torch: AccumulateGrad for a leaf that
        requires grad, None for an input outside the graph."""
        edges = []
        for t in self.parents:
            node = _edge(t, self)
            if node is not None:
                edges.append((node, t._output_nr if node._multi else 0))
            elif t._requires_grad:
                edges.append((_accumulate_node(t), 0))
            else:
                edges.append((None, 0))
        return tuple(edges)

    def register_hook(self, hook):
        raise NotImplementedError("hooks on graph nodes are not supported; use Tensor.register_hook")

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node torch shows at a leaf in ``next_functions``; ``variable`` is the leaf."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _accumulate_node(t):
    node = t.__dict__.get("_accumulate_node")
    if node is None:
        node = t.__dict__["_accumulate_node"] = AccumulateGrad(t)
    return node


# The version counter of the 0-d tensors ops make from Python numbers: no user code can reach
# them to change them in place, so apply records no version for them.
CONSTANT = [0]

_next_seq = itertools.count().__next__  # creation order of nodes (thread-safe under the GIL)
_rebase_count = [0]  # in-place ops inside a graph so far (until the first, the engine skips _edge)
_hook_count = [0]    # tensor hooks or retain_grad registered so far (until then the engine skips them)
_multi_count = [0]   # multi-output (torch-form) nodes made so far


def _counter(t):
    """t's version counter, created on first need."""
    c = t._vc
    if c is None:
        c = t._vc = [0]
    return c


_last_bump = [-1]  # sequence number at the latest in-place change: older nodes need a version check


def _bump(t):
    """Records an in-place change of t's memory."""
    seq = _next_seq()
    if seq > _last_bump[0]:  # monotonic even when two threads bump at once
        _last_bump[0] = seq
    c = t._vc
    if c is None:
        t._vc = [1]
    else:
        c[0] += 1


def _edge(parent, fn):
    """The node that made ``parent`` when ``fn`` was created: an in-place op may have given
    parent a new grad_fn since (``_rebased`` holds (sequence number of the change, old grad_fn))."""
    history = parent._rebased
    if history is not None:
        for seq, old in history:
            if fn.seq < seq:
                return old
    return parent.grad_fn


def _short_name(node):
    name = node.name()
    cut = name.rfind("Backward")
    return name[:cut] if cut > 0 else name


def _check_versions(fn):
    """Raises torch's error when a tensor the node's backward reads changed in place since."""
    v = fn._versions
    if v is not None:
        for k in range(0, len(v), 2):
            t, expected = v[k], v[k + 1]
            version = 0 if t._vc is None else t._vc[0]
            if version != expected:
                what = "" if t.grad_fn is None else f", which is output 0 of {_short_name(t.grad_fn)},"
                _raise_modified(t._data, what, version, expected)
    if fn._out_vc is not None and fn._out_vc[0] != fn._out_version:
        _raise_modified(fn._out_array, f", which is output 0 of {_short_name(fn)},", fn._out_vc[0],
                        fn._out_version)


def _raise_modified(array, what, version, expected):
    shape, dt = array.shape, array.dtype
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{_legacy_type_name(dt)} {list(shape)}]{what} is at version "
        f"{version}; expected version {expected} instead. Hint: the in-place operation came "
        "after this tensor was saved for the backward pass; use its out-of-place form "
        "(e.g. x = x + 1 rather than x += 1) or clone() the tensor before changing it.")


_LEGACY = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
           "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
           "uint8": "ByteTensor", "bool": "BoolTensor"}


def _legacy_type_name(np_dtype):
    return _LEGACY.get(np.dtype(np_dtype).name, "Tensor")


# ---------------------------------------------------------------------------- torch-form Function
class FunctionCtx:
    """The ``ctx`` a torch-form Function's forward and backward receive."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = ()
        self._dirty = ()
        self._versions = []

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if self.to_save is None:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access "
                               "saved tensors after they have already been freed). Saved intermediate "
                               "values of the graph are freed when you call .backward() or "
                               "autograd.grad(). Specify retain_graph=True if you need to backward "
                               "through the graph a second time or if you need to access saved tensors "
                               "after calling backward.")
        return tuple(self.to_save)

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _TorchFormNode(Function):
    """The graph node of one call of a torch-form Function: calls the user's backward."""

    def backward(self, g):
        ctx, cls = self.ctx, self.fn_cls
        grads = list(g) if self._multi else [g]
        wrapped = []
        for k, (shape, dt) in enumerate(self.out_meta):
            gk = grads[k] if k < len(grads) else None
            if gk is None and ctx.materialize_grads:
                gk = np.zeros(shape, dt)
            wrapped.append(None if gk is None else Tensor._make(gk))
        result = cls.backward(ctx, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < self.n_args:
            if len(result) != self.n_args:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {self.n_args}, got {len(result)})")
        out = []
        for i, parent in zip(self.tensor_pos, self.parents):
            r = result[i] if i < len(result) else None
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"function {self.name()} returned a gradient of type {type(r).__name__} "
                                f"for input {i}; expected a Tensor or None")
            if r._data.shape != parent._data.shape and \
                    np.broadcast_shapes(r._data.shape, parent._data.shape) != parent._data.shape:
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(r.shape)} but expected shape compatible with {list(parent.shape)}")
            out.append(r._data)
        return tuple(out)


def _apply_torch_form(cls, *args, **kwargs):
    ctx = FunctionCtx()
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = tuple(args[i] for i in tensor_pos)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    with no_grad():
        if "setup_context" in _own_attrs(cls):  # torch 2's form: forward(*args), setup_context(ctx, ...)
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(out, (tuple, list))
    outs = [out] if single else list(out)
    dirty = {id(t) for t in ctx._dirty}
    inputs = {id(t) for t in tensors}
    for k, o in enumerate(outs):
        if isinstance(o, Tensor):
            if id(o) in dirty:
                pass  # forward changed it in place: that change already bumped its version
            elif id(o) in inputs:  # an input returned as is comes back as an alias (a view), as in torch
                alias = Tensor._make(o._data)
                alias._vc = _counter(o)
                outs[k] = alias
    if grad_mode.enabled and any(t._requires_grad for t in tensors):
        node_class = cls.__dict__.get("_node_class")
        if node_class is None:  # one node class per user Function, named <Name>Backward as in torch
            node_class = type(cls.__name__ + "Backward", (_TorchFormNode,),
                              {"_torch_name": cls.__name__ + "Backward", "__module__": cls.__module__})
            cls._node_class = node_class
        node = node_class()
        node.ctx, node.fn_cls = ctx, cls
        node.parents, node.seq = tensors, _next_seq()
        node.needs_input_grad = tuple(t._requires_grad for t in tensors)
        node.released = False
        node.tensor_pos, node.n_args = tensor_pos, len(args)
        node.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), np.float32)
                         for o in outs]
        if len(outs) > 1:
            node._multi = True
            _multi_count[0] += 1
        non_diff = {id(t) for t in ctx._non_differentiable}
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) not in non_diff and o._data.dtype.kind == "f":
                if id(o) in dirty:
                    if o.grad_fn is None and o._requires_grad:
                        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                                           "operation.")
                    # nodes up to this one (its own edge included) still reach the old grad_fn
                    o._rebased = (o._rebased or ()) + ((node.seq + 1, o.grad_fn),)
                    _rebase_count[0] += 1
                o.grad_fn = node
                o._requires_grad = True
                if k:
                    o._output_nr = k
        versions = []
        for t in ctx.to_save:
            if t is not None:
                versions += (t, 0 if t._vc is None else t._vc[0])
        node._versions = versions or None
    return outs[0] if single else tuple(outs)


def _own_attrs(cls):
    """Names defined by a user's Function subclass (not by mytorch's Function itself)."""
    names = set()
    for klass in cls.__mro__:
        if klass is Function:
            break
        names.update(vars(klass))
    return names


class detect_anomaly:
    """``torch.autograd.detect_anomaly``: accepted (context manager and decorator); mytorch's
    errors already name the failing node, so it adds no checks."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


def set_detect_anomaly(mode, check_nan=True):
    return detect_anomaly(check_nan)


def is_anomaly_enabled():
    return False


def once_differentiable(fn):
    """Marks a torch-form backward as not differentiable again (every backward here is)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``torch.autograd.Variable(data, requires_grad=False)``: today's torch returns a Tensor; so
    does this (an alias of ``data`` sharing its memory), and ``isinstance(t, Variable)`` holds for
    every Tensor."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            data = Tensor._make(np.zeros((0,), np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if not requires_grad:
            return data
        alias = Tensor._make(data._data)
        alias._vc = _counter(data)
        return alias.requires_grad_(True)


# ============================================================================ the engine
def _sum_to(grad, shape):
    """Sums a broadcast gradient back to ``shape`` (the inverse of NumPy broadcasting)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[i + lead] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


def _topological_order(roots, rebased=True):
    """Nodes reachable from ``roots``, each after every node that consumes its output.

    Depth-first post-order with an explicit stack (a chain of 100,000 ops does not touch the
    recursion limit), reversed. NOTE: a node is marked visited when it is expanded, not when it is
    pushed: marking at push lets a node reached by two paths finish before one of its consumers.
    """
    order, visited = [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for t in fn.parents:
            p = t.grad_fn if not rebased else _edge(t, fn)
            if p is not None and p not in visited:
                stack.append((p, False))
    order.reverse()
    return order


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) or not isinstance(x, (tuple, list)) else list(x)


def _seed(tensor, gradient, index):
    if not tensor._requires_grad:
        raise RuntimeError(f"element {index} of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs "
                               f"(got a tensor of shape {list(tensor.shape)}); pass `gradient`")
        return np.ones_like(tensor._data)
    grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if grad.shape != tensor._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{index}] has a shape of {list(grad.shape)} "
                           f"and output[{index}] has a shape of {list(tensor.shape)}.")
    return grad.astype(tensor._data.dtype, copy=False)


def _run_hooks(hooks, g):
    for hook in hooks:
        r = hook(Tensor._make(g))
        if r is not None:
            g = r._data if isinstance(r, Tensor) else np.asarray(r)
    return g


def _engine(roots, seeds, retain_graph, capture=None):
    """Runs backward from ``roots`` (tensors) with gradients ``seeds`` (arrays).

    Without ``capture`` the gradients of leaves accumulate into their ``.grad``. With ``capture``
    (a list of tensors) nothing touches ``.grad``: the gradient reaching each captured tensor is
    returned, in order (None where none arrived).
    """
    captured = None
    if capture is not None:
        captured = {}
        want_leaf = {id(t) for t in capture if t.grad_fn is None}
        want_node = {}
        for t in capture:
            if t.grad_fn is not None:
                want_node.setdefault(t.grad_fn, []).append(t)

    def deliver(leaf, g):
        hooks = leaf._hooks
        if hooks:
            g = _run_hooks(hooks, g)
        if captured is None:
            _accumulate_leaf(leaf, g)
        elif id(leaf) in want_leaf:
            prev = captured.get(id(leaf))
            captured[id(leaf)] = g if prev is None else prev + g

    rebased = _rebase_count[0]  # no in-place op in a graph so far: every edge is parent.grad_fn
    last_bump = _last_bump[0]   # nodes made after the latest in-place change need no version check
    slow = captured is not None or _hook_count[0]
    multi = _multi_count[0]     # no multi-output node exists yet: skip that check per edge
    grads, nodes = {}, []
    for t, g in zip(roots, seeds):
        node = t.grad_fn
        if node is None:
            deliver(t, g)
        elif node._multi:
            slot = grads.setdefault(node, [None] * len(node.out_meta))
            k = t._output_nr
            slot[k] = g if slot[k] is None else slot[k] + g
            nodes.append(node)
        else:
            grads[node] = grads[node] + g if node in grads else g
            nodes.append(node)
    with no_grad():
        for fn in _topological_order(nodes, rebased):
            g = grads.pop(fn, None)
            if g is None:
                continue
            if fn.released:
                raise RuntimeError("Trying to backward through the graph a second time (or directly access "
                                   "saved tensors after they have already been freed). Specify "
                                   "retain_graph=True if you need to backward through the graph a second "
                                   "time or if you need to access saved tensors after calling backward.")
            if slow:  # hooks registered somewhere, or autograd.grad capturing
                if fn._tensor_hooks is not None:
                    g = _run_hooks(fn._tensor_hooks, g)
                    if fn._retain is not None:
                        t = fn._retain()
                        if t is not None:
                            _accumulate_leaf(t, g)
                if captured is not None and fn in want_node:
                    for t in want_node[fn]:
                        captured[id(t)] = g[t._output_nr] if fn._multi else g
            if fn.seq < last_bump and (fn._versions is not None or fn._out_vc is not None):
                _check_versions(fn)
            input_grads = fn.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, needed, pg in zip(fn.parents, fn.needs_input_grad, input_grads):
                if not needed or pg is None:
                    continue
                node = parent.grad_fn if not rebased else _edge(parent, fn)
                pg = _sum_to(pg, parent._data.shape)
                if pg.dtype != parent._data.dtype:
                    pg = pg.astype(parent._data.dtype)
                if node is None:
                    deliver(parent, pg)
                elif multi and node._multi:
                    slot = grads.setdefault(node, [None] * len(node.out_meta))
                    k = parent._output_nr
                    slot[k] = pg if slot[k] is None else slot[k] + pg
                elif node in grads:
                    grads[node] = grads[node] + pg  # out of place: pg may alias another buffer
                else:
                    grads[node] = pg
            if not retain_graph:
                fn.released = True
                fn.__dict__.clear()  # frees the saved arrays now, as torch frees saved tensors
    if captured is not None:
        return [captured.get(id(t)) for t in capture]
    return None


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             gradient=None):
    """``torch.autograd.backward``: accumulates d(tensors)/d(leaf) into every leaf's ``.grad``
    (only into ``inputs``' ``.grad`` when given)."""
    if gradient is not None:
        grad_tensors = gradient
    roots = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(roots)
    if len(grads) != len(roots):
        raise RuntimeError(f"got {len(grads)} gradients for {len(roots)} tensors")
    seeds = [_seed(t, g, i) for i, (t, g) in enumerate(zip(roots, grads))]
    if create_graph:
        if inputs is None:
            _engine_graph(roots, seeds, None)
        else:
            for t, g in zip(_as_list(inputs), _engine_graph(roots, seeds, _as_list(inputs))):
                if g is not None:
                    t.grad = g if t.grad is None else t.grad + g
        return
    retain = bool(retain_graph)
    if inputs is None:
        _engine(roots, seeds, retain)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    for t, g in zip(inputs, _engine(roots, seeds, retain, capture=inputs)):
        if g is not None:
            _accumulate_leaf(t, g)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs`` as a tuple,
    without touching any ``.grad``."""
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported by mytorch")
    roots, ins = _as_list(outputs), _as_list(inputs)
    for t in ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(roots)
    seeds = [_seed(t, g, i) for i, (t, g) in enumerate(zip(roots, grads))]
    if allow_unused is None:
        allow_unused = materialize_grads
    if not allow_unused:  # checked before running, so a refused call leaves the graph intact
        nodes = _topological_order([t.grad_fn for t in roots if t.grad_fn is not None])
        reached = set(nodes) | {id(p) for fn in nodes for p in fn.parents} | {id(t) for t in roots}
        for i, t in enumerate(ins):
            if (t.grad_fn if t.grad_fn is not None else id(t)) not in reached:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
    if create_graph:
        got = [None if g is None else g for g in _engine_graph(roots, seeds, ins)]
        return tuple(g if g is not None else (Tensor._make(np.zeros_like(t._data)) if materialize_grads else None)
                     for t, g in zip(ins, got)) if allow_unused else _check_used(got)
    got = _engine(roots, seeds, bool(retain_graph), capture=ins)
    result = []
    for i, (t, g) in enumerate(zip(ins, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(Tensor._make(np.zeros_like(t._data)) if materialize_grads else None)
        else:
            result.append(Tensor._make(np.array(g, dtype=t._data.dtype, copy=True)))
    return tuple(result)


# ============================================================================ create_graph=True
# Higher-order gradients: the backward pass itself is recorded. Each primitive that supports it has
# ``backward_t(self, g)``, its backward written with mytorch ops on Tensors (registered below, in
# ops.py's terms); the engine then runs on Tensors with grad mode on. Primitives without one raise
# NotImplementedError naming the node.
def _sum_to_t(g, shape):
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    from mytorch import ops
    out = ops.sum(g, dim=axes, keepdim=True) if axes else g
    return ops.reshape(out, tuple(shape))


def _engine_graph(roots, seeds, capture):
    """Backward on Tensors, recording the graph (create_graph=True). Leaves' gradients accumulate
    into ``.grad`` (or are returned for ``capture``) as Tensors that are part of a graph."""
    from mytorch import ops
    captured = {} if capture is not None else None
    want_node = {}
    if capture is not None:
        for t in capture:
            if t.grad_fn is not None:
                want_node.setdefault(t.grad_fn, []).append(t)

    def deliver(leaf, g):
        if captured is None:
            leaf.grad = g if leaf.grad is None else ops.add(leaf.grad, g)
        elif any(leaf is t for t in capture):
            prev = captured.get(id(leaf))
            captured[id(leaf)] = g if prev is None else ops.add(prev, g)

    grads, nodes = {}, []
    for t, g in zip(roots, seeds):
        g = Tensor._make(g)
        if t.grad_fn is None:
            deliver(t, g)
        else:
            node = t.grad_fn
            grads[node] = ops.add(grads[node], g) if node in grads else g
            nodes.append(node)
    with enable_grad():
        for fn in _topological_order(nodes):
            g = grads.pop(fn, None)
            if g is None:
                continue
            if fn.released:
                raise RuntimeError("Trying to backward through the graph a second time; pass retain_graph=True")
            if captured is not None and fn in want_node:
                for t in want_node[fn]:
                    captured[id(t)] = g
            if fn._versions is not None or fn._out_vc is not None:
                _check_versions(fn)
            backward_t = getattr(fn, "backward_t", None)
            if backward_t is None or fn._multi:
                raise NotImplementedError(f"create_graph=True: {fn.name()} has no differentiable backward in "
                                          "mytorch (supported: arithmetic, pow, exp/log/sqrt/tanh/sigmoid/relu, "
                                          "sum/mean, matmul, shape ops, indexing)")
            input_grads = backward_t(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, needed, pg in zip(fn.parents, fn.needs_input_grad, input_grads):
                if not needed or pg is None:
                    continue
                pg = _sum_to_t(pg, parent._data.shape)
                if pg._data.dtype != parent._data.dtype:
                    pg = ops.to_dtype(pg, parent.dtype)
                node = _edge(parent, fn)
                if node is None:
                    deliver(parent, pg)
                elif node in grads:
                    grads[node] = ops.add(grads[node], pg)
                else:
                    grads[node] = pg
    if captured is not None:
        return [captured.get(id(t)) for t in capture]
    return None


def _check_used(got):
    for i, g in enumerate(got):
        if g is None:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in "
                               "the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(got)


def _accumulate_leaf(leaf, grad):
    if leaf.grad is None:
        # A copy: the same array may flow to several leaves (a + b sends g to both), and an
        # in-place op on one leaf's grad must not reach another's.
        leaf.grad = Tensor._make(np.array(grad, dtype=leaf._data.dtype, copy=True), False)
    else:
        leaf.grad._data = leaf.grad._data + grad


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """``torch.autograd.functional.jacobian``: d func(inputs) / d inputs, one backward per output
    element. A tensor input and output give a tensor of shape output.shape + input.shape; tuples
    give tuples (of tuples), as in torch."""
    if create_graph:
        raise NotImplementedError("jacobian(create_graph=True) needs higher-order gradients, which mytorch "
                                  "does not support")
    single_in = isinstance(inputs, Tensor)
    ins = (inputs,) if single_in else tuple(inputs)
    ins = tuple(Tensor._make(t._data.copy()).requires_grad_(t._data.dtype.kind == "f") for t in ins)
    with enable_grad():
        out = func(*ins)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out)
    result = []
    for o in outs:
        rows = [np.zeros((o._data.size,) + t._data.shape, t._data.dtype) for t in ins]
        for k in range(o._data.size):
            seed = np.zeros(o._data.size, o._data.dtype)
            seed[k] = 1
            if o._requires_grad:
                got = _engine([o], [seed.reshape(o._data.shape)], True, capture=list(ins))
                for r, g in zip(rows, got):
                    if g is not None:
                        r[k] = g
        per_in = tuple(Tensor._make(r.reshape(o._data.shape + t._data.shape)) for r, t in zip(rows, ins))
        result.append(per_in[0] if single_in else per_in)
    return result[0] if single_out else tuple(result)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """``torch.autograd.functional.hessian`` of a scalar function of one tensor: the gradient
    recorded (create_graph=True), then one backward per gradient element."""
    if not isinstance(inputs, Tensor):
        raise NotImplementedError("hessian: mytorch supports one tensor input")
    x = Tensor._make(inputs._data.copy()).requires_grad_(True)
    with enable_grad():
        out = func(x)
        (g,) = grad(out, x, create_graph=True)
    flat = g.reshape(-1)
    rows = np.zeros((x._data.size,) + x._data.shape, x._data.dtype)
    for k in range(x._data.size):
        if flat._requires_grad:
            (h,) = grad(flat[k], x, retain_graph=True, allow_unused=True)
            if h is not None:
                rows[k] = h._data
    return Tensor._make(rows.reshape(x._data.shape + x._data.shape))


# torch.autograd.function / torch.autograd.functional as importable submodules
functional = types.ModuleType(__name__ + ".functional")
functional.jacobian, functional.hessian = jacobian, hessian
sys.modules[functional.__name__] = functional
function = types.ModuleType(__name__ + ".function")
function.Function, function.once_differentiable, function.FunctionCtx = None, once_differentiable, FunctionCtx
sys.modules[function.__name__] = function


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
function.Function = Function
