import math

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions._special import cholesky
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.multivariate_normal import _batch_mv, _tril_solve
from mytorch.distributions.utils import lazy_property

__all__ = ["LowRankMultivariateNormal"]


class LowRankMultivariateNormal(Distribution):
    """A multivariate normal with covariance ``cov_factor @ cov_factor.T + diag(cov_diag)`` (W W^T + D).

    Densities go through the D x D-free Woodbury forms with the m x m capacitance matrix
    C = I + W^T D^-1 W: log det(cov) = log det C + sum log D, and
    x^T cov^-1 x = x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2.

    Args:
        loc (Tensor): mean, ``(*, D)``.
        cov_factor (Tensor): the low-rank factor W, ``(*, D, m)``.
        cov_diag (Tensor): the diagonal part D, > 0, ``(*, D)``.
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {mytorch.Size(event_shape)}")
        try:
            batch_shape = tuple(mytorch.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                                         tuple(cov_diag.shape[:-1])))
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                             f"cov_diag {cov_diag.shape}") from e
        self.loc = loc.expand(batch_shape + event_shape)
        self.cov_factor = cov_factor.expand(batch_shape + tuple(cov_factor.shape[-2:]))
        self.cov_diag = cov_diag.expand(batch_shape + event_shape)
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = self._capacitance(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @staticmethod
    def _capacitance(W, D):
        Wt_Dinv = W.transpose(-1, -2) / D.unsqueeze(-2)
        K = mytorch.matmul(Wt_Dinv, W)
        return cholesky(K + mytorch.eye(W.shape[-1], dtype=W.dtype))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n = tuple(self.event_shape)
        new.loc = self.loc.expand(batch_shape + n)
        new.cov_diag = self.cov_diag.expand(batch_shape + n)
        new.cov_factor = self.cov_factor.expand(batch_shape + tuple(self.cov_factor.shape[-2:]))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return (self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        cov = mytorch.matmul(W, W.transpose(-1, -2)) + mytorch.diag_embed(self._unbroadcasted_cov_diag)
        return cov.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def scale_tril(self):
        return cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        # Woodbury: D^-1 - D^-1 W C^-1 W^T D^-1, with C^-1 through its Cholesky factor
        W = self._unbroadcasted_cov_factor
        Dinv = self._unbroadcasted_cov_diag.reciprocal()
        A = _tril_solve(self._capacitance_tril, (W.transpose(-1, -2) * Dinv.unsqueeze(-2)))
        precision = mytorch.diag_embed(Dinv) - mytorch.matmul(A.transpose(-1, -2), A)
        return precision.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        W_shape = shape[:-1] + tuple(self.cov_factor.shape[-1:])
        eps_W = mytorch.randn(W_shape, dtype=self.loc.dtype)
        eps_D = mytorch.randn(shape, dtype=self.loc.dtype)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_W)
                + self._unbroadcasted_cov_diag.sqrt() * eps_D)

    def _log_det(self):
        return (2 * self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                + self._unbroadcasted_cov_diag.log().sum(-1))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        W = self._unbroadcasted_cov_factor
        D = self._unbroadcasted_cov_diag
        Wt_Dinv = W.transpose(-1, -2) / D.unsqueeze(-2)
        Wt_Dinv_x = _batch_mv(Wt_Dinv, diff)
        shape = tuple(Wt_Dinv_x.shape)
        L = self._capacitance_tril.expand(shape[:-1] + tuple(self._capacitance_tril.shape[-2:]))
        mahalanobis_term2 = _tril_solve(L, Wt_Dinv_x.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)
        M = (diff.pow(2) / D).sum(-1) - mahalanobis_term2
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M + self._log_det())

    def entropy(self):
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        if len(self._batch_shape) == 0:
            return H
        return H.expand(tuple(self._batch_shape))
