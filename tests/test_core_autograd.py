"""Per-thread grad mode, version counters and in-place ops inside graphs, and torch's autograd API
(custom Functions, autograd.grad, hooks, retain_grad, next_functions), each checked against torch
where it is installed (same values, same exception where torch raises)."""
import threading

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch

LIBS = [mytorch] + ([torch] if torch is not None else [])


# ---------------------------------------------------------------------------- threads
def test_grad_mode_is_per_thread_and_new_threads_start_enabled():
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with mytorch.no_grad():
            with mytorch.no_grad():
                inside.set()
                outside.wait(5)
                seen["worker"] = mytorch.is_grad_enabled()
        seen["worker_after"] = mytorch.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    seen["main"] = mytorch.is_grad_enabled()  # the other thread is inside no_grad right now
    with mytorch.no_grad():
        fresh = []
        t2 = threading.Thread(target=lambda: fresh.append(mytorch.is_grad_enabled()))
        t2.start()
        t2.join()
    outside.set()
    th.join()
    assert seen == {"worker": False, "worker_after": True, "main": True} and fresh == [True]


def _train(seed, steps=20):
    rng = np.random.default_rng(seed)
    x = mytorch.tensor(rng.standard_normal((16, 3)))
    y = mytorch.tensor(rng.standard_normal((16, 1)))
    w = mytorch.tensor(rng.standard_normal((3, 1)) * 0.1, requires_grad=True)
    for _ in range(steps):
        loss = ((x @ w).tanh() - y).pow(2).mean()
        loss.backward()
        with mytorch.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    return w.detach().numpy().copy()


def test_threads_training_separate_models_equal_the_sequential_results():
    expected = [_train(s) for s in range(4)]
    got = [None] * 4
    threads = [threading.Thread(target=lambda i=i: got.__setitem__(i, _train(i))) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)


def test_inference_mode_as_context_and_decorator():
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.inference_mode():
        assert not (x * 2).requires_grad
    assert mytorch.inference_mode()(lambda: (x * 2).requires_grad)() is False
    with mytorch.inference_mode(False):
        assert (x * 2).requires_grad


# ---------------------------------------------------------------------------- version counters
def _raises_like_torch(build):
    """build(lib) runs to the point where torch raises; both libraries must raise the same way."""
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            build(lib)


def test_inplace_change_of_a_saved_input_raises_at_backward():
    def build(lib):
        a = lib.ones(3, requires_grad=True) * 1
        w = lib.ones(3, requires_grad=True)
        z = (a * w).sum()
        a.add_(10)
        z.backward()
    _raises_like_torch(build)


def test_saved_output_zeroed_under_no_grad_raises():
    def build(lib):
        s = lib.ones(3, requires_grad=True).sigmoid()
        with lib.no_grad():
            s.zero_()
        s.sum().backward()
    _raises_like_torch(build)


def test_parameter_update_between_two_backward_passes_of_a_retained_graph_raises():
    def build(lib):
        p = lib.ones(3, requires_grad=True)
        loss = (p * p).sum()
        loss.backward(retain_graph=True)
        with lib.no_grad():
            p.sub_(0.1 * p.grad)  # what optimizer.step() does
        loss.backward()
    _raises_like_torch(build)


def test_version_counter_is_shared_by_views_but_not_by_data():
    x = mytorch.zeros(2, 3)
    v = x[0]
    d = x.detach()
    v.add_(1)
    assert x._version == v._version == d._version == 1
    x.data.add_(1)  # .data: outside the version check, as in torch
    assert x._version == 1
    x.view(6).mul_(2)
    assert x._version == 2 and x.tolist() == [[4, 4, 4], [2, 2, 2]]


def test_modifying_an_input_not_saved_by_torch_does_not_raise():
    # torch's MulBackward0 saves a factor only when the other factor needs a gradient
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        a = x * 2
        c = lib.full((3,), 3.0)
        b = a * c
        a.add_(1)
        b.sum().backward()
        assert x.grad.tolist() == [6.0, 6.0, 6.0]


def test_leaf_requiring_grad_refuses_inplace_and_view_of_leaf():
    x = mytorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        x[1:].mul_(2)


@pytest.mark.parametrize("case", ["residual", "relu_", "mul_", "mask", "setitem_value", "clamp_",
                                  "div_", "chain", "fill_", "copy_"])
@requires_torch
def test_inplace_ops_on_non_leaves_give_torch_gradients(case):
    rng = np.random.default_rng(0)
    xs, rs = rng.standard_normal((2, 4, 3)), rng.standard_normal((4, 3))

    def run(lib):
        x = lib.tensor(xs, requires_grad=True)
        r = lib.tensor(rs, requires_grad=True)
        out = x * 1.5
        if case == "residual":
            out += r
        elif case == "relu_":
            out = (out + r).relu_()
        elif case == "mul_":
            out.mul_(r)
        elif case == "mask":
            out[out > 0.5] = 0
            out = out * r
        elif case == "setitem_value":
            out[:, :, 1] = r[:, 0] * 2
        elif case == "clamp_":
            out.clamp_(-0.5, 0.5)
            out = out * r
        elif case == "div_":
            out.div_(r.abs() + 1)
        elif case == "chain":
            y = out.tanh()  # consumes out before the in-place change: must see the old grad_fn
            out.add_(r).mul_(2)
            out = out + y
        elif case == "fill_":
            out[0].detach()  # a view outside the graph does not matter
            out = out.sum(0)
            out.fill_(2.0)
            out = out * r.sum(0)
        elif case == "copy_":
            out.copy_(r * 3)
        loss = (out * lib.tensor(xs[::-1].copy())).sum()
        loss.backward()
        return [t.detach().numpy() for t in (loss, x.grad if x.grad is not None else lib.zeros(4, 3), r.grad)]

    for ours, theirs in zip(run(mytorch), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("case", range(7))
def test_inplace_on_views_of_graph_tensors_rewrites_the_base_like_torch(case):
    rng = np.random.default_rng(case)
    xs, rs = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def run(lib):
        x = lib.tensor(xs, requires_grad=True)
        r = lib.tensor(rs, requires_grad=True)
        y = x * 2
        if case == 0:
            y[0] += r                      # __iadd__ on a view, then __setitem__
        elif case == 1:
            y[:, 1].mul_(r[:3])
        elif case == 2:
            y.view(12)[3:7].relu_()        # a view of a view
        elif case == 3:
            y.t()[1] *= r[:3]
        elif case == 4:
            buf = lib.zeros(3, 4)          # a base outside the graph joins it
            buf[1].copy_(r)
            y = y + buf
        elif case == 5:
            v = y[1:]
            v.exp_()
            y = v.sum() + y.sum()
        elif case == 6:
            w = y[0]
            h = w * 3
            w.add_(1)
            y = y + h.sum()
        (y * lib.tensor(xs)).sum().backward()
        return [y.detach().numpy(), x.grad.numpy(), r.grad.numpy() if r.grad is not None else np.zeros(4)]

    for ours, theirs in zip(run(mytorch), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_inplace_on_a_view_renames_nodes_as_torch():
    y = mytorch.ones(3, requires_grad=True) * 2
    v = y[1:]
    v.mul_(3)
    assert y.grad_fn.name() == "CopySlices" and v.grad_fn.name() == "AsStridedBackward0"
    assert y.tolist() == [2.0, 6.0, 6.0] and y._version == v._version == 1


def test_data_assignment_checks_dtype_like_torch():
    for lib in LIBS:
        p = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="must be floating point"):
            p.data = lib.arange(3)
        q = lib.ones(3)
        q.data = lib.arange(3)  # allowed without requires_grad
        assert q.dtype == lib.int64


# ---------------------------------------------------------------------------- torch's autograd API
def test_custom_function_in_torch_form():
    for lib in LIBS:
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, k):
                ctx.save_for_backward(a)
                ctx.k = k
                return a * k, a + 1

            @staticmethod
            def backward(ctx, g1, g2):
                (a,) = ctx.saved_tensors
                assert ctx.needs_input_grad == (True, False)
                return g1 * ctx.k + g2 * a, None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y1, y2 = Scale.apply(x, 3.0)
        assert y1.grad_fn.name() == "ScaleBackward" and y1.grad_fn is y2.grad_fn
        (y1.sum() + (y2 * 0).sum()).backward()
        assert x.grad.tolist() == [3.0, 3.0], lib  # g2 is materialized as zeros... times 0


def test_custom_function_with_setup_context():
    for lib in LIBS:
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x ** 3

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Cube.apply(x).sum().backward()
        assert x.grad.tolist() == [3.0, 12.0]
        with lib.autograd.detect_anomaly():
            pass


def test_custom_function_mark_dirty_and_non_differentiable():
    class AddOne(mytorch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            a.add_(1)
            ctx.mark_dirty(a)
            idx = mytorch.tensor([0])
            ctx.mark_non_differentiable(idx)
            return a, idx

        @staticmethod
        @mytorch.autograd.function.once_differentiable
        def backward(ctx, g, _):
            return g

    x = mytorch.ones(2, requires_grad=True)
    y = x * 1
    out, idx = AddOne.apply(y)
    assert out is y and out._version == 1 and not idx.requires_grad
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_autograd_grad_does_not_touch_dot_grad():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        (gx, gh) = lib.autograd.grad(h.sum() * 2, [x, h], retain_graph=True)
        assert gx.tolist() == [4.0, 8.0] and gh.tolist() == [2.0, 2.0] and x.grad is None
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad((x * x).sum(), [x, lib.ones(2, requires_grad=True)])
        assert lib.autograd.grad((x * x).sum(), [x, lib.ones(2, requires_grad=True)], allow_unused=True)[1] is None


def test_hooks_retain_grad_and_backward_inputs():
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        handle = x.register_hook(lambda g: g + 1)
        h.sum().backward()
        assert h.grad.tolist() == [10.0] * 3 and x.grad.tolist() == [21.0] * 3
        handle.remove()
        w = lib.ones(3, requires_grad=True)
        (x * w).sum().backward(inputs=[w])
        assert x.grad.tolist() == [21.0] * 3 and w.grad.tolist() == [1.0] * 3


def test_next_functions_and_node_names_match_torch():
    def names(lib):
        x = lib.ones(3, requires_grad=True)
        y = (x * 2 + 1).exp().sum()
        node = y.grad_fn
        chain = []
        while node is not None and hasattr(node, "next_functions") and node.next_functions:
            chain.append(node.name())
            node = node.next_functions[0][0]
        leaf = node.variable is x
        return chain, leaf, [type(n).__name__ for n, _ in (x * 2).grad_fn.next_functions]
    ours = names(mytorch)
    assert ours[0] == ["SumBackward0", "ExpBackward0", "AddBackward0", "MulBackward0"] and ours[1]
    assert ours[2] == ["AccumulateGrad", "NoneType"]
    if torch is not None:
        assert ours == names(torch)


def test_variable_is_an_identity_wrapper():
    x = mytorch.autograd.Variable(mytorch.ones(2), requires_grad=True)
    assert isinstance(x, mytorch.Tensor) and x.requires_grad and isinstance(x, mytorch.autograd.Variable)


OTHER_OPS = {
    "matmul": lambda lib, a, b: a @ b.t(), "sum": lambda lib, a, b: a.sum(1), "mean": lambda lib, a, b: a.mean(),
    "amax": lambda lib, a, b: a.amax(1), "max_dim": lambda lib, a, b: a.max(1)[0], "max": lambda lib, a, b: a.max(),
    "getitem": lambda lib, a, b: a[1:, :2], "index": lambda lib, a, b: a[lib.tensor([0, 2])],
    "reshape": lambda lib, a, b: a.reshape(12), "permute": lambda lib, a, b: a.permute(1, 0),
    "expand": lambda lib, a, b: a[:1].expand(3, 4), "cat": lambda lib, a, b: lib.cat([a, b]),
    "stack": lambda lib, a, b: lib.stack([a, b]), "where": lambda lib, a, b: lib.where(a > 0, a, b),
    "clone": lambda lib, a, b: a.clone(), "to": lambda lib, a, b: a.to(lib.float32),
    "repeat": lambda lib, a, b: a.repeat(2, 1), "pow_scalar": lambda lib, a, b: a ** 3,
    "div": lambda lib, a, b: a / b, "var": lambda lib, a, b: a.var(1), "std": lambda lib, a, b: a.std(),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(OTHER_OPS))
def test_version_check_of_the_other_primitives_matches_torch(name):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 2.0, (3, 4)) for _ in range(2)]

    def outcome(lib, which):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        ins = [t * 1 for t in leaves]
        out = OTHER_OPS[name](lib, *ins)
        try:
            with lib.no_grad():
                (ins[which] if which < 2 else out).mul_(1)
        except RuntimeError as e:  # torch refuses writing into an expanded tensor
            return f"refused: {e}"
        try:
            out.sum().backward()
            return "ok"
        except RuntimeError as e:
            return "raises" if "modified by an inplace operation" in str(e) else repr(e)

    for which in range(3):
        assert outcome(mytorch, which) == outcome(torch, which), ["input 0", "input 1", "output"][which]


def test_node_classes_carry_torch_names_and_jacobian():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert type((y + 1).grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    J = mytorch.autograd.functional.jacobian(lambda v: v ** 2, mytorch.tensor([1.0, 2.0]))
    assert J.tolist() == [[2.0, 0.0], [0.0, 4.0]]
    H = mytorch.autograd.functional.hessian(lambda v: (v ** 3).sum() + v[0] * v[1], mytorch.tensor([1.0, 2.0]))
    assert H.tolist() == [[6.0, 1.0], [1.0, 12.0]]
    if torch is not None:
        a = np.random.default_rng(0).standard_normal((2, 3))
        fn = lambda lib: (lambda u, w: ((u * w).sum(0), u.exp()))  # noqa: E731
        ours = mytorch.autograd.functional.jacobian(fn(mytorch), (mytorch.tensor(a), mytorch.tensor(a + 1)))
        theirs = torch.autograd.functional.jacobian(fn(torch), (torch.tensor(a), torch.tensor(a + 1)))
        for o_row, t_row in zip(ours, theirs):
            for o, t in zip(o_row, t_row):
                np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


def test_second_derivatives_with_create_graph():
    x = mytorch.tensor(2.0, requires_grad=True)
    (g,) = mytorch.autograd.grad(x ** 3, x, create_graph=True)
    (g2,) = mytorch.autograd.grad(g, x)
    assert g.item() == 12.0 and g2.item() == 12.0
    y = mytorch.tensor([0.5, -1.0], requires_grad=True)
    (y.exp() * y.tanh()).sum().backward(create_graph=True)
    first = y.grad
    assert first.requires_grad
    with pytest.raises(NotImplementedError, match="SinBackward0 has no differentiable backward"):
        mytorch.autograd.grad(mytorch.sin(y).sum(), y, create_graph=True)


@requires_torch
def test_gradient_penalty_matches_torch():
    """A WGAN-GP gradient penalty: the gradient of the critic's output with respect to its input,
    recorded (create_graph=True), then differentiated again with respect to the weights."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((3, 4))
    weights = [rng.standard_normal((5, 4)), rng.standard_normal(5), rng.standard_normal((1, 5)), rng.standard_normal(1)]

    def run(lib):
        w1, b1, w2, b2 = [lib.tensor(w, requires_grad=True) for w in weights]
        x = lib.tensor(xs, requires_grad=True)
        out = (x @ w1.t() + b1).tanh() @ w2.t() + b2
        (g,) = lib.autograd.grad(out, x, grad_outputs=lib.ones_like(out), create_graph=True)
        penalty = ((((g * g).sum(1)).sqrt() - 1) ** 2).mean()
        penalty.backward()
        return [penalty.detach().numpy()] + [None if w.grad is None else w.grad.numpy() for w in (w1, b1, w2, b2)]

    for ours, theirs in zip(run(mytorch), run(torch)):
        if theirs is None:  # b2 does not reach the penalty
            assert ours is None or not np.any(ours)
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
