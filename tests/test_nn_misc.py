"""EmbeddingBag, LazyLinear, nn.Buffer, gumbel_softmax, pdist and in-place activation aliases
against torch."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 2])
OFFSETS = np.array([0, 2, 2, 5])  # the second bag is empty
BAGS = [
    ("sum_offsets", lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT), w, m.tensor(OFFSETS), mode="sum"), {}),
    ("mean_offsets", lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT), w, m.tensor(OFFSETS)), {}),
    ("max_offsets", lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT), w, m.tensor(OFFSETS), mode="max"), {}),
    ("mean_2d_padding", lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT.reshape(2, 5)), w, padding_idx=2),
     {}),
    ("max_2d_padding", lambda m, w: m.nn.functional.embedding_bag(m.tensor(FLAT.reshape(5, 2)), w, mode="max",
                                                                   padding_idx=4), {}),
    ("sum_last_offset", lambda m, w: m.nn.functional.embedding_bag(
        m.tensor(FLAT), w, m.tensor([0, 3, 7, 10]), mode="sum", include_last_offset=True), {}),
    ("sum_weights", lambda m, w, s: m.nn.functional.embedding_bag(
        m.tensor(FLAT), w, m.tensor(OFFSETS), mode="sum", per_sample_weights=s), dict(extra=(10,))),
]


@pytest.mark.parametrize("name, fn, opts", BAGS, ids=[b[0] for b in BAGS])
def test_embedding_bag_gradcheck(name, fn, opts):
    if "padding" in name:
        pytest.skip("padding rows get no gradient on purpose: checked against torch instead")
    shapes = [(10, 3)] + ([opts["extra"]] if "extra" in opts else [])
    check_gradcheck(fn, [draw(s, seed=i) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, opts", BAGS, ids=[b[0] for b in BAGS])
def test_embedding_bag_matches_torch(name, fn, opts):
    shapes = [(10, 3)] + ([opts["extra"]] if "extra" in opts else [])
    arrays = [draw(s, seed=i) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=REDUCTION_TOL)
    check_against_torch(fn, arrays, tol=1e-12, dtype="float64")


@requires_torch
def test_embedding_bag_module_matches_torch():
    theirs = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=2)
    ours = nn.EmbeddingBag(10, 3, mode="max", padding_idx=2)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    out_o = ours(mytorch.tensor(FLAT), mytorch.tensor(OFFSETS))
    out_t = theirs(torch.tensor(FLAT), torch.tensor(OFFSETS))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy())
    pre = nn.EmbeddingBag.from_pretrained(mytorch.ones(4, 2), mode="sum")
    assert not pre.weight.requires_grad and pre(mytorch.tensor([[0, 1, 3]])).tolist() == [[3.0, 3.0]]


@requires_torch
def test_lazy_linear_materialises_in_place_like_torch():
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(ours) == repr(theirs)
    params_before = list(ours.parameters())
    assert all(isinstance(p, nn.UninitializedParameter) for p in params_before)
    out = ours(mytorch.ones(2, 5))
    theirs(torch.ones(2, 5))
    assert repr(ours) == repr(theirs) and type(ours) is nn.Linear
    assert [p is q for p, q in zip(params_before, ours.parameters())] == [True, True]
    assert type(ours.weight) is nn.Parameter and tuple(ours.weight.shape) == (3, 5) and out.shape == (2, 3)
    assert np.abs(ours.weight.detach().numpy()).max() <= 1 / np.sqrt(5)


def test_buffer_attribute_registers_a_buffer():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = nn.Buffer(mytorch.zeros(3))
            self.cache = nn.Buffer(mytorch.ones(2), persistent=False)

    m = M()
    assert [n for n, _ in m.named_buffers()] == ["mean", "cache"]
    assert list(m.state_dict()) == ["mean"]


@requires_torch
def test_pdist_matches_torch():
    for p in (2.0, 1.0, 3.0):
        fn = lambda m, a: m.nn.functional.pdist(a, p)  # noqa: E731
        check_against_torch(fn, [draw((5, 3), 0)], tol=REDUCTION_TOL)
        check_gradcheck(fn, [draw((5, 3), 0)])


def test_gumbel_softmax_soft_and_hard():
    mytorch.manual_seed(0)
    logits = mytorch.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    np.testing.assert_allclose(h.mean(0), [0.7, 0.2, 0.1], atol=0.03)  # Gumbel-max samples the softmax
    (hard * mytorch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


def test_inplace_aliases():
    x = mytorch.tensor([-1.0, 1.0])
    assert F.selu_(x) is x and x.tolist()[1] == pytest.approx(1.0507009873554805)
    y = mytorch.tensor([-1.0, 1.0])
    assert F.celu_(y, 2.0) is y and y.tolist()[0] == pytest.approx(2 * (np.exp(-0.5) - 1))
