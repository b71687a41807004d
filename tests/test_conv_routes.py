"""The numba implementation's convolution routes, each forced through kernels.routes.force_route,
against the reference loops and torch; and what issue 15 asks of every route: empty batches,
float16, non-finite inputs, the memory budget for one large image, threads racing.

Tolerances as tests/test_kernels.py: float64 1e-10 of the output's scale (summation order only),
float32 2e-5 (Winograd's transforms grow float32 rounding ~4x, still far inside); float16 results
are float32 computations rounded to float16, so they agree with torch's float16 to a few float16
ulps (2e-3 relative to the scale).
"""
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from kernels import routes
from kernels import _plan, _threads
from conftest import requires_torch, torch
from helpers import scaled_error

REF = kernels.load("reference")
NB = kernels.load("numba")
TOL = {np.float64: 1e-10, np.float32: 2e-5}


@st.composite
def cases(draw, route):
    """A convolution the route can serve: any shape for im2col, stride 1 for direct and the wide
    grid, 3x3 stride 1 for Winograd (groups included), 1x1 unpadded for the 1x1 route, groups =
    channels for depthwise, stride 1 and dilation > 1 for the dilated route."""
    G = draw(st.sampled_from([1, 1, 2, 3]))
    C, F = G * draw(st.integers(1, 4)), G * draw(st.integers(1, 4))
    KH, KW = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    SH, SW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    DH, DW = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    if route in ("direct", "im2col_wide", "winograd"):
        SH = SW = 1
    if route == "winograd":
        KH, KW, DH, DW = 3, 3, 1, 1
    if route == "dilated":
        SH = SW = 1
        DH, DW = draw(st.sampled_from([(2, 1), (1, 2), (2, 2), (3, 2)]))
    if route == "1x1":
        KH = KW = 1
        PH = PW = 0
    if route == "depthwise":
        G = C = draw(st.integers(2, 4))
        F = C * draw(st.integers(1, 2))
    lo_h, lo_w = max(1, DH * (KH - 1) + 1 - 2 * PH), max(1, DW * (KW - 1) + 1 - 2 * PW)
    H, W = draw(st.integers(lo_h, max(lo_h, 10))), draw(st.integers(lo_w, max(lo_w, 10)))
    return dict(shape=(draw(st.integers(1, 3)), C, H, W), weight=(F, C // G, KH, KW), args=((SH, SW), (PH, PW),
                (DH, DW), G), dtype=draw(st.sampled_from([np.float32, np.float64])), bias=draw(st.booleans()),
                rows=draw(st.sampled_from([None, 1, 2, 3])))


def _inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case["shape"]).astype(case["dtype"])
    w = rng.standard_normal(case["weight"]).astype(case["dtype"])
    b = rng.standard_normal(case["weight"][0]).astype(case["dtype"]) if case["bias"] else None
    return x, w, b


def _check(case, route):
    x, w, b = _inputs(case)
    args = case["args"]
    with routes.force_route(route, case["rows"]):
        assert NB.choose(NB.conv_geometry(x.shape, w.shape, *args)).route == route
        y = NB.conv2d_forward(x, w, b, *args)
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
        got = NB.conv2d_backward(dy, x, w, *args)
    tol = TOL[case["dtype"]]
    assert y.dtype == x.dtype and scaled_error(y, REF.conv2d_forward(x, w, b, *args)) <= tol
    floors = (np.abs(dy).max() * np.abs(w).max(), np.abs(dy).max() * np.abs(x).max(), np.abs(dy).max())
    for name, g, want, floor in zip(("dx", "dw", "db"), got, REF.conv2d_backward(dy, x, w, *args), floors):
        assert g.dtype == x.dtype and scaled_error(g, want, floor) <= tol, name


@pytest.mark.parametrize("route", routes.ROUTES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_route_matches_reference(route, data):
    """Each route on shapes it serves, with each sample whole or cut into 1-3 blocks of rows."""
    _check(data.draw(cases(route)), route)


def test_unknown_route_lists_the_choices():
    with pytest.raises(ValueError, match="choose one of direct, winograd"):
        routes.set_route("fft")


def test_a_forced_route_that_cannot_serve_the_shape_gives_way():
    g = NB.conv_geometry((1, 4, 9, 9), (4, 4, 5, 5), 2, 1, 1, 1)
    with routes.force_route("winograd"):
        assert NB.choose(g).route == "im2col"


def test_choose_route_picks_by_geometry():
    """The automatic choice on one layer of each kind (a change of a threshold must be deliberate)."""
    def pick(x, w, s=1, p=0, d=1, G=1):
        return routes.choose_route(NB.conv_geometry(x, w, s, p, d, G), 1).route
    assert pick((64, 6, 14, 14), (16, 6, 5, 5)) == "direct"
    assert pick((32, 16, 28, 28), (32, 16, 5, 5), p=2) == "direct"
    assert pick((16, 32, 28, 28), (64, 32, 5, 5), p=2) != "direct"
    assert pick((32, 24, 14, 14), (128, 24, 5, 5), p=2) != "direct"
    assert pick((32, 64, 32, 32), (64, 64, 3, 3), p=1) == "winograd"
    assert pick((32, 24, 15, 15), (48, 24, 3, 3), p=1) == "winograd"
    assert pick((32, 12, 24, 24), (24, 12, 3, 3), p=1) == "winograd"
    # Winograd's blocks hold >= 256 tiles, so wide layers on small planes take it too (session 5:
    # 256 channels on 12x12, 92 ms against im2col's 158), but not 512 channels on 8x8 planes
    assert pick((32, 256, 12, 12), (256, 256, 3, 3), p=1) == "winograd"
    assert pick((32, 256, 8, 8), (256, 256, 3, 3), p=1) == "winograd"
    assert pick((8, 512, 12, 12), (512, 512, 3, 3), p=1) == "winograd"
    assert pick((32, 512, 8, 8), (512, 512, 3, 3), p=1) != "winograd"
    assert pick((32, 512, 4, 4), (512, 512, 3, 3), p=1) != "winograd"
    assert pick((32, 64, 28, 28), (128, 64, 1, 1)) == "1x1"
    assert pick((32, 64, 28, 28), (128, 64, 1, 1), s=2) == "1x1"
    assert pick((8, 32, 28, 28), (32, 1, 3, 3), s=2, p=1, G=32) == "depthwise"
    assert pick((32, 32, 32, 32), (64, 32, 3, 3), s=2, p=1) == "im2col"
    assert pick((8, 3, 112, 112), (64, 3, 7, 7), s=2, p=3) == "im2col"
    assert pick((32, 64, 28, 28), (64, 16, 3, 3), p=1, G=4) == "winograd"
    assert pick((8, 64, 64, 64), (64, 64, 3, 3), p=2, d=2) == "dilated"
    assert pick((32, 32, 32, 32), (32, 32, 3, 3), p=2, d=2) == "im2col_wide"


def test_small_batches_are_cut_into_rows_for_the_threads():
    g = NB.conv_geometry((1, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1, 1)
    assert routes.choose_route(g, 1).rows == 1
    assert routes.choose_route(g, 4).rows == 4
    assert routes.choose_route(g._replace(N=2), 4).rows == 2


# ---------------------------------------------------------------------------- empty batches
@pytest.mark.parametrize("route", routes.ROUTES)
@pytest.mark.parametrize("impl", ["reference", "numpy", "numba"])
def test_empty_batch_gives_empty_results(route, impl):
    m = kernels.load(impl)
    w = np.ones((4, 1, 3, 3) if route == "depthwise" else (4, 4, 1, 1) if route == "1x1" else (4, 4, 3, 3),
                np.float32)
    G = 4 if route == "depthwise" else 1
    x = np.ones((0, 4, 8, 8), np.float32)
    d = 2 if route == "dilated" else 1
    with routes.force_route(route):
        y = m.conv2d_forward(x, w, np.ones(4, np.float32), 1, 0, d, G)
        dx, dw, db = m.conv2d_backward(np.ones(y.shape, np.float32), x, w, 1, 0, d, G)
    OH = 8 if route == "1x1" else 4 if route == "dilated" else 6
    assert y.shape == (0, 4, OH, OH) and dx.shape == x.shape and y.dtype == dx.dtype == np.float32
    np.testing.assert_array_equal(dw, np.zeros_like(w))
    np.testing.assert_array_equal(db, np.zeros(4))
    y, idx = m.max_pool2d_forward(x, 2)
    assert y.shape == idx.shape == (0, 4, 4, 4) and m.max_pool2d_backward(y, idx, x.shape).shape == x.shape
    assert m.avg_pool2d_forward(x, 3, 2, 1).shape == (0, 4, 4, 4)
    assert m.avg_pool2d_backward(np.ones((0, 4, 4, 4), np.float32), x.shape, 3, 2, 1).shape == x.shape


# ---------------------------------------------------------------------------- float16
@requires_torch
@pytest.mark.parametrize("route", routes.ROUTES)
def test_float16_on_every_route_matches_torch(route):
    rng = np.random.default_rng(3)
    G = 4 if route == "depthwise" else 1
    k = 1 if route == "1x1" else 3
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float16)
    w = (rng.standard_normal((4, 4 // G, k, k)) / 3).astype(np.float16)
    b = rng.standard_normal(4).astype(np.float16)
    p, d = (0, 1) if route == "1x1" else (2, 2) if route == "dilated" else (1, 1)
    with routes.force_route(route):
        y = NB.conv2d_forward(x, w, b, 1, p, d, G)
        dy = rng.standard_normal(y.shape).astype(np.float16)
        dx, dw, db = NB.conv2d_backward(dy, x, w, 1, p, d, G)
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, 1, p, d, G)
    ty.backward(torch.from_numpy(dy))
    for ours, theirs in ((y, ty), (dx, tx.grad), (dw, tw.grad), (db, tb.grad)):
        assert ours.dtype == np.float16
        assert scaled_error(ours, theirs.detach().numpy()) <= 2e-3


# ---------------------------------------------------------------------------- non-finite values
def _pattern(a):
    a = np.asarray(a, np.float64)
    return np.isnan(a) * 1 + np.isposinf(a) * 2 + np.isneginf(a) * 4


@requires_torch
@pytest.mark.parametrize("route", routes.ROUTES)
@pytest.mark.parametrize("where", ["input", "weight", "grad"])
def test_non_finite_values_give_torchs_pattern_on_every_route(route, where):
    """One inf, one -inf and one NaN: every output, dx and dW entry is NaN/inf exactly where torch's
    is (Winograd alone would spread them over whole tiles), finite values agree."""
    rng = np.random.default_rng(5)
    G = 4 if route == "depthwise" else 1
    k, p = (1, 0) if route == "1x1" else (3, 1)
    d = 2 if route == "dilated" else 1
    p *= d
    x = rng.standard_normal((2, 4, 12, 11))
    w = rng.standard_normal((4, 4 // G, k, k))
    dy = rng.standard_normal((2, 4, 12, 11))
    target = {"input": x, "weight": w, "grad": dy}[where]
    flat = target.reshape(-1)
    flat[rng.choice(flat.size, 3, replace=False)] = [np.inf, -np.inf, np.nan]
    with routes.force_route(route):
        y = NB.conv2d_forward(x, w, None, 1, p, d, G)
        dx, dw, _ = NB.conv2d_backward(dy, x, w, 1, p, d, G)
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    ty = torch.nn.functional.conv2d(tx, tw, None, 1, p, d, G)
    ty.backward(torch.from_numpy(dy))
    with routes.force_route(route):  # the input gradient alone: nothing else to give the values away
        dx_alone = NB.conv2d_backward(dy, x, w, 1, p, d, G, needs=(True, False, False))[0]
    for ours, theirs in ((y, ty.detach()), (dx, tx.grad), (dw, tw.grad), (dx_alone, tx.grad)):
        theirs = theirs.numpy()
        np.testing.assert_array_equal(_pattern(ours), _pattern(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------- memory budget
@pytest.mark.parametrize("route", routes.ROUTES)
def test_one_large_image_stays_within_the_memory_budget(route):
    """Batch 1 whose columns alone would take many times the budget: the call's extra memory
    (beyond input, output and their padded copies) stays under the budget, and what the workspace
    keeps afterwards too."""
    G = 16 if route == "depthwise" else 1
    k, p = (1, 0) if route == "1x1" else (3, 1)
    d = 2 if route == "dilated" else 1
    p *= d
    x = np.ones((1, 16, 192, 192), np.float32)  # 2.4 MB; im2col columns 21 MB, Winograd tiles 10 MB
    w = np.ones((16, 16 // G, k, k), np.float32)
    previous = kernels.get_memory_budget()
    kernels.set_memory_budget(2 ** 21)
    try:
        with routes.force_route(route):
            NB.conv2d_forward(x, w, None, 1, p, d, G)  # compile and warm the workspace
            dy = np.ones((1, 16, 192, 192), np.float32)
            NB.conv2d_backward(dy, x, w, 1, p, d, G)
            _plan.workspace.release()
            tracemalloc.start()
            NB.conv2d_forward(x, w, None, 1, p, d, G)
            NB.conv2d_backward(dy, x, w, 1, p, d, G)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        # the result, dx, its padded copy, the input's padded copy, the row blocks' gradients: ~5 images
        assert peak <= 2 ** 21 + 6 * x.nbytes, (route, peak)
        assert _plan.workspace.nbytes() <= 2 ** 21
    finally:
        kernels.set_memory_budget(previous)


# ---------------------------------------------------------------------------- threads
def _conv_step(x, w, route):
    with routes.force_route(route):
        y = NB.conv2d_forward(x, w, None, 1, 1)
        return [y, *NB.conv2d_backward(y, x, w, 1, 1)]


def test_set_num_threads_racing_convolutions_never_deadlocks():
    """One thread changes the thread count while another convolves (the two locks were once taken
    in opposite orders); both finish, and the convolutions' results stay right."""
    previous = _threads.get_num_threads()
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 16, 20, 20)), rng.standard_normal((16, 16, 3, 3))
    want = _conv_step(x, w, "im2col")
    errors, stop = [], threading.Event()

    def convolve():
        try:
            while not stop.is_set():
                for got, ref in zip(_conv_step(x, w, "im2col"), want):
                    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
        except BaseException as e:  # re-raised below
            errors.append(e)

    def resize():
        try:
            for i in range(60):
                _threads.set_num_threads(1 + i % 3)
        except BaseException as e:
            errors.append(e)
    workers = [threading.Thread(target=convolve, daemon=True), threading.Thread(target=resize, daemon=True)]
    try:
        for t in workers:
            t.start()
        workers[1].join(timeout=120)
        stop.set()
        workers[0].join(timeout=120)
        assert not any(t.is_alive() for t in workers), "deadlock: a thread never finished"
        assert not errors, errors
    finally:
        stop.set()
        _threads.set_num_threads(previous)


@pytest.mark.parametrize("route", ["direct", "winograd", "im2col", "im2col_wide"])
def test_concurrent_callers_get_the_sequential_results(route):
    """Four threads convolving their own inputs at once on every route: each gets what it gets
    alone (the pool serves one caller; the others run their parts themselves)."""
    previous = _threads.get_num_threads()
    _threads.set_num_threads(2)
    rng = np.random.default_rng(1)
    inputs = [(rng.standard_normal((3, 8, 18, 17)), rng.standard_normal((8, 8, 3, 3))) for _ in range(4)]
    want = [_conv_step(x, w, route) for x, w in inputs]
    got, errors = {}, []

    def run(i):
        try:
            for _ in range(5):
                got[i] = _conv_step(*inputs[i], route)
                for a, b in zip(got[i], want[i]):
                    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        except BaseException as e:
            errors.append(e)
    try:
        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads) and not errors, errors
    finally:
        _threads.set_num_threads(previous)


def test_reduce_sum_splits_large_sums_over_the_threads_exactly():
    previous = _threads.get_num_threads()
    _threads.set_num_threads(3)
    try:
        rng = np.random.default_rng(7)
        for size in (10, _plan.REDUCE_MIN_ELEMENTS + 13):
            parts = [rng.standard_normal(size) for _ in range(3)]
            want = parts[0] + parts[1] + parts[2]
            np.testing.assert_array_equal(_plan.reduce_sum([p.copy() for p in parts]), want)
    finally:
        _threads.set_num_threads(previous)


def test_force_route_is_per_thread():
    """A force_route block holds for its own thread only; set_route for the process."""
    g = NB.conv_geometry((2, 32, 20, 20), (32, 32, 3, 3), 1, 1, 1, 1)
    seen, inside, leave = {}, threading.Event(), threading.Event()

    def other():
        with routes.force_route("im2col"):
            inside.set()
            leave.wait(30)
            seen["other"] = NB.choose(g).route
    t = threading.Thread(target=other)
    t.start()
    inside.wait(30)
    seen["main"] = NB.choose(g).route
    leave.set()
    t.join(30)
    assert seen == {"main": "winograd", "other": "im2col"}
    try:
        routes.set_route("im2col_wide")
        assert NB.choose(g).route == "im2col_wide"
        with routes.force_route("direct"):
            assert NB.choose(g).route == "direct"
        assert routes.get_route() == "im2col_wide"
    finally:
        routes.set_route(None)


def test_winograd_filter_transforms_are_one_gemm_of_the_formula():
    """The route's filter transforms (one GEMM each, on one BLAS thread) against G w G^T and
    G^T m G filter by filter in float64: float32 GEMMs of 9 and 36 terms round at ~1e-7 of the
    values' scale (4e-7 allowed)."""
    from kernels import _winograd as wino
    from kernels import conv_winograd
    rng = np.random.default_rng(8)
    w = rng.standard_normal((256, 64, 3, 3)).astype(np.float32)
    want = np.einsum("ia,fcab,jb->ijfc", wino.G, w.astype(np.float64), wino.G).reshape(36, 256, 64)
    got = conv_winograd._filter_transform(w)
    assert got.dtype == np.float32 and np.abs(got - want).max() <= 4e-7 * np.abs(want).max()
    m = rng.standard_normal((36, 256, 64)).astype(np.float32)
    want = np.einsum("ik,ijfc,jl->fckl", wino.G, m.astype(np.float64).reshape(6, 6, 256, 64), wino.G)
    got = conv_winograd._filter_gradient(m)
    assert got.dtype == np.float32 and np.abs(got - want).max() <= 4e-7 * np.abs(want).max()


@pytest.mark.parametrize("name", sorted(kernels.IMPLEMENTATIONS))
def test_every_implementation_exports_the_contract_with_the_same_signatures(name):
    import inspect
    m, ref = kernels.load(name), kernels.load("reference")
    for fn in kernels.CONTRACT:
        assert fn in m.__all__ and callable(getattr(m, fn)), fn
        ours, theirs = (list(inspect.signature(getattr(mod, fn)).parameters) for mod in (m, ref))
        assert ours == theirs, fn


def test_lowering_the_budget_drops_the_kept_scratch():
    x, w = np.ones((8, 16, 32, 32), np.float32), np.ones((16, 16, 3, 3), np.float32)
    previous = kernels.get_memory_budget()
    try:
        with routes.force_route("im2col"):
            NB.conv2d_forward(x, w, None, 1, 1)
            assert _plan.workspace.nbytes() > 2 ** 20
            kernels.set_memory_budget(2 ** 20)
            NB.conv2d_forward(x[:1, :, :4, :4], w, None, 1, 1)
            assert _plan.workspace.nbytes() <= 2 ** 20
    finally:
        kernels.set_memory_budget(previous)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("route", ["im2col", "im2col_wide"])
def test_single_sample_splits_its_products_over_the_threads(route, threads, monkeypatch):
    """One sample on several threads: the im2col routes keep it whole and split each GEMM's rows
    over the threads (kernels/conv_im2col.py). Forward and every gradient against the reference
    loops, float64 (1e-12 of the scale: the same sums, split by output rows only), grouped as well."""
    from kernels import conv_im2col
    calls = []
    original = conv_im2col._matmul
    monkeypatch.setattr(conv_im2col, "_matmul", lambda *a: calls.append(a[3]) or original(*a))
    rng = np.random.default_rng(21)
    previous = _threads.get_num_threads()
    _threads.set_num_threads(threads)
    try:
        for (C, H, W, F, G, S, P) in [(24, 30, 26, 64, 1, 1, 1), (32, 31, 31, 96, 2, 2, 1)]:
            x = rng.standard_normal((1, C, H, W))
            w = rng.standard_normal((F, C // G, 3, 3))
            b = rng.standard_normal(F)
            if route == "im2col_wide" and S != 1:
                continue
            with routes.force_route(route):
                y = NB.conv2d_forward(x, w, b, S, P, 1, G)
                dy = rng.standard_normal(y.shape)
                got = NB.conv2d_backward(dy, x, w, S, P, 1, G)
            assert scaled_error(y, REF.conv2d_forward(x, w, b, S, P, 1, G)) < 1e-12
            for a, e in zip(got, REF.conv2d_backward(dy, x, w, S, P, 1, G)):
                assert scaled_error(a, e) < 1e-12
        assert calls and all(calls), "the products were not split"
    finally:
        _threads.set_num_threads(previous)


@pytest.mark.parametrize("threads", [1, 2])
def test_winograd_side_by_side_layout_matches_reference(threads, monkeypatch):
    """Narrow planes (<= 16 output pixels wide) with several samples run Winograd's transforms on the
    samples laid side by side (kernels/conv_winograd.py, _Layout): forward, dx and dW against the
    reference loops in float64 (1e-12 of the scale), for paddings 0-2, odd widths and groups."""
    from kernels import conv_winograd
    wide = []
    original = conv_winograd._Layout.__init__

    def spy(self, *args):
        original(self, *args)
        wide.append(self.wide)
    monkeypatch.setattr(conv_winograd._Layout, "__init__", spy)
    rng = np.random.default_rng(31)
    previous = _threads.get_num_threads()
    _threads.set_num_threads(threads)
    try:
        for (N, C, H, W, F, P, G) in [(5, 8, 16, 16, 8, 1, 1), (3, 16, 8, 11, 12, 1, 1), (4, 8, 7, 9, 16, 0, 1),
                                      (6, 16, 12, 10, 16, 1, 2), (2, 8, 13, 5, 8, 2, 1)]:
            x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C // G, 3, 3)), rng.standard_normal(F)
            with routes.force_route("winograd"):
                y = NB.conv2d_forward(x, w, b, 1, P, 1, G)
                dy = rng.standard_normal(y.shape)
                got = NB.conv2d_backward(dy, x, w, 1, P, 1, G)
            assert scaled_error(y, REF.conv2d_forward(x, w, b, 1, P, 1, G)) < 1e-12
            for a, e in zip(got, REF.conv2d_backward(dy, x, w, 1, P, 1, G)):
                assert scaled_error(a, e) < 1e-12
        assert wide and all(wide)
    finally:
        _threads.set_num_threads(previous)
