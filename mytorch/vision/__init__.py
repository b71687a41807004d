"""mytorch.vision: MNIST-style datasets and transforms (torchvision's API on NumPy images)."""
from mytorch.vision import datasets, transforms

__all__ = ["datasets", "transforms"]
