"""mytorch.distributions against torch.distributions, float64 central differences and sample moments.

Tolerances. Values are compared in float64 where both libraries evaluate the same closed forms: the
differences are rounding (~1e-15 relative) plus lgamma/digamma (ours: math.lgamma and an asymptotic
series, ~1e-14 relative) and solve vs solve_triangular in MultivariateNormal (conditioning ~10 on
these matrices): 1e-9 relative to the result's scale leaves a wide margin without hiding a wrong
formula. Statistical checks use a fixed seed and bounds of 5 standard errors (stated per test).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
import mytorch.distributions as D
from conftest import requires_torch, torch
from helpers import scaled_error
from mytorch.autograd import gradcheck

TOL = 1e-9


def _spd(rng, n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _simplex(rng, shape):
    x = rng.uniform(0.2, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def _sym(m):
    """(m + m^T) / 2: a symmetric parameterisation, so finite differences perturb symmetric matrices
    (a covariance's gradient is defined over those; torch's Cholesky backward symmetrises it)."""
    return (m + m.transpose(-1, -2)) / 2


# name -> make(rng) returning (build(lib, *params), params, value, quantiles or None).
# ``params``: float64 arrays (differentiable) or ("const", x) for a non-differentiable argument.
def _cases():
    def normal(rng):
        return (lambda L, m, s: L.distributions.Normal(m, s), [rng.standard_normal((2, 3)), rng.uniform(.5, 2, (2, 3))],
                rng.standard_normal((2, 3)), rng.uniform(.05, .95, (2, 3)))

    def normal_scalar_scale(rng):
        return (lambda L, m: L.distributions.Normal(m, 1.5), [rng.standard_normal(3)], rng.standard_normal(3),
                rng.uniform(.05, .95, 3))

    def lognormal(rng):
        return (lambda L, m, s: L.distributions.LogNormal(m, s), [rng.standard_normal(3), rng.uniform(.5, 1.5, 3)],
                rng.uniform(.2, 3, 3), rng.uniform(.05, .95, 3))

    def uniform(rng):
        low = rng.standard_normal(3)
        width = rng.uniform(.5, 2, 3)
        return (lambda L, lo, w: L.distributions.Uniform(lo, lo + w), [low, width],
                low + width * rng.uniform(.1, .9, 3), rng.uniform(.05, .95, 3))

    def laplace(rng):
        return (lambda L, m, s: L.distributions.Laplace(m, s), [rng.standard_normal(4), rng.uniform(.5, 2, 4)],
                rng.standard_normal(4) + .05, rng.uniform(.05, .95, 4))

    def exponential(rng):
        return (lambda L, r: L.distributions.Exponential(r), [rng.uniform(.5, 2, 3)], rng.uniform(.1, 3, 3),
                rng.uniform(.05, .95, 3))

    def gamma(rng):
        return (lambda L, a, r: L.distributions.Gamma(a, r), [rng.uniform(.3, 4, (2, 3)), rng.uniform(.5, 2, (2, 3))],
                rng.uniform(.1, 3, (2, 3)), None)

    def beta(rng):
        return (lambda L, a, b: L.distributions.Beta(a, b), [rng.uniform(.3, 4, 4), rng.uniform(.3, 4, 4)],
                rng.uniform(.05, .95, 4), None)

    def dirichlet(rng):
        return (lambda L, a: L.distributions.Dirichlet(a), [rng.uniform(.3, 4, (2, 3))], _simplex(rng, (2, 3)), None)

    def poisson(rng):
        return (lambda L, r: L.distributions.Poisson(r), [rng.uniform(.5, 5, 4)],
                rng.integers(0, 6, 4).astype(np.float64), None)

    def binomial(rng):
        return (lambda L, n, p: L.distributions.Binomial(n, probs=p),
                [("const", np.full(3, 6.0)), rng.uniform(.1, .9, 3)],
                rng.integers(0, 7, 3).astype(np.float64), None)

    def binomial_logits(rng):
        return (lambda L, lg: L.distributions.Binomial(4, logits=lg), [rng.standard_normal(3)],
                rng.integers(0, 5, 3).astype(np.float64), None)

    def bernoulli(rng):
        return (lambda L, p: L.distributions.Bernoulli(probs=p), [rng.uniform(.1, .9, 4)],
                rng.integers(0, 2, 4).astype(np.float64), None)

    def bernoulli_logits(rng):
        return (lambda L, lg: L.distributions.Bernoulli(logits=lg), [rng.standard_normal(4)],
                rng.integers(0, 2, 4).astype(np.float64), None)

    def categorical(rng):
        return (lambda L, p: L.distributions.Categorical(probs=p), [rng.uniform(.1, 1, (2, 4))],
                rng.integers(0, 4, (3, 2)), None)

    def categorical_logits(rng):
        return (lambda L, lg: L.distributions.Categorical(logits=lg), [rng.standard_normal((2, 4))],
                rng.integers(0, 4, 2), None)

    def one_hot(rng):
        return (lambda L, lg: L.distributions.OneHotCategorical(logits=lg), [rng.standard_normal((2, 4))],
                np.eye(4)[rng.integers(0, 4, 2)], None)

    def multinomial(rng):
        return (lambda L, p: L.distributions.Multinomial(5, probs=p), [rng.uniform(.1, 1, (2, 3))],
                np.array([[1., 3., 1.], [0., 0., 5.]]), None)

    def mvn_cov(rng):
        return (lambda L, m, c: L.distributions.MultivariateNormal(m, covariance_matrix=_sym(c)),
                [rng.standard_normal((2, 3)), _spd(rng, 3)], rng.standard_normal((2, 3)), None)

    def mvn_prec(rng):
        return (lambda L, m, p: L.distributions.MultivariateNormal(m, precision_matrix=_sym(p)),
                [rng.standard_normal(3), _spd(rng, 3, (2,))], rng.standard_normal((2, 3)), None)

    def mvn_tril(rng):
        tril = np.tril(rng.standard_normal((3, 3)), -1) + np.diag(rng.uniform(.5, 2, 3))
        return (lambda L, m, s: L.distributions.MultivariateNormal(m, scale_tril=s.tril()),
                [rng.standard_normal(3), tril], rng.standard_normal((4, 3)), None)

    def independent(rng):
        return (lambda L, m, s: L.distributions.Independent(L.distributions.Normal(m, s), 1),
                [rng.standard_normal((2, 3)), rng.uniform(.5, 2, (2, 3))], rng.standard_normal((2, 3)), None)

    def mixture(rng):
        def build(L, w, m, s):
            D_ = L.distributions
            return D_.MixtureSameFamily(D_.Categorical(logits=w), D_.Independent(D_.Normal(m, s), 1))
        return (build, [rng.standard_normal((2, 3)), rng.standard_normal((2, 3, 2)), rng.uniform(.5, 2, (2, 3, 2))],
                rng.standard_normal((4, 2, 2)), None)

    def mixture_1d(rng):
        def build(L, w, m, s):
            return L.distributions.MixtureSameFamily(L.distributions.Categorical(probs=w),
                                                     L.distributions.Normal(m, s))
        return (build, [rng.uniform(.1, 1, 3), rng.standard_normal(3), rng.uniform(.5, 2, 3)],
                rng.standard_normal(5), None)

    def cauchy(rng):
        return (lambda L, m, s: L.distributions.Cauchy(m, s), [rng.standard_normal(3), rng.uniform(.5, 2, 3)],
                rng.standard_normal(3), rng.uniform(.05, .95, 3))

    def half_normal(rng):
        return (lambda L, s: L.distributions.HalfNormal(s), [rng.uniform(.5, 2, 3)], rng.uniform(.1, 3, 3),
                rng.uniform(.05, .95, 3))

    def chi2(rng):
        return (lambda L, df: L.distributions.Chi2(df), [rng.uniform(.5, 6, 3)], rng.uniform(.1, 3, 3), None)

    def student_t(rng):
        return (lambda L, df, m, s: L.distributions.StudentT(df, m, s),
                [np.array([0.8, 1.5, 2.5, 7.0]), rng.standard_normal(4), rng.uniform(.5, 2, 4)],
                rng.standard_normal(4), None)

    def geometric(rng):
        return (lambda L, p: L.distributions.Geometric(probs=p), [rng.uniform(.1, .9, 3)],
                rng.integers(0, 6, 3).astype(np.float64), None)

    def geometric_logits(rng):
        return (lambda L, lg: L.distributions.Geometric(logits=lg), [rng.standard_normal(3)],
                rng.integers(0, 6, 3).astype(np.float64), None)

    def tanh_normal(rng):
        def build(L, m, s):
            D_ = L.distributions
            return D_.TransformedDistribution(D_.Normal(m, s), [D_.TanhTransform()])
        return build, [rng.standard_normal(3), rng.uniform(.5, 1.5, 3)], rng.uniform(-.9, .9, 3), rng.uniform(.1, .9, 3)

    def affine_exp(rng):
        def build(L, m, s, a):
            D_ = L.distributions
            return D_.TransformedDistribution(D_.Normal(m, s), [D_.AffineTransform(a, -2.0), D_.ExpTransform()])
        return (build, [rng.standard_normal(3), rng.uniform(.5, 1.5, 3), rng.standard_normal(3)],
                rng.uniform(.2, 3, 3), rng.uniform(.1, .9, 3))

    def logit_normal_vector(rng):
        def build(L, m, s):
            D_ = L.distributions
            return D_.TransformedDistribution(D_.Independent(D_.Normal(m, s), 1),
                                              [D_.SigmoidTransform(), D_.AffineTransform(0.0, 3.0, event_dim=1)])
        return build, [rng.standard_normal((2, 3)), rng.uniform(.5, 1.5, (2, 3))], rng.uniform(.2, 2.8, (2, 3)), None

    def gumbel(rng):
        return (lambda L, m, s: L.distributions.Gumbel(m, s), [rng.standard_normal(3), rng.uniform(.5, 2, 3)],
                rng.standard_normal(3), rng.uniform(.05, .95, 3))

    def weibull(rng):
        return (lambda L, s, k: L.distributions.Weibull(s, k), [rng.uniform(.5, 2, 4), np.array([.7, 1.5, 2.0, 3.0])],
                rng.uniform(.2, 3, 4), rng.uniform(.05, .95, 4))

    def pareto(rng):
        return (lambda L, s, a: L.distributions.Pareto(s, a), [rng.uniform(.5, 1, 4), np.array([.7, 1.5, 2.5, 4.0])],
                rng.uniform(1.1, 3, 4), rng.uniform(.05, .95, 4))

    def negative_binomial(rng):
        return (lambda L, n, p: L.distributions.NegativeBinomial(n, probs=p), [rng.uniform(.5, 5, 3),
                                                                               rng.uniform(.1, .9, 3)],
                rng.integers(0, 6, 3).astype(np.float64), None)

    def relaxed_bernoulli(rng):
        return (lambda L, t, lg: L.distributions.RelaxedBernoulli(t, logits=lg),
                [np.array(0.7), rng.standard_normal(3)], rng.uniform(.05, .95, 3), None)

    def relaxed_one_hot(rng):
        return (lambda L, t, p: L.distributions.RelaxedOneHotCategorical(t, probs=p),
                [np.array(0.6), rng.uniform(.1, 1, (2, 3))], _simplex(rng, (2, 3)), None)

    def lowrank_mvn(rng):
        return (lambda L, m, w, d: L.distributions.LowRankMultivariateNormal(m, w, d),
                [rng.standard_normal((2, 4)), rng.standard_normal((4, 2)), rng.uniform(.5, 2, 4)],
                rng.standard_normal((3, 2, 4)), None)

    makers = (lowrank_mvn, gumbel, weibull, pareto, negative_binomial, relaxed_bernoulli, relaxed_one_hot, tanh_normal,
              affine_exp, logit_normal_vector, cauchy, half_normal, chi2, student_t, geometric,
              geometric_logits, mixture, mixture_1d, normal, normal_scalar_scale, lognormal, uniform, laplace,
              exponential, gamma, beta, dirichlet, poisson, binomial, binomial_logits, bernoulli, bernoulli_logits,
              categorical, categorical_logits, one_hot, multinomial, mvn_cov, mvn_prec, mvn_tril, independent)
    return {f.__name__: f for f in makers}


CASES = _cases()


def _inputs(lib, params, requires_grad=True):
    out = []
    for p in params:
        if isinstance(p, tuple):
            out.append(lib.tensor(p[1]))
        else:
            out.append(lib.tensor(p, requires_grad=requires_grad))
    return out


def _value(lib, value):
    return lib.tensor(value) if value.dtype.kind == "f" else lib.tensor(value, dtype=lib.int64)


def _evaluate(lib, build, tensors, value, quantiles):
    """Every quantity torch defines for the distribution: name -> tensor (None where not implemented)."""
    d = build(lib, *tensors)
    results = {}
    queries = {"mean": lambda: d.mean, "variance": lambda: d.variance, "stddev": lambda: d.stddev,
               "mode": lambda: d.mode, "entropy": d.entropy, "log_prob": lambda: d.log_prob(_value(lib, value))}
    if "MultivariateNormal" in type(d).__name__:
        for attr in ("covariance_matrix", "precision_matrix", "scale_tril"):
            queries[attr] = lambda attr=attr: getattr(d, attr)
    if quantiles is not None:
        queries["cdf"] = lambda: d.cdf(lib.tensor(value))
        queries["icdf"] = lambda: d.icdf(lib.tensor(quantiles))
    for name, query in queries.items():
        try:
            results[name] = query()
        except NotImplementedError:
            results[name] = None
    return d, results


@requires_torch
@pytest.mark.parametrize("case", [c for c in CASES if c not in (
    "uniform", "bernoulli", "bernoulli_logits", "categorical", "categorical_logits", "one_hot", "multinomial",
    "poisson", "binomial", "binomial_logits", "geometric", "geometric_logits", "negative_binomial")])
def test_log_prob_gradient_in_the_value_matches_torch(case):
    """d log_prob / d value (score functions, Langevin steps) for the continuous families."""
    build, params, value, _ = CASES[case](np.random.default_rng(len(case) + 2))
    grads = []
    for lib in (mytorch, torch):
        v = lib.tensor(value, requires_grad=True)
        build(lib, *_inputs(lib, params, requires_grad=False)).log_prob(v).sum().backward()
        grads.append(v.grad.numpy())
    assert scaled_error(*grads) <= TOL


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
def test_values_and_gradients_match_torch(case):
    build, params, value, quantiles = CASES[case](np.random.default_rng(len(case)))
    ours_in, theirs_in = _inputs(mytorch, params), _inputs(torch, params)
    ours_d, ours = _evaluate(mytorch, build, ours_in, value, quantiles)
    theirs_d, theirs = _evaluate(torch, build, theirs_in, value, quantiles)
    assert tuple(ours_d.batch_shape) == tuple(theirs_d.batch_shape)
    assert tuple(ours_d.event_shape) == tuple(theirs_d.event_shape)
    assert ours_d.has_rsample == theirs_d.has_rsample
    loss_ours, loss_theirs = 0, 0
    for name, t in theirs.items():
        if t is None:
            continue
        o = ours[name]
        assert o is not None, f"{name}: torch has it, mytorch raises NotImplementedError"
        assert tuple(o.shape) == tuple(t.shape), f"{name}: shape {tuple(o.shape)} != {tuple(t.shape)}"
        on, tn = o.detach().numpy().astype(np.float64), t.detach().numpy().astype(np.float64)
        assert np.array_equal(np.isnan(on), np.isnan(tn)), f"{name}: nan pattern differs"
        err = scaled_error(np.nan_to_num(on), np.nan_to_num(tn))
        # NOTE: torch's Multinomial.entropy takes lgamma(n + 1) of a float32 tensor (~6e-8 off); ours is float64
        tol = 1e-7 if (case, name) == ("multinomial", "entropy") else TOL
        assert err <= tol, f"{name} differs from torch by {err:.1e} of its scale"
        if t.requires_grad and np.isfinite(tn).all():
            w = np.random.default_rng(7).standard_normal(tn.shape)
            loss_ours = loss_ours + (o * mytorch.tensor(w)).sum()
            loss_theirs = loss_theirs + (t * torch.tensor(w)).sum()
    if isinstance(loss_theirs, int):
        return
    loss_ours.backward()
    loss_theirs.backward()
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if t.grad is None:
            continue
        err = scaled_error(o.grad.numpy(), t.grad.numpy())
        assert err <= TOL, f"gradient of parameter {i} differs from torch by {err:.1e} of its scale"


@pytest.mark.parametrize("case", [c for c in CASES if c not in ("categorical", "one_hot")])
def test_log_prob_and_entropy_pass_gradcheck(case):
    build, params, value, _ = CASES[case](np.random.default_rng(len(case) + 1))
    inputs = _inputs(mytorch, params)

    def fn(*tensors):
        d = build(mytorch, *tensors)
        out = d.log_prob(_value(mytorch, value)).sum()
        try:
            out = out + d.entropy().sum()
        except NotImplementedError:
            pass
        return out

    if any(t.requires_grad for t in inputs):
        assert gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("case", ["normal", "lognormal", "uniform", "laplace", "exponential", "mvn_cov", "mvn_tril",
                                  "independent", "cauchy", "half_normal", "tanh_normal", "affine_exp", "gumbel",
                                  "weibull", "pareto", "relaxed_bernoulli", "relaxed_one_hot", "lowrank_mvn"])
def test_rsample_is_reparameterised(case):
    """With the noise fixed (same seed each call), a draw is a smooth function of the parameters."""
    build, params, _, _ = CASES[case](np.random.default_rng(3))
    inputs = _inputs(mytorch, params)

    def draw(*tensors):
        mytorch.manual_seed(0)
        return build(mytorch, *tensors).rsample((2,))

    assert gradcheck(draw, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gamma_sample_gradient_is_the_implicit_one():
    """dx/dalpha at a fixed CDF level, against high-precision numerical differentiation of the CDF."""
    mpmath = pytest.importorskip("mpmath")
    from mytorch.distributions._special import _gamma_sample_grad
    alpha = np.array([0.05, 0.5, 1.0, 3.0, 20.0, 200.0])
    x = np.array([1e-8, 0.3, 1.7, 5.0, 15.0, 230.0])
    ours = _gamma_sample_grad(x, alpha)
    for a, xi, o in zip(alpha, x, ours):
        dp = mpmath.diff(lambda s: mpmath.gammainc(s, 0, xi, regularized=True), a)
        density = mpmath.exp((a - 1) * mpmath.log(xi) - xi - mpmath.loggamma(a))
        assert abs(o - float(-dp / density)) <= 1e-9 * abs(o), (a, xi)


def test_reparameterised_gamma_beta_dirichlet_gradients_are_unbiased():
    """E[d x / d theta] = d E[x] / d theta: the mean of pathwise gradients over 4000 draws is within
    5 standard errors of the exact derivative of the mean."""
    mytorch.manual_seed(1)
    n = 4000

    def check(grad_samples, exact):
        g = grad_samples.reshape(n, -1)
        se = g.std(0) / math.sqrt(n)
        assert np.all(np.abs(g.mean(0) - exact) <= 5 * se + 1e-12), (g.mean(0), exact)

    alpha = mytorch.tensor([0.5, 2.0, 7.0], dtype=mytorch.float64, requires_grad=True)
    rate = mytorch.tensor([1.0, 0.5, 3.0], dtype=mytorch.float64, requires_grad=True)
    x = D.Gamma(alpha, rate).rsample((n,))
    # per-sample gradients: the draws are independent, so d(sum)/d theta_i sums the per-draw terms
    x.sum().backward()
    r = rate.detach().numpy()
    x_np = x.detach().numpy()
    assert np.allclose(rate.grad.numpy(), (-x_np / r).sum(0))  # x = g / rate exactly
    # per-draw gradients dx/dalpha: each draw depends on its own alpha copy only, so they are the
    # elementwise implicit gradients; their mean estimates dE[x]/dalpha = 1 / rate
    from mytorch.distributions._special import _gamma_sample_grad
    g = x_np * r  # the standard gamma draws
    check(_gamma_sample_grad(g, np.broadcast_to(alpha.detach().numpy(), g.shape)) / r, 1 / r)
    assert np.allclose(alpha.grad.numpy(), (_gamma_sample_grad(g, np.broadcast_to(alpha.detach().numpy(), g.shape))
                                            / r).sum(0))

    c1 = mytorch.tensor([2.0], dtype=mytorch.float64, requires_grad=True)
    c0 = mytorch.tensor([3.0], dtype=mytorch.float64, requires_grad=True)
    draws = D.Beta(c1, c0).rsample((n,))
    draws.mean().backward()
    exact = 3.0 / 25.0  # d/da a / (a + b) = b / (a + b)^2
    se = draws.detach().numpy().std() / math.sqrt(n) * 2  # generous: gradient spread ~ sample spread / a
    assert abs(c1.grad.item() - exact) <= 5 * se

    conc = mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64, requires_grad=True)
    draws = D.Dirichlet(conc).rsample((n,))
    draws[:, 0].mean().backward()
    exact = np.array([5.0, -1.0, -1.0]) / 36.0  # d/da_j a_0 / sum(a)
    assert np.abs(conc.grad.numpy() - exact).max() <= 5 * 0.5 / math.sqrt(n) * 2


def test_special_functions_match_torch_and_gradcheck():
    if torch is None:
        pytest.skip("torch is not installed (optional test oracle)")
    x = np.array([1e-4, 0.3, 0.5, 1.0, 2.5, 9.9, 10.0, 31.0, 1e4, -0.5, -2.3])
    for ours, theirs in ((D.lgamma, torch.lgamma), (D.digamma, torch.digamma),
                         (lambda t: D.polygamma(1, t), lambda t: torch.polygamma(1, t))):
        o, t = ours(mytorch.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy()
        assert np.allclose(o, t, rtol=1e-9, atol=0)  # torch's own trigamma is good to ~1e-10
    pos = mytorch.tensor([0.3, 1.7, 12.0], dtype=mytorch.float64, requires_grad=True)
    assert gradcheck(D.lgamma, (pos,), eps=1e-6, atol=1e-6, rtol=1e-4)
    assert gradcheck(D.digamma, (pos,), eps=1e-6, atol=1e-6, rtol=1e-4)


MOMENT_CASES = {
    "normal": lambda: D.Normal(mytorch.tensor([0.5, -1.0]), mytorch.tensor([1.0, 2.0])),
    "lognormal": lambda: D.LogNormal(mytorch.tensor([0.0, 0.3]), mytorch.tensor([0.5, 0.25])),
    "uniform": lambda: D.Uniform(mytorch.tensor([0.0, -2.0]), mytorch.tensor([1.0, 3.0])),
    "laplace": lambda: D.Laplace(mytorch.tensor([0.0, 1.0]), mytorch.tensor([1.0, 0.5])),
    "exponential": lambda: D.Exponential(mytorch.tensor([0.5, 2.0])),
    "gamma": lambda: D.Gamma(mytorch.tensor([1.5, 4.0]), mytorch.tensor([1.0, 2.0])),
    "beta": lambda: D.Beta(mytorch.tensor([2.0, 0.5]), mytorch.tensor([3.0, 0.5])),
    "dirichlet": lambda: D.Dirichlet(mytorch.tensor([1.0, 2.0, 3.0])),
    "poisson": lambda: D.Poisson(mytorch.tensor([0.5, 6.0])),
    "binomial": lambda: D.Binomial(10, mytorch.tensor([0.2, 0.7])),
    "bernoulli": lambda: D.Bernoulli(logits=mytorch.tensor([-1.0, 2.0])),
    "categorical": lambda: D.OneHotCategorical(mytorch.tensor([0.1, 0.2, 0.7])),
    "multinomial": lambda: D.Multinomial(7, mytorch.tensor([0.1, 0.2, 0.7])),
    "half_normal": lambda: D.HalfNormal(mytorch.tensor([0.5, 2.0])),
    "chi2": lambda: D.Chi2(mytorch.tensor([1.0, 5.0])),
    "student_t": lambda: D.StudentT(mytorch.tensor([6.0, 9.0]), mytorch.tensor([0.0, 1.0]), mytorch.tensor([1.0, 2.0])),
    "geometric": lambda: D.Geometric(mytorch.tensor([0.2, 0.7])),
    "negative_binomial": lambda: D.NegativeBinomial(mytorch.tensor([3.0, 0.5]), mytorch.tensor([0.4, 0.8])),
    "gumbel": lambda: D.Gumbel(mytorch.tensor([0.0, 1.0]), mytorch.tensor([1.0, 0.5])),
    "weibull": lambda: D.Weibull(mytorch.tensor([1.0, 2.0]), mytorch.tensor([1.5, 3.0])),
    "pareto": lambda: D.Pareto(mytorch.tensor([1.0, 2.0]), mytorch.tensor([5.0, 6.0])),
    "mixture": lambda: D.MixtureSameFamily(D.Categorical(mytorch.tensor([0.3, 0.7])),
                                           D.Normal(mytorch.tensor([-2.0, 1.0]), mytorch.tensor([0.5, 1.0]))),
    "mvn": lambda: D.MultivariateNormal(mytorch.tensor([1.0, -1.0]),
                                        mytorch.tensor([[2.0, 0.6], [0.6, 1.0]])),
}


@pytest.mark.parametrize("case", list(MOMENT_CASES))
def test_sample_moments(case):
    """Sample mean within 5 standard errors (sqrt(var / n)) of the mean; sample variance within 5
    standard errors sqrt((m4 - var^2) / n), with the fourth central moment m4 estimated from the draws."""
    mytorch.manual_seed(12345)
    d = MOMENT_CASES[case]()
    n = 20000
    x = d.sample((n,)).numpy().astype(np.float64)
    assert x.shape == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    mean, var = d.mean.numpy(), d.variance.numpy()
    assert np.all(np.abs(x.mean(0) - mean) <= 5 * np.sqrt(var / n)), (x.mean(0), mean)
    m4 = ((x - x.mean(0)) ** 4).mean(0)
    assert np.all(np.abs(x.var(0) - var) <= 5 * np.sqrt(np.maximum(m4 - var ** 2, 1e-12) / n)), (x.var(0), var)
    if case == "mvn":
        cov = np.cov(x.T)
        assert abs(cov[0, 1] - 0.6) < 0.05  # se of a covariance ~ sqrt(2 * 1 + 0.36) / sqrt(n) ~ 0.011
    if d.support is not None and not D.constraints.is_dependent(d.support):
        assert bool(d.support.check(mytorch.tensor(x[:100])).all())


def test_manual_seed_reproduces_draws():
    d = D.Normal(mytorch.zeros(3), mytorch.ones(3))
    mytorch.manual_seed(5)
    a = d.sample((2,)).numpy(), D.Categorical(logits=mytorch.zeros(4)).sample((5,)).numpy(), \
        D.Gamma(2.0, 1.0).sample((3,)).numpy()
    mytorch.manual_seed(5)
    b = d.sample((2,)).numpy(), D.Categorical(logits=mytorch.zeros(4)).sample((5,)).numpy(), \
        D.Gamma(2.0, 1.0).sample((3,)).numpy()
    for u, v in zip(a, b):
        assert np.array_equal(u, v)


@pytest.mark.parametrize("case", list(CASES))
def test_shapes_sample_expand(case):
    build, params, _, _ = CASES[case](np.random.default_rng(11))
    d = build(mytorch, *_inputs(mytorch, params, requires_grad=False))
    batch, event = tuple(d.batch_shape), tuple(d.event_shape)
    for sample_shape in [(), (5,), (2, 3)]:
        x = d.sample(sample_shape)
        assert tuple(x.shape) == sample_shape + batch + event
        assert tuple(d.log_prob(x).shape) == sample_shape + batch
        if d.has_rsample:
            assert tuple(d.rsample(sample_shape).shape) == sample_shape + batch + event
    big = d.expand((4,) + batch)
    assert type(big) is type(d)
    assert tuple(big.batch_shape) == (4,) + batch and tuple(big.event_shape) == event
    x = big.sample((2,))
    assert tuple(x.shape) == (2, 4) + batch + event
    assert np.allclose(big.log_prob(x).numpy()[:, 0], d.log_prob(x[:, 0]).numpy())


def test_integer_sample_shape_and_scalar_parameters():
    d = D.Normal(0.0, 1.0)
    assert tuple(d.batch_shape) == () and tuple(d.sample((3,)).shape) == (3,)
    assert tuple(D.Exponential(1.0).sample(mytorch.Size([2, 2])).shape) == (2, 2)


def _message_head(fn):
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value).split("but found invalid values")[0].replace("mytorch", "torch")


@requires_torch
@pytest.mark.parametrize("build", [
    lambda L: L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, -1.0])),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([1.5])),
    lambda L: L.distributions.Gamma(L.tensor([1.0]), L.tensor([0.0])),
    lambda L: L.distributions.Categorical(probs=L.tensor([[0.5, -0.1]])),
    lambda L: L.distributions.Dirichlet(L.tensor([1.0, -2.0])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), scale_tril=L.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda L: L.distributions.Uniform(L.tensor([1.0]), L.tensor([0.0])),
    lambda L: L.distributions.Normal(L.tensor([0.0]), L.tensor([1.0])).log_prob(L.tensor([float("nan")])),
    lambda L: L.distributions.Bernoulli(L.tensor([0.3])).log_prob(L.tensor([0.5])),
    lambda L: L.distributions.Categorical(L.tensor([0.3, 0.7])).log_prob(L.tensor(2)),
    lambda L: L.distributions.Exponential(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.Normal(L.zeros(3), L.ones(3)).log_prob(L.zeros(2)),
    lambda L: L.distributions.Normal(L.zeros(3), L.ones(3)).log_prob([0.0, 0.0, 0.0]),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([0.5]), logits=L.tensor([0.0])),
    lambda L: L.distributions.Categorical(probs=L.tensor(0.5)),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2)),
    lambda L: L.distributions.MultivariateNormal(L.tensor(0.0), L.eye(2)),
    lambda L: L.distributions.Independent(L.distributions.Normal(L.zeros(2), L.ones(2)), 2),
])
def test_validation_errors_match_torch(build):
    assert _message_head(lambda: build(mytorch)) == _message_head(lambda: build(torch))


def test_validation_can_be_switched_off():
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(probs=mytorch.tensor([2.0]))
        D.Normal(0.0, 1.0).log_prob(mytorch.tensor(float("nan")))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(1.5)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(0.0, -1.0)


KL_PAIRS = {
    "normal": (lambda L, a, b, c, d: (L.distributions.Normal(a, b), L.distributions.Normal(c, d)),
               lambda r: [r.standard_normal(3), r.uniform(.5, 2, 3), r.standard_normal(3), r.uniform(.5, 2, 3)]),
    "categorical": (lambda L, a, b: (L.distributions.Categorical(logits=a), L.distributions.Categorical(probs=b)),
                    lambda r: [r.standard_normal((2, 4)), r.uniform(.1, 1, (2, 4))]),
    "one_hot": (lambda L, a, b: (L.distributions.OneHotCategorical(logits=a),
                                 L.distributions.OneHotCategorical(logits=b)),
                lambda r: [r.standard_normal((2, 4)), r.standard_normal((2, 4))]),
    "bernoulli": (lambda L, a, b: (L.distributions.Bernoulli(probs=a), L.distributions.Bernoulli(logits=b)),
                  lambda r: [r.uniform(.1, .9, 4), r.standard_normal(4)]),
    "mvn": (lambda L, a, b, c, d: (L.distributions.MultivariateNormal(a, covariance_matrix=_sym(b)),
                                   L.distributions.MultivariateNormal(c, precision_matrix=_sym(d))),
            lambda r: [r.standard_normal((2, 3)), _spd(r, 3), r.standard_normal(3), _spd(r, 3, (2,))]),
    "uniform": (lambda L, a, b: (L.distributions.Uniform(a, a + 1), L.distributions.Uniform(b - 2, b + 3)),
                lambda r: [r.uniform(0, .5, 3), r.uniform(0, .5, 3)]),
    "beta": (lambda L, a, b, c, d: (L.distributions.Beta(a, b), L.distributions.Beta(c, d)),
             lambda r: [r.uniform(.3, 4, 3) for _ in range(4)]),
    "gamma": (lambda L, a, b, c, d: (L.distributions.Gamma(a, b), L.distributions.Gamma(c, d)),
              lambda r: [r.uniform(.3, 4, 3) for _ in range(4)]),
    "exponential": (lambda L, a, b: (L.distributions.Exponential(a), L.distributions.Exponential(b)),
                    lambda r: [r.uniform(.3, 4, 3) for _ in range(2)]),
    "dirichlet": (lambda L, a, b: (L.distributions.Dirichlet(a), L.distributions.Dirichlet(b)),
                  lambda r: [r.uniform(.3, 4, (2, 3)) for _ in range(2)]),
    "laplace": (lambda L, a, b, c, d: (L.distributions.Laplace(a, b), L.distributions.Laplace(c, d)),
                lambda r: [r.standard_normal(3), r.uniform(.5, 2, 3), r.standard_normal(3), r.uniform(.5, 2, 3)]),
    "poisson": (lambda L, a, b: (L.distributions.Poisson(a), L.distributions.Poisson(b)),
                lambda r: [r.uniform(.3, 4, 3) for _ in range(2)]),
    "lognormal": (lambda L, a, b, c, d: (L.distributions.LogNormal(a, b), L.distributions.LogNormal(c, d)),
                  lambda r: [r.standard_normal(3), r.uniform(.5, 2, 3), r.standard_normal(3), r.uniform(.5, 2, 3)]),
    "half_normal": (lambda L, a, b: (L.distributions.HalfNormal(a), L.distributions.HalfNormal(b)),
                    lambda r: [r.uniform(.3, 4, 3) for _ in range(2)]),
    "cauchy": (lambda L, a, b, c, d: (L.distributions.Cauchy(a, b), L.distributions.Cauchy(c, d)),
               lambda r: [r.standard_normal(3), r.uniform(.5, 2, 3), r.standard_normal(3), r.uniform(.5, 2, 3)]),
    "geometric": (lambda L, a, b: (L.distributions.Geometric(probs=a), L.distributions.Geometric(logits=b)),
                  lambda r: [r.uniform(.1, .9, 3), r.standard_normal(3)]),
    "transformed": (lambda L, a, b, c, d: (
        L.distributions.TransformedDistribution(L.distributions.Normal(a, b), [L.distributions.ExpTransform()]),
        L.distributions.TransformedDistribution(L.distributions.Normal(c, d), [L.distributions.ExpTransform()])),
        lambda r: [r.standard_normal(3), r.uniform(.5, 2, 3), r.standard_normal(3), r.uniform(.5, 2, 3)]),
    "independent": (lambda L, a, b, c, d: (L.distributions.Independent(L.distributions.Normal(a, b), 1),
                                           L.distributions.Independent(L.distributions.Normal(c, d), 1)),
                    lambda r: [r.standard_normal((2, 3)), r.uniform(.5, 2, (2, 3)), r.standard_normal((2, 3)),
                               r.uniform(.5, 2, (2, 3))]),
}


@requires_torch
@pytest.mark.parametrize("pair", list(KL_PAIRS))
def test_kl_divergence_matches_torch(pair):
    build, make = KL_PAIRS[pair]
    params = make(np.random.default_rng(len(pair)))
    ours_in, theirs_in = _inputs(mytorch, params), _inputs(torch, params)
    ours = D.kl_divergence(*build(mytorch, *ours_in))
    theirs = torch.distributions.kl_divergence(*build(torch, *theirs_in))
    assert tuple(ours.shape) == tuple(theirs.shape)
    err = scaled_error(ours.detach().numpy(), theirs.detach().numpy())
    assert err <= TOL, f"KL differs from torch by {err:.1e}"
    w = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    (ours * mytorch.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        err = scaled_error(o.grad.numpy(), t.grad.numpy())
        assert err <= TOL, f"KL gradient of parameter {i} differs from torch by {err:.1e}"


@pytest.mark.parametrize("pair", ["normal", "mvn", "gamma", "beta", "bernoulli", "categorical"])
def test_kl_divergence_gradcheck(pair):
    build, make = KL_PAIRS[pair]
    inputs = _inputs(mytorch, make(np.random.default_rng(4)))
    assert gradcheck(lambda *ts: D.kl_divergence(*build(mytorch, *ts)), inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_kl_infinite_outside_support_and_registry():
    p, q = D.Uniform(0.0, 2.0), D.Uniform(0.5, 3.0)
    assert D.kl_divergence(p, q).item() == math.inf
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type "
                                                   "Gamma"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))

    class MyNormal(D.Normal):
        pass

    assert abs(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() - 0.5) < 1e-7  # inherited rule

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return mytorch.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 42.0  # the more specific one
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_reinforce_step_with_categorical():
    """A policy-gradient step as RL examples write it: sample actions, weight log_prob by returns,
    step. The gradient of log pi(a) w.r.t. the logits is onehot(a) - softmax(logits)."""
    mytorch.manual_seed(0)
    policy = mytorch.nn.Linear(4, 3)
    optimizer = mytorch.optim.Adam(policy.parameters(), lr=0.01)
    states = mytorch.randn(8, 4)
    logits = policy(states)
    logits.retain_grad()
    dist = D.Categorical(logits=logits)
    actions = dist.sample()
    assert tuple(actions.shape) == (8,) and actions.dtype == mytorch.int64
    returns = mytorch.linspace(1.0, 2.0, 8)
    loss = -(dist.log_prob(actions) * returns).sum() - 0.01 * dist.entropy().sum()
    optimizer.zero_grad()
    loss.backward()
    probs = mytorch.softmax(logits.detach(), -1).numpy()
    onehot = np.eye(3)[actions.numpy()]
    p_log_p_grad = probs * (np.log(probs) - (probs * np.log(probs)).sum(-1, keepdims=True))  # d(-H)/d logits
    expected = -(onehot - probs) * returns.numpy()[:, None] + 0.01 * p_log_p_grad
    assert np.allclose(logits.grad.numpy(), expected, atol=1e-5)
    before = policy.weight.detach().numpy().copy()
    optimizer.step()
    assert not np.allclose(policy.weight.detach().numpy(), before)


def test_vae_style_reparameterised_normal_kl():
    """A VAE's latent step: z = mu + sigma * eps by rsample, KL(q || N(0, 1)) by kl_divergence,
    equal to the closed form -0.5 * sum(1 + log var - mu^2 - var); training lowers the loss."""
    mytorch.manual_seed(0)
    encoder = mytorch.nn.Linear(6, 4)
    decoder = mytorch.nn.Linear(2, 6)
    optimizer = mytorch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=0.05)
    x = mytorch.randn(16, 6)
    losses = []
    for _ in range(30):
        h = encoder(x)
        mu, logvar = h[:, :2], h[:, 2:]
        q = D.Normal(mu, (0.5 * logvar).exp())
        z = q.rsample()
        kl = D.kl_divergence(q, D.Normal(mytorch.zeros_like(mu), mytorch.ones_like(mu))).sum(-1)
        closed = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
        assert np.allclose(kl.detach().numpy(), closed.detach().numpy(), rtol=1e-5, atol=1e-6)
        recon = ((decoder(z) - x) ** 2).sum(-1)
        loss = (recon + kl).mean()
        optimizer.zero_grad()
        loss.backward()
        assert encoder.weight.grad is not None and np.abs(encoder.weight.grad.numpy()).sum() > 0
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


@requires_torch
@pytest.mark.parametrize("case", list(CASES))
def test_float32_results_keep_torchs_dtypes(case):
    """Default-dtype (float32) parameters: every quantity and draw has torch's dtype; values agree to
    float32 rounding (1e-5 of the scale: a few ulps through log/lgamma/solve)."""
    build, params, value, quantiles = CASES[case](np.random.default_rng(5))
    p32 = [p if isinstance(p, tuple) else p.astype(np.float32) for p in params]
    value = value.astype(np.float32) if value.dtype.kind == "f" else value
    quantiles = None if quantiles is None else quantiles.astype(np.float32)
    ours_d, ours = _evaluate(mytorch, build, _inputs(mytorch, p32), value, quantiles)
    theirs_d, theirs = _evaluate(torch, build, _inputs(torch, p32), value, quantiles)
    name_of = lambda t: str(t.dtype).split(".")[-1]  # noqa: E731
    for name, t in theirs.items():
        if t is not None:
            assert name_of(ours[name]) == name_of(t), name
            on, tn = ours[name].detach().numpy(), t.detach().numpy()
            assert scaled_error(np.nan_to_num(on), np.nan_to_num(tn)) <= 1e-5, name
    assert name_of(ours_d.sample((2,))) == name_of(theirs_d.sample((2,)))
    if theirs_d.has_rsample:
        assert name_of(ours_d.rsample((2,))) == name_of(theirs_d.rsample((2,)))


def test_tanh_transform_cache_inverts_saturated_draws():
    """A squashed Gaussian policy (SAC): with cache_size=1, log_prob of a draw whose tanh rounds to
    1.0 uses the cached pre-image instead of atanh(1) = inf."""
    d = D.TransformedDistribution(D.Normal(mytorch.tensor([30.0]), mytorch.tensor([0.1])),
                                  [D.TanhTransform(cache_size=1)])
    a = d.rsample()
    assert a.item() == 1.0
    assert np.isfinite(d.log_prob(a).item())
    t = D.ExpTransform()
    assert t.inv(t(mytorch.tensor([0.5]))).item() == pytest.approx(0.5)
    assert D.ComposeTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0)]).inv.parts[0].__class__.__name__ \
        == "_InverseTransform"


SCALAR_CASES = [
    ("Normal", (0.3, 1.7), 0.4), ("LogNormal", (0.3, 0.7), 1.4), ("Uniform", (-1.0, 2.0), 0.4),
    ("Laplace", (0.3, 1.7), -0.4), ("Exponential", (1.3,), 0.4), ("Gamma", (2.5, 1.5), 0.4), ("Beta", (2.5, 1.5), 0.4),
    ("Poisson", (2.5,), 3.0), ("Binomial", (5, 0.3), 2.0), ("Bernoulli", (0.3,), 1.0), ("Cauchy", (0.3, 1.7), 0.4),
    ("HalfNormal", (1.7,), 0.4), ("Chi2", (3.0,), 0.4), ("StudentT", (3.0, 0.5, 2.0), 0.4), ("Geometric", (0.3,), 2.0),
]


@requires_torch
@pytest.mark.parametrize("name, args, value", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_python_number_parameters_and_0d_values_match_torch(name, args, value):
    ours, theirs = getattr(D, name)(*args), getattr(torch.distributions, name)(*args)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == ()
    queries = {"log_prob": lambda d, L: d.log_prob(L.tensor(value)), "cdf": lambda d, L: d.cdf(L.tensor(value)),
               "icdf": lambda d, L: d.icdf(L.tensor(0.3)), "entropy": lambda d, L: d.entropy(),
               "mean": lambda d, L: d.mean, "variance": lambda d, L: d.variance}
    for query, fn in queries.items():
        try:
            t = fn(theirs, torch)
        except NotImplementedError:
            continue
        o = fn(ours, mytorch)
        assert tuple(o.shape) == tuple(t.shape) and str(o.dtype)[-7:] == str(t.dtype)[-7:], query
        assert np.allclose(o.numpy(), t.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True), query  # float32
    assert tuple(ours.sample((3,)).shape) == (3,)


def test_gamma_cdf_matches_torch_and_gradcheck():
    """Gamma.cdf is P(alpha, rate * x): values against torch.special.gammainc (1e-9: torch's own
    error reaches ~3e-10 at alpha = 40 against mpmath, ours ~1e-14), the value gradient against torch;
    the concentration gradient (torch has none) by float64 central differences."""
    alpha = np.array([0.3, 1.0, 2.5, 9.0, 40.0])
    rate = np.array([1.0, 0.5, 2.0, 1.0, 0.7])
    x = np.array([0.05, 3.0, 1.1, 12.0, 60.0])
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)
        theirs = torch.distributions.Gamma(torch.tensor(alpha), torch.tensor(rate)).cdf(xt)
        xo = mytorch.tensor(x, requires_grad=True)
        ours = D.Gamma(mytorch.tensor(alpha), mytorch.tensor(rate)).cdf(xo)
        assert np.allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=0)
        theirs.sum().backward()
        ours.sum().backward()
        assert np.allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    inputs = [mytorch.tensor(a, requires_grad=True) for a in (alpha, rate, x)]
    assert gradcheck(lambda a, r, v: D.Gamma(a, r).cdf(v), inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("constraint", [D.constraints.real, D.constraints.positive, D.constraints.greater_than(-2.0),
                                        D.constraints.less_than(3.0), D.constraints.unit_interval,
                                        D.constraints.interval(-1.0, 4.0), D.constraints.simplex,
                                        D.constraints.independent(D.constraints.positive, 1)])
def test_biject_to_and_transform_to_land_in_the_constraint(constraint):
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    for registry in (D.biject_to, D.transform_to):
        t = registry(constraint)
        y = t(x)
        assert bool(constraint.check(y).all())
        if registry is D.biject_to:
            assert np.allclose(t.inv(y).numpy(), x.numpy(), atol=1e-10)  # a bijection round-trips


@requires_torch
@pytest.mark.parametrize("transform", ["StickBreakingTransform", "SigmoidTransform", "TanhTransform",
                                       "SoftplusTransform", "ExpTransform"])
def test_transform_jacobians_match_torch(transform):
    x = np.random.default_rng(1).standard_normal((2, 3))
    results = []
    for lib in (mytorch, torch):
        xt = lib.tensor(x, requires_grad=True)
        t = getattr(lib.distributions.transforms, transform)()
        y = t(xt)
        ladj = t.log_abs_det_jacobian(xt, y)
        (y.sum() + ladj.sum()).backward()
        results.append((y.detach().numpy(), ladj.detach().numpy(), t.inv(y).detach().numpy(), xt.grad.numpy()))
    for ours, theirs in zip(*results):
        assert scaled_error(ours, theirs) <= TOL


@requires_torch
@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), lead=st.lists(st.integers(1, 3), max_size=2),
       ones=st.lists(st.booleans(), min_size=2, max_size=2), family=st.sampled_from(["normal", "categorical", "mvn",
                                                                                   "independent", "dirichlet"]))
def test_log_prob_broadcasts_values_as_torch(batch, lead, ones, family):
    """Values with extra leading dims and size-1 batch dims broadcast against the batch as in torch."""
    rng = np.random.default_rng(0)
    batch = tuple(batch)
    value_batch = tuple(1 if one else b for b, one in zip(batch, ones)) + batch[len(ones):]
    if family == "normal":
        params, build = [rng.standard_normal(batch), rng.uniform(.5, 2, batch)], \
            lambda L, m, s: L.distributions.Normal(m, s)
        value = rng.standard_normal(tuple(lead) + value_batch)
    elif family == "categorical":
        params, build = [rng.standard_normal(batch + (4,))], lambda L, lg: L.distributions.Categorical(logits=lg)
        value = rng.integers(0, 4, tuple(lead) + value_batch)
    elif family == "mvn":
        params, build = [rng.standard_normal(batch + (3,)), _spd(rng, 3, batch)], \
            lambda L, m, c: L.distributions.MultivariateNormal(m, c)
        value = rng.standard_normal(tuple(lead) + value_batch + (3,))
    elif family == "independent":
        params, build = [rng.standard_normal(batch + (2,)), rng.uniform(.5, 2, batch + (2,))], \
            lambda L, m, s: L.distributions.Independent(L.distributions.Normal(m, s), 1)
        value = rng.standard_normal(tuple(lead) + value_batch + (2,))
    else:
        params, build = [rng.uniform(.5, 3, batch + (3,))], lambda L, a: L.distributions.Dirichlet(a)
        value = _simplex(rng, tuple(lead) + value_batch + (3,))
    ours = build(mytorch, *_inputs(mytorch, params, False)).log_prob(_value(mytorch, value))
    theirs = build(torch, *_inputs(torch, params, False)).log_prob(_value(torch, value))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert scaled_error(ours.numpy(), theirs.numpy()) <= TOL


def test_digamma_and_trigamma_against_mpmath():
    """Our series are good to ~1e-15 relative; 1e-13 leaves room for the recurrence's rounding."""
    mpmath = pytest.importorskip("mpmath")
    x = np.array([1e-6, 0.1, 0.5, 1.0, 3.7, 9.99, 10.0, 55.5, 1e5, -0.3, -1.7, -12.4])
    digamma = D.digamma(mytorch.tensor(x)).numpy()
    trigamma = D.polygamma(1, mytorch.tensor(x)).numpy()
    lgamma = D.lgamma(mytorch.tensor(x)).numpy()
    for i, v in enumerate(x):
        assert abs(digamma[i] - float(mpmath.digamma(v))) <= 1e-13 * abs(float(mpmath.digamma(v)))
        assert abs(trigamma[i] - float(mpmath.polygamma(1, v))) <= 1e-13 * abs(float(mpmath.polygamma(1, v)))
        assert abs(lgamma[i] - float(mpmath.log(abs(mpmath.gamma(v))))) <= 1e-13 * max(1.0, abs(lgamma[i]))
