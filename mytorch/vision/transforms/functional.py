"""torchvision.transforms.functional: every operation on a PIL image, an ndarray or a Tensor.

One dispatch rule for all of them (:func:`_dispatch`):
- a PIL image goes through Pillow's own operation, as torchvision does, so results agree with
  torchvision pixel for pixel;
- a Tensor (..., C, H, W) goes through the NumPy port of torchvision's tensor path
  (``_functional_tensor``) and comes back as a Tensor of the same dtype;
- an ndarray (H, W) or (H, W, C), which torchvision accepts only in ``to_tensor``/``to_pil_image``,
  is taken here too (MNIST without Pillow yields arrays): it runs the tensor path on a (C, H, W)
  view and comes back as an ndarray in its own layout.
"""
import math
import numbers
import warnings
from enum import Enum

import numpy as np

from mytorch import _dtype
from mytorch.tensor import Tensor
from mytorch.vision._pil import fromarray, is_pil_image, pil_image, pil_module
from mytorch.vision.transforms import _functional_tensor as F_t

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels", "to_tensor",
           "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize", "pad", "crop",
           "center_crop", "resized_crop", "hflip", "vflip", "five_crop", "ten_crop", "rotate", "affine",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma",
           "to_grayscale", "rgb_to_grayscale", "gaussian_blur", "erase", "invert", "posterize", "solarize",
           "adjust_sharpness", "autocontrast", "equalize", "perspective"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_PIL_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_TO_PIL_INT = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BILINEAR: 2,
               InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
               InterpolationMode.LANCZOS: 1}


def _interpolation(interpolation):
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        return _FROM_PIL_INT[interpolation]
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        f"constant, got {interpolation!r}")
    return interpolation


# ---------------------------------------------------------------------------- dispatch
def _to_chw(a):
    if a.ndim == 2:
        return a[None]
    if a.ndim == 3:
        return a.transpose(2, 0, 1)
    raise ValueError(f"an ndarray image should be (H, W) or (H, W, C); got shape {a.shape}")


def _from_chw(a, ndim):
    return a[0] if ndim == 2 else np.ascontiguousarray(a.transpose(1, 2, 0))


def _dispatch(img, tensor_fn, pil_fn, *args):
    """Runs ``pil_fn`` on a PIL image, ``tensor_fn`` on a Tensor's or an ndarray's (C, H, W) data."""
    if isinstance(img, Tensor):
        return Tensor._make(tensor_fn(img._data, *args))
    if isinstance(img, np.ndarray):
        return _from_chw(tensor_fn(_to_chw(img), *args), img.ndim)
    if is_pil_image(img):
        if pil_fn is None:
            raise TypeError(f"img should be Tensor Image. Got {type(img)}")
        return pil_fn(img, *args)
    raise TypeError(f"img should be PIL Image, ndarray or Tensor. Got {type(img)}")


def get_dimensions(img):
    """[channels, height, width] of a PIL image, an (H, W[, C]) ndarray or a (..., C, H, W) Tensor."""
    if isinstance(img, Tensor):
        return F_t.get_dimensions(img._data)
    if isinstance(img, np.ndarray):
        return F_t.get_dimensions(_to_chw(img))
    if is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ---------------------------------------------------------------------------- conversions
def to_tensor(pic):
    """PIL image or (H, W[, C]) ndarray -> (C, H, W) Tensor; uint8 becomes float32 in [0, 1].

    Example::

        >>> to_tensor(np.full((2, 2), 255, np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = np.ascontiguousarray(_to_chw(pic))
    elif is_pil_image(pic):
        a = _pil_to_array(pic)
        if pic.mode == "1":
            a = a * np.uint8(255)
        a = np.ascontiguousarray(a.transpose(2, 0, 1))
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if a.dtype == np.uint8:
        # NOTE: a division, as torchvision (x * (1/255) differs from x / 255 in the last bit)
        return Tensor._make(a.astype(np.float32) / np.float32(255))
    return Tensor._make(a)


_PIL_MODE_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def _pil_to_array(pic):
    a = np.array(pic, _PIL_MODE_DTYPES.get(pic.mode, np.uint8), copy=True)
    return a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))


def pil_to_tensor(pic):
    """PIL image -> (C, H, W) Tensor of its own dtype (no scaling)."""
    if not is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.array(pic, copy=True)
    a = a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    if a.dtype == np.uint16:
        a = a.astype(np.int32)  # NOTE: mytorch has no uint16; int32 holds every value
    return Tensor._make(np.ascontiguousarray(a.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """(C, H, W) Tensor or (H, W[, C]) ndarray -> PIL image; floats are scaled by 255 and truncated."""
    if isinstance(pic, Tensor):
        a = pic._data
        if a.ndim == 3:
            a = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        a = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
    if a.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {a.shape[-1]} channels.")
    if a.dtype.kind == "f" and mode != "F":
        a = (a * 255).astype(np.uint8)
    channels = a.shape[2]
    if channels == 1:
        a = a[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
                    np.dtype(np.float32): "F"}.get(a.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {a.dtype}. Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and a.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {a.dtype} is not supported")
    return fromarray(a, mode)


def convert_image_dtype(image, dtype=_dtype.float32):
    """Converts an image Tensor to ``dtype``, rescaling values (uint8 255 <-> float 1.0)."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return Tensor._make(F_t.convert_image_dtype(image._data, _dtype.to_numpy_dtype(dtype)))


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[c]) / std[c]; raises ValueError where a std is zero in the tensor's dtype."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if tensor.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    out = F_t.normalize(tensor._data, mean, std, inplace)
    return tensor if inplace else Tensor._make(out)


# ---------------------------------------------------------------------------- geometry
def _resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_h, new_w = size[0], size[1]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes to ``size`` (h, w), or the smaller edge to ``size`` keeping the aspect ratio."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    _, h, w = get_dimensions(img)
    size = [size] if isinstance(size, int) else list(size)
    out_size = _resized_output_size((h, w), size, max_size)
    if [h, w] == out_size:
        return img
    if is_pil_image(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.",
                          stacklevel=2)
        return img.resize(tuple(out_size[::-1]), _TO_PIL_INT[interpolation])
    if interpolation.value not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    return _dispatch(img, F_t.resize, None, out_size, interpolation.value, antialias)


def _pil_pad(img, padding, fill, padding_mode):
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        out = pil_module("ImageOps").expand(img, border=padding, **opts)
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    left, top, right, bottom = F_t._parse_padding(padding)
    crop_l, crop_t, crop_r, crop_b = (max(-p, 0) for p in (left, top, right, bottom))
    if crop_l or crop_t or crop_r or crop_b:
        img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    a = np.asarray(img)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (a.ndim - 2)
    out = pil_image().fromarray(np.pad(a, widths, mode=padding_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def _parse_fill(fill, img, name="fillcolor"):
    """Pillow's fill argument for an image: one int per band (floats for mode F)."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads every side: ``padding`` an int, (left/right, top/bottom) or (left, top, right, bottom);
    ``padding_mode`` constant (with ``fill``), edge, reflect or symmetric."""
    if is_pil_image(img):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        return _pil_pad(img, padding, fill, padding_mode)
    return _dispatch(img, F_t.pad, None, padding, fill, padding_mode)


def crop(img, top, left, height, width):
    """The ``height`` x ``width`` window at (top, left); outside the image is zero."""
    return _dispatch(img, F_t.crop, lambda im, i, j, h, w: im.crop((j, i, j + w, i + h)), top, left, height, width)


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    return _dispatch(img, F_t.hflip, lambda im: im.transpose(pil_image().FLIP_LEFT_RIGHT))


def vflip(img):
    return _dispatch(img, F_t.vflip, lambda im: im.transpose(pil_image().FLIP_TOP_BOTTOM))


def five_crop(img, size):
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    return tl, tr, bl, br, center_crop(img, [crop_height, crop_width])


def ten_crop(img, size, vertical_flip=False):
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 matrix (row-major, 6 floats) mapping output pixels back to input pixels."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # rotation-scale-shear matrix RSS = [[a, b], [c, d]]; the inverse is [[d, -b], [-c, a]] / det (det = 1)
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotates counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if is_pil_image(img):
        return img.rotate(angle, _TO_PIL_INT[interpolation], expand, center, **_parse_fill(fill, img))
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return _dispatch(img, F_t.rotate, None, matrix, interpolation.value, expand, fill)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotation by ``angle``, translation, scale and shear about ``center``, keeping the image size."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    angle = float(angle)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if is_pil_image(img):
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _inverse_affine_matrix(center, angle, list(translate), scale, shear)
        return img.transform(img.size, pil_image().AFFINE, matrix, _TO_PIL_INT[interpolation], **_parse_fill(fill, img))
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale, shear)
    return _dispatch(img, F_t.affine, None, matrix, interpolation.value, fill)


# ---------------------------------------------------------------------------- colour
def _enhance(kind):
    def run(img, factor):
        return getattr(pil_module("ImageEnhance"), kind)(img).enhance(factor)
    return run


def adjust_brightness(img, brightness_factor):
    return _dispatch(img, F_t.adjust_brightness, _enhance("Brightness"), brightness_factor)


def adjust_contrast(img, contrast_factor):
    return _dispatch(img, F_t.adjust_contrast, _enhance("Contrast"), contrast_factor)


def adjust_saturation(img, saturation_factor):
    return _dispatch(img, F_t.adjust_saturation, _enhance("Color"), saturation_factor)


def _pil_adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if img.mode in {"L", "1", "I", "F"}:
        return img
    Image = pil_image()
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # uint8 arithmetic wraps around: the hue is a circle
    return Image.merge("HSV", (fromarray(np_h, "L"), s, v)).convert(img.mode)


def adjust_hue(img, hue_factor):
    return _dispatch(img, F_t.adjust_hue, _pil_adjust_hue, hue_factor)


def _pil_adjust_gamma(img, gamma, gain=1.0):
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def adjust_gamma(img, gamma, gain=1):
    return _dispatch(img, F_t.adjust_gamma, _pil_adjust_gamma, gamma, gain)


def _pil_to_grayscale(img, num_output_channels):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    img = img.convert("L")
    if num_output_channels == 3:
        a = np.array(img, dtype=np.uint8)
        img = fromarray(np.dstack([a, a, a]), "RGB")
    return img


def to_grayscale(img, num_output_channels=1):
    if not is_pil_image(img):
        raise TypeError("Input should be PIL Image")
    return _pil_to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma 0.2989 R + 0.587 G + 0.114 B (PIL: its own 'L' conversion)."""
    return _dispatch(img, F_t.rgb_to_grayscale, _pil_to_grayscale, num_output_channels)


def _pil_invert(img):
    return pil_module("ImageOps").invert(img)


def invert(img):
    return _dispatch(img, F_t.invert, _pil_invert)


def _image_ops(name):
    def run(img, *args):
        return getattr(pil_module("ImageOps"), name)(img, *args)
    return run


def posterize(img, bits):
    """Keeps the top ``bits`` bits of each uint8 value."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch(img, F_t.posterize, _image_ops("posterize"), bits)


def solarize(img, threshold):
    """Inverts the values at or above ``threshold``."""
    return _dispatch(img, F_t.solarize, _image_ops("solarize"), threshold)


def adjust_sharpness(img, sharpness_factor):
    return _dispatch(img, F_t.adjust_sharpness, _enhance("Sharpness"), sharpness_factor)


def autocontrast(img):
    return _dispatch(img, F_t.autocontrast, _image_ops("autocontrast"))


def equalize(img):
    return _dispatch(img, F_t.equalize, _image_ops("equalize"))


def _perspective_coeffs(startpoints, endpoints):
    """The 8 coefficients of the projective map from ``endpoints`` back to ``startpoints``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    a = np.zeros((8, 8), np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.asarray(startpoints, np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Maps the four ``startpoints`` corners to ``endpoints`` (each a list of [x, y])."""
    coeffs = _perspective_coeffs(startpoints, endpoints)
    interpolation = _interpolation(interpolation)
    if is_pil_image(img):
        return img.transform(img.size, pil_image().PERSPECTIVE, coeffs, _TO_PIL_INT[interpolation],
                             **_parse_fill(fill, img))
    return _dispatch(img, F_t.perspective, None, coeffs, interpolation.value, fill)


# ---------------------------------------------------------------------------- blur, erase
def gaussian_blur(img, kernel_size, sigma=None):
    """Blurs with a Gaussian kernel (reflect padding); PIL images go through the tensor path and back."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if is_pil_image(img):
        return to_pil_image(Tensor._make(F_t.gaussian_blur(pil_to_tensor(img)._data, kernel_size, sigma)), img.mode)
    return _dispatch(img, F_t.gaussian_blur, None, kernel_size, sigma)


def erase(img, i, j, h, w, v, inplace=False):
    """Sets the ``h`` x ``w`` window at (i, j) to ``v`` (a Tensor or a number)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    value = v._data if isinstance(v, Tensor) else v
    out = F_t.erase(img._data, i, j, h, w, value, inplace)
    return img if inplace else Tensor._make(out)

