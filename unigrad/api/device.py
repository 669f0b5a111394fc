"""Devices: ``unigrad.device("cuda:1")``, the default device, and resolving a device to its backend."""
from __future__ import annotations

import os

__all__ = ["device", "get_default_device", "set_default_device"]


class device:
    """Where a tensor lives: a device type (``"cpu"``, ``"cuda"``, ``"opencl"``, or a plugin's)
    and an optional index. Equal devices are the same object, so ``a.device is b.device`` works."""

    __slots__ = ("type", "index", "_str", "__weakref__")
    _interned: dict = {}

    def __new__(cls, type_or_spec, index: int | None = None):
        if type_or_spec.__class__ is device and index is None:
            return type_or_spec
        key = (type_or_spec, index)
        found = cls._interned.get(key)
        if found is not None:
            return found
        kind, idx = _parse(type_or_spec, index)
        canonical = cls._interned.get((kind, idx))
        if canonical is None:
            canonical = object.__new__(cls)
            canonical.type, canonical.index = kind, idx
            canonical._str = kind if idx is None else f"{kind}:{idx}"
            cls._interned[(kind, idx)] = canonical
        cls._interned[key] = canonical
        return canonical

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self._str

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError, TypeError):
                return False
        return self is other

    def __hash__(self) -> int:
        return hash(self._str)

    def __reduce__(self):
        return (device, (self._str,))


def _parse(spec, index):
    if isinstance(spec, device):
        return spec.type, index if index is not None else spec.index
    if isinstance(spec, int) and not isinstance(spec, bool):
        # torch treats a bare ordinal as the accelerator's index; we have no single accelerator.
        raise ValueError(f"device ordinal {spec} is ambiguous in unigrad; write e.g. 'cuda:{spec}'")
    if not isinstance(spec, str):
        raise TypeError(f"device must be a string or unigrad.device, got {type(spec).__name__}")
    text = spec.strip()
    if ":" in text:
        kind, _, number = text.partition(":")
        if index is not None:
            raise RuntimeError(f"device {spec!r} already has an index; got index={index} as well")
        if not number.isdigit():
            raise RuntimeError(f"invalid device string {spec!r}: the index must be a non-negative integer")
        index = int(number)
    else:
        kind = text
    if not kind or not kind.replace("_", "").isalnum():
        raise RuntimeError(f"invalid device string {spec!r}")
    if index is not None and index < 0:
        raise RuntimeError(f"device index must be non-negative, got {index}")
    return kind, index


_default_device: device | None = None


def get_default_device() -> device:
    """The device new tensors go to: ``set_default_device``, else env ``UNIGRAD_DEVICE``, else cpu."""
    global _default_device
    if _default_device is None:
        _default_device = device(os.environ.get("UNIGRAD_DEVICE", "cpu") or "cpu")
    return _default_device


def set_default_device(dev) -> None:
    """Set the device that factory functions (``zeros``, ``tensor``, ...) use by default."""
    global _default_device
    _default_device = None if dev is None else device(dev)
