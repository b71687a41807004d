"""Normalization, dropout, padding, resampling, fold/unfold and the other layers against torch:
functional forward and backward, float64 gradcheck, module state_dicts, reprs and outputs."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

CASES = [
    ("layer_norm", lambda m, a, w, b: m.nn.functional.layer_norm(a, (3, 4), w, b), [(2, 3, 4), (3, 4), (3, 4)]),
    ("layer_norm_plain", lambda m, a: m.nn.functional.layer_norm(a, [4]), [(5, 4)]),
    ("group_norm", lambda m, a, w, b: m.nn.functional.group_norm(a, 2, w, b), [(2, 4, 3, 2), (4,), (4,)]),
    ("instance_norm", lambda m, a, w, b: m.nn.functional.instance_norm(a, weight=w, bias=b), [(2, 3, 5), (3,), (3,)]),
    ("local_response_norm", lambda m, a: m.nn.functional.local_response_norm(a, 3, alpha=0.1, k=2.0),
     [(2, 5, 3, 2)]),
    ("pad_constant_crop", lambda m, a: m.nn.functional.pad(a, (1, -1, -2, 2), value=0.5), [(2, 3, 4, 5)]),
    ("pad_reflect_2d", lambda m, a: m.nn.functional.pad(a, (2, 1, 1, 3), mode="reflect"), [(2, 3, 4, 5)]),
    ("pad_reflect_1d_unbatched", lambda m, a: m.nn.functional.pad(a, (3, 2), mode="reflect"), [(2, 5)]),
    ("pad_replicate_3d", lambda m, a: m.nn.functional.pad(a, (1, 2, 2, 0, 1, 1), mode="replicate"),
     [(1, 2, 3, 3, 2)]),
    ("pad_circular_2d", lambda m, a: m.nn.functional.pad(a, (2, 1, 3, 0), mode="circular"), [(1, 2, 3, 4)]),
    ("pad_circular_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2), mode="circular"), [(2, 3, 4)]),
    ("nearest_2x", lambda m, a: m.nn.functional.interpolate(a, scale_factor=2), [(1, 2, 3, 4)]),
    ("nearest_size", lambda m, a: m.nn.functional.interpolate(a, size=(5, 3)), [(1, 2, 3, 4)]),
    ("nearest_exact", lambda m, a: m.nn.functional.interpolate(a, size=(7,), mode="nearest-exact"), [(1, 2, 4)]),
    ("nearest_scale_1_7", lambda m, a: m.nn.functional.interpolate(a, scale_factor=1.7), [(1, 2, 5)]),
    ("linear", lambda m, a: m.nn.functional.interpolate(a, scale_factor=2.5, mode="linear"), [(2, 2, 4)]),
    ("bilinear", lambda m, a: m.nn.functional.interpolate(a, size=(5, 7), mode="bilinear"), [(1, 2, 3, 4)]),
    ("bilinear_align", lambda m, a: m.nn.functional.interpolate(a, scale_factor=2, mode="bilinear",
                                                                 align_corners=True), [(1, 2, 3, 4)]),
    ("bilinear_down_recompute", lambda m, a: m.nn.functional.interpolate(
        a, scale_factor=0.6, mode="bilinear", recompute_scale_factor=True), [(1, 1, 5, 6)]),
    ("bicubic", lambda m, a: m.nn.functional.interpolate(a, size=(6, 5), mode="bicubic"), [(1, 2, 3, 4)]),
    ("bicubic_align", lambda m, a: m.nn.functional.interpolate(a, scale_factor=1.5, mode="bicubic",
                                                                align_corners=True), [(1, 1, 4, 4)]),
    ("trilinear", lambda m, a: m.nn.functional.interpolate(a, scale_factor=2, mode="trilinear"), [(1, 1, 2, 3, 2)]),
    ("area", lambda m, a: m.nn.functional.interpolate(a, size=(2, 3), mode="area"), [(1, 2, 5, 7)]),
    ("pixel_shuffle", lambda m, a: m.nn.functional.pixel_shuffle(a, 2), [(2, 8, 2, 3)]),
    ("pixel_unshuffle", lambda m, a: m.nn.functional.pixel_unshuffle(a, 2), [(1, 2, 4, 6)]),
    ("channel_shuffle", lambda m, a: m.nn.ChannelShuffle(2)(a), [(2, 6, 2, 2)]),
    ("unfold", lambda m, a: m.nn.functional.unfold(a, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [(2, 3, 5, 6)]),
    ("fold", lambda m, a: m.nn.functional.fold(a, (4, 5), 2, padding=(1, 0), stride=(1, 2)), [(2, 12, 10)]),
    ("bilinear_layer", lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c), [(4, 3), (4, 2), (5, 3, 2), (5,)]),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes):
    check_gradcheck(fn, [draw(s, seed=i) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes):
    arrays = [draw(s, seed=i) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=REDUCTION_TOL)  # normalizations and resampling sum terms
    check_against_torch(fn, arrays, tol=1e-10, dtype="float64")


@requires_torch
@pytest.mark.parametrize("in_size, scale", [(5, 1.7), (7, 0.33), (3, 2.5), (10, 3.0), (6, 0.5)])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_scale_factors_match_torch(in_size, scale, mode):
    x = draw((1, 1, in_size, in_size + 1), 0).astype(np.float32)
    ours = F.interpolate(mytorch.tensor(x), scale_factor=scale, mode=mode)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale, mode=mode)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


@requires_torch
def test_instance_norm_running_stats_match_torch():
    x = draw((4, 3, 6), 0).astype(np.float32) * 2 + 1
    ours = nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.3)
    theirs = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for _ in range(2):
        out_o, out_t = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=1e-5)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(mytorch.tensor(x[0])).detach().numpy(), theirs(torch.tensor(x[0])).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


MODULES = [
    ("LayerNorm", (4,), {}, (2, 3, 4)), ("LayerNorm", ((3, 4),), dict(elementwise_affine=False), (2, 3, 4)),
    ("LayerNorm", (4,), dict(bias=False), (2, 4)), ("GroupNorm", (2, 4), {}, (2, 4, 3)),
    ("GroupNorm", (1, 4), dict(affine=False), (2, 4, 3)), ("InstanceNorm2d", (3,), {}, (2, 3, 4, 4)),
    ("InstanceNorm1d", (3,), dict(affine=True), (3, 5)), ("LocalResponseNorm", (2,), {}, (2, 4, 3, 3)),
    ("BatchNorm3d", (2,), {}, (3, 2, 2, 2, 2)), ("ZeroPad2d", (2,), {}, (1, 2, 3, 3)),
    ("ZeroPad2d", ((1, 0, 2, 1),), {}, (1, 2, 3, 3)), ("ConstantPad1d", ((1, 2), 3.5), {}, (2, 3)),
    ("ConstantPad2d", (1, -1.0), {}, (1, 2, 3)), ("ReflectionPad1d", (2,), {}, (1, 2, 4)),
    ("ReflectionPad2d", ((1, 2, 0, 1),), {}, (1, 2, 3, 4)), ("ReplicationPad1d", ((1, 2),), {}, (2, 3)),
    ("ReplicationPad2d", (2,), {}, (1, 1, 2, 2)), ("CircularPad2d", (1,), {}, (1, 1, 3, 3)),
    ("Upsample", (), dict(scale_factor=2), (1, 2, 3, 3)),
    ("Upsample", (), dict(size=(4, 5), mode="bilinear"), (1, 2, 3, 3)),
    ("Upsample", (), dict(scale_factor=(2, 1.5), mode="bicubic", align_corners=True), (1, 2, 3, 4)),
    ("UpsamplingNearest2d", (), dict(size=5), (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2), (1, 2, 3, 3)), ("PixelShuffle", (2,), {}, (1, 8, 2, 2)),
    ("PixelUnshuffle", (2,), {}, (1, 2, 4, 4)), ("Unfold", (3,), dict(padding=1), (1, 2, 4, 4)),
    ("Fold", ((4, 5), 2), {}, (1, 8, 12)), ("ChannelShuffle", (2,), {}, (1, 4, 2, 2)),
    ("Flatten", (0,), {}, (2, 3, 4)), ("Unflatten", (1, (2, 3)), {}, (4, 6)), ("Identity", (3,), dict(a=1), (2, 2)),
    ("Dropout2d", (), {}, (2, 3, 4, 4)), ("Dropout1d", (0.1,), dict(inplace=True), (2, 3, 4)),
    ("Dropout3d", (), {}, (2, 3, 2, 2, 2)), ("AlphaDropout", (0.2,), {}, (3, 4)),
    ("FeatureAlphaDropout", (), {}, (2, 3, 4)), ("Dropout", (0.3,), {}, (3, 4)),
    ("Linear", (3, 2), dict(bias=False), (4, 3)), ("Linear", (3, 2), {}, (5, 4, 3)),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (1, 2, 5, 5)),
    ("Conv2d", (2, 4, (3, 2)), dict(padding="same", padding_mode="circular", dilation=(1, 2), groups=2, bias=False),
     (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(stride=2, padding=(2, 1), padding_mode="replicate"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding="same"), (1, 2, 4, 4)),
    ("MaxPool2d", (3, 2, 1, 2), dict(ceil_mode=True), (1, 2, 8, 7)), ("MaxPool2d", ((2, 3),), {}, (1, 1, 5, 7)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (1, 2, 6, 7)),
    ("AvgPool2d", (2,), dict(divisor_override=3), (1, 2, 4, 5)),
]


@requires_torch
@pytest.mark.parametrize("name, args, kwargs, shape", MODULES, ids=[f"{m[0]}{i}" for i, m in enumerate(MODULES)])
def test_module_state_dict_repr_and_output_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    shapes = lambda sd: [tuple(v.shape) for v in sd.values()]  # noqa: E731
    assert shapes(ours.state_dict()) == shapes(theirs.state_dict())
    # random affine parameters so that loading matters
    sd = {k: torch.tensor(draw(tuple(v.shape), 5).astype(np.float32)) if v.dtype.is_floating_point else v
          for k, v in theirs.state_dict().items()}
    if "running_var" in sd:
        sd["running_var"] = sd["running_var"].abs() + 0.5
    theirs.load_state_dict(sd)
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in sd.items()})
    ours.eval(), theirs.eval()
    x = draw(shape, 1).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_o, out_t = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)


@requires_torch
def test_bilinear_module_matches_torch():
    ours, theirs = nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    a, b = draw((2, 5, 3), 0).astype(np.float32), draw((2, 5, 2), 1).astype(np.float32)
    np.testing.assert_allclose(ours(mytorch.tensor(a), mytorch.tensor(b)).detach().numpy(),
                               theirs(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.abs(nn.Bilinear(9, 2, 40).weight.detach().numpy()).max() <= 1 / 3


def test_channel_dropout_zeroes_whole_channels_and_scales():
    mytorch.manual_seed(0)
    for fn, shape in ((F.dropout1d, (50, 40, 6)), (F.dropout2d, (50, 40, 3, 3)), (F.dropout3d, (50, 40, 2, 2, 2))):
        y = fn(mytorch.ones(*shape), 0.25).numpy().reshape(50, 40, -1)
        per_channel = y.min(-1)
        assert (per_channel == y.max(-1)).all()  # one decision per channel
        assert set(np.unique(per_channel)) == {0.0, np.float32(1 / 0.75)}
        assert abs((per_channel == 0).mean() - 0.25) < 0.05
    x = mytorch.ones(2, 3)
    assert F.dropout1d(x, 0.5, training=False) is x


def test_alpha_dropout_keeps_selu_statistics():
    mytorch.manual_seed(0)
    x = F.selu(mytorch.randn(200000) * 1.0)
    x = (x - x.mean()) / x.std()
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False in the functional form


def test_dropout_inplace_outside_graph():
    x = mytorch.ones(100)
    assert F.dropout(x, 0.5, inplace=True) is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


@requires_torch
def test_errors_match_torch():
    cases = [
        (lambda m: m.nn.functional.layer_norm(m.ones(2, 3), [4]), RuntimeError),
        (lambda m: m.nn.functional.group_norm(m.ones(2, 3, 4), 2), RuntimeError),
        (lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (3, 3), mode="reflect"), RuntimeError),
        (lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (1,)), RuntimeError),
        (lambda m: m.nn.functional.interpolate(m.ones(1, 1, 3), scale_factor=2, mode="bilinear"), NotImplementedError),
        (lambda m: m.nn.functional.interpolate(m.ones(1, 1, 3), scale_factor=2, align_corners=True), ValueError),
        (lambda m: m.nn.functional.interpolate(m.ones(1, 1, 3)), ValueError),
        (lambda m: m.nn.functional.pixel_shuffle(m.ones(1, 5, 2, 2), 2), RuntimeError),
        (lambda m: m.nn.functional.dropout1d(m.ones(1, 2, 3, 4)), RuntimeError),
        (lambda m: m.nn.GroupNorm(3, 4), ValueError),
        (lambda m: m.nn.functional.fold(m.ones(1, 8, 5), (4, 5), 2), RuntimeError),
    ]
    for make, error in cases:
        with pytest.raises(error):
            make(torch)
        with pytest.raises(error):
            make(mytorch)


THETA = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.3, 0.4, 0.3], [-0.5, 0.8, 0.25]]])
GRID_CASES = [
    ("affine_grid", lambda m, t: m.nn.functional.affine_grid(t, (2, 3, 4, 5), align_corners=False), [(2, 2, 3)]),
    ("affine_grid_align_3d", lambda m, t: m.nn.functional.affine_grid(t, (2, 1, 2, 3, 4), align_corners=True),
     [(2, 3, 4)]),
    ("grid_sample", lambda m, x, t: m.nn.functional.grid_sample(
        x, m.nn.functional.affine_grid(t + m.tensor(THETA, dtype=t.dtype), (2, 3, 4, 5), align_corners=False),
        align_corners=False), [(2, 3, 5, 6), (2, 2, 3)]),
    ("grid_sample_border_align", lambda m, x, g: m.nn.functional.grid_sample(
        x, g * 1.3, padding_mode="border", align_corners=True), [(1, 2, 4, 5), (1, 3, 4, 2)]),
    ("grid_sample_reflection", lambda m, x, g: m.nn.functional.grid_sample(
        x, g * 1.6, padding_mode="reflection", align_corners=False), [(1, 2, 4, 5), (1, 3, 4, 2)]),
    ("grid_sample_nearest", lambda m, x, g: m.nn.functional.grid_sample(
        x, g.detach(), mode="nearest", align_corners=False), [(1, 2, 4, 5), (1, 3, 4, 2)]),
]


@pytest.mark.parametrize("name, fn, shapes", GRID_CASES, ids=[c[0] for c in GRID_CASES])
def test_grid_gradcheck(name, fn, shapes):
    # draws in [-1, 1) keep sample points off pixel centres' kinks with probability 1
    check_gradcheck(fn, [draw(s, seed=i, low=-1, high=1) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes", GRID_CASES, ids=[c[0] for c in GRID_CASES])
def test_grid_matches_torch(name, fn, shapes):
    arrays = [draw(s, seed=i, low=-1, high=1) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=REDUCTION_TOL)
    check_against_torch(fn, arrays, tol=1e-10, dtype="float64")


@requires_torch
@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.integers(1, 9), ow=st.integers(1, 9),
       mode=st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic", "area"]),
       align=st.booleans(), by_scale=st.booleans(), scale=st.floats(0.3, 3.0))
def test_interpolate_geometry_matches_torch(h, w, oh, ow, mode, align, by_scale, scale):
    x = draw((1, 2, h, w), 0).astype(np.float32)
    kw = dict(mode=mode)
    if mode in ("bilinear", "bicubic"):
        kw["align_corners"] = align
    if by_scale and mode != "area":
        kw["scale_factor"] = scale
        if int(h * scale) < 1 or int(w * scale) < 1:
            return
    else:
        kw["size"] = (oh, ow)
    ours = F.interpolate(mytorch.tensor(x), **kw)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), **kw)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)


@requires_torch
@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=5), data=st.data(),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_pad_geometry_matches_torch(shape, data, mode):
    k = data.draw(st.integers(1, min(3, len(shape) - 1) if mode != "constant" else len(shape)))
    if mode != "constant" and len(shape) > k + 2:
        shape = shape[:k + 2]
    widths = []
    for i in range(k):
        n = shape[-1 - i]
        bound = n - 1 if mode == "reflect" else n
        lo = data.draw(st.integers(-(n // 2), bound))
        hi = data.draw(st.integers(-(n // 2), bound))
        kept = n - max(-lo, 0) - max(-hi, 0)
        if mode == "circular" and max(lo, hi) > kept:
            return  # torch wraps more than once or reads uninitialised memory there; we raise
        widths += [lo, hi]
    x = draw(tuple(shape), 0).astype(np.float32)
    try:
        theirs = torch.nn.functional.pad(torch.tensor(x), widths, mode=mode)
    except (RuntimeError, NotImplementedError, ValueError) as error:
        with pytest.raises(type(error)):
            F.pad(mytorch.tensor(x), widths, mode=mode)
        return
    ours = F.pad(mytorch.tensor(x), widths, mode=mode)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3), dh=st.integers(1, 2),
       dw=st.integers(1, 2), ph=st.integers(0, 2), pw=st.integers(0, 2), sh=st.integers(1, 3), sw=st.integers(1, 3))
def test_unfold_fold_geometry_matches_torch(h, w, kh, kw, dh, dw, ph, pw, sh, sw):
    geo = dict(kernel_size=(kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))
    x = draw((2, 3, h, w), 0).astype(np.float32)
    try:
        theirs = torch.nn.functional.unfold(torch.tensor(x), **geo)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            F.unfold(mytorch.tensor(x), **geo)
        return
    ours = F.unfold(mytorch.tensor(x), **geo)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    cols = draw(tuple(theirs.shape), 1).astype(np.float32)
    np.testing.assert_allclose(F.fold(mytorch.tensor(cols), (h, w), **geo).numpy(),
                               torch.nn.functional.fold(torch.tensor(cols), (h, w), **geo).numpy(),
                               rtol=1e-5, atol=1e-6)


@requires_torch
def test_nearest_upsampling_of_integer_images_matches_torch():
    x = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    for kw in (dict(scale_factor=2), dict(size=(5, 7)), dict(size=(4, 3), mode="nearest-exact")):
        ours = F.interpolate(mytorch.tensor(x), **kw)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), **kw)
        assert ours.dtype == mytorch.uint8
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_mode_gradients_match_torch(mode):
    """Input, weight and bias gradients of nn.Conv2d with a non-zero padding mode, as torch's
    (float32 on both sides: rtol/atol 1e-5 covers summation-order differences on 3x3x2 windows)."""
    theirs = torch.nn.Conv2d(2, 3, 3, stride=(1, 2), padding=(2, 1), padding_mode=mode)
    ours = nn.Conv2d(2, 3, 3, stride=(1, 2), padding=(2, 1), padding_mode=mode)
    ours.load_state_dict({k: mytorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = draw((2, 2, 4, 5), 3).astype(np.float32)
    xo, xt = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xo) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), getattr(theirs, name).grad.numpy(),
                                   rtol=1e-5, atol=1e-5)


@requires_torch
def test_conv2d_bad_padding_mode_raises_as_torch():
    with pytest.raises(ValueError, match="padding_mode='bad'"):
        torch.nn.Conv2d(1, 1, 3, padding_mode="bad")
    with pytest.raises(ValueError, match="padding_mode='bad'"):
        nn.Conv2d(1, 1, 3, padding_mode="bad")


@requires_torch
def test_max_pool2d_module_returns_indices_as_torch():
    ours, theirs = nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True), \
        torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)
    assert repr(ours) == repr(theirs)
    x = draw((1, 2, 6, 5), 4).astype(np.float32)
    (vo, io), (vt, it) = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(vo.numpy(), vt.numpy())
    np.testing.assert_array_equal(io.numpy(), it.numpy())
