"""Special functions the distributions need, as mytorch primitives with exact derivatives.

NumPy has no lgamma/digamma ufunc, so:

- ``lgamma`` evaluates ``math.lgamma`` element by element (exact to float64 rounding); its
  derivative is ``digamma``.
- ``digamma`` shifts x up by the recurrence psi(x) = psi(x + 1) - 1/x until x >= 10, then sums
  the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) (terms to x^-14: truncation error
  below 1e-16 there); x < 0 goes through the reflection psi(1 - x) - pi / tan(pi x). Derivative:
  ``polygamma(1, x)`` (trigamma), evaluated the same way (recurrence + asymptotic series,
  reflection pi^2 / sin^2(pi x)). Both agree with mpmath to ~1e-15 relative (torch's own float64
  trigamma is off by up to ~5e-10).
- ``standard_gamma(alpha)`` draws Gamma(alpha, 1) with NumPy's sampler and is differentiable in
  alpha by implicit reparameterisation: dx/dalpha = -(dP(alpha, x)/dalpha) / p(x), with P the
  regularised lower incomplete gamma function, whose alpha-derivative is summed term by term from
  the series P = sum_n x^(alpha+n) e^-x / Gamma(alpha+n+1).
- ``gammainc(alpha, x)`` is that P (Gamma.cdf), differentiable in both arguments.
- ``Cholesky`` is a differentiable Cholesky factorisation (mytorch.linalg.cholesky is forward-only),
  for MultivariateNormal's covariance_matrix / precision_matrix.

These are internal to the distributions; mytorch.lgamma / digamma / special.gammainc could export
them (their owners' files).
"""
import math

import numpy as np

from mytorch import random as _random
from mytorch.autograd import Function
from mytorch.tensor import Tensor

_lgamma_scalar = np.frompyfunc(lambda v: math.lgamma(v) if v == v else v, 1, 1)
# B_2k / (2k) for k = 1..7: the digamma asymptotic series' coefficients
_PSI_COEF = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# B_2k for k = 1..7: the trigamma series' coefficients
_TRI_COEF = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _lgamma_np(x):
    x = np.asarray(x)
    out = np.asarray(_lgamma_scalar(x.astype(np.float64)), dtype=np.float64)  # frompyfunc gives a float for 0-d
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


def _digamma_np(x):
    x = np.asarray(x)
    z = x.astype(np.float64)
    out = np.empty_like(z)
    neg = z < 0.5
    zr = np.where(neg, 1.0 - z, z)  # reflection for small and negative x
    acc = np.zeros_like(z)
    while True:
        low = zr < 10.0
        if not low.any():
            break
        acc -= np.where(low, 1.0 / np.where(low, zr, 1.0), 0.0)
        zr = np.where(low, zr + 1.0, zr)
    inv2 = 1.0 / (zr * zr)
    series = 0.0
    for c in reversed(_PSI_COEF):
        series = (series + c) * inv2
    out = np.log(zr) - 0.5 / zr - series + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        refl = out - np.pi / np.tan(np.pi * z)
    out = np.where(neg, refl, out)
    out = np.where((z <= 0) & (z == np.floor(z)), np.nan, out)  # poles
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


def _trigamma_np(x):
    x = np.asarray(x)
    z = x.astype(np.float64)
    neg = z < 0.5
    zr = np.where(neg, 1.0 - z, z)
    acc = np.zeros_like(z)
    while True:
        low = zr < 10.0
        if not low.any():
            break
        safe = np.where(low, zr, 1.0)
        acc += np.where(low, 1.0 / (safe * safe), 0.0)
        zr = np.where(low, zr + 1.0, zr)
    inv = 1.0 / zr
    inv2 = inv * inv
    series = 0.0
    for c in reversed(_TRI_COEF):
        series = (series + c) * inv2
    out = inv + 0.5 * inv2 + series * inv + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        refl = np.pi ** 2 / np.sin(np.pi * z) ** 2 - out
    out = np.where(neg, refl, out)
    out = np.where((z <= 0) & (z == np.floor(z)), np.inf, out)
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


class LGamma(Function):
    saved = ((0, None),)

    def forward(self, a):
        self.a = a
        return _lgamma_np(a)

    def backward(self, g):
        return g * _digamma_np(self.a)


class Digamma(Function):
    saved = ((0, None),)

    def forward(self, a):
        self.a = a
        return _digamma_np(a)

    def backward(self, g):
        return g * _trigamma_np(self.a)


class Trigamma(Function):
    def forward(self, a):
        return _trigamma_np(a)

    def backward(self, g):
        raise NotImplementedError("polygamma(1, x) has no derivative here (polygamma(2) is not implemented)")


def _float(x):
    if not isinstance(x, Tensor):
        from mytorch.creation import tensor
        x = tensor(x)
    if not x.is_floating_point():
        x = x.float()
    return x


def lgamma(input):
    """ln|Gamma(input)|, elementwise; derivative digamma. As ``torch.lgamma``."""
    return LGamma.apply(_float(input))


def digamma(input):
    """The logarithmic derivative of Gamma, elementwise; derivative polygamma(1, x). As ``torch.digamma``."""
    return Digamma.apply(_float(input))


def polygamma(n, input):
    """The n-th derivative of digamma; n = 0 and n = 1 only (what the distributions need)."""
    if n == 0:
        return digamma(input)
    if n == 1:
        return Trigamma.apply(_float(input))
    raise NotImplementedError(f"polygamma({n}, x): only n = 0 and n = 1 are implemented")


def _gammainc_series(alpha, x):
    """P(alpha, x), the regularised lower incomplete gamma function, and dP/dalpha (float64 arrays).

    Sums P = sum_n t_n with t_n = x^(alpha+n) e^-x / Gamma(alpha+n+1), and term by term
    dt_n/dalpha = t_n (ln x - digamma(alpha+n+1)); each term follows from the previous by one
    multiplication, so n terms cost n vector passes. The terms rise until n ~ x - alpha and then fall
    geometrically: the loop stops when every element is past its peak and its term is below 1e-17 of
    its sum (absolute error ~1e-16 * terms summed).
    """
    x = np.maximum(x, np.finfo(np.float64).tiny)
    lnx = np.log(x)
    log_t = alpha * lnx - x - _lgamma_np(alpha + 1.0)  # log of the n = 0 term
    psi = _digamma_np(alpha + 1.0)
    t = np.exp(log_t)
    p_sum, dp = t.copy(), t * (lnx - psi)
    n = 0
    while n < 100000:
        n += 1
        log_t = log_t + lnx - np.log(alpha + n)
        psi = psi + 1.0 / (alpha + n)
        t = np.exp(log_t)
        p_sum += t
        dp += t * (lnx - psi)
        if np.all((n > x - alpha) & (t <= 1e-17 * p_sum)):
            break
    return np.minimum(p_sum, 1.0), dp


def _gamma_density(alpha, x):
    x = np.maximum(x, np.finfo(np.float64).tiny)
    return np.exp((alpha - 1.0) * np.log(x) - x - _lgamma_np(alpha))


def _gamma_sample_grad(x, alpha):
    """dx/dalpha of a Gamma(alpha, 1) sample x held at a fixed CDF level: -(dP/dalpha) / p(x)."""
    _, dp = _gammainc_series(alpha, x)
    return -dp / _gamma_density(alpha, x)


class GammaInc(Function):
    """P(alpha, x) (torch.special.gammainc), differentiable in both: dP/dx is the Gamma(alpha, 1)
    density; dP/dalpha comes from the series (torch has no gradient for alpha there)."""
    saved = ((0, None), (1, None))

    def forward(self, alpha, x):
        self.alpha, self.x = np.broadcast_arrays(alpha.astype(np.float64), x.astype(np.float64))
        p, self.dp = _gammainc_series(self.alpha, self.x)
        p = np.where(x <= 0, 0.0, p)
        return p.astype(np.result_type(alpha, x))

    def backward(self, g):
        density = np.where(self.x <= 0, 0.0, _gamma_density(self.alpha, self.x))
        return (g * self.dp).astype(g.dtype), (g * density).astype(g.dtype)


def gammainc(alpha, x):
    return GammaInc.apply(alpha, x)


class StandardGamma(Function):
    saves_output = True

    def forward(self, alpha, generator=None):
        self.alpha = alpha
        rng = _random.rng(generator)
        sample = rng.standard_gamma(alpha.astype(np.float64))
        self.out = np.maximum(sample, np.finfo(alpha.dtype).tiny).astype(alpha.dtype)
        return self.out

    def backward(self, g):
        grad = _gamma_sample_grad(self.out.astype(np.float64), self.alpha.astype(np.float64))
        return g * grad.astype(g.dtype)


def standard_gamma(alpha, generator=None):
    """One Gamma(alpha, 1) draw per element of ``alpha``, reparameterised (gradients flow to alpha)."""
    return StandardGamma.apply(alpha, generator=generator)


class Cholesky(Function):
    """The lower Cholesky factor L of symmetric positive-definite A (batched), differentiable.

    mytorch.linalg.cholesky is forward-only. Backward as torch's: with Phi(X) the lower triangle of
    X with its diagonal halved, gA = L^-T Phi(L^T gL) L^-1, symmetrised (A is symmetric, so the
    gradient is taken over symmetric perturbations).
    """
    saves_output = True

    def forward(self, a):
        try:
            self.out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("linalg.cholesky: The factorization could not be completed because the input is "
                               "not positive-definite.") from None
        return self.out

    def backward(self, g):
        L = self.out
        phi = np.tril(np.swapaxes(L, -1, -2) @ np.tril(g))
        diag = np.einsum("...ii->...i", phi)
        diag *= 0.5
        L_inv = np.linalg.inv(L)
        grad = np.swapaxes(L_inv, -1, -2) @ phi @ L_inv
        return 0.5 * (grad + np.swapaxes(grad, -1, -2))


def cholesky(a):
    return Cholesky.apply(a)
