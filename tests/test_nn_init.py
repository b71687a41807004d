"""nn.init against torch: deterministic initialisers exactly, random ones by their distribution
(bounds and moments with stated tolerances), gains and errors."""
import warnings

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from conftest import requires_torch, torch

init = nn.init


@requires_torch
@pytest.mark.parametrize("name, param", [("linear", None), ("conv2d", None), ("conv_transpose3d", None),
                                         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                                         ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


@requires_torch
@pytest.mark.parametrize("fn, shape, kwargs", [("eye_", (3, 5), {}), ("dirac_", (4, 2, 3), {}),
                                               ("dirac_", (6, 3, 3, 3), dict(groups=2)),
                                               ("dirac_", (2, 4, 1, 3, 2), {}), ("constant_", (2, 3), dict(val=0.3)),
                                               ("ones_", (4,), {}), ("zeros_", (2, 2), {})])
def test_deterministic_initialisers_equal_torch(fn, shape, kwargs):
    ours = getattr(init, fn)(mytorch.empty(*shape), **kwargs)
    theirs = getattr(torch.nn.init, fn)(torch.empty(*shape), **kwargs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_random_initialisers_have_the_right_distribution():
    """64x32x3x3 = 18,432 draws: a sample std's standard error is ~0.5%, so 3% bounds cannot flake."""
    mytorch.manual_seed(0)
    w = mytorch.empty(64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    checks = [
        (lambda t: init.xavier_uniform_(t, gain=2.0), 2.0 * np.sqrt(6 / (fan_in + fan_out)) / np.sqrt(3)),
        (lambda t: init.xavier_normal_(t), np.sqrt(2 / (fan_in + fan_out))),
        (lambda t: init.kaiming_uniform_(t, a=0.1, mode="fan_out"), np.sqrt(2 / 1.01) / np.sqrt(fan_out)),
        (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), np.sqrt(2 / fan_in)),
        (lambda t: init.normal_(t, 1.0, 0.5), 0.5),
        (lambda t: init.uniform_(t, -3, 1), 4 / np.sqrt(12)),
    ]
    for fn, std in checks:
        values = fn(w).numpy()
        assert abs(values.std() - std) < 0.03 * std
    t = init.trunc_normal_(mytorch.empty(20000), mean=0.5, std=1.0, a=-0.5, b=1.0).numpy()
    assert t.min() >= -0.5 and t.max() <= 1.0 and abs(t.mean() - 0.31) < 0.02  # truncated-normal mean ~0.307
    assert w.dtype == mytorch.float32


def test_orthogonal_and_sparse():
    for shape in ((4, 6), (6, 4), (3, 2, 2)):
        q = init.orthogonal_(mytorch.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        small = q @ q.T if shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)
    s = init.sparse_(mytorch.empty(10, 7), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()


@requires_torch
def test_errors_match_torch():
    cases = [(lambda m: m.nn.init.xavier_uniform_(m.empty(3)), ValueError, "fewer than 2 dimensions"),
             (lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="fan_avg"), ValueError, "Mode fan_avg"),
             (lambda m: m.nn.init.calculate_gain("swish"), ValueError, "Unsupported nonlinearity swish"),
             (lambda m: m.nn.init.calculate_gain("leaky_relu", True), ValueError, "not a valid number"),
             (lambda m: m.nn.init.eye_(m.empty(2, 2, 2)), ValueError, "Only tensors with 2 dimensions"),
             (lambda m: m.nn.init.dirac_(m.empty(2, 2)), ValueError, "Only tensors with 3, 4, or 5 dimensions"),
             (lambda m: m.nn.init.orthogonal_(m.empty(3)), ValueError, "Only tensors with 2 or more dimensions")]
    for make, error, message in cases:
        with pytest.raises(error, match=message):
            make(torch)
        with pytest.raises(error, match=message):
            make(mytorch)


def test_zero_element_kaiming_warns_and_deprecated_aliases():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(mytorch.empty(0, 3))
    with pytest.warns(FutureWarning, match="deprecated in favor of `nn.init.xavier_uniform_`"):
        init.xavier_uniform(mytorch.empty(2, 2))


def test_initialisers_are_not_recorded_by_autograd():
    p = nn.Parameter(mytorch.empty(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert init.orthogonal_(p) is p and p.grad_fn is None and p.requires_grad
