"""Datasets, samplers, collation and the DataLoader (ordering, shuffling, workers)."""
from collections import namedtuple

import numpy as np
import pytest
import torch

import unigrad
from unigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                RandomSampler, SequentialSampler, Subset, TensorDataset,
                                default_collate, random_split)


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": unigrad.tensor([float(i), float(i * i)]), "y": i, "name": f"s{i}"}


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(7))


def test_tensor_dataset_and_sequential_loading():
    x, y = unigrad.arange(10.0).reshape(5, 2), unigrad.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5 and ds[1][1].item() == 1
    batches = list(DataLoader(ds, batch_size=2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert batches[0][1].tolist() == [0, 1] and batches[0][1].dtype == unigrad.int64
    assert len(list(DataLoader(ds, batch_size=2, drop_last=True))) == 2
    with pytest.raises(AssertionError, match="Size mismatch"):  # PyTorch's type
        TensorDataset(x, unigrad.arange(4))


def test_default_collate_matches_torch_structure():
    samples = [(np.array([1.0, 2.0]), 3, 2.5, True, "a"), (np.array([3.0, 4.0]), 4, 3.5, False, "b")]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    for a, b in zip(ours, theirs):
        if isinstance(b, torch.Tensor):
            assert a.tolist() == b.tolist() and a.dtype.name == str(b.dtype).replace("torch.", "")
        else:
            assert a == b
    batch = default_collate([Squares()[i] for i in range(3)])
    assert batch["x"].shape == (3, 2) and batch["y"].tolist() == [0, 1, 2] and list(batch["name"]) == ["s0", "s1", "s2"]
    Point = namedtuple("Point", "a b")
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point) and out.a.tolist() == [1, 3]


def test_shuffle_is_seeded_and_a_permutation():
    ds = TensorDataset(unigrad.arange(20))
    unigrad.manual_seed(0)
    first = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    unigrad.manual_seed(0)
    again = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    assert first == again
    assert sorted(sum(first, [])) == list(range(20)) and sum(first, []) != list(range(20))
    gen = unigrad.Generator().manual_seed(5)
    with_gen = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=gen)]
    assert sorted(sum(with_gen, [])) == list(range(20))


def test_workers_keep_order_and_match_single_process():
    ds = Squares()
    single = list(DataLoader(ds, batch_size=3))
    multi = list(DataLoader(ds, batch_size=3, num_workers=2))
    assert len(single) == len(multi) == 4
    for a, b in zip(single, multi):
        assert a["x"].tolist() == b["x"].tolist() and list(a["name"]) == list(b["name"])


def test_samplers_and_batch_sampler():
    ds = list(range(7))
    assert list(SequentialSampler(ds)) == list(range(7))
    unigrad.manual_seed(1)
    assert sorted(RandomSampler(ds)) == list(range(7))
    assert list(BatchSampler(SequentialSampler(ds), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(BatchSampler(SequentialSampler(ds), 3, drop_last=True)) == 2
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, False))
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, sampler=SequentialSampler(ds), shuffle=True)


def test_iterable_dataset_and_custom_collate():
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    out = list(DataLoader(list(range(4)), batch_size=2, collate_fn=lambda b: sum(b)))
    assert out == [1, 5]
    assert list(DataLoader(list(range(3)), batch_size=None)) == [0, 1, 2]


def test_subset_concat_random_split():
    ds = TensorDataset(unigrad.arange(10))
    sub = Subset(ds, [9, 0, 3])
    assert [sub[i][0].item() for i in range(3)] == [9, 0, 3]
    both = ConcatDataset([sub, ds])
    assert len(both) == 13 and both[3][0].item() == 0 and both[-1][0].item() == 9
    unigrad.manual_seed(2)
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3
    assert sorted([a[i][0].item() for i in range(7)] + [b[i][0].item() for i in range(3)]) == list(range(10))
    c, d = random_split(ds, [0.8, 0.2])
    assert (len(c), len(d)) == (8, 2)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
