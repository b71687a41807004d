"""torch.nn.modules.linear's names (the classes live in layers.py and lazy.py)."""
from mytorch.nn.modules.layers import Bilinear, Identity, Linear, NonDynamicallyQuantizableLinear  # noqa: F401
from mytorch.nn.modules.lazy import LazyLinear  # noqa: F401

__all__ = []
