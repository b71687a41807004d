"""Two threads each training their own model (nn layers, a loss, an optimizer, a shuffled DataLoader
with its own Generator, a no_grad evaluation each epoch) end with exactly the parameters of the same
runs done one after the other: grad mode, version counters and optimizer scratch are per thread."""
import copy
import threading

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.utils.data import DataLoader, TensorDataset


def _setup(seed):
    mytorch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x = mytorch.randn(24, 3)
    y = mytorch.randn(24, 1)
    return model, x, y


def _train(model, x, y, seed, optimizer):
    opt = optimizer(model.parameters())
    loader = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True,
                        generator=mytorch.Generator().manual_seed(seed))
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
        with mytorch.no_grad():
            losses.append(nn.functional.mse_loss(model(x), y).item())
    return [p.detach().numpy().copy() for p in model.parameters()], losses


@pytest.mark.parametrize("optimizer", [lambda ps: mytorch.optim.SGD(ps, lr=0.05, momentum=0.9),
                                       lambda ps: mytorch.optim.Adam(ps, lr=0.01),
                                       lambda ps: mytorch.optim.Adadelta(ps, lr=0.5)],
                         ids=["sgd", "adam", "adadelta"])
def test_two_threads_training_two_models_equal_the_sequential_results(optimizer):
    setups = [_setup(seed) for seed in (0, 1)]
    expected = [_train(copy.deepcopy(m), x, y, seed, optimizer) for seed, (m, x, y) in enumerate(setups)]
    got = [None, None]
    barrier = threading.Barrier(2)

    def run(i):
        model, x, y = setups[i]
        barrier.wait()
        got[i] = _train(model, x, y, i, optimizer)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for (e_params, e_losses), (g_params, g_losses) in zip(expected, got):
        assert g_losses == e_losses
        for e, g in zip(e_params, g_params):
            np.testing.assert_array_equal(g, e)
