"""torch.nn.modules.pixelshuffle's names (the classes live in upsampling.py)."""
from mytorch.nn.modules.upsampling import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = []
