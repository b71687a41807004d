"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers against torch:
same weights (loaded from torch's state_dict) give torch's outputs and gradients; reprs and keys."""
import warnings

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

CAUSAL = np.triu(np.ones((4, 5), dtype=bool), k=2)

SDPA = [
    ("plain", lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v), [(2, 3, 4, 6), (2, 3, 5, 6),
                                                                                        (2, 3, 5, 2)]),
    ("causal_scale", lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                                     scale=0.3),
     [(2, 4, 3), (2, 4, 3), (2, 4, 3)]),
    ("bool_mask", lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m.tensor(~CAUSAL)),
     [(1, 4, 3), (1, 5, 3), (1, 5, 3)]),
    ("float_mask", lambda m, q, k, v, b: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=b),
     [(2, 4, 3), (2, 5, 3), (2, 5, 3), (4, 5)]),
]


@pytest.mark.parametrize("name, fn, shapes", SDPA, ids=[s[0] for s in SDPA])
def test_sdpa_gradcheck(name, fn, shapes):
    check_gradcheck(fn, [draw(s, seed=i) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes", SDPA, ids=[s[0] for s in SDPA])
def test_sdpa_matches_torch(name, fn, shapes):
    arrays = [draw(s, seed=i) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=REDUCTION_TOL)
    check_against_torch(fn, arrays, tol=1e-10, dtype="float64")


def _load(ours, theirs):
    ours.load_state_dict({k: mytorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _compare(ours, theirs, inputs, kwargs_fn=lambda m: {}, tol=1e-5):
    outs = []
    for lib, mod in ((mytorch, ours), (torch, theirs)):
        xs = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in inputs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = mod(*xs, **kwargs_fn(lib))
        first = out[0] if isinstance(out, tuple) else out
        (first * lib.tensor(draw(tuple(first.shape), 9).astype(np.float32))).sum().backward()
        outs.append(([o.detach().numpy() for o in (out if isinstance(out, tuple) else (out,)) if o is not None],
                     [x.grad.numpy() for x in xs],
                     {n: p.grad.numpy() for n, p in mod.named_parameters() if p.grad is not None}))
    (o_out, o_in, o_p), (t_out, t_in, t_p) = outs
    assert len(o_out) == len(t_out)
    for a, b in zip(o_out + o_in, t_out + t_in):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert sorted(o_p) == sorted(t_p)
    for k in t_p:
        np.testing.assert_allclose(o_p[k], t_p[k], rtol=tol, atol=tol, err_msg=k)


MHA = [
    ("plain", dict(), {}),
    ("batch_first_no_avg", dict(batch_first=True), dict(average_attn_weights=False)),
    ("kdim_vdim", dict(kdim=3, vdim=5), {}),
    ("bias_kv_zero_attn", dict(add_bias_kv=True, add_zero_attn=True), {}),
    ("no_weights_masks", dict(), "masks"),
    ("no_bias", dict(bias=False), dict(need_weights=False)),
]


@requires_torch
@pytest.mark.parametrize("name, ctor, call", MHA, ids=[m[0] for m in MHA])
def test_multihead_attention_matches_torch(name, ctor, call):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **ctor)
    ours = nn.MultiheadAttention(8, 2, **ctor)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    _load(ours, theirs)
    L, S, N = 4, 5, 3
    kd, vd = ctor.get("kdim", 8), ctor.get("vdim", 8)
    if ctor.get("batch_first"):
        inputs = [draw((N, L, 8), 0), draw((N, S, kd), 1), draw((N, S, vd), 2)]
    else:
        inputs = [draw((L, N, 8), 0), draw((S, N, kd), 1), draw((S, N, vd), 2)]
    if call == "masks":
        pad_mask = np.zeros((N, S), bool)
        pad_mask[1, 3:] = True
        kwargs = lambda m: dict(attn_mask=m.tensor(CAUSAL), key_padding_mask=m.tensor(pad_mask),  # noqa: E731
                                need_weights=False)
    else:
        kwargs = lambda m: call  # noqa: E731
    _compare(ours, theirs, inputs, kwargs)


@requires_torch
def test_multihead_attention_unbatched_and_init():
    ours = nn.MultiheadAttention(6, 3)
    assert not ours.in_proj_bias.detach().numpy().any() and not ours.out_proj.bias.detach().numpy().any()
    bound = np.sqrt(6 / (6 + 18))
    assert np.abs(ours.in_proj_weight.detach().numpy()).max() <= bound
    theirs = torch.nn.MultiheadAttention(6, 3)
    _load(ours, theirs)
    _compare(ours, theirs, [draw((4, 6), 0), draw((5, 6), 1), draw((5, 6), 2)])


@requires_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_matches_torch(norm_first, activation):
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2,
                                         norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2, norm=nn.LayerNorm(8),
                                 enable_nested_tensor=False)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    _load(ours, theirs)
    mask = lambda m: dict(mask=m.nn.Transformer.generate_square_subsequent_mask(5))  # noqa: E731
    _compare(ours, theirs, [draw((3, 5, 8), 0)], mask, tol=2e-5)


@requires_torch
def test_full_transformer_matches_torch():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=12, dropout=0.0)
    theirs, ours = torch.nn.Transformer(**kw), nn.Transformer(**kw)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    _load(ours, theirs)
    tgt_mask = lambda m: dict(tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(4))  # noqa: E731
    _compare(ours, theirs, [draw((5, 2, 8), 0), draw((4, 2, 8), 1)], tgt_mask, tol=2e-5)
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(3).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())
