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
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), amsgrad=True)),  # lerp's other formula (weight >= 0.5)
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.1)),  # rho_t > 5 from the second step on
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.01, maximize=True)),  # averaging from step 5
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]
# the optimizers with a one-pass compiled form besides the NumPy one: both are run against torch
FUSED = {"SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad"}
CASES = [(n, k, f) for n, k in OPTIMIZERS for f in ((None, False) if n in FUSED else (None,))]


def _run(lib, name, kwargs, dtype, steps=20, fused=None):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in ((3, 4), (4,))]
    extra = {"fused": fused} if lib is mytorch and fused is not None else {}
    opt = getattr(lib.optim, name)(params, **kwargs, **extra)
    grads = np.random.default_rng(1)
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = lib.tensor(grads.standard_normal(tuple(p.shape)).astype(dtype))
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, kwargs, fused", CASES,
                         ids=[f"{n}-{'-'.join(k)}-fused={f}" for n, k, f in CASES])
def test_twenty_steps_match_torch(name, kwargs, fused, dtype):
    """fused=None runs the compiled one-pass form where numba's JIT is on, fused=False the NumPy form."""
    ours, _ = _run(mytorch, name, kwargs, dtype, fused=fused)
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
