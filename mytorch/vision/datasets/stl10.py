"""STL10 from its binary files (``root/stl10_binary/*.bin``), as torchvision's: 96 x 96 colour images."""
import os

import numpy as np

from mytorch.vision.datasets.mnist import _pil_or_none
from mytorch.vision.datasets.vision import VisionDataset

__all__ = ["STL10"]


class STL10(VisionDataset):
    """STL-10: 5,000 labelled training, 8,000 test and 100,000 unlabelled 96 x 96 images in 10 classes.

    Args:
        root: the folder holding ``stl10_binary/``.
        split: ``train``, ``train+unlabeled``, ``unlabeled`` or ``test``. Default: ``train``.
        folds: one of the ten predefined training folds (0-9), or all. Default: ``None``.
        transform, target_transform: as MNIST's. download: nothing is fetched (no network access).

    ``.data`` is a uint8 ndarray (N, 3, 96, 96), ``.labels`` int64 with -1 for unlabelled images.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
                  ["train_y.bin", "5a34089d4802c674881badbb80307741"],
                  ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"]]
    test_list = [["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"], ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"]]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root, split="train", folds=None, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are "
                             f"{{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split, self.folds = split, self._verify_folds(folds)
        if split in ("train", "train+unlabeled"):
            self.data, self.labels = self._load("train_X.bin", "train_y.bin")
            self._load_folds(folds)
            if split == "train+unlabeled":
                unlabeled, _ = self._load("unlabeled_X.bin")
                self.data = np.concatenate((self.data, unlabeled))
                self.labels = np.concatenate((self.labels, np.full(len(unlabeled), -1, np.int64)))
        elif split == "unlabeled":
            self.data, _ = self._load("unlabeled_X.bin")
            self.labels = np.full(len(self.data), -1, np.int64)
        else:
            self.data, self.labels = self._load("test_X.bin", "test_y.bin")
        class_file = os.path.join(self.root, self.base_folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    @staticmethod
    def _verify_folds(folds):
        if folds is None:
            return folds
        if isinstance(folds, int):
            if folds in range(10):
                return folds
            raise ValueError(f"Value for argument folds should be in the range [0, 10), but got {folds}.")
        raise ValueError(f"Expected type None or int for argument folds, but got type {type(folds)}.")

    def _path(self, name):
        path = os.path.join(self.root, self.base_folder, name)
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset not found: {path}. mytorch does not download (no network access): unpack "
                               f"{self.filename} (from {self.url}) into {self.root}")
        return path

    def _load(self, data_file, labels_file=None):
        """Images (N, 3, 96, 96) stored column-major per channel, and 1-based labels made 0-based."""
        labels = None
        if labels_file:
            labels = np.fromfile(self._path(labels_file), dtype=np.uint8).astype(np.int64) - 1
        everything = np.fromfile(self._path(data_file), dtype=np.uint8)
        if everything.size % (3 * 96 * 96):
            raise RuntimeError(f"{self._path(data_file)}: corrupt file, {everything.size} bytes is not a whole "
                               "number of 3 x 96 x 96 images")
        images = everything.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)
        if labels is not None and len(labels) != len(images):
            raise RuntimeError(f"{self._path(labels_file)}: {len(labels)} labels for {len(images)} images")
        return images, labels

    def _load_folds(self, folds):
        if folds is None:
            return
        with open(self._path(self.folds_list_file)) as f:
            index = np.array(f.read().splitlines()[folds].split(), dtype=np.int64)
        self.data, self.labels = self.data[index], self.labels[index]

    def __getitem__(self, index):
        img, target = self.data[index], int(self.labels[index])
        Image = _pil_or_none()
        img = Image.fromarray(np.ascontiguousarray(img.transpose(1, 2, 0))) if Image is not None \
            else np.ascontiguousarray(img.transpose(1, 2, 0))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.data.shape[0]

    def extra_repr(self):
        return "Split: {split}".format(**self.__dict__)
