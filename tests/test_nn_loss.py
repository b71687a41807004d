"""Losses (functional and modules) against torch, forward and backward, float64 gradcheck, the
legacy size_average/reduce mapping and binary_cross_entropy at saturated inputs."""
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

SIGN = np.array([1.0, -1.0, -1.0, 1.0])
SIGN_GRID = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [1.0, 1.0, -1.0], [-1.0, 1.0, 1.0]])
LABELS = np.array([1, 0, 2, 2])
MULTI_LABELS = np.array([[2, 0, -1], [1, -1, 0], [0, 1, 2], [-1, 2, 1]])


def _t(m, a, like=None):
    return m.tensor(a, dtype=like.dtype if like is not None else None)


# (name, fn(lib, *tensors), shapes, kinks of (input - target) or of the input to avoid, draw range)
CASES = [
    ("smooth_l1", lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b, beta=0.5), [(3, 4), (3, 4)], []),
    ("smooth_l1_beta0_sum", lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b, reduction="sum", beta=0.0),
     [(3, 4), (3, 4)], []),
    ("huber", lambda m, a, b: m.nn.functional.huber_loss(a, b, delta=0.7, reduction="none"), [(3, 4), (3, 4)], []),
    ("mse_broadcast_none", lambda m, a, b: m.nn.functional.mse_loss(a, b.sum(0, keepdim=True), reduction="none"),
     [(3, 4), (3, 4)], []),
    ("kl_div_batchmean", lambda m, a, b: m.nn.functional.kl_div(
        m.nn.functional.log_softmax(a, 1), m.nn.functional.softmax(b, 1), reduction="batchmean"), [(3, 4), (3, 4)], []),
    ("kl_div_log_target", lambda m, a, b: m.nn.functional.kl_div(a, b, reduction="sum", log_target=True),
     [(3, 4), (3, 4)], []),
    ("soft_margin", lambda m, a: m.nn.functional.soft_margin_loss(a, _t(m, SIGN_GRID, a)), [(4, 3)], []),
    ("margin_ranking", lambda m, a, b: m.nn.functional.margin_ranking_loss(a, b, _t(m, SIGN, a), margin=0.1),
     [(4,), (4,)], []),
    ("cosine_embedding", lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, _t(m, SIGN, a), margin=-0.5),
     [(4, 3), (4, 3)], []),
    ("triplet", lambda m, a, b, c: m.nn.functional.triplet_margin_loss(a, b, c, margin=3.0), [(4, 3)] * 3, []),
    ("triplet_p1_swap", lambda m, a, b, c: m.nn.functional.triplet_margin_loss(a, b, c, margin=2.0, p=1, swap=True),
     [(4, 3)] * 3, []),
    ("hinge_embedding", lambda m, a: m.nn.functional.hinge_embedding_loss(a, _t(m, SIGN_GRID, a), margin=1.5),
     [(4, 3)], [1.5]),
    ("poisson_nll", lambda m, a, b: m.nn.functional.poisson_nll_loss(a, b * 3 + 3), [(3, 4), (3, 4)], []),
    ("poisson_nll_full_rate", lambda m, a, b: m.nn.functional.poisson_nll_loss(a + 3, b * b * 2 + 0.5, log_input=False,
                                                                               full=True), [(3, 4), (3, 4)], []),
    ("gaussian_nll", lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(a, b, v * v + 0.1), [(3, 4)] * 3, []),
    ("gaussian_nll_full_per_sample", lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(
        a, b, v * v + 0.1, full=True, reduction="sum"), [(3, 4), (3, 4), (3,)], []),
    ("multilabel_soft_margin", lambda m, a, b: m.nn.functional.multilabel_soft_margin_loss(
        a, b.sigmoid(), weight=_t(m, [0.5, 1.0, 2.0], a)), [(4, 3), (4, 3)], []),
    ("multi_margin", lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor(LABELS)), [(4, 3)], []),
    ("multi_margin_p2_weight", lambda m, a: m.nn.functional.multi_margin_loss(
        a, m.tensor(LABELS), p=2, margin=0.5, weight=_t(m, [0.5, 1.0, 2.0], a)), [(4, 3)], []),
    ("multilabel_margin", lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor(MULTI_LABELS)),
     [(4, 3)], []),
    ("nll_weight_nd", lambda m, a: m.nn.functional.nll_loss(
        m.nn.functional.log_softmax(a, 1), m.tensor(LABELS[:2].repeat(4).reshape(2, 2, 2)),
        weight=_t(m, [0.5, 1.0, 2.0], a)), [(2, 3, 2, 2)], []),
    ("ce_probabilities_smoothing_nd", lambda m, a, b: m.nn.functional.cross_entropy(
        a, m.nn.functional.softmax(b, 1), label_smoothing=0.2), [(2, 3, 2), (2, 3, 2)], []),
    ("bce", lambda m, a, b: m.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid(),
                                                                 weight=_t(m, [1.0, 2.0, 0.5, 1.0], a)),
     [(3, 4), (3, 4)], []),
    ("cosine_similarity", lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=-1), [(3, 4), (1, 4)], []),
    ("pairwise_distance_p3", lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=3), [(3, 4), (3, 4)], []),
    ("normalize", lambda m, a: m.nn.functional.normalize(a, dim=0), [(3, 4)], []),
    ("normalize_p1", lambda m, a: m.nn.functional.normalize(a, p=1), [(3, 4)], []),
]
IDS = [c[0] for c in CASES]


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name, fn, shapes, kinks", CASES, ids=IDS)
def test_gradcheck(name, fn, shapes, kinks):
    check_gradcheck(fn, [draw(s, seed=i, away_from=kinks) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name, fn, shapes, kinks", CASES, ids=IDS)
def test_matches_torch(name, fn, shapes, kinks):
    arrays = [draw(s, seed=i, away_from=kinks) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=REDUCTION_TOL)  # every loss sums: reduction tolerance
    check_against_torch(fn, arrays, tol=1e-11, dtype="float64")


LEGACY = [(None, False), (False, None), (False, False), (True, False), (False, True), (True, True), (None, True),
          (True, None)]


@requires_torch
@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div",
                                  "binary_cross_entropy", "poisson_nll_loss", "nll_loss", "cross_entropy"])
def test_legacy_size_average_and_reduce_map_onto_reduction_with_torchs_warning(loss, size_average, reduce):
    x = draw((4, 3), 0).astype(np.float32)
    if loss in ("nll_loss", "cross_entropy"):
        args = lambda m: (m.tensor(x), m.tensor(LABELS))  # noqa: E731
    elif loss == "binary_cross_entropy":
        args = lambda m: (m.tensor(x).sigmoid(), m.tensor(x[::-1].copy()).sigmoid())  # noqa: E731
    else:
        args = lambda m: (m.tensor(x), m.tensor(x * x * 0.5 + 0.25))  # noqa: E731
    kw = dict(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        ours = getattr(F, loss)(*args(mytorch), **kw)
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        theirs = getattr(torch.nn.functional, loss)(*args(torch), **kw)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)
    assert [str(w.message) for w in ours_w] == [str(w.message) for w in theirs_w]


@requires_torch
@pytest.mark.parametrize("size_average, reduce", LEGACY)
def test_legacy_arguments_on_modules(size_average, reduce):
    for name in ("MSELoss", "BCELoss", "CrossEntropyLoss", "KLDivLoss", "SmoothL1Loss", "MultiMarginLoss"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = getattr(nn, name)(size_average=size_average, reduce=reduce)
            theirs = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert ours.reduction == theirs.reduction


def test_vae_reconstruction_sum_is_a_sum():
    """A VAE written with size_average=False must get the summed loss (it was silently a mean)."""
    x = mytorch.full((8, 5), 0.3)
    t = mytorch.full((8, 5), 0.6)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        summed = F.binary_cross_entropy(x, t, size_average=False)
    assert np.isclose(summed.item(), F.binary_cross_entropy(x, t).item() * 40, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_at_saturated_inputs_matches_torch(dtype):
    x = np.array([0.0, 0.0, 1.0, 1.0, 0.5, 1e-30], dtype)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 1.0], dtype)
    for reduction in ("none", "sum"):
        ours_x, ours_t = mytorch.tensor(x, requires_grad=True), mytorch.tensor(t, requires_grad=True)
        theirs_x, theirs_t = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
        out_o = F.binary_cross_entropy(ours_x, ours_t, reduction=reduction)
        out_t = torch.nn.functional.binary_cross_entropy(theirs_x, theirs_t, reduction=reduction)
        np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
        out_o.sum().backward(), out_t.sum().backward()
        assert np.isfinite(ours_x.grad.numpy()).all()
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours_t.grad.numpy(), theirs_t.grad.numpy(), rtol=1e-6)


MODULES = [("SmoothL1Loss", dict(beta=0.5), 2), ("HuberLoss", dict(delta=2.0), 2), ("SoftMarginLoss", {}, 2),
           ("L1Loss", dict(reduction="sum"), 2), ("MSELoss", {}, 2), ("KLDivLoss", dict(reduction="batchmean"), 2),
           ("PoissonNLLLoss", {}, 2), ("GaussianNLLLoss", {}, 3), ("MultiLabelSoftMarginLoss", {}, 2),
           ("MarginRankingLoss", dict(margin=0.2), 3), ("CosineEmbeddingLoss", {}, 3),
           ("TripletMarginLoss", dict(swap=True), 3), ("HingeEmbeddingLoss", {}, 2), ("BCEWithLogitsLoss", {}, 2)]


@requires_torch
@pytest.mark.parametrize("name, kwargs, arity", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(name, kwargs, arity):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = [np.abs(draw((4, 3), i)).astype(np.float32) + 0.1 for i in range(arity)]
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss"):
        x[-1] = (SIGN if name != "HingeEmbeddingLoss" and name != "SoftMarginLoss" else SIGN_GRID).astype(np.float32)
        if name == "MarginRankingLoss":
            x = [x[0][:, 0].copy(), x[1][:, 0].copy(), x[2]]
    out_o = ours(*[mytorch.tensor(a) for a in x])
    out_t = theirs(*[torch.tensor(a) for a in x])
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-5)


@requires_torch
def test_weighted_loss_state_dicts_match_torch():
    w = np.array([1.0, 2.0, 0.5], np.float32)
    for name in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss",
                 "BCEWithLogitsLoss"):
        ours, theirs = getattr(nn, name)(weight=mytorch.tensor(w)), getattr(torch.nn, name)(weight=torch.tensor(w))
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_bad_arguments_raise_as_torch():
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(mytorch.ones(3, 2), mytorch.ones(3, 2), mytorch.ones(3, 3))
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(mytorch.ones(3, 2), mytorch.ones(3, 2), -mytorch.ones(3, 2))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.smooth_l1_loss(mytorch.ones(2), mytorch.ones(2), reduction="bad")
    with pytest.raises(ValueError, match=r"Using a target size \(torch.Size\(\[3\]\)\)"):
        F.binary_cross_entropy(mytorch.full((3, 1), 0.5), mytorch.ones(3))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(mytorch.tensor([1.5]), mytorch.ones(1))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(mytorch.zeros(2, 2), mytorch.ones(2, 2))


CTC_TARGETS = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 2, 2, 1]])
CTC_TARGET_LENGTHS = [3, 2, 4]
CTC_INPUT_LENGTHS = [6, 5, 6]


def _ctc(m, x, reduction="mean", flat=False, blank=0):
    lp = m.nn.functional.log_softmax(x, 2)
    targets = CTC_TARGETS + (blank == 0)  # labels avoid the blank
    if flat:
        targets = np.concatenate([t[:k] for t, k in zip(targets, CTC_TARGET_LENGTHS)])
    return m.nn.functional.ctc_loss(lp, m.tensor(targets), m.tensor(CTC_INPUT_LENGTHS), m.tensor(CTC_TARGET_LENGTHS),
                                    blank=blank, reduction=reduction)


CTC_CASES = [("mean", lambda m, x: _ctc(m, x)), ("sum_flat", lambda m, x: _ctc(m, x, "sum", flat=True)),
             ("none_blank_last", lambda m, x: _ctc(m, x, "none", blank=5))]


def test_ctc_gradcheck_through_log_softmax():
    # one case: finite differences cost 2 forward recursions per input element; torch checks the rest
    check_gradcheck(CTC_CASES[0][1], [draw((6, 3, 6), 0)])


@requires_torch
@pytest.mark.parametrize("name, fn", CTC_CASES, ids=[c[0] for c in CTC_CASES])
def test_ctc_matches_torch(name, fn):
    check_against_torch(fn, [draw((6, 3, 6), 0)], tol=REDUCTION_TOL)
    check_against_torch(fn, [draw((6, 3, 6), 0)], tol=1e-10, dtype="float64")


@requires_torch
def test_ctc_impossible_alignment_and_zero_infinity_match_torch():
    x = draw((2, 1, 4), 0).astype(np.float32)  # 2 frames cannot emit "1 1" (needs a blank between)
    for zero_infinity in (False, True):
        out = []
        for lib in (mytorch, torch):
            t = lib.tensor(x, requires_grad=True)
            loss = lib.nn.CTCLoss(zero_infinity=zero_infinity, reduction="sum")(
                lib.nn.functional.log_softmax(t, 2), lib.tensor([[1, 1]]), lib.tensor([2]), lib.tensor([2]))
            loss.backward()
            out.append((loss.item(), t.grad.numpy()))
        assert out[0][0] == out[1][0]
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_grad_fn_names_match_torch(reduction):
    x = draw((3, 4), 0).astype(np.float32)
    cases = [lambda m, a: m.nn.functional.mse_loss(a, a.detach() * 0.5, reduction=reduction),
             lambda m, a: m.nn.functional.l1_loss(a, a.detach() * 0.5, reduction=reduction),
             lambda m, a: m.nn.functional.smooth_l1_loss(a, a.detach() * 0.5, reduction=reduction),
             lambda m, a: m.nn.functional.huber_loss(a, a.detach() * 0.5, reduction=reduction),
             lambda m, a: m.nn.functional.binary_cross_entropy(m.sigmoid(a), m.sigmoid(a.detach()),
                                                               reduction=reduction),
             lambda m, a: m.nn.functional.nll_loss(a, m.tensor([0, 3, 1]), reduction=reduction),
             lambda m, a: m.nn.functional.nll_loss(a.reshape(3, 2, 2), m.tensor([[0, 1], [1, 1], [0, 0]]),
                                                   reduction=reduction)]
    if reduction == "none":
        cases.pop()  # torch views a 3-D input through 4-D there (ViewBackward0): an implementation detail
    for fn in cases:
        ours = fn(mytorch, mytorch.tensor(x, requires_grad=True)).grad_fn.name()
        theirs = fn(torch, torch.tensor(x, requires_grad=True)).grad_fn.name()
        assert ours == theirs


@requires_torch
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), spatial=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(), ignore=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.25]), probabilities=st.booleans(), seed=st.integers(0, 9))
def test_cross_entropy_configurations_match_torch(n, c, spatial, reduction, weighted, ignore, smoothing,
                                                   probabilities, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *spatial))
    if probabilities:
        target = rng.dirichlet(np.ones(c), size=(n, *spatial))
        target = np.moveaxis(target, -1, 1)
        ignore = False
    else:
        target = rng.integers(0, c, size=(n, *spatial))
        if ignore:
            target.flat[0] = 1  # ignored below
    weight = rng.uniform(0.5, 2.0, c) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=1 if ignore else -100)

    def fn(m, a):
        t = m.tensor(target, dtype=a.dtype) if probabilities else m.tensor(target)
        w = None if weight is None else m.tensor(weight, dtype=a.dtype)
        return m.nn.functional.cross_entropy(a, t, weight=w, **kw)

    if ignore and (target == 1).all() and reduction == "mean":  # nothing left to average: NaN in both
        assert np.isnan(fn(mytorch, mytorch.tensor(x)).item()) and np.isnan(fn(torch, torch.tensor(x)).item())
        return
    check_against_torch(fn, [x], tol=1e-10, dtype="float64")


LEGACY_MORE = [
    ("binary_cross_entropy_with_logits", lambda m, a: (a, m.sigmoid(a * 0.5))),
    ("multilabel_soft_margin_loss", lambda m, a: (a, m.sigmoid(a * 0.5))),
    ("hinge_embedding_loss", lambda m, a: (a, m.tensor(SIGN_GRID.T, dtype=a.dtype))),
    ("soft_margin_loss", lambda m, a: (a, m.tensor(SIGN_GRID.T, dtype=a.dtype))),
    ("margin_ranking_loss", lambda m, a: (a[0], a[1], m.tensor(SIGN, dtype=a.dtype))),
    ("cosine_embedding_loss", lambda m, a: (a, a.flip(0) if hasattr(a, "flip") else a, m.tensor([1, -1, 1]))),
    ("triplet_margin_loss", lambda m, a: (a, a * 0.5, a * -1.0)),
    ("multi_margin_loss", lambda m, a: (a, m.tensor([0, 3, 1]))),
    ("multilabel_margin_loss", lambda m, a: (a, m.tensor([[0, 2, -1, 0], [3, -1, 0, 0], [1, 0, 2, 3]]))),
    ("poisson_nll_loss", lambda m, a: (a, a.abs())),
]


@requires_torch
@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, True)])
@pytest.mark.parametrize("name, args", LEGACY_MORE, ids=[c[0] for c in LEGACY_MORE])
def test_legacy_arguments_on_every_functional_loss(name, args, size_average, reduce):
    x = draw((3, 4), 0).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(F, name)(*args(mytorch, mytorch.tensor(x)), size_average=size_average, reduce=reduce)
        theirs = getattr(torch.nn.functional, name)(*args(torch, torch.tensor(x)), size_average=size_average,
                                                    reduce=reduce)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
