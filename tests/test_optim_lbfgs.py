"""LBFGS against torch: whole ``step(closure)`` calls (each up to max_iter iterations) on a small
non-quadratic problem, with and without the strong-Wolfe line search.

Tolerance: float64 to 1e-12 (the same iteration; dot products may sum in another order);
float32 to 1e-4 relative (a line search's branch decisions can flip on one rounding).
"""
import copy

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch

CONFIGS = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7),
    dict(lr=0.1, max_iter=4, max_eval=5),
]


def _problem(lib, dtype, seed=0):
    rng = np.random.default_rng(seed)
    A = lib.tensor(rng.standard_normal((6, 4)).astype(dtype))
    b = lib.tensor(rng.standard_normal(6).astype(dtype))
    x = lib.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    w = lib.tensor(rng.standard_normal((2, 1)).astype(dtype), requires_grad=True)

    def loss_fn():
        r = A @ x - b
        return (r * r).sum() + 0.1 * (x * x * x * x).sum() + ((w - 1) * (w - 1) * (w + 2) * (w + 2)).sum()
    return [x, w], loss_fn


def _run(lib, kwargs, dtype, steps=3):
    params, loss_fn = _problem(lib, dtype)
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return [p.detach().numpy().copy() for p in params], losses, opt


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", CONFIGS, ids=[str(k) for k in CONFIGS])
def test_lbfgs_steps_match_torch(kwargs, dtype):
    ours, our_losses, opt = _run(mytorch, kwargs, dtype)
    theirs, their_losses, topt = _run(torch, kwargs, dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **tol)
    np.testing.assert_allclose(our_losses, their_losses, **tol)
    state, tstate = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert set(state) == set(tstate)
    if dtype == "float64":
        assert state["func_evals"] == tstate["func_evals"] and state["n_iter"] == tstate["n_iter"]
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


@requires_torch
def test_lbfgs_resumes_from_torchs_state_dict():
    params, loss_fn = _problem(torch, "float64")
    opt = torch.optim.LBFGS(params, max_iter=3, history_size=4)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    mine_params, mine_loss = _problem(mytorch, "float64")
    for p, q in zip(mine_params, params):
        p.data = q.detach().numpy().copy()
    mine = mytorch.optim.LBFGS(mine_params)
    mine.load_state_dict(saved)

    def my_closure():
        mine.zero_grad()
        loss = mine_loss()
        loss.backward()
        return loss
    opt.step(closure)
    mine.step(my_closure)
    for a, b in zip(mine_params, params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_lbfgs_refuses_a_state_of_another_size_and_needs_a_closure():
    params, loss_fn = _problem(mytorch, "float64")
    opt = mytorch.optim.LBFGS(params, max_iter=2)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    opt.step(closure)
    other = mytorch.optim.LBFGS([mytorch.zeros(3, requires_grad=True), mytorch.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="'d' of shape \\(6,\\).*have 4 values"):
        other.load_state_dict(opt.state_dict())
    assert not other.state
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="strong_wolfe"):
        mytorch.optim.LBFGS(params, line_search_fn="armijo")


@requires_torch
@pytest.mark.parametrize("lr", [1, 0.5])
def test_state_step_length_keeps_the_type_of_lr_as_torch(lr):
    """state['t'] after several iterations is the group's lr itself (an int lr stays an int)."""
    types = []
    for lib in (mytorch, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.LBFGS([w], lr=lr, max_iter=4)

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        opt.step(closure)
        types.append(type(opt.state_dict()["state"][0]["t"]))
    assert types[0] is types[1]
