"""conv_transpose2d, conv1d, conv_transpose1d and padding modes through the public API, on every
kernels implementation: forward and gradients against torch, float64 central differences; the
modules' parameters, output sizes and repr against torch's.

Tolerances: float32 1e-5 of the scale (sums of at most ~100 terms), float64 1e-12.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import mytorch
from mytorch import backends, nn
from mytorch.nn import _conv
from conftest import requires_torch, torch
from helpers import check_against_torch, check_gradcheck, draw

IMPLS = ["reference", "numpy", "numba"]


@pytest.fixture(params=IMPLS)
def impl(request):
    with backends.using_kernels(request.param):
        yield request.param


# name, input shape, weight shape, keyword arguments
TRANSPOSE_CASES = [
    ("plain", (2, 3, 5, 4), (3, 2, 3, 3), {}),
    ("stride2_pad1", (2, 4, 4, 5), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("output_padding", (1, 2, 4, 4), (2, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    ("groups", (2, 4, 3, 3), (4, 3, 2, 2), dict(stride=2, groups=2)),
    ("dilation", (1, 2, 4, 5), (2, 2, 3, 3), dict(dilation=2, padding=1)),
    ("output_padding_below_dilation", (1, 2, 4, 4), (2, 2, 3, 3), dict(dilation=2, output_padding=1)),
    ("unbatched", (3, 4, 4), (3, 2, 2, 2), dict(stride=2)),
]


def _transpose(kw, bias=True):
    if bias:
        return lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b, **kw)
    return lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, **kw)


def _bias_shape(ws, kw):
    return (ws[1] * kw.get("groups", 1),)


@requires_torch
@pytest.mark.parametrize("name, xs, ws, kw", TRANSPOSE_CASES, ids=[c[0] for c in TRANSPOSE_CASES])
def test_conv_transpose2d_matches_torch(impl, name, xs, ws, kw):
    check_against_torch(_transpose(kw), [draw(xs, 0), draw(ws, 1), draw(_bias_shape(ws, kw), 2)], tol=1e-5)
    check_against_torch(_transpose(kw, bias=False), [draw(xs, 0), draw(ws, 1)], tol=1e-12, dtype="float64")


@pytest.mark.parametrize("name, xs, ws, kw", TRANSPOSE_CASES, ids=[c[0] for c in TRANSPOSE_CASES])
def test_conv_transpose2d_gradcheck(impl, name, xs, ws, kw):
    check_gradcheck(_transpose(kw), [draw(xs, 0), draw(ws, 1), draw(_bias_shape(ws, kw), 2)])


CONV1D_CASES = [
    ("conv1d", lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, stride=2, padding=1), (2, 4, 11), (6, 4, 3)),
    ("conv1d_same_groups", lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, padding="same", dilation=2, groups=2),
     (2, 4, 9), (6, 2, 4)),
    ("conv1d_unbatched", lambda m, x, w, b: m.nn.functional.conv1d(x, w, b), (4, 9), (3, 4, 2)),
    ("conv_transpose1d", lambda m, x, w, b: m.nn.functional.conv_transpose1d(x, w, b, stride=3, padding=1,
                                                                            output_padding=2), (2, 4, 5), (4, 3, 3)),
]


@requires_torch
@pytest.mark.parametrize("name, fn, xs, ws", CONV1D_CASES, ids=[c[0] for c in CONV1D_CASES])
def test_conv1d_matches_torch(impl, name, fn, xs, ws):
    F = ws[1] * (2 if "groups" in name else 1) if "transpose" in name else ws[0]
    check_against_torch(fn, [draw(xs, 0), draw(ws, 1), draw((F,), 2)], tol=1e-5)
    check_against_torch(fn, [draw(xs, 0), draw(ws, 1), draw((F,), 2)], tol=1e-12, dtype="float64")


@pytest.mark.parametrize("name, fn, xs, ws", CONV1D_CASES, ids=[c[0] for c in CONV1D_CASES])
def test_conv1d_gradcheck(impl, name, fn, xs, ws):
    F = ws[1] if "transpose" in name else ws[0]
    check_gradcheck(fn, [draw(xs, 0), draw(ws, 1), draw((F,), 2)])


@requires_torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_padding_modes_match_torch(mode):
    """Conv1d's padding_mode, and the same helper for 2-D (what nn.Conv2d's forward needs)."""
    check_against_torch(lambda m, x, w, b: _module_conv1d(m, mode, w, b)(x),
                        [draw((2, 3, 7), 0), draw((4, 3, 3), 1), draw((4,), 2)], tol=1e-5)
    ours = lambda m, x, w, b: _conv.conv_with_padding_mode(m.nn.functional.conv2d, x, w, b, 1, (2, 1), 1, 1, mode)  # noqa: E731
    theirs = lambda m, x, w, b: m.nn.functional.conv2d(  # noqa: E731
        x if mode == "zeros" else m.nn.functional.pad(x, (1, 1, 2, 2), mode=mode), w, b, 1, (2, 1) if mode == "zeros" else 0)
    xs = [draw((2, 3, 6, 5), 0), draw((4, 3, 3, 3), 1), draw((4,), 2)]
    check_against_torch(lambda m, *t: (ours if m is mytorch else theirs)(m, *t), xs, tol=1e-5)


def test_padding_modes_gradcheck():
    for mode in ("reflect", "replicate", "circular"):
        check_gradcheck(lambda m, x: _conv.mode_pad(x, (2, 1, 1, 2), mode), [draw((2, 2, 4, 5), 3)])


def _module_conv1d(lib, mode, w, b):
    conv = lib.nn.Conv1d(3, 4, 3, padding=2, padding_mode=mode, dtype=w.dtype)
    with lib.no_grad():
        conv.weight.copy_(w)
        conv.bias.copy_(b)
    return conv


@requires_torch
@pytest.mark.parametrize("make, shape", [
    (lambda n: n.Conv1d(4, 6, 3, stride=2, padding=1, bias=False), (2, 4, 10)),
    (lambda n: n.Conv1d(4, 6, 3, padding="same", padding_mode="circular", groups=2), (2, 4, 10)),
    (lambda n: n.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1), (2, 4, 5)),
    (lambda n: n.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, dilation=1), (2, 4, 5, 5)),
    (lambda n: n.ConvTranspose2d(4, 6, (3, 2), stride=(2, 1), groups=2, bias=False), (1, 4, 4, 4)),
])
def test_conv_modules_match_torch(make, shape):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    ours.load_state_dict({k: mytorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = draw(shape, 0).astype(np.float32)
    y, ty = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)


@requires_torch
def test_conv_transpose2d_output_size_matches_torch():
    ours, theirs = nn.ConvTranspose2d(2, 3, 3, stride=2), torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    x = draw((1, 2, 4, 4), 0).astype(np.float32)
    assert tuple(ours(mytorch.tensor(x), output_size=(10, 9)).shape) == \
        tuple(theirs(torch.tensor(x), output_size=(10, 9)).shape) == (1, 3, 10, 9)
    with pytest.raises(ValueError, match="requested an output size"):
        ours(mytorch.tensor(x), output_size=(12, 9))


def test_bad_transposed_arguments_raise():
    x, w = mytorch.ones(1, 4, 3, 3), mytorch.ones(4, 2, 3, 3)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        mytorch.nn.functional.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="expected input.* to have 4 channels"):
        mytorch.nn.functional.conv_transpose2d(mytorch.ones(1, 3, 3, 3), w)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(2, 2, 3, padding_mode="mirror")


@requires_torch
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_conv_transpose2d_drawn_cases_match_torch(data):
    """Drawn strides, paddings, output paddings, groups and dilations (float64, the default kernels)."""
    d = data.draw
    G = d(st.sampled_from([1, 1, 2]))
    C, F = G * d(st.integers(1, 3)), G * d(st.integers(1, 3))
    KH, KW = d(st.integers(1, 4)), d(st.integers(1, 4))
    S = (d(st.integers(1, 3)), d(st.integers(1, 3)))
    D = (d(st.integers(1, 2)), d(st.integers(1, 2)))
    P = (d(st.integers(0, D[0] * (KH - 1) // 2)), d(st.integers(0, D[1] * (KW - 1) // 2)))
    OP = (d(st.integers(0, max(S[0], D[0]) - 1)), d(st.integers(0, max(S[1], D[1]) - 1)))
    x = draw((d(st.integers(1, 2)), C, d(st.integers(1, 5)), d(st.integers(1, 5))), 0)
    w = draw((C, F // G, KH, KW), 1)
    out = [(n - 1) * s - 2 * p + dd * (k - 1) + op + 1 for n, s, p, dd, k, op in zip(x.shape[2:], S, P, D, (KH, KW), OP)]
    assume(min(out) >= 1)
    fn = lambda m, a, b, c: m.nn.functional.conv_transpose2d(a, b, c, S, P, OP, G, D)  # noqa: E731
    check_against_torch(fn, [x, w, draw((F,), 2)], tol=1e-12, dtype="float64")


@requires_torch
def test_float16_convolutions_match_torch(impl):
    """float16 runs in float32 and is rounded to float16 at the end, as torch's CPU kernels do:
    results within a few float16 ulps (2e-3 of the scale)."""
    cases = [(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1, groups=2), (2, 4, 7, 6), (6, 2, 3, 3)),
             (lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, stride=2, padding=1), (2, 4, 5, 5), (4, 3, 3, 3)),
             (lambda m, x, w: m.nn.functional.conv1d(x, w, stride=2), (2, 4, 9), (3, 4, 3))]
    for fn, xs, ws in cases:
        check_against_torch(fn, [draw(xs, 0), draw(ws, 1) / 3], tol=2e-3, dtype="float16")
