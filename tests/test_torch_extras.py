"""Smaller top-level names: empty_permuted, poisson/binomial, to_dlpack, resize(_as), method forms."""
import numpy as np
import pytest
import torch

import unigrad


def test_empty_permuted_lays_dims_out_in_the_physical_order():
    for size, layout in [((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((3,), (0,))]:
        ours, theirs = unigrad.empty_permuted(size, layout), torch.empty_permuted(size, layout)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.stride() == theirs.stride()
    with pytest.raises(RuntimeError):
        unigrad.empty_permuted((2, 3), (0, 0))


def test_poisson_and_binomial_samples_have_the_right_moments():
    unigrad.manual_seed(0)
    rates = unigrad.full((20000,), 4.0)
    draws = unigrad.poisson(rates).numpy()
    assert draws.dtype == np.float32 and np.all(draws == np.round(draws)) and draws.min() >= 0
    # mean 4, variance 4: six standard errors of the mean
    assert abs(draws.mean() - 4.0) < 6 * np.sqrt(4.0 / draws.size)
    count, prob = unigrad.full((20000,), 30.0), unigrad.full((20000,), 0.3)
    draws = unigrad.binomial(count, prob).numpy()
    assert draws.min() >= 0 and draws.max() <= 30
    assert abs(draws.mean() - 9.0) < 6 * np.sqrt(30 * 0.3 * 0.7 / draws.size)


def test_to_dlpack_shares_with_torch():
    x = unigrad.arange(6.0).reshape(2, 3)
    assert torch.from_dlpack(unigrad.to_dlpack(x)).tolist() == x.tolist()


def test_resize_forms_and_method_forms_match_torch():
    for lib in (unigrad, torch):
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            assert tuple(lib.ones(2, 3).resize(3, 2).shape) == (3, 2)
    a, b = unigrad.zeros(6), unigrad.zeros(2, 3)
    assert tuple(unigrad.resize_as_(a, b).shape) == (2, 3)
    x = [-1.0, 0.3, 2.0]
    assert unigrad.tensor(x).hardshrink(0.5).tolist() == torch.tensor(x).hardshrink(0.5).tolist()
    w = [0.25]
    assert unigrad.tensor(x).prelu(unigrad.tensor(w)).tolist() == torch.tensor(x).prelu(torch.tensor(w)).tolist()
