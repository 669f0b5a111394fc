"""Reuse of large host blocks between ops, for the CPU backend.

Arrays above a few megabytes are mapped fresh from the operating system by ``malloc`` and handed
back when freed, so every such temporary (an im2col matrix, a column gradient) pays a page fault
per 4 KiB on first touch -- about a third of the time of a GEMM that writes it. Like PyTorch's
caching allocator, this keeps freed large blocks and hands them out again. A block is free when
nothing but the cache refers to it: arrays carved from it keep it as their ``base``.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

#: requests smaller than this go straight to NumPy (malloc reuses them well)
THRESHOLD_BYTES = 4 << 20
#: free blocks kept beyond this many bytes are released, largest first
CAPACITY_BYTES = 512 << 20
_GRANULE = 1 << 16


def _references(block) -> int:
    return sys.getrefcount(block)


def _free_references() -> int:
    """What ``_references`` reports, from a loop over the cache's list, for a block nothing else
    holds (measured, not assumed: interpreters count borrowed references differently)."""
    probe = [np.empty(1, np.uint8)]
    for block in probe:
        return _references(block)


class LargeBlockCache:
    """``empty(shape, dtype)`` for large arrays, carved from reusable uint8 blocks."""

    def __init__(self, threshold: int = THRESHOLD_BYTES, capacity: int = CAPACITY_BYTES) -> None:
        self.threshold, self.capacity = threshold, capacity
        self._blocks: list = []
        self._free_refs = _free_references()
        self._lock = threading.Lock()  # two threads must never take the same free block

    def empty(self, shape, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        count = 1
        for n in shape:
            count *= n
        nbytes = count * dtype.itemsize
        if nbytes < self.threshold:
            return np.empty(shape, dtype)
        with self._lock:
            block = self._take(nbytes)
            # the view keeps the block referenced, so it is not handed out again while in use
            return block[:nbytes].view(dtype).reshape(shape)

    def _free_blocks(self) -> list:
        free = []
        for block in self._blocks:
            if _references(block) == self._free_refs:
                free.append(block)
        return free

    def _take(self, nbytes: int) -> np.ndarray:
        fitting = [b for b in self._free_blocks() if nbytes <= b.nbytes <= nbytes + nbytes // 4]
        if fitting:
            return min(fitting, key=lambda b: b.nbytes)
        self._release_free(keep=self.capacity - nbytes)
        block = np.empty(-(-nbytes // _GRANULE) * _GRANULE, np.uint8)
        self._blocks.append(block)
        return block

    def _release_free(self, keep: int) -> None:
        free = sorted(self._free_blocks(), key=lambda b: b.nbytes)
        total = sum(b.nbytes for b in free)
        released = set()
        while free and total > max(keep, 0):
            block = free.pop()
            total -= block.nbytes
            released.add(id(block))
        if released:
            self._blocks = [b for b in self._blocks if id(b) not in released]

    def cached_bytes(self) -> tuple:
        """(bytes held in all blocks, bytes in blocks now free)."""
        with self._lock:
            return sum(b.nbytes for b in self._blocks), sum(b.nbytes for b in self._free_blocks())

    def empty_cache(self) -> None:
        """Release every free block to the operating system."""
        with self._lock:
            self._release_free(keep=0)
