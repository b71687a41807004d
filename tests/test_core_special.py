"""torch.special and the gamma family (lgamma, digamma, polygamma, mvlgamma), frexp, renorm, and
0-d inputs of the erf family, against torch where installed (skipping cleanly otherwise) and
float64 finite differences.

Tolerances: float64 values within 1e-13 relative (series and recurrences; torch uses Cephes), except
polygamma(1, x), where torch's own trigamma is off by up to ~5e-10 (checked: 1e-9).
"""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch
from helpers import gradcheck

X = [-2.5, -0.5, 0.3, 1.0, 2.0, 7.5, 30.0, 100.0]


@requires_torch
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_matches_torch(n):
    got = mytorch.polygamma(n, mytorch.tensor(X, dtype=mytorch.float64)).numpy()
    want = torch.polygamma(n, torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9 if n == 1 else 1e-13)
    poles = [0.0, -1.0] if n != 1 else [0.0]  # NOTE: torch's trigamma gives ~1e32 at -1 (sin(pi x) != 0)
    np.testing.assert_array_equal(mytorch.polygamma(n, mytorch.tensor(poles, dtype=mytorch.float64)).numpy(),
                                  torch.polygamma(n, torch.tensor(poles, dtype=torch.float64)).numpy())


@requires_torch
@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_lgamma_digamma_match_torch_with_poles(name):
    data = X + [0.0, -1.0, -3.0]
    got = getattr(mytorch, name)(mytorch.tensor(data, dtype=mytorch.float64)).numpy()
    want = getattr(torch, name)(torch.tensor(data, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-13, equal_nan=True)
    assert getattr(mytorch, name)(mytorch.tensor(3)).dtype == mytorch.float32  # ints: the default float


@pytest.mark.parametrize("fn", [lambda m, x: m.polygamma(2, x), lambda m, x: m.mvlgamma(x, 3),
                                lambda m, x: m.lgamma(x), lambda m, x: m.digamma(x),
                                lambda m, x: m.renorm(x, 2, 0, 1.0), lambda m, x: m.frexp(x).mantissa])
def test_gradcheck_float64(fn):
    x = mytorch.tensor(np.random.default_rng(0).uniform(1.5, 3.0, (2, 3)), requires_grad=True)
    assert gradcheck(lambda t: fn(mytorch, t), (x,))


@requires_torch
@pytest.mark.parametrize("fn", [lambda m, x: m.polygamma(2, x), lambda m, x: m.mvlgamma(x, 3),
                                lambda m, x: x.renorm(1, 1, 2.0) * x, lambda m, x: m.frexp(x).mantissa * 3,
                                lambda m, x: m.special.ndtri(x / 4), lambda m, x: m.special.ndtr(x),
                                lambda m, x: m.special.entr(x), lambda m, x: m.special.xlog1py(x, x)])
def test_forward_and_gradient_match_torch(fn):
    data = np.random.default_rng(1).uniform(1.5, 3.0, (2, 3))
    ours, theirs = mytorch.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    a, b = fn(mytorch, ours), fn(torch, theirs)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@requires_torch
def test_frexp_and_renorm_as_torch():
    x = [3.0, 0.1, 0.0, -7.5, 1e-30]
    m, e = mytorch.frexp(mytorch.tensor(x))
    tm, te = torch.frexp(torch.tensor(x))
    assert m.tolist() == tm.tolist() and e.tolist() == te.tolist() and e.dtype == mytorch.int32
    with pytest.raises(RuntimeError):
        mytorch.frexp(mytorch.tensor([1, 2]))
    w = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(mytorch.tensor(w).renorm(2, 0, 1.0).numpy(), torch.tensor(w).renorm(2, 0, 1.0).numpy(),
                               rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", ["expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "log1p",
                                  "expm1", "exp2", "i0", "sinc", "entr", "ndtr", "ndtri", "round"])
def test_special_unary_names_match_torch(name):
    data = [1e-300, 1e-20, 0.01, 0.1, 0.5, 0.9, 1 - 1e-12]
    got = getattr(mytorch.special, name)(mytorch.tensor(data, dtype=mytorch.float64)).numpy()
    want = getattr(torch.special, name)(torch.tensor(data, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@requires_torch
def test_special_other_signatures_match_torch():
    x = [0.1, 0.5, 0.9]
    for name, args in [("polygamma", (2,)), ("multigammaln", (None, 2)), ("xlogy", (None, x)),
                       ("xlog1py", (None, x)), ("logsumexp", (None, 0)), ("softmax", (None, 0)),
                       ("log_softmax", (None, 0))]:
        def run(T):
            t = T.tensor(x, dtype=T.float64) + 1
            return getattr(T.special, name)(*[t if a is None else T.tensor(a, dtype=T.float64) if isinstance(a, list)
                                               else a for a in (args if args[0] is None else args + (None,))])
        np.testing.assert_allclose(run(mytorch).numpy(), run(torch).numpy(), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma", "i0"])
def test_zero_dim_inputs(name):
    out = getattr(mytorch, name)(mytorch.tensor(0.5))
    assert out.shape == () and out.dtype == mytorch.float32
    assert getattr(mytorch.tensor(0.5), name)().shape == ()


def test_polygamma_bad_order():
    with pytest.raises(RuntimeError, match="negative n"):
        mytorch.polygamma(-1, mytorch.ones(1))
    with pytest.raises(TypeError, match="must be int"):
        mytorch.polygamma(1.5, mytorch.ones(1))
