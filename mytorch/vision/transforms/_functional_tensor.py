"""The tensor path of ``transforms.functional``: NumPy on arrays shaped (..., C, H, W).

Each function follows torchvision's tensor implementation step by step (the same float32
arithmetic, the same casts: float results are rounded back to integer dtypes where torchvision
rounds, truncated where it truncates), so uint8 outputs agree with torchvision's pixel for pixel up
to float summation order. Resampling (resize, rotate, affine) is written as torch's
``interpolate`` and ``grid_sample`` compute it, with align_corners=False.
"""
from functools import lru_cache

import numpy as np

_INT_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
            np.dtype(np.uint16): 65535, np.dtype(np.int32): 2 ** 31 - 1, np.dtype(np.int64): 2 ** 63 - 1}


def _max_value(dtype):
    """The value of 'full intensity' in an image of this dtype: 1 for floats."""
    return _INT_MAX.get(np.dtype(dtype), 1)


def _is_float(a):
    return a.dtype.kind == "f"  # NOTE: np.issubdtype costs ~20 us, a noticeable share of a per-sample pipeline


def _assert_image(a):
    if a.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(a):
    _assert_image(a)
    return [1 if a.ndim == 2 else a.shape[-3], a.shape[-2], a.shape[-1]]


def _assert_channels(a, permitted):
    c = get_dimensions(a)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _to_float(a):
    """torchvision's ``_cast_squeeze_in``: integer images are computed on in float32."""
    return (a, a.dtype) if a.dtype in (np.float32, np.float64) else (a.astype(np.float32), a.dtype)


def _from_float(a, dtype):
    """torchvision's ``_cast_squeeze_out``: round (half to even, as torch.round) then cast."""
    if a.dtype == dtype:
        return a
    if dtype.kind in "iu":
        a = np.round(a)
    return a.astype(dtype)


def convert_image_dtype(a, dtype):
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if _is_float(a):
        if dtype.kind == "f":
            return a.astype(dtype)
        if (a.dtype == np.float32 and dtype in (np.int32, np.int64)) or (a.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {_torch_name(a.dtype)} to {_torch_name(dtype)} cannot be performed "
                               "safely.")
        eps = 1e-3
        return (a * a.dtype.type(_max_value(dtype) + 1.0 - eps)).astype(dtype)
    input_max = float(_max_value(a.dtype))
    if dtype.kind == "f":
        return a.astype(dtype) / dtype.type(input_max)
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (a // factor).astype(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return a.astype(dtype) * dtype.type(factor)


def _torch_name(dtype):
    return f"torch.{np.dtype(dtype).name}"


def hflip(a):
    _assert_image(a)
    return a[..., ::-1].copy()


def vflip(a):
    _assert_image(a)
    return a[..., ::-1, :].copy()


def crop(a, top, left, height, width):
    """Rows top..top+height, columns left..left+width; parts outside the image are zeros."""
    _, h, w = get_dimensions(a)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(a[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return a[..., top:bottom, left:right].copy()


def _parse_padding(padding):
    """int or 1/2/4-sequence -> (left, top, right, bottom), as torchvision reads it."""
    if isinstance(padding, int):
        return [padding] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def pad(a, padding, fill=0, padding_mode="constant"):
    _assert_image(a)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = (int(p) for p in _parse_padding(padding))
    # negative padding crops, as torch's pad does
    a = a[..., max(-top, 0):a.shape[-2] - max(-bottom, 0), max(-left, 0):a.shape[-1] - max(-right, 0)]
    widths = [(0, 0)] * (a.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if padding_mode == "constant":
        return np.pad(a, widths, mode="constant", constant_values=np.asarray(fill).astype(a.dtype))
    if padding_mode == "reflect":
        for size, (lo, hi) in zip(a.shape[-2:], widths[-2:]):
            if lo >= size or hi >= size:
                raise RuntimeError(f"Padding size should be less than the corresponding input dimension, "
                                   f"but got: padding ({lo}, {hi}) at dimension of size {size}")
    return np.pad(a, widths, mode=padding_mode)


# ---------------------------------------------------------------------------- resampling
# NOTE: the antialiased path reproduces torch's CPU kernel operation by operation (float32 weights
# computed with the same mix of float and double steps, taps summed in order with fused multiply-adds,
# the width pass before the height pass), because uint8 results are rounded and a last-bit difference
# flips values at x.5: with a plain matrix product about 1 % of pixels of an upscale differ by one.
def _aa_filter(x, mode):
    """torch's antialias filters on float32 |x|: triangle (bilinear) or Keys' cubic with a = -0.5."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1.0, (1.0 - x.astype(np.float64)).astype(np.float32), np.float32(0))
    a = np.float32(-0.5)
    near = ((a + np.float32(2)) * x - (a + np.float32(3))) * x * x + np.float32(1)
    far = ((a * x - np.float32(5) * a) * x + np.float32(8) * a) * x - np.float32(4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, np.float32(0))).astype(np.float32)


@lru_cache(maxsize=64)
def _aa_taps(in_size, out_size, mode):
    """(indices, weights), each (out, taps): the input pixels and float32 weights of each output pixel."""
    support_half = 1.0 if mode == "bilinear" else 2.0
    scale = np.float32(in_size) / np.float32(out_size)
    support = np.float32(support_half * np.float64(scale)) if scale >= 1.0 else np.float32(support_half)
    invscale = np.float32(1.0 / np.float64(scale)) if scale >= 1.0 else np.float32(1.0)
    center = (np.float64(scale) * (np.arange(out_size) + 0.5)).astype(np.float32)
    xmin = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xsize = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64), in_size) - xmin
    taps = int(xsize.max())
    j = np.arange(taps)
    valid = j[None, :] < xsize[:, None]
    position = (xmin[:, None] + j[None, :]).astype(np.float32) - center[:, None]
    weights = np.where(valid, _aa_filter(((position.astype(np.float64) + 0.5) * invscale).astype(np.float32),
                                         mode), np.float32(0))
    total = np.zeros(out_size, np.float32)
    for k in range(taps):  # in order, in float32, as torch sums them
        total = total + weights[:, k]
    weights = np.where(total[:, None] != 0, weights / np.where(total == 0, 1, total)[:, None], weights)
    indices = np.where(valid, xmin[:, None] + j[None, :], xmin[:, None])
    for array in (indices, weights):
        array.flags.writeable = False
    return indices, weights.astype(np.float32)


def _aa_pass(x, indices, weights, axis):
    """One axis of the antialiased resampling: out = sum over taps of x[index] * weight, fused
    multiply-adds emulated in float64 (one rounding per tap, as an FMA instruction)."""
    shape = [1] * x.ndim
    shape[axis] = -1
    out = np.take(x, indices[:, 0], axis=axis) * weights[:, 0].reshape(shape)
    for k in range(1, indices.shape[1]):
        product = np.take(x, indices[:, k], axis=axis).astype(np.float64) * weights[:, k].reshape(shape)
        out = (product + out).astype(x.dtype)
    return out



def _cubic_kernel(x, a):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


@lru_cache(maxsize=64)
def _interp_weights(in_size, out_size, mode, antialias):
    """(out, in) matrix M with out = M @ in along one axis, for torch.nn.functional.interpolate without
    antialiasing. Cached (a dataset resizes every image alike), hence read-only."""
    weights = _build_interp_weights(in_size, out_size, mode, antialias)
    weights.flags.writeable = False
    return weights


def _build_interp_weights(in_size, out_size, mode, antialias):
    scale = np.float32(in_size / out_size)
    dst = np.arange(out_size, dtype=np.float32)
    weights = np.zeros((out_size, in_size), np.float64)
    rows = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        offset = np.float32(0.5) if mode == "nearest-exact" else np.float32(0)
        src = np.minimum(np.floor((dst + offset) * scale).astype(np.int64), in_size - 1)
        weights[rows, src] = 1.0
        return weights
    src = scale * (dst + np.float32(0.5)) - np.float32(0.5)
    if mode == "bilinear":
        src = np.maximum(src, 0)
        x0 = src.astype(np.int64)
        lam = np.clip(src - x0, 0, 1)
        x1 = np.minimum(x0 + 1, in_size - 1)
        np.add.at(weights, (rows, x0), 1 - lam)
        np.add.at(weights, (rows, x1), lam)
        return weights
    if mode == "bicubic":
        x0 = np.floor(src).astype(np.int64)
        t = (src - x0).astype(np.float64)
        for k, w in enumerate((_cubic_kernel(t + 1, -0.75), _cubic_kernel(t, -0.75),
                               _cubic_kernel(1 - t, -0.75), _cubic_kernel(2 - t, -0.75))):
            np.add.at(weights, (rows, np.clip(x0 - 1 + k, 0, in_size - 1)), w)
        return weights
    raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")


def resize(a, size, interpolation="bilinear", antialias=True):
    """``interpolate(img, size, mode, align_corners=False, antialias)`` on (..., C, H, W)."""
    _assert_image(a)
    if interpolation not in ("bilinear", "bicubic"):
        antialias = False
    x, out_dtype = _to_float(a)
    oh, ow = size
    if interpolation in ("nearest", "nearest-exact"):  # a gather, exact for every dtype
        rows = np.argmax(_interp_weights(a.shape[-2], oh, interpolation, False), axis=1)  # the one 1 per row
        cols = np.argmax(_interp_weights(a.shape[-1], ow, interpolation, False), axis=1)
        return a[..., rows[:, None], cols[None, :]]
    if antialias:
        out = x
        if ow != x.shape[-1]:
            out = _aa_pass(out, *_aa_taps(x.shape[-1], ow, interpolation), axis=-1)
        if oh != x.shape[-2]:
            out = _aa_pass(out, *_aa_taps(x.shape[-2], oh, interpolation), axis=-2)
    else:
        wh = _interp_weights(a.shape[-2], oh, interpolation, False).astype(x.dtype)
        ww = _interp_weights(a.shape[-1], ow, interpolation, False).astype(x.dtype)
        out = np.matmul(wh, np.matmul(x, ww.T))
    if interpolation == "bicubic" and out_dtype == np.uint8:
        out = np.clip(out, 0, 255)
    return _from_float(out, out_dtype)


def _affine_grid(matrix, w, h, ow, oh, dtype):
    """torchvision's ``_gen_affine_grid``: sampling positions in [-1, 1] for each output pixel."""
    theta = np.asarray(matrix, dtype).reshape(2, 3)
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=dtype)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((), dtype)), axis=-1)
    rescaled = theta.T / np.asarray([0.5 * w, 0.5 * h], dtype)
    return base @ rescaled  # (oh, ow, 2)


def _grid_sample(x, grid, mode):
    """``grid_sample(x, grid, mode, padding_mode='zeros', align_corners=False)`` for one grid."""
    H, W = x.shape[-2:]
    ix = ((grid[..., 0] + 1) * W - 1) / 2
    iy = ((grid[..., 1] + 1) * H - 1) / 2
    if mode == "nearest":
        cx, cy = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
        inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
        out = x[..., np.clip(cy, 0, H - 1), np.clip(cx, 0, W - 1)]
        return np.where(inside, out, x.dtype.type(0))
    x0, y0 = np.floor(ix), np.floor(iy)
    fx, fy = ix - x0, iy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = np.zeros(x.shape[:-2] + grid.shape[:2], x.dtype)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
            value = x[..., np.clip(cy, 0, H - 1), np.clip(cx, 0, W - 1)]
            out += np.where(inside, value * (wx * wy).astype(x.dtype), x.dtype.type(0))
    return out


def _apply_grid_transform(a, grid, mode, fill):
    x, out_dtype = _to_float(a)
    x = x.astype(grid.dtype, copy=False)
    if fill is not None:
        x = np.concatenate([x, np.ones(x.shape[:-3] + (1,) + x.shape[-2:], x.dtype)], axis=-3)
    out = _grid_sample(x, grid, mode)
    if fill is not None:
        out, mask = out[..., :-1, :, :], out[..., -1:, :, :]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.asarray(fill_list, out.dtype).reshape(len(fill_list), 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, np.broadcast_to(fill_img, out.shape), out)
        else:
            out = out * mask + (1.0 - mask) * fill_img
    return _from_float(out, out_dtype)


def _check_grid_inputs(a, fill, interpolation):
    _assert_image(a)
    c = get_dimensions(a)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {c})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def affine(a, matrix, interpolation="nearest", fill=None):
    _check_grid_inputs(a, fill, interpolation)
    dtype = a.dtype if _is_float(a) else np.dtype(np.float32)
    grid = _affine_grid(matrix, a.shape[-1], a.shape[-2], a.shape[-1], a.shape[-2], dtype)
    return _apply_grid_transform(a, grid, interpolation, fill)


def _affine_output_size(matrix, w, h):
    """The (w, h) that holds the whole transformed image (torchvision's expand=True size)."""
    pts = np.asarray([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                      [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    new_pts = pts @ np.asarray(matrix, np.float32).reshape(2, 3).T
    lo = new_pts.min(axis=0) + np.asarray([w * 0.5, h * 0.5], np.float32)
    hi = new_pts.max(axis=0) + np.asarray([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)  # NOTE: as torchvision, so that 90 degrees does not grow the image by rounding
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(a, matrix, interpolation="nearest", expand=False, fill=None):
    _check_grid_inputs(a, fill, interpolation)
    w, h = a.shape[-1], a.shape[-2]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    dtype = a.dtype if _is_float(a) else np.dtype(np.float32)
    grid = _affine_grid(matrix, w, h, ow, oh, dtype)
    return _apply_grid_transform(a, grid, interpolation, fill)


# ---------------------------------------------------------------------------- colour
def rgb_to_grayscale(a, num_output_channels=1):
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")
    _assert_channels(a, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if a.shape[-3] == 3:
        ft = a.dtype.type if _is_float(a) else np.float32
        r, g, b = (a[..., i, :, :].astype(ft) for i in range(3))
        gray = (ft(0.2989) * r + ft(0.587) * g + ft(0.114) * b).astype(a.dtype)[..., None, :, :]
    else:
        gray = a.copy()
    if num_output_channels == 3:
        return np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return gray


def _blend(a, b, ratio):
    """ratio * a + (1 - ratio) * b, clamped to the dtype's range and cast back (truncating)."""
    ft = a.dtype.type if _is_float(a) else np.float32
    ratio = float(ratio)
    out = ft(ratio) * a.astype(ft) + ft(1.0 - ratio) * np.asarray(b).astype(ft)
    return np.clip(out, 0, _max_value(a.dtype)).astype(a.dtype)


def adjust_brightness(a, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image(a)
    _assert_channels(a, [1, 3])
    return _blend(a, np.zeros_like(a), brightness_factor)


def adjust_contrast(a, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image(a)
    _assert_channels(a, [3, 1])
    ft = a.dtype if _is_float(a) else np.dtype(np.float32)
    gray = rgb_to_grayscale(a) if a.shape[-3] == 3 else a
    mean = gray.astype(ft).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(ft)
    return _blend(a, mean, contrast_factor)


def adjust_saturation(a, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image(a)
    _assert_channels(a, [1, 3])
    if get_dimensions(a)[0] == 1:  # as PIL: a grey image has no saturation
        return a
    return _blend(a, rgb_to_grayscale(a), saturation_factor)


def _rgb2hsv(x):
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = x.dtype.type(1)
    s = cr / np.where(eqc, one, maxc)
    divisor = np.where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / x.dtype.type(6.0) + one, one)
    return h.astype(x.dtype), s, maxc


def _hsv2rgb(h, s, v):
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))
    return np.stack([np.choose(i, c) for c in choices], axis=-3).astype(h.dtype)


def adjust_hue(a, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image(a)
    _assert_channels(a, [1, 3])
    if get_dimensions(a)[0] == 1:  # as PIL
        return a
    x = convert_image_dtype(a, np.float32)
    h, s, v = _rgb2hsv(x)
    h = np.mod(h + np.float32(hue_factor), np.float32(1.0))
    return convert_image_dtype(_hsv2rgb(h, s, v), a.dtype)


def adjust_gamma(a, gamma, gain=1):
    _assert_channels(a, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    x = a if _is_float(a) else convert_image_dtype(a, np.float32)
    x = np.clip(x.dtype.type(gain) * x ** x.dtype.type(gamma), 0, 1)
    return convert_image_dtype(x, a.dtype)


def invert(a):
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")
    _assert_channels(a, [1, 3])
    return (a.dtype.type(_max_value(a.dtype)) - a).astype(a.dtype)


# ---------------------------------------------------------------------------- filters, erasing, normalize
def _gaussian_kernel1d(kernel_size, sigma, dtype):
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(a, kernel_size, sigma):
    """Reflect padding then a depthwise correlation with the outer product of two 1-d Gaussians."""
    _assert_image(a)
    x, out_dtype = _to_float(a)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], x.dtype)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], x.dtype)
    kernel = ky[:, None] * kx[None, :]
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    xp = pad(x, [px, py, px, py], padding_mode="reflect")
    H, W = x.shape[-2:]
    out = np.zeros_like(x)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * xp[..., i:i + H, j:j + W]
    return _from_float(out, out_dtype)


def erase(a, i, j, h, w, v, inplace=False):
    _assert_image(a)
    if not inplace:
        a = a.copy()
    a[..., i:i + h, j:j + w] = v
    return a


def normalize(a, mean, std, inplace=False):
    """(a - mean[c]) / std[c] per channel, in the image's own dtype, as torchvision."""
    if not _is_float(a):
        raise TypeError(f"Input tensor should be a float tensor. Got {_torch_name(a.dtype)}.")
    if a.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"mytorch.Size({list(a.shape)})")
    mean, std = np.asarray(mean, a.dtype), np.asarray(std, a.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {_torch_name(a.dtype)}, "
                         "leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    if std.ndim == 1:
        std = std.reshape(-1, 1, 1)
    # NOTE: torch subtracts in place (on a clone), so the result cannot grow: three means on a
    # one-channel image is an error there, not a silent broadcast to three channels
    shape = np.broadcast_shapes(a.shape, mean.shape, std.shape)
    if shape != a.shape:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast shape {list(shape)}")
    if inplace:
        np.subtract(a, mean, out=a)
        np.divide(a, std, out=a)
        return a
    return (a - mean) / std


# ---------------------------------------------------------------------------- histogram and sharpness ops
def _assert_3d_channels(a, permitted=(1, 3)):
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")
    _assert_channels(a, list(permitted))


def posterize(a, bits):
    _assert_3d_channels(a)
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {_torch_name(a.dtype)}")
    return a & np.uint8((0xFF << (8 - bits)) & 0xFF)


def solarize(a, threshold):
    _assert_3d_channels(a)
    if threshold > _max_value(a.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return np.where(a >= threshold, invert(a), a)


def adjust_sharpness(a, sharpness_factor):
    """Blends with a 3x3 smoothing of the interior (torchvision's 'degenerate' image); borders kept."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image(a)
    _assert_channels(a, [1, 3])
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return a
    x, out_dtype = _to_float(a)
    kernel = np.ones((3, 3), x.dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    H, W = x.shape[-2:]
    smooth = np.zeros(x.shape[:-2] + (H - 2, W - 2), x.dtype)
    for i in range(3):
        for j in range(3):
            smooth += kernel[i, j] * x[..., i:i + H - 2, j:j + W - 2]
    degenerate = a.copy()
    degenerate[..., 1:-1, 1:-1] = _from_float(smooth, out_dtype)
    return _blend(a, degenerate, sharpness_factor)


def autocontrast(a):
    """Stretches each channel's [min, max] to the dtype's full range."""
    _assert_3d_channels(a)
    bound = _max_value(a.dtype)
    ft = a.dtype if _is_float(a) else np.dtype(np.float32)
    lo = a.min(axis=(-2, -1), keepdims=True).astype(ft)
    hi = a.max(axis=(-2, -1), keepdims=True).astype(ft)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ft.type(bound) / (hi - lo)
    flat = ~np.isfinite(scale)
    lo[flat], scale[flat] = 0, 1
    return np.clip((a.astype(ft) - lo) * scale, 0, bound).astype(a.dtype)


def _equalize_channel(c):
    hist = np.bincount(c.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return c
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[c.astype(np.int64)].astype(np.uint8)


def equalize(a):
    """Histogram equalization per channel (uint8 images), as PIL's ImageOps.equalize."""
    _assert_image(a)
    if not 3 <= a.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {a.ndim}")
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {_torch_name(a.dtype)}")
    _assert_channels(a, [1, 3])
    flat = a.reshape((-1,) + a.shape[-2:])
    return np.stack([_equalize_channel(c) for c in flat]).reshape(a.shape)


def _perspective_grid(coeffs, ow, oh, dtype):
    theta1 = np.asarray([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]], dtype)
    theta2 = np.asarray([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]], dtype)
    xs = np.linspace(0.5, ow * 1.0 + 0.5 - 1.0, ow, dtype=dtype)
    ys = np.linspace(0.5, oh * 1.0 + 0.5 - 1.0, oh, dtype=dtype)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((), dtype)), axis=-1)
    grid1 = base @ (theta1.T / np.asarray([0.5 * ow, 0.5 * oh], dtype))
    grid2 = base @ theta2.T
    return grid1 / grid2 - dtype.type(1.0)


def perspective(a, coeffs, interpolation="bilinear", fill=None):
    _check_grid_inputs(a, fill, interpolation)
    dtype = a.dtype if _is_float(a) else np.dtype(np.float32)
    grid = _perspective_grid(coeffs, a.shape[-1], a.shape[-2], dtype)
    return _apply_grid_transform(a, grid, interpolation, fill)
