"""Pooling with every option torch has: ceil_mode, dilation, count_include_pad, divisor_override,
odd sizes, overlapping windows, integer inputs, adaptive and global pooling, 1-D pooling,
return_indices and max_unpool2d; every kernels implementation against the reference loops, the
reference against torch, and the public API against torch (forward and gradients) and float64
central differences.

Tolerances: max pooling selects values, so values and indices must be equal; average pooling sums
at most 16 terms (float32 rounding ~1e-6 of the scale: 1e-5 allowed, float64 1e-12).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
import mytorch
import mytorch.nn.functional as F
from mytorch import backends, nn
from conftest import requires_torch, torch
from helpers import check_against_torch, check_gradcheck, draw, scaled_error

REF = kernels.load("reference")
FAST = [kernels.load("numpy"), kernels.load("numba")]
IMPLS = ["reference", "numpy", "numba"]


@st.composite
def pool_cases(draw_):
    KH, KW = draw_(st.integers(1, 4)), draw_(st.integers(1, 4))
    SH, SW = draw_(st.integers(1, 3)), draw_(st.integers(1, 3))
    PH, PW = draw_(st.integers(0, KH // 2)), draw_(st.integers(0, KW // 2))
    DH, DW = draw_(st.integers(1, 2)), draw_(st.integers(1, 2))
    H = draw_(st.integers(max(1, DH * (KH - 1) + 1 - 2 * PH), 9))
    W = draw_(st.integers(max(1, DW * (KW - 1) + 1 - 2 * PW), 9))
    return dict(shape=(draw_(st.integers(1, 2)), draw_(st.integers(1, 3)), H, W), k=(KH, KW), s=(SH, SW),
                p=(PH, PW), d=(DH, DW), ceil=draw_(st.booleans()), include=draw_(st.booleans()),
                divisor=draw_(st.sampled_from([None, None, 3])),
                dtype=draw_(st.sampled_from([np.float32, np.float64, np.int64])),
                style=draw_(st.sampled_from(["random", "ties", "nan", "inf"])))


def _input(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["shape"]) * 3
    if case["dtype"] == np.int64 or case["style"] == "ties":
        x = np.round(x)
    elif case["style"] == "nan":
        x[rng.random(x.shape) < 0.15] = np.nan
    elif case["style"] == "inf":
        x[rng.random(x.shape) < 0.3] = -np.inf
        x[rng.random(x.shape) < 0.1] = np.inf
    return x.astype(case["dtype"])


def _max_args(c):
    return c["k"], c["s"], c["p"], c["d"], c["ceil"]


def _avg_args(c):
    return c["k"], c["s"], c["p"], c["ceil"], c["include"], c["divisor"]


@settings(max_examples=80, deadline=None)
@given(case=pool_cases())
def test_pooling_options_match_reference(case):
    x = _input(case)
    y_ref, idx_ref = REF.max_pool2d_forward(x, *_max_args(case))
    dy = np.random.default_rng(1).standard_normal(y_ref.shape)
    dy = dy.astype(x.dtype) if x.dtype != np.int64 else dy
    for impl in FAST:
        y, idx = impl.max_pool2d_forward(x, *_max_args(case))
        np.testing.assert_array_equal(y, y_ref, err_msg=impl.__name__)
        np.testing.assert_array_equal(idx, idx_ref, err_msg=impl.__name__)
        assert y.dtype == x.dtype
    if x.dtype == np.int64:
        return
    dx_ref = REF.max_pool2d_backward(dy, idx_ref, x.shape)
    for impl in FAST:
        np.testing.assert_allclose(impl.max_pool2d_backward(dy, idx_ref, x.shape), dx_ref, rtol=1e-6, atol=1e-6)
    tol = 1e-5 if x.dtype == np.float32 else 1e-12
    a_ref = REF.avg_pool2d_forward(x, *_avg_args(case))
    dy = np.random.default_rng(1).standard_normal(a_ref.shape).astype(x.dtype)  # no dilation: its own shape
    da_ref = REF.avg_pool2d_backward(dy, x.shape, *_avg_args(case))
    for impl in FAST:
        a = impl.avg_pool2d_forward(x, *_avg_args(case))
        np.testing.assert_array_equal(np.isnan(a), np.isnan(a_ref))
        finite = np.isfinite(a_ref)
        assert scaled_error(a[finite], a_ref[finite]) <= tol
        assert scaled_error(impl.avg_pool2d_backward(dy, x.shape, *_avg_args(case)), da_ref) <= tol


@requires_torch
@settings(max_examples=60, deadline=None)
@given(case=pool_cases())
def test_reference_pooling_matches_torch(case):
    x = _input(case)
    tx = torch.from_numpy(x)
    ty, tidx = torch.nn.functional.max_pool2d(tx, *_max_args(case), return_indices=True)
    y, idx = REF.max_pool2d_forward(x, *_max_args(case))
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())
    if x.dtype != np.int64:
        ta = torch.nn.functional.avg_pool2d(tx, *_avg_args(case))
        a = REF.avg_pool2d_forward(x, *_avg_args(case))
        np.testing.assert_array_equal(np.isnan(a), np.isnan(ta.numpy()))
        finite = np.isfinite(a)
        assert scaled_error(a[finite], ta.numpy()[finite]) <= (1e-5 if x.dtype == np.float32 else 1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 11), st.integers(1, 11)),
       out=st.tuples(st.integers(1, 6), st.integers(1, 6)))
def test_adaptive_pooling_matches_reference(shape, out):
    x = np.random.default_rng(2).standard_normal(shape)
    y_ref, idx_ref = REF.adaptive_max_pool2d_forward(x, out)
    a_ref = REF.adaptive_avg_pool2d_forward(x, out)
    dy = np.random.default_rng(3).standard_normal(a_ref.shape)
    da_ref = REF.adaptive_avg_pool2d_backward(dy, x.shape, out)
    for impl in FAST:
        y, idx = impl.adaptive_max_pool2d_forward(x, out)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(idx, idx_ref)
        assert scaled_error(impl.adaptive_avg_pool2d_forward(x, out), a_ref) <= 1e-12
        assert scaled_error(impl.adaptive_avg_pool2d_backward(dy, x.shape, out), da_ref) <= 1e-12
    if torch is not None:
        ty, tidx = torch.nn.functional.adaptive_max_pool2d(torch.from_numpy(x), out, return_indices=True)
        np.testing.assert_array_equal(y_ref, ty.numpy())
        np.testing.assert_array_equal(idx_ref, tidx.numpy())
        assert scaled_error(a_ref, torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), out).numpy()) <= 1e-12


# ---------------------------------------------------------------------------- the public API
@pytest.fixture(params=IMPLS)
def impl(request):
    with backends.using_kernels(request.param):
        yield request.param


API_CASES = [
    ("max_3x3_s2_p1", lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1), (2, 3, 9, 8)),
    ("max_ceil", lambda m, x: m.nn.functional.max_pool2d(x, 2, ceil_mode=True), (2, 2, 7, 5)),
    ("max_dilated_ceil", lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True), (1, 2, 9, 10)),
    ("avg_exclude_pad_ceil", lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     (2, 2, 8, 7)),
    ("avg_ceil_include_pad", lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 8, 7)),
    ("avg_divisor", lambda m, x: m.nn.functional.avg_pool2d(x, (2, 3), (1, 2), divisor_override=5), (1, 2, 5, 7)),
    ("adaptive_avg", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 4)), (2, 2, 7, 9)),
    ("global_avg", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 1), (2, 3, 5, 4)),
    ("adaptive_avg_none", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (None, 2)), (1, 2, 5, 6)),
    ("adaptive_max", lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (3, 2)), (2, 2, 7, 5)),
    ("max_pool1d", lambda m, x: m.nn.functional.max_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 3, 10)),
    ("avg_pool1d", lambda m, x: m.nn.functional.avg_pool1d(x, 3, 2, 1, count_include_pad=False), (2, 3, 10)),
    ("adaptive_avg1d", lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 4), (2, 3, 10)),
    ("adaptive_max1d", lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 4), (2, 3, 10)),
    ("unbatched_ceil", lambda m, x: m.nn.functional.max_pool2d(x, 2, ceil_mode=True), (3, 5, 5)),
]


@requires_torch
@pytest.mark.parametrize("name, fn, shape", API_CASES, ids=[c[0] for c in API_CASES])
def test_pooling_options_match_torch(impl, name, fn, shape):
    check_against_torch(fn, [draw(shape, 0)], tol=1e-5)
    check_against_torch(fn, [draw(shape, 0)], tol=1e-12, dtype="float64")


@pytest.mark.parametrize("name, fn, shape", API_CASES, ids=[c[0] for c in API_CASES])
def test_pooling_options_gradcheck(impl, name, fn, shape):
    check_gradcheck(fn, [draw(shape, 0)])


@requires_torch
def test_return_indices_and_unpool_match_torch(impl):
    x = draw((2, 3, 7, 8), 1)
    for lib, t in ((mytorch, mytorch.tensor(x, requires_grad=True)), (torch, torch.tensor(x, requires_grad=True))):
        y, idx = lib.nn.functional.max_pool2d(t, 3, 2, 1, return_indices=True)
        u = lib.nn.functional.max_unpool2d(y, idx, 3, 2, 1, output_size=(7, 8))
        (u * lib.tensor(np.arange(u.numel()).reshape(tuple(u.shape)).astype(np.float64))).sum().backward()
        if lib is mytorch:
            ours = (y.detach().numpy(), idx.numpy(), u.detach().numpy(), t.grad.numpy())
        else:
            theirs = (y.detach().numpy(), idx.numpy(), u.detach().numpy(), t.grad.numpy())
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_max_pooling_matches_torch(impl, dtype):
    x = np.random.default_rng(4).integers(0, 200, (2, 3, 7, 6)).astype(dtype)
    for args in ((2,), (3, 2, 1), (3, 2, 1, 2, True)):
        y, idx = F.max_pool2d(mytorch.tensor(x), *args, return_indices=True)
        ty, tidx = torch.nn.functional.max_pool2d(torch.from_numpy(x), *args, return_indices=True)
        assert str(y.dtype).split(".")[-1] == dtype
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@requires_torch
def test_float16_pooling_matches_torch(impl):
    x = draw((2, 3, 8, 7), 5).astype(np.float16)
    for name in ("max", "avg"):
        fn = (lambda m, t: m.nn.functional.max_pool2d(t, 3, 2, 1)) if name == "max" else \
            (lambda m, t: m.nn.functional.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False))
        ours_in, theirs_in = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours, theirs = fn(mytorch, ours_in), fn(torch, theirs_in)
        assert str(ours.dtype) == "mytorch.float16"
        assert scaled_error(ours.detach().numpy(), theirs.detach().numpy()) <= 2e-3
        g = np.ones(tuple(theirs.shape), np.float16)
        ours.backward(mytorch.tensor(g))
        theirs.backward(torch.tensor(g))
        assert ours_in.grad.dtype == ours_in.dtype
        assert scaled_error(ours_in.grad.numpy(), theirs_in.grad.numpy()) <= 2e-3


@requires_torch
def test_empty_batch_pooling_and_conv_through_the_api(impl):
    for fn in (lambda m, t: m.nn.functional.max_pool2d(t, 2), lambda m, t: m.nn.functional.avg_pool2d(t, 3, 2, 1),
               lambda m, t: m.nn.functional.adaptive_avg_pool2d(t, 2)):
        t = mytorch.zeros(0, 3, 6, 6, requires_grad=True)
        y = fn(mytorch, t)
        assert tuple(y.shape) == tuple(fn(torch, torch.zeros(0, 3, 6, 6)).shape)
        y.sum().backward()
        assert tuple(t.grad.shape) == (0, 3, 6, 6)
    x, w = mytorch.zeros(0, 3, 6, 6, requires_grad=True), mytorch.ones(4, 3, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 6, 6) and not w.grad.numpy().any()


@requires_torch
def test_non_finite_pooling_matches_torch(impl):
    x = draw((2, 2, 7, 7), 6)
    x[0, 0, 1, 1], x[0, 1, 3, 4], x[1, 0, 6, 6], x[1, 1, 0, 0] = np.inf, np.nan, -np.inf, np.nan
    for fn in (lambda m, t: m.nn.functional.max_pool2d(t, 3, 2, 1), lambda m, t: m.nn.functional.avg_pool2d(t, 2),
               lambda m, t: m.nn.functional.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               lambda m, t: m.nn.functional.adaptive_avg_pool2d(t, 3)):
        ours = fn(mytorch, mytorch.tensor(x)).numpy()
        theirs = fn(torch, torch.tensor(x)).numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("make, shape", [
    (lambda n: n.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 11)),
    (lambda n: n.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 11)),
    (lambda n: n.AdaptiveMaxPool2d((2, 3)), (2, 3, 7, 8)),
    (lambda n: n.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda n: n.AdaptiveMaxPool1d(3), (2, 3, 9)),
])
def test_pooling_modules_match_torch(make, shape):
    check_against_torch(lambda m, x: make(m.nn)(x), [draw(shape, 7)], tol=1e-6)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_bad_pooling_arguments_raise_like_torch():
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(mytorch.ones(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(mytorch.ones(1, 1, 1, 1), 3)
    with pytest.raises(RuntimeError, match="not implemented for"):
        F.avg_pool2d(mytorch.tensor(np.ones((1, 1, 4, 4), np.int32)), 2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(mytorch.ones(1, 1, 4, 4), 2, divisor_override=0)
