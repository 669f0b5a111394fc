"""Which storages ``save`` writes: tensors that view one allocation share one storage.

PyTorch writes each storage once, and every tensor as (storage, offset, size, stride), so views
and tied weights come back sharing memory. A backend tells which allocation a buffer aliases
through the optional ``storage_position`` hook; the storage written for an allocation is the span
its saved tensors cover. Without the hook every buffer object is its own storage (tensors sharing
the buffer object itself, like ``detach()`` results or one Parameter saved twice, still share).
Storage bytes are copied to the host in pieces of ``CHUNK_BYTES`` (none on the CPU backend, whose
buffers are host memory), so saving never holds a second copy of the state.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..api.tensor import Tensor
from .errors import CHUNK_BYTES

#: PyTorch's legacy storage class for each dtype (the type named in a checkpoint)
STORAGE_TYPES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                 "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
                 "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
                 "bool": "BoolStorage"}


@dataclass
class SavedStorage:
    """One storage to write: ``numel`` elements read through views of ``source``'s buffer, the
    first at byte position ``start`` (in the frame of ``source_position``)."""

    key: str
    source: Tensor
    source_position: int
    start: int
    numel: int

    @property
    def dtype(self):
        return self.source._dtype

    @property
    def location(self) -> str:
        return str(self.source._device)

    @property
    def nbytes(self) -> int:
        return self.numel * self.source._dtype.itemsize

    def chunks(self):
        """The storage's bytes, as host memoryviews of at most ``CHUNK_BYTES``."""
        backend, itemsize = self.source._backend, self.source._dtype.itemsize
        relative = (self.start - self.source_position) // itemsize
        step = max(1, CHUNK_BYTES // itemsize)
        for begin in range(0, self.numel, step):
            count = min(step, self.numel - begin)
            piece = backend.as_strided(self.source._buf, (count,), (1,), relative + begin)
            host = np.ascontiguousarray(backend.to_numpy(piece))
            yield memoryview(host.view(np.uint8))


def _extent(shape, strides) -> int:
    """Elements from a tensor's first element to its last (strides non-negative)."""
    return sum((n - 1) * s for n, s in zip(shape, strides)) + 1


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class StoragePlan:
    """The storages of a set of tensors, and where each tensor lies in its storage."""

    def __init__(self, tensors) -> None:
        self.storages: list[SavedStorage] = []
        self._where: dict[int, tuple] = {}  # id(buffer) -> (storage, offset, strides)
        self._keep: list = []  # buffers (and copies) stay alive while their ids are keys
        groups: dict = {}  # (device, allocation, dtype, misalignment) -> [source, its position, start, end]
        grouped = []
        for t in tensors:
            buf = t._buf
            if id(buf) in self._where:
                continue
            self._keep.append(buf)
            shape = tuple(buf.shape)
            strides = tuple(t._backend.strides(buf))
            if 0 in shape:
                if any(s < 0 for s in strides):
                    strides = _contiguous_strides(shape)
                self._where[id(buf)] = (self._add(t, 0, 0, 0), 0, strides)
                continue
            if any(s < 0 and n > 1 for n, s in zip(shape, strides)):
                # PyTorch has no negative strides: such a view is written as a contiguous copy
                copy = t.detach().clone()
                self._keep.append(copy)
                self._where[id(buf)] = (self._add(copy, 0, 0, copy.numel()), 0, _contiguous_strides(shape))
                continue
            strides = tuple(s if s >= 0 else 1 for s in strides)  # a negative one has size 1: unused
            hook = t._backend.storage_position
            key, position = hook(buf) if hook is not None else (("buffer", id(buf)), 0)
            itemsize = t._dtype.itemsize
            group = (t._device, key, t._dtype, position % itemsize)
            end = position + _extent(shape, strides) * itemsize
            found = groups.get(group)
            if found is None:
                groups[group] = [t, position, position, end]
            else:
                found[2] = min(found[2], position)
                found[3] = max(found[3], end)
            self._where[id(buf)] = (group, position, strides)
            grouped.append(id(buf))
        made = {}
        for ident in grouped:
            group, position, strides = self._where[ident]
            source, source_position, start, end = groups[group]
            itemsize = source._dtype.itemsize
            storage = made.get(group)
            if storage is None:
                storage = made[group] = self._add(source, source_position, start, (end - start) // itemsize)
            self._where[ident] = (storage, (position - start) // itemsize, strides)
        # keys in the order the pickle meets the storages (PyTorch numbers them that way)
        order = {}
        for storage, _, _ in self._where.values():
            order.setdefault(id(storage), len(order))
        self.storages.sort(key=lambda s: order[id(s)])
        for number, storage in enumerate(self.storages):
            storage.key = str(number)

    def _add(self, source, source_position, start, numel) -> SavedStorage:
        storage = SavedStorage("", source, source_position, start, numel)
        self.storages.append(storage)
        return storage

    def locate(self, t: Tensor) -> tuple:
        """``(storage, element offset, strides)`` of a tensor given to the plan (or sharing a
        buffer object with one)."""
        return self._where[id(t._buf)]
