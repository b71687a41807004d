"""F.interpolate(antialias=True) (bilinear, bicubic) against torch: forward and gradient. torch computes the
weights in float32, mytorch in float64 and rounds once: agreement to 1e-5 on values of order 1 (a few
float32 ulps after summing up to ~15 weighted terms). Gradcheck in float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mytorch
import mytorch.nn.functional as F
from mytorch.autograd import gradcheck

from conftest import requires_torch, torch

SHAPE = (2, 2, 13, 17)


@requires_torch
@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(["bilinear", "bicubic"]), h=st.integers(1, 20), w=st.integers(1, 20),
       align_corners=st.booleans(), use_scale=st.booleans(), sh=st.floats(0.1, 1.6), sw=st.floats(0.1, 1.6))
def test_antialias_matches_torch(mode, h, w, align_corners, use_scale, sh, sw):
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    kw = dict(scale_factor=(sh, sw)) if use_scale and int(13 * sh) > 0 and int(17 * sw) > 0 else dict(size=(h, w))
    a = mytorch.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya = F.interpolate(a, mode=mode, align_corners=align_corners, antialias=True, **kw)
    out_w = int(17 * sw) if "scale_factor" in kw else w
    # NOTE: torch's contiguous-format kernel gets an output of width 1 wrong when the height shrinks (every
    # row comes out equal to the first); its channels-last kernel, and two separate resizes, agree with mytorch.
    bb = b.contiguous(memory_format=torch.channels_last) if out_w == 1 else b
    yb = torch.nn.functional.interpolate(bb, mode=mode, align_corners=align_corners, antialias=True, **kw)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5, atol=1e-5)
    if "scale_factor" in kw and (int(13 * sh) == 13 and sh != 1 or int(17 * sw) == 17 and sw != 1):
        # NOTE: torch's forward copies a dim whose size is unchanged, but its backward resamples it with the
        # given scale: the gradient is not the adjoint of the forward there. mytorch's is.
        return
    seed = np.random.default_rng(1).standard_normal(tuple(yb.shape)).astype(np.float32)
    (ya * mytorch.tensor(seed)).sum().backward()
    (yb * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_gradcheck_and_weights_sum_to_one(mode):
    x = mytorch.tensor(np.random.default_rng(2).standard_normal((1, 1, 9, 7)), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(4, 3), mode=mode, antialias=True), (x,))
    ones = F.interpolate(mytorch.ones(1, 1, 9, 7, dtype=mytorch.float64), size=(4, 3), mode=mode, antialias=True)
    np.testing.assert_allclose(ones.numpy(), 1.0, rtol=1e-12)


def test_antialias_needs_bilinear_or_bicubic_on_4d():
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(mytorch.ones(1, 1, 4), size=2, mode="linear", antialias=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(mytorch.ones(1, 1, 4, 4), size=2, mode="nearest", antialias=True)
