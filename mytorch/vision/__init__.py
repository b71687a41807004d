"""mytorch.vision: torchvision's datasets, transforms, utils and io on NumPy (and Pillow, the optional
``vision`` extra: ``pip install mytorch-im2col[vision]``)."""
from mytorch.vision import datasets, io, transforms, utils

__all__ = ["datasets", "transforms", "utils", "io", "get_image_backend", "set_image_backend"]


def get_image_backend():
    return "PIL"


def set_image_backend(backend):
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' (the only image library used here)")
