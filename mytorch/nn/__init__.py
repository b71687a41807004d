"""mytorch.nn: functional ops on the chosen kernels (modules arrive with the drop-in API issue)."""
from mytorch.nn import functional

__all__ = ["functional"]
