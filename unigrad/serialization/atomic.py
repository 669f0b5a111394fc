"""Writing a checkpoint file atomically, without leaving temporary files behind.

``save`` writes ``.<name>.<host>-<pid>-<random>.unigrad-tmp`` next to the target, flushes it to
disk and renames it over the target, so a crash mid-save leaves any previous checkpoint intact.
A writer killed before the rename leaves its temporary file; the next save to the same path
removes the temporaries of writers on this host whose process no longer exists (the pid is
checked for liveness; temporaries of live writers and of other hosts are left alone).

The file gets the mode of the file it replaces, or, for a new file, the umask's default (as
``open`` gives). Saving onto a symbolic link writes the link's target (the link stays). A
missing directory is reported with the path the caller gave, as PyTorch reports it.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import socket

SUFFIX = ".unigrad-tmp"
_NAME_BYTES = 120  # of the target's name kept in the temporary's name (file names end at 255)


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _prefix(name: str) -> str:
    short = name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")
    return f".{short}."


def temporary_name(target: str) -> str:
    """The temporary file for ``target``: it names the host and this process."""
    directory, name = os.path.split(target)
    return os.path.join(directory, f"{_prefix(name)}{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_temporaries(target: str) -> list[str]:
    """Delete the temporaries left for ``target`` by dead writers on this host; returns them."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there; keep everything
        return []
    directory, name = os.path.split(target)
    prefix, host = _prefix(name), _host_tag()
    removed = []
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(SUFFIX)):
            continue
        middle = entry.name[len(prefix):-len(SUFFIX)].split("-")
        if len(middle) != 3 or middle[0] != host or not middle[1].isdigit():
            continue
        if _alive(int(middle[1])):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(entry.path)
    return removed


def resolve_target(path: str) -> str:
    """The file a save to ``path`` writes: a symbolic link's final target, else ``path``."""
    return os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)


@contextlib.contextmanager
def atomic_output(path: str):
    """A binary file to write; on success it replaces ``path``'s target, on failure it vanishes."""
    target = resolve_target(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or directory} does not exist "
                           f"(cannot save {path!r}).")
    remove_stale_temporaries(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    temporary = temporary_name(target)
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0), 0o666)  # new files: 0o666 less the umask, as open()
    except OSError as error:
        raise type(error)(error.errno, f"{error.strerror} (cannot save {path!r})", path) from None
    try:
        with os.fdopen(fd, "wb") as out:
            if mode is not None:
                os.chmod(temporary, mode)
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(fd)
