"""conv2d / max_pool2d / avg_pool2d through the public API and autograd, on every implementation."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kernels
import mytorch
import mytorch.nn.functional as F
from mytorch import backends
from conftest import requires_torch
from helpers import check_against_torch, check_gradcheck, draw

IMPLS = ["reference", "numpy", "numba"]

CONV_CASES = [
    ("lenet1", (2, 1, 8, 8), (3, 1, 5, 5), dict(padding=2)),
    ("strided_dilated", (2, 4, 9, 8), (6, 4, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ("groups", (2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ("depthwise", (1, 3, 6, 5), (3, 1, 3, 3), dict(groups=3)),
    ("large_k_gemm_path", (2, 20, 6, 6), (4, 20, 3, 3), dict(padding=1)),
    ("same_even_kernel", (1, 2, 6, 7), (3, 2, 4, 2), dict(padding="same")),
    ("valid", (1, 2, 5, 5), (2, 2, 3, 3), dict(padding="valid")),
]


@pytest.fixture(params=IMPLS)
def impl(request):
    with backends.using_kernels(request.param):
        yield request.param


def _conv(kw, bias=True):
    if bias:
        return lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw)
    return lambda m, x, w: m.nn.functional.conv2d(x, w, **kw)


@pytest.mark.parametrize("name, xs, ws, kw", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv2d_gradcheck(impl, name, xs, ws, kw):
    check_gradcheck(_conv(kw), [draw(xs, 0), draw(ws, 1), draw(ws[:1], 2)])


@requires_torch
@pytest.mark.parametrize("name, xs, ws, kw", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv2d_matches_torch(impl, name, xs, ws, kw):
    check_against_torch(_conv(kw), [draw(xs, 0), draw(ws, 1), draw(ws[:1], 2)], tol=1e-5)
    check_against_torch(_conv(kw, bias=False), [draw(xs, 0), draw(ws, 1)], tol=1e-12, dtype="float64")


@requires_torch
@pytest.mark.parametrize("padding", [0, 1, 2, 3])
def test_winograd_sized_conv_matches_torch(impl, padding):
    """64 -> 64 channels, 3x3, stride 1, outputs of 17-21 pixels: the numba implementation's Winograd
    route (sizes that are not multiples of 4 leave a partial last tile)."""
    xs, ws = (2, 64, 19, 18), (64, 64, 3, 3)
    check_against_torch(_conv(dict(padding=padding)), [draw(xs, 0), draw(ws, 1), draw(ws[:1], 2)], tol=1e-5)
    check_against_torch(_conv(dict(padding=padding), bias=False), [draw(xs, 0), draw(ws, 1)], tol=1e-12,
                        dtype="float64")


POOL_CASES = [
    ("max_2x2", lambda m, x: m.nn.functional.max_pool2d(x, 2), (2, 3, 6, 6)),
    ("max_overlap_pad", lambda m, x: m.nn.functional.max_pool2d(x, 3, stride=2, padding=1), (2, 2, 7, 6)),
    ("avg_2x2", lambda m, x: m.nn.functional.avg_pool2d(x, 2), (2, 3, 6, 6)),
    ("avg_overlap_pad", lambda m, x: m.nn.functional.avg_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 1)), (1, 2, 7, 6)),
    ("max_unbatched", lambda m, x: m.nn.functional.max_pool2d(x, 2), (3, 4, 4)),
]


@pytest.mark.parametrize("name, fn, shape", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_gradcheck(impl, name, fn, shape):
    check_gradcheck(fn, [draw(shape, 0)])  # continuous random values: no ties, so max is differentiable


@requires_torch
@pytest.mark.parametrize("name, fn, shape", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_matches_torch(impl, name, fn, shape):
    check_against_torch(fn, [draw(shape, 0)])


@requires_torch
def test_max_pool_return_indices_match_torch(impl):
    import torch
    x = np.round(draw((2, 3, 6, 6), 0))  # ties
    y, idx = F.max_pool2d(mytorch.tensor(x), 2, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_first_layer_input_gets_no_gradient_computed(impl):
    x = mytorch.randn(2, 1, 6, 6)
    w = mytorch.randn(2, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (2, 1, 3, 3)


# ----------------------------------------------------------------------------- the choice
def test_set_get_and_context_manager():
    before = backends.get_kernels()
    with backends.using_kernels("reference"):
        assert backends.get_kernels() == "reference" and backends.implementation() is kernels.load("reference")
        with backends.using_kernels("numpy"):
            assert backends.implementation() is kernels.load("numpy")
        assert backends.get_kernels() == "reference"
    assert backends.get_kernels() == before


def test_unknown_name_raises_with_the_choices():
    with pytest.raises(ValueError, match="choose one of auto, reference, numpy, numba"):
        backends.set_kernels("cudnn")


def test_environment_variable_is_read_at_import():
    code = "import mytorch; print(mytorch.backends.get_kernels())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, MYTORCH_KERNELS="numpy"),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"
    bad = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, MYTORCH_KERNELS="fast"),
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown kernels implementation 'fast'" in bad.stderr


def test_auto_degrades_to_numpy_with_one_warning_when_numba_is_missing(monkeypatch):
    real_load = kernels.load

    def load_without_numba(name):
        if name == "numba":
            raise ImportError("No module named 'numba'")
        return real_load(name)
    monkeypatch.setattr(kernels, "load", load_without_numba)
    monkeypatch.setattr(backends._state, "auto_fallback", None)
    with backends.using_kernels("auto"):
        with pytest.warns(RuntimeWarning, match="fall back to the numpy implementation"):
            assert backends.implementation() is real_load("numpy")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # only one warning
            assert backends.implementation() is real_load("numpy")
        with pytest.raises(ImportError, match="install numba or choose MYTORCH_KERNELS=numpy"):
            backends.set_kernels("numba")


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, message", [
    (lambda: F.conv2d(mytorch.ones(1, 3, 8, 8), mytorch.ones(6, 1, 5, 5)),
     r"Given groups=1, weight of size \[6, 1, 5, 5\], expected input\[1, 3, 8, 8\] to have 1 channels, but got 3 channels instead"),
    (lambda: F.conv2d(mytorch.ones(8, 8), mytorch.ones(6, 1, 5, 5)), r"Expected 3D \(unbatched\) or 4D \(batched\) input"),
    (lambda: F.conv2d(mytorch.ones(1, 4, 8, 8), mytorch.ones(6, 2, 3, 3), groups=4), r"divisible by 4"),
    (lambda: F.conv2d(mytorch.ones(1, 1, 3, 3), mytorch.ones(2, 1, 5, 5)), r"Calculated output size: \(-1x-1\)"),
    (lambda: F.conv2d(mytorch.ones(1, 1, 8, 8), mytorch.ones(2, 1, 3, 3), mytorch.ones(3)), r"bias of size \[3\]"),
    (lambda: F.conv2d(mytorch.ones(1, 1, 8, 8), mytorch.ones(2, 1, 3, 3, dtype=mytorch.float64)),
     r"Input type \(mytorch.float32\) and weight type \(mytorch.float64\)"),
    (lambda: F.conv2d(mytorch.ones(1, 1, 8, 8), mytorch.ones(2, 1, 3, 3), stride=2, padding="same"), r"strided"),
    (lambda: F.max_pool2d(mytorch.ones(1, 1, 4, 4), 2, padding=2), r"pad should be at most half of effective kernel size"),
    (lambda: F.max_pool2d(mytorch.ones(1, 1, 1, 1), 2), r"Output size is too small"),
    (lambda: F.avg_pool2d(mytorch.ones(4, 4), 2), r"Expected 3D or 4D"),
])
def test_bad_input_messages(make, message):
    with pytest.raises(RuntimeError, match=message):
        make()


def test_bad_options_say_so():
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(mytorch.ones(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        F.conv2d(mytorch.ones(1, 1, 4, 4), mytorch.ones(1, 1, 3, 3), padding="full")
