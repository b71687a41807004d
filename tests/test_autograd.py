"""Autograd semantics as in torch: accumulation, leaves, grad mode, deep graphs, ties and kinks."""
import copy
import pickle

import numpy as np
import pytest

import mytorch
from mytorch.autograd import GradcheckError, gradcheck
from conftest import requires_torch, torch


def test_gradients_accumulate_across_backward_calls():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])


def test_grad_of_leaf_is_not_aliased_between_leaves():
    a = mytorch.ones(3, requires_grad=True)
    b = mytorch.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1, 1])


def test_a_tensor_used_twice_gets_both_contributions():
    x = mytorch.tensor(3.0, requires_grad=True)
    y = x * x + x  # x reaches the output along three paths
    y.backward()
    assert x.grad.item() == 7.0


def test_a_node_reached_by_two_paths_waits_for_both():
    # b feeds the output directly and through exp(b); b's backward must run after exp's.
    a = mytorch.tensor([0.5, -1.0], requires_grad=True)
    b = a * 2
    (b + b.exp()).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * (1 + np.exp([1.0, -2.0])), rtol=1e-6)


def test_non_leaf_grads_are_not_kept_and_leaf_flags():
    x = mytorch.tensor([1.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    assert x.is_leaf and not y.is_leaf and y.grad is None and y.grad_fn is not None
    assert mytorch.tensor([1.0]).is_leaf


def test_backward_on_non_scalar_needs_gradient():
    y = mytorch.ones(2, 2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(mytorch.ones(2, 2))  # with an explicit gradient it works


def test_backward_twice_needs_retain_graph():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mytorch.ones(2).sum().backward()


def test_no_grad_context_and_decorator():
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.no_grad():
        y = x * 2
        assert not mytorch.is_grad_enabled()
        with mytorch.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @mytorch.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and mytorch.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    x = mytorch.ones(1, requires_grad=True)
    with mytorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mytorch.is_grad_enabled()
    mytorch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        mytorch.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_chain_of_100000_ops_does_not_recurse():
    x = mytorch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # releasing a deep graph must not overflow the C stack either


def test_only_float_tensors_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        mytorch.tensor([1, 2], requires_grad=True)


def test_integer_gradients_do_not_leak_into_int_tensors():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x * mytorch.tensor([3, 4])).sum().backward()
    assert x.grad.dtype == mytorch.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3, 4])


@pytest.mark.parametrize("make, expected", [
    (lambda x: x.max(), [0.5, 0.5, 0.0]),
    (lambda x: x.amax(dim=0), [0.5, 0.5, 0.0]),
    (lambda x: mytorch.maximum(x, mytorch.tensor([2.0, 0.0, 0.0])).sum(), [0.5, 1.0, 1.0]),
    (lambda x: x.max(dim=0)[0], [1.0, 0.0, 0.0]),
    (lambda x: x.clamp(min=1.0, max=2.0).sum(), [1.0, 1.0, 1.0]),
])
def test_ties_and_kinks_follow_torch(make, expected):
    x = mytorch.tensor([2.0, 2.0, 1.0], requires_grad=True)
    make(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("fn", [lambda x: x.abs().sum(), lambda x: x.relu().sum()])
def test_abs_and_relu_have_zero_gradient_at_zero(fn):
    x = mytorch.tensor([0.0, -1.0, 2.0], requires_grad=True)
    fn(x).backward()
    assert x.grad.numpy()[0] == 0.0


@requires_torch
def test_tie_rules_match_torch_exactly():
    values = [3.0, 1.0, 3.0, 3.0, 0.0, 1.0]
    for name in ("max", "amax", "min"):
        ours = mytorch.tensor(values, requires_grad=True)
        theirs = torch.tensor(values, requires_grad=True)
        getattr(ours, name)().backward()
        getattr(theirs, name)().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_indexing_with_repeated_indices_accumulates():
    x = mytorch.zeros(3, requires_grad=True)
    x[mytorch.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])


def test_gradcheck_catches_a_wrong_gradient():
    class WrongSquare(mytorch.autograd.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return g * self.a  # should be 2 * a

    x = mytorch.randn(3, dtype=mytorch.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="analytic"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, (mytorch.ones(2, requires_grad=True),))


def test_inplace_ops_outside_the_graph():
    x = mytorch.ones(3)
    x.add_(mytorch.tensor([1.0, 2.0, 3.0]), alpha=2).mul_(2).sub_(1).div_(2)
    np.testing.assert_allclose(x.numpy(), [2.5, 4.5, 6.5])
    x.clamp_(max=4.0)
    assert x.tolist() == [2.5, 4.0, 4.0]
    x.zero_().fill_(7)
    x.copy_(mytorch.tensor([1, 2, 3]))
    assert x.tolist() == [1.0, 2.0, 3.0] and x.dtype == mytorch.float32
    x[0] = 9
    x[mytorch.tensor([False, True, False])] = -1
    assert x.tolist() == [9.0, -1.0, 3.0]


def test_inplace_on_a_leaf_requiring_grad_raises_but_works_under_no_grad():
    p = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p[0] = 3
    with mytorch.no_grad():
        p.sub_(mytorch.tensor([0.5, 0.5]))
    assert p.tolist() == [0.5, 0.5] and p.requires_grad


def test_inplace_refuses_float_into_int_and_bad_shapes():
    x = mytorch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can.t be cast to the desired output type Long"):
        x.add_(0.5)
    with pytest.raises(RuntimeError, match=r"output with shape \[2\]"):
        mytorch.ones(2).add_(mytorch.ones(3))
    assert x.tolist() == [1, 2]


def test_deepcopy_and_pickle_keep_values_grad_and_flags():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.grad.tolist() == [2.0, 2.0] and y._data is not x._data
    z = pickle.loads(pickle.dumps(x))
    assert z.tolist() == [1.0, 2.0] and z.requires_grad and z.dtype == mytorch.float32
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(x * 2)
