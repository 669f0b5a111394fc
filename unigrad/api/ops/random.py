"""Random numbers from one counter-based stream (Philox4x32-10), identical on every backend.

``manual_seed(s)`` resets the stream; each random op takes the next words of it, rounded up to
whole Philox blocks (4 words), whatever the device. Uniform floats are exact functions of the bits
(so bitwise equal everywhere); normals use Box-Muller on each backend's own log/sqrt/cos, so they
agree within float rounding.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

from .. import dtypes
from .support import Tensor, contiguous_strides

_MASK64 = (1 << 64) - 1


class Generator:
    """A position in the unigrad random stream: a 64-bit seed and a word offset."""

    def __init__(self, device="cpu") -> None:
        self.device = device
        self._seed = 67280421310721  # PyTorch's default seed value
        self._offset = 0

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream at ``seed``."""
        self._seed = int(seed) & _MASK64
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from a non-deterministic source; returns the new seed."""
        value = int.from_bytes(os.urandom(8), "little") ^ time.monotonic_ns()
        self.manual_seed(value & _MASK64)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The generator state as a uint8 tensor (seed and offset, little-endian)."""
        from ..creation import tensor
        raw = np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8)
        return tensor(raw.copy(), dtype=dtypes.uint8)

    def set_state(self, state: Tensor) -> None:
        raw = np.asarray(state._host() if isinstance(state, Tensor) else state, dtype=np.uint8)
        if raw.size != 16:
            raise RuntimeError(f"generator state must hold 16 bytes, got {raw.size}")
        self._seed, self._offset = (int(v) for v in raw.view(np.uint64))

    def take(self, words: int) -> tuple:
        """Reserve ``words`` stream words; returns (seed, offset of the first)."""
        offset = self._offset
        self._offset += -(-words // 4) * 4
        return self._seed, offset


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the stream every random op on every device draws from."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _bits(backend, count: int, generator):
    seed, offset = (generator or default_generator).take(count)
    return backend.random_bits(seed, offset, count)


def uniform_buffer(backend, shape: tuple, dtype, generator=None):
    """A buffer of floats in [0, 1) drawn from the stream."""
    n = 1
    for s in shape:
        n *= s
    words = n * (2 if dtype.itemsize == 8 else 1)
    return _reshape(backend, backend.uniform_from_bits(_bits(backend, words, generator), dtype), shape)


def _reshape(backend, flat, shape):
    return backend.as_strided(flat, tuple(shape), contiguous_strides(shape), 0)


def box_muller(backend, dtype, u1, u2, first, second) -> None:
    """Write ``r cos(theta)`` into ``first`` and ``r sin(theta)`` into ``second`` for the uniform
    pairs ``(u1, u2)`` of ``dtype``: ``r = sqrt(-2 ln(1 - u1))``, ``theta = 2 pi u2``. ``second``
    may be shorter: it takes the first of the sines."""
    m = u1.shape[0]
    radius = backend.sub(backend.full((m,), 1.0, dtype), u1)
    backend.log(radius, out=radius)
    backend.mul(radius, -2.0, out=radius)
    backend.sqrt(radius, out=radius)
    theta = backend.mul(u2, 2.0 * math.pi)
    backend.mul(radius, backend.cos(theta), out=first)
    backend.sin(theta, out=theta)
    kept = second.shape[0]
    if kept < m:
        radius = backend.as_strided(radius, (kept,), (1,), 0)
        theta = backend.as_strided(theta, (kept,), (1,), 0)
    if kept:
        backend.mul(radius, theta, out=second)


def normal_buffer(backend, shape: tuple, dtype, generator=None):
    """Standard normal floats by Box-Muller, both outputs of each pair used: for ``m = ceil(n/2)``
    uniform pairs, ``r = sqrt(-2 ln(1-u1))`` and ``theta = 2 pi u2``, the first ``m`` values are
    ``r cos(theta)`` and the next ``m`` are ``r sin(theta)`` (one stream word per float32 normal)."""
    n = 1
    for s in shape:
        n *= s
    work = dtypes.accumulate_dtype(dtype)
    m = (n + 1) // 2
    u = uniform_buffer(backend, (2, m), work, generator)
    z = backend.empty((2 * m,), work)
    box_muller(backend, work, backend.as_strided(u, (m,), (1,), 0), backend.as_strided(u, (m,), (1,), m),
               backend.as_strided(z, (m,), (1,), 0), backend.as_strided(z, (m,), (1,), m))
    if work is not dtype:
        z = backend.cast(z, dtype)
    return _reshape(backend, z, shape)  # the first n values


def integer_buffer(backend, shape: tuple, low: int, high: int, dtype, generator=None):
    """Integers uniform in [low, high) (modulo reduction of 32 or 64 random bits)."""
    span = high - low
    if span <= 0:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    n = 1
    for s in shape:
        n *= s
    if span <= 1 << 32:
        values = backend.cast(_bits(backend, n, generator), dtypes.int64)
    else:
        pairs = backend.cast(_bits(backend, 2 * n, generator), dtypes.int64)
        hi = backend.as_strided(pairs, (n,), (2,), 0)
        lo = backend.as_strided(pairs, (n,), (2,), 1)
        values = backend.add(backend.mul(backend.remainder(hi, 1 << 31), 1 << 32), lo)
    values = backend.add(backend.remainder(values, span), low)
    if dtype is not dtypes.int64:
        values = backend.cast(values, dtype)
    return _reshape(backend, values, shape)


def permutation_buffer(backend, n: int, generator=None):
    """A random permutation of ``range(n)``: a stable argsort of random keys (on the host)."""
    keys = backend.to_numpy(_bits(backend, n, generator))
    order = np.argsort(keys, kind="stable").astype(np.int64)
    return backend.from_numpy(order)
