"""Where a checkpoint's bytes come from: a path or a readable, seekable file object.

Readers ask for exact byte ranges (``read_at``, ``readinto_at``); a range past the end is a
truncated file, reported as such. ``mapping()`` memory-maps a file on disk (private, copy-on-write
pages, like ``torch.load(mmap=True)``) so host tensors can alias it.
"""
from __future__ import annotations

import io
import mmap
import os

from .errors import CheckpointError


def is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


class Source:
    """The bytes of one checkpoint, counted from the position the file object was at."""

    def __init__(self, f) -> None:
        self._owned = is_path(f)
        if self._owned:
            self.name = os.fspath(f)
            self.file = open(self.name, "rb")
        else:
            for method in ("read", "seek", "tell"):
                if not hasattr(f, method):
                    raise AttributeError(f"expected 'f' to be a string, path, or a file-like object with "
                                         f"'read', 'seek' and 'tell' (it has no {method!r})")
            self.file = f
            self.name = str(getattr(f, "name", "") or f"<{type(f).__name__}>")
        try:
            self.base = self.file.tell()
            self.size = self.file.seek(0, io.SEEK_END) - self.base
        except (OSError, ValueError) as error:
            self.close()
            raise CheckpointError(f"{self.name}: the file must be seekable to be loaded ({error})") from None
        self._mapping = None

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self.file.close()

    def error(self, reason: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: {reason}")

    def check_range(self, offset: int, nbytes: int, what: str) -> None:
        if offset < 0 or nbytes < 0 or offset + nbytes > self.size:
            raise self.error(f"truncated or corrupted checkpoint: {what} spans bytes [{offset}, "
                             f"{offset + nbytes}) of a {self.size}-byte file")

    def read_at(self, offset: int, nbytes: int, what: str = "a record") -> bytes:
        self.check_range(offset, nbytes, what)
        self.file.seek(self.base + offset)
        data = self.file.read(nbytes)
        if len(data) != nbytes:
            raise self.error(f"truncated checkpoint: {what} ends past the end of the file")
        return data

    def readinto_at(self, offset: int, target: memoryview, what: str = "a record") -> None:
        """Fill ``target`` (bytes) from ``offset`` straight into its memory (no intermediate copy)."""
        nbytes = target.nbytes
        self.check_range(offset, nbytes, what)
        self.file.seek(self.base + offset)
        readinto = getattr(self.file, "readinto", None)
        done = 0
        while done < nbytes:
            if readinto is not None:
                got = readinto(target[done:])
            else:
                chunk = self.file.read(nbytes - done)
                got = len(chunk)
                target[done:done + got] = chunk
            if not got:
                raise self.error(f"truncated checkpoint: {what} ends past the end of the file")
            done += got

    def fileno(self) -> int | None:
        try:
            return self.file.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None

    def mapping(self) -> mmap.mmap:
        """The file mapped privately (writes stay in this process), or an error for file objects."""
        if self._mapping is None:
            if not self._owned:
                raise ValueError("f must be a file path in order to use the mmap argument")
            if self.size == 0:
                raise self.error("cannot memory-map an empty file")
            self._mapping = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_COPY)
        return self._mapping
