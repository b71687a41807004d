"""Edge cases of core ops against torch: gradients at a zero standard deviation or norm, bool
arithmetic torch refuses, and reductions over empty dimensions.

Values are compared in float64 at rtol 1e-12 (the same formulas on the same inputs; only summation
order may differ); error types must be torch's.
"""
import warnings

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


def _grad(m, fn, data):
    x = m.tensor(data, dtype=m.float64, requires_grad=True)
    fn(m, x).backward()
    return x.grad.numpy()


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("std", lambda m, x: x.std()),
    ("std_dim", lambda m, x: x.std(1).sum()),
    ("std_keepdim_c0", lambda m, x: x.std(0, keepdim=True, correction=0).sum()),
    ("std_mean", lambda m, x: m.std_mean(x, 1)[0].sum()),
    ("var", lambda m, x: x.var()),
    ("var_dim", lambda m, x: x.var(1).sum()),
    ("norm", lambda m, x: x.norm()),
    ("norm_dim", lambda m, x: x.norm(dim=1).sum()),
    ("norm_p1", lambda m, x: x.norm(p=1)),
    ("norm_p3", lambda m, x: x.norm(p=3)),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, dim=1).sum()),
    ("linalg_norm", lambda m, x: m.linalg.norm(x)),
])
@pytest.mark.parametrize("data", [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]])
def test_gradient_at_zero_spread_or_norm(name, fn, data):
    """torch's std/norm backward is 0 where the result is 0, not 0/0 = nan (and warns nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = _grad(mytorch, fn, data)
    np.testing.assert_allclose(ours, _grad(torch, fn, data), rtol=1e-12, atol=0)


_BOOL_CASES = [
    ("sub", lambda m: m.tensor([True]) - m.tensor([False])),
    ("sub_fn_alpha", lambda m: m.sub(m.tensor([True]), m.tensor([False]), alpha=2)),
    ("rsub_python_bool", lambda m: True - m.tensor([False])),
    ("sub_python_bool", lambda m: m.tensor([True]) - True),
    ("bool_minus_int", lambda m: m.tensor([True]) - 1),
    ("int_minus_bool", lambda m: m.tensor([1]) - m.tensor([True])),
    ("float_minus_python_bool", lambda m: m.tensor([1.5]) - True),
    ("sub_inplace", lambda m: m.tensor([True]).sub_(m.tensor([False]))),
    ("sub_inplace_float", lambda m: m.tensor([1.0]).sub_(m.tensor([False]))),
    ("isub", lambda m: m.tensor([True]).__isub__(m.tensor([True]))),
    ("neg", lambda m: -m.tensor([True])),
    ("neg_fn", lambda m: m.neg(m.tensor([True]))),
    ("dist", lambda m: m.dist(m.tensor([True]), m.tensor([False]))),
    ("cdist", lambda m: m.cdist(m.tensor([[True]]), m.tensor([[False]]))),
    ("cdist_x2_int", lambda m: m.cdist(m.ones(1, 1), m.ones(1, 1, dtype=m.int64))),
    ("cross", lambda m: m.cross(m.tensor([True, False, True]), m.tensor([False, True, True]), dim=0)),
    ("linalg_cross", lambda m: m.linalg.cross(m.tensor([True, False, True]), m.tensor([False, True, True]))),
    ("pow_operator", lambda m: m.tensor([True]) ** m.tensor([True])),
    ("rpow_operator", lambda m: True ** m.tensor([True])),
    ("floordiv_operator", lambda m: m.tensor([True]) // m.tensor([True])),
    ("floordiv_python_bool", lambda m: m.tensor([True]) // True),
    ("lshift_bools", lambda m: m.tensor([True]) << m.tensor([True])),
    ("rshift_bool_fn", lambda m: m.bitwise_right_shift(m.tensor([True]), m.tensor([False]))),
    ("lshift_float", lambda m: m.tensor([1.0]) << 1),
    ("and_float", lambda m: m.tensor([1.0]) & m.tensor([True])),
    ("and_float_inplace", lambda m: m.tensor([1.0]).bitwise_and_(m.tensor([1.0]))),
    ("bitwise_not_float", lambda m: m.bitwise_not(m.tensor([1.0]))),
    ("invert_float", lambda m: ~m.tensor([1.0])),
    ("argmax_bool", lambda m: m.argmax(m.tensor([True, False]))),
    ("argmin_bool_dim", lambda m: m.tensor([True, False]).argmin(0)),
]


@requires_torch
@pytest.mark.parametrize("name,fn", _BOOL_CASES, ids=[c[0] for c in _BOOL_CASES])
def test_bool_arithmetic_refused_as_torch(name, fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(theirs.type) as ours:
        fn(mytorch)
    assert str(ours.value) == str(theirs.value)


_EMPTY_REDUCTIONS = {
    "amax": lambda m, x, d: m.amax(x, d), "amin": lambda m, x, d: m.amin(x, d),
    "amax_keepdim": lambda m, x, d: m.amax(x, d, keepdim=True),
    "max_dim": lambda m, x, d: m.max(x, d).values, "min_dim_indices": lambda m, x, d: m.min(x, d).indices,
    "argmax": lambda m, x, d: m.argmax(x, d), "argmin": lambda m, x, d: m.argmin(x, d),
    "sum": lambda m, x, d: m.sum(x, d), "mean": lambda m, x, d: m.mean(x, d), "prod": lambda m, x, d: m.prod(x, d),
    "logsumexp": lambda m, x, d: m.logsumexp(x, d), "all": lambda m, x, d: m.all(x, d),
    "aminmax": lambda m, x, d: m.aminmax(x, dim=d).max, "kthvalue": lambda m, x, d: m.kthvalue(x, 1, d).values,
    "median": lambda m, x, d: m.median(x, d).values, "vector_norm_inf": lambda m, x, d: m.linalg.vector_norm(
        x, float("inf"), dim=d), "vector_norm_2": lambda m, x, d: m.linalg.vector_norm(x, dim=d),
    "amax_all": lambda m, x, d: m.amax(x), "max_all": lambda m, x, d: m.max(x), "argmax_all": lambda m, x, d: m.argmax(x),
    "min_all": lambda m, x, d: m.min(x), "aminmax_all": lambda m, x, d: m.aminmax(x).min,
    "sum_all": lambda m, x, d: m.sum(x), "prod_all": lambda m, x, d: m.prod(x),
    "vector_norm_ninf_all": lambda m, x, d: m.linalg.vector_norm(x, -float("inf")),
}


@requires_torch
@pytest.mark.parametrize("name", list(_EMPTY_REDUCTIONS))
@pytest.mark.parametrize("shape,dim", [((0, 3), 0), ((0, 3), 1), ((0, 3), -2), ((3, 0), 0), ((0,), 0), ((2, 0, 3), 2)])
def test_reduction_of_an_empty_tensor_as_torch(name, shape, dim):
    """Over an empty dim a reduction without identity raises torch's error; over a non-empty dim of
    an empty tensor it returns torch's empty result (shape and dtype)."""
    fn = _EMPTY_REDUCTIONS[name]
    try:
        theirs = fn(torch, torch.zeros(shape), dim)
    except Exception as exc:
        with pytest.raises(type(exc)) as ours:
            fn(mytorch, mytorch.zeros(shape), dim)
        assert str(ours.value) == str(exc)
        return
    ours = fn(mytorch, mytorch.zeros(shape), dim)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _warned(m, fn, shape):
    x = m.ones(shape, dtype=m.float64, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(m, x)
        if out.numel():
            out.sum().backward()
    return out.detach().numpy(), [(w.category, str(w.message).split(" (Triggered")[0]) for w in caught]


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("var", lambda m, x: x.var()), ("std", lambda m, x: x.std()), ("std_c2", lambda m, x: x.std(correction=2)),
    ("var_dim", lambda m, x: x.var(0)), ("var_c0", lambda m, x: x.var(correction=0)),
    ("std_mean", lambda m, x: m.std_mean(x)[0]), ("var_mean", lambda m, x: m.var_mean(x, True)[0]),
])
@pytest.mark.parametrize("shape", [(1,), (3,), (0, 2)])
def test_degrees_of_freedom_warning_as_torch(name, fn, shape):
    """var/std with no degrees of freedom left: nan and torch's UserWarning, no NumPy RuntimeWarning."""
    ours, our_warnings = _warned(mytorch, fn, shape)
    theirs, their_warnings = _warned(torch, fn, shape)
    np.testing.assert_array_equal(ours, theirs)
    assert our_warnings == their_warnings
