"""Tensor attributes, dtypes and promotion, factories, printing, and bad-input messages."""
import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


def test_default_dtypes_follow_torch():
    assert mytorch.tensor(1.5).dtype == mytorch.float32
    assert mytorch.tensor([1, 2]).dtype == mytorch.int64
    assert mytorch.tensor([True]).dtype == mytorch.bool
    assert mytorch.tensor(np.zeros(2)).dtype == mytorch.float64  # ndarrays keep their dtype
    assert mytorch.zeros(2).dtype is mytorch.float32 and mytorch.float is mytorch.float32
    assert mytorch.double is mytorch.float64 and mytorch.long is mytorch.int64
    assert mytorch.arange(3).dtype == mytorch.int64 and mytorch.arange(0.0, 1, 0.5).dtype == mytorch.float32


@pytest.mark.parametrize("make, expected", [
    (lambda: mytorch.tensor([1, 2]) / 2, "float32"),
    (lambda: mytorch.tensor([1, 2]) * 2.5, "float32"),
    (lambda: mytorch.tensor([1, 2]) + 1, "int64"),
    (lambda: mytorch.ones(2) + 2.0, "float32"),
    (lambda: mytorch.ones(2) + mytorch.tensor(2.0, dtype=mytorch.float64), "float32"),
    (lambda: mytorch.ones(2) + mytorch.ones(2, dtype=mytorch.float64), "float64"),
    (lambda: mytorch.tensor([1, 2]) + mytorch.tensor(1.0, dtype=mytorch.float64), "float64"),
    (lambda: mytorch.tensor([1, 2], dtype=mytorch.int32) + mytorch.ones(2), "float32"),
    (lambda: mytorch.tensor([True]) + 1, "int64"),
    (lambda: mytorch.tensor([1, 2]).sum(), "int64"),
    (lambda: mytorch.tensor([True, True]).sum(), "int64"),
    (lambda: mytorch.tensor([1, 2], dtype=mytorch.uint8) + mytorch.tensor([1], dtype=mytorch.int8), "int16"),
    (lambda: mytorch.tensor([1, 4]).sqrt(), "float32"),
    (lambda: mytorch.tensor([1, 4]) ** 0.5, "float32"),
    (lambda: mytorch.ones(2) > 0, "bool"),
])
def test_type_promotion(make, expected):
    assert make().dtype.name == expected


@requires_torch
def test_type_promotion_agrees_with_torch_result_type():
    samples = [np.ones(2, np.float32), np.ones(2, np.float64), np.ones(2, np.int64), np.ones(2, np.int32),
               np.ones(2, np.uint8), np.ones(2, bool), np.float64(1.0), np.float32(1.0), np.int64(1)]
    scalars = [2, 2.5, True]

    def both(x):
        if isinstance(x, np.ndarray):
            return mytorch.from_numpy(x), torch.from_numpy(x)
        return mytorch.tensor(np.asarray(x)), torch.from_numpy(np.asarray(x))
    for a in samples:
        for b in samples + scalars:
            ma, ta = both(a)
            mb, tb = both(b) if not isinstance(b, (int, float)) else (b, b)
            assert (ma + mb).dtype.name == str((ta + tb).dtype).split(".")[1], (a, b)


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*int64"):
        mytorch.tensor([1, 2]).mean()


def test_attributes():
    x = mytorch.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == mytorch.Size([2, 3, 4]) and x.size(-1) == 4
    assert x.dim() == x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert str(x.device) == "cpu" and x.device == mytorch.device("cpu")
    assert repr(x.shape) == "mytorch.Size([2, 3, 4])"
    assert mytorch.tensor(2.5).item() == 2.5 and mytorch.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert x.float() is x and x.double().dtype == mytorch.float64 and x.long().dtype == mytorch.int64
    assert x.to(mytorch.float64).dtype == mytorch.float64 and x.to("cpu") is x
    assert x.contiguous() is x and x.transpose(0, 2).contiguous().is_contiguous()


def test_numpy_refuses_requires_grad_and_detach_shares_memory():
    x = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    d = x.detach()
    d.numpy()[0] = 5
    assert x.tolist()[0] == 5 and not d.requires_grad


def test_from_numpy_shares_and_tensor_copies():
    a = np.zeros(3, np.float32)
    shared, copied = mytorch.from_numpy(a), mytorch.tensor(a)
    a[0] = 1
    assert shared.tolist()[0] == 1 and copied.tolist()[0] == 0


def test_factories():
    assert mytorch.full((2,), 3).dtype == mytorch.int64 and mytorch.full((2,), 3.0).tolist() == [3.0, 3.0]
    assert mytorch.eye(2).tolist() == [[1, 0], [0, 1]] and mytorch.empty(2, 3).shape == (2, 3)
    assert mytorch.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert sorted(mytorch.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    r = mytorch.randint(3, 7, (100,))
    assert r.dtype == mytorch.int64 and r.min().item() >= 3 and r.max().item() < 7
    assert mytorch.randint(5, (2, 2)).shape == (2, 2)
    x = mytorch.ones(2, 3, dtype=mytorch.float64)
    for like in (mytorch.zeros_like, mytorch.ones_like, mytorch.rand_like, mytorch.randn_like, mytorch.empty_like):
        assert like(x).shape == (2, 3) and like(x).dtype == mytorch.float64
    assert 0 <= mytorch.rand(1000).min().item() and mytorch.rand(1000).max().item() < 1


def test_manual_seed_makes_runs_reproducible():
    mytorch.manual_seed(7)
    a = (mytorch.randn(3), mytorch.rand(2), mytorch.randint(10, (3,)), mytorch.randperm(4))
    mytorch.manual_seed(7)
    b = (mytorch.randn(3), mytorch.rand(2), mytorch.randint(10, (3,)), mytorch.randperm(4))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()


def test_repr_like_torch():
    assert repr(mytorch.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(mytorch.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(mytorch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mytorch.tensor([1.0], dtype=mytorch.float64)) == "tensor([1.], dtype=mytorch.float64)"
    assert "grad_fn=<MulBackward0>" in repr(mytorch.ones(1, requires_grad=True) * 2)
    assert repr(mytorch.tensor([True, False])) == "tensor([ True, False])"


def test_comparisons_return_bool_tensors():
    a, b = mytorch.tensor([1.0, 2.0, 3.0]), mytorch.tensor([3.0, 2.0, 1.0])
    for op, expected in [(a == b, [False, True, False]), (a != b, [True, False, True]),
                         (a < b, [True, False, False]), (a <= b, [True, True, False]),
                         (a > b, [False, False, True]), (a >= b, [False, True, True]),
                         (mytorch.eq(a, 2), [False, True, False])]:
        assert op.dtype == mytorch.bool and op.tolist() == expected
    assert a.argmax().item() == 2 and b.argmin(dim=0).item() == 2
    assert mytorch.tensor([[1, 5], [7, 2]]).argmax(dim=1, keepdim=True).tolist() == [[1], [0]]


def test_max_with_dim_returns_values_and_indices():
    values, indices = mytorch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == mytorch.int64


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, message", [
    (lambda: mytorch.ones(3, 4) @ mytorch.ones(5, 6),
     r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"),
    (lambda: mytorch.ones(3) @ mytorch.ones(4), r"expected tensor \[3\] and src \[4\]"),
    (lambda: mytorch.ones(2, 3) + mytorch.ones(4),
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    (lambda: mytorch.ones(2, 3) * mytorch.ones(5, 1, 2),
     r"size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 2"),
    (lambda: mytorch.ones(3, 4).view(5, 2), r"shape '\[5, 2\]' is invalid for input of size 12"),
    (lambda: mytorch.ones(3, 4).reshape(-1, 5), r"shape '\[-1, 5\]' is invalid for input of size 12"),
    (lambda: mytorch.cat([mytorch.ones(2, 3), mytorch.ones(3, 2)], dim=0), r"Sizes of tensors must match except in dimension 0"),
    (lambda: mytorch.stack([mytorch.ones(2), mytorch.ones(3)]), r"stack expects each tensor to be equal size"),
    (lambda: mytorch.ones(2, 3).expand(4, 3, 2), r"The expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 1"),
    (lambda: mytorch.where(mytorch.ones(2), mytorch.ones(2), 0.0), r"boolean tensor.*float32"),
    (lambda: mytorch.ones(2, 2).permute(0, 0), r"duplicate dims"),
    (lambda: -mytorch.tensor([True]), r"Negation, the `-` operator, on a bool tensor"),
    (lambda: mytorch.tensor([1, 2]) ** -1, r"Integers to negative integer powers"),
    (lambda: mytorch.tensor([1.0, 2.0]).item(), r"a Tensor with 2 elements cannot be converted to Scalar"),
    (lambda: bool(mytorch.ones(2)), r"Boolean value of Tensor with 2 elements is ambiguous"),
    (lambda: mytorch.zeros(2, -1), r"negative dimension -1"),
    (lambda: mytorch.ones(2).to("cuda"), r"CPU only; device 'cuda' is not available"),
])
def test_bad_input_messages(make, message):
    with pytest.raises(RuntimeError, match=message):
        make()


def test_dimension_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 2\)"):
        mytorch.ones(3).sum(dim=2)


def test_bad_index_names_the_shape():
    with pytest.raises(IndexError, match=r"shape \[2, 3\]"):
        mytorch.ones(2, 3)[5]


def test_unknown_dtype_is_named():
    with pytest.raises(TypeError, match="complex128"):
        mytorch.tensor(np.zeros(2, np.complex128))


def test_set_num_threads_reaches_blas_and_the_kernels():
    from kernels import _threads
    before = mytorch.get_num_threads()
    try:
        mytorch.set_num_threads(1)
        assert mytorch.get_num_threads() == 1 and _threads.get_num_threads() == 1
        assert _threads.blas_threads() in (1, None)  # None where NumPy's BLAS is not OpenBLAS
        with pytest.raises(ValueError, match="positive integer, got 0"):
            mytorch.set_num_threads(0)
    finally:
        mytorch.set_num_threads(before)


@pytest.mark.parametrize("value,expected", [("1", "1"), ("3", "3"), ("zero", "cpus"), ("0", "cpus"), (None, "cpus")])
def test_default_threads_follow_omp_num_threads(value, expected):
    """As torch's: OMP_NUM_THREADS sets the default thread count where it is a positive integer;
    otherwise every CPU the process may use."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if value is not None:
        env["OMP_NUM_THREADS"] = value
    code = "import os, mytorch; print(mytorch.get_num_threads(), len(os.sched_getaffinity(0)) " \
           "if hasattr(os, 'sched_getaffinity') else os.cpu_count())"
    got, cpus = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                               check=True).stdout.split()
    assert got == (cpus if expected == "cpus" else expected)
