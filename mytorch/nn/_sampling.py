"""nn.functional padding, resampling (interpolate), unfold/fold and spatial transformer sampling."""
import numpy as np

from mytorch import ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor
from mytorch.nn._functional_base import Pad, _LEGACY_TYPE, _LinearMap, _SavedInput

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "unfold", "fold", "affine_grid",
           "grid_sample"]


# ---------------------------------------------------------------------------- padding
class _Gather(Function):
    """x indexed along each dim by an integer array (one per dim, None for all): the forward of
    reflect/replicate/circular padding and of nearest upsampling; the backward scatter-adds."""

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return self._take(x)

    def _take(self, x):
        for d, idx in enumerate(self.index):
            if idx is not None:
                x = np.take(x, idx, axis=d)
        return x

    def backward_t(self, g):  # the scatter-add's adjoint is the gather
        return _LinearMap.apply(g, fwd=self.backward, adjoint=self._take)

    def backward(self, g):
        for d in reversed(range(len(self.index))):
            idx = self.index[d]
            if idx is None:
                continue
            moved = np.moveaxis(g, d, 0)
            acc = np.zeros((self.shape[d],) + moved.shape[1:], dtype=g.dtype)
            if idx.size and (idx[1:] >= idx[:-1]).all():
                # sorted (nearest resampling): one reduceat over runs instead of np.add.at's slow loop
                starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
                acc[idx[starts]] = np.add.reduceat(moved, starts, axis=0)
            else:
                np.add.at(acc, idx, moved)
            g = np.moveaxis(acc, 0, d)
        return g


_NP_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_index(n, lo, hi, mode, dim):
    """Source indices along one dim. As torch: reflect and replicate pad the whole dim and then
    crop negative widths; circular crops first and wraps what is left."""
    if mode == "reflect" and max(lo, hi) >= n:
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({lo}, {hi}) at dimension {dim} of input {n}")
    if mode == "replicate" and n == 0:
        raise RuntimeError("padding size is expected to be non-empty")
    if mode == "circular":
        idx = np.arange(n)[max(-lo, 0): n - max(-hi, 0)]
        if max(lo, 0) > len(idx) or max(hi, 0) > len(idx):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        return np.pad(idx, (max(lo, 0), max(hi, 0)), mode="wrap")
    idx = np.pad(np.arange(n), (max(lo, 0), max(hi, 0)), mode=_NP_PAD_MODE[mode])
    return idx[max(-lo, 0): len(idx) - max(-hi, 0)]


def pad(input, pad, mode="constant", value=None):
    """Pads the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) pairs from the last dim.

    Args:
        mode: ``'constant'`` (negative widths crop), ``'reflect'``, ``'replicate'`` or ``'circular'``
            (the last 1, 2 or 3 dims of a batched or unbatched input). Default: ``'constant'``.
        value: the fill for constant padding. Default: ``0``.
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(k)]  # pairs[i] pads dim -1 - i
    if mode == "constant":
        widths = [(0, 0)] * input.ndim
        crop = [slice(None)] * input.ndim
        for i, (lo, hi) in enumerate(pairs):
            d = input.ndim - 1 - i
            n = input.shape[d]
            if n + lo + hi < 0:
                raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                                   f"output size, which is invalid. Check dimension {d} of your input.")
            widths[d] = (max(lo, 0), max(hi, 0))
            crop[d] = slice(max(-lo, 0), n - max(-hi, 0))
        x = input[tuple(crop)] if any(s != slice(None) for s in crop) else input
        if not any(w != (0, 0) for w in widths):
            return x
        return Pad.apply(x, widths=tuple(widths), value=0.0 if value is None else value)
    if mode not in _NP_PAD_MODE:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise AssertionError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (k + 1 <= input.ndim <= k + 2) or k > 3:
        raise NotImplementedError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
                                  if k > 3 or input.ndim > 5 else
                                  f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                                  f"other non-zero dimensions for input, but got: {list(input.shape)}")
    index = [None] * input.ndim
    for i, (lo, hi) in enumerate(pairs):
        d = input.ndim - 1 - i
        n = input.shape[d]
        if n + lo + hi < 1 and k == 1 and mode != "circular":  # (torch's 2-D/3-D kernels return empty)
            letter = "WHD"[i]
            raise RuntimeError(f"input ({letter}: {n}) is too small. Calculated output {letter}: {n + lo + hi}")
        index[d] = _pad_index(n, lo, hi, mode, d)
    if mode != "circular":  # torch's reflection and replication pads save the input
        input = _SavedInput.apply(input)
    return _Gather.apply(input, index=tuple(index))


# ---------------------------------------------------------------------------- resampling
class _AxisMatrices(Function):
    """Applies a matrix M_d (out_d, in_d) along each spatial dim d (linear, cubic, area, nearest
    resampling are all separable); the backward applies each M_d transposed."""

    def forward(self, x, mats):
        self.mats = mats
        for d, m in mats:
            x = np.moveaxis(np.moveaxis(x, d, -1) @ m.T.astype(x.dtype, copy=False), -1, d)
        return np.ascontiguousarray(x)

    def backward(self, g):
        for d, m in reversed(self.mats):
            g = np.moveaxis(np.moveaxis(g, d, -1) @ m.astype(g.dtype, copy=False), -1, d)
        return np.ascontiguousarray(g)

    def backward_t(self, g):
        return _LinearMap.apply(g, fwd=self.backward, adjoint=lambda a: self.forward(a, self.mats))


def _source_scale(in_n, out_n, align_corners, scale):
    """torch's area_pixel_compute_scale."""
    if align_corners:
        return (in_n - 1) / (out_n - 1) if out_n > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_n / out_n


def _linear_matrix(in_n, out_n, align_corners, scale):
    if in_n == out_n:  # NOTE: torch copies a dim whose size is unchanged, whatever the scale factor
        return np.eye(in_n)
    ratio = _source_scale(in_n, out_n, align_corners, scale)
    dst = np.arange(out_n, dtype=np.float64)
    real = ratio * dst if align_corners else np.maximum(ratio * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_n - 1)
    i1 = np.where(i0 < in_n - 1, i0 + 1, i0)
    lam = real - i0
    m = np.zeros((out_n, in_n))
    np.add.at(m, (np.arange(out_n), i0), 1 - lam)
    np.add.at(m, (np.arange(out_n), i1), lam)
    return m


def _cubic_matrix(in_n, out_n, align_corners, scale, A=-0.75):
    ratio = _source_scale(in_n, out_n, align_corners, scale)
    dst = np.arange(out_n, dtype=np.float64)
    real = ratio * dst if align_corners else ratio * (dst + 0.5) - 0.5
    base = np.floor(real).astype(np.int64)
    t = real - base
    cc1 = lambda x: ((A + 2) * x - (A + 3)) * x * x + 1  # noqa: E731  |x| <= 1
    cc2 = lambda x: ((A * x - 5 * A) * x + 8 * A) * x - 4 * A  # noqa: E731  1 < |x| < 2
    m = np.zeros((out_n, in_n))
    rows = np.arange(out_n)
    for offset, w in ((-1, cc2(t + 1)), (0, cc1(t)), (1, cc1(1 - t)), (2, cc2(2 - t))):
        np.add.at(m, (rows, np.clip(base + offset, 0, in_n - 1)), w)
    return m


def _triangle(x):
    return np.maximum(1 - np.abs(x), 0.0)


def _keys_cubic(x, A=-0.5):
    """The cubic convolution kernel; torch's antialiased bicubic takes Keys' A = -0.5 (plain bicubic: -0.75)."""
    x = np.abs(x)
    near = ((A + 2) * x - (A + 3)) * x * x + 1
    far = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _antialias_matrix(in_n, out_n, align_corners, scale, mode):
    """torch's antialiased resampling along one dim (PIL's): the filter (triangle for bilinear, cubic
    for bicubic) stretched by the downscaling ratio, so that every input pixel under its support
    contributes, and the weights of each output pixel normalised to sum to 1."""
    if in_n == out_n:  # NOTE: torch skips a dim whose size is unchanged, whatever the scale factor
        return np.eye(in_n)
    filt, interp_size = (_triangle, 2) if mode == "bilinear" else (_keys_cubic, 4)
    ratio = _source_scale(in_n, out_n, align_corners, scale)
    support = interp_size * 0.5 * ratio if ratio >= 1.0 else interp_size * 0.5
    invscale = 1.0 / ratio if ratio >= 1.0 else 1.0
    max_size = int(np.ceil(support)) * 2 + 1
    m = np.zeros((out_n, in_n))
    for i in range(out_n):
        center = ratio * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)  # NOTE: C's truncation, as torch
        size = min(max(min(int(center + support + 0.5), in_n) - lo, 0), max_size)
        w = filt((np.arange(lo, lo + size) - center + 0.5) * invscale)
        total = w.sum()
        m[i, lo:lo + size] = w / total if total != 0 else w
    return m


def _nearest_index(in_n, out_n, scale, exact):
    """Source index of each output position along one dim, as torch's nearest / nearest-exact."""
    if not exact and out_n in (in_n, 2 * in_n):  # torch's shortcuts, taken whatever the scale factor
        return np.arange(out_n) // (out_n // in_n)
    # NOTE: torch computes the source index in float32
    ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_n) / np.float32(out_n)
    dst = np.arange(out_n, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * ratio if exact else dst * ratio).astype(np.int64)
    return np.minimum(src, in_n - 1)


def _area_matrix(in_n, out_n):
    m = np.zeros((out_n, in_n))
    for i in range(out_n):
        start, end = (i * in_n) // out_n, -(-((i + 1) * in_n) // out_n)
        m[i, start:end] = 1.0 / (end - start)
    return m


_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    Args:
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'``/``'bicubic'``
            (4-D), ``'trilinear'`` (5-D) or ``'area'``. Default: ``'nearest'``.
        align_corners: for the interpolating modes, map corner pixel centres onto each other. Default: ``False``.
        recompute_scale_factor: compute the coordinate scale from the output size rather than
            ``scale_factor``. Default: ``None`` (use ``scale_factor``).
        antialias: for ``'bilinear'``/``'bicubic'`` on 4-D input, low-pass filter while downsampling (torch's and
            PIL's kernel stretched by the scale). Default: ``False``.
    """
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    dim = input.ndim - 2
    if dim < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D)")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != dim:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = [int(n) for n in input.shape[2:]]
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {in_sizes} and output size of {sizes}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        sizes = [int(s) for s in sizes]
        scales = [None] * dim
    elif scale_factor is not None:
        scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dim
        if len(scales) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {in_sizes} and scale_factor of shape {scales}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                             f"(s1, s2, ...,sK) format.")
        sizes = [int(np.floor(float(n) * float(s))) for n, s in zip(in_sizes, scales)]
        if recompute_scale_factor:
            scales = [None] * dim
        else:
            scales = [float(s) for s in scales]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        return _adaptive_avg_pool_nd(input, sizes)
    if mode in ("nearest", "nearest-exact"):  # a gather: exact for every dtype, integers included
        index = [None, None] + [_nearest_index(n_in, n_out, sc, mode == "nearest-exact")
                                for n_in, n_out, sc in zip(in_sizes, sizes, scales)]
        return _Gather.apply(input, index=tuple(index))
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"upsample_{mode}" not implemented for \'{_LEGACY_TYPE[input._data.dtype.name][:-6]}\'')
    mats = []
    for d, (n_in, n_out, sc) in enumerate(zip(in_sizes, sizes, scales)):
        if antialias:
            m = _antialias_matrix(n_in, n_out, align_corners, sc, mode)
        else:
            m = _cubic_matrix(n_in, n_out, align_corners, sc) if mode == "bicubic" else \
                _linear_matrix(n_in, n_out, align_corners, sc)
        mats.append((d + 2, m))
    return _AxisMatrices.apply(input, mats=tuple(mats))


def _adaptive_avg_pool_nd(input, output_size):
    """Adaptive average pooling over every spatial dim (one averaging matrix per dim)."""
    mats = tuple((d + 2, _area_matrix(int(input.shape[d + 2]), int(n))) for d, n in enumerate(output_size))
    return _AxisMatrices.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (warns)."""
    import warnings
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", UserWarning)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated alias: interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated alias: interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class _Permuted(Function):
    """A reshape -> transpose -> reshape (pixel_shuffle, pixel_unshuffle, channel_shuffle) as one
    primitive; the backward runs the inverse."""

    def forward(self, x, split, perm, out_shape):
        self.in_shape, self.split, self.perm, self.out_shape = x.shape, split, perm, out_shape
        return np.ascontiguousarray(x.reshape(split).transpose(perm)).reshape(out_shape)

    def backward_t(self, g):
        return _LinearMap.apply(g, fwd=self.backward,
                                adjoint=lambda a: self.forward(a, self.split, self.perm, self.out_shape))

    def backward(self, g):
        inverse = np.argsort(self.perm)
        permuted = tuple(self.split[p] for p in self.perm)
        return np.ascontiguousarray(g.reshape(permuted).transpose(inverse)).reshape(self.in_shape)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    split = tuple(lead) + (c // (r * r), r, r, h, w)
    perm = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h}"
                           f" is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w}"
                           f" is not divisible by {r}")
    k = len(lead)
    split = tuple(lead) + (c, h // r, r, w // r, r)
    perm = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """(N, C, *) with C = g k -> channels reordered as (k, g)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    N, C, *rest = input.shape
    if C % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {C} channels and {groups} groups.")
    split = (N, groups, C // groups) + tuple(rest)
    perm = (0, 2, 1) + tuple(range(3, 3 + len(rest)))
    return _Permuted.apply(input, split=split, perm=perm, out_shape=tuple(input.shape))


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------- unfold / fold
def _pair2(v, name):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return tuple(int(a) for a in v)


def _unfold_np(xp, KH, KW, DH, DW, SH, SW, OH, OW):
    """Padded (N, C, H, W) -> (N, C, KH, KW, OH, OW) patches."""
    N, C = xp.shape[:2]
    cols = np.empty((N, C, KH, KW, OH, OW), dtype=xp.dtype)
    for i in range(KH):
        for j in range(KW):
            cols[:, :, i, j] = xp[:, :, i * DH: i * DH + SH * (OH - 1) + 1: SH, j * DW: j * DW + SW * (OW - 1) + 1: SW]
    return cols


def _fold_np(cols, HP, WP, KH, KW, DH, DW, SH, SW, OH, OW):
    """(N, C, KH, KW, OH, OW) patches summed back into a padded (N, C, HP, WP) image."""
    N, C = cols.shape[:2]
    out = np.zeros((N, C, HP, WP), dtype=cols.dtype)
    for i in range(KH):
        for j in range(KW):
            rows = slice(i * DH, i * DH + SH * (OH - 1) + 1, SH)
            out[:, :, rows, j * DW: j * DW + SW * (OW - 1) + 1: SW] += cols[:, :, i, j]
    return out


class _Unfold(Function):
    def forward(self, x, k, d, p, s, o):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = k, d, p, s, o
        self.geo, self.shape = (k, d, p, s, o), x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW))) if PH or PW else x
        cols = _unfold_np(xp, KH, KW, DH, DW, SH, SW, OH, OW)
        return cols.reshape(x.shape[0], -1, OH * OW)

    def backward(self, g):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = self.geo
        N, C, H, W = self.shape
        img = _fold_np(g.reshape(N, C, KH, KW, OH, OW), H + 2 * PH, W + 2 * PW, KH, KW, DH, DW, SH, SW, OH, OW)
        return img[:, :, PH:PH + H, PW:PW + W]


class _Fold(Function):
    def forward(self, cols, k, d, p, s, o, size):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = k, d, p, s, o
        H, W = size
        self.geo, self.size, self.cshape = (k, d, p, s, o), size, cols.shape
        N = cols.shape[0]
        img = _fold_np(cols.reshape(N, -1, KH, KW, OH, OW), H + 2 * PH, W + 2 * PW, KH, KW, DH, DW, SH, SW, OH, OW)
        return np.ascontiguousarray(img[:, :, PH:PH + H, PW:PW + W])

    def backward(self, g):
        (KH, KW), (DH, DW), (PH, PW), (SH, SW), (OH, OW) = self.geo
        gp = np.pad(g, ((0, 0), (0, 0), (PH, PH), (PW, PW))) if PH or PW else g
        return _unfold_np(gp, KH, KW, DH, DW, SH, SW, OH, OW).reshape(self.cshape)


def _blocks(size, k, d, p, s):
    return [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) input as columns: (N, C * KH * KW, L) (im2col)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s = (_pair2(v, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                            (padding, "padding"), (stride, "stride")))
    o = _blocks(input.shape[2:], k, d, p, s)
    if min(o) < 1:
        raise RuntimeError(f"Given input with spatial size ({input.shape[2]}, {input.shape[3]}), kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
                           f"({o[0]}, {o[1]}), but its components must be at least one.")
    return _Unfold.apply(input, k=k, d=d, p=p, s=s, o=tuple(o))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums (N, C * KH * KW, L) columns back into (N, C, H, W) (col2im), the adjoint of unfold."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.ndim}D)")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    size, k, d, p, s = (_pair2(v, n) for v, n in ((output_size, "output_size"), (kernel_size, "kernel_size"),
                                                  (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    o = _blocks(size, k, d, p, s)
    if input.shape[1] % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={input.shape[1]} and kernel_size={k}")
    if input.shape[2] != o[0] * o[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{o[0]} * {o[1]} = {o[0] * o[1]}, but got input.size(2)={input.shape[2]}.")
    return _Fold.apply(input, k=k, d=d, p=p, s=s, o=tuple(o), size=size)


# ---------------------------------------------------------------------------- spatial transformer sampling
def _warn_align_corners(align_corners):
    if align_corners is None:
        import warnings
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", UserWarning, stacklevel=3)
        return False
    return align_corners


def _base_coords(n, align_corners, dtype):
    if align_corners:
        return np.linspace(-1, 1, n, dtype=np.float64).astype(dtype) if n > 1 else np.zeros(1, dtype)
    return ((np.arange(n, dtype=np.float64) * 2 + 1) / n - 1).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta`` (N, 2, 3) (or (N, 3, 4))
    over an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)), in [-1, 1] coordinates."""
    align_corners = _warn_align_corners(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    dtype = theta._data.dtype
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{list(theta.shape)}.")
        N, _, H, W = size
        xs, ys = _base_coords(W, align_corners, dtype), _base_coords(H, align_corners, dtype)
        base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1), dtype)), -1)  # (H, W, 3)
        spatial = (H, W)
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{list(theta.shape)}.")
        N, _, D, H, W = size
        xs, ys, zs = (_base_coords(n, align_corners, dtype) for n in (W, H, D))
        base = np.stack(np.broadcast_arrays(xs[None, None, :], ys[None, :, None], zs[:, None, None],
                                            np.ones((1, 1, 1), dtype)), -1)
        spatial = (D, H, W)
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    k = base.shape[-1]
    flat = Tensor._make(np.ascontiguousarray(base.reshape(1, -1, k)))
    grid = ops.matmul(flat, theta.transpose(1, 2))  # (N, prod(spatial), k - 1)
    return grid.reshape((N,) + spatial + (k - 1,))


def _reflect(x, twice_low, twice_high):
    """torch's reflect_coordinates, with d(out)/d(in) (+1 or -1)."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = x - low
    sign = np.where(d < 0, -1.0, 1.0)
    a = np.abs(d)
    extra, flips = np.fmod(a, span), np.floor(a / span)
    even = flips % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _source_coords(coord, size, align_corners, padding_mode):
    """Grid values in [-1, 1] -> pixel coordinates, with the padding mode's remapping and its derivative."""
    if align_corners:
        x, dx = (coord + 1) / 2 * (size - 1), np.full_like(coord, (size - 1) / 2)
    else:
        x, dx = ((coord + 1) * size - 1) / 2, np.full_like(coord, size / 2)
    if padding_mode == "reflection":
        x, d = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        dx = dx * d
    if padding_mode in ("border", "reflection"):
        inside = (x > 0) & (x < size - 1)
        dx = np.where(inside, dx, 0)
        x = np.clip(x, 0, size - 1)
    return x, dx


class GridSample2d(Function):
    """Bilinear or nearest sampling of (N, C, H, W) input at grid (N, OH, OW, 2) (x, y) locations;
    the backward scatter-adds into the input and differentiates the bilinear weights for the grid."""
    saved = ((0, None), (1, None))  # as torch's GridSampler2DBackward0

    def forward(self, x, grid, mode, padding_mode, align_corners):
        N, C, H, W = x.shape
        ix, dix = _source_coords(grid[..., 0].astype(np.float64), W, align_corners, padding_mode)
        iy, diy = _source_coords(grid[..., 1].astype(np.float64), H, align_corners, padding_mode)
        self.x, self.mode, self.grid_dtype = x, mode, grid.dtype
        self.dix, self.diy = dix, diy
        n_idx = np.arange(N)[:, None, None]
        xt = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        if mode == "nearest":
            cx, cy = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
            self.taps = [(cy, cx, np.ones_like(ix), None, None)]
        else:
            x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
            tx, ty = ix - x0, iy - y0
            self.taps = [(y0, x0, (1 - tx) * (1 - ty), -(1 - ty), -(1 - tx)),
                         (y0, x0 + 1, tx * (1 - ty), (1 - ty), -tx),
                         (y0 + 1, x0, (1 - tx) * ty, -ty, (1 - tx)),
                         (y0 + 1, x0 + 1, tx * ty, ty, tx)]
        out = np.zeros(grid.shape[:3] + (C,), dtype=np.float64)
        self.values = []
        for cy, cx, w, _, _ in self.taps:
            valid = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
            v = xt[n_idx, np.clip(cy, 0, H - 1), np.clip(cx, 0, W - 1)] * valid[..., None]
            self.values.append((v, valid))
            out += w[..., None] * v
        self.n_idx = n_idx
        return out.transpose(0, 3, 1, 2).astype(x.dtype)

    def backward(self, g):
        N, C, H, W = self.x.shape
        gt = g.transpose(0, 2, 3, 1).astype(np.float64)  # (N, OH, OW, C)
        gx = np.zeros((N, H, W, C))
        gix = np.zeros(g.shape[:1] + g.shape[2:])
        giy = np.zeros_like(gix)
        n_full = np.broadcast_to(self.n_idx, gix.shape)
        for (cy, cx, w, dwx, dwy), (v, valid) in zip(self.taps, self.values):
            contrib = (w * valid)[..., None] * gt
            np.add.at(gx, (n_full[valid], cy[valid], cx[valid]), contrib[valid])
            if dwx is not None:
                gv = (gt * v).sum(-1)
                gix += dwx * gv
                giy += dwy * gv
        ggrid = np.stack([gix * self.dix, giy * self.diy], -1).astype(self.grid_dtype)
        return gx.transpose(0, 3, 1, 2).astype(self.x.dtype), ggrid


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples (N, C, H, W) ``input`` at the [-1, 1] locations of ``grid`` (N, OH, OW, 2).

    Args:
        mode: ``'bilinear'`` or ``'nearest'``. padding_mode: ``'zeros'``, ``'border'`` or ``'reflection'``.
        align_corners: -1 and 1 are the corner pixels' centres (True) or edges (False). Default: ``False``.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _warn_align_corners(align_corners)
    if input.ndim != 4 or grid.ndim != 4:
        raise NotImplementedError("grid_sample supports 4-D input and grid here (5-D volumetric sampling is not "
                                  "implemented)")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not implemented")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes "
                           f"{list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return GridSample2d.apply(input, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)


