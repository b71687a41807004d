"""Pointwise ops declared as table rows (owned by the tensor-core work; see docs/DECISIONS.md)."""

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)
