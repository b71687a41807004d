"""MNIST, FashionMNIST and KMNIST from their idx files (raw or gzipped), as torchvision's datasets.

``.data`` is a uint8 Tensor (N, 28, 28) and ``.targets`` an int64 Tensor. A sample is (image, int):
a PIL image of mode 'L' when Pillow is installed (as torchvision), else a uint8 (28, 28) ndarray,
so the MNIST path runs without Pillow. ``__getitems__`` builds a whole batch with one fancy index
and one vectorized pass when the transform allows it (``Compose.batchable``: ToTensor, Normalize,
ConvertImageDtype), giving the same values as one call per sample.

Files are looked for, raw or ``.gz``, in torchvision's ``root/<ClassName>/raw``, then in ``root``
itself (this repository's ``data/mnist`` layout). Nothing is fetched from the network: for MNIST,
``download=True`` copies the copy this repository ships (``data/mnist``) into ``root/MNIST/raw``, as
torchvision's download would place the files; otherwise it raises an error naming the folders
searched and the files to put there.
"""
import os
import shutil
import string
import tempfile
import warnings

import numpy as np

from mytorch.tensor import Tensor
from mytorch.vision.datasets.vision import VisionDataset, batch_getitems
from mytorch.vision.idx import IdxFormatError, find, read_idx

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST"]

# MNIST as this repository ships it (gzipped idx files): what MNIST(download=True) copies
_BUNDLED_MNIST = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "data", "mnist")

_PIL = []  # [PIL.Image or None], filled on first use: importing Pillow per sample would cost more


def _pil_or_none():
    if not _PIL:
        try:
            from PIL import Image
        except ImportError:
            Image = None
        _PIL.append(Image)
    return _PIL[0]


class MNIST(VisionDataset):
    """MNIST digits (60,000 training and 10,000 test images, 28 x 28).

    Args:
        root: folder holding ``MNIST/raw/`` (torchvision's layout) or the idx files themselves.
        train: the training split, else the test split. Default: ``True``.
        transform: applied to each image (PIL image, or ndarray without Pillow). Default: ``None``.
        target_transform: applied to each label. Default: ``None``.
        download: nothing is fetched from the network; missing MNIST files are copied from the copy
            this repository ships, and for other datasets the error says where the files were looked for
            and what to put there. Default: ``False``.

    Example::

        >>> ds = MNIST("data/mnist", train=False, transform=transforms.ToTensor())
        >>> img, label = ds[0]      # img: Tensor (1, 28, 28) in [0, 1], label: 7
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    bundled = _BUNDLED_MNIST  # a local folder holding the resources, or None
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():  # torchvision's old processed/training.pt + test.pt, preferred as there
            self.data, self.targets = self._load_legacy_data()
            return
        names = self._file_names()
        paths = [find(self.root, name, self._folders()) for name in names]
        if None in paths and download:
            self.download()
            paths = [find(self.root, name, self._folders()) for name in names]
        if None in paths:
            self._missing([n for n, p in zip(names, paths) if p is None], download)
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or images.dtype != np.uint8:
            raise IdxFormatError(f"{paths[0]}: expected uint8 images (N, H, W), got {images.dtype} "
                                 f"{list(images.shape)}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise IdxFormatError(f"{paths[1]}: {len(labels)} labels for {len(images)} images in {paths[0]}")
        self.data = Tensor._make(images)
        self.targets = Tensor._make(labels.astype(np.int64))

    def _check_legacy_exist(self):
        return all(os.path.isfile(os.path.join(self.processed_folder, name))
                   for name in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        """(data, targets) from a processed ``.pt`` file (torch.save'd tensors, read with weights_only=True)."""
        from mytorch.serialization import load
        path = os.path.join(self.processed_folder, self.training_file if self.train else self.test_file)
        loaded = load(path, weights_only=True)
        if not (isinstance(loaded, (tuple, list)) and len(loaded) == 2
                and all(isinstance(t, Tensor) for t in loaded) and loaded[0].ndim == 3
                and len(loaded[0]) == len(loaded[1])):
            raise RuntimeError(f"{path}: expected a (data (N, H, W), targets (N,)) pair of tensors")
        data, targets = loaded
        return Tensor._make(np.ascontiguousarray(data._data, np.uint8)), \
            Tensor._make(np.ascontiguousarray(targets._data, np.int64))

    def _file_names(self):
        """The (images, labels) idx file names of the chosen split, without '.gz'."""
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _folders(self):
        return [self.raw_folder, self.root]

    def _check_exists(self):
        return all(find(self.root, os.path.splitext(name)[0], self._folders()) for name, _ in self.resources)

    def _missing(self, missing, download):
        looked = " and ".join(self._folders())
        wanted = ", ".join(f"{name}[.gz]" for name in missing)
        if not download:
            hint = ("download=True copies this repository's copy" if self._bundled_complete()
                    else "download=True explains where to get them")
            raise RuntimeError(f"Dataset not found: {wanted} in {looked}. Put the files there (raw or gzipped); "
                               f"{hint}")
        sources = " or ".join(self.mirrors)
        raise RuntimeError(f"Dataset not found: {wanted} in {looked}, and mytorch does not download (no network "
                           f"access). Put these files, raw or gzipped, into {self.raw_folder}: "
                           f"{', '.join(name for name, _ in self.resources)} (published at {sources}, "
                           "with their MD5s in this class's `resources`)")

    def _bundled_complete(self):
        return self.bundled is not None and all(os.path.isfile(os.path.join(self.bundled, name))
                                                for name, _ in self.resources)

    def download(self):
        """Makes the files present without the network: copies the bundled copy (MNIST) into
        ``raw_folder``, each file appearing only when complete; else raises with instructions."""
        if self._check_exists():
            return
        if not self._bundled_complete():
            self._missing([os.path.splitext(name)[0] for name, _ in self.resources
                           if not find(self.root, os.path.splitext(name)[0], self._folders())], True)
        os.makedirs(self.raw_folder, exist_ok=True)
        for name, _ in self.resources:
            if find(self.root, os.path.splitext(name)[0], self._folders()):
                continue
            fd, tmp = tempfile.mkstemp(dir=self.raw_folder, prefix=name + ".", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out, open(os.path.join(self.bundled, name), "rb") as src:
                    shutil.copyfileobj(src, out)
                os.replace(tmp, os.path.join(self.raw_folder, name))
            except BaseException:
                os.unlink(tmp)
                raise

    def __len__(self):
        return len(self.data._data)

    def __getitem__(self, index):
        img, target = self.data._data[index], int(self.targets._data[index])
        Image = _pil_or_none()
        img = Image.fromarray(img) if Image is not None else img.copy()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices):
        """A batch at once (see :func:`batch_getitems`)."""
        return batch_getitems(self, MNIST.__getitem__, indices, self.data._data, self.targets._data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"

    # the names torchvision keeps for old scripts, each with its deprecation warning
    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28 x 28 grey images of 10 kinds of clothing (MNIST's file format)."""

    bundled = None
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28 x 28 images of 10 cursive Japanese characters (MNIST's file format)."""

    bundled = None
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """Extended MNIST: handwritten digits and letters in six splits (byclass, bymerge, balanced, letters,
    digits, mnist), from the ``emnist-<split>-<train|test>-*-ubyte[.gz]`` files of NIST's gzip.zip, found in
    ``root/EMNIST/raw`` (or its ``gzip/`` sub-folder). As torchvision, images are left as stored (transposed).
    """

    bundled = None
    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    mirrors = [url]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes), "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes), "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits), "mnist": list(string.digits)}

    def __init__(self, root, split, **kwargs):
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are "
                             f"{{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split = split
        self.classes = self.classes_split_dict[split]
        self.resources = [(f"emnist-{split}-{part}-{kind}-ubyte.gz", None) for part in ("train", "test")
                          for kind in ("images-idx3", "labels-idx1")]
        super().__init__(root, **kwargs)

    def _file_names(self):
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _folders(self):
        return [self.raw_folder, os.path.join(self.raw_folder, "gzip"), self.root]
