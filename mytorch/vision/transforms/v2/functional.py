"""torchvision.transforms.v2.functional: v1's functions under their v2 names."""
from mytorch.vision.transforms.functional import *  # noqa: F401,F403
from mytorch.vision.transforms.functional import __all__ as _v1_all
from mytorch.vision.transforms.functional import convert_image_dtype, pil_to_tensor, to_pil_image

__all__ = list(_v1_all) + ["to_image", "to_dtype", "to_pil_image"]


def to_image(inpt):
    from mytorch.vision.transforms.v2 import ToImage
    return ToImage()(inpt)


def to_dtype(inpt, dtype, scale=False):
    from mytorch.vision.transforms.v2 import ToDtype
    return ToDtype(dtype, scale)(inpt)


del convert_image_dtype, pil_to_tensor
