"""torchvision.transforms for MNIST-style work: Compose, ToTensor, Normalize, Lambda, RandomCrop.

Images are NumPy arrays here (H x W, or H x W x C, uint8), not PIL images. ``Compose.batch`` runs a
pipeline on a whole (N, H, W[, C]) array at once when every step supports it (ToTensor and
Normalize do); datasets use it to build a batch with one vectorized pass.
"""
import numpy as np

from mytorch.random import rng
from mytorch.tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomCrop"]


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    @property
    def batchable(self):
        return all(getattr(t, "batchable", False) for t in self.transforms)

    def batch(self, images):
        for t in self.transforms:
            images = t.batch(images)
        return images

    def __repr__(self):
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({body}\n)"


class ToTensor:
    """uint8 (H, W) or (H, W, C) in [0, 255] -> float32 tensor (C, H, W) in [0, 1]."""

    batchable = True

    def __call__(self, pic):
        a = pic._data if isinstance(pic, Tensor) else np.asarray(pic)
        if a.ndim not in (2, 3):
            raise TypeError(f"pic should be 2 or 3 dimensional. Got {a.ndim} dimensions.")
        a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        return Tensor._make(_to_float(a))

    def batch(self, images):
        a = np.asarray(images)
        a = a[:, None] if a.ndim == 3 else a.transpose(0, 3, 1, 2)
        return Tensor._make(_to_float(a))

    def __repr__(self):
        return "ToTensor()"


def _to_float(a):
    if a.dtype == np.uint8:
        return a.astype(np.float32) * np.float32(1 / 255)
    return np.ascontiguousarray(a, dtype=np.float32)


class Normalize:
    """(x - mean[c]) / std[c] per channel of a (C, H, W) or (N, C, H, W) tensor."""

    batchable = True

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std = list(np.atleast_1d(mean)), list(np.atleast_1d(std))
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to float32, leading to division by zero: {std}")

    def _apply(self, x, channel_axis):
        shape = [1] * x.ndim
        shape[channel_axis] = -1
        mean = np.asarray(self.mean, x._data.dtype).reshape(shape)
        std = np.asarray(self.std, x._data.dtype).reshape(shape)
        return Tensor._make((x._data - mean) / std)

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor) or not tensor.dtype.is_floating_point:
            raise TypeError("Normalize expects a floating point tensor (apply ToTensor first)")
        return self._apply(tensor, 0)

    def batch(self, tensors):
        return self._apply(tensors, 1)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


class RandomCrop:
    """A random ``size`` crop, after zero-padding every side by ``padding`` (torchvision's semantics).
    Works on (H, W[, C]) arrays and on (C, H, W) tensors; offsets come from mytorch's generator."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill
        if padding_mode != "constant":
            raise NotImplementedError(f"padding_mode={padding_mode!r} is not supported; only 'constant'")

    def __call__(self, img):
        is_tensor = isinstance(img, Tensor)
        a = img._data if is_tensor else np.asarray(img)
        h_axis = a.ndim - 2 if is_tensor else 0  # tensors are (C, H, W), arrays (H, W[, C])
        if self.padding is not None:
            p = self.padding
            left, top, right, bottom = ((p, p, p, p) if isinstance(p, int) else
                                        (p[0], p[1], p[0], p[1]) if len(p) == 2 else tuple(p))
            widths = [(0, 0)] * a.ndim
            widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
            a = np.pad(a, widths, constant_values=self.fill)
        th, tw = self.size
        H, W = a.shape[h_axis], a.shape[h_axis + 1]
        if self.pad_if_needed and (H < th or W < tw):
            widths = [(0, 0)] * a.ndim
            widths[h_axis], widths[h_axis + 1] = (0, max(th - H, 0)), (0, max(tw - W, 0))
            a = np.pad(a, widths, constant_values=self.fill)
            H, W = a.shape[h_axis], a.shape[h_axis + 1]
        if H < th or W < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(H, W)}")
        i = int(rng().integers(0, H - th + 1))
        j = int(rng().integers(0, W - tw + 1))
        index = [slice(None)] * a.ndim
        index[h_axis], index[h_axis + 1] = slice(i, i + th), slice(j, j + tw)
        out = np.ascontiguousarray(a[tuple(index)])
        return Tensor._make(out) if is_tensor else out

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"
