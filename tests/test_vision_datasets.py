"""vision.datasets: MNIST-family idx datasets on small synthetic files (and the real MNIST in data/mnist),
folder datasets, FakeData; the array path without Pillow; torchvision's repr where it is installed."""
import gzip
import os
import sys
import warnings

import numpy as np
import pytest

import mytorch
from mytorch.utils.data import DataLoader
from mytorch.vision import datasets
from mytorch.vision import transforms as T
from mytorch.vision.datasets import mnist as mnist_module
from mytorch.vision.idx import IdxFormatError, read_idx

MNIST_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "mnist")
N_TRAIN, N_TEST = 12, 5


def _idx_bytes(array):
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_split(folder, prefix, n, seed, gz):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = _idx_bytes(array)
        if gz:
            with gzip.open(os.path.join(folder, name + ".gz"), "wb") as f:
                f.write(data)
        else:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    return images, labels


@pytest.fixture
def fake_root(tmp_path):
    """root/MNIST/raw with a gzipped train split and a raw test split (torchvision's layout)."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    train = _write_split(str(raw), "train", N_TRAIN, 0, gz=True)
    test = _write_split(str(raw), "t10k", N_TEST, 1, gz=False)
    return str(tmp_path), train, test


def test_data_targets_classes_and_samples(fake_root):
    root, (images, labels), _ = fake_root
    ds = datasets.MNIST(root, train=True)
    assert len(ds) == N_TRAIN
    assert isinstance(ds.data, mytorch.Tensor) and ds.data.dtype == mytorch.uint8 and ds.data.shape == (N_TRAIN, 28, 28)
    assert ds.targets.dtype == mytorch.int64 and ds.targets.tolist() == labels.tolist()
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.data.unsqueeze(1).shape == (N_TRAIN, 1, 28, 28)  # tutorials do this
    assert ds.classes[3] == "3 - three" and ds.class_to_idx["9 - nine"] == 9
    img, target = ds[4]
    assert img.mode == "L" and img.size == (28, 28) and np.array_equal(np.asarray(img), images[4])
    assert isinstance(target, int) and target == labels[4]
    test = datasets.MNIST(root, train=False)
    assert len(test) == N_TEST and "Split: Test" in repr(test)


def test_legacy_names_warn_and_alias(fake_root):
    root = fake_root[0]
    ds = datasets.MNIST(root, train=True)
    for name, field in (("train_data", "data"), ("test_data", "data"), ("train_labels", "targets"),
                        ("test_labels", "targets")):
        with pytest.warns(UserWarning, match=f"{name} has been renamed {field}"):
            assert getattr(ds, name) is getattr(ds, field)


def test_transforms_apply_and_the_batch_path_agrees(fake_root):
    root = fake_root[0]
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(root, train=True, transform=transform, target_transform=None)
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == mytorch.float32
    images, targets = ds.__getitems__([3, 0, 7])
    np.testing.assert_array_equal(images.numpy()[0], x.numpy())  # bit-identical, not just close
    assert targets.tolist()[0] == y
    xb, yb = next(iter(DataLoader(ds, batch_size=5, shuffle=False)))
    per_sample = np.stack([ds[i][0].numpy() for i in range(5)])
    np.testing.assert_array_equal(xb.numpy(), per_sample)
    # a PIL transform in the pipeline takes the per-sample path, same results as calling it per sample
    flip = datasets.MNIST(root, train=True, transform=T.Compose([T.RandomHorizontalFlip(p=1), T.ToTensor()]),
                          target_transform=lambda t: t + 100)
    xb, yb = next(iter(DataLoader(flip, batch_size=4)))
    np.testing.assert_array_equal(xb.numpy()[2, 0], fake_root[1][0][2][:, ::-1] / np.float32(255))
    assert yb.tolist() == [int(t) + 100 for t in fake_root[1][1][:4]]


def test_without_pillow_samples_are_arrays(fake_root, monkeypatch):
    """The MNIST path runs without Pillow: samples are uint8 arrays and ToTensor/Normalize/RandomCrop work."""
    root, (images, _), _ = fake_root
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    monkeypatch.setattr(mnist_module, "_PIL", [])
    ds = datasets.MNIST(root, train=True)
    img, _ = ds[2]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and np.array_equal(img, images[2])
    mytorch.manual_seed(0)
    aug = datasets.MNIST(root, train=True, transform=T.Compose([T.RandomCrop(28, padding=2), T.ToTensor(),
                                                                T.Normalize((0.5,), (0.5,))]))
    assert aug[0][0].shape == (1, 28, 28)
    with pytest.raises(ImportError, match=r"pip install mytorch-im2col\[vision\]"):
        T.ToPILImage()(img)
    monkeypatch.setattr(mnist_module, "_PIL", [])


def test_missing_files_say_where_and_what(tmp_path):
    with pytest.raises(RuntimeError, match=r"Dataset not found: train-images-idx3-ubyte\[\.gz\].*MNIST/raw"):
        datasets.MNIST(str(tmp_path), train=True)
    with pytest.raises(RuntimeError, match=r"does not download.*FashionMNIST/raw: train-images-idx3-ubyte\.gz"):
        datasets.FashionMNIST(str(tmp_path), train=True, download=True)
    assert not os.path.exists(tmp_path / "FashionMNIST")  # nothing created, nothing fetched


def test_files_directly_under_root_and_other_classes(tmp_path):
    """This repository's data/mnist layout: the idx files directly under root; FashionMNIST/KMNIST read
    their own root/<ClassName>/raw."""
    _write_split(str(tmp_path), "t10k", 3, 2, gz=False)
    assert len(datasets.MNIST(str(tmp_path), train=False)) == 3
    for cls in (datasets.FashionMNIST, datasets.KMNIST):
        raw = tmp_path / cls.__name__ / "raw"
        raw.mkdir(parents=True)
        _write_split(str(raw), "t10k", 4, 3, gz=True)
        ds = cls(str(tmp_path), train=False)
        assert len(ds) == 4 and len(ds.classes) == 10 and ds.raw_folder == str(raw)


def test_corrupt_gzip_says_corrupt(fake_root):
    root = fake_root[0]
    path = os.path.join(root, "MNIST", "raw", "train-images-idx3-ubyte.gz")
    blob = open(path, "rb").read()
    for damaged in (blob[:len(blob) // 2], blob[:20] + bytes(len(blob) - 20), b"\x1f\x8b" + b"garbage" * 9):
        with open(path, "wb") as f:
            f.write(damaged)
        with pytest.raises(IdxFormatError, match="corrupt gzip file") as info:
            datasets.MNIST(root, train=True)
        assert path in str(info.value)


def test_crafted_header_sizes_are_refused(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + (2 ** 31).to_bytes(4, "big") * 3 + b"\x00" * 16)
    with pytest.raises(IdxFormatError, match="corrupt idx file.*truncated"):
        read_idx(str(path))


def test_real_mnist_test_split():
    ds = datasets.MNIST(MNIST_ROOT, train=False, transform=T.ToTensor())
    assert len(ds) == 10000 and np.bincount(ds.targets.numpy()).tolist()[:3] == [980, 1135, 1032]
    assert abs(float(ds.data.numpy().mean()) - 33.791) < 1e-3
    x, y = ds[0]
    assert y == 7 and x.shape == (1, 28, 28) and 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 1


def test_repr_matches_torchvision(fake_root):
    tv = pytest.importorskip("torchvision")
    import torchvision.transforms as tvT
    root = fake_root[0]
    raw = os.path.join(root, "MNIST", "raw")
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):  # torchvision wants them unpacked
        with gzip.open(os.path.join(raw, name + ".gz")) as f, open(os.path.join(raw, name), "wb") as out:
            out.write(f.read())
    ours = datasets.MNIST(root, train=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]),
                          target_transform=T.Lambda(int))
    theirs = tv.datasets.MNIST(root, train=False, target_transform=tvT.Lambda(int),
                               transform=tvT.Compose([tvT.ToTensor(), tvT.Normalize((0.5,), (0.5,))]))
    assert repr(ours) == repr(theirs)
    assert ours.targets.tolist() == theirs.targets.tolist()
    np.testing.assert_array_equal(ours[2][0].numpy(), theirs[2][0].numpy())


# ---------------------------------------------------------------------------- folders, FakeData
@pytest.fixture
def image_tree(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(5)
    layout = {"dog": ["b.png", "a.jpg", "sub/c.png", "notes.txt"], "cat": ["z.PNG"], "bird": ["x.jpeg"]}
    for cls, files in layout.items():
        for name in files:
            path = tmp_path / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
            else:
                Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(
                    path, format="JPEG" if name.lower().endswith(("jpg", "jpeg")) else "PNG")
    return tmp_path


def test_image_folder(image_tree):
    pytest.importorskip("PIL")
    ds = datasets.ImageFolder(str(image_tree), transform=T.ToTensor())
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    names = [os.path.relpath(p, image_tree) for p, _ in ds.samples]
    assert names == ["bird/x.jpeg", "cat/z.PNG", "dog/a.jpg", "dog/b.png", "dog/sub/c.png"]
    assert ds.targets == [0, 1, 2, 2, 2] and ds.imgs is ds.samples and len(ds) == 5
    x, y = ds[3]
    assert x.shape == (3, 6, 5) and y == 2
    from PIL import Image
    pixels = np.asarray(Image.open(ds.samples[3][0])).transpose(2, 0, 1)
    np.testing.assert_array_equal(x.numpy(), pixels / np.float32(255))
    batch, labels = next(iter(DataLoader(ds, batch_size=5)))
    assert batch.shape == (5, 3, 6, 5) and labels.tolist() == [0, 1, 2, 2, 2]


def test_dataset_folder_loader_extensions_and_errors(image_tree):
    ds = datasets.DatasetFolder(str(image_tree), loader=os.path.getsize, extensions=(".txt",), allow_empty=True)
    assert [os.path.basename(p) for p, _ in ds.samples] == ["notes.txt"] and ds[0][0] == len("not an image")
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes bird, cat"):
        datasets.DatasetFolder(str(image_tree), loader=os.path.getsize, extensions=(".txt",))
    only_png = datasets.DatasetFolder(str(image_tree), loader=os.path.basename,
                                      is_valid_file=lambda p: p.endswith(".png"), allow_empty=True)
    assert [s for s, _ in (only_png[i] for i in range(len(only_png)))] == ["b.png", "c.png"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(str(image_tree), loader=open)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(str(image_tree / "cat"))


def test_fake_data():
    pytest.importorskip("PIL")
    ds = datasets.FakeData(size=6, image_size=(3, 8, 10), num_classes=4, transform=T.ToTensor())
    x, y = ds[2]
    assert x.shape == (3, 8, 10) and 0 <= y < 4 and len(ds) == 6
    np.testing.assert_array_equal(ds[2][0].numpy(), x.numpy())  # the same image for the same index
    assert not np.array_equal(ds[3][0].numpy(), x.numpy())
    assert datasets.FakeData(2, (1, 5, 5))[0][0].mode == "L"
    with pytest.raises(IndexError):
        ds[6]


def test_warnings_are_not_raised_on_normal_use(fake_root):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = datasets.MNIST(fake_root[0], train=True, transform=T.ToTensor())
        ds[0], ds.data, ds.targets


# ---------------------------------------------------------------------------- CIFAR (restricted unpickling)
def _cifar_files(folder, n_per_batch=3, seed=0):
    import pickle
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    batches = {}
    for name in ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n_per_batch).tolist()
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({"batch_label": name, "labels": labels, "data": data, "filenames": ["x.png"] * n_per_batch},
                        f, protocol=2)
        batches[name] = (data, labels)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                                     "truck"], "num_cases_per_batch": n_per_batch}, f, protocol=2)
    return batches


def test_cifar10_from_batch_files_and_archive(tmp_path):
    import tarfile
    batches = _cifar_files(str(tmp_path / "cifar-10-batches-py"))
    ds = datasets.CIFAR10(str(tmp_path), train=True, transform=T.ToTensor())
    assert len(ds) == 15 and ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.targets[:3] == batches["data_batch_1"][1] and ds.classes[9] == "truck" and ds.class_to_idx["cat"] == 3
    x, y = ds[1]
    np.testing.assert_array_equal(x.numpy(), batches["data_batch_1"][0][1].reshape(3, 32, 32) / np.float32(255))
    test = datasets.CIFAR10(str(tmp_path), train=False)
    assert len(test) == 3 and test[0][0].size == (32, 32) and "Split: Test" in repr(test)
    packed = tmp_path / "packed"
    packed.mkdir()
    with tarfile.open(packed / "cifar-10-python.tar.gz", "w:gz") as tar:  # read from the archive, not unpacked
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    from_archive = datasets.CIFAR10(str(packed), train=False)
    np.testing.assert_array_equal(from_archive.data, test.data)
    assert sorted(os.listdir(packed)) == ["cifar-10-python.tar.gz"]
    with pytest.raises(RuntimeError, match="does not download.*cifar-10-python.tar.gz"):
        datasets.CIFAR10(str(tmp_path / "empty"), download=True)


def test_cifar_pickles_cannot_run_code(tmp_path):
    import pickle
    folder = tmp_path / "cifar-10-batches-py"
    _cifar_files(str(folder))

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))
    (folder / "test_batch").write_bytes(pickle.dumps({"data": Payload(), "labels": [1]}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load global (posix|os|nt)\.system"):
        datasets.CIFAR10(str(tmp_path), train=False)
    assert not (tmp_path / "pwned").exists()
    (folder / "test_batch").write_bytes(pickle.dumps({"data": np.zeros((2, 5), np.uint8), "labels": [1, 2]}))
    with pytest.raises(RuntimeError, match=r"expected uint8 data \(N, 3072\)"):
        datasets.CIFAR10(str(tmp_path), train=False)
    (folder / "test_batch").write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8)})[:40])
    with pytest.raises(RuntimeError, match="corrupt CIFAR batch file"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_emnist_splits(tmp_path):
    folder = tmp_path / "EMNIST" / "raw" / "gzip"
    folder.mkdir(parents=True)
    images, labels = _write_split(str(folder), "emnist-letters-test", 4, 9, gz=True)
    ds = datasets.EMNIST(str(tmp_path), split="letters", train=False)
    assert len(ds) == 4 and ds.classes[:3] == ["N/A", "a", "b"] and ds.targets.tolist() == labels.tolist()
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(RuntimeError, match=r"emnist-letters-train-images-idx3-ubyte\[\.gz\]"):
        datasets.EMNIST(str(tmp_path), split="letters", train=True)
    with pytest.raises(ValueError, match="Unknown value 'upper' for argument split"):
        datasets.EMNIST(str(tmp_path), split="upper")


def test_v2_pipeline_takes_the_batch_path_with_the_same_values(fake_root):
    from mytorch.vision.transforms import v2
    transform = v2.Compose([v2.ToImage(), v2.ToDtype(mytorch.float32, scale=True), v2.Normalize([0.5], [0.5])])
    assert transform.batchable
    ds = datasets.MNIST(fake_root[0], train=True, transform=transform)
    images, _ = ds.__getitems__([1, 4])
    np.testing.assert_array_equal(images.numpy()[1], ds[4][0].numpy())


def test_legacy_processed_files(tmp_path):
    """torchvision's old root/MNIST/processed/{training,test}.pt (torch.save'd tensors) are read, as there."""
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    for name in ("training.pt", "test.pt"):
        mytorch.save((mytorch.from_numpy(images), mytorch.tensor([3, 1, 4, 1])), str(processed / name))
    ds = datasets.MNIST(str(tmp_path), train=False)
    assert ds.data.dtype == mytorch.uint8 and np.array_equal(ds.data.numpy(), images)
    assert ds.targets.dtype == mytorch.int64 and ds.targets.tolist() == [3, 1, 4, 1] and ds[2][1] == 4


def test_image_folder_matches_torchvision(image_tree):
    tv = pytest.importorskip("torchvision")
    import torchvision.transforms as tvT
    ours = datasets.ImageFolder(str(image_tree), transform=T.Compose([T.Resize(4), T.ToTensor()]))
    theirs = tv.datasets.ImageFolder(str(image_tree), transform=tvT.Compose([tvT.Resize(4), tvT.ToTensor()]))
    assert ours.samples == theirs.samples and ours.classes == theirs.classes and repr(ours) == repr(theirs)
    for i in range(len(ours)):
        np.testing.assert_array_equal(ours[i][0].numpy(), theirs[i][0].numpy())


def test_corrupt_cifar_archive_says_corrupt(tmp_path):
    import tarfile
    _cifar_files(str(tmp_path / "src" / "cifar-10-batches-py"))
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    blob = archive.read_bytes()
    archive.write_bytes(blob[:len(blob) // 2])
    with pytest.raises(RuntimeError, match="corrupt archive"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_cifar_batch_path_agrees_with_samples(tmp_path):
    _cifar_files(str(tmp_path / "cifar-10-batches-py"))
    ds = datasets.CIFAR10(str(tmp_path), train=True, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,) * 3,
                                                                                                     (0.25,) * 3)]))
    images, targets = ds.__getitems__([4, 0, 9])
    assert images.shape == (3, 3, 32, 32) and targets.tolist() == [ds.targets[i] for i in (4, 0, 9)]
    np.testing.assert_array_equal(images.numpy()[0], ds[4][0].numpy())
    xb, yb = next(iter(DataLoader(ds, batch_size=6)))
    np.testing.assert_array_equal(xb.numpy(), np.stack([ds[i][0].numpy() for i in range(6)]))
    assert isinstance(datasets.CIFAR10(str(tmp_path), transform=T.RandomHorizontalFlip()).__getitems__([0, 1]), list)


def test_mnist_download_copies_the_bundled_files(tmp_path):
    """No network: MNIST(download=True) copies the repository's data/mnist into root/MNIST/raw, as
    torchvision's download would place the files."""
    with pytest.raises(RuntimeError, match="download=True copies this repository's copy"):
        datasets.MNIST(str(tmp_path), train=False)
    ds = datasets.MNIST(str(tmp_path), train=False, download=True)
    assert len(ds) == 10000 and ds.targets.tolist()[:3] == [7, 2, 1]
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(name for name, _ in datasets.MNIST.resources)  # no partial files
    assert (raw / "t10k-labels-idx1-ubyte.gz").read_bytes() == open(
        os.path.join(MNIST_ROOT, "t10k-labels-idx1-ubyte.gz"), "rb").read()
    assert len(datasets.MNIST(str(tmp_path), train=True, download=True)) == 60000  # already there: no copy


def test_idx_reader_stops_at_what_the_header_announces(tmp_path):
    """A tiny .gz that expands to 64 MiB behind a 2-label header is refused without being expanded."""
    path = tmp_path / "bomb-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"\x01\x02")
        block = bytes(1 << 20)
        for _ in range(64):
            f.write(block)
    assert path.stat().st_size < 200_000
    with pytest.raises(IdxFormatError, match="trailing data"):
        read_idx(str(path))
    ok = tmp_path / "ok-labels-idx1-ubyte"
    ok.write_bytes(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"\x01\x02")
    assert read_idx(str(ok)).tolist() == [1, 2]


def test_stl10_binary_files(tmp_path):
    folder = tmp_path / "stl10_binary"
    folder.mkdir()
    rng = np.random.default_rng(4)
    chw = {name: rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8) for name, n in (("train", 3), ("test", 2),
                                                                                      ("unlabeled", 2))}
    for name, images in chw.items():  # stored column-major per channel: (N, 3, W, H)
        (folder / f"{name}_X.bin").write_bytes(images.transpose(0, 1, 3, 2).tobytes())
    (folder / "train_y.bin").write_bytes(bytes([1, 10, 4]))
    (folder / "test_y.bin").write_bytes(bytes([2, 2]))
    (folder / "class_names.txt").write_text("\n".join(f"c{i}" for i in range(10)))
    (folder / "fold_indices.txt").write_text("0 2\n" * 10)
    ds = datasets.STL10(str(tmp_path), split="train", transform=T.ToTensor())
    assert len(ds) == 3 and ds.labels.tolist() == [0, 9, 3] and ds.classes[9] == "c9"
    np.testing.assert_array_equal(ds[1][0].numpy(), chw["train"][1] / np.float32(255))
    assert datasets.STL10(str(tmp_path), split="train", folds=0).labels.tolist() == [0, 3]
    both = datasets.STL10(str(tmp_path), split="train+unlabeled")
    assert len(both) == 5 and both.labels.tolist()[-2:] == [-1, -1] and both[4][1] == -1
    assert datasets.STL10(str(tmp_path), split="test")[0][0].size == (96, 96)
    with pytest.raises(ValueError, match="Unknown value 'val'"):
        datasets.STL10(str(tmp_path), split="val")
    with pytest.raises(RuntimeError, match="does not download"):
        datasets.STL10(str(tmp_path / "none"))
