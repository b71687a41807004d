"""Shared checks: forward and gradients against torch, and float64 central differences.

Tolerances. float32 results are compared relative to the result's scale (max |value|), because
float32 rounding error grows with magnitude, not per element: ~1e-5 covers an elementwise op
(a few ulps at 6e-8 each, plus the difference between two libms); reductions and matmul add one
rounding per summed term, so they get 1e-4. Gradients are checked against float64 central
differences with eps=1e-6, where truncation error is ~eps**2 and rounding ~1e-16/eps = 1e-10,
so atol=1e-6 with rtol=1e-4 leaves a wide margin without hiding a wrong formula.
"""
import numpy as np

import mytorch
from mytorch.autograd import gradcheck

from conftest import torch

ELEMENTWISE_TOL = 1e-5
REDUCTION_TOL = 1e-4


def draw(shape, seed, low=-2.0, high=2.0, away_from=None, margin=0.1):
    """Random float64 values in [low, high), nudged at least ``margin`` away from given kinks."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=shape)
    for k in away_from or ():
        near = np.abs(x - k) < margin
        x[near] = k + np.copysign(margin + rng.uniform(0, margin, size=near.sum()), x[near] - k + 1e-300)
    return x


def scaled_error(ours, theirs, floor=1e-30):
    """max |ours - theirs| / max |theirs|. ``floor`` bounds the scale from below: a sum that cancels
    (a bias gradient of a few dozen terms) is small while its rounding error is relative to the
    terms, so callers pass the terms' magnitude there."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, f"shape {ours.shape} != {theirs.shape}"
    scale = max(np.abs(theirs).max(initial=0.0), floor)
    return np.abs(ours - theirs).max(initial=0.0) / scale


def check_against_torch(fn, arrays, tol=ELEMENTWISE_TOL, dtype="float32"):
    """Runs fn(lib, *tensors) in mytorch and torch on the same values; compares the forward result
    and the gradient of every input under the same random upstream gradient."""
    ours_in = [mytorch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ours, theirs = fn(mytorch, *ours_in), fn(torch, *theirs_in)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    err = scaled_error(ours.detach().numpy(), theirs.detach().numpy())
    assert err <= tol, f"forward differs from torch by {err:.2e} of its scale (tol {tol:.0e})"
    upstream = np.random.default_rng(99).standard_normal(tuple(theirs.shape)).astype(dtype)
    ours.backward(mytorch.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t.grad is None:
            assert o.grad is None or not np.any(o.grad.numpy()), f"input {i}: torch has no gradient"
            continue
        err = scaled_error(o.grad.numpy(), t.grad.numpy())
        assert err <= tol, f"gradient of input {i} differs from torch by {err:.2e} of its scale (tol {tol:.0e})"


def check_gradcheck(fn, arrays):
    inputs = [mytorch.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: fn(mytorch, *xs), inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def lenet5(lib):
    """LeNet-5 as the MNIST issue defines it, built from ``lib`` (mytorch or torch)."""
    n = lib.nn
    return n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2), n.Conv2d(6, 16, 5), n.ReLU(),
                        n.MaxPool2d(2), n.Flatten(), n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(),
                        n.Linear(84, 10))
