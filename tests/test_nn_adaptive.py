"""nn.AdaptiveLogSoftmaxWithLoss against torch (same parameters copied in): output, loss, gradients,
log_prob and predict, in float64 (agreement to round-off, 1e-10); torch's errors for bad cutoffs/targets."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn

from conftest import requires_torch, torch


def _run(lib, batched, head_bias):
    asm = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs=[4, 9, 15], div_value=2.0, head_bias=head_bias).double()
    with lib.no_grad():
        for i, p in enumerate(asm.parameters()):
            p.copy_(lib.tensor(np.random.default_rng(i).uniform(-0.5, 0.5, tuple(p.shape))))
    x_np = np.random.default_rng(7).standard_normal((6, 8))
    t_np = np.array([0, 19, 5, 3, 12, 9])
    x = lib.tensor(x_np if batched else x_np[1], requires_grad=True)
    t = lib.tensor(t_np if batched else t_np[1])
    out, loss = asm(x, t)
    (loss + (out * out).sum()).backward()
    res = [out, loss, x.grad] + [p.grad for p in asm.parameters()]
    if batched:  # torch's log_prob refuses 1-D input
        res += [asm.log_prob(x), asm.predict(x)]
    return [r.detach().numpy() if r is not None else None for r in res], [n for n, _ in asm.named_parameters()]


@requires_torch
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(batched, head_bias):
    (mine, names_a), (theirs, names_b) = _run(mytorch, batched, head_bias), _run(torch, batched, head_bias)
    assert names_a == names_b
    for a, b in zip(mine, theirs):
        if b is None:
            assert a is None or not np.any(a)
            continue
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_adaptive_log_softmax_errors_and_normalisation():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs=[5, 3])
    with pytest.raises(ValueError, match="length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs=[])
    asm = nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[3, 6])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        asm(mytorch.ones(2, 16), mytorch.tensor([0, 10]))
    probs = asm.log_prob(mytorch.randn(3, 16)).exp().sum(1)
    np.testing.assert_allclose(probs.detach().numpy(), 1.0, rtol=1e-5)  # float32
