"""Edge cases of core ops against torch: gradients at a zero standard deviation or norm, bool
arithmetic torch refuses, and reductions over empty dimensions.

Values are compared in float64 at rtol 1e-12 (the same formulas on the same inputs; only summation
order may differ); error types must be torch's.
"""
import warnings

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


def _grad(m, fn, data):
    x = m.tensor(data, dtype=m.float64, requires_grad=True)
    fn(m, x).backward()
    return x.grad.numpy()


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("std", lambda m, x: x.std()),
    ("std_dim", lambda m, x: x.std(1).sum()),
    ("std_keepdim_c0", lambda m, x: x.std(0, keepdim=True, correction=0).sum()),
    ("std_mean", lambda m, x: m.std_mean(x, 1)[0].sum()),
    ("var", lambda m, x: x.var()),
    ("var_dim", lambda m, x: x.var(1).sum()),
    ("norm", lambda m, x: x.norm()),
    ("norm_dim", lambda m, x: x.norm(dim=1).sum()),
    ("norm_p1", lambda m, x: x.norm(p=1)),
    ("norm_p3", lambda m, x: x.norm(p=3)),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, dim=1).sum()),
    ("linalg_norm", lambda m, x: m.linalg.norm(x)),
])
@pytest.mark.parametrize("data", [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]])
def test_gradient_at_zero_spread_or_norm(name, fn, data):
    """torch's std/norm backward is 0 where the result is 0, not 0/0 = nan (and warns nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = _grad(mytorch, fn, data)
    np.testing.assert_allclose(ours, _grad(torch, fn, data), rtol=1e-12, atol=0)
