"""Indexing and shape ops: gather, scatter, index_select, flip, roll, chunk, split, einsum, ..."""

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)
