"""Sorting and selection against torch: sort/argsort/msort, topk, kthvalue, median, nanmedian, mode,
quantile, unique, searchsorted/bucketize, histc, bincount, isin and multinomial, with ties, NaNs,
empty tensors and gradients; the sort primitive against its composite fallback; multinomial's
statistics and its bitwise sameness across backends."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from parity import assert_close, check, skip_unless_supported
from test_plugins import installed_backend
from unigrad.api.ops import reduction

NAN = math.nan


def _array(seed: int, shape, dtype="float64", ties=True, nans=False):
    """Values with many ties (few distinct values) and, optionally, NaNs, infinities and -0.0."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    values = rng.integers(-3, 4, shape).astype(np.float64) if ties else rng.standard_normal(shape) * 4
    if nans and values.size:
        special = rng.choice([NAN, np.inf, -np.inf, -0.0, 0.0], values.shape)
        values = np.where(rng.random(values.shape) < 0.3, special, values)
    if dtype == "uint8":
        values = np.abs(values)
    return values.astype(dtype)


def _torch_dtype(array):
    return getattr(torch, str(array.dtype))


shapes = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple)


# ----- sort, argsort, msort ------------------------------------------------------------------------
@given(shape=shapes, seed=st.integers(0, 2 ** 16), descending=st.booleans(), nans=st.booleans(),
       dtype=st.sampled_from(["float64", "float32", "int64", "int32", "uint8", "bool"]), dim_pick=st.integers(0, 5))
def test_sort_matches_torch_stable_sort(shape, seed, descending, nans, dtype, dim_pick):
    x = _array(seed, shape, dtype, nans=nans)
    dim = 0
    if shape:  # every dim, counted from either end
        dim = dim_pick % len(shape) - (len(shape) if dim_pick % 2 else 0)
    ours = unigrad.sort(unigrad.tensor(x), dim, descending)
    theirs = torch.sort(torch.tensor(x), stable=True, dim=dim, descending=descending)
    assert_close(ours.values, theirs.values, what="values")
    assert_close(ours.indices, theirs.indices, what="indices")
    assert_close(unigrad.tensor(x).argsort(dim, descending=descending),
                 torch.argsort(torch.tensor(x), dim=dim, descending=descending, stable=True), what="argsort")


@pytest.mark.parametrize("n", [1, 31, 32, 33, 64, 100, 1000, 4097])
def test_long_rows_with_ties_and_nans(n):
    """Rows long enough for every merge pass of a device kernel, both directions, along each dim."""
    x = _array(n, (3, n), "float32", nans=True)
    for array, dim, descending in ((x, 1, False), (x, 1, True), (x, 0, True), (np.ascontiguousarray(x.T), 0, False)):
        ours = unigrad.tensor(array).sort(dim, descending=descending)
        theirs = torch.tensor(array).sort(stable=True, dim=dim, descending=descending)
        assert_close(ours.indices, theirs.indices, what=f"indices dim={dim} descending={descending}")
        assert_close(ours.values, theirs.values)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int8", "int16"])
def test_sort_of_narrow_dtypes(dtype):
    x = _array(3, (4, 50), "float32" if dtype in ("float16", "bfloat16") else dtype, nans=dtype[0] in "fb")
    skip_unless_supported(dtype)
    ours = unigrad.tensor(x).to(getattr(unigrad, dtype)).sort(1, descending=True)
    theirs = torch.tensor(x).to(getattr(torch, dtype)).sort(stable=True, dim=1, descending=True)
    assert ours.values.dtype.name == dtype
    assert_close(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.values.float().numpy(), theirs.values.float().numpy())


def test_sort_of_views_scalars_and_empty_tensors():
    x = _array(5, (6, 7), nans=True)
    check(lambda lib, t: t.t()[::2].sort(stable=True, dim=0), x)
    check(lambda lib, t: t.flip(1).sort(stable=True, dim=1, descending=True), x)
    check(lambda lib, t: lib.sort(t[0, 0]), x)
    check(lambda lib, t: lib.sort(t[:0], 0), x)
    check(lambda lib, t: lib.sort(t[:, :0], 1), x)
    check(lambda lib, t: lib.msort(t), x)
    with pytest.raises(IndexError):
        unigrad.sort(unigrad.tensor(x), 2)


def test_sort_gradients_reach_the_input_through_the_indices():
    x = _array(6, (4, 5), ties=False)
    check(lambda lib, t: t.sort(1, descending=True).values * 2, x)
    check(lambda lib, t: lib.msort(t[:, 1:]), x)
    check(lambda lib, t: lib.topk(t, 3, 0).values, x)
    check(lambda lib, t: t.kthvalue(2, 1).values, x)
    xt = unigrad.tensor(x, requires_grad=True)
    assert xt.sort(1).values.grad_fn.name() == "SortBackward0"
    assert xt.topk(2).values.grad_fn.name() == "TopkBackward0"


def test_sort_double_backward():
    x = _array(7, (3, 4), ties=False)

    def second(lib, t):
        y = t.sort(1).values
        g, = lib.autograd.grad((y ** 3).sum(), t, create_graph=True)
        return g
    check(second, x)


# ----- selection ------------------------------------------------------------------------------------
def _valid_indices(x: np.ndarray, values, indices, dim: int, keepdim: bool):
    """The indices point at the reported values (where PyTorch's choice among ties may differ)."""
    idx = indices.numpy() if keepdim else np.expand_dims(indices.numpy(), dim)
    vals = values.numpy() if keepdim else np.expand_dims(values.numpy(), dim)
    picked = np.take_along_axis(x, idx, dim)
    assert np.array_equal(picked, vals, equal_nan=True)


@given(seed=st.integers(0, 2 ** 16), nans=st.booleans(), largest=st.booleans(), k=st.integers(0, 5),
       dim=st.sampled_from([0, 1, -1]))
def test_topk_values_match_and_indices_point_at_them(seed, nans, largest, k, dim):
    x = _array(seed, (5, 6), nans=nans)
    ours = unigrad.topk(unigrad.tensor(x), k, dim, largest=largest)
    theirs = torch.topk(torch.tensor(x), k, dim, largest=largest)
    assert_close(ours.values, theirs.values)
    assert ours.indices.dtype is unigrad.int64
    _valid_indices(x, ours.values, ours.indices, dim % 2, True)
    unsorted = unigrad.tensor(x).topk(k, dim, largest, sorted=False)
    assert_close(unsorted.values, theirs.values)


@given(seed=st.integers(0, 2 ** 16), nans=st.booleans(), keepdim=st.booleans(), dim=st.sampled_from([0, 1, -1]))
def test_kthvalue_median_nanmedian_mode(seed, nans, keepdim, dim):
    x = _array(seed, (5, 6), nans=nans)
    k = seed % x.shape[dim] + 1
    for name, args in (("kthvalue", (k, dim, keepdim)), ("median", (dim, keepdim)), ("nanmedian", (dim, keepdim)),
                       ("mode", (dim, keepdim))):
        if name == "mode" and nans:
            continue  # PyTorch's mode compares NaNs with < inside std::sort: no defined answer
        ours = getattr(unigrad.tensor(x), name)(*args)
        theirs = getattr(torch.tensor(x), name)(*args)
        assert type(ours).__name__ == name
        assert_close(ours.values, theirs.values, what=name)
        _valid_indices(x, ours.values, ours.indices, dim % 2, keepdim)
    check(lambda lib, t: (t.median(), t.nanmedian()), x)


def test_selection_indices_on_distinct_values_and_nan_rows_match_torch():
    x = _array(8, (4, 7), ties=False)
    check(lambda lib, t: (*t.topk(3, 1), *t.kthvalue(4, 0), *t.median(1), *t.nanmedian(0, keepdim=True),
                          *t.mode(1)), x)
    y = np.array([[1.0, NAN, 3.0, NAN], [4.0, 2.0, 2.5, 1.0], [NAN, 0.0, 1.0, 5.0]])
    check(lambda lib, t: (*t.median(1), *t.nanmedian(1), t.median(), t.nanmedian()), y, grad=False)


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index():
    x = np.array([[1.0, 2.0, 2.0, 1.0, 3.0], [5.0, 5.0, 4.0, 4.0, 4.0], [7.0, 7.0, 7.0, 7.0, 7.0]])
    ours = unigrad.tensor(x).mode(1)
    assert ours.values.tolist() == [1.0, 4.0, 7.0] and ours.indices.tolist() == [3, 4, 4]
    assert_close(ours.values, torch.tensor(x).mode(1).values)
    check(lambda lib, t: t.mode(0).values, _array(9, (6, 3), ties=False))


def test_selection_gradients():
    x = _array(10, (4, 5), ties=False)
    check(lambda lib, t: (t.median(1).values, t.nanmedian(0, True).values, t.mode(1).values,
                          t.kthvalue(3, 0, True).values), x)
    tied = _array(11, (4, 5))
    check(lambda lib, t: (t.median(), t.nanmedian()), tied)  # ties share the gradient evenly
    xt = unigrad.tensor(x, requires_grad=True)
    assert [xt.median().grad_fn.name(), xt.median(0).values.grad_fn.name(), xt.mode(0).values.grad_fn.name()] == \
        ["MedianBackward0", "MedianBackward1", "ModeBackward0"]


def test_selection_errors_match_torch():
    def raises_like(fn, words):
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(type(theirs.value)) as ours:
            fn(unigrad)
        assert words in str(theirs.value) and words in str(ours.value), (str(ours.value), str(theirs.value))
    raises_like(lambda lib: lib.topk(lib.ones(3), 4), "selected index k out of range")
    raises_like(lambda lib: lib.topk(lib.ones(3), -1), "selected index k out of range")
    raises_like(lambda lib: lib.kthvalue(lib.ones(3), 0), "kthvalue(): selected number k out of range for dimension 0")
    raises_like(lambda lib: lib.kthvalue(lib.ones(2, 0), 1, 1), "kthvalue(): Expected reduction dim 1 to have non-zero")
    raises_like(lambda lib: lib.median(lib.ones(2, 0), 1), "median(): Expected reduction dim 1 to have non-zero size")
    raises_like(lambda lib: lib.mode(lib.ones(2, 0), 1), "mode(): Expected reduction dim 1 to have non-zero size")
    raises_like(lambda lib: lib.median(lib.tensor([True, False])), "not implemented for 'Bool'")
    raises_like(lambda lib: lib.topk(lib.tensor([True, False]), 1), "topk does not support bool dtypes")
    check(lambda lib, t: (*lib.topk(t, 0, 1), *lib.median(t, 0), *lib.mode(t, 0)), np.ones((2, 0)), grad=False)
    check(lambda lib, t: (*lib.topk(t[0, 0], 1), *lib.topk(t[0, 0], 0), *t[0, 0].mode()), np.ones((2, 3)))


def test_return_types_are_named_like_torch():
    x = unigrad.tensor([[3.0, 1.0], [2.0, 2.0]])
    for result, name in ((x.sort(), "sort"), (x.topk(1), "topk"), (x.kthvalue(1), "kthvalue"),
                         (x.median(0), "median"), (x.nanmedian(0), "nanmedian"), (x.mode(0), "mode"),
                         (x.max(1), "max"), (x.min(1), "min")):
        assert type(result) is getattr(unigrad.return_types, name)
        assert type(result).__module__ == "unigrad.return_types" and type(result).__name__ == name
        values, indices = result
        assert values is result.values and indices is result[1] and result._fields == ("values", "indices")
        assert repr(result).startswith(f"unigrad.return_types.{name}(\nvalues=tensor(")


# ----- quantiles --------------------------------------------------------------------------------------
@given(seed=st.integers(0, 2 ** 16), nans=st.booleans(), keepdim=st.booleans(),
       dim=st.sampled_from([None, 0, 1, -1]), q_kind=st.sampled_from(["float", "0-d", "1-d"]),
       interpolation=st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
def test_quantile_and_nanquantile(seed, nans, keepdim, dim, q_kind, interpolation):
    # which of equal elements (NaNs included) PyTorch's sort puts first is unspecified: no gradients then
    ties = seed % 2 == 0
    rng = np.random.default_rng(seed)
    x = _array(seed, (4, 5), ties=ties)
    if nans:
        x[rng.random(x.shape) < 0.25] = NAN
    qs = np.concatenate([[0.0, 1.0], rng.random(3)])

    def q_of(lib, t):
        return float(qs[2]) if q_kind == "float" else t[0] if q_kind == "0-d" else t
    for name in ("quantile", "nanquantile"):
        check(lambda lib, t, q: getattr(lib, name)(t, q_of(lib, q), dim, keepdim, interpolation=interpolation),
              x, qs if q_kind != "0-d" else qs[2:3], grad=not (ties or nans), rtol=1e-12, atol=1e-12)


def test_quantile_float32_and_methods():
    x = _array(12, (3, 8), "float32", ties=False)
    q = np.array([0.1, 0.5, 0.9], dtype=np.float32)
    check(lambda lib, t, qq: (t.quantile(qq, 1), t.nanquantile(0.25, 0, keepdim=True)), x, q, rtol=1e-6, atol=1e-6)
    check(lambda lib, t: lib.quantile(t[0, 0], 0.5), x)


def test_quantile_errors_match_torch():
    x = torch.ones(2, 3)
    cases = [lambda lib, t: lib.quantile(t, 1.5), lambda lib, t: lib.quantile(t, lib.tensor([0.5, -0.1])),
             lambda lib, t: lib.quantile(t, lib.tensor([[0.5]])), lambda lib, t: lib.quantile(t.long(), 0.5),
             lambda lib, t: lib.quantile(t, lib.tensor([0.5], dtype=lib.float64)),
             lambda lib, t: lib.quantile(t, 0.5, interpolation="cubic"), lambda lib, t: lib.quantile(t[:0], 0.5)]
    for fn in cases:
        with pytest.raises(RuntimeError) as theirs:
            fn(torch, x)
        with pytest.raises(RuntimeError) as ours:
            fn(unigrad, unigrad.ones(2, 3))
        assert str(ours.value) == str(theirs.value)


# ----- unique ---------------------------------------------------------------------------------------
@given(shape=shapes, seed=st.integers(0, 2 ** 16), nans=st.booleans(), inverse=st.booleans(), counts=st.booleans(),
       dtype=st.sampled_from(["float64", "int64", "bool"]))
def test_unique_and_unique_consecutive(shape, seed, nans, inverse, counts, dtype):
    x = _array(seed, shape, dtype, nans=nans and dtype == "float64")
    check(lambda lib, t: lib.unique(t, return_inverse=inverse, return_counts=counts), x, grad=False)
    check(lambda lib, t: t.unique(sorted=False, return_inverse=inverse), x, grad=False)
    check(lambda lib, t: lib.unique_consecutive(t, return_inverse=inverse, return_counts=counts), x, grad=False)


@given(seed=st.integers(0, 2 ** 16), dim=st.sampled_from([0, 1, 2, -1]), inverse=st.booleans(), counts=st.booleans())
def test_unique_along_a_dim(seed, dim, inverse, counts):
    x = np.random.default_rng(seed).integers(0, 2, (4, 3, 2))
    check(lambda lib, t: lib.unique(t, return_inverse=inverse, return_counts=counts, dim=dim), x, grad=False)
    check(lambda lib, t: t.unique_consecutive(return_inverse=inverse, return_counts=counts, dim=dim), x, grad=False)


# ----- searching ------------------------------------------------------------------------------------
@given(seed=st.integers(0, 2 ** 16), right=st.booleans(), nans=st.booleans(), n=st.integers(0, 9),
       batched=st.booleans(), dtype=st.sampled_from(["float64", "int64"]))
def test_searchsorted_and_bucketize(seed, right, nans, n, batched, dtype):
    rng = np.random.default_rng(seed)
    boundaries = np.sort(_array(seed, (3, n) if batched else (n,), dtype), axis=-1)
    values = _array(seed + 1, (3, 4) if batched else (2, 5), dtype, nans=nans and dtype == "float64")
    check(lambda lib, s, v: (lib.searchsorted(s, v, right=right), lib.searchsorted(s, v, side="right" if right else "left"),
                             lib.searchsorted(s, v, out_int32=True)), boundaries, values, grad=False)
    if not batched:
        check(lambda lib, s, v: (lib.bucketize(v, s, right=right), lib.searchsorted(s, 1, right=right),
                                 lib.bucketize(2.5, s)), boundaries, values, grad=False)
        shuffled = boundaries[rng.permutation(n)]
        check(lambda lib, s, v: lib.searchsorted(s, v, sorter=lib.argsort(s, stable=True)), shuffled, values,
              grad=False)


def test_searchsorted_follows_torch_binary_search_through_nans():
    check(lambda lib, s, v: (lib.searchsorted(s, v), lib.searchsorted(s, v, right=True)),
          np.array([1.0, NAN, NAN]), np.array([5.0, NAN, 0.5, 1.0]), grad=False)
    check(lambda lib, s, v: lib.searchsorted(s, v), np.array([0.1], dtype=np.float32), np.array(0.1), grad=False)


def test_searching_errors_match_torch():
    cases = [lambda lib: lib.searchsorted(lib.ones(2, 3), 2.0),
             lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3, 1)),
             lambda lib: lib.searchsorted(lib.ones(3), lib.ones(1), side="left", right=True),
             lambda lib: lib.searchsorted(lib.ones(3), lib.ones(1), side="middle"),
             lambda lib: lib.searchsorted(lib.ones(3), lib.ones(1), sorter=lib.tensor([0, 1])),
             lambda lib: lib.bucketize(lib.ones(3), lib.ones(1, 3))]
    for fn in cases:
        with pytest.raises(RuntimeError) as theirs:
            fn(torch)
        with pytest.raises(RuntimeError) as ours:
            fn(unigrad)
        assert str(ours.value) == str(theirs.value)


@given(seed=st.integers(0, 2 ** 16), nans=st.booleans(), invert=st.booleans(), n=st.integers(0, 6))
def test_isin(seed, nans, invert, n):
    elements = _array(seed, (3, 4), nans=nans)
    test_elements = _array(seed + 7, (n,), nans=nans)
    check(lambda lib, e, t: (lib.isin(e, t, invert=invert), lib.isin(lib.where(e.isfinite(), e, 0.0).long(), t),
                             lib.isin(e, 2.0), lib.isin(1.0, t)), elements, test_elements, grad=False)


# ----- counting ------------------------------------------------------------------------------------
@given(seed=st.integers(0, 2 ** 16), bins=st.integers(1, 12), ranged=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_histc(seed, bins, ranged, dtype):
    x = (np.random.default_rng(seed).standard_normal(40) * 2).astype(dtype)
    low, high = (-1.5, 2.0) if ranged else (0, 0)
    check(lambda lib, t: (lib.histc(t, bins, low, high), t.reshape(4, 10).histc(bins)), x, grad=False)


def test_histc_edges_nans_and_errors():
    x = np.array([0.0, 0.1, 0.2, 0.3, 0.7, 0.35, 0.9, 1.0, NAN, -1.0, 2.0], dtype=np.float32)
    check(lambda lib, t: (lib.histc(t, 10, 0, 1), lib.histc(t, 7, 0.1, 0.9), lib.histc(t[:0], 3),
                          lib.histc(t[:2] * 0 + 2, 4)), x, grad=False)
    for fn, error in ((lambda lib: lib.histc(lib.tensor([1, 2])), NotImplementedError),
                      (lambda lib: lib.histc(lib.ones(3), 0), RuntimeError),
                      (lambda lib: lib.histc(lib.ones(3), 4, 3, 1), RuntimeError),
                      (lambda lib: lib.histc(lib.tensor([1.0, NAN]), 4), RuntimeError),
                      (lambda lib: lib.histc(lib.tensor([1.0, math.inf]), 4), RuntimeError)):
        with pytest.raises(error) as theirs:
            fn(torch)
        with pytest.raises(error) as ours:
            fn(unigrad)
        # the sign printed for a NaN bound depends on which CPU kernel (torch's, NumPy's) found it
        assert str(ours.value).replace("-nan", "nan") == str(theirs.value).replace("-nan", "nan")


def test_bincount():
    x = np.array([1, 1, 3, 0, 7, 3], dtype=np.int64)
    w = np.array([0.5, 0.25, 2.0, 1.0, -1.0, 3.0])
    check(lambda lib, t, ww: (lib.bincount(t), t.bincount(minlength=10), lib.bincount(t, ww),
                              lib.bincount(t, ww.float()), lib.bincount(t, t), lib.bincount(t[:0], minlength=2),
                              lib.bincount(t.to(lib.uint8))), x, w, grad=False)
    for fn, error in ((lambda lib: lib.bincount(lib.tensor([1, -1])), RuntimeError),
                      (lambda lib: lib.bincount(lib.tensor([[1]])), RuntimeError),
                      (lambda lib: lib.bincount(lib.tensor([1.0])), NotImplementedError),
                      (lambda lib: lib.bincount(lib.tensor([1]), lib.ones(2)), RuntimeError),
                      (lambda lib: lib.bincount(lib.tensor([1]), minlength=-1), RuntimeError)):
        with pytest.raises(error) as theirs:
            fn(torch)
        with pytest.raises(error) as ours:
            fn(unigrad)
        assert str(ours.value) == str(theirs.value)


# ----- multinomial -----------------------------------------------------------------------------------
def _chi_square(counts, probabilities) -> float:
    expected = probabilities * counts.sum()
    used = expected > 0
    assert counts[~used].sum() == 0, "a zero-probability category was drawn"
    return float((((counts - expected) ** 2)[used] / expected[used]).sum())


def test_multinomial_with_replacement_follows_the_distribution():
    weights = np.array([[0.1, 0.0, 2.0, 0.5, 1.4, 0.0, 3.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    unigrad.manual_seed(2024)
    samples = unigrad.multinomial(unigrad.tensor(weights), 6000, replacement=True)
    assert samples.dtype is unigrad.int64 and tuple(samples.shape) == (2, 6000)
    for row in range(2):
        counts = np.bincount(samples[row].tolist(), minlength=7)
        # 99.9% quantile of chi-square with 4 and 6 degrees of freedom: 18.5, 22.5
        assert _chi_square(counts, weights[row] / weights[row].sum()) < (18.5, 22.5)[row]


def test_multinomial_without_replacement():
    weights = np.array([0.05, 0.0, 0.6, 0.15, 0.2])
    unigrad.manual_seed(7)
    t = unigrad.tensor(weights).expand(3000, 5)
    draws = unigrad.multinomial(t, 3).tolist()
    assert all(len(set(row)) == 3 and 1 not in row for row in draws)
    # the first draw follows the weights
    first = np.bincount([row[0] for row in draws], minlength=5)
    assert _chi_square(first, weights) < 16.3  # 99.9% quantile, 3 degrees of freedom
    # once the positive weights run out, the zero-weight categories fill up the sample
    assert sorted(unigrad.multinomial(unigrad.tensor([0.0, 3.0, 0.0]), 3).tolist()) == [0, 1, 2]
    assert unigrad.tensor([1.0, 2.0]).multinomial(2).tolist() in ([0, 1], [1, 0])


def test_multinomial_is_reproducible_and_shaped_like_torch():
    unigrad.manual_seed(3)
    a = unigrad.multinomial(unigrad.tensor([0.2, 0.3, 0.5]), 4, True)
    unigrad.manual_seed(3)
    b = unigrad.multinomial(unigrad.tensor([0.2, 0.3, 0.5]), 4, True)
    assert a.tolist() == b.tolist() and tuple(a.shape) == (4,)
    generator = unigrad.Generator().manual_seed(3)
    assert unigrad.multinomial(unigrad.tensor([0.2, 0.3, 0.5]), 4, True, generator=generator).tolist() == a.tolist()
    check(lambda lib, t: lib.multinomial(t, 2).shape, np.ones((0, 3)), grad=False)
    check(lambda lib, t: lib.multinomial(t, 1).dtype == lib.int64, np.ones(3, dtype=np.float16), grad=False)


def test_multinomial_errors_match_torch():
    cases = [(lambda lib: lib.multinomial(lib.tensor([1.0, 0, 0]), 4), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1.0, 0, 0]), 0), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([0.0, 0, 0]), 1), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([[1.0, 2], [0, 0]]), 2, True), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1.0, -1, 0]), 1), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1.0, NAN, 0]), 1), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1.0, math.inf, 0]), 2, True), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1.0, NAN, 0]), 2, True), RuntimeError),
             (lambda lib: lib.multinomial(lib.tensor([1, 2, 0]), 2, True), RuntimeError),
             (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), RuntimeError)]
    for fn, error in cases:
        with pytest.raises(error) as theirs:
            fn(torch)
        with pytest.raises(error) as ours:
            fn(unigrad)
        assert str(ours.value) == str(theirs.value)


def test_multinomial_samples_are_bitwise_the_same_on_every_backend():
    devices = [d for d in ("cpu", "opencl", "arrayapi") if d in unigrad.backends.available()]
    rng = np.random.default_rng(0)
    weights = rng.random((4, 300)) * (rng.random((4, 300)) < 0.7)
    draws = []
    for device in devices:
        unigrad.manual_seed(11)
        w = unigrad.tensor(weights, dtype=unigrad.float32, device=device)
        draws.append([unigrad.multinomial(w, 50, True).tolist(), unigrad.multinomial(w, 20).tolist()])
        if unigrad.float64 in unigrad.backends.registry.get_backend(unigrad.device(device)).supported_dtypes:
            draws[-1].append(unigrad.multinomial(w.double(), 3, True).tolist())
    assert all(d == draws[0] for d in draws[1:]), devices


# ----- the sort primitive and its composite fallback ----------------------------------------------------
@given(shape=shapes, seed=st.integers(0, 2 ** 16), descending=st.booleans(),
       dtype=st.sampled_from(["float32", "int64", "uint8", "bool"]))
def test_composite_sort_matches_the_primitive(shape, seed, descending, dtype):
    x = unigrad.tensor(_array(seed, shape, dtype, nans=dtype == "float32"))
    dim = seed % max(len(shape), 1)
    with_primitive = unigrad.sort(x, dim, descending)
    reduction._FORCE_COMPOSITE[0] = True
    try:
        composite = unigrad.sort(x, dim, descending)
    finally:
        reduction._FORCE_COMPOSITE[0] = False
    assert_close(composite.indices, with_primitive.indices)
    assert_close(composite.values, with_primitive.values)


def test_composite_sort_works_in_chunks(monkeypatch):
    from unigrad.api.ops import sorting
    monkeypatch.setattr(sorting, "_PAIRWISE_BUDGET", 64)  # forces many chunks per row
    x = _array(13, (3, 40), "float32", nans=True)
    reduction._FORCE_COMPOSITE[0] = True
    try:
        check(lambda lib, t: t.sort(stable=True, dim=1, descending=True), x)
    finally:
        reduction._FORCE_COMPOSITE[0] = False


WITHOUT_SORT = """
import unigrad
from unigrad.backends.numpy import NumpyBackend


class WithoutSort(NumpyBackend):
    \"\"\"A plugin written before the sort primitive existed.\"\"\"
    name = "nosort"
    indexed = True
    sort = None
"""
without_sort = installed_backend("nosort", WITHOUT_SORT, "WithoutSort")


def test_a_plugin_without_the_sort_primitive_gets_the_whole_family(without_sort):
    from unigrad.conformance import run
    results = run(without_sort, op="^(primitive:sort|sort|topk_kthvalue|median_mode|quantile|unique|"
                                    "searchsorted_isin|multinomial)$", dtypes=["float32", "int64"])
    failed = [(r.name, r.dtype, r.shape_class, r.message[:200]) for r in results if r.status != "passed"]
    assert len(results) > 15 and not failed, failed[:3]
    x = unigrad.tensor(_array(14, (3, 70), "float32", nans=True))
    here = x.to(without_sort)
    assert_close(here.sort(1, descending=True).indices.cpu(), x.sort(1, descending=True).indices)
    assert_close(unigrad.unique(here, return_counts=True)[1].cpu(), unigrad.unique(x, return_counts=True)[1])


def test_conformance_catches_a_broken_sort_primitive():
    from unigrad.conformance.primitives import PRIMITIVE_CASES
    from unigrad.conformance.runner import run_optional_primitives, run_primitive_case
    backend = unigrad.backends.registry.get_backend(unigrad.device("cpu"))
    entry = next(e for e in PRIMITIVE_CASES if e[0] == "sort")
    assert run_primitive_case(entry, "cpu", "float32", 0).status == "passed"
    assert run_optional_primitives("cpu", "float32", 0).status == "passed"
    original = type(backend).sort

    def unstable(self, x, axis, descending):  # right values, but equal keys in reverse order
        flipped = np.flip(x, axis)
        values, order = original(self, flipped, axis, descending)
        return values, x.shape[axis] - 1 - order
    backend.sort = unstable.__get__(backend)
    try:
        assert run_primitive_case(entry, "cpu", "float32", 0).status == "failed"
        assert run_optional_primitives("cpu", "float32", 0).status == "failed"
    finally:
        del backend.sort


def test_nanogpt_style_top_k_sampling():
    """The sampling step of nanoGPT's ``generate``: keep the top k logits, softmax, multinomial."""
    def generate(lib, logits, top_k, steps):
        lib.manual_seed(5)
        tokens = []
        for _ in range(steps):
            v, _ = lib.topk(logits, min(top_k, logits.size(-1)))
            masked = logits.clone()
            masked[masked < v[:, [-1]]] = -float("Inf")
            probs = lib.nn.functional.softmax(masked, dim=-1)
            tokens.append(lib.multinomial(probs, num_samples=1))
        return lib.cat(tokens, dim=1)
    logits = np.random.default_rng(0).standard_normal((4, 65)).astype(np.float32)
    ours = generate(unigrad, unigrad.tensor(logits), 5, 40)
    assert ours.dtype is unigrad.int64 and tuple(ours.shape) == (4, 40)
    allowed = np.argsort(-logits, axis=1)[:, :5]
    assert all(set(row) <= set(allowed[i]) for i, row in enumerate(ours.tolist()))
    assert ours.tolist() == generate(unigrad, unigrad.tensor(logits), 5, 40).tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_multinomial_counting_path_equals_the_binary_search(rows, categories, draws, seed):
    """Few categories are drawn by counting the running sums not above each target; that is the
    binary search's answer exactly (zero weights included)."""
    from unigrad.api.ops import pointwise as pw, reduction as red, shape as sh
    from unigrad.api.ops.searching import search_rows
    from unigrad.api.ops.sampling import _draw

    rng = np.random.default_rng(seed)
    weights = rng.random((rows, categories)) * (rng.random((rows, categories)) < 0.7)
    weights[:, rng.integers(categories)] += 0.5  # a positive total in every row
    w = unigrad.tensor(weights.astype(np.float32))
    u = unigrad.tensor(rng.random((rows, draws)).astype(np.float32))
    got = _draw(w, u)
    # the same draw through the binary search
    from unigrad.api.ops.prefix_scan import inclusive_scan
    positive = pw.gt(w, 0.0)
    sums = inclusive_scan(pw.where(positive, inclusive_scan(w, "add"), -np.inf), "maximum")
    picked = search_rows(sums, u * sh.narrow(sums, 1, categories - 1, 1), right=True)
    last = red.amax(pw.where(positive, unigrad.arange(categories), -1), 1, keepdim=True)
    np.testing.assert_array_equal(got.numpy(), pw.minimum(picked, last).numpy())
    assert bool((unigrad.gather(w, 1, got) > 0).all())  # never a zero-weight category


@pytest.mark.parametrize("size", [3, 300])  # read on the host directly / through device reductions
@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "zeros"])
@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_weight_checks_match_torch_for_few_and_many_weights(size, bad, replacement):
    import torch
    weights = np.full(size, 0.5, dtype=np.float32)
    if bad == "zeros":
        weights[:] = 0.0
    else:
        weights[size // 2] = bad
    draws = 2 if replacement else 1
    with pytest.raises(RuntimeError) as theirs:
        torch.multinomial(torch.tensor(weights), draws, replacement=replacement)
    with pytest.raises(RuntimeError) as ours:
        unigrad.multinomial(unigrad.tensor(weights), draws, replacement=replacement)
    assert str(ours.value) == str(theirs.value)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 60), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_multinomial_on_the_host_equals_the_device_draw(rows, categories, draws, seed):
    """A few weights are drawn from on the host, with the device scan's order of additions: the same
    categories as the device path for the same weights and uniforms, bitwise."""
    from unigrad.api.ops.sampling import _draw, _draw_on_host

    rng = np.random.default_rng(seed)
    weights = (rng.random((rows, categories)) * (rng.random((rows, categories)) < 0.7)).astype(np.float32)
    weights[:, rng.integers(categories)] += 0.5
    uniforms = rng.random((rows, draws)).astype(np.float32)
    uniforms[0, 0] = np.nextafter(np.float32(1), np.float32(0))  # a target at the top of the range
    on_host = _draw_on_host(weights, uniforms)
    on_device = _draw(unigrad.tensor(weights), unigrad.tensor(uniforms)).numpy()
    np.testing.assert_array_equal(on_host, on_device)
    assert (np.take_along_axis(weights, on_host, 1) > 0).all()
