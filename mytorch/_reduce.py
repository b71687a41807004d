"""Reductions and scans: prod, norm, logsumexp, cumsum, sort, topk, ... (one declaration each)."""

__all__ = []   # names exported as mytorch.<name>
METHODS = {}   # Tensor method name -> function (installed and stubbed by mytorch/tensor.py)
