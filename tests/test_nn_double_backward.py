"""create_graph=True through the nn primitives (double backward): the gradient of a gradient, as a
WGAN-GP critic's gradient penalty takes it.

Every case runs in float64: the second-order gradients against torch agree to 1e-10 (a handful of
float64 round-offs apart), and ``gradcheck`` checks the first gradient, itself a function of the input,
against central differences. Inputs stay away from the activations' kinks (|x| > 0.05), where the
one-sided derivatives make finite differences meaningless.
"""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from mytorch.autograd import gradcheck

from conftest import requires_torch, torch


def _input(shape, seed=0):
    a = np.random.default_rng(seed).uniform(-2, 2, shape)
    return np.where(np.abs(a) < 0.05, 0.3, a)


# (name, f(F, x, extra) with F either nn.functional, shapes of extra float inputs)
CASES = [
    ("leaky_relu", lambda F, x, e: F.leaky_relu(x, 0.2), ()),
    ("relu_masked", lambda F, x, e: F.hardtanh(x, -1.0, 1.5) * x, ()),
    ("elu", lambda F, x, e: F.elu(x, 0.7), ()),
    ("selu", lambda F, x, e: F.selu(x), ()),
    ("celu", lambda F, x, e: F.celu(x, 1.3), ()),
    ("silu", lambda F, x, e: F.silu(x), ()),
    ("mish", lambda F, x, e: F.mish(x), ()),
    ("softplus", lambda F, x, e: F.softplus(x, beta=2.0, threshold=3.0), ()),
    ("softsign", lambda F, x, e: F.softsign(x), ()),
    ("logsigmoid", lambda F, x, e: F.logsigmoid(x), ()),
    ("hardswish", lambda F, x, e: F.hardswish(x) * x, ()),
    ("gelu", lambda F, x, e: F.gelu(x), ()),
    ("gelu_tanh", lambda F, x, e: F.gelu(x, approximate="tanh"), ()),
    ("prelu", lambda F, x, e: F.prelu(x, e[0]), ((4,),)),
    ("softmax", lambda F, x, e: F.softmax(x, dim=1) * e[0], ((3, 4),)),
    ("log_softmax", lambda F, x, e: F.log_softmax(x, dim=-1) * e[0], ((3, 4),)),
    ("cross_entropy", lambda F, x, e: F.cross_entropy(x, e[-1]), ()),
    ("nll_sum", lambda F, x, e: F.nll_loss(F.log_softmax(x, 1), e[-1], reduction="sum"), ()),
    ("mse", lambda F, x, e: F.mse_loss(x * x, e[0]), ((3, 4),)),
    ("smooth_l1", lambda F, x, e: F.smooth_l1_loss(x * x, e[0], beta=0.5), ((3, 4),)),
    ("huber", lambda F, x, e: F.huber_loss(x * x, e[0], delta=0.8), ((3, 4),)),
    ("layer_norm", lambda F, x, e: F.layer_norm(x, (4,), e[0], e[1]) * e[2], ((4,), (4,), (3, 4))),
    ("batch_norm", lambda F, x, e: F.batch_norm(x, None, None, e[0], e[1], training=True) * e[2],
     ((4,), (4,), (3, 4))),
    ("group_norm", lambda F, x, e: F.group_norm(x, 2, e[0], e[1]) * e[2], ((4,), (4,), (3, 4))),
    ("pad_constant", lambda F, x, e: F.pad(x, (1, 2, 0, 1), value=0.5) ** 3, ()),
    ("pad_reflect", lambda F, x, e: F.pad(x, (2, 1), mode="reflect") ** 3, ()),
    ("interpolate_linear", lambda F, x, e: F.interpolate(x.unsqueeze(0), size=7, mode="linear") ** 3, ()),
    ("interpolate_nearest", lambda F, x, e: F.interpolate(x.unsqueeze(0), scale_factor=2.0) ** 3, ()),
    ("pixel_shuffle", lambda F, x, e: F.pixel_shuffle(x.reshape(1, 4, 1, 3), 2) ** 3, ()),
    ("pairwise_distance", lambda F, x, e: F.pairwise_distance(x, e[0]), ((3, 4),)),
    ("pairwise_distance_p3", lambda F, x, e: F.pairwise_distance(x, e[0], p=3.0), ((3, 4),)),
    ("pairwise_distance_p1", lambda F, x, e: F.pairwise_distance(x, e[0], p=1.0) ** 2, ((3, 4),)),
    ("embedding", lambda F, x, e: F.embedding(e[-1], (x * x).t()) * x[:, :3], ()),
]


def _run(lib, f, x_np, extra_np, target_np):
    x = lib.tensor(x_np, requires_grad=True)
    extra = [lib.tensor(a, requires_grad=True) for a in extra_np] + [lib.tensor(target_np)]
    out = f(lib.nn.functional, x, extra)
    g, = lib.autograd.grad(out.sum(), x, create_graph=True)
    penalty = (g * g).sum() + (g * lib.tensor(np.linspace(-1, 1, g.numel()).reshape(tuple(g.shape)))).sum()
    leaves = [x] + extra[:-1]
    return [g] + list(lib.autograd.grad(penalty, leaves, allow_unused=True))


@requires_torch
@pytest.mark.parametrize("name,f,extra_shapes", CASES, ids=[c[0] for c in CASES])
def test_second_order_gradients_match_torch(name, f, extra_shapes):
    x_np = _input((3, 4))
    extra_np = [_input(s, seed=i + 1) for i, s in enumerate(extra_shapes)]
    target_np = np.array([0, 3, 1])
    mine = _run(mytorch, f, x_np, extra_np, target_np)
    # NOTE: celu's own (first-order) values differ from torch's by ~2e-8 relative already: torch's kernel
    # takes its input scale 1/alpha at lower precision. Everywhere else float64 agrees to round-off.
    tol = 1e-7 if name == "celu" else 1e-10
    theirs = _run(torch, f, x_np, extra_np, target_np)
    for a, b in zip(mine, theirs):
        if a is None and b is None:
            continue
        if a is None:  # NOTE: mytorch reports an input whose gradient is identically zero as unused (prelu's x)
            a = mytorch.zeros(tuple(b.shape), dtype=mytorch.float64)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name,f,extra_shapes", CASES, ids=[c[0] for c in CASES])
def test_first_gradient_gradchecks(name, f, extra_shapes):
    extra = [mytorch.tensor(_input(s, seed=i + 1)) for i, s in enumerate(extra_shapes)]
    extra.append(mytorch.tensor(np.array([0, 3, 1])))

    def first_gradient(x):
        with mytorch.enable_grad():  # gradcheck takes its finite differences under no_grad
            g, = mytorch.autograd.grad(f(F, x, extra).sum(), x, create_graph=True)
        return g

    assert gradcheck(first_gradient, (mytorch.tensor(_input((3, 4)), requires_grad=True),))


def test_inplace_leaky_relu_gradient_requires_grad():
    """The gradient through a piecewise-linear activation depends on x: it requires grad (torch's
    LeakyReluBackwardBackward0), with a zero second derivative."""
    x = mytorch.tensor(_input((5,)), requires_grad=True)
    g, = mytorch.autograd.grad(F.leaky_relu(x * 1, 0.1, inplace=True).sum(), x, create_graph=True)
    assert g.requires_grad
    (g.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(5))


@requires_torch
def test_relu_gradient_requires_grad_as_torch():
    results = []
    for lib in (mytorch, torch):
        x = lib.tensor(_input((5,)), requires_grad=True)
        g, = lib.autograd.grad(lib.nn.functional.relu(x).sum(), x, create_graph=True)
        (g * g).sum().backward()
        results.append((g.requires_grad, type(g.grad_fn).__name__ if lib is torch else None, x.grad.numpy()))
    assert results[0][0] is results[1][0] is True
    np.testing.assert_array_equal(results[0][2], results[1][2])


def _wgan_gp(lib, layers):
    lib.manual_seed(0) if lib is torch else None
    critic = layers(lib.nn)
    with lib.no_grad():
        for i, p in enumerate(critic.parameters()):
            p.copy_(lib.tensor(_input(tuple(p.shape), seed=10 + i)))
    real, fake = lib.tensor(_input((4, 6), 20)), lib.tensor(_input((4, 6), 21))
    alpha = lib.tensor(np.random.default_rng(22).random((4, 1)))
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(interp)
    grads = lib.autograd.grad(out, interp, grad_outputs=lib.ones(4, 1, dtype=lib.float64), create_graph=True)[0]
    penalty = ((grads.view(4, -1).norm(2, dim=1) - 1) ** 2).mean()
    (-critic(real).mean() + critic(fake).mean() + 10 * penalty).backward()
    return [p.grad.numpy() for p in critic.parameters()]


@requires_torch
@pytest.mark.parametrize("layers", [
    lambda nn: nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(8, 1)),
    lambda nn: nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.LeakyReLU(0.2), nn.Linear(8, 5), nn.ELU(),
                             nn.Linear(5, 1)),
], ids=["linear_leaky_relu", "layer_norm_elu"])
def test_wgan_gp_parameter_gradients_match_torch(layers):
    mytorch.set_default_dtype(mytorch.float64)
    torch_default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        mine, theirs = _wgan_gp(mytorch, layers), _wgan_gp(torch, layers)
    finally:
        mytorch.set_default_dtype(mytorch.float32)
        torch.set_default_dtype(torch_default)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
