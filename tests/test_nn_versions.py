"""Version counters through nn: changing a tensor in place between an nn function's forward and the
backward raises torch's "modified by an inplace operation" error exactly where torch raises, and
where torch does not raise (the backward reads no such value) the gradient is torch's."""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch
from helpers import draw


def _F(lib):
    return lib.nn.functional


# name -> f(lib, x) with x a (3, 4) non-leaf float32 tensor
CASES = {
    "relu": lambda T, x: _F(T).relu(x), "elu": lambda T, x: _F(T).elu(x),
    "leaky_relu": lambda T, x: _F(T).leaky_relu(x, 0.1), "hardtanh": lambda T, x: _F(T).hardtanh(x),
    "silu": lambda T, x: _F(T).silu(x), "softplus": lambda T, x: _F(T).softplus(x),
    "tanhshrink": lambda T, x: _F(T).tanhshrink(x), "softsign": lambda T, x: _F(T).softsign(x),
    "gelu": lambda T, x: _F(T).gelu(x), "sigmoid": lambda T, x: _F(T).sigmoid(x),
    "elu_": lambda T, x: _F(T).elu(x, inplace=True), "selu_": lambda T, x: _F(T).selu(x, inplace=True),
    "celu_": lambda T, x: _F(T).celu(x, 0.7, inplace=True),
    "leaky_relu_": lambda T, x: _F(T).leaky_relu(x, 0.2, inplace=True),
    "relu_": lambda T, x: _F(T).relu(x, inplace=True), "hardtanh_": lambda T, x: _F(T).hardtanh(x, inplace=True),
    "softmax": lambda T, x: _F(T).softmax(x, 1), "log_softmax": lambda T, x: _F(T).log_softmax(x, 1),
    "layer_norm": lambda T, x: _F(T).layer_norm(x, (4,)),
    "batch_norm": lambda T, x: _F(T).batch_norm(x, None, None, T.ones(4), T.zeros(4), training=True),
    "batch_norm_eval": lambda T, x: _F(T).batch_norm(x, T.zeros(4), T.ones(4), training=False),
    "group_norm": lambda T, x: _F(T).group_norm(x, 2),
    "mse_loss": lambda T, x: _F(T).mse_loss(x, T.zeros(3, 4)),
    "l1_loss": lambda T, x: _F(T).l1_loss(x, T.zeros(3, 4)),
    "huber_loss": lambda T, x: _F(T).huber_loss(x, T.zeros(3, 4), delta=0.5),
    "nll_loss": lambda T, x: _F(T).nll_loss(x, T.tensor([0, 1, 3])),
    "cross_entropy": lambda T, x: _F(T).cross_entropy(x, T.tensor([0, 1, 3])),
    "bce_with_logits": lambda T, x: _F(T).binary_cross_entropy_with_logits(x, T.ones(3, 4) * 0.5),
    "soft_margin_loss": lambda T, x: _F(T).soft_margin_loss(x, T.ones(3, 4)),
    "multi_margin_loss": lambda T, x: _F(T).multi_margin_loss(x, T.tensor([0, 1, 3])),
    "embedding": lambda T, x: _F(T).embedding(T.tensor([0, 2, 1]), x),
    "pad_reflect": lambda T, x: _F(T).pad(x.reshape(1, 3, 4), (1, 2), mode="reflect"),
    "pad_circular": lambda T, x: _F(T).pad(x.reshape(1, 3, 4), (1, 2), mode="circular"),
    "grid_sample": lambda T, x: _F(T).grid_sample(x.reshape(1, 1, 3, 4), T.zeros(1, 2, 2, 2) + 0.3,
                                                  align_corners=False),
    "sdpa": lambda T, x: _F(T).scaled_dot_product_attention(x.reshape(1, 3, 4), x.reshape(1, 3, 4) * 2,
                                                            x.reshape(1, 3, 4) * 3),
}
MODIFY = {"input": lambda x, y: x.add_(1), "output": lambda x, y: y.mul_(2)}


def _outcome(T, name, which):
    leaf = T.tensor(draw((3, 4), 0).astype(np.float32), requires_grad=True)
    x = leaf * 1
    y = CASES[name](T, x)
    with T.no_grad():
        MODIFY[which](x, y)
    try:
        y.sum().backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e), str(e)
        return "raises", None
    return "runs", leaf.grad.numpy()


@requires_torch
@pytest.mark.parametrize("which", list(MODIFY))
@pytest.mark.parametrize("name", list(CASES))
def test_inplace_change_after_forward_raises_where_torch_raises(name, which):
    """Each nn primitive declares what its backward reads; one that reads neither the input nor
    the result (relu after x.add_) must not raise, and then its gradient is torch's (float32 on
    both sides, rtol/atol 1e-5: libm and summation-order differences)."""
    ours, theirs = _outcome(mytorch, name, which), _outcome(torch, name, which)
    assert ours[0] == theirs[0], f"{name}, {which} changed: torch {theirs[0]}, mytorch {ours[0]}"
    if ours[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-5)


def test_inplace_leaky_relu_with_a_negative_slope_raises_at_backward():
    x = mytorch.ones(3, requires_grad=True) * -1
    y = mytorch.nn.functional.leaky_relu(x, -0.1, inplace=True)
    with pytest.raises(RuntimeError, match="negative slope"):
        y.sum().backward()


@requires_torch
@pytest.mark.parametrize("name", ["elu_", "selu_", "celu_", "leaky_relu_"])
def test_inplace_activation_gradient_and_node_name_match_torch(name):
    """The in-place forms differentiate from the result: gradient and grad_fn name as torch's."""
    grads, names = [], []
    for T in (mytorch, torch):
        leaf = T.tensor(np.array([[-2.0, -0.5, 0.0, 0.5], [1.0, 3.0, -1e-3, 1e-3]], np.float64), requires_grad=True)
        y = CASES[name](T, leaf * 1)
        names.append(y.grad_fn.name())
        (y * y).sum().backward()
        grads.append(leaf.grad.numpy())
    assert names[0] == names[1]
    # float64; rtol 1e-7 because torch rounds celu's 1 / alpha to float32 (elsewhere they agree to 1e-15)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("what", ["input", "weight", "state"])
def test_recurrent_layer_raises_when_a_read_value_changes(what):
    """An LSTM's backward reads its input, initial state and weights (an optimizer step between two
    backward passes of a retained graph changes the weights)."""
    for T in (mytorch, torch):
        lstm = T.nn.LSTM(3, 4)
        x = T.randn(5, 2, 3, requires_grad=True) * 1
        h0 = (T.zeros(1, 2, 4, requires_grad=True) * 1, T.zeros(1, 2, 4))
        out, _ = lstm(x, h0)
        with T.no_grad():
            {"input": x, "weight": lstm.weight_hh_l0, "state": h0[0]}[what].add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


# name -> f(lib, x, other): other is the tensor torch's backward also saves (indices, target)
OTHER_CASES = {
    "embedding_indices": (lambda T: T.tensor([0, 2, 1]), lambda T, x, i: _F(T).embedding(i, x)),
    "nll_target": (lambda T: T.tensor([0, 1, 3]), lambda T, x, t: _F(T).nll_loss(x, t)),
    "cross_entropy_target": (lambda T: T.tensor([0, 1, 3]), lambda T, x, t: _F(T).cross_entropy(x, t)),
    "mse_target": (lambda T: T.zeros(3, 4), lambda T, x, t: _F(T).mse_loss(x, t)),
    "bce_with_logits_target": (lambda T: T.ones(3, 4) * 0.5,
                               lambda T, x, t: _F(T).binary_cross_entropy_with_logits(x, t)),
    "soft_margin_target": (lambda T: T.ones(3, 4), lambda T, x, t: _F(T).soft_margin_loss(x, t)),
}


@requires_torch
@pytest.mark.parametrize("name", list(OTHER_CASES))
def test_changing_indices_or_target_after_forward_raises_where_torch_raises(name):
    make_other, fn = OTHER_CASES[name]
    outcomes = []
    for T in (mytorch, torch):
        x = T.tensor(draw((3, 4), 0).astype(np.float32), requires_grad=True) * 1
        other = make_other(T)
        y = fn(T, x, other)
        other.add_(0)  # a no-change in-place op still bumps the version, in both
        try:
            y.sum().backward()
            outcomes.append("runs")
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e), str(e)
            outcomes.append("raises")
    assert outcomes[0] == outcomes[1], outcomes


def test_eval_batch_norm_keeps_create_graph():
    """The identity that declares eval batch norm's saved input has a differentiable backward, so
    create_graph (a gradient penalty through an eval-mode network) still works."""
    x = mytorch.tensor(draw((4, 3), 1), requires_grad=True)
    mean, var = mytorch.tensor(draw((3,), 2)), mytorch.tensor(np.abs(draw((3,), 3)) + 0.5)
    weight = mytorch.tensor(draw((3,), 4))
    y = mytorch.nn.functional.batch_norm(x, mean, var, weight, training=False)
    (g,) = mytorch.autograd.grad((y * y).sum(), x, create_graph=True)
    g.sum().backward()
    c = weight.numpy() / np.sqrt(var.numpy() + 1e-5)  # y is affine in x: d/dx sum(2 y c) = 2 c^2
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(2 * c * c, (4, 3)), rtol=1e-12)
