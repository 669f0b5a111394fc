"""Device memory: a caching allocator, shared storages, and the strided array descriptor.

An ``CLArray`` is what the frontend holds: a ``Storage`` (one ``cl.Buffer`` that views share),
shape, strides and offset in elements, and a NumPy dtype. Views are new descriptors over the
same storage, so writes through a view are visible through its base, as on the CPU.
"""
from __future__ import annotations

import math

import numpy as np

from ...api.errors import OutOfMemoryError
from ...api.ops.support import contiguous_strides  # noqa: F401  (re-exported for the backend)

_ROUND = 256  # bytes; every allocation is rounded up to a multiple of this


def _bucket(nbytes: int) -> int:
    """Size class of a request: multiples of 256 B, then of 1/8 of the next power of two, so a
    reused buffer wastes at most 12.5%."""
    nbytes = max(nbytes, 1)
    if nbytes <= 4096:
        return -(-nbytes // _ROUND) * _ROUND
    step = (1 << (nbytes - 1).bit_length()) // 8
    return -(-nbytes // step) * step


class BufferPool:
    """Keeps freed device buffers by size class and hands them out again.

    Reuse is safe without waiting: the backend uses one in-order queue, so every kernel that read
    or wrote a freed buffer was enqueued before any kernel that reuses it."""

    def __init__(self, context, limit_bytes: int) -> None:
        self.context = context
        self.limit_bytes = limit_bytes
        self.free: dict[int, list] = {}
        self.cached_bytes = 0
        self.allocations = 0  # how many real device allocations happened (for tests/benchmarks)

    def take(self, nbytes: int):
        import pyopencl as cl

        size = _bucket(nbytes)
        bucket = self.free.get(size)
        if bucket:
            self.cached_bytes -= size
            return bucket.pop(), size
        self.allocations += 1
        try:
            return cl.Buffer(self.context, cl.mem_flags.READ_WRITE, size), size
        except cl.Error:
            self.empty_cache()  # out of device memory: drop what we cache and try once more
        try:
            return cl.Buffer(self.context, cl.mem_flags.READ_WRITE, size), size
        except cl.Error as error:  # INVALID_BUFFER_SIZE, MEM_OBJECT_ALLOCATION_FAILURE...
            raise OutOfMemoryError(f"opencl: can't allocate {nbytes} bytes on the device "
                                   f"({type(error).__name__}: {error})") from None

    def give(self, buffer, size: int) -> None:
        if self.cached_bytes + size > self.limit_bytes:
            return  # dropped: the cl.Buffer is released when garbage-collected
        self.free.setdefault(size, []).append(buffer)
        self.cached_bytes += size

    def empty_cache(self) -> None:
        self.free.clear()
        self.cached_bytes = 0


class Storage:
    """One pooled device buffer; goes back to the pool when no array refers to it."""

    __slots__ = ("buffer", "size", "pool")

    def __init__(self, pool: BufferPool, nbytes: int) -> None:
        self.pool = pool
        self.buffer, self.size = pool.take(nbytes)

    def __del__(self) -> None:
        try:
            self.pool.give(self.buffer, self.size)
        except Exception:  # interpreter shutdown
            pass


class CLArray:
    """A strided view of a ``Storage``: the OpenCL backend's native buffer."""

    __slots__ = ("storage", "shape", "strides", "offset", "dtype", "size", "_dense")

    def __init__(self, storage: Storage, shape, strides, offset: int, dtype: np.dtype,
                 dense: bool | None = None) -> None:
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
        self.size = math.prod(shape)
        self._dense = dense

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dense(self) -> bool:
        """C-contiguous from ``offset`` (computed once)."""
        if self._dense is None:
            self._dense = self.is_contiguous()
        return self._dense

    @property
    def data(self):
        return self.storage.buffer

    def is_contiguous(self) -> bool:
        """C-contiguous (size-1 dimensions may have any stride)."""
        expected = 1
        for n, s in zip(reversed(self.shape), reversed(self.strides)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def __repr__(self) -> str:
        return (f"CLArray(shape={self.shape}, strides={self.strides}, offset={self.offset}, "
                f"dtype={self.dtype})")
