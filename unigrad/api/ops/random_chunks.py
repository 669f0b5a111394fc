"""``uniform_`` and ``normal_`` of a large tensor, written into its storage a chunk at a time.

The values are the ones ``random.uniform_buffer`` / ``random.normal_buffer`` give for the whole
tensor (the same stream words, the same element-wise steps), but no sample of the tensor's size
is made and then copied in: initialising a 100M-parameter layer touches its own memory only,
with a chunk of stream words and uniforms in cache at a time.
"""
from __future__ import annotations

from .. import dtypes
from .random import box_muller, default_generator

#: elements per chunk (a multiple of 4, so each chunk starts on a Philox block)
CHUNK = 1 << 18
#: tensors of at least this many elements are filled by chunks
THRESHOLD = 4 * CHUNK
_WORDS_PER_ELEMENT = {dtypes.float32: 1, dtypes.float64: 2}


def applies(x, recording: bool) -> bool:
    """Whether ``x`` is filled by chunks: a large float32/float64 tensor with contiguous memory,
    whose fill no graph records."""
    if recording or x._dtype not in _WORDS_PER_ELEMENT:
        return False
    return x.numel() >= THRESHOLD and x.is_contiguous()


def _flat(x):
    n = x.numel()
    return x._backend.as_strided(x._buf, (n,), (1,), 0), n


def _uniforms(backend, seed: int, first_word: int, count: int, dtype):
    """``count`` uniforms of ``dtype`` from stream word ``first_word`` (any position: the words
    are fetched from the Philox block holding it)."""
    words = _WORDS_PER_ELEMENT[dtype]
    skip = first_word % 4
    bits = backend.random_bits(seed, first_word - skip, skip + count * words)
    if skip:
        bits = backend.as_strided(bits, (count * words,), (1,), skip)
    return backend.uniform_from_bits(bits, dtype)


def uniform_(x, a: float, b: float, generator) -> None:
    """Fill ``x`` with U[a, b) samples, as ``u * (b - a) + a`` of the whole tensor's uniforms."""
    backend, dtype = x._backend, x._dtype
    flat, n = _flat(x)
    words = _WORDS_PER_ELEMENT[dtype]
    seed, offset = (generator or default_generator).take(n * words)
    scaled = (a, b) != (0.0, 1.0)
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        u = _uniforms(backend, seed, offset + start * words, count, dtype)
        target = backend.as_strided(flat, (count,), (1,), start)
        if scaled:
            backend.mul(u, float(b - a), out=target)
            backend.add(target, float(a), out=target)
        else:
            backend.copy_(target, u)


def normal_(x, mean: float, std: float, generator) -> None:
    """Fill ``x`` with N(mean, std**2) samples: ``random.normal_buffer``'s Box-Muller pairs (for
    ``m = ceil(n / 2)``, element ``i < m`` is ``r cos(theta)`` and element ``m + i`` is
    ``r sin(theta)`` of uniforms ``i`` and ``m + i``), scaled and shifted."""
    backend, dtype = x._backend, x._dtype
    flat, n = _flat(x)
    words = _WORDS_PER_ELEMENT[dtype]
    m = (n + 1) // 2
    seed, offset = (generator or default_generator).take(2 * m * words)
    scaled = (mean, std) != (0.0, 1.0)
    for start in range(0, m, CHUNK):
        count = min(CHUNK, m - start)
        u1 = _uniforms(backend, seed, offset + start * words, count, dtype)
        u2 = _uniforms(backend, seed, offset + (m + start) * words, count, dtype)
        first = backend.as_strided(flat, (count,), (1,), start)
        kept = max(0, min(count, n - m - start))  # the last pair's sine falls past the end for an odd n
        second = backend.as_strided(flat, (kept,), (1,), m + start if kept else 0)
        box_muller(backend, dtype, u1, u2, first, second)
        if scaled and kept:
            _scale(backend, second, mean, std)
        if scaled:
            _scale(backend, first, mean, std)


def _scale(backend, part, mean: float, std: float) -> None:
    backend.mul(part, float(std), out=part)
    backend.add(part, float(mean), out=part)
