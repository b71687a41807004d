"""MNIST and FashionMNIST from idx files (raw or gzipped), as torchvision's datasets.

Samples are (image, label): the image a uint8 (28, 28) ndarray passed through ``transform``
(torchvision hands a PIL image; ToTensor accepts either), the label an int. ``__getitems__`` builds
a whole batch with one fancy index (and one vectorized transform when the pipeline allows it).
"""
import hashlib
import os
import tempfile
import urllib.request

import numpy as np

from mytorch.tensor import Tensor
from mytorch.utils.data import Batched, Dataset
from mytorch.vision.idx import IdxFormatError, find, read_idx

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(Dataset):
    """MNIST digits.

    Args:
        root: folder with the four idx files (or torchvision's ``root/MNIST/raw`` layout).
        train: the 60,000 training images, else the 10,000 test images. Default: ``True``.
        transform, target_transform: applied to each image / label. Default: ``None``.
        download: fetch missing files from the public mirrors, verifying their MD5. Default: ``False``.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root, self.train = os.path.expanduser(str(root)), train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        paths = [find(self.root, n) or find(os.path.join(self.root, type(self).__name__, "raw"), n) for n in names]
        if None in paths and download:
            self.download()
            paths = [find(self.root, n) or find(os.path.join(self.root, type(self).__name__, "raw"), n) for n in names]
        if None in paths:
            missing = [n for n, p in zip(names, paths) if p is None]
            folders = [self.root, os.path.join(self.root, type(self).__name__, "raw")]
            raise RuntimeError(f"Dataset not found: {', '.join(m + '[.gz]' for m in missing)} in "
                               f"{' or '.join(folders)}. You can use download=True to download it")
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or images.dtype != np.uint8:
            raise IdxFormatError(f"{paths[0]}: expected uint8 images (N, H, W), got {images.dtype} {list(images.shape)}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise IdxFormatError(f"{paths[1]}: {len(labels)} labels for {len(images)} images in {paths[0]}")
        self.data = images
        self.targets = Tensor._make(labels.astype(np.int64))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        if self.target_transform is not None or not (self.transform is None or getattr(self.transform, "batchable", False)):
            return [self[i] for i in index]
        images = self.data[index]
        images = Tensor._make(images) if self.transform is None else self.transform.batch(images)
        return Batched((images, Tensor._make(self.targets._data[index])))

    def download(self):
        """Fetches missing files into ``root/<Class>/raw``, verifying each MD5; a file appears only
        when complete (written to a temporary file, then renamed)."""
        folder = os.path.join(self.root, type(self).__name__, "raw")
        os.makedirs(folder, exist_ok=True)
        for name, md5 in self.resources:
            target = os.path.join(folder, name)
            if os.path.exists(target):
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    with urllib.request.urlopen(mirror + name, timeout=30) as response:
                        payload = response.read()
                except OSError as e:
                    errors.append(f"{mirror}{name}: {e}")
                    continue
                digest = hashlib.md5(payload).hexdigest()
                if digest != md5:
                    errors.append(f"{mirror}{name}: MD5 {digest} != expected {md5}")
                    continue
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=name + ".", suffix=".part")
                with os.fdopen(fd, "wb") as f:
                    f.write(payload)
                os.replace(tmp, target)
                break
            else:
                raise RuntimeError(f"could not download {name}: " + "; ".join(errors))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: {self.root}\n"
                f"    {self.extra_repr()}")


class FashionMNIST(MNIST):
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
