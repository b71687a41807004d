"""torchvision.utils: make_grid, save_image (PNG and the other formats Pillow writes) and
draw_bounding_boxes (drawn by Pillow's ImageDraw)."""
import math
import warnings

import numpy as np

from mytorch.tensor import Tensor
from mytorch.vision._pil import fromarray, pil_module

__all__ = ["make_grid", "save_image", "draw_bounding_boxes"]


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


def _palette(num_objects):
    return [tuple(int(i * p) % 255 for p in (2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1)) for i in range(num_objects)]


def _parse_colors(colors, num_objects):
    """One RGB tuple per object from None (a palette), one colour for all, or a list of colours."""
    ImageColor = pil_module("ImageColor")
    if colors is None:
        colors = _palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of objects, but got "
                             f"{len(colors)} < {num_objects}.")
    elif isinstance(colors, (tuple, str)):
        colors = [colors] * num_objects
    else:
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got {colors}.")
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(int(v) for v in c) for c in colors]


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None, font_size=None,
                        label_colors=None, label_background_colors=None, fill_labels=False):
    """Draws (xmin, ymin, xmax, ymax) boxes (and labels) on a (C, H, W) uint8 or float image; returns a new one.

    Args:
        image: (1 or 3, H, W) Tensor, uint8 or float in [0, 1].
        boxes: (N, 4) Tensor of corners in pixels.
        labels: one string per box. Default: ``None``.
        colors: one colour for all, or one per box (names or RGB tuples). Default: a palette.
        fill: fill the boxes with their colour at alpha 100. Default: ``False``.
        width: line width. Default: ``1``.
        font, font_size: a TrueType font file and its size. Default: Pillow's default font.
    """
    ImageDraw, ImageFont = pil_module("ImageDraw"), pil_module("ImageFont")
    if not isinstance(image, Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    a = image._data
    if not (a.dtype == np.uint8 or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if a.ndim != 3:
        raise ValueError("Pass individual images, not batches")
    if a.shape[0] not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")
    b = boxes._data if isinstance(boxes, Tensor) else np.asarray(boxes)
    if b.ndim != 2 or b.shape[-1] != 4:
        raise ValueError(f"boxes should be (N, 4) corners, got shape {list(b.shape)}")
    if (b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any():
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use torchvision.ops.box_convert to "
                         "convert them")
    num_boxes = b.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. Please specify labels "
                         "for each box.")
    colors = _parse_colors(colors, num_boxes)
    label_colors = _parse_colors(label_colors or "black", num_boxes) if label_colors or fill_labels else colors
    backgrounds = _parse_colors(label_background_colors, num_boxes) \
        if fill_labels and label_background_colors else colors
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.", stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    if a.shape[0] == 1:
        a = np.concatenate([a, a, a])
    is_float = np.issubdtype(a.dtype, np.floating)
    if is_float:
        a = (a * a.dtype.type(255 + 1.0 - 1e-3)).astype(np.uint8)
    img = fromarray(np.ascontiguousarray(a.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(img, "RGBA") if fill else ImageDraw.Draw(img)
    for box, color, label, label_color, background in zip(b.astype(np.int64).tolist(), colors, labels, label_colors,
                                                          backgrounds):
        draw.rectangle(box, width=width, outline=color, fill=color + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            if fill_labels:
                left, top, right, bottom = draw.textbbox((box[0] + margin, box[1] + margin), label, font=txt_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=background)
            draw.text((box[0] + margin, box[1] + margin), label, fill=label_color, font=txt_font)
    out = np.asarray(img).transpose(2, 0, 1)
    if is_float:
        out = out.astype(image._data.dtype) * image._data.dtype.type(1.0 / 255)
    return Tensor._make(np.ascontiguousarray(out))
