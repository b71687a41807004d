"""Every kernels implementation against the reference loops (and torch where installed).

Tolerances: float64 results must agree to 1e-10 relative to the output's scale (the
implementations differ only in summation order, ~1e-16 per term); float32 to 2e-5 of the scale
(a K-term float32 dot product has rounding error ~sqrt(K) * 6e-8; K <= 200 here).
"""
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from conftest import requires_torch, torch
from helpers import scaled_error

REF = kernels.load("reference")
FAST = [kernels.load("numpy"), kernels.load("numba")]
TOL = {np.float64: 1e-10, np.float32: 2e-5}


@st.composite
def conv_cases(draw):
    G = draw(st.sampled_from([1, 1, 2, 3]))
    # up to 5 channels and filters per group and 5x5 kernels: the direct routines' blocks of four
    # and their written-out rows of 3 and 5 taps
    C = G * draw(st.integers(1, 5))
    F = G * draw(st.integers(1, 5))
    KH, KW = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    SH, SW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    DH, DW = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    H = draw(st.integers(max(1, DH * (KH - 1) + 1 - 2 * PH), 9))
    W = draw(st.integers(max(1, DW * (KW - 1) + 1 - 2 * PW), 9))
    N = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    bias = draw(st.booleans())
    return dict(shape=(N, C, H, W), weight=(F, C // G, KH, KW), stride=(SH, SW), padding=(PH, PW),
                dilation=(DH, DW), groups=G, dtype=dtype, bias=bias)


def _conv_inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["shape"]).astype(case["dtype"])
    w = rng.standard_normal(case["weight"]).astype(case["dtype"])
    b = rng.standard_normal(case["weight"][0]).astype(case["dtype"]) if case["bias"] else None
    return x, w, b


def _args(case):
    return case["stride"], case["padding"], case["dilation"], case["groups"]


@settings(max_examples=40, deadline=None)
@given(case=conv_cases())
def test_conv2d_forward_and_backward_match_reference(case):
    _check_conv_against_reference(case, FAST)


def _check_conv_against_reference(case, impls):
    x, w, b = _conv_inputs(case)
    tol = TOL[case["dtype"]]
    y_ref = REF.conv2d_forward(x, w, b, *_args(case))
    dy = np.random.default_rng(1).standard_normal(y_ref.shape).astype(case["dtype"])
    grads_ref = REF.conv2d_backward(dy, x, w, *_args(case))
    for impl in impls:
        y = impl.conv2d_forward(x, w, b, *_args(case))
        assert y.dtype == x.dtype and scaled_error(y, y_ref) <= tol, impl.__name__
        floors = (np.abs(dy).max() * np.abs(w).max(), np.abs(dy).max() * np.abs(x).max(), np.abs(dy).max())
        for name, got, want, floor in zip("dx dw db".split(), impl.conv2d_backward(dy, x, w, *_args(case)),
                                          grads_ref, floors):
            assert got.dtype == x.dtype and scaled_error(got, want, floor) <= tol, (impl.__name__, name)


ROUTE_NAMES = {"direct": "direct", "gemm": "im2col", "gemm_wide": "im2col_wide", "winograd": "winograd"}


@contextlib.contextmanager
def numba_route(route):
    """Sends every numba conv down one route (through kernels.routes.force_route) where the route
    can serve the shape: the small shapes drawn here would otherwise all take the direct route."""
    from kernels import routes
    with routes.force_route(ROUTE_NAMES.get(route, route)):
        yield kernels.load("numba")


@pytest.mark.parametrize("route", ["direct", "gemm", "gemm_wide"])
@settings(max_examples=30, deadline=None)
@given(case=conv_cases())
def test_numba_conv_routes_match_reference(route, case):
    """The direct convolution (stride 1) and the im2col GEMM on every drawn shape: its forward with
    the row-by-row fill ("gemm") or the wide grid at stride 1 ("gemm_wide"); its backward takes the
    wide grid at stride 1 either way."""
    with numba_route(route) as nb:
        _check_conv_against_reference(case, [nb])


@pytest.mark.parametrize("KH, KW", [(5, 5), (3, 3), (2, 5), (4, 2)])
@pytest.mark.parametrize("channels, filters, groups", [(4, 8, 1), (5, 6, 1), (10, 12, 2), (3, 3, 3)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_direct_route_blocks_and_row_widths(KH, KW, channels, filters, groups, dilation):
    """Every branch of the direct routines: rows of 5 and 3 taps written out (dilation 1) or any
    width, blocks of four filters or channels and the remainders, groups; the hypothesis draws
    above reach these combinations too rarely."""
    case = dict(shape=(2, channels, 9, 8), weight=(filters, channels // groups, KH, KW), stride=(1, 1),
                padding=(1, 2), dilation=(dilation, dilation), groups=groups, bias=True)
    for dtype in (np.float64, np.float32):
        with numba_route("direct") as nb:
            _check_conv_against_reference(dict(case, dtype=dtype), [nb])


@st.composite
def winograd_cases(draw):
    """3x3, stride 1, no dilation or groups: the shapes Winograd F(4x4, 3x3) serves, outputs whose
    sides are or are not multiples of 4 (a partial last tile) and padding 0-3 (3: tiles of padding only)."""
    PH, PW = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    H, W = draw(st.integers(max(1, 3 - 2 * PH), 11)), draw(st.integers(max(1, 3 - 2 * PW), 11))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 5)), H, W),
                weight=(draw(st.integers(1, 5)), None, 3, 3), stride=(1, 1), padding=(PH, PW), dilation=(1, 1),
                groups=1, dtype=draw(st.sampled_from([np.float32, np.float64])), bias=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(case=winograd_cases())
def test_winograd_matches_reference(case):
    """Winograd's transforms carry factors up to 8, so float32 rounding grows (measured ~2e-6 of the
    scale against ~5e-7 for the direct sum) but stays within the same 2e-5; float64 within 1e-10
    (measured ~5e-15)."""
    case["weight"] = (case["weight"][0], case["shape"][1], 3, 3)
    with numba_route("winograd") as nb:
        assert nb.choose(nb.conv_geometry(case["shape"], case["weight"], 1, case["padding"], 1, 1)).route == "winograd"
        _check_conv_against_reference(case, [nb])


@settings(max_examples=25, deadline=None)
@given(case=conv_cases())
def test_im2col_matches_reference_and_col2im_is_its_adjoint(case):
    x, _, _ = _conv_inputs(case)
    k = case["weight"][2:]
    args = (k, case["stride"], case["padding"], case["dilation"])
    cols_ref = REF.im2col(x, *args)
    c = np.random.default_rng(2).standard_normal(cols_ref.shape).astype(x.dtype)
    back_ref = REF.col2im(c, x.shape, *args)
    # <im2col(x), c> == <x, col2im(c)>: col2im is the exact transpose of im2col.
    assert np.isclose(np.vdot(cols_ref, c), np.vdot(x, back_ref), rtol=TOL[case["dtype"]] * 10)
    for impl in FAST:
        np.testing.assert_array_equal(impl.im2col(x, *args), cols_ref)
        assert scaled_error(impl.col2im(c, x.shape, *args), back_ref) <= TOL[case["dtype"]]


def test_backward_computes_only_what_is_asked():
    x, w, _ = _conv_inputs(dict(shape=(2, 3, 6, 6), weight=(4, 3, 3, 3), dtype=np.float32, bias=False))
    dy = np.ones((2, 4, 4, 4), np.float32)
    for impl in [REF] + FAST:
        dx, dw, db = impl.conv2d_backward(dy, x, w, needs=(False, True, False))
        assert dx is None and db is None and dw.shape == w.shape


@st.composite
def pool_cases(draw):
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    SH, SW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, KH // 2)), draw(st.integers(0, KW // 2))
    H, W = draw(st.integers(KH, 8)), draw(st.integers(KW, 8))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W)
    return dict(shape=shape, args=((KH, KW), (SH, SW), (PH, PW)),
                dtype=draw(st.sampled_from([np.float32, np.float64])),
                style=draw(st.sampled_from(["random", "ties", "nan", "-inf"])))


def _pool_input(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["shape"])
    if case["style"] == "ties":
        x = np.round(x)  # many equal maxima per window
    elif case["style"] == "nan":
        x[rng.random(x.shape) < 0.15] = np.nan
    elif case["style"] == "-inf":
        x[rng.random(x.shape) < 0.6] = -np.inf
    return x.astype(case["dtype"])


@settings(max_examples=60, deadline=None)
@given(case=pool_cases())
def test_pooling_matches_reference_including_ties_nan_and_inf(case):
    _check_pooling(case)


@pytest.mark.parametrize("style", ["random", "ties", "nan", "-inf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("H, W", [(8, 6), (7, 9)])
def test_two_by_two_pooling_matches_reference(style, dtype, H, W):
    """The numba implementation's own loop for 2x2 windows at stride 2 (odd sizes drop a row or column)."""
    _check_pooling(dict(shape=(2, 3, H, W), args=(2, 2, 0), dtype=dtype, style=style))


def _check_pooling(case):
    x = _pool_input(case)
    y_ref, idx_ref = REF.max_pool2d_forward(x, *case["args"])
    dy = np.random.default_rng(3).standard_normal(y_ref.shape).astype(x.dtype)
    dx_ref = REF.max_pool2d_backward(dy, idx_ref, x.shape)
    for impl in FAST:
        y, idx = impl.max_pool2d_forward(x, *case["args"])
        np.testing.assert_array_equal(idx, idx_ref, err_msg=impl.__name__)
        np.testing.assert_array_equal(y, y_ref)
        assert y.dtype == x.dtype and idx.dtype == np.int64
        np.testing.assert_allclose(impl.max_pool2d_backward(dy, idx, x.shape), dx_ref, rtol=1e-6, atol=1e-6)
    finite = np.nan_to_num(x, neginf=0.0)
    a_ref = REF.avg_pool2d_forward(finite, *case["args"])
    da_ref = REF.avg_pool2d_backward(dy, x.shape, *case["args"])
    for impl in FAST:
        assert scaled_error(impl.avg_pool2d_forward(finite, *case["args"]), a_ref) <= TOL[case["dtype"]]
        assert scaled_error(impl.avg_pool2d_backward(dy, x.shape, *case["args"]), da_ref) <= TOL[case["dtype"]]


@requires_torch
@settings(max_examples=30, deadline=None)
@given(case=pool_cases())
def test_max_pool_indices_match_torch(case):
    x = _pool_input(case)
    (KH, KW), (SH, SW), (PH, PW) = case["args"]
    t_y, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), (KH, KW), (SH, SW), (PH, PW),
                                                return_indices=True)
    y, idx = REF.max_pool2d_forward(x, *case["args"])
    np.testing.assert_array_equal(y, t_y.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    t_a = torch.nn.functional.avg_pool2d(torch.from_numpy(np.nan_to_num(x, neginf=0.0)), (KH, KW), (SH, SW), (PH, PW))
    assert scaled_error(REF.avg_pool2d_forward(np.nan_to_num(x, neginf=0.0), *case["args"]), t_a.numpy()) <= TOL[case["dtype"]]


@requires_torch
@settings(max_examples=25, deadline=None)
@given(case=conv_cases())
def test_reference_conv_matches_torch(case):
    x, w, b = _conv_inputs(case)
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    tb = torch.from_numpy(b).requires_grad_() if b is not None else None
    ty = torch.nn.functional.conv2d(tx, tw, tb, *_args(case))
    y = REF.conv2d_forward(x, w, b, *_args(case))
    assert scaled_error(y, ty.detach().numpy()) <= TOL[case["dtype"]]
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    ty.backward(torch.from_numpy(dy))
    dx, dw, db = REF.conv2d_backward(dy, x, w, *_args(case))
    term = np.abs(dy).max()  # the size of the terms each gradient sums
    assert scaled_error(dx, tx.grad.numpy(), floor=term * np.abs(w).max()) <= TOL[case["dtype"]]
    assert scaled_error(dw, tw.grad.numpy(), floor=term * np.abs(x).max()) <= TOL[case["dtype"]]
    if b is not None:
        assert scaled_error(db, tb.grad.numpy(), floor=term) <= TOL[case["dtype"]]


def test_numba_routines_give_the_same_results_with_the_jit_off():
    """NUMBA_DISABLE_JIT=1 runs the same routines as Python; both must agree (on a tiny case)."""
    script = textwrap.dedent("""
        import numpy as np, kernels
        nb = kernels.load("numba")
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 3, 6, 5)); w = rng.standard_normal((4, 3, 3, 2)); b = np.ones(4)
        w_big = rng.standard_normal((2, 3, 8, 8))
        out = [nb.conv2d_forward(x, w, b, 1, 1, 1, 1), *nb.conv2d_backward(np.ones((2, 4, 6, 6)), x, w, 1, 1, 1, 1),
               nb.conv2d_forward(x, w, b, 2, 1, 1, 1), *nb.conv2d_backward(np.ones((2, 4, 3, 3)), x, w, 2, 1, 1, 1),
               nb.conv2d_forward(x, w_big, None, 1, 3, 1, 1), *nb.conv2d_backward(np.ones((2, 2, 5, 4)), x, w_big, 1, 3, 1, 1)[:2],
               nb.conv2d_forward(x, w_big, None, 2, 3, 1, 1), *nb.conv2d_backward(np.ones((2, 2, 3, 2)), x, w_big, 2, 3, 1, 1)[:2],
               *nb.max_pool2d_forward(x, 2, 1, 1), nb.avg_pool2d_forward(x, 3, 2, 1),
               nb.avg_pool2d_backward(np.ones((2, 3, 3, 3)), x.shape, 3, 2, 1)]
        w5, w3 = rng.standard_normal((5, 3, 5, 5)), rng.standard_normal((6, 1, 3, 3))
        out += [nb.conv2d_forward(x, w5, b[:1].repeat(5), 1, 2), *nb.conv2d_backward(np.ones((2, 5, 6, 5)), x, w5, 1, 2),
                nb.conv2d_forward(x, w3, None, 1, 1, 1, 3), *nb.conv2d_backward(np.ones((2, 6, 6, 5)), x, w3, 1, 1, 1, 3)]
        from kernels import routes
        routes.set_route("winograd")
        w3 = rng.standard_normal((4, 3, 3, 3))
        out += [nb.conv2d_forward(x, w3, b, 1, 1), *nb.conv2d_backward(rng.standard_normal((2, 4, 6, 5)), x, w3, 1, 1),
                nb.conv2d_forward(x, w3, None, 1, 0), *nb.conv2d_backward(rng.standard_normal((2, 4, 4, 3)), x, w3, 1, 0)]
        routes.set_route(None, rows=2)  # the 1x1 and depthwise routes, each sample cut into two row blocks
        w1, wd = rng.standard_normal((4, 3, 1, 1)), rng.standard_normal((6, 1, 3, 3))
        out += [nb.conv2d_forward(x, w1, b, 2), *nb.conv2d_backward(np.ones((2, 4, 3, 3)), x, w1, 2),
                nb.conv2d_forward(x, wd, None, 2, 1, 1, 3), *nb.conv2d_backward(np.ones((2, 6, 3, 3)), x, wd, 2, 1, 1, 3)[:2],
                *nb.max_pool2d_forward(x, 3, 2, 1, 2, True), nb.avg_pool2d_forward(x, 3, 2, 1, True, False),
                *nb.adaptive_max_pool2d_forward(x, (4, 3)), nb.adaptive_avg_pool2d_forward(x, (4, 3))]
        np.savez(__import__("sys").argv[1], *out)
    """)
    results = []
    for jit_off in ("1", "0"):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"mytorch_jit_{jit_off}_{os.getpid()}.npz")
        env = dict(os.environ, NUMBA_DISABLE_JIT=jit_off)
        subprocess.run([sys.executable, "-c", script, path], check=True, env=env,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with np.load(path) as f:
            results.append([f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))])
        os.remove(path)
    # The script runs the direct routines (stride 1; rows of 2, 5 and 3 taps, K = 3*3*2, 3*5*5, 1*3*3),
    # im2col (K = 3*8*8; the wide-grid fill at stride 1, row by row at stride 2) and Winograd (its
    # channel threshold lowered).
    from kernels import routes
    assert 3 * 3 * 2 <= routes.DIRECT_MAX_K_OTHER < 3 * 8 * 8 and 3 * 5 * 5 <= routes.DIRECT_MAX_K
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_im2col_memory_stays_flat_past_the_budget():
    """Peak memory of a large-K conv grows with the batch only through input/output, not columns."""
    nb = kernels.load("numba")
    previous = kernels.get_memory_budget()
    kernels.set_memory_budget(8 * 2 ** 20)
    try:
        w = np.ones((8, 32, 3, 3), np.float32)
        peaks = {}
        for N in (16, 64):
            x = np.ones((N, 32, 32, 32), np.float32)
            nb.conv2d_forward(x, w, None, 1, 1)  # warm the workspace
            tracemalloc.start()
            nb.conv2d_forward(x, w, None, 1, 1)
            peaks[N] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        cols_per_sample = 32 * 9 * 32 * 32 * 4  # 1.2 MB: unbounded, 64 samples would add 75 MB
        out_per_sample = 8 * 32 * 32 * 4
        assert peaks[64] - peaks[16] <= 48 * out_per_sample + 4 * 2 ** 20
        assert peaks[64] < 64 * cols_per_sample / 4
    finally:
        kernels.set_memory_budget(previous)


@pytest.mark.parametrize("impl", [REF] + FAST, ids=lambda m: m.__name__)
def test_weight_that_does_not_fit_the_groups_is_refused(impl):
    """The jitted loops index without bounds checks: a bad shape must stop before them."""
    x = np.ones((1, 6, 5, 5))
    with pytest.raises(ValueError, match=r"weight of shape \(4, 2, 3, 3\) with groups=3 .* 6 channels"):
        impl.conv2d_forward(x, np.ones((4, 2, 3, 3)), None, 1, 0, 1, 3)
    with pytest.raises(ValueError, match="groups=1 does not fit input with 6 channels"):
        impl.conv2d_backward(np.ones((1, 4, 3, 3)), x, np.ones((4, 5, 3, 3)))


def test_unknown_implementation_lists_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        kernels.load("cuda")


@pytest.mark.parametrize("shape_a, shape_b", [((1024, 600), (600, 64)), ((16, 8192), (8192, 300))])
def test_threaded_matmul_splits_rows_or_columns_exactly(shape_a, shape_b):
    from kernels import _threads
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    assert shape_a[0] * shape_a[1] * shape_b[1] >= _threads.MATMUL_MIN_MACS  # takes the split path
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(2)
        np.testing.assert_allclose(_threads.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(_threads.matmul(a.T.copy().T, b[:, ::-1]), a @ b[:, ::-1], rtol=1e-12, atol=1e-12)
    finally:
        _threads.set_num_threads(before)


def test_run_parallel_keeps_order_and_waits_for_every_part_when_one_fails():
    from kernels import _threads
    previous = _threads.get_num_threads()
    _threads.set_num_threads(3)
    try:
        assert _threads.run_parallel(lambda p: p * p, [1, 2, 3, 4]) == [1, 4, 9, 16]
        finished = []

        def part(p):
            if p == 0:
                raise ValueError("first part failed")
            time.sleep(0.05)
            finished.append(p)
        with pytest.raises(ValueError, match="first part failed"):
            _threads.run_parallel(part, [0, 1, 2])
        assert sorted(finished) == [1, 2]  # the caller never returns while a part still writes
    finally:
        _threads.set_num_threads(previous)


@pytest.mark.parametrize("spin", [True, False], ids=["spin", "block"])
def test_run_parallel_from_two_threads_at_once(spin, monkeypatch):
    """A call made while another thread's call holds the workers runs its parts itself: both get
    their own results, in order; with the hand-off's spin and without it (the workers then always
    block, as under NUMBA_DISABLE_JIT=1)."""
    from kernels import _threads
    previous = _threads.get_num_threads()
    _threads.set_num_threads(1)  # a new pool below, made with or without the spin
    if not spin:
        monkeypatch.setattr(_threads, "_spinner", lambda: None)
    _threads.set_num_threads(2)
    results, errors = {}, []

    def caller(k):
        try:
            for _ in range(200):
                got = _threads.run_parallel(lambda p: (k, p, np.sqrt(np.full(1000, p)).sum()), list(range(5)))
                assert [g[:2] for g in got] == [(k, p) for p in range(5)]
            results[k] = True
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)
    try:
        threads = [threading.Thread(target=caller, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors and results == {0: True, 1: True}
        assert _threads.run_parallel(lambda p: p + 1, [0, 1, 2]) == [1, 2, 3]
    finally:
        _threads.set_num_threads(1)  # drops this test's pool
        _threads.set_num_threads(previous)


def test_spin_wait_sees_a_change_and_gives_up_without_one():
    """The pool's hand-off: kernels._spin watches an int64 without the GIL, returns True once another
    thread changes it, False after its rounds run out."""
    from kernels import _spin
    if not _spin.AVAILABLE:
        pytest.skip("the spin needs numba's JIT")
    counter = np.zeros(1, np.int64)
    assert _spin.wait_while_equal(counter.ctypes.data, 0, rounds=100) is False
    setter = threading.Timer(0.01, counter.__setitem__, (0, 7))
    setter.start()
    assert _spin.wait_while_equal(counter.ctypes.data, 0, rounds=10 ** 9) is True  # ends when it changes
    setter.join()
    assert counter[0] == 7


def test_im2col_where_a_dilated_tap_never_lands_inside_the_input():
    """Regression: a 1x5 kernel, dilation 2, padding 2, on a 5-wide input has one output column that
    two taps see only padding on; the numba fill zeroed past the end of that row."""
    x = np.arange(10, dtype=np.float32).reshape(2, 1, 1, 5)
    args = ((1, 5), 1, (0, 2), (1, 2))
    want = REF.im2col(x, *args)
    for impl in FAST:
        np.testing.assert_array_equal(impl.im2col(x, *args), want)


def test_winograd_tile_transforms_are_the_matrices_they_write_out():
    """The hand-written loops of kernels/_winograd.py against B^T d B, A^T m A and A g A^T with the
    module's own matrices, on one tile (padding tile included in the layout), the input transform's
    adjoint against the transform, and the filter transforms against G w G^T and G^T m G."""
    from kernels import _winograd as wino
    rng = np.random.default_rng(4)
    d = rng.standard_normal((1, 1, 6, 6))
    TH, TW, T = wino.tiles(4, 4)
    V = np.empty((wino.P, T))
    wino.input_transform(d, V, T, 0, 0, TH, TW)
    np.testing.assert_allclose(V[:, 0].reshape(6, 6), wino.BT @ d[0, 0] @ wino.BT.T, rtol=1e-14, atol=1e-13)
    m = rng.standard_normal((wino.P, T))
    y = np.empty((1, 1, 4, 4))
    wino.output_transform(m, T, np.zeros(1), y, TH, TW)
    np.testing.assert_allclose(y[0, 0], wino.AT @ m[:, 0].reshape(6, 6) @ wino.AT.T, rtol=1e-14, atol=1e-13)
    g = rng.standard_normal((1, 1, 4, 4))
    D = np.empty((wino.P, T))
    wino.grad_transform(g, D, T, TH, TW)
    np.testing.assert_allclose(D[:, 0].reshape(6, 6), wino.AT.T @ g[0, 0] @ wino.AT, rtol=1e-14, atol=1e-13)
    # input_transform_adjoint is input_transform's transpose: <V(x), dV> == <x, V^T(dV)>, here on
    # three images with padding and a partial last tile
    x = rng.standard_normal((3, 2, 7, 10))
    TH, TW, per_image = wino.tiles(7, 10)
    T = 3 * per_image
    V = np.empty((wino.P, 2 * T))
    wino.input_transform(x, V, T, 1, 1, TH, TW)
    dV = rng.standard_normal(V.shape)
    dx = np.empty_like(x)
    wino.input_transform_adjoint(dV, T, dx, 1, 1, TH, TW)
    assert np.isclose(np.vdot(V, dV), np.vdot(x, dx), rtol=1e-13)
    w = rng.standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(wino.filter_transform(w)[:, 1, 2].reshape(6, 6), wino.G @ w[1, 2] @ wino.G.T,
                               rtol=1e-14, atol=1e-14)
    m = rng.standard_normal((wino.P, 2, 3))
    np.testing.assert_allclose(wino.filter_gradient(m)[1, 2], wino.G.T @ m[:, 1, 2].reshape(6, 6) @ wino.G,
                               rtol=1e-14, atol=1e-14)
    # and the three matrices compute a 3x3 correlation exactly: A^T [(G w G^T) . (B^T d B)] A
    direct = np.array([[np.sum(d[0, 0, a:a + 3, b:b + 3] * w[0, 0]) for b in range(4)] for a in range(4)])
    np.testing.assert_allclose(wino.AT @ ((wino.G @ w[0, 0] @ wino.G.T) * (wino.BT @ d[0, 0] @ wino.BT.T)) @ wino.AT.T,
                               direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(kernels.IMPLEMENTATIONS))
@pytest.mark.parametrize("threads", [1, 3])
def test_relu_kernels_keep_torchs_rules_on_every_implementation(name, threads):
    """relu(NaN) = NaN, relu(-0.0) = -0.0, negatives 0; the gradient is 0 where the output is <= 0
    (a masked inf too) and passes where it is NaN or positive: exact, on float32/float64/int64/float16,
    and a 300k-element array split over three threads equals the one-thread result bit for bit."""
    from kernels import _threads
    impl = kernels.load(name)
    previous = _threads.get_num_threads()
    _threads.set_num_threads(threads)
    try:
        x = np.array([np.nan, -1.5, 2.0, 0.0, -0.0, np.inf, -np.inf], np.float64)
        g = np.array([1.0, np.inf, 3.0, 4.0, 5.0, 6.0, np.nan])
        for dtype in (np.float32, np.float64, np.float16):
            y = impl.relu(x.astype(dtype))
            assert y.dtype == dtype
            np.testing.assert_array_equal(y, np.array([np.nan, 0, 2, 0, -0.0, np.inf, 0], dtype))
            assert np.signbit(y[4]) and not np.signbit(y[1])
            np.testing.assert_array_equal(impl.relu_backward(g.astype(dtype), y),
                                          np.array([1, 0, 3, 0, 0, 6, 0], dtype))
        ints = np.array([-3, 0, 4], np.int64)
        np.testing.assert_array_equal(impl.relu(ints), [0, 0, 4])
        scalar = impl.relu(np.array(-2.0, np.float32))  # a 0-d array stays 0-d
        assert scalar.shape == () and scalar == 0
        assert impl.relu_backward(np.array(3.0, np.float32), np.array(1.0, np.float32)).shape == ()
        big = np.random.default_rng(0).standard_normal((3, 100_003)).astype(np.float32)[:, ::1]
        grad = np.random.default_rng(1).standard_normal(big.shape).astype(np.float32)
        y = impl.relu(big)
        np.testing.assert_array_equal(y, np.maximum(big, 0))
        np.testing.assert_array_equal(impl.relu_backward(grad, y), np.where(big > 0, grad, 0))
        np.testing.assert_array_equal(impl.relu(big.T), np.maximum(big.T, 0))  # a non-contiguous input
    finally:
        _threads.set_num_threads(previous)


@pytest.mark.parametrize("name", sorted(kernels.IMPLEMENTATIONS))
@pytest.mark.parametrize("threads", [1, 3])
def test_batch_norm_kernels_against_float64_formulas(name, threads):
    """Training-mode batch norm forward and backward on (N, C), (N, C, L) and (N, C, H, W) inputs,
    with and without affine parameters, against the formulas in float64 (torch's definitions:
    biased variance, dx = w invstd / n (n g - sum g - xhat sum(g xhat))). float64 agrees to 1e-12
    of the scale; float32 to 1e-6 (its statistics are summed in float64, then every output rounds
    once or twice); float16 is computed by the reference path and rounds at 1e-3."""
    from kernels import _threads
    impl = kernels.load(name)
    rng = np.random.default_rng(5)
    previous = _threads.get_num_threads()
    _threads.set_num_threads(threads)
    try:
        for shape in [(64, 3), (8, 5, 33), (16, 7, 9, 11)]:
            for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-6), (np.float16, 2e-3)):
                x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
                g = rng.standard_normal(shape).astype(dtype)
                C = shape[1]
                for weight, bias in ((None, None), (rng.standard_normal(C), rng.standard_normal(C))):
                    y, mean, var, invstd = impl.batch_norm_forward(x, weight, bias, 1e-5)
                    axes = (0,) + tuple(range(2, x.ndim))
                    view = [1] * x.ndim
                    view[1] = C
                    x64, g64 = x.astype(np.float64), g.astype(np.float64)
                    m = x64.mean(axis=axes, keepdims=True)
                    v = ((x64 - m) ** 2).mean(axis=axes, keepdims=True)
                    xhat = (x64 - m) / np.sqrt(v + 1e-5)
                    w = np.ones(C) if weight is None else weight
                    b = np.zeros(C) if bias is None else bias
                    assert y.dtype == dtype
                    assert scaled_error(y, xhat * w.reshape(view) + b.reshape(view)) < tol
                    assert scaled_error(var, v.reshape(-1)) < 1e-12 and scaled_error(mean, m.reshape(-1)) < 1e-12
                    n = x.size // C
                    dxhat = g64 * w.reshape(view)
                    dx_want = (1 / np.sqrt(v + 1e-5)) / n * (n * dxhat - dxhat.sum(axis=axes, keepdims=True)
                                                               - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True))
                    dx, dw, db = impl.batch_norm_backward(g, x, mean, invstd, weight)
                    assert dx.dtype == dtype
                    assert scaled_error(dx, dx_want) < tol * 10  # three products and two sums per element
                    assert scaled_error(dw, (g64 * xhat).sum(axis=axes)) < tol
                    assert scaled_error(db, g64.sum(axis=axes)) < tol
                    none, dw2, db2 = impl.batch_norm_backward(g, x, mean, invstd, weight, need_dx=False)
                    assert none is None and np.array_equal(dw2, dw) and np.array_equal(db2, db)
    finally:
        _threads.set_num_threads(previous)
