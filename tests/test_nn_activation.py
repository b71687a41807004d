"""Activations (functional and modules) against torch, forward and backward, and float64 gradcheck."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from conftest import requires_torch, torch
from helpers import ELEMENTWISE_TOL, REDUCTION_TOL, check_against_torch, check_gradcheck, draw

# (name, fn(lib, *tensors), input shapes, kinks to keep finite differences away from)
CASES = [
    ("elu", lambda m, a: m.nn.functional.elu(a, 0.7), [(3, 4)], [0.0]),
    ("selu", lambda m, a: m.nn.functional.selu(a), [(3, 4)], [0.0]),
    ("celu", lambda m, a: m.nn.functional.celu(a, 1.5), [(3, 4)], [0.0]),
    ("silu", lambda m, a: m.nn.functional.silu(a), [(3, 4)], []),
    ("mish", lambda m, a: m.nn.functional.mish(a), [(3, 4)], []),
    ("softplus", lambda m, a: m.nn.functional.softplus(a), [(3, 4)], []),
    ("softplus_beta_threshold", lambda m, a: m.nn.functional.softplus(a * 4, beta=2, threshold=3), [(3, 4)],
     [0.375]),
    ("softsign", lambda m, a: m.nn.functional.softsign(a), [(3, 4)], [0.0]),
    ("hardtanh", lambda m, a: m.nn.functional.hardtanh(a, -0.5, 1.2), [(3, 4)], [-0.5, 1.2]),
    ("relu6", lambda m, a: m.nn.functional.relu6(a * 4), [(3, 4)], [0.0, 1.5]),
    ("hardsigmoid", lambda m, a: m.nn.functional.hardsigmoid(a * 2), [(3, 4)], [-1.5, 1.5]),
    ("hardswish", lambda m, a: m.nn.functional.hardswish(a * 2), [(3, 4)], [-1.5, 1.5]),
    ("logsigmoid", lambda m, a: m.nn.functional.logsigmoid(a * 10), [(3, 4)], []),
    ("softshrink", lambda m, a: m.nn.functional.softshrink(a, 0.7), [(3, 4)], [-0.7, 0.7]),
    ("hardshrink", lambda m, a: m.nn.functional.hardshrink(a), [(3, 4)], [-0.5, 0.5]),
    ("tanhshrink", lambda m, a: m.nn.functional.tanhshrink(a), [(3, 4)], []),
    ("threshold", lambda m, a: m.nn.functional.threshold(a, 0.3, -2.0), [(3, 4)], [0.3]),
    ("leaky_relu", lambda m, a: m.nn.functional.leaky_relu(a, 0.2), [(3, 4)], [0.0]),
    ("rrelu_eval", lambda m, a: m.nn.functional.rrelu(a), [(3, 4)], [0.0]),
    ("prelu_shared", lambda m, a, w: m.nn.functional.prelu(a, w), [(2, 3, 4), (1,)], [0.0]),
    ("prelu_channels", lambda m, a, w: m.nn.functional.prelu(a, w), [(2, 3, 2, 2), (3,)], [0.0]),
    ("glu", lambda m, a: m.nn.functional.glu(a, 1), [(3, 4, 2)], []),
    ("softmax", lambda m, a: m.nn.functional.softmax(a, dim=1), [(3, 4, 2)], []),
    ("log_softmax", lambda m, a: m.nn.functional.log_softmax(a, dim=-1), [(3, 4)], []),
    ("softmin", lambda m, a: m.nn.functional.softmin(a, dim=0), [(3, 4)], []),
    ("softmax2d", lambda m, a: m.nn.Softmax2d()(a), [(2, 3, 2, 2)], []),
    ("gelu_tanh", lambda m, a: m.nn.functional.gelu(a, approximate="tanh"), [(3, 4)], []),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, fn, shapes, kinks", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, kinks):
    check_gradcheck(fn, [draw(s, seed=i, away_from=kinks) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes, kinks", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, kinks):
    arrays = [draw(s, seed=i, away_from=kinks) for i, s in enumerate(shapes)]
    # prelu's weight gradient and softmax's sum over a few terms: reduction tolerance
    check_against_torch(fn, arrays, tol=REDUCTION_TOL if name.startswith(("prelu", "soft", "log_soft")) else
                        ELEMENTWISE_TOL)
    check_against_torch(fn, arrays, tol=1e-12, dtype="float64")


@requires_torch
@pytest.mark.parametrize("fn", ["elu", "selu", "celu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "leaky_relu",
                                "threshold", "softshrink", "hardshrink"])
def test_kinks_take_torchs_one_sided_derivative(fn):
    x = np.array([0.0, -3.0, 3.0, 1.0, -1.0, 0.5, -0.5, 6.0], np.float32)
    args = (1.0, 2.0) if fn == "threshold" else ()
    ours = mytorch.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    getattr(F, fn)(ours, *args).sum().backward()
    getattr(torch.nn.functional, fn)(theirs, *args).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


@requires_torch
def test_extreme_values_stay_finite_as_torch():
    x = np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0], np.float32)
    for fn in ("softplus", "logsigmoid", "silu", "mish", "elu", "selu"):
        ours = mytorch.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        out_o, out_t = getattr(F, fn)(ours), getattr(torch.nn.functional, fn)(theirs)
        np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
        out_o.sum().backward(), out_t.sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-30)


REPRS = [("ELU", {}), ("ELU", dict(alpha=2.0, inplace=True)), ("CELU", {}), ("SELU", {}), ("SiLU", {}), ("Mish", {}),
         ("Softplus", dict(beta=2, threshold=10)), ("Softsign", {}), ("Hardtanh", dict(min_val=-2, max_val=2)),
         ("ReLU6", dict(inplace=True)), ("Hardsigmoid", {}), ("Hardswish", {}), ("LogSigmoid", {}),
         ("PReLU", dict(num_parameters=4)), ("GLU", {}), ("Softmin", dict(dim=1)), ("Softshrink", {}),
         ("Hardshrink", dict(lambd=0.3)), ("Tanhshrink", {}), ("Threshold", dict(threshold=0.1, value=20)),
         ("RReLU", {}), ("Softmax2d", {}), ("Softmax", {}), ("LogSoftmax", dict(dim=-1)),
         ("LeakyReLU", dict(negative_slope=0.2, inplace=True)), ("ReLU", dict(inplace=True)), ("GELU", {})]


@requires_torch
@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("name, kwargs", REPRS, ids=[f"{r[0]}{i}" for i, r in enumerate(REPRS)])
def test_module_repr_and_output_match_torch(name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval(), theirs.eval()
    x = draw((2, 4, 3, 2), 3).astype(np.float32)
    np.testing.assert_allclose(ours(mytorch.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_prelu_parameter_and_errors():
    m = nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and np.allclose(m.weight.detach().numpy(), 0.1)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        m(mytorch.randn(2, 4))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(mytorch.randn(2, 3), 1)


def test_inplace_outside_a_graph_writes_into_the_input():
    x = mytorch.tensor([-1.0, 0.5, 2.0])
    y = F.elu(x, inplace=True)
    assert y is x and x.tolist()[1:] == [0.5, 2.0] and x.tolist()[0] < 0
    x = mytorch.tensor([-1.0, 7.0])
    assert nn.ReLU6(inplace=True)(x) is x and x.tolist() == [0.0, 6.0]
    leaf = mytorch.tensor([-1.0, 2.0], requires_grad=True)
    h = leaf * 1
    out = F.leaky_relu(h, 0.1, inplace=True)  # inside a graph: correct values and gradient
    assert out is h
    out.sum().backward()
    assert np.allclose(out.detach().numpy(), [-0.1, 2.0]) and np.allclose(leaf.grad.numpy(), [0.1, 1.0])


def test_rrelu_training_draws_slopes_in_range():
    mytorch.manual_seed(0)
    x = -mytorch.ones(1000)
    y = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert -0.3 <= y.min() and y.max() <= -0.1 and y.std() > 0.03


def test_integer_input_raises():
    with pytest.raises(NotImplementedError):
        F.elu(mytorch.tensor([1, 2]))


def test_implicit_softmax_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        F.softmax(mytorch.randn(2, 3))


@requires_torch
@pytest.mark.parametrize("fn", [lambda F, x: F.relu(x, inplace=True), lambda F, x: F.elu(x, inplace=True),
                                lambda F, x: F.hardtanh(x, inplace=True), lambda F, x: F.leaky_relu_(x, 0.2),
                                lambda F, x: F.dropout(x, 0.0, inplace=True), lambda F, x: F.silu(x, inplace=True)])
def test_inplace_inside_a_graph_matches_torch(fn):
    """out = act(h, inplace=True) on a non-leaf h: torch's values and gradient; h is the result."""
    x = draw((3, 4), 0, away_from=[0.0, -1.0, 1.0]).astype(np.float32)
    grads = []
    for lib in (mytorch, torch):
        leaf = lib.tensor(x, requires_grad=True)
        h = leaf * 2
        out = fn(lib.nn.functional, h)
        assert out is h
        (out * lib.tensor(x)).sum().backward()
        grads.append((out.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5)  # float32 libm differences
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5)


@requires_torch
def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch():
    for lib in (mytorch, torch):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            lib.nn.functional.relu(lib.ones(2, requires_grad=True), inplace=True)


@requires_torch
def test_modifying_a_saved_input_in_place_raises_as_torch():
    """Each fused primitive declares what its backward reads, so the version check sees it."""
    cases = [lambda m, h: m.nn.functional.elu(h), lambda m, h: m.nn.functional.softmax(h, -1),
             lambda m, h: m.nn.functional.gelu(h), lambda m, h: m.nn.functional.prelu(h, m.tensor([0.1]))]
    for fn in cases:
        for lib in (mytorch, torch):
            leaf = lib.tensor([[-1.0, 0.5, 2.0]], requires_grad=True)
            h = leaf * 1
            out = fn(lib, h)
            out_saved = out if fn is cases[1] else h
            with lib.no_grad():
                out_saved.mul_(2)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                out.sum().backward()


@requires_torch
@pytest.mark.parametrize("name", ["elu", "silu", "softplus", "hardtanh", "relu6", "leaky_relu", "hardsigmoid",
                                  "logsigmoid", "mish", "softsign", "tanhshrink", "hardshrink"])
def test_integer_inputs_follow_torchs_dtype_rules(name):
    x = [-3, 0, 2, 7]
    try:
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x))
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError, match=str(error).split(" not")[0]):
            getattr(F, name)(mytorch.tensor(x))
        return
    ours = getattr(F, name)(mytorch.tensor(x))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
