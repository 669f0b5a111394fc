"""The counter-based random stream: Philox known-answer vectors, determinism, distributions."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import unigrad
from unigrad.backends.numpy import philox

# Known-answer vectors from the Random123 distribution (kat_vectors, philox4x32 10 rounds).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_philox_known_answers(counter, key, expected):
    words = [np.array([c], dtype=np.uint64) for c in counter]
    out = philox.philox4x32(np, *words, key[0], key[1])
    assert tuple(int(w[0]) for w in out) == expected


def test_stream_layout_blocks_and_offsets():
    backend = unigrad.backends.get_backend("cpu")
    seed = (7 << 32) | 3
    stream = backend.random_bits(seed, 0, 16)
    block2 = philox.philox4x32(np, *(np.array([v], dtype=np.uint64) for v in (2, 0, 0, 0)), 3, 7)
    assert [int(w[0]) for w in block2] == stream[8:12].tolist()
    np.testing.assert_array_equal(backend.random_bits(seed, 8, 6), stream[8:14])


def test_manual_seed_reproduces_every_random_op():
    def draw():
        unigrad.manual_seed(123)
        return [unigrad.rand(5).tolist(), unigrad.randn(2, 3).tolist(),
                unigrad.randint(0, 10, (4,)).tolist(), unigrad.randperm(6).tolist(),
                unigrad.empty(3).uniform_(-2, 2).tolist(), unigrad.empty(3).normal_(1, 0.5).tolist()]
    assert draw() == draw()
    unigrad.manual_seed(124)
    assert unigrad.rand(5).tolist() != draw()[0]


def test_uniform_is_an_exact_function_of_the_bits():
    unigrad.manual_seed(5)
    u = unigrad.rand(8).numpy()
    bits = unigrad.backends.get_backend("cpu").random_bits(5, 0, 8)
    np.testing.assert_array_equal(u, (bits >> 8).astype(np.float32) * np.float32(2 ** -24))
    unigrad.manual_seed(5)
    d = unigrad.rand(4, dtype=unigrad.float64).numpy()
    pairs = bits.reshape(-1, 2).astype(np.uint64)
    np.testing.assert_array_equal(d, ((pairs[:, 0] >> 5) * 2 ** 26 + (pairs[:, 1] >> 6)) * 2.0 ** -53)


def test_generator_state_roundtrip_and_independent_generators():
    unigrad.manual_seed(1)
    state = unigrad.get_rng_state()
    a = unigrad.rand(3).tolist()
    unigrad.set_rng_state(state)
    assert unigrad.rand(3).tolist() == a
    g = unigrad.Generator().manual_seed(1)
    assert unigrad.rand(3, generator=g).tolist() == a


def _chi_square_uniform(samples, bins):
    counts, _ = np.histogram(samples, bins=bins, range=(0, 1))
    expected = len(samples) / bins
    return ((counts - expected) ** 2 / expected).sum()


def test_distributions():
    unigrad.manual_seed(0)
    u = unigrad.rand(200_000).numpy()
    assert u.min() >= 0 and u.max() < 1
    # chi-square with 99 degrees of freedom: the 0.999 quantile is about 149
    assert _chi_square_uniform(u, 100) < 149
    z = unigrad.randn(200_000, dtype=unigrad.float64).numpy()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs((np.abs(z) < 1).mean() - math.erf(1 / math.sqrt(2))) < 0.005
    k = unigrad.randint(3, 9, (60_000,)).numpy()
    assert set(np.unique(k)) == set(range(3, 9))
    assert np.abs(np.bincount(k - 3) / 10_000 - 1).max() < 0.05
    p = unigrad.randperm(50).numpy()
    assert sorted(p.tolist()) == list(range(50))
    if unigrad.float16 in unigrad.backends.registry.get_backend(unigrad.get_default_device()).supported_dtypes:
        h = unigrad.rand(1000, dtype=unigrad.float16).numpy()
        assert h.min() >= 0 and h.max() < 1


def test_bernoulli_and_like_variants():
    unigrad.manual_seed(2)
    b = unigrad.bernoulli(unigrad.full((10_000,), 0.3))
    assert abs(b.mean().item() - 0.3) < 0.02
    x = unigrad.zeros(2, 3, dtype=unigrad.float64)
    assert unigrad.rand_like(x).dtype == unigrad.float64 and unigrad.randn_like(x).shape == (2, 3)
    assert unigrad.randint_like(x, 5).dtype == unigrad.float64


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([7, 2**40 + 3, 11]), st.integers(1, 700)), min_size=1, max_size=40))
def test_read_ahead_serves_the_streams_own_words(requests):
    """Small requests read from a window generated ahead; every answer is the stream's words at
    its offset, whatever the mix of seeds and sizes (windows of 64 words, at most two seeds)."""
    read_ahead = philox.ReadAhead(np, window=64, small=48, seeds=2)
    offsets = {}
    for seed, count in requests:
        offset = offsets.get(seed, 0)
        offsets[seed] = offset + -(-count // 4) * 4
        got = read_ahead(seed, offset, count)
        np.testing.assert_array_equal(got, philox.random_bits(np, seed, offset, count))
        got[:] = 0  # a caller's buffer: writing to it leaves the window intact
    for seed, offset in offsets.items():
        np.testing.assert_array_equal(read_ahead(seed, offset, 8), philox.random_bits(np, seed, offset, 8))


def test_small_draws_after_reseeding_follow_the_new_stream():
    unigrad.manual_seed(5)
    first = [unigrad.rand(3) for _ in range(4)]
    unigrad.manual_seed(5)
    assert all(bool((a == unigrad.rand(3)).all()) for a in first)
    words = philox.random_bits(np, 5, 0, 16)
    np.testing.assert_array_equal(first[0].numpy(), (words[:3] >> 8).astype(np.float32) * np.float32(2 ** -24))
