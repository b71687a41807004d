"""torch.nn.modules.distance's names (the classes live in layers.py)."""
from mytorch.nn.modules.layers import CosineSimilarity, PairwiseDistance  # noqa: F401

__all__ = []
