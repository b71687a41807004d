"""mytorch.linalg: norms, det, inv, solve, svdvals (torch.linalg's names and signatures).

Primitives here are the ones whose gradient is not a composition: the general p-norm (its
gradient at 0 is 0, as torch's, where sqrt/pow compositions give NaN), det, inv and svdvals.
"""
import math
from collections import namedtuple

import numpy as np

from mytorch import ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "det", "slogdet", "inv", "solve", "svd", "svdvals", "cross",
           "multi_dot", "matmul", "matrix_power", "vecdot", "diagonal", "matrix_rank", "qr", "eigh", "eigvalsh",
           "cholesky", "pinv"]


class PNorm(Function):
    """(sum |a|^p)^(1/p) over ``axes`` for a finite p; p = 0 counts the non-zeros (gradient 0)."""
    saved = ((0, None),)  # what backward reads, for the version check of in-place writes
    saves_output = True

    def forward(self, a, p, axes, keepdim):
        self.a, self.p, self.axes = a, p, axes
        if p == 0:
            self.out = np.sum(a != 0, axis=axes, keepdims=True).astype(a.dtype)
        else:
            self.out = np.power(np.sum(np.power(np.abs(a), p), axis=axes, keepdims=True), 1.0 / p).astype(a.dtype)
        return self.out if keepdim else self.out.reshape(np.sum(a, axis=axes).shape)

    def backward(self, g):
        a, p, out = self.a, self.p, self.out
        if p == 0:
            return np.zeros(a.shape, g.dtype)
        g = ops._keep(g, a.shape, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = g * np.sign(a) * np.power(np.abs(a), p - 1) / np.power(out, p - 1)
        # NOTE: at a zero norm the gradient is 0 (torch's subgradient), not 0/0.
        return np.where(out == 0, 0, grad).astype(a.dtype)


class Det(Function):
    saved = ((0, None),)
    saves_output = True

    def forward(self, a):
        self.a = a
        self.out = np.linalg.det(a).astype(a.dtype)
        return self.out

    def backward(self, g):
        # d det(A) = det(A) A^-T; through the adjugate-free form only for invertible A.
        inv_t = np.swapaxes(np.linalg.inv(self.a), -1, -2)
        return (g * self.out)[..., None, None] * inv_t


class Inv(Function):
    saves_output = True

    def forward(self, a):
        try:
            self.out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("linalg.inv: The diagonal element 1 is zero, the inversion could not be "
                               "completed because the input matrix is singular.") from None
        return self.out

    def backward(self, g):
        inv_t = np.swapaxes(self.out, -1, -2)
        return -inv_t @ g @ inv_t


class SVDVals(Function):
    def forward(self, a):
        self.u, s, self.vh = np.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, g):
        return (self.u * g[..., None, :]) @ self.vh  # U diag(g) V^H


def _check_float(x, opname):
    if not x.dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        raise RuntimeError(f"{opname}: Expected a floating point or complex tensor as input. "
                           f"Got {names.get(x.dtype.name, x.dtype.name)}")


def _square(x, opname):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{opname}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2] if x.ndim >= 2 else 1} by {x.shape[-1] if x.ndim else 1} matrices")
    _check_float(x, opname)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements by default): inf / -inf give
    max / min of |x|, 0 counts non-zeros, other values (sum |x|^ord)^(1/ord).

    Example::

        >>> mytorch.linalg.vector_norm(mytorch.tensor([3., 4.]))
        tensor(5.)
    """
    if dtype is not None:
        x = ops.to_dtype(x, dtype)
    _check_float(x, "linalg.vector_norm")
    axes = ops._dims(dim, x.ndim)
    ord = float(ord)
    if math.isinf(ord) and x._data.size == 0:  # max/min have no identity: torch's wording
        name = "inf" if ord > 0 else "-inf"
        if axes is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor because the "
                               "operation does not have an identity")
        for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
            if x.shape[ops._wrap_dim(d, x.ndim)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the dimension {d}"
                                   "because this dimension is empty and the operation does not have an identity")
    if ord == math.inf:
        return ops.amax(ops.abs(x), () if axes is None else axes, keepdim)
    if ord == -math.inf:
        return ops.amin(ops.abs(x), () if axes is None else axes, keepdim)
    if ord == 1:
        return ops.sum(ops.abs(x), axes, keepdim)
    return PNorm.apply(x, p=ord, axes=axes, keepdim=keepdim)


def svdvals(A):
    """Singular values of (a batch of) matrices, in descending order."""
    _check_float(A, "linalg.svdvals")
    return SVDVals.apply(A)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of ``A`` over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if dtype is not None:
        A = ops.to_dtype(A, dtype)
    _check_float(A, "linalg.matrix_norm")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {tuple(dim)}")
    d0, d1 = ops._dims(dim, A.ndim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = ops.permute(A, [i for i in range(A.ndim) if i not in (d0, d1)] + [d0, d1])
        s = svdvals(moved)
        out = ops.sum(s, -1) if ord == "nuc" else (ops.amax(s, -1) if ord == 2 else ops.amin(s, -1))
        for d in sorted((d0, d1)) if keepdim else ():
            out = ops.unsqueeze(out, d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = ops.sum(ops.abs(A), summed, keepdim=True)
        pick = ops.amax if ord > 0 else ops.amin
        out = pick(sums, other, keepdim=True)
        return out if keepdim else ops.squeeze(out, (d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """linalg.norm: a vector norm when ``dim`` is an int or ``A`` is 1-D, a matrix norm when
    ``dim`` is a pair or ``A`` is 2-D with an ``ord``; the flattened 2-norm otherwise."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def det(A):
    """Determinant of (a batch of) square matrices."""
    _square(A, "linalg.det")
    return Det.apply(A)


def slogdet(A):
    """(sign, log|det|) of (a batch of) square matrices."""
    _square(A, "linalg.slogdet")
    d = det(A)
    return _slogdet_rt(Tensor._make(np.sign(d._data)), ops.log(ops.abs(d)))


def inv(A):
    """Inverse of (a batch of) square matrices."""
    _square(A, "linalg.inv")
    return Inv.apply(A)


def solve(A, B, *, left=True):
    """X with A X = B (``left=False``: X A = B)."""
    _square(A, "linalg.solve")
    if not left:
        return ops.matmul(B, inv(A))
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]):
        return ops.squeeze(ops.matmul(inv(A), ops.unsqueeze(B, -1)), -1)
    return ops.matmul(inv(A), B)


_svd_rt = namedtuple("svd", ["U", "S", "Vh"])
_slogdet_rt = namedtuple("slogdet", ["sign", "logabsdet"])


def svd(A, full_matrices=True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh. NOTE: no gradient flows through U and Vh (only through
    svdvals); the results are constants of the graph."""
    _check_float(A, "linalg.svd")
    u, s, vh = np.linalg.svd(A._data, full_matrices=full_matrices)
    return _svd_rt(Tensor._make(u), Tensor._make(s), Tensor._make(vh))


def matrix_power(A, n):
    """A @ A @ ... (n times); n = 0 gives the identity, negative n powers of the inverse."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim >= 2 else 1} by {A.shape[-1] if A.ndim else 1} matrices")
    if n == 0:
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape)
        return Tensor._make(np.array(eye))
    base = inv(A) if n < 0 else A
    out = base
    for _ in range(abs(n) - 1):
        out = ops.matmul(out, base)
    return out


def vecdot(x, y, *, dim=-1):
    """Dot products of vectors along ``dim`` (broadcasting the rest)."""
    return ops.sum(ops.mul(x, y), dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset``-th diagonals of (a batch of) matrices."""
    from mytorch._shape import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)


# NOTE: the decompositions below are forward-only: their results do not require grad (a backward
# through them raises rather than returning a wrong gradient).
_qr_rt = namedtuple("qr", ["Q", "R"])
_eigh_rt = namedtuple("eigh", ["eigenvalues", "eigenvectors"])


def _constant(A, opname, fn):
    _check_float(A, opname)
    with np.errstate(all="ignore"):
        try:
            return fn(A._data)
        except np.linalg.LinAlgError as e:
            raise RuntimeError(f"{opname}: {e}") from None


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """Number of singular values above the tolerance (int64)."""
    s = _constant(A, "linalg.matrix_rank", lambda a: np.linalg.svd(a, compute_uv=False))
    tol = np.zeros(s.shape[:-1] + (1,)) + (atol or 0.0)
    if rtol is None and atol is None:
        rtol = max(A.shape[-2:]) * np.finfo(A._data.dtype).eps
    if rtol:
        tol = np.maximum(tol, rtol * s[..., :1])
    return Tensor._make((s > tol).sum(-1).astype(np.int64))


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R (forward only)."""
    q, r = _constant(A, "linalg.qr", lambda a: np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced"))
    return _qr_rt(Tensor._make(q), Tensor._make(r))


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors) of symmetric matrices (forward only)."""
    w, v = _constant(A, "linalg.eigh", lambda a: np.linalg.eigh(a, UPLO=UPLO))
    return _eigh_rt(Tensor._make(w), Tensor._make(v))


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of symmetric matrices (forward only)."""
    return Tensor._make(_constant(A, "linalg.eigvalsh", lambda a: np.linalg.eigvalsh(a, UPLO=UPLO)))


def cholesky(A, *, upper=False):
    """The lower (or upper) Cholesky factor of positive-definite matrices (forward only)."""
    factor = _constant(A, "linalg.cholesky", np.linalg.cholesky)
    return Tensor._make(np.swapaxes(factor, -1, -2).copy() if upper else factor)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (forward only)."""
    return Tensor._make(_constant(A, "linalg.pinv", lambda a: np.linalg.pinv(a, rcond=1e-15 if rtol is None else rtol)))


def cross(input, other, *, dim=-1):
    """Cross product of 3-vectors along ``dim``."""
    from mytorch._shape import cross as _cross
    return _cross(input, other, dim=dim)


def multi_dot(tensors):
    """Product of a chain of matrices (first/last may be 1-D)."""
    out = tensors[0]
    for t in tensors[1:]:
        out = ops.matmul(out, t)
    return out


def matmul(input, other):
    return ops.matmul(input, other)
