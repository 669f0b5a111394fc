"""Reading PyTorch's checkpoint formats: the zip archive (PyTorch 1.6+) and the legacy stream.

Zip: ``<prefix>/data.pkl`` is the pickled object; each storage it names by persistent id
``('storage', torch.FloatStorage, key, location, numel)`` is the record ``<prefix>/data/<key>``,
whose size must be exactly ``numel`` elements; ``byteorder`` says the storages' byte order.

Legacy (``_use_new_zipfile_serialization=False``): pickles of the magic number, the protocol
version and system information, then the object (storage ids ``('storage', type, key, location,
numel, view)``), then the list of storage keys, then each storage as an 8-byte element count and
its bytes. Storages are allocated when the pickle names them and filled once their bytes are
reached (as PyTorch does); their total size may not exceed the file's.
"""
from __future__ import annotations

import struct
import sys

import numpy as np

from .errors import CheckpointError, ForwardedError, naming
from .storage import LoadedStorage, allocate, fill, share_host
from .torch_names import StorageType
from .unpickler import RestrictedUnpickler, full_unpickler
from .zip_archive import STORED, ZipReader

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
MAX_ARCHIVE_VERSION = 10  # PyTorch's kMaxSupportedFileFormatVersion


def _storage_id(source, pid, expected_length: int):
    """``(dtype, storage type name, key, location, numel, rest)`` of a storage persistent id."""
    if len(pid) != expected_length:
        raise source.error(f"malformed storage id {pid!r:.200}")
    _, storage_type, key, location, numel, *rest = pid
    if isinstance(location, bytes):
        location = location.decode("ascii", "replace")
    if not isinstance(storage_type, StorageType) or not isinstance(key, str) or not isinstance(location, str) \
            or type(numel) is not int or numel < 0:
        raise source.error(f"malformed storage id {pid!r:.200}")
    if storage_type.dtype is None:
        raise source.error(f"the checkpoint holds a {storage_type!r}, a dtype unigrad does not support")
    return storage_type.dtype, storage_type.name, key, location, numel, rest


def _unpickle(data, source, persistent_load, weights_only: bool, pickle_module, load_args: dict,
              position: int = 0):
    """One pickle at ``position`` of ``data``; returns ``(object, end position)``."""
    if weights_only:
        unpickler = RestrictedUnpickler(data, source.name, persistent_load, position=position,
                                        encoding=load_args.get("encoding", "utf-8"),
                                        errors=load_args.get("errors", "strict"))
        return unpickler.load(), unpickler.position
    reader = _Reader(data, position)
    unpickler = full_unpickler(pickle_module, reader, source.name, persistent_load, **load_args)
    try:
        result = unpickler.load()
    except CheckpointError as error:
        raise naming(source.name, error) from None
    except ForwardedError:
        raise
    except Exception as error:
        raise source.error(f"cannot unpickle: {type(error).__name__}: {error}") from error
    return result, reader.position


class _Reader:
    """A file-like view of ``data`` from ``position`` for Python's unpickler (no copy)."""

    def __init__(self, data, position: int) -> None:
        self.data, self.position = data, position

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n is None or n < 0 else min(len(self.data), self.position + n)
        chunk = self.data[self.position:end]
        self.position = end
        return bytes(chunk)

    def readinto(self, target) -> int:
        chunk = self.read(len(target))
        target[:len(chunk)] = chunk
        return len(chunk)

    def readline(self) -> bytes:
        stop = self.data.find(b"\n", self.position)
        return self.read(-1 if stop < 0 else stop + 1 - self.position)


# ----- zip ---------------------------------------------------------------------------------------
def load_zip(source, placement, *, weights_only: bool, mmap: bool, pickle_module, load_args: dict):
    archive = ZipReader(source)
    if archive.has("constants.pkl"):
        raise source.error("a TorchScript archive, not a checkpoint (TorchScript is not supported by unigrad)")
    _check_version(source, archive)
    byteorder = archive.read("byteorder").decode("ascii", "replace") if archive.has("byteorder") else "little"
    if byteorder not in ("little", "big"):
        raise source.error(f"unknown byte order {byteorder!r:.20}")
    swap = byteorder != sys.byteorder
    storages: dict[str, LoadedStorage] = {}
    mapping = source.mapping() if mmap else None

    def persistent_load(pid):
        dtype, type_name, key, location, numel, _ = _storage_id(source, pid, 5)
        found = storages.get(key)
        if found is not None:
            if found.dtype is not dtype and type_name != "UntypedStorage":
                raise source.error(f"storage {key!r} is viewed as both {found.dtype.name} and {dtype.name}")
            return found
        record = archive.record(f"data/{key}")
        if record.size != numel * dtype.itemsize:
            raise source.error(f"storage {key!r} should hold {numel} {dtype.name} elements "
                               f"({numel * dtype.itemsize} bytes); its record holds {record.size}")

        def load(device, dtype, numel):
            if mapping is not None and record.method == STORED and not swap:
                array = np.frombuffer(mapping, dtype=dtype.numpy, count=numel, offset=source.base + record.data_offset)
                shared = share_host(device, dtype, array)
                if shared is not None:
                    return shared
            storage = allocate(device, dtype, numel)
            fill(storage, lambda start, target: archive.readinto(record, target, start), byteswap=swap)
            return storage

        storage = storages[key] = placement.storage(location, type_name, dtype, numel, load)
        return storage

    data = archive.read("data.pkl")
    result, _ = _unpickle(data, source, persistent_load, weights_only, pickle_module, load_args)
    return result


def _check_version(source, archive) -> None:
    """The archive's format version, where it says one: PyTorch writes 3 and reads up to 10."""
    for name in ("version", ".data/version"):
        if archive.has(name):
            text = archive.read(name).decode("ascii", "replace").strip()
            if not text.isdigit() or not 1 <= int(text) <= MAX_ARCHIVE_VERSION:
                raise source.error(f"archive format version {text[:20]!r} is not one unigrad reads "
                                   f"(1 to {MAX_ARCHIVE_VERSION})")
            return


# ----- legacy stream -----------------------------------------------------------------------------
def load_legacy(source, placement, *, weights_only: bool, pickle_module, load_args: dict):
    data = _whole(source)
    header_args = {"encoding": load_args.get("encoding", "utf-8")}

    def no_storages(pid):
        raise source.error("malformed legacy checkpoint header")

    magic, position = _unpickle(data, source, no_storages, True, None, header_args)
    if magic != MAGIC_NUMBER:
        raise source.error("Invalid magic number; corrupt file?")
    version, position = _unpickle(data, source, no_storages, True, None, header_args, position)
    if version != PROTOCOL_VERSION:
        raise source.error(f"Invalid protocol version: {version!r:.40}")
    sys_info, position = _unpickle(data, source, no_storages, True, None, header_args, position)
    if not isinstance(sys_info, dict) or type(sys_info.get("little_endian")) is not bool:
        raise source.error("malformed legacy checkpoint: no byte order in its system information")
    swap = sys_info["little_endian"] != (sys.byteorder == "little")
    roots: dict[str, LoadedStorage] = {}
    views: dict[str, LoadedStorage] = {}
    budget = [source.size]

    def persistent_load(pid):
        if not isinstance(pid, tuple) or not pid:
            raise source.error(f"malformed persistent id {pid!r:.100}")
        tag = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if tag == "module" and not weights_only and len(pid) == 4:
            return pid[1]  # a whole module saved with its source (not compared, unlike PyTorch)
        if tag != "storage":
            raise source.error(f"unknown persistent id {tag!r:.40}")
        dtype, type_name, key, location, numel, (view,) = _storage_id(source, pid, 6)
        root = roots.get(key)
        if root is None:
            budget[0] -= numel * dtype.itemsize
            if budget[0] < 0:
                raise source.error("the storages named by the checkpoint are larger than the file")
            root = roots[key] = placement.storage(location, type_name, dtype, numel, allocate)
        elif root.dtype is not dtype:
            raise source.error(f"storage {key!r} is viewed as both {root.dtype.name} and {dtype.name}")
        if view is None:
            return root
        if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
                and all(type(v) is int and v >= 0 for v in view[1:]) and view[1] + view[2] <= root.size()):
            raise source.error(f"malformed storage view {view!r:.100}")
        if view[0] not in views:
            views[view[0]] = root.slice(view[1], view[2])
        return views[view[0]]

    result, position = _unpickle(data, source, persistent_load, weights_only, pickle_module, load_args, position)
    keys, position = _unpickle(data, source, no_storages, True, None, header_args, position)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise source.error("malformed legacy checkpoint: the storage key list")
    for key in keys:
        storage = roots.get(key)
        if storage is None:
            raise source.error(f"storage {key!r:.40} is listed but no tensor uses it")
        (count,) = struct.unpack("<q" if sys_info["little_endian"] else ">q",
                                 source.read_at(position, 8, f"the size of storage {key!r}"))
        if count != storage.size():
            raise source.error(f"storage {key!r} should hold {storage.size()} elements; the file says {count}")
        start = position + 8
        nbytes = count * storage.element_size()
        source.check_range(start, nbytes, f"storage {key!r}")
        fill(storage, lambda offset, target, start=start: source.readinto_at(start + offset, target), byteswap=swap)
        position = start + nbytes
    return result


def _whole(source):
    """The file as something indexable with ``find``: a read-only mapping where possible (pages
    are touched only where pickles are parsed), else its bytes."""
    if source.fileno() is not None and source.size and source.base == 0:
        import mmap
        try:
            return mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass
    return source.read_at(0, source.size, "the checkpoint")
