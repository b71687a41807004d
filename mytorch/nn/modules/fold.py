"""torch.nn.modules.fold's names (the classes live in upsampling.py)."""
from mytorch.nn.modules.upsampling import Fold, Unfold  # noqa: F401

__all__ = []
