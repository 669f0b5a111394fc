"""Errors that kernels find on the device (an index out of range, an integer division by zero) and
the host reports later, without a device-to-host copy per op.

The rule (documented in README's OpenCL section): each host thread has its own flag buffer on the
device, and the kernels a thread launches write to that thread's flags. The error is raised by the
next synchronising call **made by the thread that launched the faulting kernel** (``.item()``,
``.tolist()``, ``.numpy()``, ``print``, ``synchronize()``...), never in another thread. An
element that faults is skipped (never written out of bounds), but the other elements of the op are
written: an in-place op (``scatter_add_``, ``index_put_``, ``x[i] = v``, ``%=``) may have
partly updated its destination when the error surfaces, as with PyTorch on CUDA. A thread that
never synchronises again never sees its error.
"""
from __future__ import annotations

import threading

#: the slots of a flag buffer (int32 each)
INDEX_FLAG, DIVISION_FLAG = 0, 1
FLAG_COUNT = 2


class DeferredIndexError(IndexError, RuntimeError):
    """An out-of-range index found by a device kernel and reported at a later synchronisation. It is
    an IndexError (what indexing raises on the CPU) and a RuntimeError (what gather/scatter raise
    on the CPU, and how CUDA's device-side asserts surface in PyTorch), so either ``except`` works."""


class DeferredErrors:
    """Per-thread device error flags of one backend instance.

    ``allocate()`` makes a zeroed flag buffer of ``FLAG_COUNT`` int32s on the device, ``read(buf)``
    copies it to the host (waiting for the kernels before it), ``clear(buf)`` zeroes it again."""

    def __init__(self, device: str, allocate, read, clear) -> None:
        self.device = device
        self._allocate, self._read, self._clear = allocate, read, clear
        self._local = threading.local()

    def flags(self):
        """The calling thread's flag buffer, for a kernel about to be launched (which may set it)."""
        local = self._local
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = self._allocate()
        local.pending = True
        return buffer

    def raise_pending(self) -> None:
        """Raise what the calling thread's kernels flagged since its last check (call after the
        host has waited for them)."""
        local = self._local
        if not getattr(local, "pending", False):
            return
        local.pending = False
        values = self._read(local.buffer)
        if not (values[INDEX_FLAG] or values[DIVISION_FLAG]):
            return
        self._clear(local.buffer)
        if values[INDEX_FLAG]:
            raise DeferredIndexError(
                f"index out of range in gather/scatter/index_select/indexing on the {self.device} device "
                f"(reported at the next synchronisation of the thread that launched the kernel; the "
                f"out-of-range elements were skipped, the others written)")
        raise RuntimeError(
            f"ZeroDivisionError: integer division or remainder by zero on the {self.device} device "
            f"(reported at the next synchronisation of the thread that launched the kernel)")
