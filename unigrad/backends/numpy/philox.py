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
    """Apply Philox4x32-10 to counter words given as uint64 arrays holding 32-bit values
    (updated in place, with two scratch arrays: no temporaries per round)."""
    p0, p1 = xp.empty_like(c0), xp.empty_like(c0)
    shift, mask = xp.uint64(32), xp.uint64(MASK32)
    m0, m1 = xp.uint64(MULTIPLIERS[0]), xp.uint64(MULTIPLIERS[1])
    for _ in range(ROUNDS):
        xp.multiply(c0, m0, out=p0)
        xp.multiply(c2, m1, out=p1)
        # c0 <- hi(p1) ^ c1 ^ k0, c2 <- hi(p0) ^ c3 ^ k1, c1 <- lo(p1), c3 <- lo(p0)
        xp.right_shift(p1, shift, out=c0)
        xp.bitwise_xor(c0, c1, out=c0)
        xp.bitwise_xor(c0, xp.uint64(k0), out=c0)
        xp.right_shift(p0, shift, out=c2)
        xp.bitwise_xor(c2, c3, out=c2)
        xp.bitwise_xor(c2, xp.uint64(k1), out=c2)
        xp.bitwise_and(p1, mask, out=c1)
        xp.bitwise_and(p0, mask, out=c3)
        k0 = (k0 + KEY_BUMPS[0]) & MASK32
        k1 = (k1 + KEY_BUMPS[1]) & MASK32
    return c0, c1, c2, c3


def random_bits(xp, seed: int, offset: int, count: int):
    """``count`` uint32 stream words from word ``offset`` (a multiple of 4)."""
    first_block = offset // 4
    blocks = (count + 3) // 4
    counter = xp.arange(first_block, first_block + blocks, dtype=xp.uint64)
    seed &= (1 << 64) - 1
    words = philox4x32(xp, counter & xp.uint64(MASK32), counter >> xp.uint64(32), xp.zeros(blocks, dtype=xp.uint64),
                       xp.zeros(blocks, dtype=xp.uint64), seed & MASK32, seed >> 32)
    out = xp.empty((blocks, 4), dtype=xp.uint32)
    for column, word in enumerate(words):
        out[:, column] = word
    return out.reshape(-1)[:count]


def uniform_from_bits(xp, bits, float_dtype):
    """Floats in [0, 1) from uint32 words, exactly as documented on ``Backend.uniform_from_bits``."""
    if xp.dtype(float_dtype).itemsize == 8:
        pairs = bits.reshape(-1, 2).astype(xp.uint64)
        mantissa = (pairs[:, 0] >> 5) * (1 << 26) + (pairs[:, 1] >> 6)
        return mantissa.astype(xp.float64) * (2.0 ** -53)
    if xp.dtype(float_dtype) == xp.float16:
        return ((bits >> 21).astype(xp.float32) * (2.0 ** -11)).astype(float_dtype)
    if xp.dtype(float_dtype).itemsize == 2:  # bfloat16: 8 significant bits
        return ((bits >> 24).astype(xp.float32) * (2.0 ** -8)).astype(float_dtype)
    return (bits >> 8).astype(xp.float32) * xp.float32(2.0 ** -24)
