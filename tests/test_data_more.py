"""Datasets, samplers and collation against torch.utils.data: ChainDataset, StackDataset,
random_split fractions, Subset/ConcatDataset/TensorDataset, default_collate/default_convert,
the samplers' semantics and errors."""
import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings, strategies as st

import unigrad
import unigrad.utils.data as udata

LIBS = [(unigrad, udata), (torch, tdata)]


def _make_stream(data_module, values):
    class Stream(data_module.IterableDataset):
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __len__(self):
            return len(self.items)
    return Stream(values)


def test_chain_dataset_streams_lazily_and_refuses_map_datasets():
    for lib, data in LIBS:
        chain = data.ChainDataset([_make_stream(data, [1, 2]), _make_stream(data, []), _make_stream(data, [3])])
        assert list(chain) == [1, 2, 3] and len(chain) == 3
        added = _make_stream(data, [0]) + _make_stream(data, [5, 6])
        assert isinstance(added, data.ChainDataset) and list(added) == [0, 5, 6]
        mixed = data.ChainDataset([_make_stream(data, [1]), data.TensorDataset(lib.arange(3))])
        it = iter(mixed)
        assert next(it) == 1  # lazily: the bad member is only found when reached
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            next(it)
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            len(mixed)
    loader = udata.DataLoader(udata.ChainDataset([_make_stream(udata, [1, 2, 3]), _make_stream(udata, [4])]),
                              batch_size=3)
    assert [b.tolist() for b in loader] == [[1, 2, 3], [4]]


class _Items:
    def __init__(self, lib, n, scale):
        self.lib, self.n, self.scale = lib, n, scale

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.lib.tensor([float(i * self.scale)])


class _Batched(_Items):
    def __getitems__(self, indices):
        return [self[i] for i in indices]


def _plain(value):
    if isinstance(value, (unigrad.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], np.asarray(value.detach().numpy()).tolist())
    if isinstance(value, dict):
        return ("dict", type(value).__name__, {k: _plain(v) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ("namedtuple", type(value).__name__, [_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.tolist())
    return (type(value).__name__, value)


def test_stack_dataset_tuple_and_dict_forms_like_torch():
    results = {}
    for lib, data in LIBS:
        a, b = data.TensorDataset(lib.arange(5.0)), _Batched(lib, 5, 10)
        stacked = data.StackDataset(a, b)
        named = data.StackDataset(x=a, y=_Items(lib, 5, 2))
        results[lib.__name__] = [len(stacked), len(named), stacked[3], named[1],
                                 stacked.__getitems__([0, 4, 2]), named.__getitems__([1, 3])]
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            data.StackDataset(a, _Items(lib, 4, 1))
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            data.StackDataset(x=a, y=_Items(lib, 6, 1))
        with pytest.raises(ValueError, match="both types are given"):
            data.StackDataset(a, y=b)
        with pytest.raises(ValueError, match="At least one dataset should be passed"):
            data.StackDataset()

        class Short(_Items):
            def __getitems__(self, indices):
                return [self[0]]
        with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
            data.StackDataset(Short(lib, 5, 1)).__getitems__([0, 1])
    assert _plain(results["unigrad"]) == _plain(results["torch"])
    batches = list(udata.DataLoader(udata.StackDataset(x=udata.TensorDataset(unigrad.arange(4.0)),
                                                       y=_Items(unigrad, 4, 3)), batch_size=2))
    assert batches[1]["y"].tolist() == [[6.0], [9.0]] and batches[0]["x"][0].tolist() == [0.0, 1.0]


def test_subset_concat_and_tensor_dataset_like_torch():
    results = {}
    for lib, data in LIBS:
        base = data.TensorDataset(lib.arange(10), lib.arange(10.0) * 2)
        sub = data.Subset(base, [9, 0, 3, 3])
        both = data.ConcatDataset([sub, _Batched(lib, 3, 5), base])
        results[lib.__name__] = [len(sub), sub[1], sub.__getitems__([0, 3]),
                                 data.Subset(_Batched(lib, 6, 1), [5, 1]).__getitems__([1, 0]),
                                 len(both), both[4], both[-1], both[-17], both.cumulative_sizes,
                                 (base + sub)[12]]
        with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
            both[-18]
        with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
            data.ConcatDataset([])
        with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
            data.ConcatDataset([base, _make_stream(data, [1])])
        with pytest.raises(AssertionError, match="Size mismatch between tensors"):
            data.TensorDataset(lib.zeros(3), lib.zeros(4))

        class Doubled(data.Subset):
            def __getitem__(self, idx):
                return super().__getitem__(idx) * 2
        with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
            Doubled(list(range(4)), [1, 2])
        with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
            assert both.cummulative_sizes == both.cumulative_sizes
    assert _plain(results["unigrad"]) == _plain(results["torch"])


@settings(deadline=None)
@given(n=st.integers(1, 60), parts=st.lists(st.integers(1, 9), min_size=1, max_size=5))
def test_random_split_fractions_give_torchs_lengths(n, parts):
    fractions = [p / sum(parts) for p in parts]
    if not (np.isclose(sum(fractions), 1) and sum(fractions) <= 1):
        fractions[-1] = 1 - sum(fractions[:-1])
    lengths = {}
    for lib, data in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            splits = data.random_split(list(range(n)), fractions)
        lengths[lib.__name__] = ([len(s) for s in splits], [str(w.message) for w in caught])
        assert sorted(i for s in splits for i in s) == list(range(n))
    assert lengths["unigrad"] == lengths["torch"]


def test_random_split_generator_and_errors():
    first = udata.random_split(range(10), [3, 7], generator=unigrad.Generator().manual_seed(4))
    again = udata.random_split(range(10), [3, 7], generator=unigrad.Generator().manual_seed(4))
    assert [list(s) for s in first] == [list(s) for s in again]
    assert isinstance(first[0], udata.Subset) and first[0].dataset == range(10)
    for lib, data in LIBS:
        with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
            data.random_split(range(10), [3, 3])
        with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
            data.random_split(range(10), [0.5, -0.5, 1.0])
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
            data.random_split(range(2), [0.5, 0.0, 0.5])


Point = collections.namedtuple("Point", "x y")

SAMPLES = [
    [(np.array([1.0, 2.0]), 3, 2.5, True, "a", b"z"), (np.array([3.0, 4.0]), 4, 3.5, False, "b", b"y")],
    [{"img": np.ones((2, 2), np.float32), "label": np.int64(3), "meta": {"id": 1, "tags": ["p", "q"]}},
     {"img": np.zeros((2, 2), np.float32), "label": np.int64(5), "meta": {"id": 2, "tags": ["r", "s"]}}],
    [Point(np.float32(1), [1, 2]), Point(np.float32(2), [3, 4])],
    [[np.int16(1), 2.0], [np.int16(3), 4.0]],
    [collections.OrderedDict(a=1.0, b=np.uint8(2)), collections.OrderedDict(a=3.0, b=np.uint8(4))],
    [np.bool_(True), np.bool_(False)],
    [np.array(5, dtype=np.int8), np.array(6, dtype=np.int8)],
]


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_default_collate_and_convert_match_torch(index):
    batch = SAMPLES[index]
    assert _plain(udata.default_collate(batch)) == _plain(tdata.default_collate(batch))
    assert _plain(udata.default_convert(batch)) == _plain(tdata.default_convert(batch))
    assert _plain(udata.default_convert(batch[0])) == _plain(tdata.default_convert(batch[0]))


def test_default_collate_of_tensors_and_errors():
    ours = udata.default_collate([unigrad.arange(3.0), unigrad.ones(3)])
    assert ours.shape == (2, 3) and ours.dtype is unigrad.float32
    for data in (udata, tdata):
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
            data.default_collate([[1, 2], [3]])
        with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
            data.default_collate([np.array(["a"]), np.array(["b"])])
        with pytest.raises(TypeError, match="batch must contain tensors"):
            data.default_collate([object(), object()])
    assert udata.default_convert(np.array(["x"])).tolist() == ["x"]
    assert udata.default_convert("text") == "text"


def test_collate_with_a_custom_type_map():
    from unigrad.utils.data.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v
    custom = {Box: lambda batch, *, collate_fn_map=None: sum(b.v for b in batch), **default_collate_fn_map}
    out = collate([{"b": Box(1), "x": 1.0}, {"b": Box(2), "x": 2.0}], collate_fn_map=custom)
    assert out["b"] == 3 and out["x"].dtype is unigrad.float64


def test_weighted_random_sampler_draws_by_weight():
    unigrad.manual_seed(0)
    weights = [0.1, 0.0, 0.6, 0.3]
    sampler = udata.WeightedRandomSampler(weights, 4000)
    counts = np.bincount(list(sampler), minlength=4) / 4000
    assert len(sampler) == 4000 and counts[1] == 0
    np.testing.assert_allclose(counts, weights, atol=0.03)
    unique = list(udata.WeightedRandomSampler(unigrad.tensor([1.0, 2.0, 3.0, 4.0]), 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    seeded = [list(udata.WeightedRandomSampler(weights, 20, generator=unigrad.Generator().manual_seed(7)))
              for _ in range(2)]
    assert seeded[0] == seeded[1]
    assert udata.WeightedRandomSampler(weights, 3).weights.dtype is unigrad.float64
    for data in (udata, tdata):
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            data.WeightedRandomSampler(weights, 0)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            data.WeightedRandomSampler(weights, True)
        with pytest.raises(ValueError, match="replacement should be a boolean value"):
            data.WeightedRandomSampler(weights, 2, replacement=1)
        with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape"):
            data.WeightedRandomSampler([[1.0, 2.0]], 2)
        with pytest.raises(RuntimeError):  # more samples than categories without replacement
            list(data.WeightedRandomSampler([1.0, 1.0], 3, replacement=False))


def test_subset_random_and_random_samplers():
    indices = [5, 9, 2, 7]
    sampler = udata.SubsetRandomSampler(indices, generator=unigrad.Generator().manual_seed(1))
    drawn = list(sampler)
    assert sorted(drawn) == sorted(indices) and len(sampler) == 4
    assert list(udata.SubsetRandomSampler(indices, generator=unigrad.Generator().manual_seed(1))) == drawn
    unigrad.manual_seed(3)
    long = list(udata.RandomSampler(range(4), num_samples=10))
    assert len(long) == 10 and sorted(long[:4]) == [0, 1, 2, 3] and sorted(long[4:8]) == [0, 1, 2, 3]
    assert len(set(long[8:])) == 2
    with_replacement = list(udata.RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(with_replacement) == 50 and set(with_replacement) <= {0, 1, 2}
    for data in (udata, tdata):
        with pytest.raises(TypeError, match="replacement should be a boolean value"):
            data.RandomSampler(range(3), replacement=0)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            data.RandomSampler(range(3), num_samples=0)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            data.RandomSampler([])


@settings(deadline=None)
@given(n=st.integers(0, 23), batch=st.integers(1, 7), drop_last=st.booleans())
def test_batch_sampler_matches_torch(n, batch, drop_last):
    ours = udata.BatchSampler(udata.SequentialSampler(range(n)), batch, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(udata.BatchSampler(iter(range(n)), batch, drop_last)) == list(theirs)


def test_batch_sampler_errors_are_torchs():
    for data in (udata, tdata):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            data.BatchSampler(range(3), 0, False)
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            data.BatchSampler(range(3), True, False)
        with pytest.raises(ValueError, match="drop_last should be a boolean value"):
            data.BatchSampler(range(3), 2, 0)


def test_get_worker_info_is_none_in_the_main_process():
    assert udata.get_worker_info() is None and tdata.get_worker_info() is None


@pytest.mark.parametrize("batch_size,shuffle,drop_last", [(1, False, False), (3, True, False), (4, True, True), (64, False, False)])
def test_tensor_dataset_batches_are_default_collate_of_its_samples(batch_size, shuffle, drop_last):
    """A TensorDataset's batches are gathered whole (one gather per tensor): they must equal
    default_collate of the samples (what a subclass, which may override __getitem__, still
    gets), whatever the tensors' ranks and dtypes, and torch's batches."""
    class SampleBySample(unigrad.utils.data.TensorDataset):
        pass

    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((23, 3, 2)).astype(np.float32), rng.integers(0, 9, 23),
              rng.standard_normal(23), rng.random((23, 4)) > 0.5]
    batches = []
    for kind in (unigrad.utils.data.TensorDataset, SampleBySample):
        unigrad.manual_seed(1)
        dataset = kind(*(unigrad.tensor(a) for a in arrays))
        batches.append(list(unigrad.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                                          drop_last=drop_last)))
    got, slow = batches
    assert len(got) == len(slow) == (23 // batch_size if drop_last else -(-23 // batch_size))
    for batch, expected in zip(got, slow):
        assert isinstance(batch, list) and len(batch) == 4
        for a, b in zip(batch, expected):
            assert a.dtype is b.dtype and a.shape == b.shape and a.device == b.device and a.is_contiguous()
            np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    if not shuffle:
        theirs = torch.utils.data.TensorDataset(*(torch.tensor(a) for a in arrays))
        want = list(torch.utils.data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last))
        for batch, expected in zip(got, want):
            for a, b in zip(batch, expected):
                np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())


def test_tensor_dataset_out_of_range_indices_still_raise():
    ds = unigrad.utils.data.TensorDataset(unigrad.arange(5))
    with pytest.raises(IndexError):
        list(unigrad.utils.data.DataLoader(ds, batch_size=2, sampler=[0, 7]))
