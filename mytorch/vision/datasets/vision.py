"""VisionDataset: the base of every dataset here (root, transforms, torchvision's repr)."""
import os

import numpy as np

from mytorch.tensor import Tensor
from mytorch.utils.data import Dataset

__all__ = ["VisionDataset", "StandardTransform", "batch_getitems"]


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform=None, target_transform=None):
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    @staticmethod
    def _format(transform, head):
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self):
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """Base class: ``root`` (``~`` expanded), and either ``transforms`` (a callable on (input,
    target)) or ``transform``/``target_transform``, as torchvision's."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform, self.target_transform = transform, target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body.append(repr(self.transforms))  # NOTE: one entry, so only its first line is indented (torchvision)
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in body])


def batch_getitems(dataset, base_getitem, indices, images, targets):
    """``__getitems__`` of an array-backed dataset: (images, targets) of the whole batch, made with one
    fancy index and one ``transform.batch`` pass, when that gives what ``__getitem__`` per sample gives:
    the transform is ``batchable`` (ToTensor, Normalize, ConvertImageDtype, ...), there is no
    target_transform and ``__getitem__`` is not overridden (``base_getitem``). Otherwise a list of samples.

    Args:
        images: the (N, H, W[, C]) uint8 array. targets: the (N,) int64 array.
    """
    from mytorch.utils import data

    batched = getattr(data, "Batched", None)
    transform = dataset.transform
    if (batched is None or type(dataset).__getitem__ is not base_getitem or dataset.target_transform is not None
            or transform is None or not getattr(transform, "batchable", False)):
        return [dataset[int(i)] for i in indices]
    index = np.asarray(indices, dtype=np.int64)
    return batched((transform.batch(images[index]), Tensor._make(targets[index])))
