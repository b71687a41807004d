"""Pillow, imported only when an image operation needs it (the MNIST array path runs without it)."""
import sys

import numpy as np

_HINT = "pip install mytorch-im2col[vision]"


def pil_image():
    """The ``PIL.Image`` module, or ImportError naming the extra that installs it."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"this needs Pillow, the image library of mytorch.vision: {_HINT}") from e
    return Image


def pil_module(name):
    """A Pillow sub-module (``ImageDraw``, ``ImageOps``, ...), or ImportError naming the extra."""
    pil_image()
    import importlib
    return importlib.import_module(f"PIL.{name}")


def is_pil_image(obj):
    """True for a PIL image; never imports Pillow (an object can only be one once Pillow is loaded)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(obj, module.Image)


def fromarray(array, mode=None):
    """``Image.fromarray`` with an explicit mode, as torchvision's ``to_pil_image`` needs.

    NOTE: Pillow >= 11.3 deprecates ``fromarray(..., mode=)``; where the mode is the one Pillow infers
    we let it infer, else the bytes are handed over raw in that mode (YCbCr, HSV, CMYK, I;16, ...).
    """
    Image = pil_image()
    array = np.ascontiguousarray(array)
    if mode is None:
        return Image.fromarray(array)
    inferred = {(np.dtype(np.uint8), 2): "L", (np.dtype(np.int32), 2): "I", (np.dtype(np.float32), 2): "F",
                (np.dtype(np.uint8), 3): {2: "LA", 3: "RGB", 4: "RGBA"}.get(array.shape[-1])}
    if inferred.get((array.dtype, array.ndim)) == mode:
        return Image.fromarray(array)
    if mode == "I;16":
        array = array.astype("<u2")
    return Image.frombuffer(mode, (array.shape[1], array.shape[0]), array.tobytes(), "raw", mode, 0, 1)
