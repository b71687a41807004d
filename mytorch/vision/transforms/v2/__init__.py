"""torchvision.transforms.v2, for plain images: the v1 classes, plus ToImage, ToDtype and ToPureTensor.

v2 transforms also take several inputs at once (``t(img, label)``): here the image-like inputs (PIL
images, Tensors, ndarrays) are transformed and everything else (labels, strings) passes through.
NOTE: torchvision's bounding-box / mask ``tv_tensors`` are not modelled; a second image in one call
draws its own random parameters.
"""
import numpy as np

from mytorch import _dtype
from mytorch.tensor import Tensor
from mytorch.vision._pil import is_pil_image
from mytorch.vision.transforms import functional as _F1
from mytorch.vision.transforms import transforms as _v1
from mytorch.vision.transforms.autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide

__all__ = ["functional", "Transform", "ToImage", "ToDtype", "ToPureTensor", "AutoAugment", "AutoAugmentPolicy",
           "RandAugment", "TrivialAugmentWide"] + list(_v1.__all__)


def _is_image(x):
    return isinstance(x, (Tensor, np.ndarray)) or is_pil_image(x)


class Transform(_v1.Transform):
    """Base of v2 transforms: ``forward`` runs on each image-like input; other inputs pass through."""

    def __call__(self, *inputs):
        sample = inputs[0] if len(inputs) == 1 else inputs
        return self._walk(sample)

    def _walk(self, x):
        if _is_image(x):
            return self.forward(x)
        if isinstance(x, (tuple, list)):
            return type(x)(self._walk(v) for v in x)
        if isinstance(x, dict):
            return {k: self._walk(v) for k, v in x.items()}
        return x


class ToImage(Transform):
    """PIL image or (H, W[, C]) ndarray -> (C, H, W) Tensor of the same dtype (no scaling)."""

    batchable = True

    def batch(self, images):
        """(N, H, W[, C]) array -> (N, C, H, W) Tensor (the datasets' one-pass batch path)."""
        a = np.asarray(images)
        return Tensor._make(np.ascontiguousarray(a[:, None] if a.ndim == 3 else a.transpose(0, 3, 1, 2)))

    def forward(self, img):
        if isinstance(img, Tensor):
            return img
        if isinstance(img, np.ndarray):
            chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
            return Tensor._make(np.ascontiguousarray(chw))
        return _F1.pil_to_tensor(img)


class ToDtype(Transform):
    """Casts image Tensors to ``dtype``; with ``scale=True`` values are rescaled (uint8 255 <-> float 1.0)."""

    batchable = True

    def __init__(self, dtype, scale=False):
        self.dtype, self.scale = dtype, scale

    def forward(self, img):
        if not isinstance(img, Tensor):
            return img
        dtype = self.dtype.get(Tensor, self.dtype.get("others")) if isinstance(self.dtype, dict) else self.dtype
        if dtype is None:
            return img
        target = np.dtype(_dtype.to_numpy_dtype(dtype))
        if self.scale and not np.issubdtype(img._data.dtype, np.floating) and np.issubdtype(target, np.floating):
            # NOTE: v2 multiplies by 1/max where v1's convert_image_dtype divides (they differ in the last bit)
            scale = target.type(1.0 / _F1.F_t._max_value(img._data.dtype))
            return Tensor._make(img._data.astype(target) * scale)
        if self.scale:
            return _F1.convert_image_dtype(img, dtype)
        return Tensor._make(img._data.astype(_dtype.to_numpy_dtype(dtype)))

    def batch(self, images):
        return self.forward(images)

    def __repr__(self):
        return f"{type(self).__name__}(scale={self.scale})"


class ToPureTensor(Transform):
    def forward(self, img):
        return img


# v2's containers take several inputs (``t(img, label)``) and hand them to each member together.
class Compose(_v1.Compose):
    """Applies ``transforms`` in order; several inputs travel through them together."""

    def __call__(self, *inputs):
        several = len(inputs) > 1
        for t in self.transforms:
            out = t(*inputs)
            inputs = out if several else (out,)
        return inputs if several else inputs[0]


class RandomApply(Compose):
    """Applies all of ``transforms`` with probability ``p``."""

    def __init__(self, transforms, p=0.5):
        super().__init__(transforms)
        self.p = p

    def __call__(self, *inputs):
        if self.p < _v1._rand():
            return inputs if len(inputs) > 1 else inputs[0]
        return super().__call__(*inputs)

    __repr__ = _v1.RandomApply.__repr__


class RandomChoice(_v1.RandomChoice):
    pass


class RandomOrder(_v1.RandomOrder):
    """Applies ``transforms`` in a random order."""

    def __call__(self, *inputs):
        several = len(inputs) > 1
        for i in _v1._randperm(len(self.transforms)):
            out = self.transforms[i](*inputs)
            inputs = out if several else (out,)
        return inputs if several else inputs[0]


class Lambda(Transform):
    """Applies ``lambd`` to every input (or only to inputs of ``types``)."""

    def __init__(self, lambd, *types):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd, self.types = lambd, types or (object,)

    def __call__(self, *inputs):
        out = tuple(self.lambd(x) if isinstance(x, self.types) else x for x in inputs)
        return out if len(out) > 1 else out[0]

    def __repr__(self):
        return f"{type(self).__name__}()"


InterpolationMode = _v1.InterpolationMode


# The v1 classes in v2 form: the same behaviour, applied to each image-like input.
class ToTensor(Transform, _v1.ToTensor):
    __doc__ = _v1.ToTensor.__doc__

    def forward(self, pic):
        return _v1.ToTensor.__call__(self, pic)


class PILToTensor(Transform, _v1.PILToTensor):
    __doc__ = _v1.PILToTensor.__doc__

    def forward(self, pic):
        return _v1.PILToTensor.__call__(self, pic)


class ConvertImageDtype(Transform, _v1.ConvertImageDtype):
    __doc__ = _v1.ConvertImageDtype.__doc__


class ToPILImage(Transform, _v1.ToPILImage):
    __doc__ = _v1.ToPILImage.__doc__

    def forward(self, pic):
        return _v1.ToPILImage.__call__(self, pic)


class Normalize(Transform, _v1.Normalize):
    __doc__ = _v1.Normalize.__doc__


class Resize(Transform, _v1.Resize):
    __doc__ = _v1.Resize.__doc__


class CenterCrop(Transform, _v1.CenterCrop):
    __doc__ = _v1.CenterCrop.__doc__


class Pad(Transform, _v1.Pad):
    __doc__ = _v1.Pad.__doc__


class RandomCrop(Transform, _v1.RandomCrop):
    __doc__ = _v1.RandomCrop.__doc__


class RandomHorizontalFlip(Transform, _v1.RandomHorizontalFlip):
    __doc__ = _v1.RandomHorizontalFlip.__doc__


class RandomVerticalFlip(Transform, _v1.RandomVerticalFlip):
    __doc__ = _v1.RandomVerticalFlip.__doc__


class RandomResizedCrop(Transform, _v1.RandomResizedCrop):
    __doc__ = _v1.RandomResizedCrop.__doc__


class FiveCrop(Transform, _v1.FiveCrop):
    __doc__ = _v1.FiveCrop.__doc__


class TenCrop(Transform, _v1.TenCrop):
    __doc__ = _v1.TenCrop.__doc__


class ColorJitter(Transform, _v1.ColorJitter):
    __doc__ = _v1.ColorJitter.__doc__


class RandomRotation(Transform, _v1.RandomRotation):
    __doc__ = _v1.RandomRotation.__doc__


class RandomAffine(Transform, _v1.RandomAffine):
    __doc__ = _v1.RandomAffine.__doc__


class Grayscale(Transform, _v1.Grayscale):
    __doc__ = _v1.Grayscale.__doc__


class RandomGrayscale(Transform, _v1.RandomGrayscale):
    __doc__ = _v1.RandomGrayscale.__doc__


class RandomErasing(Transform, _v1.RandomErasing):
    __doc__ = _v1.RandomErasing.__doc__


class GaussianBlur(Transform, _v1.GaussianBlur):
    __doc__ = _v1.GaussianBlur.__doc__


class RandomInvert(Transform, _v1.RandomInvert):
    __doc__ = _v1.RandomInvert.__doc__


class RandomPosterize(Transform, _v1.RandomPosterize):
    __doc__ = _v1.RandomPosterize.__doc__


class RandomSolarize(Transform, _v1.RandomSolarize):
    __doc__ = _v1.RandomSolarize.__doc__


class RandomAdjustSharpness(Transform, _v1.RandomAdjustSharpness):
    __doc__ = _v1.RandomAdjustSharpness.__doc__


class RandomAutocontrast(Transform, _v1.RandomAutocontrast):
    __doc__ = _v1.RandomAutocontrast.__doc__


class RandomEqualize(Transform, _v1.RandomEqualize):
    __doc__ = _v1.RandomEqualize.__doc__


class RandomPerspective(Transform, _v1.RandomPerspective):
    __doc__ = _v1.RandomPerspective.__doc__


class LinearTransformation(Transform, _v1.LinearTransformation):
    __doc__ = _v1.LinearTransformation.__doc__


from mytorch.vision.transforms.v2 import functional  # noqa: E402  (after the classes it builds on)
