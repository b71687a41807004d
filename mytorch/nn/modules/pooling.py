"""torch.nn.modules.pooling's names (2-D pooling layers live in layers.py, the others in conv.py)."""
from mytorch.nn.modules import conv as _conv_modules
from mytorch.nn.modules.layers import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401

globals().update({name: getattr(_conv_modules, name) for name in _conv_modules.__all__ if "Pool" in name})

__all__ = []
