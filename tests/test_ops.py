"""Every differentiable op, one line each: float64 gradcheck always, torch forward+backward where installed."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import mytorch
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

E, R = 1e-5, REDUCTION_TOL
POS = dict(low=0.2, high=3.0)          # log, sqrt, pow bases
NOKINK = dict(away_from=[0.0])         # abs, relu
CLAMP = dict(away_from=[-0.5, 0.7])

# (name, fn(lib, *inputs), input shapes, draw options, float32 tolerance)
OPS = [
    ("add", lambda m, a, b: a + b, [(3, 4), (4,)], {}, E),
    ("add_scalar", lambda m, a: 2.5 + a, [(3, 4)], {}, E),
    ("add_alpha", lambda m, a, b: m.add(a, b, alpha=3), [(2, 3), (2, 3)], {}, E),
    ("sub", lambda m, a, b: a - b, [(2, 1, 4), (3, 1)], {}, E),
    ("rsub_scalar", lambda m, a: 1.5 - a, [(5,)], {}, E),
    ("mul", lambda m, a, b: a * b, [(3, 4), (3, 1)], {}, E),
    ("mul_scalar", lambda m, a: a * -3.0, [(3, 4)], {}, E),
    ("div", lambda m, a, b: a / b, [(3, 4), (4,)], POS, E),
    ("rdiv_scalar", lambda m, a: 2.0 / a, [(3,)], POS, E),
    ("pow_tensor", lambda m, a, b: a ** b, [(3, 4), (3, 4)], POS, E),
    ("pow_scalar", lambda m, a: a ** 3, [(3, 4)], {}, E),
    ("pow_fraction", lambda m, a: a ** 0.5, [(3, 4)], POS, E),
    ("rpow_scalar", lambda m, a: 2.0 ** a, [(3, 4)], {}, E),
    ("neg", lambda m, a: -a, [(3, 4)], {}, E),
    ("exp", lambda m, a: m.exp(a), [(3, 4)], {}, E),
    ("log", lambda m, a: m.log(a), [(3, 4)], POS, E),
    ("sqrt", lambda m, a: m.sqrt(a), [(3, 4)], POS, E),
    ("abs", lambda m, a: m.abs(a), [(3, 4)], NOKINK, E),
    ("clamp", lambda m, a: m.clamp(a, min=-0.5, max=0.7), [(4, 5)], CLAMP, E),
    ("clamp_min", lambda m, a: a.clamp(min=-0.5), [(4, 5)], CLAMP, E),
    ("maximum", lambda m, a, b: m.maximum(a, b), [(3, 4), (4,)], {}, E),
    ("minimum", lambda m, a, b: m.minimum(a, b), [(3, 4), (3, 1)], {}, E),
    ("tanh", lambda m, a: m.tanh(a), [(3, 4)], {}, E),
    ("sigmoid", lambda m, a: m.sigmoid(a), [(3, 4)], {}, E),
    ("relu", lambda m, a: m.relu(a), [(3, 4)], NOKINK, E),
    ("sum_all", lambda m, a: a.sum(), [(3, 4)], {}, R),
    ("sum_dim", lambda m, a: a.sum(dim=1), [(3, 4, 2)], {}, R),
    ("sum_dims_keepdim", lambda m, a: a.sum(dim=(0, 2), keepdim=True), [(3, 4, 2)], {}, R),
    ("mean_all", lambda m, a: a.mean(), [(3, 4)], {}, R),
    ("mean_dim", lambda m, a: a.mean(-1, keepdim=True), [(3, 4)], {}, R),
    ("max_all", lambda m, a: a.max(), [(3, 4)], {}, E),
    ("min_all", lambda m, a: a.min(), [(3, 4)], {}, E),
    ("max_dim", lambda m, a: a.max(dim=1)[0], [(3, 4)], {}, E),
    ("min_dim_keepdim", lambda m, a: m.min(a, 0, keepdim=True).values, [(3, 4)], {}, E),
    ("amax", lambda m, a: m.amax(a, dim=(0, 2)), [(3, 4, 2)], {}, E),
    ("amin", lambda m, a: a.amin(dim=1, keepdim=True), [(3, 4)], {}, E),
    ("var_all", lambda m, a: a.var(), [(3, 4)], {}, R),
    ("var_dim", lambda m, a: a.var(dim=1, keepdim=True), [(3, 5)], {}, R),
    ("var_biased", lambda m, a: m.var(a, 0, correction=0), [(4, 3)], {}, R),
    ("std_dim", lambda m, a: a.std(dim=(0, 1)), [(3, 4, 2)], {}, R),
    ("matmul_2d", lambda m, a, b: a @ b, [(3, 4), (4, 5)], {}, R),
    ("matmul_1d_1d", lambda m, a, b: m.matmul(a, b), [(4,), (4,)], {}, R),
    ("matmul_1d_2d", lambda m, a, b: a @ b, [(4,), (4, 3)], {}, R),
    ("matmul_2d_1d", lambda m, a, b: a @ b, [(3, 4), (4,)], {}, R),
    ("matmul_batched", lambda m, a, b: a @ b, [(2, 3, 4), (2, 4, 5)], {}, R),
    ("matmul_broadcast", lambda m, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], {}, R),
    ("matmul_batch_1d", lambda m, a, b: a @ b, [(2, 3, 4), (4,)], {}, R),
    ("mm", lambda m, a, b: m.mm(a, b), [(2, 3), (3, 2)], {}, R),
    ("reshape", lambda m, a: a.reshape(4, -1) * 2, [(2, 3, 2)], {}, E),
    ("view", lambda m, a: a.view(6, 2) * 2, [(3, 4)], {}, E),
    ("view_as", lambda m, a, b: a.view_as(b) * b, [(2, 6), (3, 4)], {}, E),
    ("flatten", lambda m, a: m.flatten(a, 1) * 2, [(2, 3, 4)], {}, E),
    ("squeeze", lambda m, a: a.squeeze(1) * 2, [(3, 1, 4)], {}, E),
    ("unsqueeze", lambda m, a: a.unsqueeze(-1) * 2, [(3, 4)], {}, E),
    ("transpose", lambda m, a: a.transpose(0, 2) * m.arange(3.0), [(3, 4, 2)], {}, E),
    ("permute", lambda m, a: a.permute(2, 0, 1) * m.arange(4.0), [(2, 4, 3)], {}, E),
    ("T", lambda m, a: a.T * m.arange(3.0), [(3, 4)], {}, E),
    ("expand", lambda m, a: a.expand(2, 3, 4) * m.arange(4.0), [(3, 1)], {}, E),
    ("repeat", lambda m, a: a.repeat(2, 1, 3) * m.arange(6.0), [(3, 2)], {}, E),
    ("getitem_slice", lambda m, a: a[1:, ::2] * 2, [(3, 4)], {}, E),
    ("getitem_int_array", lambda m, a: a[m.tensor([0, 2, 0, 0])] * 2, [(3, 4)], {}, E),
    ("getitem_mixed", lambda m, a: a[:, m.tensor([1, 1, 3])], [(3, 4)], {}, E),
    ("getitem_bool_mask", lambda m, a: a[a > 0.3], [(3, 4)], dict(away_from=[0.3]), E),
    ("getitem_none_ellipsis", lambda m, a: a[None, ..., 1], [(3, 4)], {}, E),
    ("cat", lambda m, a, b: m.cat([a, b, a], dim=1), [(2, 3), (2, 1)], {}, E),
    ("stack", lambda m, a, b: m.stack([a, b], dim=-1) * m.arange(2.0), [(2, 3), (2, 3)], {}, E),
    ("where", lambda m, a, b: m.where(a > 0, a, b), [(3, 4), (4,)], dict(away_from=[0.0]), E),
    ("where_scalar", lambda m, a: m.where(a > 0, a, 0.0), [(3, 4)], dict(away_from=[0.0]), E),
    ("clone", lambda m, a: a.clone() * 2, [(3,)], {}, E),
    ("double_cast", lambda m, a: (a * 2).double(), [(3,)], {}, E),
    ("diamond_shared_node", lambda m, a: (lambda b: b + b.exp() * b.sum())(a * 2), [(2, 3)], {}, R),
    ("log_softmax", lambda m, a: m.nn.functional.log_softmax(a, dim=1), [(3, 5)], {}, R),
    ("softmax", lambda m, a: m.nn.functional.softmax(a, dim=0), [(3, 5)], {}, R),
    ("cross_entropy", lambda m, a: m.nn.functional.cross_entropy(a, m.tensor([1, 0, 4])), [(3, 5)], {}, R),
    ("linear", lambda m, a, w, b: m.nn.functional.linear(a, w, b), [(3, 4), (2, 4), (2,)], {}, R),
    ("composite_softmax", lambda m, a: (a.exp() / a.exp().sum(1, keepdim=True)).log(), [(3, 5)], {}, R),
]


@pytest.mark.parametrize("name, fn, shapes, opts, tol", OPS, ids=[o[0] for o in OPS])
def test_gradcheck_float64(name, fn, shapes, opts, tol):
    check_gradcheck(fn, [draw(s, seed=i, **opts) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes, opts, tol", OPS, ids=[o[0] for o in OPS])
def test_matches_torch_float32(name, fn, shapes, opts, tol):
    check_against_torch(fn, [draw(s, seed=i, **opts) for i, s in enumerate(shapes)], tol=tol)


@requires_torch
@pytest.mark.parametrize("name, fn, shapes, opts, tol", OPS, ids=[o[0] for o in OPS])
def test_matches_torch_float64(name, fn, shapes, opts, tol):
    check_against_torch(fn, [draw(s, seed=i, **opts) for i, s in enumerate(shapes)], tol=1e-12, dtype="float64")


BINARY = [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
          ("div", lambda a, b: a / b), ("maximum", lambda a, b: a.maximum(b)),
          ("pow", lambda a, b: a.abs() ** b)]


@pytest.mark.parametrize("name, op", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_broadcasting_gradients(name, op, shapes, seed):
    """Gradients of broadcast binary ops sum back to each input's own shape (finite differences)."""
    a = draw(shapes.input_shapes[0], seed, low=0.5, high=2.0)
    b = draw(shapes.input_shapes[1], seed + 1, low=0.5, high=2.0) * np.where(name == "pow", 1, -1)
    check_gradcheck(lambda m, x, y: op(x, y), [a, b])
    if torch is not None:
        check_against_torch(lambda m, x, y: op(x, y), [a, b], tol=1e-12, dtype="float64")
