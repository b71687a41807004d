"""``torch.special``: the special functions under torch's names. Each is the table row (or op) of
the same function elsewhere in mytorch (``special.gammaln`` is ``mytorch.lgamma``, ``expit`` is
``sigmoid``), so values, dtypes and gradients are those ops'; ``ndtri``, ``entr`` and ``xlog1py``
are rows of mytorch._pointwise that torch keeps in this namespace only, and ``ndtr`` is composed
from erfc as torch composes it (so a later in-place change of its input does not break backward).
"""
import math

from mytorch import _pointwise as _pw

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
           "xlogy", "xlog1py", "log1p", "expm1", "exp2", "logsumexp", "log_softmax", "softmax", "i0", "sinc",
           "entr", "ndtr", "ndtri", "round"]

expit = _pw.sigmoid
logit = _pw.logit
erf = _pw.erf
erfc = _pw.erfc
erfinv = _pw.erfinv
gammaln = _pw.lgamma
digamma = psi = _pw.digamma
polygamma = _pw.polygamma
multigammaln = _pw.mvlgamma
xlogy = _pw.xlogy
xlog1py = _pw.special_xlog1py
log1p = _pw.log1p
expm1 = _pw.expm1
exp2 = _pw.exp2
i0 = _pw.i0
sinc = _pw.sinc
entr = _pw.special_entr
ndtri = _pw.special_ndtri
round = _pw.round  # noqa: A001  (torch's name)
_SQRT1_2 = 1 / math.sqrt(2)


def ndtr(input, *, out=None):
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2)) (integers compute in the default float dtype)."""
    result = _pw.erfc(input * -_SQRT1_2) * 0.5
    return result if out is None else _pw._write_out(out, result)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over ``dim``, computed stably (mytorch.logsumexp)."""
    import mytorch
    return mytorch.logsumexp(input, dim, keepdim=keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    from mytorch.nn import functional
    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    from mytorch.nn import functional
    return functional.log_softmax(input, dim, dtype=dtype)

