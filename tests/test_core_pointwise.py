"""Every row of the pointwise table (mytorch._pointwise.ROWS) against torch and float64 finite
differences: forward value, result dtype for float/int/bool inputs, gradient, the in-place form
on a tensor inside a graph and the out= form. One helper, one parametrized test per aspect.

Tolerances: float32 forwards within ELEMENTWISE_TOL of the result's scale (tests/helpers.py);
float64 gradients against torch within 1e-9 relative (both compute the same formula in float64;
erf/erfinv differ by libm rounding only); gradcheck as in helpers.check_gradcheck."""
import math

import numpy as np
import pytest

import mytorch
from mytorch._pointwise import ROWS
from conftest import requires_torch, torch
from helpers import ELEMENTWISE_TOL, scaled_error

# arguments a row needs beyond its tensors (torch would refuse the call without them)
EXTRA = {"clamp": {"min": -0.5, "max": 0.5}, "clamp_min": {"min": -0.5}, "clamp_max": {"max": 0.5}}
SHIFTS = ("bitwise_left_shift", "bitwise_right_shift")
DIFFERENTIABLE = [n for n, r in ROWS.items() if r.kind not in ("bool", "int") and n != "floor_divide"]
ALL = sorted(ROWS)


def draw(row, seed, dtype=np.float64, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    lo, hi = row.domain
    if row.kind == "int" or np.dtype(dtype).kind in "iu":
        lo_i = 0 if row.name in SHIFTS else -5
        return [rng.integers(lo_i, 5, shape).astype(dtype if np.dtype(dtype).kind in "iu" else np.int64)
                for _ in row.inputs]
    if np.dtype(dtype) == np.bool_:
        return [rng.integers(0, 2, shape).astype(bool) for _ in row.inputs]
    arrays = [rng.uniform(lo, hi, shape).astype(dtype) for _ in row.inputs]
    return arrays


def fn(lib, name):
    """The op a row declares: ``special_<f>`` rows live in ``lib.special.<f>`` only, as in torch."""
    return getattr(lib.special, name[len("special_"):]) if name.startswith("special_") else getattr(lib, name)


def call(lib, name, tensors):
    return fn(lib, name)(*tensors, **EXTRA.get(name, {}))


def _np(t):
    if hasattr(t, "detach"):
        t = t.detach()
        return t.numpy(force=True) if torch is not None and isinstance(t, torch.Tensor) else t.numpy()
    return np.asarray(t)


def _dt(t):
    return str(t.dtype).split(".")[-1]


@requires_torch
@pytest.mark.parametrize("name", ALL)
def test_forward_matches_torch(name):
    row = ROWS[name]
    arrays = draw(row, 0, np.float32)
    ours = call(mytorch, name, [mytorch.tensor(a) for a in arrays])
    theirs = call(torch, name, [torch.tensor(a) for a in arrays])
    assert _dt(ours) == _dt(theirs)
    assert scaled_error(_np(ours), _np(theirs)) <= ELEMENTWISE_TOL


@requires_torch
@pytest.mark.parametrize("kind", ["int64", "int32", "bool", "float64"])
@pytest.mark.parametrize("name", ALL)
def test_result_dtype_matches_torch(name, kind):
    row = ROWS[name]
    arrays = draw(row, 1, np.dtype(kind))
    try:
        expected = call(torch, name, [torch.tensor(a) for a in arrays])
    except (RuntimeError, TypeError) as e:  # torch refuses this dtype: so must we, with the same type
        with pytest.raises(type(e)):
            call(mytorch, name, [mytorch.tensor(a) for a in arrays])
        return
    ours = call(mytorch, name, [mytorch.tensor(a) for a in arrays])
    assert _dt(ours) == _dt(expected)
    np.testing.assert_allclose(_np(ours).astype(np.float64), _np(expected).astype(np.float64), rtol=1e-6,
                               atol=1e-6, equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradient_matches_torch_float64(name):
    row = ROWS[name]
    arrays = draw(row, 2)
    ours = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    upstream = np.random.default_rng(3).standard_normal((3, 4))
    call(mytorch, name, ours).backward(mytorch.tensor(upstream))
    call(torch, name, theirs).backward(torch.tensor(upstream))
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None or not np.any(o.grad.numpy())
        else:
            np.testing.assert_allclose(o.grad.numpy(), _np(t.grad), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradcheck_float64(name):
    row = ROWS[name]
    inputs = [mytorch.tensor(a, requires_grad=True) for a in draw(row, 4, shape=(2, 3))]
    assert mytorch.autograd.gradcheck(lambda *xs: call(mytorch, name, xs), inputs, eps=1e-6, atol=1e-6,
                                      rtol=1e-4)


@requires_torch
@pytest.mark.parametrize("name", [n for n in ALL if ROWS[n].inplace and ROWS[n].method])
def test_inplace_form_inside_a_graph_matches_torch(name):
    row = ROWS[name]
    float_row = name in DIFFERENTIABLE
    arrays = draw(row, 5)

    def run(lib):
        leaves = [lib.tensor(a, requires_grad=float_row) for a in arrays]
        first = leaves[0] * 1 if float_row else leaves[0].clone()
        out = getattr(first, name + "_")(*leaves[1:], **EXTRA.get(name, {}))
        assert out is first
        if float_row:
            (first * lib.tensor(arrays[0])).sum().backward()
        return [_np(first)] + [_np(t.grad) for t in leaves if t.grad is not None]

    if not hasattr(torch.Tensor, name + "_"):
        pytest.skip(f"torch has no Tensor.{name}_")
    try:
        expected = run(torch)
    except NotImplementedError as e:  # torch has no derivative for some in-place forms (acosh_)
        pytest.skip(str(e))
    for o, t in zip(run(mytorch), expected):
        np.testing.assert_allclose(o.astype(np.float64), t.astype(np.float64), rtol=1e-9, atol=1e-12, equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", ALL)
def test_out_form_matches_torch(name):
    row = ROWS[name]
    arrays = draw(row, 6, np.float32)
    expected = call(torch, name, [torch.tensor(a) for a in arrays])
    out = mytorch.empty(0, dtype=getattr(mytorch, _dt(expected)))
    result = fn(mytorch, name)(*[mytorch.tensor(a) for a in arrays], **EXTRA.get(name, {}), out=out)
    assert result is out and out.shape == tuple(expected.shape)
    assert scaled_error(_np(out), _np(expected)) <= ELEMENTWISE_TOL


def test_out_form_refuses_autograd_and_lower_dtypes():
    x = mytorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        mytorch.sin(x, out=mytorch.empty(3))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        mytorch.sin(mytorch.ones(3), out=mytorch.zeros(3, dtype=mytorch.int64))


@requires_torch
def test_special_points_follow_torch():
    cases = [("pow", [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]), ("abs", [0.0, -1.0, 1.0]), ("sign", [0.0, -1.0, 2.0]),
             ("sqrt", [0.0, 1.0, 4.0]), ("xlogy", [0.0, 0.0, 1.0], [0.0, 2.0, 3.0]),
             ("fmax", [1.0, float("nan"), 2.0], [1.0, 1.0, float("nan")]),
             ("maximum", [1.0, 2.0, 3.0], [1.0, 1.0, 4.0])]
    for name, *arrays in cases:
        ours = [mytorch.tensor(a, dtype=mytorch.float64, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        getattr(mytorch, name)(*ours).sum().backward()
        getattr(torch, name)(*theirs).sum().backward()
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.grad.numpy(), _np(t.grad), err_msg=name)


def test_erfinv_inverts_erf_to_float64_precision():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [0.0, 1e-300, -1e-12]])
    x = mytorch.erfinv(mytorch.tensor(y)).numpy()
    back = np.array([math.erf(v) for v in x])
    assert np.abs(back - y).max() < 1e-14
    assert mytorch.erfinv(mytorch.tensor([1.0, -1.0, 1.5])).tolist()[:2] == [math.inf, -math.inf]
    assert math.isnan(mytorch.erfinv(mytorch.tensor([1.5])).item())


def test_operators_and_reflected_forms():
    a, b = mytorch.tensor([12, 5]), mytorch.tensor([3, 2])
    assert (a << 1).tolist() == [24, 10] and (a >> b).tolist() == [1, 1]
    assert (7 % b).tolist() == [1, 1] and (6 & a).tolist() == [4, 4] and (1 | b).tolist() == [3, 3]
    assert (5 ^ b).tolist() == [6, 7] and (~mytorch.tensor([True, False])).tolist() == [False, True]
    c = mytorch.tensor([2.0, 3.0])
    c **= 2
    c %= 5
    c //= 2
    assert c.tolist() == [2.0, 2.0]


@requires_torch
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_version_check_raises_exactly_where_torch_raises(name):
    """Each input, then the output, is changed in place (under no_grad) after the op saved it: the
    backward raises "modified by an inplace operation" in mytorch exactly when it does in torch."""
    row = ROWS[name]
    arrays = draw(row, 7)

    def outcome(lib, which):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        ins = [t * 1 for t in leaves]
        out = call(lib, name, ins)
        with lib.no_grad():
            (ins[which] if which < len(ins) else out).mul_(1)
        try:
            out.sum().backward()
            return "ok"
        except RuntimeError as e:
            return "raises" if "modified by an inplace operation" in str(e) else repr(e)

    for which in range(len(arrays) + 1):
        assert outcome(mytorch, which) == outcome(torch, which), f"changed {'output' if which == len(arrays) else f'input {which}'}"


@requires_torch
@pytest.mark.parametrize("name", ALL)
def test_bad_arguments_raise_torch_exception_types(name):
    """A non-tensor input and (for binary rows) shapes that do not broadcast: the same exception
    type as torch."""
    row = ROWS[name]
    arrays = draw(row, 8, np.float32 if row.kind != "int" else np.int64)
    cases = [["not a tensor"] + [None] * (len(arrays) - 1)]
    if len(arrays) > 1:
        cases.append([a[:, :3] if i == 1 else a for i, a in enumerate(arrays)])
    for case in cases:
        def args(lib):
            return [lib.tensor(a) if isinstance(a, np.ndarray) else (lib.tensor(arrays[i]) if a is None else a)
                    for i, a in enumerate(case)]
        try:
            call(torch, name, args(torch))
        except Exception as e:  # noqa: BLE001  (whatever torch raises, mytorch must raise the same type)
            with pytest.raises(type(e)):
                call(mytorch, name, args(mytorch))
        else:
            call(mytorch, name, args(mytorch))


BINARY_DIFFERENTIABLE = [n for n in DIFFERENTIABLE if len(ROWS[n].inputs) == 2]

try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # hypothesis is a test extra
    given = None

if given is not None:
    @requires_torch
    @settings(max_examples=60, deadline=None)
    @given(name=st.sampled_from(BINARY_DIFFERENTIABLE),
           shapes=st.sampled_from([((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 1, 4), (3, 1)), ((), (3,)),
                                   ((5,), ()), ((1,), (2, 2))]),
           seed=st.integers(0, 2**16))
    def test_broadcast_forward_and_gradients_match_torch(name, shapes, seed):
        """Random broadcast shapes per binary row: values and the gradients summed back to each
        input's own shape (the engine's one place) agree with torch in float64."""
        row = ROWS[name]
        rng = np.random.default_rng(seed)
        lo, hi = row.domain
        arrays = [rng.uniform(lo, hi, s) for s in shapes]
        ours = [mytorch.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        o, t = call(mytorch, name, ours), call(torch, name, theirs)
        np.testing.assert_allclose(_np(o), _np(t), rtol=1e-10, atol=1e-12)
        o.sum().backward()
        t.sum().backward()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.numpy(), _np(b.grad), rtol=1e-9, atol=1e-12)
