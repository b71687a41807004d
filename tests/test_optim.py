"""Optimizers and schedulers against torch: 20 steps from identical parameters and gradients.

Tolerances: float64 to 1e-12 (the update rules are the same formulas, so only summation-order
rounding differs); float32 to atol 1e-6 * max|p| and rtol 1e-5 (a few float32 ulps per step,
accumulated over 20 steps).
"""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def _run(lib, name, kwargs, dtype, steps=20):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in ((3, 4), (4,))]
    opt = getattr(lib.optim, name)(params, **kwargs)
    grads = np.random.default_rng(1)
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = lib.tensor(grads.standard_normal(tuple(p.shape)).astype(dtype))
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n}-{'-'.join(k)}" for n, k in OPTIMIZERS])
def test_twenty_steps_match_torch(name, kwargs, dtype):
    ours, _ = _run(mytorch, name, kwargs, dtype)
    theirs, _ = _run(torch, name, kwargs, dtype)
    for a, b in zip(ours, theirs):
        if dtype == "float64":
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())


@requires_torch
def test_state_dict_round_trip_and_torch_layout():
    _, ours = _run(mytorch, "Adam", dict(lr=0.01), "float64", steps=3)
    _, theirs = _run(torch, "Adam", dict(lr=0.01), "float64", steps=3)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"][0]) == set(tsd["state"][0])
    np.testing.assert_allclose(sd["state"][1]["exp_avg"].numpy(), tsd["state"][1]["exp_avg"].numpy(), rtol=1e-12)
    # resuming from the state dict continues exactly like the uninterrupted optimizer
    params = [mytorch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours.param_groups[0]["params"]]
    resumed = mytorch.optim.Adam(params, lr=0.5)
    resumed.load_state_dict(sd)
    assert resumed.param_groups[0]["lr"] == 0.01
    for opt in (ours, resumed):
        for p in opt.param_groups[0]["params"]:
            p.grad = mytorch.ones(*p.shape, dtype=mytorch.float64)
        opt.step()
    for a, b in zip(ours.param_groups[0]["params"], resumed.param_groups[0]["params"]):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_mismatched_state_dict_changes_nothing():
    opt = mytorch.optim.SGD([mytorch.ones(2, requires_grad=True)], lr=0.1, momentum=0.9)
    other = mytorch.optim.SGD([mytorch.ones(2, requires_grad=True), mytorch.ones(1, requires_grad=True)], lr=0.5)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(other.state_dict())
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("make, message", [
    (lambda p: mytorch.optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: mytorch.optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: mytorch.optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: mytorch.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: mytorch.optim.Adam(p, betas=(1.0, 0.9)), r"Invalid beta parameter at index 0: 1.0"),
    (lambda p: mytorch.optim.Adam(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: mytorch.optim.Adadelta(p, rho=2), "Invalid rho value: 2"),
    (lambda p: mytorch.optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: mytorch.optim.SGD(p + p, lr=0.1), "duplicate parameters"),
])
def test_invalid_hyperparameters_name_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make([mytorch.ones(2, requires_grad=True)])


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e))),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=13)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=13, anneal_strategy="linear", three_phase=True)),
]


@requires_torch
@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=[s[0] + str(i) for i, s in enumerate(SCHEDULERS)])
def test_scheduler_lr_sequence_matches_torch(name, kwargs):
    sequences = []
    for lib in (mytorch, torch):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        seq = []
        for _ in range(12):
            opt.step()
            sched.step()
            seq.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
        sequences.append(seq)
    np.testing.assert_allclose(np.array(sequences[0]), np.array(sequences[1]), rtol=1e-12, atol=0)


@requires_torch
def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    lrs = []
    for lib in (mytorch, torch):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
        out = []
        for m in metrics:
            sched.step(m)
            out.append(opt.param_groups[0]["lr"])
        lrs.append(out)
    assert lrs[0] == lrs[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_fused_adadelta_matches_the_numpy_form_bit_for_bit(dtype, weight_decay):
    """mytorch/optim/_fused.py's one-pass Adadelta against the NumPy expressions it replaces (the
    torch comparisons above run through it too): the same operations in the same order and dtype
    give the same bits, so training results do not depend on which one ran."""
    from mytorch.optim import _fused
    if _fused._kernels() is None:
        pytest.skip("numba with its JIT is needed for the fused update")
    rng = np.random.default_rng(0)
    param, grad = (rng.standard_normal((37, 19)).astype(dtype) for _ in range(2))
    square_avg, acc_delta = (np.abs(rng.standard_normal((37, 19))).astype(dtype) * 1e-3 for _ in range(2))
    lr, rho, eps = 0.7, 0.85, 1e-6
    want = [a.copy() for a in (param, grad, square_avg, acc_delta)]
    p, g, sa, ad = want
    g = g + weight_decay * p if weight_decay else g
    sa *= rho
    sa += (1 - rho) * g * g
    delta = np.sqrt(ad + eps) / np.sqrt(sa + eps) * g
    ad *= rho
    ad += (1 - rho) * delta * delta
    p -= lr * delta
    assert _fused.adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay)
    for got, expected in zip((param, square_avg, acc_delta), (p, sa, ad)):
        np.testing.assert_array_equal(got, expected)
    # a transposed gradient (a Linear layer's) gives the same bits; a non-contiguous parameter is
    # left to the NumPy form
    again = [a.copy() for a in (param, square_avg, acc_delta)]
    ref = [a.copy() for a in again]
    assert _fused.adadelta(again[0], np.asfortranarray(grad), again[1], again[2], lr, rho, eps, weight_decay)
    assert _fused.adadelta(ref[0], grad, ref[1], ref[2], lr, rho, eps, weight_decay)
    for got, expected in zip(again, ref):
        np.testing.assert_array_equal(got, expected)
    assert not _fused.adadelta(param.T, grad.T, square_avg.T, acc_delta.T, lr, rho, eps, weight_decay)
