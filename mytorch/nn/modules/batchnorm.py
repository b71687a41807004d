"""torch.nn.modules.batchnorm's names (the classes live in layers.py), so code that checks
``isinstance(m, nn.modules.batchnorm._BatchNorm)`` runs."""
from mytorch.nn.modules.layers import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm  # noqa: F401

_NormBase = _BatchNorm

__all__ = []
