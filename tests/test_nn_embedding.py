"""nn.Embedding and F.embedding against torch: lookup, scatter-add gradient, padding_idx,
max_norm renormalisation, scale_grad_by_freq, from_pretrained, errors and repr."""
import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

IDX = np.array([[1, 2, 4, 1], [4, 3, 2, 9]])

CASES = [
    ("plain", {}),
    ("padding", dict(padding_idx=1)),
    ("padding_negative", dict(padding_idx=-1)),
    ("freq", dict(scale_grad_by_freq=True)),
    ("freq_padding", dict(scale_grad_by_freq=True, padding_idx=4)),
]


def test_embedding_gradcheck():
    # NOTE: padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
    # derivative), so finite differences check only the plain lookup; torch checks the others.
    check_gradcheck(lambda m, w: m.nn.functional.embedding(m.tensor(IDX), w), [draw((10, 3), 0)])


@requires_torch
@pytest.mark.parametrize("name, opts", CASES, ids=[c[0] for c in CASES])
def test_embedding_matches_torch(name, opts):
    fn = lambda m, w: m.nn.functional.embedding(m.tensor(IDX), w, **opts)  # noqa: E731
    # a gradient row is a sum of at most 2 upstream values: reduction tolerance
    check_against_torch(fn, [draw((10, 3), 0)], tol=REDUCTION_TOL)
    check_against_torch(fn, [draw((10, 3), 0)], tol=1e-12, dtype="float64")


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_rows_in_place_as_torch(norm_type):
    w = draw((10, 4), 1) * 3
    ours, theirs = mytorch.tensor(w.astype(np.float32)), torch.tensor(w.astype(np.float32))
    out_o = F.embedding(mytorch.tensor(IDX), ours, max_norm=1.5, norm_type=norm_type)
    out_t = torch.nn.functional.embedding(torch.tensor(IDX), theirs, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)  # rows not looked up unchanged
    np.testing.assert_allclose(out_o.numpy(), out_t.numpy(), rtol=1e-6, atol=1e-6)
    assert not np.allclose(ours.numpy(), w)  # the test can fail: some rows were renormalised


@requires_torch
def test_module_matches_torch_after_loading_state_dict():
    theirs = torch.nn.Embedding(10, 3, padding_idx=0)
    ours = nn.Embedding(10, 3, padding_idx=0)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert not ours.weight.detach().numpy()[0].any()  # padding row initialised to zero
    ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.array([[0, 3, 3], [9, 0, 1]])
    out_o, out_t = ours(mytorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy())
    out_o.sum().backward(), out_t.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


@requires_torch
def test_repr_matches_torch():
    for args, kw in [((5, 3), {}), ((5, 3), dict(padding_idx=-1, max_norm=1.0, norm_type=1.0,
                                                 scale_grad_by_freq=True, sparse=True))]:
        assert repr(nn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))


def test_from_pretrained_freezes_and_shares():
    table = mytorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.num_embeddings == 3 and emb.embedding_dim == 2
    assert emb(mytorch.tensor([2, 0])).tolist() == [[5.0, 6.0], [1.0, 2.0]]
    emb = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert emb.weight.requires_grad and emb.padding_idx == 1
    emb(mytorch.tensor([1, 1, 2])).sum().backward()
    assert emb.weight.grad.tolist() == [[0, 0], [0, 0], [1, 1]]


def test_errors_match_torch():
    w = mytorch.randn(5, 3)
    with pytest.raises(RuntimeError, match="Long, Int; but got torch.FloatTensor"):
        F.embedding(mytorch.tensor([1.0]), w)
    for bad in ([5], [-1]):
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(mytorch.tensor(bad), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 3, padding_idx=5)


def test_int32_indices_and_empty_batch():
    w = mytorch.randn(5, 3, requires_grad=True)
    out = F.embedding(mytorch.tensor([[1, 2]], dtype=mytorch.int32), w)
    assert out.shape == (1, 2, 3)
    empty = F.embedding(mytorch.tensor(np.zeros((0, 4), np.int64)), w)
    assert empty.shape == (0, 4, 3)
    empty.sum().backward()
    assert not w.grad.numpy().any()
