"""The zip container of PyTorch checkpoints: a streaming writer and a strict reader.

The writer lays records out as PyTorch's (miniz) writer does: uncompressed, each record's data
aligned to 64 bytes by an ``FB`` padding field in its local header, sizes and CRC in a data
descriptor after the data (so a record streams in pieces without seeking back), and the zip64
end records. Zip64 fields are used where a size or offset needs them.

The reader trusts nothing: it finds the end record at the end of the file, checks every count,
size and offset against the file before reading, refuses encrypted, multi-disk, overlapping and
duplicate records, and reads only stored or deflated records, into buffers of the declared size.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Iterable

from .errors import MAX_ENTRIES

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIG = 0x04034B50
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_CENTRAL_SIG = 0x02014B50
_DESCRIPTOR_SIG = 0x08074B50
_END = struct.Struct("<IHHHHIIH")
_END_SIG = 0x06054B50
_END64 = struct.Struct("<IQHHIIQQQQ")
_END64_SIG = 0x06064B50
_LOCATOR = struct.Struct("<IIQI")
_LOCATOR_SIG = 0x07064B50
_FLAGS = 0x0808  # bit 3: sizes in a data descriptor; bit 11: UTF-8 names
#: sizes and offsets from here on need zip64 fields (a module constant so tests can lower it)
ZIP64_LIMIT = 0xFFFFFFFF
STORED, DEFLATED = 0, 8


@dataclass
class _Written:
    name: bytes
    offset: int
    size: int
    crc: int
    zip64: bool


class ZipWriter:
    """Writes records one after another to ``out`` (anything with ``write``; no seeking)."""

    def __init__(self, out, alignment: int = 64) -> None:
        self.out = out
        self.alignment = alignment
        self.position = 0
        self.records: list[_Written] = []

    def _write(self, data) -> None:
        self.out.write(data)
        self.position += memoryview(data).nbytes

    def write_record(self, name: str, data: bytes) -> None:
        self.write_stream(name, [memoryview(data)], len(data))

    def write_stream(self, name: str, chunks: Iterable, nbytes: int) -> None:
        """One record of ``nbytes`` bytes from ``chunks`` (bytes-like pieces, written as they come)."""
        encoded = name.encode("utf-8")
        offset = self.position
        zip64 = nbytes >= ZIP64_LIMIT or offset >= ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if zip64 else b""
        unpadded = offset + _LOCAL.size + len(encoded) + len(extra) + 4
        padding = -unpadded % self.alignment
        extra += struct.pack("<HH", 0x4246, padding) + b"Z" * padding  # "FB", as PyTorch pads
        self._write(_LOCAL.pack(_LOCAL_SIG, 45 if zip64 else 20, _FLAGS, STORED, 0, 0, 0, 0, 0,
                                len(encoded), len(extra)))
        self._write(encoded)
        self._write(extra)
        crc = written = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            self._write(chunk)
            written += memoryview(chunk).nbytes
        if written != nbytes:
            raise RuntimeError(f"record {name!r}: wrote {written} bytes, announced {nbytes}")
        if zip64:
            self._write(struct.pack("<IIQQ", _DESCRIPTOR_SIG, crc, nbytes, nbytes))
        else:
            self._write(struct.pack("<IIII", _DESCRIPTOR_SIG, crc, nbytes, nbytes))
        self.records.append(_Written(encoded, offset, nbytes, crc, zip64))

    def close(self) -> None:
        """Write the central directory and the end records."""
        start = self.position
        for record in self.records:
            big_size = record.size >= ZIP64_LIMIT
            big_offset = record.offset >= ZIP64_LIMIT
            fields = ([record.size, record.size] if big_size else []) + ([record.offset] if big_offset else [])
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            size32 = 0xFFFFFFFF if big_size else record.size
            self._write(_CENTRAL.pack(_CENTRAL_SIG, 45 if record.zip64 else 20, 45 if record.zip64 else 20,
                                      _FLAGS, STORED, 0, 0, record.crc, size32, size32, len(record.name),
                                      len(extra), 0, 0, 0, 0, 0xFFFFFFFF if big_offset else record.offset))
            self._write(record.name)
            self._write(extra)
        size = self.position - start
        end64 = self.position
        count = len(self.records)
        self._write(_END64.pack(_END64_SIG, _END64.size - 12, 45, 45, 0, 0, count, count, size, start))
        self._write(_LOCATOR.pack(_LOCATOR_SIG, 0, end64, 1))
        self._write(_END.pack(_END_SIG, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                              min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0))


@dataclass
class Record:
    """One member of an archive: where its data lies in the file and how it is stored."""

    name: str
    header_offset: int
    data_offset: int
    compressed_size: int
    size: int
    method: int
    crc: int


class ZipReader:
    """The records of the zip archive in ``source`` (a ``sources.Source``), checked."""

    def __init__(self, source) -> None:
        self.source = source
        cd_offset, cd_size, count, cd_end = self._end_records()
        self.records = self._central_directory(cd_offset, cd_size, count)
        self._locate_data(cd_offset)
        names = list(self.records)
        first = names[0] if names else ""
        self.prefix = first.split("/", 1)[0] + "/" if "/" in first else ""
        if not self.prefix or any(not n.startswith(self.prefix) for n in names):
            raise source.error("not a PyTorch checkpoint: its records are not all in one top-level "
                               "directory (like 'archive/data.pkl')")

    def _error(self, reason: str):
        return self.source.error(f"corrupted zip archive: {reason}")

    def _end_records(self):
        size = self.source.size
        if size < _END.size:
            raise self._error(f"file of {size} bytes is too short for a zip archive")
        tail_size = min(size, _END.size + 0xFFFF)
        tail = self.source.read_at(size - tail_size, tail_size, "the zip end record")
        at = -1
        position = tail.rfind(b"PK\x05\x06")
        while position >= 0:
            # the end record's comment must reach exactly to the end of the file
            if position + _END.size <= tail_size:
                comment = struct.unpack_from("<H", tail, position + 20)[0]
                if position + _END.size + comment == tail_size:
                    at = position
                    break
            position = tail.rfind(b"PK\x05\x06", 0, position)
        if at < 0:
            raise self.source.error("truncated or corrupted zip archive: no end-of-central-directory record "
                                    "at the end of the file")
        end_offset = size - tail_size + at
        _, disk, cd_disk, on_disk, count, cd_size, cd_offset, _ = _END.unpack_from(tail, at)
        cd_end = end_offset
        needs64 = 0xFFFF in (disk, cd_disk, on_disk, count) or 0xFFFFFFFF in (cd_size, cd_offset)
        found = self._zip64_end(end_offset)
        if found is not None:
            disk, cd_disk, on_disk, count, cd_size, cd_offset, cd_end = found
        elif needs64:
            raise self._error("the end record needs zip64 end records, which are missing or corrupted")
        if disk != 0 or cd_disk != 0 or on_disk != count:
            raise self._error("multi-disk archives are not supported")
        if count > MAX_ENTRIES:
            raise self._error(f"{count} records (at most {MAX_ENTRIES} are read)")
        if cd_offset + cd_size > cd_end:
            raise self._error(f"central directory [{cd_offset}, {cd_offset + cd_size}) runs past its end "
                              f"record at {cd_end}")
        if cd_size < count * _CENTRAL.size:
            raise self._error(f"central directory of {cd_size} bytes cannot hold {count} records")
        return cd_offset, cd_size, count, cd_end

    def _zip64_end(self, end_offset: int):
        """The zip64 end record's fields, when a valid locator precedes the end record."""
        locator_offset = end_offset - _LOCATOR.size
        if locator_offset < 0:
            return None
        sig, disk64, end64_offset, disks = _LOCATOR.unpack(self.source.read_at(locator_offset, _LOCATOR.size))
        if sig != _LOCATOR_SIG:
            return None
        if disk64 != 0 or disks != 1:
            raise self._error("multi-disk archives are not supported")
        if end64_offset + _END64.size > locator_offset:
            raise self._error(f"zip64 end record at {end64_offset} overlaps what follows it")
        (sig, _, _, _, disk, cd_disk, on_disk, count, cd_size,
         cd_offset) = _END64.unpack(self.source.read_at(end64_offset, _END64.size))
        if sig != _END64_SIG:
            raise self._error("bad zip64 end record signature")
        return disk, cd_disk, on_disk, count, cd_size, cd_offset, end64_offset

    def _central_directory(self, cd_offset: int, cd_size: int, count: int) -> dict:
        data = self.source.read_at(cd_offset, cd_size, "the central directory")
        records: dict[str, Record] = {}
        at = 0
        for _ in range(count):
            if at + _CENTRAL.size > cd_size:
                raise self._error("central directory truncated")
            (sig, _, _, flags, method, _, _, crc, csize, size, name_len, extra_len, comment_len,
             disk, _, _, header_offset) = _CENTRAL.unpack_from(data, at)
            if sig != _CENTRAL_SIG:
                raise self._error(f"bad central directory entry signature at byte {cd_offset + at}")
            end = at + _CENTRAL.size + name_len + extra_len + comment_len
            if end > cd_size:
                raise self._error("central directory entry runs past the directory")
            raw_name = data[at + _CENTRAL.size:at + _CENTRAL.size + name_len]
            extra = data[at + _CENTRAL.size + name_len:at + _CENTRAL.size + name_len + extra_len]
            at = end
            try:
                name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
            except UnicodeDecodeError:
                raise self._error(f"record name {raw_name!r} is not valid UTF-8") from None
            if flags & 0x1:
                raise self._error(f"record {name!r} is encrypted")
            if method not in (STORED, DEFLATED):
                raise self._error(f"record {name!r} uses compression method {method} (only stored "
                                  "and deflated records are read)")
            if disk not in (0, 0xFFFF):
                raise self._error("multi-disk archives are not supported")
            size, csize, header_offset = self._zip64_fields(name, extra, size, csize, header_offset)
            if method == STORED and csize != size:
                raise self._error(f"stored record {name!r} declares {csize} bytes stored for {size}")
            if method == DEFLATED and size > csize * 1032 + 1024:  # deflate cannot expand more
                raise self._error(f"deflated record {name!r} claims {size} bytes from {csize}")
            if name in records:
                raise self._error(f"record {name!r} appears twice")
            records[name] = Record(name, header_offset, -1, csize, size, method, crc)
        if at != cd_size:
            raise self._error(f"{cd_size - at} stray bytes after the central directory's {count} entries")
        return records

    def _zip64_fields(self, name, extra: bytes, size, csize, header_offset):
        wanted = [v == 0xFFFFFFFF for v in (size, csize, header_offset)]
        if not any(wanted):
            return size, csize, header_offset
        values = [size, csize, header_offset]
        at = 0
        while at + 4 <= len(extra):
            tag, length = struct.unpack_from("<HH", extra, at)
            body = extra[at + 4:at + 4 + length]
            if len(body) != length:
                break
            if tag == 1:
                position = 0
                for i, needed in enumerate(wanted):
                    if needed:
                        if position + 8 > length:
                            raise self._error(f"record {name!r}: zip64 extra field too short")
                        values[i] = struct.unpack_from("<Q", body, position)[0]
                        position += 8
                return tuple(values)
            at += 4 + length
        raise self._error(f"record {name!r} needs a zip64 extra field and has none")

    def _locate_data(self, cd_offset: int) -> None:
        """Read each local header, find where its data starts, and refuse overlaps."""
        previous_end = 0
        for record in sorted(self.records.values(), key=lambda r: r.header_offset):
            if record.header_offset < previous_end:
                raise self._error(f"record {record.name!r} overlaps the record before it")
            header = self.source.read_at(record.header_offset, _LOCAL.size, f"the local header of {record.name!r}")
            sig, _, _, _, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack(header)
            if sig != _LOCAL_SIG:
                raise self._error(f"bad local header signature for record {record.name!r}")
            raw_name = self.source.read_at(record.header_offset + _LOCAL.size, name_len)
            if raw_name.decode("utf-8", "replace") != record.name and raw_name.decode("cp437") != record.name:
                raise self._error(f"record {record.name!r}: local header names {raw_name!r}")
            record.data_offset = record.header_offset + _LOCAL.size + name_len + extra_len
            end = record.data_offset + record.compressed_size
            if end > cd_offset:
                raise self._error(f"record {record.name!r} ([{record.data_offset}, {end})) runs into the "
                                  f"central directory at {cd_offset}")
            previous_end = end

    # ----- access ----------------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return self.prefix + name in self.records

    def record(self, name: str) -> Record:
        found = self.records.get(self.prefix + name)
        if found is None:
            raise self.source.error(f"not a complete PyTorch checkpoint: record '{self.prefix}{name}' is missing")
        return found

    def read(self, name: str, check_crc: bool = True) -> bytes:
        """A whole (small) record: the pickle, the byte order, the version."""
        record = self.record(name)
        target = bytearray(record.size)
        with memoryview(target) as view:  # released even on errors (a bytearray cannot die exported)
            self.readinto(record, view, 0)
        if check_crc and record.crc and zlib.crc32(target) != record.crc:
            raise self._error(f"record {record.name!r} fails its CRC-32 check")
        return bytes(target)

    def readinto(self, record: Record, target: memoryview, start: int) -> None:
        """Bytes ``[start, start + len(target))`` of ``record``'s content into ``target``."""
        if start + target.nbytes > record.size:
            raise self._error(f"record {record.name!r} holds {record.size} bytes; {start + target.nbytes} wanted")
        if record.method == STORED:
            self.source.readinto_at(record.data_offset + start, target, f"record {record.name!r}")
            return
        self._inflate_into(record, target, start)

    def _inflate_into(self, record: Record, target: memoryview, start: int) -> None:
        # deflated records are read from their beginning each time; PyTorch never writes them, so
        # this serves archives re-zipped by other tools and stays bounded by the declared sizes
        inflater = zlib.decompressobj(-15)
        produced = consumed = 0
        wanted_end = start + target.nbytes
        while produced < wanted_end:
            if consumed >= record.compressed_size:
                raise self._error(f"deflated record {record.name!r} is shorter than its declared {record.size} bytes")
            piece_size = min(1 << 20, record.compressed_size - consumed)
            piece = self.source.read_at(record.data_offset + consumed, piece_size, f"record {record.name!r}")
            consumed += piece_size
            out = inflater.decompress(piece, wanted_end - produced)
            while True:
                lo, hi = max(produced, start), produced + len(out)
                if hi > lo:
                    target[lo - start:hi - start] = out[lo - produced:hi - produced]
                produced += len(out)
                if produced >= wanted_end or not inflater.unconsumed_tail:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, wanted_end - produced)
