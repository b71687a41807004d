"""utils.data.sampler: each sampler's indices, lengths, reproducibility and argument errors (the
errors compared with torch's where installed)."""
import collections

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mytorch
from mytorch.utils.data import DataLoader, TensorDataset
from mytorch.utils.data.distributed import DistributedSampler
from mytorch.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                        WeightedRandomSampler)
from conftest import torch


def gen(seed):
    return mytorch.Generator().manual_seed(seed)


def test_sequential_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler(range(4))) == 4


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 20), num_samples=st.one_of(st.none(), st.integers(1, 50)), replacement=st.booleans(),
       seed=st.integers(0, 1000))
def test_random_sampler_draws(n, num_samples, replacement, seed):
    sampler = RandomSampler(range(n), replacement=replacement, num_samples=num_samples, generator=gen(seed))
    drawn = list(sampler)
    count = n if num_samples is None else num_samples
    assert len(drawn) == len(sampler) == count and all(0 <= i < n for i in drawn)
    if not replacement:  # whole permutations, chained when more samples than items are asked for
        for start in range(0, count - count % n, n):
            assert sorted(drawn[start:start + n]) == list(range(n))
        assert len(set(drawn[count - count % n:])) == count % n
    assert drawn == list(RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                                       generator=gen(seed)))


def test_random_sampler_new_order_each_epoch_and_manual_seed():
    sampler = RandomSampler(range(50))
    mytorch.manual_seed(3)
    a, b = list(sampler), list(sampler)
    mytorch.manual_seed(3)
    assert a != b and list(sampler) == a


def test_subset_random_sampler_for_a_validation_split():
    ds = TensorDataset(mytorch.arange(10))
    train, val = SubsetRandomSampler(list(range(8)), generator=gen(0)), SubsetRandomSampler([8, 9])
    seen = sorted(sum((b[0].tolist() for b in DataLoader(ds, batch_size=3, sampler=train)), []))
    assert seen == list(range(8)) and sorted(val) == [8, 9] and len(train) == 8
    assert len(DataLoader(ds, batch_size=3, sampler=train)) == 3


def test_weighted_random_sampler():
    counts = collections.Counter(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=gen(0)))
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    without = list(WeightedRandomSampler([1, 0, 2, 5], 3, replacement=False, generator=gen(1)))
    assert sorted(without) == [0, 2, 3]
    assert len(WeightedRandomSampler(mytorch.tensor([1.0, 2.0]), 7)) == 7
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(WeightedRandomSampler([1, 0, 2], 3, replacement=False))
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        list(WeightedRandomSampler([1, -1], 2))


@pytest.mark.parametrize("make, error", [
    (lambda S: S.RandomSampler(range(3), num_samples=0), ValueError),
    (lambda S: S.RandomSampler(range(3), num_samples=2.5), ValueError),
    (lambda S: S.RandomSampler(range(3), replacement=1), TypeError),
    (lambda S: S.WeightedRandomSampler([1.0, 2.0], 0), ValueError),
    (lambda S: S.WeightedRandomSampler([1.0, 2.0], 2, replacement="yes"), ValueError),
    (lambda S: S.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError),
    (lambda S: S.BatchSampler(range(3), 0, False), ValueError),
    (lambda S: S.BatchSampler(range(3), True, False), ValueError),
    (lambda S: S.BatchSampler(range(3), 2, 1), ValueError),
])
def test_argument_errors_match_torch(make, error):
    import mytorch.utils.data.sampler as ours
    with pytest.raises(error) as info:
        make(ours)
    if torch is not None:
        import torch.utils.data.sampler as theirs
        with pytest.raises(error) as expected:
            make(theirs)
        assert str(info.value) == str(expected.value)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_batch_sampler_groups_and_counts(n, batch_size, drop_last):
    batches = list(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last))
    assert len(batches) == len(BatchSampler(range(n), batch_size, drop_last))
    flat = sum(batches, [])
    assert flat == list(range(len(flat))) and all(len(b) == batch_size for b in batches[:-1])
    assert len(flat) == (n - n % batch_size if drop_last else n)
    if torch is not None:
        assert batches == list(torch.utils.data.BatchSampler(range(n), batch_size, drop_last))


def test_batch_sampler_reads_an_endless_sampler_lazily():
    class Endless(Sampler):
        def __iter__(self):
            i = 0
            while True:
                yield i
                i += 1

    it = iter(BatchSampler(Endless(), 3, False))
    assert next(it) == [0, 1, 2] and next(it) == [3, 4, 5]


def test_distributed_sampler_splits_the_dataset():
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded by wrapping around, as torch
    if torch is not None:
        theirs = [list(torch.utils.data.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
                  for r in range(3)]
        assert shares == theirs
    shuffled = [DistributedSampler(range(10), num_replicas=2, rank=r, seed=4) for r in range(2)]
    assert sorted(sum((list(s) for s in shuffled), [])) == list(range(10))
    first = list(shuffled[0])
    shuffled[0].set_epoch(1)
    assert list(shuffled[0]) != first and len(shuffled[0]) == 5
    assert len(DistributedSampler(range(10), num_replicas=3, rank=0, drop_last=True)) == 3
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="num_replicas= and rank="):
        DistributedSampler(range(4))


def test_sampler_draws_follow_the_loader_generator():
    ds = TensorDataset(mytorch.arange(20))
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=gen(9))]
    b = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=gen(9))]
    assert a == b and sorted(np.concatenate(a).tolist()) == list(range(20))
