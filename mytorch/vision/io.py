"""torchvision.io's image functions through Pillow: read/decode to uint8 (C, H, W) Tensors, encode/write
PNG and JPEG."""
import io
import os
from enum import Enum

import numpy as np

from mytorch.tensor import Tensor
from mytorch.vision._pil import fromarray, pil_image, pil_module

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png", "decode_jpeg", "read_image",
           "encode_png", "write_png", "encode_jpeg", "write_jpeg"]


class ImageReadMode(Enum):
    """How ``decode_image``/``read_image`` convert the channels."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path):
    """The bytes of a file as a uint8 1-d Tensor."""
    with open(os.fspath(path), "rb") as f:
        return Tensor._make(np.frombuffer(bytearray(f.read()), dtype=np.uint8))


def write_file(filename, data):
    """Writes a uint8 1-d Tensor's bytes to ``filename``."""
    with open(os.fspath(filename), "wb") as f:
        f.write(_bytes_of(data))


def _bytes_of(data):
    a = data._data if isinstance(data, Tensor) else np.asarray(data)
    if a.dtype != np.uint8 or a.ndim != 1:
        raise ValueError(f"Expected a 1-d uint8 tensor of encoded bytes, got {a.dtype} with shape {list(a.shape)}")
    return a.tobytes()


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decodes PNG, JPEG, GIF, BMP, WEBP, ... bytes (a uint8 Tensor) or a file path to a uint8 (C, H, W) Tensor.

    Args:
        input: the encoded bytes as a 1-d uint8 Tensor, or a path.
        mode: ``ImageReadMode`` (or its name): UNCHANGED keeps the file's channels (a palette becomes RGB[A]).
        apply_exif_orientation: rotate/flip as the EXIF orientation tag says. Default: ``False``.
    """
    Image = pil_image()
    raw = read_file(input)._data.tobytes() if isinstance(input, (str, os.PathLike)) else _bytes_of(input)
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    try:
        img = Image.open(io.BytesIO(raw))
        img.load()
    except Exception as e:  # Pillow raises several kinds for damaged data
        raise RuntimeError(f"could not decode the image ({type(e).__name__}: {e})") from e
    if apply_exif_orientation:
        img = pil_module("ImageOps").exif_transpose(img)
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODES[mode])
    elif img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB" if len(img.getbands()) >= 3 else "L")
    a = np.asarray(img, dtype=np.uint8)
    a = a[:, :, None] if a.ndim == 2 else a
    return Tensor._make(np.ascontiguousarray(a.transpose(2, 0, 1)))


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    return decode_image(input, mode, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    return decode_image(input, mode, apply_exif_orientation)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Reads an image file into a uint8 (C, H, W) Tensor (see :func:`decode_image`)."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def _to_pil(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"Input should be a Tensor, got {type(input)}")
    a = input._data
    if a.dtype != np.uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if a.ndim != 3:
        raise RuntimeError(f"Input tensor should be 3-dimensional (C, H, W), got shape {list(a.shape)}")
    if a.shape[0] not in (1, 2, 3, 4):
        raise RuntimeError(f"The number of channels should be 1, 2, 3 or 4, got: {a.shape[0]}")
    hwc = a.transpose(1, 2, 0)
    return fromarray(hwc[:, :, 0] if a.shape[0] == 1 else hwc)


def _encode(img, fmt, **options):
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return Tensor._make(np.frombuffer(bytearray(buffer.getvalue()), dtype=np.uint8))


def encode_png(input, compression_level=6):
    """A uint8 (C, H, W) Tensor -> its PNG bytes as a uint8 1-d Tensor."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_to_pil(input), "PNG", compress_level=compression_level)


def write_png(input, filename, compression_level=6):
    """Writes a uint8 (C, H, W) Tensor as a PNG file."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    img = _to_pil(input)
    if img.mode not in ("L", "RGB"):
        raise RuntimeError(f"JPEG holds 1 or 3 channels, got mode {img.mode}")
    return _encode(img, "JPEG", quality=quality)


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
