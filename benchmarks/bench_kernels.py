"""Conv2d and pooling through the public API: every implementation x shape x pass, grouped so each
group compares the implementations on one shape. Each benchmark first checks its numbers against
the reference loops (or torch where the reference would take minutes), then times."""
import numpy as np
import pytest

import mytorch
import mytorch.nn.functional as F
from mytorch import backends
from benchmarks.conftest import impl_param, scaled_error, torch

# (N, C, H, W, F, K, stride, padding, dilation)
CONV = {
    "A": (64, 1, 28, 28, 6, 5, 1, 2, 1), "B": (64, 6, 14, 14, 16, 5, 1, 0, 1),
    "C": (32, 64, 32, 32, 64, 3, 1, 1, 1), "D": (8, 128, 56, 56, 128, 3, 1, 1, 1),
    "E": (64, 32, 26, 26, 64, 3, 1, 0, 1), "stride2": (32, 32, 32, 32, 64, 3, 2, 1, 1),
    "dilated": (32, 32, 32, 32, 32, 3, 1, 2, 2),
}
REFERENCE_OK = {"A", "B", "P1", "P2"}  # the loops finish in seconds only there
POOL = {"P1": (64, 6, 28, 28), "P2": (32, 64, 32, 32)}
IMPLS = [impl_param(n) for n in ("reference", "numpy", "numba", "torch")]
_cache = {}


def _conv_step(lib, arrays, args, backward):
    x, w, b, dy = arrays
    tensors = [lib.from_numpy(a).requires_grad_(backward) for a in (x, w, b)]
    conv = torch.nn.functional.conv2d if lib is torch else F.conv2d
    y = conv(*tensors, stride=args[0], padding=args[1], dilation=args[2])
    if backward:
        y.backward(lib.from_numpy(dy))
    return [y.detach().numpy()] + ([t.grad.numpy() for t in tensors] if backward else [])


def _run(impl, step):
    if impl == "torch":
        return step(torch)
    with backends.using_kernels(impl):
        return step(mytorch)


def _expected(key, step, oracle):
    if key not in _cache:
        _cache[key] = _run(oracle, step)
    return _cache[key]


def _oracle(shape):
    if shape in REFERENCE_OK:
        return "reference"
    return "torch" if torch is not None else "numpy"


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
@pytest.mark.parametrize("shape", list(CONV))
@pytest.mark.parametrize("impl", IMPLS)
def test_conv2d(benchmark, impl, shape, backward):
    if impl == "reference" and shape not in REFERENCE_OK:
        pytest.skip("the reference loops take minutes on this shape")
    N, C, H, W, Fo, K, S, P, D = CONV[shape]
    rng = np.random.default_rng(0)
    OH = (H + 2 * P - D * (K - 1) - 1) // S + 1
    OW = (W + 2 * P - D * (K - 1) - 1) // S + 1
    arrays = (rng.standard_normal((N, C, H, W)).astype(np.float32),
              (rng.standard_normal((Fo, C, K, K)) / np.sqrt(C * K * K)).astype(np.float32),
              rng.standard_normal(Fo).astype(np.float32),
              rng.standard_normal((N, Fo, OH, OW)).astype(np.float32))
    step = lambda lib: _conv_step(lib, arrays, (S, P, D), backward)  # noqa: E731
    oracle = _oracle(shape)
    expected = _expected(("conv", shape, backward, oracle), step, oracle)
    for got, want in zip(_run(impl, step), expected):
        assert scaled_error(got, want, floor=np.abs(want).max()) <= 2e-4, f"{impl} disagrees with {oracle}"
    benchmark.group = f"conv2d {shape} {'fwd+bwd' if backward else 'fwd'}"
    benchmark(_run, impl, step)


def _pool_step(lib, kind, x, dy, backward):
    t = lib.from_numpy(x).requires_grad_(backward)
    pool = getattr(torch.nn.functional if lib is torch else F, kind + "_pool2d")
    y = pool(t, 2)
    if backward:
        y.backward(lib.from_numpy(dy))
    return [y.detach().numpy()] + ([t.grad.numpy()] if backward else [])


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape", list(POOL))
@pytest.mark.parametrize("impl", IMPLS)
def test_pool2d(benchmark, impl, shape, kind, backward):
    x = np.random.default_rng(0).standard_normal(POOL[shape]).astype(np.float32)
    dy = np.random.default_rng(1).standard_normal(POOL[shape][:2] + (POOL[shape][2] // 2, POOL[shape][3] // 2)).astype(np.float32)
    step = lambda lib: _pool_step(lib, kind, x, dy, backward)  # noqa: E731
    expected = _expected(("pool", shape, kind, backward), step, "reference")
    for got, want in zip(_run(impl, step), expected):
        assert scaled_error(got, want) <= 1e-6, f"{impl} disagrees with the reference"
    benchmark.group = f"{kind}_pool2d {shape} {'fwd+bwd' if backward else 'fwd'}"
    benchmark(_run, impl, step)


# ---------------------------------------------------------------------------- routes on the layer zoo
# One layer of each kind issue 14 names (benchmarks/profile_conv.py's zoo), on each numba route
# that can serve it, against torch (or the automatic route where torch is missing).
ROUTE_LAYERS = ["lenet2", "mnist2", "res_s2_128", "res_down_1x1", "pointwise", "dw_s1", "dw_s2", "grouped",
                "dilated_64", "stem7x7", "5x5_pad", "batch1_56", "res512"]


def _route_cases():
    from benchmarks.profile_conv import ZOO_CONV
    from kernels import numba_ops, routes
    cases = []
    for layer in ROUTE_LAYERS:
        N, C, H, W, Fo, KH, KW, S, P, D, G = ZOO_CONV[layer]
        g = numba_ops.conv_geometry((N, C, H, W), (Fo, C // G, KH, KW), S, P, D, G)
        cases += [pytest.param(layer, r, id=f"{layer}-{r}") for r in (None,) + routes.ROUTES if r is None
                  or routes.SUPPORTS[r](g)]
    return cases


@pytest.mark.parametrize("layer, route", _route_cases())
def test_conv2d_route(benchmark, layer, route):
    from benchmarks.profile_conv import _zoo_arrays, _zoo_step
    arrays = _zoo_arrays(layer)

    def step(lib):
        if lib is torch:
            return _zoo_step(lib, layer, arrays, True)
        with backends.using_kernels("numba"), backends.using_route(route):
            return _zoo_step(lib, layer, arrays, True)
    if torch is not None:
        want = step(torch)
    else:
        want = _expected(("route", layer), lambda lib: _zoo_step(lib, layer, arrays, True), "numba")
    for got, ref in zip(step(mytorch), want):
        assert scaled_error(got, ref, floor=np.abs(ref).max()) <= 2e-4, f"route {route} disagrees on {layer}"
    benchmark.group = f"conv2d route {layer} fwd+bwd"
    benchmark(step, mytorch)
