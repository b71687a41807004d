"""torch.nn.modules.flatten's names (the classes live in layers.py)."""
from mytorch.nn.modules.layers import Flatten, Unflatten  # noqa: F401

__all__ = []
