"""utils.data, vision datasets and transforms, and the idx reader's error messages."""
import gzip
import os
import shutil

import numpy as np
import pytest

import mytorch
from mytorch.utils.data import DataLoader, Subset, TensorDataset, default_collate, random_split
from mytorch.vision import datasets, transforms
from mytorch.vision.idx import IdxFormatError, read_idx
from conftest import requires_torch, torch

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "mnist")


@pytest.fixture(scope="module")
def mnist_test():
    return datasets.MNIST(ROOT, train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]))


def test_mnist_files_match_the_published_counts():
    for train, n, mean, counts in ((True, 60000, 33.318, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]),
                                   (False, 10000, 33.791, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])):
        ds = datasets.MNIST(ROOT, train=train)
        assert len(ds) == n and ds.data.shape == (n, 28, 28) and ds.data.dtype == np.uint8
        assert abs(ds.data.mean() - mean) < 1e-3
        assert np.bincount(ds.targets.numpy()).tolist() == counts


def test_getitem_and_vectorized_batches_agree(mnist_test):
    img, label = mnist_test[7]
    assert img.shape == (1, 28, 28) and img.dtype == mytorch.float32 and isinstance(label, int)
    x, y = mnist_test.__getitems__([7, 3])
    np.testing.assert_allclose(x.numpy()[0], img.numpy(), rtol=1e-6)
    assert y.tolist()[0] == label


def test_dataloader_batches_shuffle_and_drop_last(mnist_test):
    loader = DataLoader(mnist_test, batch_size=64, shuffle=False)
    batches = list(loader)
    assert len(loader) == len(batches) == 157 and batches[-1][0].shape == (16, 1, 28, 28)
    assert len(DataLoader(mnist_test, batch_size=64, drop_last=True)) == 156
    g1, g2 = mytorch.Generator().manual_seed(3), mytorch.Generator().manual_seed(3)
    a = next(iter(DataLoader(mnist_test, batch_size=8, shuffle=True, generator=g1)))[1].tolist()
    b = next(iter(DataLoader(mnist_test, batch_size=8, shuffle=True, generator=g2)))[1].tolist()
    assert a == b and a != batches[0][1].tolist()[:8]


def test_dataloader_accepts_torch_worker_arguments(mnist_test):
    loader = DataLoader(mnist_test, batch_size=10, num_workers=2, pin_memory=True, persistent_workers=True)
    x, y = next(iter(loader))
    assert x.shape == (10, 1, 28, 28)


def test_per_sample_transform_path_and_custom_collate():
    ds = datasets.MNIST(ROOT, train=False, transform=transforms.Lambda(lambda a: a.sum()))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.dtype == mytorch.int64 and x.shape == (4,)
    seen = []
    loader = DataLoader(TensorDataset(mytorch.arange(6), mytorch.arange(6) * 2), batch_size=4,
                        collate_fn=lambda batch: seen.append(len(batch)) or batch)
    list(loader)
    assert seen == [4, 2]


def test_default_collate_structures():
    batch = default_collate([{"a": 1.5, "b": (np.zeros(2), 3)}, {"a": 2.5, "b": (np.ones(2), 4)}])
    assert batch["a"].dtype == mytorch.float64 and batch["b"][0].shape == (2, 2) and batch["b"][1].tolist() == [3, 4]
    assert default_collate(["x", "y"]) == ["x", "y"]


def test_tensor_dataset_subset_random_split():
    ds = TensorDataset(mytorch.arange(10.0), mytorch.arange(10))
    a, b = random_split(ds, [7, 3], generator=mytorch.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))
    x, y = next(iter(DataLoader(Subset(ds, [4, 2]), batch_size=2)))
    assert x.tolist() == [4.0, 2.0] and y.tolist() == [4, 2]
    assert [len(s) for s in random_split(ds, [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])


def test_random_crop_with_padding_keeps_size_and_content():
    mytorch.manual_seed(0)
    img = np.arange(16, dtype=np.uint8).reshape(4, 4) + 1
    out = transforms.RandomCrop(4, padding=2)(img)
    assert out.shape == (4, 4) and set(np.unique(out)) <= set(np.unique(img)) | {0}
    t = transforms.RandomCrop(3)(mytorch.tensor(img[None]))
    assert t.shape == (1, 3, 3)


@requires_torch
def test_to_tensor_and_normalize_match_torchvision_formula():
    img = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    ours = transforms.Normalize((0.5,), (0.25,))(transforms.ToTensor()(img)).numpy()
    expected = (torch.from_numpy(img).float().div(255).unsqueeze(0) - 0.5) / 0.25
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-6, atol=1e-6)


def test_torchvision_layout_and_missing_files(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(os.path.join(ROOT, name), raw / name)
    assert len(datasets.MNIST(str(tmp_path), train=False)) == 10000
    with pytest.raises(RuntimeError, match=r"Dataset not found: train-images-idx3-ubyte\[\.gz\].*MNIST/raw"):
        datasets.MNIST(str(tmp_path), train=True)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:-10], "truncated"),
    (lambda raw: b"\x00\x00\x07\x03" + raw[4:], "bad magic number 0x00000703"),
    (lambda raw: raw[:6], "truncated header"),
    (lambda raw: raw + b"\x00", "trailing data"),
])
def test_corrupt_idx_files_are_named(tmp_path, damage, message):
    with gzip.open(os.path.join(ROOT, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        raw = f.read()
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(damage(raw))
    with pytest.raises(IdxFormatError, match=message) as info:
        read_idx(str(path))
    assert str(path) in str(info.value)


def test_truncated_gzip_is_named(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(open(os.path.join(ROOT, "t10k-labels-idx1-ubyte.gz"), "rb").read()[:100])
    with pytest.raises(IdxFormatError, match="cannot be read as gzip"):
        read_idx(str(path))


def test_download_verifies_checksums_and_leaves_no_partial_file(tmp_path, monkeypatch):
    import io
    import urllib.request

    def fake_urlopen(url, timeout=None):
        if "ossci" in url:
            raise OSError("network unreachable")
        return io.BytesIO(b"not the real file")
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(RuntimeError, match=r"could not download train-images-idx3-ubyte.gz: .*network unreachable.*MD5"):
        datasets.MNIST(str(tmp_path), train=True, download=True)
    assert os.listdir(tmp_path / "MNIST" / "raw") == []
