"""nn.RNN/LSTM/GRU and their cells against torch from the same weights, and float64 central differences.

Tolerances. float64: the same formulas in a different order of summation differ by a few ulps per
step, grown over a handful of steps and layers, so 1e-10 of the result's scale is a wide margin
(agreement is ~1e-15) that a wrong gate, a wrong bias or a missed gradient path breaks by
orders of magnitude. float32: the numba kernels' tanh is a rational approximation within 3e-7
(2-3 ulps) and every GEMM rounds at ~6e-8 per term, grown over the steps and a backward pass, so
gradients get 2e-5 of their scale (outputs 1e-5); a wrong formula is off by >1e-2.
Gradcheck: eps=1e-6 central differences in float64 (truncation ~1e-12, rounding ~1e-10).
"""
import warnings

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.autograd import gradcheck
from mytorch.nn.utils import rnn as rnn_utils

from conftest import requires_torch, torch
from helpers import scaled_error

F32_OUT, F32_GRAD, F64_TOL = 1e-5, 2e-5, 1e-10


def _make_pair(kind, dtype, **kw):
    """The same layer in mytorch and torch, mytorch's weights copied from torch's."""
    tdtype = getattr(torch, dtype)
    if kind == "RNN_RELU":
        theirs = torch.nn.RNN(nonlinearity="relu", dtype=tdtype, **kw)
        ours = nn.RNN(nonlinearity="relu", dtype=getattr(mytorch, dtype), **kw)
    else:
        name = "RNN" if kind == "RNN_TANH" else kind
        theirs = getattr(torch.nn, name)(dtype=tdtype, **kw)
        ours = getattr(nn, name)(dtype=getattr(mytorch, dtype), **kw)
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs_state.items()})
    return ours, theirs


def _grads_agree(pairs, tol, what):
    for name, o, t in pairs:
        if t is None:
            assert o is None or not np.any(o.numpy()), f"{what} {name}: torch has no gradient"
            continue
        assert o is not None, f"{what} {name}: no gradient"
        err = scaled_error(o.numpy(), t.numpy(), floor=1e-3)
        assert err <= tol, f"{what} {name}: gradient differs from torch by {err:.2e} of its scale (tol {tol:.0e})"


def _compare(ours, theirs, lib_inputs, dtype, packed=None):
    """Runs both layers on the same input and hidden state; compares outputs and every gradient
    (input, h0, c0, each parameter) under the same random upstream gradients of output, h_n, c_n."""
    out_tol, grad_tol = (F64_TOL, F64_TOL) if dtype == "float64" else (F32_OUT, F32_GRAD)
    x, hx = lib_inputs
    rng = np.random.default_rng(7)
    results = []
    for lib, module in ((mytorch, ours), (torch, theirs)):
        xi = lib.tensor(x, requires_grad=True)
        inp = xi
        if packed is not None:
            lengths, enforce_sorted = packed
            inp = lib.nn.utils.rnn.pack_padded_sequence(xi, lengths, batch_first=module.batch_first,
                                                        enforce_sorted=enforce_sorted)
        states = None
        if hx is not None:
            states = tuple(lib.tensor(h, requires_grad=True) for h in hx)
        out, h_n = module(inp, None if states is None else (states if len(states) == 2 else states[0]))
        if packed is not None:
            out = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=module.batch_first)[0]
        results.append((xi, states, out, h_n))
    upstream = None
    losses = []
    for lib, (xi, states, out, h_n) in zip((mytorch, torch), results):
        outs = [out] + (list(h_n) if isinstance(h_n, tuple) else [h_n])
        if upstream is None:
            upstream = [rng.standard_normal(tuple(o.shape)) .astype(dtype) for o in outs]
        losses.append(sum((o * lib.tensor(u)).sum() for o, u in zip(outs, upstream)))
    for (xi, states, out, h_n), (_, _, tout, th_n) in [(results[0], results[1])]:
        ours_outs = [out] + (list(h_n) if isinstance(h_n, tuple) else [h_n])
        theirs_outs = [tout] + (list(th_n) if isinstance(th_n, tuple) else [th_n])
        for name, o, t in zip(("output", "h_n", "c_n"), ours_outs, theirs_outs):
            assert tuple(o.shape) == tuple(t.shape), f"{name}: shape {tuple(o.shape)} != {tuple(t.shape)}"
            err = scaled_error(o.detach().numpy(), t.detach().numpy())
            assert err <= out_tol, f"{name} differs from torch by {err:.2e} of its scale (tol {out_tol:.0e})"
    losses[0].backward()
    losses[1].backward()
    (xo, so, _, _), (xt, st, _, _) = results
    pairs = [("input", xo.grad, xt.grad)]
    if so is not None:
        pairs += [(f"hx[{i}]", a.grad, b.grad) for i, (a, b) in enumerate(zip(so, st))]
    theirs_params = dict(theirs.named_parameters())
    pairs += [(n, p.grad, theirs_params[n].grad) for n, p in ours.named_parameters()]
    _grads_agree(pairs, grad_tol, type(ours).__name__)


CONFIGS = [
    # kind, kwargs, with hidden state
    ("LSTM", dict(), False),
    ("LSTM", dict(num_layers=2), True),
    ("LSTM", dict(bidirectional=True), True),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True), True),
    ("LSTM", dict(proj_size=3), True),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True), True),
    ("LSTM", dict(bias=False, batch_first=True), False),
    ("GRU", dict(), False),
    ("GRU", dict(num_layers=2, bidirectional=True), True),
    ("GRU", dict(bias=False, batch_first=True), True),
    ("RNN_TANH", dict(num_layers=2), True),
    ("RNN_TANH", dict(bidirectional=True, bias=False), False),
    ("RNN_RELU", dict(batch_first=True, num_layers=2), True),
]
T, B, I, H = 5, 3, 4, 6


def _inputs(kind, kw, with_hidden, dtype, batch=B, unbatched=False):
    rng = np.random.default_rng(3)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    P = kw.get("proj_size", 0) or H
    if unbatched:
        x = rng.standard_normal((T, I))
    elif kw.get("batch_first"):
        x = rng.standard_normal((batch, T, I))
    else:
        x = rng.standard_normal((T, batch, I))
    hx = None
    if with_hidden:
        lead = (L * D,) if unbatched else (L * D, batch)
        hx = [rng.standard_normal(lead + (P,)).astype(dtype)]
        if kind == "LSTM":
            hx.append(rng.standard_normal(lead + (H,)).astype(dtype))
    return x.astype(dtype), hx


def _kw(kw):
    return dict(dict(input_size=I, hidden_size=H), **kw)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind,kw,with_hidden", CONFIGS)
def test_layer_matches_torch(kind, kw, with_hidden, dtype):
    ours, theirs = _make_pair(kind, dtype, **_kw(kw))
    _compare(ours, theirs, _inputs(kind, kw, with_hidden, dtype), dtype)


@requires_torch
@pytest.mark.parametrize("kind,kw,with_hidden", [("LSTM", dict(), True), ("GRU", dict(bidirectional=True), True),
                                                 ("RNN_TANH", dict(num_layers=2), False),
                                                 ("LSTM", dict(proj_size=2, batch_first=True), False)])
def test_unbatched_matches_torch(kind, kw, with_hidden):
    ours, theirs = _make_pair(kind, "float64", **_kw(kw))
    _compare(ours, theirs, _inputs(kind, kw, with_hidden, "float64", unbatched=True), "float64")


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind,kw,enforce_sorted", [
    ("LSTM", dict(), True), ("LSTM", dict(num_layers=2, bidirectional=True), False),
    ("GRU", dict(bidirectional=True, batch_first=True), False), ("RNN_TANH", dict(), False),
    ("LSTM", dict(proj_size=3, bidirectional=True, batch_first=True), False)])
def test_packed_matches_torch(kind, kw, enforce_sorted, dtype):
    batch = 4
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    ours, theirs = _make_pair(kind, dtype, **_kw(kw))
    _compare(ours, theirs, _inputs(kind, kw, True, dtype, batch=batch), dtype, packed=(lengths, enforce_sorted))


@requires_torch
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cells_match_torch(kind, dtype):
    tol = F64_TOL if dtype == "float64" else F32_GRAD
    rng = np.random.default_rng(5)
    name = {"RNN_TANH": "RNNCell", "RNN_RELU": "RNNCell"}.get(kind, kind + "Cell")
    extra = dict(nonlinearity="relu") if kind == "RNN_RELU" else {}
    for bias, batched, with_state in ((True, True, True), (False, True, False), (True, False, True)):
        theirs = getattr(torch.nn, name)(I, H, bias=bias, dtype=getattr(torch, dtype), **extra)
        ours = getattr(nn, name)(I, H, bias=bias, dtype=getattr(mytorch, dtype), **extra)
        ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        lead = (B,) if batched else ()
        x = rng.standard_normal(lead + (I,)).astype(dtype)
        states = [rng.standard_normal(lead + (H,)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]
        ups = [rng.standard_normal(lead + (H,)).astype(dtype) for _ in states]
        got = []
        for lib, cell in ((mytorch, ours), (torch, theirs)):
            xt = lib.tensor(x, requires_grad=True)
            st = [lib.tensor(s, requires_grad=True) for s in states]
            arg = None if not with_state else (tuple(st) if kind == "LSTM" else st[0])
            out = cell(xt, arg)
            outs = list(out) if kind == "LSTM" else [out]
            sum((o * lib.tensor(u)).sum() for o, u in zip(outs, ups)).backward()
            got.append((outs, xt, st, dict(cell.named_parameters())))
        (oo, ox, os_, op), (to, tx, ts, tp) = got
        for o, t in zip(oo, to):
            assert scaled_error(o.detach().numpy(), t.detach().numpy()) <= tol
        pairs = [("input", ox.grad, tx.grad)] + [(n, op[n].grad, tp[n].grad) for n in tp]
        if with_state:
            pairs += [(f"h{i}", a.grad, b.grad) for i, (a, b) in enumerate(zip(os_, ts))]
        _grads_agree(pairs, tol, name)


@pytest.mark.parametrize("kind,kw", [("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(proj_size=2)),
                                     ("GRU", dict(bidirectional=True, batch_first=True)),
                                     ("RNN_TANH", dict(num_layers=2)), ("RNN_RELU", dict(bias=False))])
def test_gradcheck_layers(kind, kw):
    """float64 central differences for the input, h0/c0 and every parameter."""
    mytorch.manual_seed(0)
    name = "RNN" if kind.startswith("RNN") else kind
    extra = dict(nonlinearity="relu") if kind == "RNN_RELU" else {}
    m = getattr(nn, name)(2, 3, dtype=mytorch.float64, **extra, **kw)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    P = kw.get("proj_size", 0) or 3
    rng = np.random.default_rng(1)
    shape = (2, 3, 2) if kw.get("batch_first") else (3, 2, 2)
    x = mytorch.tensor(rng.standard_normal(shape), requires_grad=True)
    h0 = mytorch.tensor(rng.standard_normal((L * D, 2, P)), requires_grad=True)
    c0 = mytorch.tensor(rng.standard_normal((L * D, 2, 3)), requires_grad=True)
    params = list(m.parameters())

    def fn(x, h0, c0, *ps):
        if kind == "LSTM":
            out, (h, c) = m(x, (h0, c0))
            return out, h, c
        out, h = m(x, h0)
        return out, h
    assert gradcheck(fn, [x, h0, c0] + params, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_packed_and_cells():
    mytorch.manual_seed(0)
    rng = np.random.default_rng(2)
    m = nn.GRU(2, 3, bidirectional=True, dtype=mytorch.float64)
    x = mytorch.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)

    def packed(x, *ps):
        p = rnn_utils.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, h = m(p)
        return rnn_utils.pad_packed_sequence(out)[0], h
    assert gradcheck(packed, [x] + list(m.parameters()), eps=1e-6, atol=1e-6, rtol=1e-4)
    cell = nn.LSTMCell(2, 3, dtype=mytorch.float64)
    xc = mytorch.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = mytorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = mytorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda xc, h, c, *ps: cell(xc, (h, c)), [xc, h, c] + list(cell.parameters()),
                     eps=1e-6, atol=1e-6, rtol=1e-4)
    for one in (nn.GRUCell(2, 3, dtype=mytorch.float64), nn.RNNCell(2, 3, nonlinearity="relu", dtype=mytorch.float64),
                nn.GRUCell(2, 3, bias=False, dtype=mytorch.float64)):
        assert gradcheck(lambda xc, h, *ps: one(xc, h), [xc, h] + list(one.parameters()),
                         eps=1e-6, atol=1e-6, rtol=1e-4)


def test_numpy_and_numba_kernels_agree():
    """The two gate-kernel implementations give the same layer results (float64: to round-off)."""
    rng = np.random.default_rng(4)
    for kind in ("LSTM", "GRU"):
        m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, dtype=mytorch.float64)
        x = rng.standard_normal((5, 2, 3))
        results = []
        for name in ("numpy", "numba"):
            with mytorch.backends.using_kernels(name):
                xt = mytorch.tensor(x, requires_grad=True)
                out, _ = m(xt)
                out.sum().backward()
                results.append((out.detach().numpy(), xt.grad.numpy()))
        for a, b in zip(*results):
            assert scaled_error(a, b) < 1e-12


@requires_torch
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_parameters_init_and_repr_as_torch(kind):
    kw = dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.5, bias=False)
    if kind == "LSTM":
        kw["proj_size"] = 3
    ours, theirs = getattr(nn, kind)(5, 7, **kw), getattr(torch.nn, kind)(5, 7, **kw)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    bound = 1 / np.sqrt(7)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    ours.flatten_parameters()
    cell_t, cell_o = torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), nn.RNNCell(3, 4, bias=False,
                                                                                       nonlinearity="relu")
    assert repr(cell_o) == repr(cell_t)
    assert list(cell_o.state_dict()) == list(cell_t.state_dict())


def test_dropout_between_layers_only_in_training():
    mytorch.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32))
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    c, _ = m(x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    c.sum().backward()
    assert m.weight_ih_l0.grad is not None
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


@requires_torch
def test_errors_as_torch():
    def both(make, call):
        errors = []
        for lib in (mytorch, torch):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    call(lib, make(lib))
                except Exception as e:  # noqa: BLE001  (comparing the two libraries' errors)
                    errors.append((type(e), str(e).replace("mytorch.", "").replace("torch.", "")))
                else:
                    errors.append(None)
        assert errors[0] is not None and errors[0] == errors[1], errors
    lstm = lambda lib: lib.nn.LSTM(4, 3)  # noqa: E731
    gru = lambda lib: lib.nn.GRU(4, 3, num_layers=2)  # noqa: E731
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 6)))
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 4), (lib.zeros(1, 3, 3), lib.zeros(1, 2, 3))))
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 4), (lib.zeros(1, 2, 3), lib.zeros(1, 2, 4))))
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 4), (lib.zeros(2, 3), lib.zeros(2, 3))))
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 4, 1)))
    both(lstm, lambda lib, m: m(lib.zeros(5, 2, 4, dtype=lib.float64)))
    both(gru, lambda lib, m: m(lib.zeros(5, 2, 4), lib.zeros(1, 2, 3)))
    both(gru, lambda lib, m: m(lib.zeros(5, 4), lib.zeros(2, 1, 3)))
    both(lambda lib: lib.nn.LSTMCell(4, 3), lambda lib, m: m(lib.zeros(2, 5)))
    both(lambda lib: lib.nn.LSTMCell(4, 3), lambda lib, m: m(lib.zeros(2, 4), (lib.zeros(3, 3), lib.zeros(3, 3))))
    both(lambda lib: lib.nn.LSTMCell(4, 3), lambda lib, m: m(lib.zeros(2, 4), (lib.zeros(2, 3),)))
    both(lambda lib: lib.nn.GRUCell(4, 3), lambda lib, m: m(lib.zeros(2, 4), lib.zeros(2, 5)))
    both(lambda lib: lib.nn.RNNCell(4, 3), lambda lib, m: m(lib.zeros(2, 2, 4)))
    for kwargs in (dict(dropout=1.5), dict(proj_size=3), dict(proj_size=-1), dict(num_layers=0),
                   dict(bias=1)):
        both(lambda lib: None, lambda lib, _: lib.nn.LSTM(4, 3, **kwargs))
    both(lambda lib: None, lambda lib, _: lib.nn.GRU(4, 3, proj_size=1))
    both(lambda lib: None, lambda lib, _: lib.nn.RNN(4, 3, nonlinearity="sigmoid"))
    both(lambda lib: None, lambda lib, _: lib.nn.LSTM(4, 0))


@requires_torch
def test_pack_pad_utilities_match_torch():
    rng = np.random.default_rng(9)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 5, 1, 3)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            o = rnn_utils.pad_sequence([mytorch.tensor(s) for s in seqs], batch_first, -1.0, side)
            t = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
            assert np.array_equal(o.numpy(), t.numpy())
    po = rnn_utils.pack_sequence([mytorch.tensor(s) for s in seqs], enforce_sorted=False)
    pt = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    for a, b in zip(po, pt):
        assert np.array_equal(a.numpy(), b.numpy())
    padded_o, len_o = rnn_utils.pad_packed_sequence(po, batch_first=True, padding_value=7.0, total_length=6)
    padded_t, len_t = torch.nn.utils.rnn.pad_packed_sequence(pt, batch_first=True, padding_value=7.0, total_length=6)
    assert np.array_equal(padded_o.numpy(), padded_t.numpy()) and np.array_equal(len_o.numpy(), len_t.numpy())
    assert len_o.dtype == mytorch.int64
    for a, b in zip(rnn_utils.unpack_sequence(po), seqs):
        assert np.array_equal(a.numpy(), b)
    for a, b in zip(rnn_utils.unpad_sequence(padded_o, len_o, batch_first=True), seqs):
        assert np.array_equal(a.numpy(), b)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_sequence([mytorch.tensor(s) for s in seqs])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 5"):
        rnn_utils.pad_packed_sequence(po, total_length=3)
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn_utils.pack_padded_sequence(mytorch.zeros(3, 2, 1), [3, 0])


def test_no_grad_cell_loop_builds_no_graph():
    cell = nn.LSTMCell(3, 4)
    x = mytorch.tensor(np.ones((1, 3), np.float32))
    h = (mytorch.zeros(1, 4), mytorch.zeros(1, 4))
    with mytorch.no_grad():
        for _ in range(3):
            h = cell(x, h)
    assert h[0].grad_fn is None and not h[0].requires_grad
    h1 = cell(x, h)
    assert h1[0].requires_grad


@requires_torch
def test_mnist_row_lstm_model_matches_torch():
    """The example's `--model lstm` network: one training step's loss and gradients as torch's."""
    from mytorch.examples.mnist import build_model
    ours, theirs = build_model(mytorch, "lstm"), build_model(torch, "lstm")
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 8)
    losses = []
    for lib, model in ((mytorch, ours), (torch, theirs)):
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(images)), lib.tensor(labels))
        loss.backward()
        losses.append(float(loss.item()))
    assert abs(losses[0] - losses[1]) <= 1e-5 * abs(losses[1])
    theirs_params = dict(theirs.named_parameters())
    _grads_agree([(n, p.grad, theirs_params[n].grad) for n, p in ours.named_parameters()], F32_GRAD, "RowLSTM")


def test_saved_arrays_survive_a_second_backward_and_interleaved_graphs():
    """The workspace recycles saved arrays only once their node is freed: retain_graph=True gives
    the same gradients twice, and two live graphs do not share memory."""
    rng = np.random.default_rng(6)
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, dtype=mytorch.float64)
    xa = mytorch.tensor(rng.standard_normal((7, 4, 3)), requires_grad=True)
    xb = mytorch.tensor(rng.standard_normal((7, 4, 3)), requires_grad=True)
    out_a, _ = m(xa)
    out_b, _ = m(xb)
    out_a.sum().backward(retain_graph=True)
    first = xa.grad.numpy().copy()
    xa.grad = None
    out_b.sum().backward()
    out_a.sum().backward()
    assert np.array_equal(xa.grad.numpy(), first)
    xb2 = mytorch.tensor(xb.detach().numpy(), requires_grad=True)
    out_b2, _ = m(xb2)
    out_b2.sum().backward()
    assert np.allclose(xb2.grad.numpy(), xb.grad.numpy(), rtol=0, atol=1e-14)


@requires_torch
def test_random_packed_batches_match_torch():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=8, deadline=None)
    @given(st.lists(st.integers(1, T), min_size=1, max_size=5), st.sampled_from(["LSTM", "GRU", "RNN_RELU"]),
           st.booleans(), st.booleans())
    def check(lengths, kind, bidirectional, batch_first):
        kw = dict(bidirectional=bidirectional, batch_first=batch_first)
        ours, theirs = _make_pair(kind, "float64", **_kw(kw))
        x, hx = _inputs(kind, kw, True, "float64", batch=len(lengths))
        if batch_first:
            x = x[:, :max(lengths)]
        else:
            x = x[:max(lengths)]
        _compare(ours, theirs, (x, hx), "float64", packed=(lengths, False))
    check()


@requires_torch
@pytest.mark.parametrize("kind,kw", [("LSTM", dict(bidirectional=True)), ("GRU", dict(num_layers=2))])
def test_threaded_time_loops_match_torch(kind, kw):
    """On two kernel threads a batch of 40 runs as two slices of rows (and a bidirectional layer's
    directions side by side), packed with lengths that end inside either slice."""
    previous = mytorch.get_num_threads()
    mytorch.set_num_threads(2)
    try:
        ours, theirs = _make_pair(kind, "float64", **_kw(kw))
        lengths = list(np.random.default_rng(8).integers(1, T + 1, 40))
        _compare(ours, theirs, _inputs(kind, kw, True, "float64", batch=40), "float64", packed=(lengths, False))
        _compare(ours, theirs, _inputs(kind, kw, False, "float64", batch=40), "float64")
    finally:
        mytorch.set_num_threads(previous)


def test_workspace_takes_back_only_what_it_lent():
    from kernels._rnn import _Pool
    pool = _Pool()
    a = pool.take((300, 100), np.float32)
    pool.give(a[:10], np.empty((300, 100), np.float32))  # a view of a lent array, a foreign array
    assert pool.bytes == 0
    pool.give(a)
    pool.give(a)  # twice: kept once
    assert pool.bytes == a.base.nbytes
    b = pool.take((290, 100), np.float32)  # a smaller array of the same size class reuses it
    assert b.base is a.base and pool.bytes == 0
    c = pool.take((290, 100), np.float32)
    assert c.base is not b.base


def _direct_blas_available():
    try:
        from kernels import _blas_numba
    except ImportError:
        return False
    return _blas_numba.ok()


@pytest.mark.skipif(not _direct_blas_available(), reason="no direct BLAS calls here (NumPy's BLAS not found, or JIT off)")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind,kw", [("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(proj_size=3)),
                                     ("GRU", dict(num_layers=2, bidirectional=True)), ("RNN_TANH", {}),
                                     ("RNN_RELU", dict(bidirectional=True))])
def test_compiled_time_loops_agree_with_python_loops(kind, kw, threads, monkeypatch):
    """The compiled time loops (direct BLAS calls, kernels/_rnn_numba.py) against the Python loops
    they replace, on a packed batch of 40 whose lengths end inside either thread's slice of rows.
    The same GEMMs and gate kernels in the same order: float64 agrees to round-off (1e-12 of the
    scale; the weight gradients' products are split differently across threads)."""
    from kernels import _blas, _rnn_numba
    calls = []
    for name in ("forward_loop", "backward_loop"):
        original = getattr(_rnn_numba, name)
        monkeypatch.setattr(_rnn_numba, name, lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    rng = np.random.default_rng(11)
    name = "RNN" if kind.startswith("RNN") else kind
    extra = dict(nonlinearity="relu") if kind == "RNN_RELU" else {}
    m = getattr(nn, name)(3, 5, dtype=mytorch.float64, **extra, **kw)
    x = rng.standard_normal((T, 40, 3))
    lengths = list(rng.integers(1, T + 1, 40))
    results = []
    previous_threads = mytorch.get_num_threads()
    mytorch.set_num_threads(threads)
    try:
        for direct in (True, False):
            previous = _blas.set_direct_gemm(direct)
            try:
                m.zero_grad()
                xt = mytorch.tensor(x, requires_grad=True)
                packed = rnn_utils.pack_padded_sequence(xt, lengths, enforce_sorted=False)
                out, h = m(packed)
                padded = rnn_utils.pad_packed_sequence(out)[0]
                h_n = h[0] if kind == "LSTM" else h
                (padded.sin().sum() + (h_n * h_n).sum()).backward()
                results.append([padded.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in m.parameters()])
                ran = sorted(set(calls))
                assert ran == (["backward_loop", "forward_loop"] if direct else []), ran
                calls.clear()
            finally:
                _blas.set_direct_gemm(previous)
    finally:
        mytorch.set_num_threads(previous_threads)
    for a, b in zip(*results):
        assert scaled_error(a, b) < 1e-12


def test_direct_gemm_withheld_when_its_check_fails():
    """A library whose GEMM gives a wrong product is never handed to compiled code."""
    from kernels import _blas
    saved = _blas._Found.checked
    try:
        _blas._Found.checked = None
        assert _blas.gemm_functions(lambda functions: False) is None
        assert _blas.gemm_functions(lambda functions: True) is None  # the failed check is remembered
    finally:
        _blas._Found.checked = saved


@requires_torch
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
def test_half_precision_layers_and_cells_match_torch(kind):
    """float16 runs (numba compiles float32/float64 only: the NumPy kernels take it) and agrees with
    torch's float16 to 1e-2 of the scale: each float16 operation rounds at ~5e-4 and the two
    frameworks round at different places over 5 steps and 2 layers; a wrong gate is off by > 1e-1."""
    ours, theirs = _make_pair(kind, "float16", input_size=I, hidden_size=H, num_layers=2)
    x = np.random.default_rng(12).standard_normal((T, B, I)).astype(np.float16)
    xo, xt = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_o, _ = ours(xo)
    out_t, _ = theirs(xt)
    out_o.sum().backward()
    out_t.sum().backward()
    assert out_o.dtype == mytorch.float16 and xo.grad.dtype == mytorch.float16
    from mytorch.nn.modules.rnn import _kernels
    assert _kernels(np.dtype(np.float16)).name == "numpy"
    assert _kernels(np.dtype(np.float32)).name == _kernels(np.dtype(np.float64)).name == "numba"
    assert scaled_error(out_o.detach().numpy().astype(np.float32), out_t.detach().numpy().astype(np.float32)) < 1e-2
    assert scaled_error(xo.grad.numpy().astype(np.float32), xt.grad.numpy().astype(np.float32)) < 1e-2
    name = "RNN" if kind == "RNN_TANH" else kind
    cell_t = getattr(torch.nn, name + "Cell")(I, H).half()
    cell_o = getattr(nn, name + "Cell")(I, H, dtype=mytorch.float16)
    cell_o.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in cell_t.state_dict().items()})
    with mytorch.no_grad(), torch.no_grad():
        got, want = cell_o(mytorch.tensor(x[0])), cell_t(torch.tensor(x[0]))
    got, want = (got[0], want[0]) if kind == "LSTM" else (got, want)
    assert got.dtype == mytorch.float16
    assert scaled_error(got.numpy().astype(np.float32), want.numpy().astype(np.float32)) < 1e-2


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_empty_batch_and_empty_sequence_as_torch(kind, batch_first):
    """A batch of 0 sequences gives empty outputs and states of torch's shapes and zero weight
    gradients (it had failed splitting 0 rows over the threads); a sequence of length 0 raises
    torch's RuntimeError."""
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = mytorch.zeros((0, 5, 3) if batch_first else (5, 0, 3), requires_grad=True)
    out, h = m(x)
    h_n = h[0] if kind == "LSTM" else h
    assert tuple(out.shape) == ((0, 5, 8) if batch_first else (5, 0, 8)) and tuple(h_n.shape) == (4, 0, 4)
    out.sum().backward()
    assert tuple(x.grad.shape) == tuple(x.shape)
    assert all(not np.any(p.grad.numpy()) for p in m.parameters())
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        m(mytorch.zeros((2, 0, 3) if batch_first else (0, 2, 3)))
