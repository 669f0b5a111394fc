"""The cpu backend's cache of large blocks: reused only when nothing refers to them, never handed
to two live arrays, released beyond its capacity; and results computed through it are right."""
import threading

import numpy as np

import unigrad
from unigrad.backends.numpy.memory import LargeBlockCache

MB = 1 << 20


def test_a_block_is_reused_only_after_every_array_on_it_is_gone():
    cache = LargeBlockCache(threshold=MB, capacity=64 * MB)
    a = cache.empty((MB,), np.float32)
    view = a[10:20]
    del a
    b = cache.empty((MB,), np.float32)
    assert not np.shares_memory(b, view)  # the view still holds the first block
    assert cache.cached_bytes() == (8 * MB, 0)
    del view
    c = cache.empty((MB - 1000,), np.float32)  # fits the freed block
    assert cache.cached_bytes() == (8 * MB, 0)
    del b, c
    assert cache.cached_bytes() == (8 * MB, 8 * MB)


def test_small_requests_and_distant_sizes_do_not_use_cached_blocks():
    cache = LargeBlockCache(threshold=MB, capacity=64 * MB)
    small = cache.empty((100,), np.float64)
    assert small.base is None and cache.cached_bytes() == (0, 0)
    big = cache.empty((4 * MB,), np.uint8)
    del big
    other = cache.empty((MB,), np.uint8)  # a 4 MB block is too large for a 1 MB request
    assert cache.cached_bytes()[0] == 5 * MB
    del other


def test_free_blocks_beyond_the_capacity_are_released_and_empty_cache_releases_all():
    cache = LargeBlockCache(threshold=MB, capacity=10 * MB)
    arrays = [cache.empty((2 * MB,), np.uint8) for _ in range(8)]
    assert cache.cached_bytes() == (16 * MB, 0)  # in use: kept whatever the capacity
    del arrays
    keep = cache.empty((3 * MB,), np.uint8)  # no 2 MB block fits: free ones are trimmed first
    held, free = cache.cached_bytes()
    assert free <= 10 * MB - 3 * MB and held == free + 3 * MB
    del keep
    cache.empty_cache()
    assert cache.cached_bytes() == (0, 0)


def test_threads_never_share_a_block():
    cache = LargeBlockCache(threshold=MB, capacity=256 * MB)
    failures = []

    def work(value):
        for _ in range(50):
            a = cache.empty((MB // 4,), np.float32)
            a.fill(value)
            if not (a == value).all():
                failures.append(value)

    threads = [threading.Thread(target=work, args=(v,)) for v in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_large_results_through_the_cpu_backend_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1200, 1100)).astype(np.float32), rng.standard_normal((1100, 900)).astype(np.float32)
    for _ in range(3):  # later rounds run on reused blocks
        x, y = unigrad.tensor(a), unigrad.tensor(b)
        np.testing.assert_allclose((x @ y).numpy(), a @ b, rtol=1e-4, atol=1e-3)
        np.testing.assert_array_equal((x * 2 + 1).numpy(), a * 2 + 1)
        np.testing.assert_array_equal(unigrad.zeros(1200, 1100).numpy(), np.zeros((1200, 1100), np.float32))
        np.testing.assert_array_equal(x.exp().numpy(), np.exp(a))
        kept = (x - 1).numpy()
        (x + 5).numpy()  # must not land on the block that ``kept`` still uses
        np.testing.assert_array_equal(kept, a - 1)
