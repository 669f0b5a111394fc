"""Conformance cases of the sorting family: sort, selection, quantiles, unique, searching, counting
and multinomial. Everything here is exact on every backend (the sort is stable, the searches and
counts are integers, multinomial draws from the shared random stream), except the interpolating
quantiles; gradients flow back through the selected indices."""
from __future__ import annotations

import numpy as np

from .cases import ELEMENTWISE_CLASSES, FLOATS, INTS, Case, fixed, operands

SORT_DTYPES = FLOATS + INTS + ("uint8",)


def _tied(lib, x):
    """``x`` with many equal values (and, for floats in the special class, its NaNs and zeros)."""
    return lib.round(x * 2) if x.dtype.is_floating_point else x


def _sorts(lib, x):
    t = _tied(lib, x)
    last = t.sort(-1)
    first = t.sort(0, descending=True)
    return (last.values, last.indices, first.values, first.indices, t.argsort(-1, descending=True),
            lib.msort(x))


def _selection(lib, x):
    t = _tied(lib, x)
    top = t.topk(3, dim=1)
    low = lib.topk(t, 2, dim=0, largest=False)
    kth = t.kthvalue(2, 1, keepdim=True)
    return top.values, top.indices, low.values, low.indices, kth.values, kth.indices


def _medians(lib, x):
    t = _tied(lib, x)
    with_nan = lib.where(t > 1.5, float("nan"), t) if t.dtype.is_floating_point else t
    by_row = with_nan.median(1)
    return (t.median(), by_row.values, by_row.indices, *lib.nanmedian(with_nan, 0, keepdim=True),
            lib.nanmedian(with_nan), *t.mode(1))


def _quantiles(lib, x, q):
    with_nan = lib.where(x > 1.5, float("nan"), x)
    return (lib.quantile(x, q, dim=1), lib.quantile(x, 0.3, interpolation="midpoint"),
            x.quantile(q, dim=0, keepdim=True, interpolation="lower"),
            lib.nanquantile(with_nan, q, dim=1, interpolation="nearest"),
            lib.nanquantile(with_nan, 0.75, dim=0, interpolation="higher"))


def _uniques(lib, x):
    t = _tied(lib, x)
    values, inverse, counts = lib.unique(t, return_inverse=True, return_counts=True)
    rows, row_inverse = lib.unique(t[:, :2], dim=0, return_inverse=True)
    runs, run_counts = lib.unique_consecutive(t.reshape(-1), return_counts=True)
    return values, inverse, counts, rows, row_inverse, runs, run_counts


def _searches(lib, boundaries, x):
    ordered = lib.sort(boundaries, 1).values
    return (lib.searchsorted(ordered, x), lib.searchsorted(ordered, x, right=True),
            lib.searchsorted(boundaries[0], x[0], sorter=lib.argsort(boundaries[0])),
            lib.bucketize(x, ordered[1]), lib.isin(x, boundaries), lib.isin(x, boundaries[0], invert=True))


def _counts(lib, x, weights):
    return (lib.histc(x, bins=7), lib.histc(x, 5, min=-1.0, max=1.5),
            lib.bincount((x.abs() * 3).long().reshape(-1)),
            lib.bincount((x.abs() * 3).long().reshape(-1), weights=weights, minlength=9))


def _multinomial(lib, weights):
    return (lib.multinomial(weights, 5, replacement=True), lib.multinomial(weights, 4),
            lib.multinomial(weights[0], 1))


CASES = [
    Case("sort", "sorting", _sorts, operands(1), ELEMENTWISE_CLASSES, SORT_DTYPES, True, "exact",
         ("sort", "gather", "scatter_add")),
    Case("topk_kthvalue", "sorting", _selection, fixed(((4, 7), "real")), ("matrix", "noncontiguous"),
         FLOATS + INTS, True, "exact", ("sort", "gather", "scatter_add")),
    Case("median_mode", "sorting", _medians, fixed(((5, 6), "real")), ("matrix",), FLOATS + INTS, True, "exact",
         ("sort", "gather", "argmax", "maximum", "add")),
    Case("quantile", "sorting", _quantiles,
         fixed(((4, 6), "real"), lambda rng: np.array([0.0, 0.25, 0.6, 1.0])), ("matrix",), ("float32", "float64"),
         True, "rounded", ("sort", "gather", "mul", "sub", "where")),
    Case("unique", "sorting", _uniques, fixed(((5, 4), "real")), ("matrix",), FLOATS + INTS, False, "exact",
         ("sort", "nonzero", "add", "scatter", "scatter_add")),
    Case("searchsorted_isin", "sorting", _searches, fixed(((2, 9), "real"), ((2, 5), "real")), ("matrix",),
         FLOATS + INTS, False, "exact", ("sort", "gather", "lt", "eq", "where")),
    # quarter-integer weights: their sums are exact in any order of addition
    Case("histc_bincount", "sorting", _counts, fixed(((6, 5), "real"), lambda rng: rng.integers(0, 8, 30) / 4),
         ("matrix",), FLOATS, False, "exact", ("scatter_add", "floor", "max", "min", "cast")),
    Case("multinomial", "sorting", _multinomial, fixed(((3, 6), "positive")), ("matrix",), FLOATS, False, "exact",
         ("random_bits", "uniform_from_bits", "add", "maximum", "gather", "scatter")),
]
