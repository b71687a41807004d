"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against torch: state_dict
keys, class names, values and gradients (float64, so agreement is to round-off: 1e-10), removal, caching."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from mytorch.nn.utils import parametrize, parametrizations

from conftest import requires_torch, torch


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    return Symmetric()


def _linear(lib, n_in=3, n_out=4):
    m = lib.nn.Linear(n_in, n_out).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(np.random.default_rng(0).uniform(-1, 1, (n_out, n_in))))
        m.bias.copy_(lib.tensor(np.random.default_rng(1).uniform(-1, 1, n_out)))
    return m


def _grads(lib, m, *names):
    x = lib.tensor(np.random.default_rng(2).uniform(-1, 1, (5, m.in_features)))
    y = m(x)
    (y * y).sum().backward()
    return y.detach().numpy(), [lib.tensor(0.0) if p.grad is None else p.grad.numpy() for p in m.parameters()]


@requires_torch
@pytest.mark.parametrize("kind", ["custom", "weight_norm", "weight_norm_dim1", "spectral_norm"])
def test_parametrizations_match_torch(kind):
    mods = []
    for lib, P, PS in ((mytorch, parametrize, parametrizations),
                       (torch, torch.nn.utils.parametrize, torch.nn.utils.parametrizations)):
        m = _linear(lib, 4 if kind == "custom" else 3)
        if kind == "custom":
            P.register_parametrization(m, "weight", _symmetric(lib))
        elif kind.startswith("weight_norm"):
            PS.weight_norm(m, dim=1 if kind.endswith("dim1") else 0)
        else:
            PS.spectral_norm(m)
        mods.append(m)
    mine, theirs = mods
    if kind == "spectral_norm":  # the power iteration starts from random vectors: start both from torch's
        sn = mine.parametrizations.weight[0]
        sn._u._data[...] = theirs.parametrizations.weight[0]._u.numpy()
        sn._v._data[...] = theirs.parametrizations.weight[0]._v.numpy()
    assert type(mine).__name__ == type(theirs).__name__
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    (ya, ga), (yb, gb) = _grads(mytorch, mine), _grads(torch, theirs)
    np.testing.assert_allclose(ya, yb, rtol=1e-10, atol=1e-10)
    for a, b in zip(ga, gb):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12)


def test_register_remove_and_set():
    m = _linear(mytorch, 4, 4)
    parametrize.register_parametrization(m, "weight", _symmetric(mytorch))
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    target = mytorch.ones(4, 4, dtype=mytorch.float64)
    with pytest.raises(RuntimeError, match="right_inverse"):
        m.weight = target  # Symmetric has no right_inverse
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered last, as torch
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(m, "weight")


def test_weight_norm_setter_and_removal_keep_values():
    m = parametrizations.weight_norm(_linear(mytorch))
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    assert tuple(g.shape) == (4, 1) and tuple(v.shape) == (4, 3)
    new = mytorch.tensor(np.arange(12.0).reshape(4, 3) + 1)
    m.weight = new
    np.testing.assert_allclose(m.weight.detach().numpy(), new.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="sequence of tensors"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(m.weight.detach().numpy(), new.numpy(), rtol=1e-12)
    assert list(m.state_dict()) == ["bias", "weight"]
