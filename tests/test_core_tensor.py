"""The Tensor surface against torch: repr/str/format, conversions and legacy type names, memory
queries, default dtype/device, reduction keyword aliases and torch's advanced-indexing order."""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


def _torch_repr(t):
    return repr(t).replace("torch.", "mytorch.")


def _random_arrays():
    rng = np.random.default_rng(0)
    shapes = [(), (1,), (5,), (3, 4), (2, 3, 4), (1001,), (40, 30), (3, 400), (2, 0), (0,)]
    scales = [1.0, 1e-5, 1e5, 1e9, 123.0]
    for k, shape in enumerate(shapes):
        for scale in scales:
            a = rng.standard_normal(shape) * scale
            yield a.astype(np.float32)
            yield np.round(a).astype(np.float32)  # integer-valued floats
        yield rng.integers(-1000, 1000, shape)
        yield rng.integers(0, 2, shape).astype(bool)
        yield (rng.standard_normal(shape)).astype(np.float64)
        yield (rng.standard_normal(shape)).astype(np.float16)
        yield rng.integers(0, 255, shape).astype(np.uint8)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.5, 2.0], np.float32)
    yield specials
    yield np.array([np.nan, np.inf], np.float32)
    yield np.array([0.0, 0.0], np.float32)


@requires_torch
def test_repr_matches_torch_over_many_tensors():
    for a in _random_arrays():
        assert repr(mytorch.tensor(a)) == _torch_repr(torch.tensor(a)), a.dtype
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    assert repr(mytorch.tensor(x, requires_grad=True)) == _torch_repr(torch.tensor(x, requires_grad=True))
    ours = mytorch.tensor(x, requires_grad=True) * 2
    theirs = torch.tensor(x, requires_grad=True) * 2
    assert repr(ours) == _torch_repr(theirs) and str(ours) == _torch_repr(theirs)


@requires_torch
def test_set_printoptions_matches_torch():
    a = np.random.default_rng(1).standard_normal((30, 40)).astype(np.float32)
    try:
        for opts in (dict(precision=2), dict(threshold=5, edgeitems=1), dict(sci_mode=True),
                     dict(linewidth=40), dict(profile="full"), dict(profile="short")):
            mytorch.set_printoptions(**opts)
            torch.set_printoptions(**opts)
            assert repr(mytorch.tensor(a)) == _torch_repr(torch.tensor(a)), opts
    finally:
        mytorch.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_format_of_a_0d_tensor_is_its_item():
    loss = mytorch.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and "{:+.2f}".format(mytorch.tensor(2.5)) == "+2.50"
    acc = mytorch.tensor(7268, dtype=mytorch.float64) / 100
    assert "{} %".format(acc) == "72.68 %"
    assert "{}".format(mytorch.tensor([1, 2])) == "tensor([1, 2])"
    with pytest.raises(TypeError):
        f"{mytorch.tensor([1.0, 2.0]):.2f}"


def test_conversions_and_legacy_type_names():
    x = mytorch.tensor([1.5, -2.0])
    assert x.half().dtype == mytorch.float16 and x.half()._data.dtype == np.float16
    assert [x.short().dtype, x.char().dtype, x.byte().dtype, x.int().dtype, x.long().dtype] == \
        [mytorch.int16, mytorch.int8, mytorch.uint8, mytorch.int32, mytorch.int64]
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == mytorch.float64
    assert x.type(mytorch.float64).dtype == mytorch.float64
    class LongTensor:  # any class with a dtype attribute, as the legacy mytorch.LongTensor
        dtype = mytorch.int64
    assert x.type(LongTensor).dtype == mytorch.int64
    assert x.to(mytorch.float32) is x and x.to(mytorch.float32, copy=True) is not x
    assert x.to("cpu") is x and x.to(mytorch.zeros(1, dtype=mytorch.float64)).dtype == mytorch.float64
    assert x.cpu() is x and x.tolist() == [1.5, -2.0] and mytorch.tensor(3).item() == 3
    y = mytorch.ones(2, requires_grad=True)
    assert y.numpy(force=True).tolist() == [1.0, 1.0]


def test_memory_queries_follow_torch():
    x = mytorch.arange(24).reshape(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.stride(1) == 4
    v = x[1, 1:]
    assert v.storage_offset() == 16 and v.data_ptr() == x.data_ptr() + 16 * 8
    assert x.transpose(0, 2).stride() == (1, 4, 12)
    assert x.untyped_storage().nbytes() == 24 * 8
    assert x.share_memory_() is x and x.pin_memory() is x
    n = x.new_tensor([1.5, 2.5])
    assert n.dtype == mytorch.int64 and n.tolist() == [1, 2]


def test_default_dtype_and_device():
    try:
        mytorch.set_default_dtype(mytorch.float64)
        assert mytorch.sin(mytorch.tensor([1, 2])).dtype == mytorch.float64
        assert (mytorch.tensor([1, 2]) / 2).dtype == mytorch.float64
    finally:
        mytorch.set_default_dtype(mytorch.float32)
    with pytest.raises(TypeError):
        mytorch.set_default_dtype(mytorch.int64)
    mytorch.set_default_device("cpu")
    assert mytorch.get_default_device() == mytorch.device("cpu")
    with pytest.raises(RuntimeError):
        mytorch.set_default_device("cuda")


@requires_torch
def test_reduction_keyword_aliases():
    a = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    for name in ("sum", "mean", "amax", "amin", "argmax", "argmin", "std", "var"):
        ours = getattr(mytorch.tensor(a), name)(axis=1, keepdims=True)
        theirs = getattr(torch.tensor(a), name)(axis=1, keepdims=True)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, err_msg=name)


@requires_torch
def test_advanced_indexing_puts_dims_where_torch_does():
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    idx = [0, 1]
    cases = [(0, slice(None), idx), (0, slice(None), slice(None), idx), (slice(None), 0, slice(None), idx),
             (0, idx, slice(None), idx), (None, 0, slice(None), idx), (0, Ellipsis, idx), (idx, slice(None), 0)]
    for case in cases:
        ours = mytorch.tensor(a, requires_grad=True)
        theirs = torch.tensor(a, requires_grad=True)
        o = ours[tuple(mytorch.tensor(c) if isinstance(c, list) else c for c in case)]
        t = theirs[tuple(torch.tensor(c) if isinstance(c, list) else c for c in case)]
        np.testing.assert_array_equal(o.detach().numpy(), t.detach().numpy())
        o.sum().backward()
        t.sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_cuda_amp_and_dtype_helpers_for_cpu_scripts():
    import mytorch.cuda
    mytorch.cuda.empty_cache()
    mytorch.cuda.manual_seed_all(0)
    assert mytorch.cuda.device_count() == 0 and not mytorch.cuda.is_available()
    scaler = mytorch.amp.GradScaler("cpu", enabled=False)
    x = mytorch.ones(1, 2, requires_grad=True)
    with mytorch.autocast(device_type="cpu", enabled=False):
        loss = (x * 3).sum()
    scaler.scale(loss).backward()
    assert x.grad.tolist() == [[3.0, 3.0]]
    assert mytorch.is_floating_point(mytorch.ones(1)) and not mytorch.is_floating_point(mytorch.tensor([1]))
    assert mytorch.finfo(mytorch.float32).eps == pytest.approx(1.1920929e-07)
    assert mytorch.iinfo(mytorch.int8).max == 127 and mytorch.finfo().bits == 32
    if torch is not None:
        v = np.array([1.0, 1.00390625, 1.005859375, 3.14159, -2.71828e-5, 65504.0], np.float32)
        np.testing.assert_array_equal(mytorch.tensor(v).bfloat16().float().numpy(),
                                      torch.tensor(v).bfloat16().float().numpy())
