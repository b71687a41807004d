"""Learning-rate schedulers against torch for 20 epochs (lr of every group and momentum/beta1),
resuming from a state dict, and step(epoch)'s closed forms.

Tolerance: 1e-12 relative (the same recursive float formulas; exact in practice).
"""
import pickle

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch

EPOCHS = 20

SCHEDULERS = {
    "LinearLR": lambda m, opt: m.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=6),
    "LinearLR-down": lambda m, opt: m.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=30),
    "ConstantLR": lambda m, opt: m.ConstantLR(opt, factor=0.4, total_iters=4),
    "MultiplicativeLR": lambda m, opt: m.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9 if e % 3 else 1.05),
    "PolynomialLR": lambda m, opt: m.PolynomialLR(opt, total_iters=12, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=4),
    "CyclicLR": lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5),
    "CyclicLR-triangular2": lambda m, opt: m.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=2,
                                                      mode="triangular2", base_momentum=0.7),
    "CyclicLR-exp_range": lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                                    mode="exp_range", gamma=0.9, cycle_momentum=False),
    "SequentialLR": lambda m, opt: m.SequentialLR(
        opt, schedulers=[m.LinearLR(opt, start_factor=0.1, total_iters=4), m.ExponentialLR(opt, gamma=0.8)],
        milestones=[5]),
    "SequentialLR-3": lambda m, opt: m.SequentialLR(
        opt, schedulers=[m.ConstantLR(opt, factor=0.5, total_iters=2), m.CosineAnnealingLR(opt, T_max=6),
                         m.StepLR(opt, step_size=3, gamma=0.5)], milestones=[3, 10]),
    "ChainedScheduler": lambda m, opt: m.ChainedScheduler(
        [m.ConstantLR(opt, factor=0.2, total_iters=3), m.ExponentialLR(opt, gamma=0.9)]),
    "ChainedScheduler-3": lambda m, opt: m.ChainedScheduler(
        [m.LinearLR(opt, start_factor=0.5, total_iters=5), m.MultiStepLR(opt, milestones=[4, 9], gamma=0.5),
         m.CosineAnnealingLR(opt, T_max=7)], optimizer=opt),
}


def _optimizer(lib, name):
    a, b = lib.ones(2, requires_grad=True), lib.ones(3, requires_grad=True)
    if name == "Adam":
        return lib.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)


def _trace(opt, sched, epochs):
    out = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        groups = opt.param_groups
        out.append([*sched.get_last_lr(), *(g["lr"] for g in groups),
                    *(g["betas"][0] if "betas" in g else g["momentum"] for g in groups)])
    return np.array(out, dtype=np.float64)


@requires_torch
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_twenty_epochs_match_torch(name, optimizer):
    traces = []
    for lib in (mytorch, torch):
        opt = _optimizer(lib, optimizer)
        sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        traces.append(_trace(opt, sched, EPOCHS))
    np.testing.assert_allclose(traces[0], traces[1], rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_resuming_from_a_state_dict_continues_the_schedule(name):
    """7 epochs, state_dict (pickled, as a checkpoint holds it), a new optimizer and scheduler load
    both dicts, 13 more epochs: the same lrs as 20 uninterrupted epochs."""
    make = SCHEDULERS[name]
    opt = _optimizer(mytorch, "SGD")
    sched = make(mytorch.optim.lr_scheduler, opt)
    whole = _trace(opt, sched, EPOCHS)

    opt = _optimizer(mytorch, "SGD")
    sched = make(mytorch.optim.lr_scheduler, opt)
    head = _trace(opt, sched, 7)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2 = _optimizer(mytorch, "SGD")
    sched2 = make(mytorch.optim.lr_scheduler, opt2)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    tail = _trace(opt2, sched2, EPOCHS - 7)
    np.testing.assert_array_equal(np.concatenate([head, tail]), whole)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("MultiStepLR", dict(milestones=[2, 5, 5], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)), ("CosineAnnealingLR", dict(T_max=6)),
    ("LinearLR", dict(start_factor=0.2, total_iters=5)), ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("PolynomialLR", dict(total_iters=8, power=0.5)), ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=3)),
])
def test_step_with_an_epoch_uses_the_closed_form_as_torch(name, kwargs):
    import warnings
    lrs = []
    for lib in (mytorch, torch):
        opt = _optimizer(lib, "SGD")
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation warning for step(epoch)
            for epoch in [3, 1, 7, 7.5, 2, 11]:
                if name != "CosineAnnealingWarmRestarts" and epoch != int(epoch):
                    continue
                sched.step(epoch)
                seq.append(sched.get_last_lr())
        lrs.append(np.array(seq, dtype=np.float64))
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-12, atol=0)


def test_bad_arguments_raise_torchs_errors():
    opt = _optimizer(mytorch, "SGD")
    m = mytorch.optim.lr_scheduler
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        m.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        m.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        m.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="number of milestones"):
        m.SequentialLR(opt, schedulers=[m.ExponentialLR(opt, gamma=0.9)], milestones=[3])
    with pytest.raises(ValueError, match="same optimizer"):
        m.ChainedScheduler([m.ExponentialLR(opt, gamma=0.9), m.ExponentialLR(_optimizer(mytorch, "SGD"), gamma=0.9)])
    with pytest.raises(ValueError, match="base_lr must have the same length"):
        m.CyclicLR(opt, base_lr=[0.1], max_lr=0.2)
    with pytest.raises(ValueError, match="momentum or beta1"):
        m.CyclicLR(mytorch.optim.Adagrad([mytorch.ones(1, requires_grad=True)]), base_lr=0.1, max_lr=0.2)


def test_a_scheduler_subclassed_from_the_old_base_name_works():
    class Halving(mytorch.optim.lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
    opt = _optimizer(mytorch, "SGD")
    sched = Halving(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 * 0.125, 0.05 * 0.125]
