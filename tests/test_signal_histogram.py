"""Window functions, histogram/histogramdd, torch.gradient and autocast's global switches,
against torch."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import unigrad
from parity import assert_close, check

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 8, 33])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(name, length, periodic, dtype):
    ours = getattr(unigrad, name)(length, periodic, dtype=getattr(unigrad, dtype))
    theirs = getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype))
    assert_close(ours, theirs, atol=1e-6 if dtype == "float32" else 1e-12)


def test_window_arguments():
    assert_close(unigrad.hamming_window(7, False, alpha=0.5, beta=0.4), torch.hamming_window(7, False, alpha=0.5, beta=0.4))
    assert_close(unigrad.kaiser_window(9, True, 5.0, dtype=unigrad.float64), torch.kaiser_window(9, True, 5.0, dtype=torch.float64))
    assert unigrad.hann_window(4, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="non-negative"):
        unigrad.hann_window(-1)
    with pytest.raises(RuntimeError, match="floating point"):
        unigrad.hann_window(4, dtype=unigrad.int64)


@given(st.integers(0, 30), st.integers(1, 6), st.booleans(), st.booleans(), st.integers(0, 10_000))
def test_histogram_matches_torch(n, bins, weighted, density, seed):
    rng = np.random.default_rng(seed)
    # not rounded: values landing exactly on computed edges would test torch's linspace, whose
    # middle edges depend on its build's use of fused multiply-add
    x = rng.standard_normal(n) * 2
    w = rng.uniform(0, 2, n)
    kwargs = dict(range=(-2.0, 2.0)) if seed % 3 == 0 else {}
    ours = unigrad.histogram(unigrad.tensor(x), bins, weight=unigrad.tensor(w) if weighted else None,
                             density=density, **kwargs)
    theirs = torch.histogram(torch.tensor(x), bins, weight=torch.tensor(w) if weighted else None,
                             density=density, **kwargs)
    if n == 0 and density:
        return  # 0 / 0 in both: NaNs
    assert_close(ours.hist, theirs.hist)
    assert_close(ours.bin_edges, theirs.bin_edges)


def test_histogram_with_edges_and_histogramdd():
    x = torch.tensor([[1.0, 2.0], [1.0, 4.0], [5.0, 0.5]])
    edges = torch.tensor([0.0, 1.0, 3.0, 5.0])
    ours = unigrad.histogram(unigrad.tensor(x.numpy()), unigrad.tensor(edges.numpy()))
    theirs = torch.histogram(x, edges)
    assert_close(ours.hist, theirs.hist)
    points = np.random.default_rng(0).uniform(0, 2, (40, 3))
    for kwargs in (dict(bins=[2, 3, 4], range=[0.0, 2.0, 0.0, 2.0, 0.5, 1.5], density=True), dict(bins=3)):
        ours = unigrad.histogramdd(unigrad.tensor(points), **kwargs)
        theirs = torch.histogramdd(torch.tensor(points), **kwargs)
        assert_close(ours.hist, theirs.hist)
        for a, b in zip(ours.bin_edges, theirs.bin_edges):
            assert_close(a, b)


@pytest.mark.parametrize("kwargs", [{}, {"spacing": 2.0}, {"spacing": [0.5, 3.0], "edge_order": 2},
                                    {"dim": 1, "edge_order": 2}, {"dim": [0], "spacing": "coordinates"},
                                    {"dim": 1, "spacing": "coordinates", "edge_order": 2}])
def test_gradient_matches_torch(kwargs):
    rng = np.random.default_rng(1)
    f = rng.standard_normal((5, 6))

    def run(lib, x):
        args = dict(kwargs)
        if args.get("spacing") == "coordinates":
            dims = args["dim"] if isinstance(args["dim"], list) else [args["dim"]]
            args["spacing"] = [lib.tensor(np.cumsum(rng_coords.uniform(0.5, 2.0, f.shape[d]))) for d in dims]
        return lib.gradient(x, **args)
    rng_coords = np.random.default_rng(2)
    ours = run(unigrad, unigrad.tensor(f, requires_grad=True))
    rng_coords = np.random.default_rng(2)
    theirs = run(torch, torch.tensor(f, requires_grad=True))
    assert_close(list(ours), list(theirs), atol=1e-12)


def test_gradient_is_differentiable_and_checks_sizes():
    check(lambda lib, x: lib.gradient(x, spacing=1.5)[0], np.random.default_rng(3).standard_normal(7))
    with pytest.raises(RuntimeError, match="at least edge_order"):
        unigrad.gradient(unigrad.ones(2), edge_order=2)


def test_autocast_global_switches_behave_as_torch():
    try:
        assert unigrad.is_autocast_cpu_enabled() is torch.is_autocast_enabled("cpu") is False
        unigrad.set_autocast_cpu_dtype(unigrad.bfloat16)  # the deprecated spelling of the next line
        torch.set_autocast_dtype("cpu", torch.bfloat16)
        for lib in (unigrad, torch):
            lib.set_autocast_enabled("cpu", True)
        assert unigrad.is_autocast_enabled("cpu") and unigrad.get_autocast_cpu_dtype() is unigrad.bfloat16
        a = unigrad.ones(2, 3, device="cpu")
        assert (a @ a.t()).dtype is unigrad.bfloat16
        b = torch.ones(2, 3)
        assert (b @ b.t()).dtype is torch.bfloat16  # on without a `with` block
        unigrad.set_autocast_enabled("cpu", False)
        assert (a @ a.t()).dtype is unigrad.float32
        unigrad.set_autocast_cache_enabled(False)
        assert unigrad.is_autocast_cache_enabled() is False
        with unigrad.autocast("cpu") as region:
            assert region._cache_enabled is False and region.fast_dtype is unigrad.bfloat16
    finally:
        unigrad.set_autocast_enabled("cpu", False)
        unigrad.set_autocast_cache_enabled(True)
        torch.set_autocast_enabled("cpu", False)
