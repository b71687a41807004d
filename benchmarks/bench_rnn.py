"""Recurrent layers through the public API, per implementation (numpy or numba gate kernels, torch) and
case (benchmarks/profile_rnn.py's: LSTM/GRU forward + backward at batch 64, 28 steps, input 28,
hidden 128, 1 and 2 layers; a batch-1 LSTMCell loop; the MNIST-row LSTM training step). Each
benchmark first checks mytorch's results against torch from the same weights, then times.

    pytest benchmarks/bench_rnn.py --benchmark-only --benchmark-group-by=param:case
"""
import numpy as np
import pytest

import mytorch
from mytorch import backends
from benchmarks.conftest import impl_param, torch
from benchmarks.profile_rnn import CASES, _build, _same_weights

IMPLS = [impl_param(n) for n in ("numpy", "numba", "torch")]


def _check(case, impl):
    """mytorch with ``impl`` kernels against torch from the same weights: float32 round-off grown
    over 28 steps and a backward pass stays below 1e-4 of each result's scale."""
    if torch is None:
        return
    with backends.using_kernels(impl):
        ours_module, _, ours_result = _build(mytorch, case)
        theirs_module, _, theirs_result = _build(torch, case)
        _same_weights(ours_module, theirs_module)
        for i, (a, b) in enumerate(zip(ours_result(), theirs_result())):
            err = np.abs(a - b).max() / max(np.abs(b).max(), 1e-3)
            assert err <= 1e-4, f"{case} result {i}: {err:.2e} of its scale from torch"


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", list(CASES))
def test_rnn(benchmark, case, impl):
    if impl == "torch":
        _, step, _ = _build(torch, case)
        benchmark(step)
        return
    _check(case, impl)
    with backends.using_kernels(impl):
        _, step, _ = _build(mytorch, case)
        benchmark(step)
