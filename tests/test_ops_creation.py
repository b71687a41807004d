"""Factories and random samplers (mytorch/creation.py, random.py): torch's overloads, dtypes and
shapes, one line each; random streams reproducible under manual_seed and per Generator.

Deterministic factories must equal torch's values exactly (they are the same arithmetic on
exactly representable inputs, except arange/linspace/logspace, compared at float32 rounding).
Random samplers cannot equal torch's numbers (different bit generators): their shapes and dtypes
must match torch's, and their values are checked against the distribution's support and moments.
"""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


def same(ours, theirs, rtol=0.0):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol)


DETERMINISTIC = [
    ("tensor_ints", lambda m: m.tensor([[1, 2], [3, 4]])),
    ("tensor_mixed", lambda m: m.tensor([1, 2.5])),
    ("tensor_bool", lambda m: m.tensor([True, False])),
    ("tensor_empty", lambda m: m.tensor([])),
    ("tensor_empty_2d", lambda m: m.tensor([[]])),
    ("tensor_dtype", lambda m: m.tensor(3, dtype=m.float64)),
    ("tensor_of_0d_tensors", lambda m: m.tensor([m.tensor(1.5), m.tensor(2.0)])),
    ("tensor_np_float64", lambda m: m.tensor(np.array([1.5, 2.0]))),
    ("tensor_np_scalar", lambda m: m.tensor(np.float64(2.5))),
    ("scalar_tensor", lambda m: m.scalar_tensor(3)),
    ("zeros_varargs", lambda m: m.zeros(2, 3)),
    ("zeros_tuple", lambda m: m.zeros((2, 3), dtype=m.int32)),
    ("zeros_size_kw", lambda m: m.zeros(size=(2, 1))),
    ("zeros_0d", lambda m: m.zeros([])),
    ("ones_Size", lambda m: m.ones(m.Size([3, 1]), dtype=m.float64)),
    ("full_int", lambda m: m.full((2, 2), 7)),
    ("full_float", lambda m: m.full((2,), 1.5)),
    ("full_bool", lambda m: m.full((2,), True)),
    ("full_dtype", lambda m: m.full([3], 2, dtype=m.float64)),
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 4, dtype=m.int64)),
    ("arange_int", lambda m: m.arange(5)),
    ("arange_start_step", lambda m: m.arange(1, 10, 3)),
    ("arange_float", lambda m: m.arange(0, 1, 0.25)),
    ("arange_float_end", lambda m: m.arange(5.0)),
    ("arange_negative_step", lambda m: m.arange(5, 0, -2)),
    ("arange_dtype", lambda m: m.arange(4, dtype=m.float64)),
    ("arange_tensor_arg", lambda m: m.arange(m.tensor(3))),
    ("arange_inexact", lambda m: m.arange(0, 0.9, 0.3)),
    ("arange_float_args_int_dtype", lambda m: m.arange(0.5, 5, 1.5, dtype=m.int64)),
    ("arange_float_big", lambda m: m.arange(-50.3, -380.2, -2.25)),
    ("linspace_int_descending", lambda m: m.linspace(5, -5, 20, dtype=m.int32)),
    ("logspace_int", lambda m: m.logspace(0, 3, 4, dtype=m.int64)),
    ("linspace", lambda m: m.linspace(-1, 1, 5)),
    ("linspace_one", lambda m: m.linspace(0, 1, 1)),
    ("linspace_int_dtype", lambda m: m.linspace(0, 10, 3, dtype=m.int64)),
    ("logspace", lambda m: m.logspace(0, 2, 3)),
    ("logspace_base2", lambda m: m.logspace(0, 3, 4, base=2)),
    ("zeros_like", lambda m: m.zeros_like(m.ones(2, dtype=m.int32))),
    ("ones_like_dtype", lambda m: m.ones_like(m.ones(2), dtype=m.int64, memory_format=m.preserve_format)),
    ("full_like", lambda m: m.full_like(m.ones(2, 2), 3)),
    ("empty_like_shape", lambda m: m.empty_like(m.ones(2, 3)).fill_(0)),
    ("empty_strided", lambda m: m.empty_strided((2, 3), (3, 1)).fill_(0)),
    ("new_zeros", lambda m: m.ones(2, dtype=m.int64).new_zeros(3)),
    ("new_ones_tuple", lambda m: m.ones(2).new_ones((2, 3), dtype=m.int32)),
    ("new_full", lambda m: m.ones(2, dtype=m.float64).new_full((3,), 2)),
    ("new_empty", lambda m: m.ones(1, dtype=m.int16).new_empty(2, 2).fill_(0)),
    ("FloatTensor_sizes", lambda m: m.FloatTensor(2, 3).fill_(0)),
    ("FloatTensor_data", lambda m: m.FloatTensor([1, 2])),
    ("FloatTensor_empty", lambda m: m.FloatTensor()),
    ("LongTensor_data", lambda m: m.LongTensor([[1, 2]])),
    ("LongTensor_size", lambda m: m.LongTensor(m.Size([2])).fill_(0)),
    ("DoubleTensor", lambda m: m.DoubleTensor([1.5])),
    ("IntTensor", lambda m: m.IntTensor([1, 2])),
    ("ByteTensor", lambda m: m.ByteTensor([1, 255])),
    ("BoolTensor", lambda m: m.BoolTensor([1, 0])),
    ("heaviside", lambda m: m.heaviside(m.tensor([-1.0, 0.0, 2.0]), m.tensor(0.5))),
]


@requires_torch
@pytest.mark.parametrize("name,fn", DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
def test_factory_against_torch(name, fn):
    same(fn(mytorch), fn(torch), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("rand_varargs", lambda m: m.rand(2, 3)),
    ("rand_tuple", lambda m: m.rand((2, 3))),
    ("rand_size_kw", lambda m: m.rand(size=(4,))),
    ("rand_dtype", lambda m: m.rand(2, dtype=m.float64)),
    ("randn", lambda m: m.randn(3, 2)),
    ("randn_size_kw_generator", lambda m: m.randn(size=(2, 2), generator=m.Generator().manual_seed(1))),
    ("randn_requires_grad", lambda m: m.randn(2, requires_grad=True)),
    ("randint_high_size", lambda m: m.randint(10, (3,))),
    ("randint_high_size_kw", lambda m: m.randint(10, size=(1,))),
    ("randint_low_high_size", lambda m: m.randint(3, 10, (2, 2))),
    ("randint_kw_all", lambda m: m.randint(low=2, high=5, size=(4,), dtype=m.int32)),
    ("randint_generator", lambda m: m.randint(0, 2, (3,), generator=m.Generator())),
    ("randperm", lambda m: m.randperm(5)),
    ("normal_tensor_tensor", lambda m: m.normal(m.zeros(2, 3), m.ones(2, 3))),
    ("normal_tensor_float", lambda m: m.normal(m.zeros(3, dtype=m.float64), 2.0)),
    ("normal_float_tensor", lambda m: m.normal(1.0, m.ones(4))),
    ("normal_float_float_size", lambda m: m.normal(2.0, 3.0, size=(1, 4))),
    ("normal_positional_size", lambda m: m.normal(0, 1, (2,))),
    ("bernoulli_tensor", lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64))),
    ("bernoulli_p", lambda m: m.bernoulli(m.ones(4), p=0.3)),
    ("bernoulli_method", lambda m: m.ones(2, 2).bernoulli()),
    ("multinomial", lambda m: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 2)),
    ("multinomial_2d_replacement", lambda m: m.multinomial(m.ones(2, 3), 5, replacement=True)),
    ("poisson", lambda m: m.poisson(m.ones(2, 2) * 3)),
    ("rand_like", lambda m: m.rand_like(m.ones(2, dtype=m.float64))),
    ("randn_like", lambda m: m.randn_like(m.ones(3))),
    ("randint_like_high", lambda m: m.randint_like(m.ones(2, 2), 5)),
    ("randint_like_low_high", lambda m: m.randint_like(m.ones(2, dtype=m.int64), 3, 5)),
    ("uniform_", lambda m: m.empty(3).uniform_(-1, 1)),
    ("normal_", lambda m: m.empty(3, dtype=m.float64).normal_(0, 2)),
    ("random_", lambda m: m.empty(3, dtype=m.int64).random_(0, 5)),
    ("exponential_", lambda m: m.empty(3).exponential_()),
])
def test_sampler_shape_and_dtype(name, fn):
    ours, theirs = fn(mytorch), fn(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad


def test_sampler_values():
    """Support and moments: 20,000 draws put the sample mean within ~5 standard errors."""
    mytorch.manual_seed(0)
    n = 20000
    u = mytorch.rand(n).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    z = mytorch.normal(2.0, 3.0, size=(n,)).numpy()
    assert abs(z.mean() - 2.0) < 0.1 and abs(z.std() - 3.0) < 0.1
    mean = mytorch.arange(4.0).repeat(n // 4)
    z = (mytorch.normal(mean, 0.5) - mean).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 0.5) < 0.02
    k = mytorch.randint(3, 7, (n,)).numpy()
    assert set(np.unique(k)) == {3, 4, 5, 6}
    b = mytorch.bernoulli(mytorch.full((n,), 0.25)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    p = mytorch.poisson(mytorch.full((n,), 4.0)).numpy()
    assert abs(p.mean() - 4.0) < 0.15
    picks = mytorch.multinomial(mytorch.tensor([0.0, 1.0, 3.0]), n, replacement=True).numpy()
    assert 0 not in picks and abs((picks == 2).mean() - 0.75) < 0.02
    rows = mytorch.multinomial(mytorch.tensor([[1.0, 1.0, 0.0, 1.0]] * 50), 3).numpy()
    assert all(sorted(r) == [0, 1, 3] for r in rows)  # without replacement: each index once, never the 0 weight


def test_manual_seed_reproduces_every_sampler():
    def draw():
        return [mytorch.rand(3), mytorch.randn(2, 2), mytorch.randint(0, 100, (4,)), mytorch.randperm(6),
                mytorch.normal(0.0, 1.0, size=(3,)), mytorch.bernoulli(mytorch.full((5,), 0.5)),
                mytorch.multinomial(mytorch.ones(5), 3), mytorch.poisson(mytorch.ones(3))]
    mytorch.manual_seed(123)
    first = draw()
    mytorch.manual_seed(123)
    for a, b in zip(first, draw()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert mytorch.initial_seed() == 123


def test_generator_streams_are_independent_and_restorable():
    g = mytorch.Generator().manual_seed(7)
    a = mytorch.rand(4, generator=g)
    mytorch.manual_seed(0)
    mytorch.rand(10)  # the default stream moving does not touch g
    state = g.get_state()
    assert state.dtype == mytorch.uint8
    b = mytorch.randn(3, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(b.numpy(), mytorch.randn(3, generator=g).numpy())
    np.testing.assert_array_equal(a.numpy(), mytorch.rand(4, generator=mytorch.Generator().manual_seed(7)).numpy())
    assert g.initial_seed() == 7


def test_global_rng_state_roundtrip():
    state = mytorch.get_rng_state()
    x = mytorch.rand(3)
    mytorch.set_rng_state(state)
    np.testing.assert_array_equal(x.numpy(), mytorch.rand(3).numpy())
    with mytorch.random.fork_rng():
        mytorch.rand(5)
    y = mytorch.rand(2)
    mytorch.set_rng_state(state)
    mytorch.rand(3)
    np.testing.assert_array_equal(y.numpy(), mytorch.rand(2).numpy())


@requires_torch
@pytest.mark.parametrize("which", ["both", "mean", "std"])
def test_normal_with_parameters_that_require_grad(which):
    """torch keeps such a sample in the graph, with zero gradients for mean and std."""
    results = []
    for lib in (mytorch, torch):
        mean = lib.zeros(2, 3, requires_grad=which in ("both", "mean"))
        std = lib.ones(3, requires_grad=which in ("both", "std"))
        sample = lib.normal(mean if which != "std" else 0.0, std if which != "mean" else 1.0)
        sample.sum().backward()
        results.append((sample.requires_grad, type(sample.grad_fn).__name__ if lib is torch else sample.grad_fn.name(),
                        None if mean.grad is None else mean.grad.numpy().tolist(),
                        None if std.grad is None else std.grad.numpy().tolist()))
    assert results[0] == results[1]


@requires_torch
@pytest.mark.parametrize("name,fn", [("bernoulli", lambda m, p: m.bernoulli(p)),
                                     ("poisson", lambda m, p: m.poisson(p * 3))])
def test_samplers_of_tensors_that_require_grad(name, fn):
    results = []
    for lib in (mytorch, torch):
        p = lib.full((3,), 0.5, requires_grad=True)
        sample = fn(lib, p)
        sample.sum().backward()
        results.append((sample.requires_grad, p.grad.numpy().tolist()))
    assert results[0] == results[1]


def test_legacy_types():
    assert isinstance(mytorch.ones(2), mytorch.FloatTensor)
    assert not isinstance(mytorch.ones(2), mytorch.LongTensor)
    assert isinstance(mytorch.tensor([1]), mytorch.LongTensor)
    assert mytorch.FloatTensor.dtype is mytorch.float32 and mytorch.ByteTensor.dtype is mytorch.uint8


def test_out_argument():
    out = mytorch.empty(1, dtype=mytorch.float64)
    assert mytorch.zeros(2, 3, out=out) is out
    assert out.shape == (2, 3) and out.dtype == mytorch.float64 and not out.numpy().any()
    assert mytorch.arange(3, out=out) is out
    np.testing.assert_array_equal(out.numpy(), [0, 1, 2])
    assert mytorch.normal(0.0, 1.0, size=(4,), out=out) is out and out.shape == (4,)


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("randint_low_ge_high", lambda m: m.randint(5, 3, (2,))),
    ("randint_no_size", lambda m: m.randint(5)),
    ("normal_negative_std", lambda m: m.normal(m.zeros(2), -1.0)),
    ("normal_no_size", lambda m: m.normal(0.0, 1.0)),
    ("rand_int_dtype", lambda m: m.rand(2, dtype=m.int64)),
    ("zeros_negative", lambda m: m.empty(-1)),
    ("arange_zero_step", lambda m: m.arange(0, 5, 0)),
    ("arange_wrong_sign", lambda m: m.arange(0, 5, -1)),
    ("arange_int_dtype_zero_step", lambda m: m.arange(1, 4, 0.5, dtype=m.int64)),
    ("multinomial_too_many", lambda m: m.multinomial(m.ones(3), 4)),
    ("multinomial_negative", lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1)),
    ("multinomial_3d", lambda m: m.multinomial(m.ones(2, 2, 2), 1)),
    ("bernoulli_p_range", lambda m: m.bernoulli(m.tensor([1.5]))),
    ("randperm_negative", lambda m: m.randperm(-1)),
    ("linspace_negative_steps", lambda m: m.linspace(0, 1, -1)),
])
def test_error_types(name, fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(theirs.type):
        fn(mytorch)


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("tensor_scalar", lambda m: m.tensor(72.68, dtype=m.float64)),
    ("tensor_list", lambda m: m.tensor([0.1, 1e-300, 1 / 3], dtype=m.float64)),
    ("tensor_nested", lambda m: m.tensor([[0.1, 2], [3.3, 1e20 + 1.5]], dtype=m.float64)),
    ("as_tensor", lambda m: m.as_tensor([[0.1], [0.7]], dtype=m.float64)),
    ("full", lambda m: m.full((2, 2), 72.68, dtype=m.float64)),
    ("scalar_tensor", lambda m: m.scalar_tensor(0.1, dtype=m.float64)),
    ("default_float32", lambda m: m.tensor([72.68, 0.1])),
])
def test_python_floats_keep_float64_exactly(name, fn):
    """A Python float goes straight to float64 when asked for, never through float32 (rtol 0)."""
    same(fn(mytorch), fn(torch))


@requires_torch
def test_default_dtype_governs_inferred_floats():
    for m in (mytorch, torch):
        m.set_default_dtype(m.float64)
    try:
        for fn in (lambda m: m.tensor([72.68]), lambda m: m.tensor(0.1), lambda m: m.zeros(2),
                   lambda m: m.full((1,), 0.1)):
            same(fn(mytorch), fn(torch))
    finally:
        for m in (mytorch, torch):
            m.set_default_dtype(m.float32)


@requires_torch
@pytest.mark.parametrize("name,fn", [
    ("numpy_float64_elements", lambda m: m.tensor([np.float64(0.1), 3])),
    ("numpy_float32_and_python_float", lambda m: m.tensor([np.float32(0.1), 0.1])),
    ("numpy_int32_elements", lambda m: m.tensor([np.int32(1), 7])),
    ("numpy_int32_and_python_float", lambda m: m.tensor([np.int32(1), 0.1])),
    ("numpy_int16_and_int32", lambda m: m.tensor([np.int16(1), np.int32(7)])),
    ("numpy_uint8_and_bool", lambda m: m.tensor([np.uint8(1), True])),
    ("float64_tensor_elements", lambda m: m.tensor([m.tensor(1.5, dtype=m.float64), 2])),
    ("int32_tensor_and_float", lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2.5])),
    ("float16_tensor_and_int", lambda m: m.tensor([m.tensor(1.0, dtype=m.float16), 1])),
    ("nested_numpy_float64", lambda m: m.tensor([[[1, 2]], [[3, np.float64(4.1)]]])),
    ("as_tensor_numpy_float64", lambda m: m.as_tensor([np.float64(0.5)])),
    ("bool_and_int", lambda m: m.tensor([True, 2])),
    ("empty_nested", lambda m: m.tensor([[], []])),
])
def test_sequence_dtype_follows_each_elements_type(name, fn):
    """A list's dtype comes from its elements' own types (a NumPy scalar or Tensor keeps its dtype),
    promoted as torch promotes; values exactly equal."""
    same(fn(mytorch), fn(torch))


_OVERFLOW_VALUES = [[300], [-300], [2 ** 40], [float("nan")], [1e10], [-256], [-255], [127.5], [-1.0], [float("inf")],
                    [[1, 2 ** 62]], [2.9]]


@requires_torch
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "bool", "float16"])
@pytest.mark.parametrize("value", _OVERFLOW_VALUES, ids=[str(v) for v in _OVERFLOW_VALUES])
def test_python_numbers_an_integer_dtype_cannot_hold_are_refused(dtype, value):
    """tensor(...) and full(...) refuse what torch refuses (an unsigned dtype wraps ints from -max,
    never floats); what torch takes they take, with torch's value. (torch's full into float16 and
    float32 refuses some finite overflows depending on the size: not compared.)"""
    makers = [lambda m: m.tensor(value, dtype=getattr(m, dtype))]
    if dtype != "float16":
        makers.append(lambda m: m.full((2,), np.asarray(value).reshape(-1)[-1].item(), dtype=getattr(m, dtype)))
    for make in makers:
        try:
            theirs = make(torch)
        except Exception as exc:
            with pytest.raises(type(exc)) as ours:
                make(mytorch)
            assert str(ours.value) == str(exc)
            continue
        same(make(mytorch), theirs)


@requires_torch
@pytest.mark.parametrize("value", [2 ** 63, 2 ** 64, -2 ** 63 - 1, [2 ** 63], [2 ** 64, 1], [1.5, 2 ** 64], 2 ** 63 - 1])
def test_python_ints_beyond_int64(value):
    try:
        theirs = torch.tensor(value)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)):
            mytorch.tensor(value)
        return
    same(mytorch.tensor(value), theirs)
