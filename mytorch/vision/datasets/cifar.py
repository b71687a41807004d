"""CIFAR10 and CIFAR100 from their python-pickle batch files, read without running any pickled code.

The batches are pickles: a plain ``pickle.load`` would run whatever a crafted file names. They are
read here by an unpickler that resolves only the three NumPy names an ndarray's pickle uses
(ndarray, dtype and its reconstruct function; and latin-1 ``_codecs.encode``, which
protocol-2 pickles of bytes call) and refuses every other global with an error naming
it; the result is then checked for the expected keys, dtypes and shapes.

Files are taken from torchvision's ``root/cifar-10-batches-py`` (``cifar-100-python``) folder, or
read straight out of the ``.tar.gz`` archive in ``root`` without unpacking it. Nothing is fetched
from the network. As in torchvision, ``.data`` is a uint8 ndarray (N, 32, 32, 3) and ``.targets``
a list of ints. With a batchable transform (ToTensor + Normalize) a DataLoader batch is made in one pass.
"""
import io
import os
import pickle
import tarfile
import zlib

import numpy as np

from mytorch.vision.datasets.mnist import _pil_or_none
from mytorch.vision.datasets.vision import VisionDataset, batch_getitems

__all__ = ["CIFAR10", "CIFAR100"]

_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's ndarray reconstruct function, wherever numpy keeps it


def _latin1_encode(text, encoding="latin1"):
    """What protocol-2 pickles of bytes call (``_codecs.encode``), limited to the byte-preserving codec."""
    if encoding != "latin1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


_ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT, ("_codecs", "encode"): _latin1_encode,
            ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
            ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle named a global outside the allowed NumPy names."""


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise RefusedGlobal(f"refusing to load global {module}.{name}: a CIFAR batch holds only "
                                         "dicts, lists, numbers, strings and NumPy arrays") from None


def safe_load_batch(data, source):
    """The dict pickled in ``data`` (bytes), built without running code; ``source`` names it in errors."""
    try:
        entry = _ArrayOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except RefusedGlobal as e:
        raise RefusedGlobal(f"{source}: {e}") from e
    except Exception as e:  # truncated or damaged pickles raise EOFError, ValueError, ...
        raise RuntimeError(f"{source}: corrupt CIFAR batch file ({type(e).__name__}: {e})") from e
    if not isinstance(entry, dict):
        raise RuntimeError(f"{source}: expected a dict, got {type(entry).__name__}")
    return entry


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32 x 32 colour images in 10 classes.

    Args:
        root: folder holding ``cifar-10-batches-py/`` or ``cifar-10-python.tar.gz``.
        train: the training batches, else the test batch. Default: ``True``.
        transform, target_transform: applied to each image (PIL image, or ndarray without Pillow) /
            label. Default: ``None``.
        download: nothing is fetched (no network access); missing files raise an error saying what to
            put where. Default: ``False``.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        files = self.train_list if train else self.test_list
        data, self.targets = [], []
        for name, _ in files:
            entry = self._load(name)
            if "data" not in entry or not any(k in entry for k in ("labels", "fine_labels")):
                raise RuntimeError(f"{self._source(name)}: not a CIFAR batch (keys {sorted(entry)})")
            images = np.asarray(entry["data"])
            labels = entry["labels"] if "labels" in entry else entry["fine_labels"]
            if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != 3 * 32 * 32 \
                    or len(labels) != len(images):
                raise RuntimeError(f"{self._source(name)}: expected uint8 data (N, 3072) and N labels, got "
                                   f"{images.dtype} {list(images.shape)} and {len(labels)} labels")
            data.append(images)
            self.targets.extend(int(t) for t in labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self.classes = list(self._load(self.meta["filename"])[self.meta["key"]])
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        if self.targets and not 0 <= min(self.targets) <= max(self.targets) < len(self.classes):
            raise RuntimeError(f"{self._source(files[0][0])}: labels outside 0..{len(self.classes) - 1}")

    def _source(self, name):
        folder = os.path.join(self.root, self.base_folder)
        return os.path.join(folder, name) if os.path.isdir(folder) else os.path.join(self.root, self.filename)

    def _load(self, name):
        path = os.path.join(self.root, self.base_folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return safe_load_batch(f.read(), path)
        archive = os.path.join(self.root, self.filename)
        if os.path.isfile(archive):
            try:
                with tarfile.open(archive, "r:gz") as tar:
                    try:
                        member = tar.extractfile(f"{self.base_folder}/{name}")
                    except KeyError:
                        member = None
                    data = member.read() if member is not None else None
            except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
                raise RuntimeError(f"{archive}: corrupt archive ({type(e).__name__}: {e}); delete it and put a "
                                   "complete copy in its place") from e
            if data is not None:
                return safe_load_batch(data, f"{archive}:{self.base_folder}/{name}")
        names = [n for n, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        raise RuntimeError(f"Dataset not found: {name} in {os.path.dirname(path)} or in {archive}. mytorch does not "
                           f"download (no network access): put {self.filename} (from {self.url}) in {self.root}, or "
                           f"its files ({', '.join(names)}) in {os.path.dirname(path)}")

    def _check_integrity(self):
        try:
            for name, _ in self.train_list + self.test_list:
                self._load(name)
        except RuntimeError:
            return False
        return True

    def download(self):
        """Nothing is fetched; raises with instructions when files are missing."""
        for name, _ in self.train_list + self.test_list:
            self._load(name)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        Image = _pil_or_none()
        img = Image.fromarray(img) if Image is not None else img.copy()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices):
        """A batch at once when the transform allows it (see :func:`batch_getitems`)."""
        return batch_getitems(self, CIFAR10.__getitem__, indices, self.data, np.asarray(self.targets, np.int64))

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: as CIFAR10 with 100 classes (the fine labels)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
