"""The Module API against torch: hooks (forward, pre, full backward), containers, state_dict and
load_state_dict, named_* iteration, conversion, repr."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from conftest import requires_torch, torch


def _same_linear(lib, seed=0):
    m = lib.nn.Linear(3, 2)
    w = np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
        m.bias.fill_(0.1)
    return m


def _run_hooks(lib, with_input_grad):
    m, log = _same_linear(lib), []
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("fwd", tuple(out.shape))))
    m.register_forward_hook(lambda mod, args, out: out * 3)  # replaces the output
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("bpre", go[0].tolist())))
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(
        ("bwd", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
    x = lib.ones(2, 3, requires_grad=with_input_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m(x)
        (out * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return log, out.detach().numpy(), x.grad, m.weight.grad.numpy()


@requires_torch
@pytest.mark.parametrize("with_input_grad", [True, False])
def test_hooks_run_in_torchs_order_with_torchs_arguments(with_input_grad):
    ours, theirs = _run_hooks(mytorch, with_input_grad), _run_hooks(torch, with_input_grad)
    assert len(ours[0]) == len(theirs[0])
    for a, b in zip(ours[0], theirs[0]):
        assert a[0] == b[0]
        np.testing.assert_allclose(np.array(a[1:], dtype=object).tolist() if a[0] != "bwd" else 0,
                                   np.array(b[1:], dtype=object).tolist() if b[0] != "bwd" else 0)
        if a[0] == "bwd":
            assert a[1] == b[1] or np.allclose(a[1], b[1])
            np.testing.assert_allclose(a[2], b[2])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    if with_input_grad:
        np.testing.assert_allclose(ours[2].numpy(), theirs[2].numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)


@requires_torch
def test_backward_hook_can_replace_grad_input_and_sees_every_output():
    class Split(nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    class TSplit(torch.nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    results = []
    for lib, cls in ((mytorch, Split), (torch, TSplit)):
        m, seen = cls(), []
        m.register_full_backward_hook(lambda mod, gi, go: (seen.append([g.tolist() for g in go]),
                                                           tuple(g * 10 for g in gi))[1])
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        p, s = m(a, b)
        (p * 2 + s * 5).sum().backward()
        results.append((seen, a.grad.tolist(), b.grad.tolist()))
    assert results[0] == results[1]


def test_handles_remove_hooks():
    m, calls = nn.Linear(2, 2), []
    h1 = m.register_forward_hook(lambda *a: calls.append(1))
    with m.register_forward_pre_hook(lambda *a: calls.append(0)):
        m(mytorch.ones(1, 2))
    h1.remove()
    m(mytorch.ones(1, 2))
    assert calls == [0, 1]
    h = m.register_full_backward_hook(lambda *a: calls.append(2))
    h.remove()
    m(mytorch.ones(1, 2, requires_grad=True)).sum().backward()
    assert calls == [0, 1]


def test_forward_pre_hook_with_kwargs_rewrites_arguments():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["factor"], with_kwargs=True)
    assert m(mytorch.ones(2)).tolist() == [6.0, 6.0]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.register_buffer("mask", mytorch.ones(3), persistent=False)
        self.head = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3), nn.ReLU()])


class TBlock(torch.nn.Module if torch is not None else object):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(3)
        self.register_buffer("mask", torch.ones(3), persistent=False)
        self.head = torch.nn.ModuleList([torch.nn.Linear(3, 3), torch.nn.Linear(3, 3), torch.nn.ReLU()])


@requires_torch
def test_state_dict_named_members_and_repr_match_torch():
    ours, theirs = Block(), TBlock()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules(prefix="m")] == [n for n, _ in theirs.named_modules(prefix="m")]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert repr(ours) == repr(theirs).replace("TBlock", "Block")
    result = ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"


@requires_torch
def test_load_state_dict_non_strict_returns_torchs_namedtuple():
    ours, theirs = Block(), TBlock()
    sd = {k: v for k, v in theirs.state_dict().items() if k != "conv.weight"}
    sd["extra"] = torch.ones(1)
    r_t = theirs.load_state_dict(sd, strict=False)
    r_o = ours.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in sd.items()}, strict=False)
    assert r_o == r_t and repr(r_o) == repr(r_t)
    assert r_o.missing_keys == ["conv.weight"] and r_o.unexpected_keys == ["extra"]


def test_batch_norm_checkpoint_without_num_batches_tracked_loads():
    ours = nn.BatchNorm1d(2)
    sd = {k: v for k, v in ours.state_dict().items() if k != "num_batches_tracked"}
    assert ours.load_state_dict(sd).missing_keys == []


@requires_torch
def test_shared_modules_and_remove_duplicate():
    for lib in (mytorch, torch):
        shared = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(shared, lib.nn.ReLU(), shared)
        assert len(list(seq.parameters())) == 2
        assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
        assert len(list(seq.named_modules(remove_duplicate=False))) == 4
        assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


@requires_torch
def test_sequential_mutation_matches_torch():
    def build(lib):
        n = lib.nn
        s = n.Sequential(n.Linear(2, 3), n.ReLU(), n.Linear(3, 4))
        s.append(n.Tanh())
        s.insert(1, n.Sigmoid())
        s.extend(n.Sequential(n.Identity()))
        del s[0]
        s.pop(-1)
        s2 = s[1:] + n.Sequential(n.ELU())
        return [repr(s), repr(s2), repr(s[-2]), len(s), repr(s[::2]), repr(s * 2), [type(m).__name__ for m in s]]
    assert build(mytorch) == build(torch)


@requires_torch
def test_container_reprs_match_torch():
    def build(lib):
        n = lib.nn
        ml = n.ModuleList([n.Linear(2, 2) for _ in range(3)] + [n.ReLU(), n.ReLU()])
        ml.insert(0, n.Tanh())
        md = n.ModuleDict({"act": n.ReLU(), "fc": n.Linear(1, 1)})
        md["drop"] = n.Dropout(0.2)
        pl = n.ParameterList([n.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        pd = n.ParameterDict({"b": n.Parameter(lib.ones(2)), "a": lib.zeros(1, dtype=lib.float64)})
        seq = n.Sequential(OrderedDict([("conv", n.Conv2d(1, 2, 3)), ("pool", n.MaxPool2d(2)),
                                        ("none", None)]))
        return [repr(ml), repr(md), list(md.keys()), repr(pl), repr(pd), list(pd.keys()), repr(seq),
                [k for k, _ in pl.named_parameters()], [k for k, _ in pd.named_parameters()], len(ml[1:4])]
    assert build(mytorch) == build(torch)


def test_submodule_and_parameter_access():
    b = Block()
    assert b.get_submodule("head.1") is b.head[1]
    assert b.get_parameter("head.0.bias") is b.head[0].bias
    assert b.get_buffer("bn.running_mean") is b.bn.running_mean
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        b.get_submodule("nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        b.get_parameter("bn.running_mean")
    assert b.share_memory() is b
    seen = []
    b.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen[0] == "Conv2d"


def test_setattr_semantics():
    m = nn.Module()
    m.w = nn.Parameter(mytorch.ones(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'torch.Tensor' as parameter 'w'"):
        m.w = mytorch.ones(2)
    m.w = None
    assert m._parameters["w"] is None and m.w is None
    m.register_buffer("b", mytorch.zeros(1))
    m.b = mytorch.ones(1)
    assert m._buffers["b"].tolist() == [1.0]
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3
    m.sub = nn.Linear(1, 1)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(KeyError, match="attribute 'b' already exists"):
        m.register_parameter("b", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mytorch.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_conversion_and_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m(mytorch.randn(4, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.half()[0].weight.dtype == mytorch.float16 and m[1].num_batches_tracked.dtype == mytorch.int64
    assert m.to(mytorch.float64)[0].weight.dtype == mytorch.float64
    assert m.float()[0].weight.dtype == mytorch.float32
    assert m.to("cpu") is m and m.cpu() is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(mytorch.int64)
    with pytest.raises(RuntimeError):
        m.cuda()
    m.eval()
    assert not m[1].training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_train_reaches_overridden_train_of_children():
    calls = []

    class Custom(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    seq = nn.Sequential(Custom())
    seq.eval()
    assert calls == [False]


@requires_torch
def test_state_dict_hooks_match_torch():
    def run(lib):
        log = []
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix)))
        m[0].register_state_dict_post_hook(lambda mod, sd, prefix, meta: [sd.pop(prefix + "bias")] and None)
        keys = list(m.state_dict())

        def rename(mod, sd, prefix, meta, strict, missing, unexpected, errors):
            if prefix + "w" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "w")

        m[0].register_load_state_dict_pre_hook(rename)
        m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        result = m.load_state_dict({"0.w": lib.ones(2, 2)})
        return log, keys, repr(result), m[0].weight.detach().numpy().tolist()

    assert run(mytorch) == run(torch)


def test_shared_module_state_dict_round_trips():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    sd = seq.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert seq.load_state_dict(sd).missing_keys == [] and seq.load_state_dict(sd).unexpected_keys == []
