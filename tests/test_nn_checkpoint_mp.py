"""mytorch.utils.checkpoint (run without recomputation: the same values and gradients as the plain call,
compared with torch's checkpoint) and mytorch.multiprocessing (the stdlib's API under torch's name)."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from mytorch.utils.checkpoint import checkpoint, checkpoint_sequential

from conftest import requires_torch, torch


def _model(lib):
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for i, p in enumerate(m.parameters()):
            p.copy_(lib.tensor(np.random.default_rng(i).uniform(-1, 1, tuple(p.shape)).astype(np.float32)))
    return m


def _grads(lib, how):
    m = _model(lib)
    x = lib.tensor(np.random.default_rng(9).uniform(-1, 1, (5, 3)).astype(np.float32), requires_grad=True)
    if how == "checkpoint":
        y = checkpoint(m, x, use_reentrant=False) if lib is mytorch else \
            torch.utils.checkpoint.checkpoint(m, x, use_reentrant=False)
    else:
        fn = checkpoint_sequential if lib is mytorch else torch.utils.checkpoint.checkpoint_sequential
        y = fn(m, 2, x, use_reentrant=False)
    (y * y).sum().backward()
    return [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]


@requires_torch
@pytest.mark.parametrize("how", ["checkpoint", "sequential"])
def test_checkpoint_matches_torch(how):
    import torch.utils.checkpoint  # noqa: F401
    for a, b in zip(_grads(mytorch, how), _grads(torch, how)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # float32 round-off


def test_checkpoint_passes_kwargs_and_warns_without_use_reentrant():
    x = mytorch.ones(2, requires_grad=True)
    assert checkpoint(lambda a, scale: a * scale, x, scale=3.0, use_reentrant=False).tolist() == [3.0, 3.0]
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(lambda a: a, x)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(nn.Sequential(nn.ReLU()), 0, x, use_reentrant=False)


def test_multiprocessing_is_the_stdlib_api():
    import mytorch.multiprocessing as mp
    assert mp.cpu_count() >= 1 and mp.get_start_method(allow_none=True) in (None, "fork", "spawn", "forkserver")
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    mp.spawn(q.put, nprocs=2)  # each fresh process runs q.put(i)
    assert sorted([q.get(), q.get()]) == [0, 1]
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    with pytest.raises(ValueError, match="sharing strategy"):
        mp.set_sharing_strategy("bogus")
