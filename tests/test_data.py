"""utils.data: datasets, DataLoader (batching, the array-backed fast path, workers), default_collate.

torch is the oracle where installed: default_collate/default_convert and DataLoader's argument checks
are compared with torch.utils.data's on the same inputs.
"""
import collections
import os
import random

import numpy as np
import pytest

import mytorch
from mytorch.utils.data import (ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, StackDataset,
                                Subset, TensorDataset, default_collate, default_convert, get_worker_info,
                                random_split)
from conftest import torch

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "mnist")
Point = collections.namedtuple("Point", "x y")


def _plain(obj):
    """Tensors (mytorch or torch) -> (dtype name, nested list); containers recursively; for comparing."""
    if isinstance(obj, mytorch.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.detach().numpy().tolist())
    if torch is not None and isinstance(obj, torch.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.numpy().tolist())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_plain(v) for v in obj])
    return obj


@pytest.fixture(scope="module")
def mnist_test():
    from mytorch.vision import datasets, transforms
    return datasets.MNIST(ROOT, train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]))


class Squares(Dataset):
    """A map-style dataset without __getitems__ (the per-sample path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return float(i), i * i


class Stream(IterableDataset):
    """range(start, end), split among workers as torch's documentation shows."""

    worker_info = staticmethod(get_worker_info)

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = self.worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = -(-(self.end - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))


# ---------------------------------------------------------------------------- fast path
def test_fast_path_gives_the_slow_paths_batches(mnist_test):
    fast = DataLoader(Subset(mnist_test, range(200)), batch_size=64)
    per_sample = DataLoader([mnist_test[i] for i in range(200)], batch_size=64)  # a list: no __getitems__
    for a, b in zip(fast, per_sample):
        assert type(a) is type(b) is list and a[0].shape == b[0].shape and a[1].dtype == b[1].dtype == mytorch.int64
        np.testing.assert_allclose(a[0].numpy(), b[0].numpy(), rtol=1e-6, atol=1e-6)
        assert a[1].tolist() == b[1].tolist()
    ds = TensorDataset(mytorch.arange(10.0).reshape(5, 2), mytorch.arange(5))
    fast = list(DataLoader(ds, batch_size=2))
    slow = list(DataLoader([ds[i] for i in range(5)], batch_size=2))
    assert _plain(fast) == _plain(slow)


def test_a_custom_collate_sees_the_samples_getitem_returns(mnist_test):
    seen = []
    next(iter(DataLoader(mnist_test, batch_size=3, collate_fn=lambda batch: seen.extend(batch))))
    assert [type(label) for _, label in seen] == [int] * 3 and seen[0][0].shape == (1, 28, 28)


def test_concat_dataset_batches_whole_and_in_order(mnist_test):
    both = ConcatDataset([Subset(mnist_test, range(5)), TensorDataset(mytorch.zeros(3, 1, 28, 28), mytorch.arange(3))])
    fast = both.__getitems__([6, 0, 4, 5, -1])
    assert type(fast).__name__ == "Batched"
    samples = [both[i] for i in [6, 0, 4, 5, -1]]
    np.testing.assert_allclose(fast[0].numpy(), np.stack([img.numpy() for img, _ in samples]), rtol=1e-6, atol=1e-6)
    assert fast[1].tolist() == [int(label) for _, label in samples] == [1, mnist_test[0][1], mnist_test[4][1], 0, 2]
    mixed = ConcatDataset([TensorDataset(mytorch.arange(2.0)), Squares(2)])
    out = mixed.__getitems__([3, 0])  # a part without batching: one by one
    assert isinstance(out, list) and out[0] == (1.0, 1) and float(out[1][0]) == 0.0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both.__getitems__([0, -9])


def test_dataloader_batches_shuffle_and_drop_last(mnist_test):
    loader = DataLoader(mnist_test, batch_size=64, shuffle=False)
    batches = list(loader)
    assert len(loader) == len(batches) == 157 and batches[-1][0].shape == (16, 1, 28, 28)
    assert len(DataLoader(mnist_test, batch_size=64, drop_last=True)) == 156
    assert len(list(DataLoader(mnist_test, batch_size=64, drop_last=True))) == 156
    g1, g2 = mytorch.Generator().manual_seed(3), mytorch.Generator().manual_seed(3)
    a = next(iter(DataLoader(mnist_test, batch_size=8, shuffle=True, generator=g1)))[1].tolist()
    b = next(iter(DataLoader(mnist_test, batch_size=8, shuffle=True, generator=g2)))[1].tolist()
    assert a == b and a != batches[0][1].tolist()[:8]


def test_iterating_twice_and_a_custom_collate():
    ds = TensorDataset(mytorch.arange(6), mytorch.arange(6) * 2)
    seen = []
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda batch: seen.append(batch) or len(batch))
    assert list(loader) == [4, 2] and list(loader) == [4, 2]
    assert [tuple(int(v) for v in sample) for sample in seen[0]] == [(0, 0), (1, 2), (2, 4), (3, 6)]
    shuffled = DataLoader(ds, batch_size=3, shuffle=True)
    epochs = [sorted(sum((b[0].tolist() for b in shuffled), [])) for _ in range(2)]
    assert epochs == [list(range(6))] * 2


# ---------------------------------------------------------------------------- DataLoader arguments
def test_batch_size_none_sampler_and_batch_sampler():
    ds = Squares(5)
    single = list(DataLoader(ds, batch_size=None))
    assert single == [[0.0, 0], [1.0, 1], [2.0, 4], [3.0, 9], [4.0, 16]]  # tuples become lists, as torch
    arrays = list(DataLoader([np.arange(2.0), np.arange(2.0) + 1], batch_size=None))
    assert all(isinstance(a, mytorch.Tensor) and a.dtype == mytorch.float64 for a in arrays)
    xb, yb = next(iter(DataLoader(ds, batch_size=3, sampler=[4, 2, 0, 1])))
    assert xb.tolist() == [4.0, 2.0, 0.0] and yb.tolist() == [16, 4, 0]
    batches = list(DataLoader(ds, batch_sampler=[[3], [0, 4]]))
    assert [b[1].tolist() for b in batches] == [[9], [0, 16]]
    assert len(DataLoader(ds, batch_sampler=[[3], [0, 4]])) == 2 and len(DataLoader(ds, batch_size=None)) == 5
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    loader.collate_fn = default_collate  # not frozen, as in torch


@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(batch_size=0),
    dict(batch_size=2.5),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, prefetch_factor=-1),
])
def test_argument_errors_are_torchs(kwargs):
    with pytest.raises(ValueError) as ours:
        DataLoader(Squares(4), **kwargs)
    if torch is not None:
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(Squares(4), **kwargs)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_refuses_samplers_as_torch(kwargs):
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
        DataLoader(Stream(0, 4), **kwargs)


def test_iterable_dataset_batches_and_length():
    assert [b.tolist() for b in DataLoader(Stream(0, 7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(0, 7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(0, 3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(TypeError):
        len(DataLoader(Stream(0, 3)))
    chained = Stream(0, 2) + Stream(5, 7)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 5, 6]


# ---------------------------------------------------------------------------- workers
def test_workers_split_an_iterable_dataset_and_interleave_as_torch():
    ours = [b.tolist() for b in DataLoader(Stream(0, 10), batch_size=2, num_workers=2)]
    assert ours == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]  # torch's order: worker batches in turn
    if torch is not None:
        twin = type("TorchStream", (torch.utils.data.IterableDataset,),
                    {"__init__": Stream.__init__, "__iter__": Stream.__iter__,
                     "worker_info": staticmethod(torch.utils.data.get_worker_info)})
        theirs = [b.tolist() for b in torch.utils.data.DataLoader(twin(0, 10), batch_size=2, num_workers=2,
                                                                  timeout=120)]  # never hang the suite
        assert ours == theirs


def test_worker_init_fn_worker_info_and_seeds():
    calls = []

    def init(worker_id):
        info = get_worker_info()
        calls.append((worker_id, info.id, info.num_workers))
        with pytest.raises(RuntimeError):
            info.id = 5

    class Draws(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return get_worker_info().id, float(mytorch.rand(1).item()), random.random(), np.random.rand()

    def main_draws():
        return mytorch.rand(1).item(), random.random(), np.random.rand()

    def reseed():
        mytorch.manual_seed(0), random.seed(0), np.random.seed(0)

    assert get_worker_info() is None
    loader = DataLoader(Draws(), batch_size=2, num_workers=2, worker_init_fn=init,
                        generator=mytorch.Generator().manual_seed(1))
    reseed()
    before = main_draws()
    reseed()
    batches = list(loader)
    assert main_draws() == before  # workers draw from their own random states, as worker processes do
    assert calls == [(0, 0, 2), (1, 1, 2)] and get_worker_info() is None
    assert [b[0].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0]]  # batch i from worker i % 2
    epoch1 = _plain(batches)
    epoch2 = _plain(list(loader))
    assert len(calls) == 4 and epoch2 != epoch1  # fresh workers, fresh seeds each epoch
    again = DataLoader(Draws(), batch_size=2, num_workers=2, generator=mytorch.Generator().manual_seed(1))
    assert _plain(list(again)) == epoch1  # same generator, same worker seeds


def test_persistent_workers_start_once():
    calls = []
    loader = DataLoader(Squares(4), batch_size=2, num_workers=2, persistent_workers=True,
                        worker_init_fn=calls.append)
    first, second = _plain(list(loader)), _plain(list(loader))
    assert first == second and calls == [0, 1]


# ---------------------------------------------------------------------------- collate
COLLATE_CASES = [
    [1.5, 2.5], [1, 2], [True, False], [1, 2.5], [np.float32(1), np.float32(2)], [np.int32(3), np.int32(4)],
    [np.zeros((2, 3)), np.ones((2, 3))], [np.array(1.0, dtype=np.float32), np.array(2.0, dtype=np.float32)],
    ["a", "b"], [b"a", b"b"],
    [{"a": 1.5, "b": (np.zeros(2), 3)}, {"a": 2.5, "b": (np.ones(2), 4)}],
    [Point(1, 2.0), Point(3, 4.0)], [(1, "x"), (2, "y")], [[1, 2], [3, 4]],
    [{"nested": {"deep": [1, 2]}}, {"nested": {"deep": [3, 4]}}],
]


@pytest.mark.parametrize("batch", COLLATE_CASES, ids=range(len(COLLATE_CASES)))
def test_default_collate_matches_torch(batch):
    ours = default_collate(batch)
    if torch is None:
        assert ours is not None
        return
    theirs = torch.utils.data.default_collate(batch)
    assert _plain(ours) == _plain(theirs)
    assert type(ours).__name__ == type(theirs).__name__


@pytest.mark.parametrize("sample", [np.float32(2), (1, np.zeros(2)), [np.arange(3)], {"k": np.ones(1)}, 3.5, "s",
                                    Point(np.int64(1), 2), np.array(["a"])])
def test_default_convert_matches_torch(sample):
    ours = default_convert(sample)
    if torch is not None:
        theirs = torch.utils.data.default_convert(sample)
        assert _plain(ours) == _plain(theirs) if not isinstance(sample, np.ndarray) else ours is sample
    assert isinstance(default_convert(np.ones(2)), mytorch.Tensor)


def test_default_collate_tensors_and_errors():
    stacked = default_collate([mytorch.ones(2, 3), mytorch.zeros(2, 3)])
    assert stacked.shape == (2, 2, 3) and stacked.dtype == mytorch.float32
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        default_collate([mytorch.zeros(2), mytorch.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    from mytorch.utils.data.dataloader import default_collate as from_dataloader
    from mytorch.utils.data._utils.collate import default_collate as from_utils
    assert from_dataloader is from_utils is default_collate


# ---------------------------------------------------------------------------- datasets
def test_tensor_dataset_checks():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(mytorch.zeros(3), mytorch.zeros(4))
    ds = TensorDataset(mytorch.arange(4), mytorch.arange(4) * 3)
    assert len(ds) == 4 and [int(v) for v in ds[2]] == [2, 6]


def test_concat_dataset_and_add():
    a, b = Squares(3), Squares(2)
    both = a + b
    assert isinstance(both, ConcatDataset) and both.cumulative_sizes == [3, 5] and len(both) == 5
    assert [both[i][1] for i in range(5)] == [0, 1, 4, 0, 1] and both[-1] == (1.0, 1) and both[-5] == (0.0, 0)
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-6]
    with pytest.raises(IndexError):
        both[5]
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([a, Stream(0, 2)])
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    assert [y.tolist() for _, y in DataLoader(both, batch_size=2)] == [[0, 1], [4, 0], [1]]


def test_stack_dataset():
    ds = StackDataset(Squares(3), mytorch.arange(3))
    assert ds[1][0] == (1.0, 1) and int(ds[1][1]) == 1 and len(ds) == 3
    assert StackDataset(a=Squares(2), b=Squares(2))[1] == {"a": (1.0, 1), "b": (1.0, 1)}


def test_subset_and_random_split():
    ds = TensorDataset(mytorch.arange(10.0), mytorch.arange(10))
    a, b = random_split(ds, [7, 3], generator=mytorch.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))
    c, d = random_split(ds, [7, 3], generator=mytorch.Generator().manual_seed(0))
    assert c.indices == a.indices and d.indices == b.indices
    x, y = next(iter(DataLoader(Subset(ds, [4, 2]), batch_size=2)))
    assert x.tolist() == [4.0, 2.0] and y.tolist() == [4, 2]
    assert [len(s) for s in random_split(ds, [0.5, 0.5])] == [5, 5]
    assert [len(s) for s in random_split(Squares(11), [0.3, 0.3, 0.4])] == [4, 3, 4]  # remainder round-robin
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 2 is not between 0 and 1"):
        random_split(ds, [0.5, 0.7, -0.2])
    assert Subset(ds, mytorch.tensor([1, 3])).indices == [1, 3]


def test_type_annotated_subclasses_as_torch():
    class Pairs(Dataset[tuple]):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i, -i

    loader: DataLoader[tuple] = DataLoader(Pairs(), batch_size=2)
    assert [b.tolist() for b in next(iter(loader))] == [[0, 1], [0, -1]]
    from mytorch.utils.data import Sampler
    assert Sampler[int] is not None and IterableDataset[int] is not None


def test_module_layout_is_torchs():
    import importlib
    for name in ("dataset", "sampler", "dataloader", "distributed", "_utils.collate", "_utils.worker"):
        importlib.import_module(f"mytorch.utils.data.{name}")
    from mytorch.utils.data.sampler import SubsetRandomSampler  # noqa: F401
    from mytorch.utils.data.dataset import random_split as split
    assert split is random_split
    assert mytorch.utils.data.DataLoader is DataLoader


SAMPLES = {
    "tuple": lambda i: (float(i), i),
    "dict": lambda i: {"x": np.full(2, i, np.float32), "y": i, "s": str(i)},
    "namedtuple": lambda i: Point(np.int64(i), [i, i + 1]),
    "array": lambda i: np.arange(3) * i,
    "bool": lambda i: (i % 2 == 0,),
}
LOADER_ARGS = [dict(batch_size=None), dict(batch_size=1), dict(batch_size=3), dict(batch_size=3, drop_last=True),
               dict(batch_size=2, sampler=[6, 0, 3, 2]), dict(batch_sampler=[[1, 2], [5]]),
               dict(batch_size=None, sampler=[4, 1])]


@pytest.mark.skipif(torch is None, reason="torch is the oracle")
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_loader_batches_equal_torchs(kind):
    def dataset(base):
        return type("Seven", (base,), {"__len__": lambda self: 7, "__getitem__": lambda self, i: SAMPLES[kind](i)})()

    for args in LOADER_ARGS:
        ours = _plain(list(DataLoader(dataset(Dataset), **args)))
        theirs = _plain(list(torch.utils.data.DataLoader(dataset(torch.utils.data.Dataset), **args)))
        assert ours == theirs, args
