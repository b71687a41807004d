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
