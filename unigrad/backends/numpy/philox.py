"""Philox4x32-10, the counter-based generator behind ``random_bits``, for an array module ``xp``.

Layout (shared by every backend): block ``c`` is Philox4x32-10 of counter ``(c mod 2**32,
c // 2**32, 0, 0)`` under key ``(seed mod 2**32, seed // 2**32)``; its four words are stream words
``4c .. 4c+3``.
"""
from __future__ import annotations

import threading

MASK32 = 0xFFFFFFFF
MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
KEY_BUMPS = (0x9E3779B9, 0xBB67AE85)
ROUNDS = 10


def philox4x32(xp, c0, c1, c2, c3, k0: int, k1: int):
    """Philox4x32-10 of counter words given as uint32 arrays; returns the four output words (as
    uint64 arrays holding 32-bit values).

    The words live in uint64 lanes, so a round is two 64-bit products, two shifts (their high
    halves), two masks (their low halves) and four xors, every pass contiguous and in one dtype
    (reading 32-bit halves through strided views, or multiplying uint32 by uint64, costs more).
    """
    blocks = c0.shape[0]
    c0, c1, c2, c3 = (xp.array(c, dtype=xp.uint64) for c in (c0, c1, c2, c3))  # own copies: written below
    p0, p1 = xp.empty(blocks, xp.uint64), xp.empty(blocks, xp.uint64)
    m0, m1 = xp.uint64(MULTIPLIERS[0]), xp.uint64(MULTIPLIERS[1])
    low, shift = xp.uint64(MASK32), xp.uint64(32)
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
        xp.bitwise_and(p1, low, out=c1)
        xp.bitwise_and(p0, low, out=c3)
        k0 = (k0 + KEY_BUMPS[0]) & MASK32
        k1 = (k1 + KEY_BUMPS[1]) & MASK32
    return c0, c1, c2, c3


def random_bits(xp, seed: int, offset: int, count: int, chunk_blocks: int | None = None, out=None):
    """``count`` uint32 stream words from word ``offset`` (a multiple of 4). ``chunk_blocks``:
    generate that many blocks at a time (on the host, so the rounds' temporaries stay in cache).
    ``out``: a uint32 array of ``4 * ceil(count / 4)`` words to write them into."""
    first_block = offset // 4
    blocks = (count + 3) // 4
    seed &= (1 << 64) - 1
    out = xp.empty((blocks, 4), dtype=xp.uint32) if out is None else out.reshape(blocks, 4)
    step = blocks if not chunk_blocks else chunk_blocks
    for start in range(0, blocks, max(step, 1)):
        n = min(step, blocks - start)
        counter = xp.arange(first_block + start, first_block + start + n, dtype=xp.uint64)
        halves = counter.view(xp.uint32)  # little-endian: low word, high word
        zeros = xp.zeros(n, dtype=xp.uint32)
        words = philox4x32(xp, halves[0::2], halves[1::2], zeros, zeros, seed & MASK32, seed >> 32)
        part = out[start:start + n]
        for column, word in enumerate(words):
            part[:, column] = word
    return out.reshape(-1)[:count]


def uniform_from_bits(xp, bits, float_dtype, out=None, chunk: int = 1 << 16):
    """Floats in [0, 1) from uint32 words, exactly as documented on ``Backend.uniform_from_bits``.
    ``out`` (float32 only): the result array, filled ``chunk`` words at a time (the shifted words
    stay in cache)."""
    if out is not None and xp.dtype(float_dtype) == xp.float32:
        shifted = xp.empty(min(chunk, bits.shape[0]), dtype=xp.uint32)
        scale = xp.float32(2.0 ** -24)
        for start in range(0, bits.shape[0], chunk):
            part = bits[start:start + chunk]
            words = shifted[:part.shape[0]]
            xp.right_shift(part, 8, out=words)
            target = out[start:start + chunk]
            target[...] = words  # exact: below 2**24
            xp.multiply(target, scale, out=target)
        return out
    if xp.dtype(float_dtype).itemsize == 8:
        pairs = bits.reshape(-1, 2).astype(xp.uint64)
        mantissa = (pairs[:, 0] >> 5) * (1 << 26) + (pairs[:, 1] >> 6)
        return mantissa.astype(xp.float64) * (2.0 ** -53)
    if xp.dtype(float_dtype) == xp.float16:
        return ((bits >> 21).astype(xp.float32) * (2.0 ** -11)).astype(float_dtype)
    if xp.dtype(float_dtype).itemsize == 2:  # bfloat16: 8 significant bits
        return ((bits >> 24).astype(xp.float32) * (2.0 ** -8)).astype(float_dtype)
    return (bits >> 8).astype(xp.float32) * xp.float32(2.0 ** -24)


class ReadAhead:
    """Serves small ``random_bits`` requests from words generated ahead of them.

    A Philox block costs a few NumPy calls per round whatever the number of blocks, so a request
    for a few words (``randn(32)``, a dropout mask of a small layer) costs as much as one for
    thousands. The stream is a function of (seed, position) and the frontend's generators hand
    out positions in increasing order: when a small request starts where the previous one of its
    seed ended, ``window`` words are generated from its offset and the requests that follow read
    theirs from them. A request anywhere else (a generator seeded for one draw) generates just its
    own words. The words returned are the stream's own: nothing about the stream changes. The
    last few seeds are remembered (programs that alternate between a few generators).
    """

    def __init__(self, xp, window: int = 4096, small: int = 512, seeds: int = 4) -> None:
        self.xp, self.window, self.small, self.seeds = xp, window, small, seeds
        self._held: dict = {}  # seed -> (first offset, words from there)
        self._lock = threading.Lock()

    def __call__(self, seed: int, offset: int, count: int, chunk_blocks: int | None = None, out=None):
        if count > self.small:
            return random_bits(self.xp, seed, offset, count, chunk_blocks, out)
        held = self._held.get(seed)
        if held is not None:
            first, words = held
            end = first + words.shape[0]
            if first <= offset and offset + count <= end:
                return words[offset - first:offset - first + count].copy()
            sequential = offset == end
        else:
            sequential = False
        size = self.window if sequential else -(-count // 4) * 4
        words = random_bits(self.xp, seed, offset, size, chunk_blocks)
        with self._lock:
            held_words = self._held
            held_words.pop(seed, None)
            if len(held_words) >= self.seeds:
                held_words.pop(next(iter(held_words)))
            held_words[seed] = (offset, words)  # a whole entry: readers see the old or the new one
        return words[:count].copy()
