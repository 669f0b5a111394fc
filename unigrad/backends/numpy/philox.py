"""Philox4x32-10, the counter-based generator behind ``random_bits``, for an array module ``xp``.

Layout (shared by every backend): block ``c`` is Philox4x32-10 of counter ``(c mod 2**32,
c // 2**32, 0, 0)`` under key ``(seed mod 2**32, seed // 2**32)``; its four words are stream words
``4c .. 4c+3``.
"""
from __future__ import annotations

MASK32 = 0xFFFFFFFF
MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
KEY_BUMPS = (0x9E3779B9, 0xBB67AE85)
ROUNDS = 10


def philox4x32(xp, c0, c1, c2, c3, k0: int, k1: int):
    """Apply Philox4x32-10 to counter words given as uint64 arrays holding 32-bit values."""
    for _ in range(ROUNDS):
        p0 = c0 * MULTIPLIERS[0]
        p1 = c2 * MULTIPLIERS[1]
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
        k0 = (k0 + KEY_BUMPS[0]) & MASK32
        k1 = (k1 + KEY_BUMPS[1]) & MASK32
    return c0, c1, c2, c3


def random_bits(xp, seed: int, offset: int, count: int):
    """``count`` uint32 stream words from word ``offset`` (a multiple of 4)."""
    first_block = offset // 4
    blocks = (count + 3) // 4
    counter = xp.arange(first_block, first_block + blocks, dtype=xp.uint64)
    zeros = xp.zeros(blocks, dtype=xp.uint64)
    seed &= (1 << 64) - 1
    words = philox4x32(xp, counter & MASK32, counter >> 32, zeros, zeros, seed & MASK32, seed >> 32)
    return xp.stack(words, axis=1).reshape(-1)[:count].astype(xp.uint32)


def uniform_from_bits(xp, bits, float_dtype):
    """Floats in [0, 1) from uint32 words, exactly as documented on ``Backend.uniform_from_bits``."""
    if xp.dtype(float_dtype).itemsize == 8:
        pairs = bits.reshape(-1, 2).astype(xp.uint64)
        mantissa = (pairs[:, 0] >> 5) * (1 << 26) + (pairs[:, 1] >> 6)
        return mantissa.astype(xp.float64) * (2.0 ** -53)
    if xp.dtype(float_dtype).itemsize == 2:
        return ((bits >> 21).astype(xp.float32) * (2.0 ** -11)).astype(float_dtype)
    return (bits >> 8).astype(xp.float32) * xp.float32(2.0 ** -24)
