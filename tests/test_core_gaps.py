"""Gaps found by running real tutorial programs: decorator forms of the grad modes, legacy Tensor
constructors, dtype objects and promotion, Python-int wrapping, device/precision boilerplate and
torch.special. Each is checked against torch where it is installed (skipping cleanly otherwise);
values are exact (integer results, or the same formula in float64: rtol 1e-12) unless stated.
"""
import warnings

import numpy as np
import pytest

import mytorch
from conftest import requires_torch, torch


@pytest.mark.parametrize("name,enabled_inside", [("no_grad", False), ("inference_mode", False), ("enable_grad", True)])
def test_grad_mode_decorators_without_parentheses(name, enabled_inside):
    @getattr(mytorch, name)
    def double(x):
        """doc"""
        return x * 2, mytorch.is_grad_enabled()

    with mytorch.no_grad():
        y, enabled = double(mytorch.ones(1, requires_grad=True))
    assert enabled is enabled_inside and y.requires_grad is enabled_inside
    assert double.__name__ == "double" and double.__doc__ == "doc"
    assert mytorch.is_grad_enabled()


def test_backends_submodules_import_and_keep_flags():
    import mytorch.backends.cudnn as cudnn
    cudnn.benchmark = True
    cudnn.deterministic = True
    assert mytorch.backends.cudnn.benchmark and not cudnn.is_available()
    mytorch.backends.cuda.matmul.allow_tf32 = True
    assert mytorch.backends.cuda.matmul.allow_tf32
    for name in ("cudnn", "mps", "mkldnn", "openmp"):
        assert getattr(mytorch.backends, name).is_available() is False
    assert mytorch.backends.get_kernels() in mytorch.backends.CHOICES  # the kernel switch is still there


@requires_torch
def test_device_and_precision_boilerplate_as_cpu_torch():
    for T in (mytorch, torch):
        assert not (T.cuda.is_available() or T.backends.mps.is_available() or T.xpu.is_available())
        assert T.mps.is_available() is False and T.version.cuda is None and not T.ones(1).is_mps
        assert isinstance(T.version.__version__, str)
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            T.cuda.get_device_properties(0)
    previous = torch.get_float32_matmul_precision()
    assert mytorch.get_float32_matmul_precision() == previous
    mytorch.set_float32_matmul_precision("high")
    assert mytorch.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="no effect"):
        mytorch.set_float32_matmul_precision("fastest")
    assert mytorch.get_float32_matmul_precision() == "high"
    mytorch.set_float32_matmul_precision(previous)


def test_determinism_interop_threads_and_compile():
    mytorch.use_deterministic_algorithms(True, warn_only=True)
    assert mytorch.are_deterministic_algorithms_enabled()
    assert mytorch.is_deterministic_algorithms_warn_only_enabled()
    mytorch.use_deterministic_algorithms(False)
    assert not mytorch.are_deterministic_algorithms_enabled()
    before = mytorch.get_num_interop_threads()
    mytorch.set_num_interop_threads(2)
    assert mytorch.get_num_interop_threads() == 2
    mytorch.set_num_interop_threads(before)
    with pytest.raises(RuntimeError, match="positive integer"):
        mytorch.set_num_interop_threads(0)
    model = mytorch.nn.Linear(2, 1)
    assert mytorch.compile(model) is model and mytorch.compile(mode="max-autotune")(model) is model
    with pytest.warns(UserWarning, match="TorchScript"):
        assert mytorch.jit.script(model) is model


@requires_torch
@pytest.mark.parametrize("args", [(), (2,), (2, 3), ("size",), ([1, 2],), ((1, 2),), ([[1.5, 2.0]],)])
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_legacy_new(args, dtype):
    def call(T):
        x = T.ones(2, 2, dtype=getattr(T, dtype))
        return x.new(*[x.size() if a == "size" else a for a in args])
    got, want = call(mytorch), call(torch)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype.name == dtype
    if want.numel() and args and args[0] != "size" and not isinstance(args[0], int):
        assert got.tolist() == want.tolist()  # data, not sizes (torch's uninitialised memory is not compared)


def test_legacy_new_of_a_tensor_is_that_tensor():
    x, t = mytorch.zeros(2), mytorch.tensor([1.0, 2.0])
    assert x.new(t) is t
    with pytest.raises(TypeError):
        x.new(mytorch.tensor([1, 2]))


@requires_torch
@pytest.mark.parametrize("size", [(3, 2), (4,), (1, 2), ((2, 2),), (6,)])
def test_resize_keeps_leading_elements(size):
    def call(T):
        return T.arange(6.0).reshape(2, 3).resize_(*size)
    got, want = call(mytorch), call(torch)
    assert tuple(got.shape) == tuple(want.shape) and got.tolist() == want.tolist()


def test_resize_grows_with_zeros_and_guards_grad():
    x = mytorch.arange(3.0)
    v0 = x._version
    assert x.resize_(5).tolist() == [0.0, 1.0, 2.0, 0.0, 0.0] and x._version > v0
    assert mytorch.zeros(2).resize_as_(mytorch.ones(1, 3)).shape == (1, 3)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        y = mytorch.arange(6.0).resize(3, 2)
    assert y.shape == (3, 2)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        mytorch.ones(2, requires_grad=True).resize_(3)


_INT_SCALAR_OPS = {
    "mul": lambda x, v: x * v, "add": lambda x, v: x + v, "sub": lambda x, v: x - v, "rsub": lambda x, v: v - x,
    "eq": lambda x, v: x == v, "lt": lambda x, v: x < v, "ge": lambda x, v: x >= v, "floordiv": lambda x, v: x // v,
    "rem": lambda x, v: x % v, "and": lambda x, v: x & v, "add_alpha": lambda x, v: x.add(v, alpha=2),
    "fill_": lambda x, v: x.clone().fill_(v), "masked_fill": lambda x, v: x.masked_fill(x > 1, v),
    "clamp": lambda x, v: x.clamp(max=v),
}


def _outcome(T, dtype, value, fn):
    x = T.tensor([1, 2, 100], dtype=getattr(T, dtype))
    try:
        return fn(x, value).tolist()
    except (RuntimeError, OverflowError) as e:
        return type(e).__name__


@requires_torch
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("value", [300, -300, 70000, -1, 2 ** 40, 2 ** 63])
def test_python_int_out_of_dtype_range_as_torch(dtype, value):
    """Arithmetic, comparison and bitwise ops wrap the int modulo 2**bits; fills and clamp bounds
    raise RuntimeError (an unsigned dtype takes -max..-1); division by a wrapped 0 raises."""
    for name, fn in _INT_SCALAR_OPS.items():
        assert _outcome(mytorch, dtype, value, fn) == _outcome(torch, dtype, value, fn), name


def test_python_int_beyond_64_bits_overflows():
    with pytest.raises(OverflowError):
        mytorch.ones(2, dtype=mytorch.uint8) * 2 ** 70


_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@requires_torch
def test_promote_types_and_can_cast_match_torch():
    for a in _DTYPES:
        for b in _DTYPES:
            ours = mytorch.promote_types(getattr(mytorch, a), getattr(mytorch, b))
            assert ours.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1], (a, b)
            assert mytorch.can_cast(getattr(mytorch, a), getattr(mytorch, b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)
    with pytest.raises(TypeError, match="must be torch.dtype"):
        mytorch.promote_types(mytorch.float32, 2)


@requires_torch
@pytest.mark.parametrize("operands", [lambda T: (T.ones(2, dtype=T.int32), 2.5), lambda T: (2, 3.0),
                                      lambda T: (T.tensor(1), T.ones(2, dtype=T.uint8)),
                                      lambda T: (T.ones(2, dtype=T.float16), T.tensor(1.0, dtype=T.float64))])
def test_result_type_matches_torch(operands):
    assert mytorch.result_type(*operands(mytorch)).name == str(torch.result_type(*operands(torch))).split(".")[-1]


@requires_torch
def test_bfloat16_cast_rounds_and_reports_its_dtype():
    data = [1.001, 3.14159, -2.5e-3, 65504.0, float("nan")]
    for make in (lambda T, x: x.bfloat16(), lambda T, x: x.to(T.bfloat16), lambda T, x: x.type(T.bfloat16)):
        ours, theirs = make(mytorch, mytorch.tensor(data)), make(torch, torch.tensor(data))
        assert ours.dtype == mytorch.bfloat16 and ours.element_size() == theirs.element_size() == 2
        np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
        assert ours.float().dtype == mytorch.float32
    assert str(mytorch.tensor([1.5]).bfloat16()) == "tensor([1.5000], dtype=mytorch.bfloat16)"
    x = mytorch.tensor([1.001, 2.0], requires_grad=True)
    x.to(mytorch.bfloat16).sum().backward()  # a cast passes the gradient through
    assert x.grad.tolist() == [1.0, 1.0]
    fi = mytorch.finfo(mytorch.bfloat16)
    tf = torch.finfo(torch.bfloat16)
    assert (fi.bits, fi.eps, fi.max, fi.tiny) == (tf.bits, tf.eps, tf.max, tf.tiny)


@requires_torch
def test_share_memory_marks_the_storage_as_torch():
    for T in (mytorch, torch):
        x = T.arange(4.0)
        assert not x.is_shared()
        assert x.share_memory_() is x and x.is_shared() and x[1:].is_shared()
        assert not x.clone().is_shared()


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.arange(4.0).apply_(lambda v: v * 2 + 1),
    lambda T: T.arange(3).apply_(lambda v: v * 1.5),
    lambda T: T.arange(4.0).reshape(2, 2).map_(T.tensor([10.0, 20.0]), lambda a, b: a * b),
])
def test_apply_and_map_as_torch(call):
    ours, theirs = call(mytorch), call(torch)
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == str(theirs.dtype).split(".")[-1]


def test_apply_refuses_tensors_that_require_grad():
    with pytest.raises(RuntimeError, match="requires grad"):
        mytorch.ones(2, requires_grad=True).apply_(lambda v: v)
    with pytest.raises(RuntimeError, match="expanded size"):
        mytorch.ones(2).map_(mytorch.ones(3), lambda a, b: a)


@requires_torch
def test_dtype_suffix_wraps_where_torch_wraps():
    g = np.random.default_rng(0)
    for a in (g.standard_normal((3, 4)) * 1000, g.standard_normal((2, 5)), g.standard_normal(7) * 1e5,
              np.arange(6, dtype=np.int32).reshape(2, 3) * 10 ** 6):
        ours = str(mytorch.from_numpy(a.copy()))
        assert ours.replace("mytorch.", "torch.") == str(torch.from_numpy(a.copy()))
