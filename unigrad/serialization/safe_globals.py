"""The user's allowlist for ``load(..., weights_only=True)`` (``torch.serialization.add_safe_globals``).

An allowlisted class may be instantiated and have its state set while loading, an allowlisted
function may be called with arguments from the file; nothing else from the file runs. Modules
that reach the operating system are refused even when allowlisted, as in PyTorch.
"""
from __future__ import annotations

from typing import Callable, Union

SafeGlobal = Union[Callable, tuple]

#: never resolved from a file, whatever the allowlist says (PyTorch blocks the first four)
BLOCKED_MODULES = frozenset({"sys", "os", "posix", "nt", "subprocess", "shutil", "importlib",
                             "runpy", "ctypes", "socket", "pty"})

_user_globals: list = []


def _check(entry) -> None:
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got "
                             f"tuple of length: {len(entry)}")
        if type(entry[1]) is not str:
            raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                            f"{type(entry[1])}")
    elif not callable(entry):
        raise TypeError(f"safe globals must be classes or functions (or (global, 'module.name') "
                        f"tuples), got {entry!r}")


def add_safe_globals(safe_globals: list[SafeGlobal]) -> None:
    """Mark classes/functions as safe for ``weights_only`` loading. Each item is a global, named in
    the file as ``{__module__}.{__qualname__}``, or a ``(global, "module.name")`` tuple giving the
    name the file uses (e.g. ``(unigrad.nn.Linear, "torch.nn.modules.linear.Linear")``)."""
    for entry in safe_globals:
        _check(entry)
    for entry in safe_globals:
        if entry not in _user_globals:
            _user_globals.append(entry)


def get_safe_globals() -> list[SafeGlobal]:
    """The globals added with ``add_safe_globals`` (or an active ``safe_globals`` block)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget every global added with ``add_safe_globals``."""
    _user_globals.clear()


def _remove_safe_globals(safe_globals: list[SafeGlobal]) -> None:
    for entry in safe_globals:
        if entry in _user_globals:
            _user_globals.remove(entry)


class safe_globals:  # noqa: N801 - PyTorch's name
    """``with safe_globals([MyClass]): load(f)``: the globals are allowlisted inside the block only."""

    def __init__(self, safe_globals: list[SafeGlobal]) -> None:
        for entry in safe_globals:
            _check(entry)
        self.safe_globals = list(safe_globals)
        self._added: list = []

    def __enter__(self) -> None:
        self._added = [entry for entry in self.safe_globals if entry not in _user_globals]
        add_safe_globals(self._added)

    def __exit__(self, *exc) -> None:
        _remove_safe_globals(self._added)


def user_allowed() -> dict:
    """``{"module.name": object}`` for the allowlisted globals."""
    allowed = {}
    for entry in _user_globals:
        if isinstance(entry, tuple):
            allowed[entry[1]] = entry[0]
        else:
            allowed[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return allowed
