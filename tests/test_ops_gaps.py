"""Gaps found by running tutorial programs, in the reductions, shape and creation ops: cov/corrcoef
of one variable, scatter/gather with a 0-d index, the deprecated torch.range and
set_default_tensor_type. Compared with torch where installed (exact: same float64 formulas or
integer results), skipping cleanly otherwise.
"""
import warnings

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


@requires_torch
@pytest.mark.parametrize("data", [[[1.0, 2.0, 4.0]], [1.0, 2.0, 4.0], [[1.0, 2.0, 4.0], [1.0, 3.0, 3.0]]])
@pytest.mark.parametrize("fn", ["cov", "corrcoef"])
def test_cov_corrcoef_shape_and_values(data, fn):
    got = getattr(mytorch, fn)(mytorch.tensor(data, dtype=mytorch.float64))
    want = getattr(torch, fn)(torch.tensor(data, dtype=torch.float64))
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.zeros(10).scatter_(0, T.tensor(3), value=1),
    lambda T: T.zeros(10).scatter(0, T.tensor(3), T.tensor(5.0)),
    lambda T: T.zeros(3).scatter_add(0, T.tensor(1), T.tensor(5.0)),
    lambda T: T.zeros(3).scatter_reduce(0, T.tensor(1), T.tensor(5.0), "sum"),
    lambda T: T.zeros(()).scatter(0, T.tensor(0), 2.0),
    lambda T: T.arange(3.0).gather(0, T.tensor(2)),
])
def test_scatter_gather_zero_dim_index(call):
    got, want = call(mytorch), call(torch)
    assert tuple(got.shape) == tuple(want.shape) and got.tolist() == want.tolist()


def test_scatter_zero_dim_index_needs_one_dim_self():
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        mytorch.zeros(3, 2).scatter(0, mytorch.tensor(1), 2.0)


def test_scatter_zero_dim_src_gradient():
    src = mytorch.tensor(5.0, dtype=mytorch.float64, requires_grad=True)
    mytorch.zeros(4, dtype=mytorch.float64).scatter(0, mytorch.tensor(2), src).sum().backward()
    assert src.grad.shape == () and float(src.grad) == 1.0


@requires_torch
@pytest.mark.parametrize("args,kwargs", [((1, 4), {}), ((0, 1, 0.3), {}), ((1, 4), {"dtype": "int64"}),
                                         ((4, 1, -1.5), {}), ((0.5, 2.5), {"dtype": "float64"})])
def test_range_is_end_inclusive_and_deprecated(args, kwargs):
    def call(T):
        kw = {k: getattr(T, v) for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            return T.range(*args, **kw)
    got, want = call(mytorch), call(torch)
    assert got.dtype.name == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_set_default_tensor_type():
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            mytorch.set_default_tensor_type(mytorch.DoubleTensor)
        assert mytorch.ones(1).dtype == mytorch.float64
        with pytest.warns(UserWarning):
            mytorch.set_default_tensor_type("torch.FloatTensor")
        assert mytorch.ones(1).dtype == mytorch.float32
        with warnings.catch_warnings(), pytest.raises(TypeError, match="floating-point"):
            warnings.simplefilter("ignore")
            mytorch.set_default_tensor_type("torch.LongTensor")
    finally:
        mytorch.set_default_dtype(mytorch.float32)


@requires_torch
@pytest.mark.parametrize("make", [lambda T: T.tensor([1.001, -3.14159, 1e-3], dtype=T.bfloat16),
                                  lambda T: T.full((2,), 3.14159, dtype=T.bfloat16),
                                  lambda T: T.arange(0, 2, 0.25, dtype=T.bfloat16),
                                  lambda T: T.ones_like(T.ones(2), dtype=T.bfloat16)])
def test_factories_make_bfloat16(make):
    ours, theirs = make(mytorch), make(torch)
    assert ours.dtype == mytorch.bfloat16
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    leaf = mytorch.zeros(2, dtype=mytorch.bfloat16, requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf and leaf.dtype == mytorch.bfloat16
