import math

import mytorch
from mytorch.distributions import constraints
from mytorch.distributions._special import cholesky
from mytorch.distributions.distribution import Distribution
from mytorch.distributions.utils import lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    """Matrix @ vector over broadcast batch dims."""
    return mytorch.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _tril_solve(L, b):
    """L^-1 b for lower-triangular L (b: ... x n x k), through the general solver.

    ``L.tril()`` first: a triangular solve reads only the lower triangle, so the upper triangle gets
    a zero gradient, as with torch's solve_triangular.
    """
    return mytorch.linalg.solve(L.tril(), b)


def _batch_mahalanobis(L, x):
    """x^T (L L^T)^-1 x over broadcast batch dims: the squared norm of L^-1 x."""
    shape = mytorch.broadcast_shapes(tuple(L.shape[:-2]), tuple(x.shape[:-1]))
    L = L.expand(tuple(shape) + tuple(L.shape[-2:]))
    x = x.expand(tuple(shape) + tuple(x.shape[-1:]))
    z = _tril_solve(L, x.unsqueeze(-1)).squeeze(-1)
    return z.pow(2).sum(-1)


def _precision_to_scale_tril(P):
    # the Cholesky factor of P^-1, from P's Cholesky factor L: flip(L(flip P flip)) inverted, transposed
    Lf = cholesky(P.flip((-2, -1)))
    L_inv = Lf.flip((-2, -1)).transpose(-2, -1)
    eye = mytorch.eye(P.shape[-1], dtype=P.dtype)
    return mytorch.linalg.solve(L_inv, eye.expand(tuple(L_inv.shape))).tril()


class MultivariateNormal(Distribution):
    """The multivariate normal with mean ``loc`` and one of covariance_matrix, precision_matrix, scale_tril.

    Args:
        loc (Tensor): mean, ``(*, D)``.
        covariance_matrix (Tensor): positive-definite covariance, ``(*, D, D)``.
        precision_matrix (Tensor): positive-definite inverse covariance, ``(*, D, D)``.
        scale_tril (Tensor): lower-triangular factor of the covariance with positive diagonal, ``(*, D, D)``.

    Example::

        >>> m = MultivariateNormal(mytorch.zeros(2), mytorch.eye(2))
        >>> m.sample().shape
        mytorch.Size([2])
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError("scale_tril matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            matrix = scale_tril
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError("covariance_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            matrix = covariance_matrix
        else:
            if precision_matrix.dim() < 2:
                raise ValueError("precision_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            matrix = precision_matrix
        batch_shape = mytorch.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        full = tuple(batch_shape) + (-1, -1)
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(full)
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(full)
        else:
            self.precision_matrix = precision_matrix.expand(full)
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        loc_shape = batch_shape + tuple(self.event_shape)
        cov_shape = batch_shape + tuple(self.event_shape) + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return mytorch.matmul(L, L.transpose(-2, -1)).expand(
            tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = mytorch.eye(L.shape[-1], dtype=L.dtype)
        L_inv = _tril_solve(L, eye.expand(tuple(L.shape)))
        return mytorch.matmul(L_inv.transpose(-2, -1), L_inv).expand(
            tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = mytorch.randn(tuple(shape), dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        if len(self._batch_shape) == 0:
            return H
        return H.expand(tuple(self._batch_shape))
