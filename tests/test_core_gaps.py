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
