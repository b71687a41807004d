"""FakeData: random images, the same ones for the same index, for tests and smoke runs."""
import numpy as np

from mytorch.vision.datasets.mnist import _pil_or_none
from mytorch.vision.datasets.vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W) with labels in [0, num_classes).

    Image ``i`` is drawn from its own generator seeded with ``i + random_offset`` (mytorch's global
    generator is left alone, as torchvision restores torch's); samples are PIL images when Pillow is
    installed, else uint8 (H, W[, C]) ndarrays.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = image_size, random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        rng = np.random.default_rng(int(index) + self.random_offset)
        img = rng.integers(0, 256, tuple(self.image_size), dtype=np.uint8).transpose(1, 2, 0)
        img = img[:, :, 0] if img.shape[2] == 1 else np.ascontiguousarray(img)
        target = int(rng.integers(0, self.num_classes))
        Image = _pil_or_none()
        if Image is not None:
            img = Image.fromarray(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.size
