"""torchvision.utils: make_grid and save_image (PNG and the other formats Pillow writes)."""
import math

import numpy as np

from mytorch.tensor import Tensor
from mytorch.vision._pil import fromarray

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor):
    """A (B, C, H, W) array from a Tensor (2-, 3- or 4-d) or a list of equally shaped Tensors;
    one channel becomes three, as torchvision."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        a = np.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        a = tensor._data
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = np.concatenate([a, a, a], axis=0)
        a = a[None]
    if a.ndim == 4 and a.shape[1] == 1:
        a = np.concatenate([a, a, a], axis=1)
    return a


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tiles a batch of images into one (C, H', W') image, ``nrow`` images per row.

    Args:
        tensor: a (B, C, H, W) Tensor, or a list of (C, H, W) Tensors of one shape.
        nrow: images per row. Default: ``8``.
        padding: pixels between images and around the grid. Default: ``2``.
        normalize: shift and scale to [0, 1] by ``value_range`` (default: the min and max). Default: ``False``.
        value_range: (min, max) used by ``normalize``. Default: ``None``.
        scale_each: normalize each image by its own min and max. Default: ``False``.
        pad_value: the value of the padding pixels. Default: ``0``.

    Shape:
        (B, C, H, W) -> (C, ceil(B / nrow) * (H + padding) + padding, min(nrow, B) * (W + padding) + padding);
        one channel is repeated to three.

    Example::

        >>> make_grid(mytorch.zeros(10, 1, 28, 28), nrow=5).shape
        mytorch.Size([3, 62, 152])
    """
    a = _as_batch(tensor)
    if normalize is True:
        a = a.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_range(x):
            low, high = value_range if value_range is not None else (float(x.min()), float(x.max()))
            np.clip(x, low, high, out=x)
            x -= x.dtype.type(low)
            x /= x.dtype.type(max(high - low, 1e-5))

        for x in (a if scale_each is True else [a]):
            norm_range(x)
    if a.shape[0] == 1:
        return Tensor._make(a[0].copy())
    nmaps, C, H, W = a.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(H + padding), int(W + padding)
    grid = np.full((C, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=a.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding: (y + 1) * height, x * width + padding: (x + 1) * width] = a[k]
    return Tensor._make(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Writes ``tensor`` (values in [0, 1]; a batch becomes a :func:`make_grid`) as an image file.

    Args:
        tensor: a Tensor image or batch, or a list of Tensor images.
        fp: a file name (str or path) or a binary file object.
        format: Pillow's format name; needed with a file object. Default: from the file name's extension.
        **kwargs: :func:`make_grid`'s arguments.
    """
    grid = make_grid(tensor, **kwargs)._data
    scaled = grid * grid.dtype.type(255) + grid.dtype.type(0.5) if np.issubdtype(grid.dtype, np.floating) \
        else grid.astype(np.float32) * 255 + 0.5
    ndarr = np.clip(scaled, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    fromarray(ndarr[:, :, 0] if ndarr.shape[2] == 1 else ndarr).save(fp, format=format)
