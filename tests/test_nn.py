"""nn modules, functional losses and activations against torch, and the Module API."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F
from conftest import requires_torch, torch
from helpers import REDUCTION_TOL, check_against_torch, check_gradcheck, draw

R = REDUCTION_TOL
LABELS = np.array([1, 0, 4, 2])
LABELS_IGNORED = np.array([1, -100, 4, 2])
WEIGHTS = [0.5, 1.0, 2.0, 0.25, 1.5]  # class weights are constants: torch has no gradient for them

FUNCTIONAL = [
    ("leaky_relu", lambda m, a: m.nn.functional.leaky_relu(a, 0.2), [(3, 4)], dict(away_from=[0.0])),
    ("gelu", lambda m, a: m.nn.functional.gelu(a), [(3, 4)], {}),
    ("gelu_tanh", lambda m, a: m.nn.functional.gelu(a, approximate="tanh"), [(3, 4)], {}),
    ("nll_weight_ignore", lambda m, a: m.nn.functional.nll_loss(
        m.nn.functional.log_softmax(a, 1), m.tensor(LABELS_IGNORED), weight=m.tensor(WEIGHTS, dtype=a.dtype)),
     [(4, 5)], {}),
    ("ce_sum", lambda m, a: m.nn.functional.cross_entropy(a, m.tensor(LABELS), reduction="sum"), [(4, 5)], {}),
    ("ce_none", lambda m, a: m.nn.functional.cross_entropy(a, m.tensor(LABELS), reduction="none"), [(4, 5)], {}),
    ("ce_smoothing_weight", lambda m, a: m.nn.functional.cross_entropy(
        a, m.tensor(LABELS_IGNORED), weight=m.tensor(WEIGHTS, dtype=a.dtype), label_smoothing=0.2), [(4, 5)], {}),
    ("ce_probabilities", lambda m, a, t: m.nn.functional.cross_entropy(
        a, m.nn.functional.softmax(t, 1), label_smoothing=0.1), [(4, 5), (4, 5)], {}),
    ("ce_spatial", lambda m, a: m.nn.functional.cross_entropy(a, m.tensor(LABELS[:2].repeat(6).reshape(2, 2, 3) % 3)),
     [(2, 3, 2, 3)], {}),
    ("mse", lambda m, a, b: m.nn.functional.mse_loss(a, b), [(3, 4), (3, 4)], {}),
    ("l1", lambda m, a, b: m.nn.functional.l1_loss(a, b, reduction="sum"), [(3, 4), (3, 4)], dict(away_from=[0.0])),
    ("bce", lambda m, a, b: m.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(3, 4), (3, 4)], {}),
    ("bce_logits_pos_weight", lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(
        a, b.sigmoid(), pos_weight=m.tensor(WEIGHTS[:4], dtype=a.dtype)), [(3, 4), (3, 4)], {}),
    ("batch_norm_train", lambda m, a, w, b: m.nn.functional.batch_norm(
        a, None, None, w, b, training=True), [(4, 3, 2, 2), (3,), (3,)], {}),
    ("batch_norm_1d_no_affine", lambda m, a: m.nn.functional.batch_norm(a, None, None, training=True), [(5, 3)], {}),
    ("adaptive_avg_pool", lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, (2, 3)), [(2, 2, 5, 7)], {}),
    ("adaptive_avg_pool_divisible", lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, 2), [(1, 2, 4, 4)], {}),
]


@pytest.mark.parametrize("name, fn, shapes, opts", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_gradcheck(name, fn, shapes, opts):
    check_gradcheck(fn, [draw(s, seed=i, **opts) for i, s in enumerate(shapes)])


@requires_torch
@pytest.mark.parametrize("name, fn, shapes, opts", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_functional_matches_torch(name, fn, shapes, opts):
    arrays = [draw(s, seed=i, **opts) for i, s in enumerate(shapes)]
    check_against_torch(fn, arrays, tol=R)
    check_against_torch(fn, arrays, tol=1e-12, dtype="float64")


@requires_torch
def test_batch_norm_module_train_and_eval_match_torch():
    x = draw((8, 3, 4, 4), 0).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    for _ in range(3):
        ours(mytorch.tensor(x * 2 + 1))
        theirs(torch.tensor(x * 2 + 1))
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-5)
    assert ours.num_batches_tracked.item() == 3
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(mytorch.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_dropout_is_inverted_and_identity_in_eval():
    mytorch.manual_seed(0)
    d = nn.Dropout(0.25)
    y = d(mytorch.ones(10000)).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)} and abs((y == 0).mean() - 0.25) < 0.02
    d.eval()
    assert d(mytorch.ones(3)).tolist() == [1, 1, 1]


@requires_torch
def test_default_initialisation_statistics_match_torch():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias (torch's kaiming_uniform_ with a=sqrt(5))."""
    mytorch.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.Conv2d(16, 32, 5), torch.nn.Conv2d(16, 32, 5)
    bound = 1 / np.sqrt(16 * 25)
    for a, b in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
    # 12,800 weights: the sample std is within 3% of the uniform's bound/sqrt(3) (its standard error is ~0.6%)
    for w in (ours.weight.detach().numpy(), theirs.weight.detach().numpy()):
        assert abs(w.std() - bound / np.sqrt(3)) < 0.03 * bound / np.sqrt(3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 3), nn.ReLU())
        self.register_buffer("scale", mytorch.tensor(2.0))

    def forward(self, x):
        return self.head(F.max_pool2d(self.bn(self.conv1(x)), 2)) * self.scale


def test_module_registration_and_state_dict_keys():
    net = Net()
    keys = list(net.state_dict())
    assert keys == ["scale", "conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                    "bn.running_var", "bn.num_batches_tracked", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_parameters()] == ["conv1.weight", "conv1.bias", "bn.weight", "bn.bias",
                                                      "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_children()] == ["conv1", "bn", "head"]
    assert [n for n, _ in net.named_modules()][:4] == ["", "conv1", "bn", "head"]
    assert len(net.head) == 3 and isinstance(net.head[1], nn.Linear) and len(list(net.buffers())) == 4


@requires_torch
def test_state_dict_keys_equal_torch_equivalent():
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(8, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)


def test_train_eval_zero_grad_requires_grad_and_dtype():
    net = Net()
    net.eval()
    assert not net.training and not net.bn.training and not net.head[1].training
    net.train()
    out = net(mytorch.randn(2, 1, 8, 8))
    out.sum().backward()
    assert net.conv1.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.double()
    assert net.conv1.weight.dtype == mytorch.float64 and net.bn.num_batches_tracked.dtype == mytorch.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")


def test_load_state_dict_validates_everything_first():
    net, other = Net(), Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = other.state_dict()
    bad["head.1.weight"] = mytorch.zeros(5, 5)
    del bad["conv1.bias"]
    bad["extra"] = mytorch.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "conv1.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra"' in message
    assert "size mismatch for head.1.weight: copying a param with shape torch.Size([5, 5])" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])  # nothing changed
    result = net.load_state_dict(other.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(net.conv1.weight.detach().numpy(), other.conv1.weight.detach().numpy())
    loose = other.state_dict()
    del loose["conv1.bias"]
    assert net.load_state_dict(loose, strict=False).missing_keys == ["conv1.bias"]


def test_modules_survive_deepcopy_and_pickle():
    net = Net()
    x = mytorch.randn(2, 1, 8, 8)
    net.eval()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(clone(x).detach().numpy(), net(x).detach().numpy())
        assert clone.conv1.weight is not net.conv1.weight


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Linear(0, 3), ValueError, "in_features must be a positive integer, got 0"),
    (lambda: nn.Dropout(1.5), ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda: nn.Linear(4, 3)(mytorch.ones(2, 5)), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"),
    (lambda: nn.Conv2d(1, 4, 3)(mytorch.ones(1, 3, 8, 8)), RuntimeError, "to have 1 channels, but got 3 channels"),
    (lambda: F.cross_entropy(mytorch.ones(2, 3), mytorch.tensor([0, 3])), IndexError, "Target 3 is out of bounds"),
    (lambda: F.cross_entropy(mytorch.ones(2, 3), mytorch.tensor([0, 1, 2])), ValueError,
     r"Expected input batch_size \(2\) to match target batch_size \(3\)"),
    (lambda: F.cross_entropy(mytorch.ones(2, 3), mytorch.ones(2, 3), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (lambda: F.mse_loss(mytorch.ones(2), mytorch.ones(3)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    (lambda: nn.BatchNorm2d(3)(mytorch.ones(2, 3, 4)), ValueError, r"expected 4D input \(got 3D input\)"),
])
def test_bad_input_messages(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_sequential_from_ordered_dict_and_module_list():
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"] and isinstance(seq[-1], nn.Tanh)
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(ml.parameters())) == 6 and len(ml[1:]) == 2


def test_clip_grad_norm_and_vector_helpers():
    p = mytorch.tensor([3.0, 4.0], requires_grad=True)
    p.grad = mytorch.tensor([3.0, 4.0])
    norm = nn.utils.clip_grad_norm_([p], 1.0)
    assert abs(norm.item() - 5.0) < 1e-6 and abs(np.linalg.norm(p.grad.numpy()) - 1.0) < 1e-5
    nn.utils.clip_grad_value_([p], 0.1)
    assert np.abs(p.grad.numpy()).max() <= 0.1
    v = nn.utils.parameters_to_vector([p, mytorch.ones(2, 2)])
    assert v.shape == (6,)


def _composite_batch_norm(x, w, b, eps=1e-5):
    """The unfused graph the BatchNorm primitive replaces (reference for its gradient)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = -1
    mean = x.mean(dim=axes, keepdim=True)
    var = ((x - mean) * (x - mean)).mean(dim=axes, keepdim=True)
    return (x - mean) / mytorch.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def test_fused_batch_norm_matches_the_composite_graph():
    arrays = [draw((6, 3, 4, 5), 0), draw((3,), 1), draw((3,), 2)]
    grads = []
    for fn in (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), _composite_batch_norm):
        inputs = [mytorch.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*inputs)
        out.backward(mytorch.tensor(draw(tuple(out.shape), 3)))
        grads.append([out.detach().numpy()] + [t.grad.numpy() for t in inputs])
    for fused, composite in zip(*grads):
        np.testing.assert_allclose(fused, composite, rtol=1e-10, atol=1e-12)


@requires_torch
def test_one_hot_init_and_gain_match_torch():
    labels = [0, 3, 1]
    assert F.one_hot(mytorch.tensor(labels), 5).tolist() == torch.nn.functional.one_hot(torch.tensor(labels), 5).tolist()
    for name, param in (("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("linear", None), ("sigmoid", None)):
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    w = mytorch.empty(64, 32, 3, 3)
    for init, bound in ((lambda t: nn.init.xavier_uniform_(t), np.sqrt(6 / (32 * 9 + 64 * 9))),
                        (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), np.sqrt(2) * np.sqrt(3 / (32 * 9)))):
        values = init(w).numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(nn.init.kaiming_normal_(w, mode="fan_out").numpy().std() - np.sqrt(2 / (64 * 9))) < 0.01
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(mytorch.tensor([5]), 3)


def test_fused_log_softmax_matches_the_composite_graph():
    x = draw((5, 7), 0)
    grads = []
    for fn in (lambda t: F.log_softmax(t, 1),
               lambda t: (lambda s: s - mytorch.log(mytorch.exp(s).sum(1, keepdim=True)))(t - t.amax(1, keepdim=True).detach())):
        t = mytorch.tensor(x, requires_grad=True)
        out = fn(t)
        out.backward(mytorch.tensor(draw((5, 7), 1)))
        grads.append((out.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_batch_norm_updates_running_stats_under_no_grad_too():
    bn = nn.BatchNorm1d(2)
    x = mytorch.tensor([[1.0, 2.0], [3.0, 6.0]])
    with mytorch.no_grad():
        bn(x)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.1 * 2.0, 0.9 + 0.1 * 8.0], rtol=1e-6)
