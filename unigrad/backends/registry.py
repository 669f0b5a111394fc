"""Which backends exist, which can run here, and the one backend instance per device.

Pluggy finds backend classes once (``collect_backends``); after that, resolving a device is a dict
lookup, and every primitive is a plain method call on the resolved backend object.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from ..api.device import device as Device
from ..plugins.manager import PluginWarning, collect_backends
from .interface import Backend


@dataclass
class BackendInfo:
    """What ``unigrad.backends.registered()`` reports for one device type."""

    name: str
    plugin: str
    available: bool
    reason: str
    backend_class: type

    def __str__(self) -> str:
        state = "available" if self.available else f"unavailable: {self.reason}"
        return f"{self.name} ({self.plugin}): {state}"


_infos: dict[str, BackendInfo] | None = None
_instances: dict[Device, Backend] = {}
_current_index: dict[str, int] = {}  # device type -> the index "cuda" (no index) means


def current_index(kind: str) -> int:
    """The index a device of type ``kind`` given without one resolves to (0 unless set)."""
    return _current_index.get(kind, 0)


def set_current_index(kind: str, index: int) -> None:
    """Make ``kind`` without an index mean ``kind:index`` (``unigrad.accelerator.set_device_index``)."""
    _current_index[kind] = index


def _backend_class(entry) -> type:
    cls = entry if isinstance(entry, type) else type(entry)
    if not issubclass(cls, Backend):
        raise TypeError(f"{entry!r} is not a unigrad.backends.Backend")
    if not cls.name:
        raise TypeError(f"backend {cls.__name__!r} does not set a device-type `name`")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise TypeError(f"backend {cls.__name__!r} does not implement: {', '.join(missing)}")
    return cls


def _discover() -> dict[str, BackendInfo]:
    global _infos
    if _infos is not None:
        return _infos
    infos: dict[str, BackendInfo] = {}
    for plugin, entry in collect_backends():
        try:
            cls = _backend_class(entry)
        except TypeError as error:
            warnings.warn(f"unigrad plugin {plugin!r}: {error}", PluginWarning, stacklevel=2)
            continue
        if cls.name in infos:
            warnings.warn(
                f"unigrad plugin {plugin!r} registers device type {cls.name!r}, already provided by "
                f"{infos[cls.name].plugin!r}; keeping the first", PluginWarning, stacklevel=2)
            continue
        try:
            ok, reason = cls.probe()
        except Exception as error:  # a probe that crashes means "unavailable", with the cause
            ok, reason = False, f"probe failed: {type(error).__name__}: {error}"
        info = BackendInfo(cls.name, plugin, bool(ok), "" if ok else str(reason), cls)
        infos[cls.name] = info
        if not isinstance(entry, type) and ok:
            _instances[Device(cls.name, None if not cls.indexed else entry.index)] = entry
    _infos = infos
    return infos


def registered() -> list[BackendInfo]:
    """Every registered backend with its status and, when unusable, the reason."""
    return list(_discover().values())


def available() -> list[str]:
    """Device types usable on this machine."""
    return [info.name for info in _discover().values() if info.available]


def _unknown_device_message(kind: str) -> str:
    listing = "; ".join(str(info) for info in _discover().values())
    return f"unknown device type {kind!r}; registered backends: {listing}"


def canonical_device(dev) -> Device:
    """The device a tensor will report: ``"cuda"`` means ``cuda:0``; ``cpu`` has no index."""
    dev = Device(dev)
    info = _discover().get(dev.type)
    if info is None:
        raise RuntimeError(_unknown_device_message(dev.type))
    if not info.backend_class.indexed:
        if dev.index not in (None, 0):
            raise RuntimeError(f"device {dev} does not exist: {dev.type!r} has no device indices")
        return Device(dev.type)
    return dev if dev.index is not None else Device(dev.type, _current_index.get(dev.type, 0))


def get_backend(dev) -> Backend:
    """The backend instance serving ``dev`` (created once, then cached)."""
    found = _instances.get(dev)
    if found is not None:
        return found
    dev = canonical_device(dev)
    found = _instances.get(dev)
    if found is not None:
        return found
    info = _discover()[dev.type]
    if not info.available:
        raise RuntimeError(f"device type {dev.type!r} is unavailable: {info.reason}")
    index = dev.index or 0
    count = info.backend_class.device_count()
    if index >= count:
        raise RuntimeError(f"device {dev} does not exist: {count} {dev.type} device(s) found")
    backend = info.backend_class(index)
    _instances[dev] = backend
    return backend


def reset() -> None:
    """Forget discovered backends (tests use this after installing a plugin at run time)."""
    global _infos
    _infos = None
    _instances.clear()
