"""nn.utils.prune, weight_norm and spectral_norm against torch on the same weights: masks, state_dict
keys, outputs and gradients."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from conftest import requires_torch, torch
from helpers import draw


def _pair(shape=(4, 6), seed=0):
    ours, theirs = nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
    theirs.load_state_dict({"weight": torch.tensor(draw(shape, seed).astype(np.float32)),
                            "bias": torch.tensor(draw(shape[:1], 1).astype(np.float32))})
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


PRUNINGS = [
    ("l1_twice", lambda p, m: (p.l1_unstructured(m, "weight", amount=0.5), p.l1_unstructured(m, "weight", amount=3))),
    ("ln_structured", lambda p, m: p.ln_structured(m, "weight", amount=0.5, n=2, dim=0)),
    ("ln_then_l1", lambda p, m: (p.ln_structured(m, "weight", amount=1, n=1, dim=1),
                                 p.l1_unstructured(m, "weight", amount=0.25))),
    ("custom_mask", lambda p, m: p.custom_from_mask(m, "bias", mask=(m.bias > 0))),
]


@requires_torch
@pytest.mark.parametrize("name, fn", PRUNINGS, ids=[p[0] for p in PRUNINGS])
def test_pruning_matches_torch(name, fn):
    import mytorch.nn.utils.prune as ours_prune
    import torch.nn.utils.prune as torch_prune
    ours, theirs = _pair()
    fn(ours_prune, ours)
    fn(torch_prune, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key in theirs.state_dict():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), theirs.state_dict()[key].numpy())
    x = draw((3, 6), 2).astype(np.float32)
    ours(mytorch.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    grad = lambda m: (m.weight_orig if hasattr(m, "weight_orig") else m.weight).grad.numpy()  # noqa: E731
    np.testing.assert_allclose(grad(ours), grad(theirs), rtol=1e-6)
    assert ours_prune.is_pruned(ours) and torch_prune.is_pruned(theirs)
    pruned = "bias" if name == "custom_mask" else "weight"
    ours_prune.remove(ours, pruned)
    torch_prune.remove(theirs, pruned)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not ours_prune.is_pruned(ours)
    np.testing.assert_array_equal(getattr(ours, pruned).detach().numpy(), getattr(theirs, pruned).detach().numpy())


@requires_torch
def test_global_unstructured_matches_torch():
    import mytorch.nn.utils.prune as ours_prune
    import torch.nn.utils.prune as torch_prune
    (a, ta), (b, tb) = _pair((4, 6)), _pair((3, 6), seed=5)  # no ties: their order is torch's topk's
    ours_prune.global_unstructured([(a, "weight"), (b, "weight")], ours_prune.L1Unstructured, amount=0.4)
    torch_prune.global_unstructured([(ta, "weight"), (tb, "weight")], torch_prune.L1Unstructured, amount=0.4)
    for o, t in ((a, ta), (b, tb)):
        np.testing.assert_array_equal(o.weight_mask.numpy(), t.weight_mask.numpy())


@requires_torch
def test_weight_norm_matches_torch():
    ours, theirs = _pair()
    nn.utils.weight_norm(ours)
    torch.nn.utils.weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = draw((3, 6), 2).astype(np.float32)
    out_o, out_t = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_o.sum().backward(), out_t.sum().backward()
    for key in ("weight_g", "weight_v"):
        np.testing.assert_allclose(getattr(ours, key).grad.numpy(), getattr(theirs, key).grad.numpy(), rtol=1e-4,
                                   atol=1e-6)
    nn.utils.remove_weight_norm(ours)
    assert list(ours.state_dict()) == ["bias", "weight"]


@requires_torch
def test_spectral_norm_matches_torch_from_the_same_vectors():
    ours, theirs = _pair()
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = draw((3, 6), 2).astype(np.float32)
    for _ in range(3):  # training: power iteration moves u and v the same way
        out_o, out_t = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-4, atol=1e-6)
    sigma = np.linalg.svd(ours.weight_orig.detach().numpy(), compute_uv=False)[0]
    ours.eval()
    for _ in range(50):
        ours.train()(mytorch.tensor(x))
    np.testing.assert_allclose(np.linalg.svd(ours.weight.detach().numpy(), compute_uv=False)[0], 1.0, rtol=1e-3)
    assert sigma > 0
    nn.utils.remove_spectral_norm(ours)
    assert list(ours.state_dict()) == ["bias", "weight"]


UTILS_NAMES = ["prune", "rnn", "spectral_norm", "remove_spectral_norm", "weight_norm", "remove_weight_norm",
               "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


@requires_torch
@pytest.mark.parametrize("name", UTILS_NAMES)
def test_utils_package_exposes_names_as_torch(name):
    """nn.utils.<name> is what torch's is: a submodule (prune, rnn) or a function (spectral_norm is
    the function, not its submodule), and each is in __all__."""
    import inspect
    ours, theirs = getattr(nn.utils, name), getattr(torch.nn.utils, name)
    assert inspect.ismodule(ours) == inspect.ismodule(theirs)
    assert callable(ours) == callable(theirs)
    assert name in nn.utils.__all__
