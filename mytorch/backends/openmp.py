"""``torch.backends.openmp``: threads come from numba and the BLAS (see mytorch._threads), not OpenMP."""


def is_available():
    return False
