"""Which backends exist, which can run here, and the one backend instance per device.

Pluggy finds backend classes once (``collect_backends``); after that, resolving a device is a dict
lookup, and every primitive is a plain method call on the resolved backend object.

What a plugin returns is validated, and a plugin that gets it wrong is named in a
``PluginWarning`` while every other backend keeps working: ``name`` must be a non-empty
identifier-like string, ``probe()`` must return ``(bool, str)``. The built-in device types
(``cpu``, ``cuda``, ``opencl``) cannot be taken over by a third-party plugin unless the user opts
in with ``UNIGRAD_OVERRIDE_BACKENDS=cpu=myplugin`` or ``allow_override("cpu", "myplugin")``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..api.device import device as Device
from ..plugins.manager import PLUGIN_ERRORS, collect_backends, describe_error, is_builtin, warn_plugin
from .interface import Backend

#: device types unigrad provides itself
BUILTIN_DEVICE_TYPES = ("cpu", "cuda", "opencl")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
#: what ``get_backend`` returns per device (the backend, or its checking wrapper)
_instances: dict[Device, Backend] = {}
_current_index: dict[str, int] = {}  # device type -> the index "cuda" (no index) means


def current_index(kind: str) -> int:
    """The index a device of type ``kind`` given without one resolves to (0 unless set)."""
    return _current_index.get(kind, 0)


def set_current_index(kind: str, index: int) -> None:
    """Make ``kind`` without an index mean ``kind:index`` (``unigrad.accelerator.set_device_index``)."""
    _current_index[kind] = index
#: the backends themselves, per device
_backends: dict[Device, Backend] = {}
_overrides: dict[str, str] = {}
_check_results = os.environ.get("UNIGRAD_CHECK_BACKEND", "") not in ("", "0")


class PluginContractError(TypeError):
    """What a plugin returned breaks the backend contract."""


def _backend_class(entry) -> type:
    cls = entry if isinstance(entry, type) else type(entry)
    if not issubclass(cls, Backend):
        raise PluginContractError(f"{entry!r} is not a unigrad.backends.Backend")
    name = cls.name
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise PluginContractError(f"backend {cls.__name__!r} has device-type name {name!r}; expected a "
                                  f"non-empty identifier-like string such as 'mydevice'")
    if not isinstance(cls.indexed, bool):
        raise PluginContractError(f"backend {cls.__name__!r} sets indexed={cls.indexed!r}; expected True or False")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise PluginContractError(f"backend {cls.__name__!r} does not implement: {', '.join(missing)}")
    return cls


def _overrides_from_env() -> dict[str, str]:
    """``UNIGRAD_OVERRIDE_BACKENDS="cpu=myplugin,cuda=other"``: built-in device type -> plugin."""
    pairs = {}
    for item in os.environ.get("UNIGRAD_OVERRIDE_BACKENDS", "").split(","):
        if "=" in item:
            kind, plugin = (part.strip() for part in item.split("=", 1))
            pairs[kind] = plugin
    return pairs


def allow_override(device_type: str, plugin: str) -> None:
    """Let third-party ``plugin`` replace the built-in backend of ``device_type`` (``"cpu"``,
    ``"cuda"`` or ``"opencl"``). Call it before the first device use, like setting
    ``UNIGRAD_OVERRIDE_BACKENDS=device_type=plugin``."""
    if device_type not in BUILTIN_DEVICE_TYPES:
        raise ValueError(f"allow_override: {device_type!r} is not a built-in device type "
                         f"{BUILTIN_DEVICE_TYPES}; other device types need no permission")
    if _infos is not None and _overrides_allowed().get(device_type) != plugin:
        raise RuntimeError("allow_override() must be called before the first device use: backends "
                           "were already discovered (or set UNIGRAD_OVERRIDE_BACKENDS before starting)")
    _overrides[device_type] = plugin


def _overrides_allowed() -> dict[str, str]:
    return {**_overrides_from_env(), **_overrides}


def _probe(plugin: str, cls) -> tuple[bool, str]:
    try:
        result = cls.probe()
    except PLUGIN_ERRORS as error:  # a probe that crashes means "unavailable", with the cause
        return False, f"probe failed: {describe_error(error)}"
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool)
            and isinstance(result[1], str)):
        reason = f"probe() returned {result!r}; expected a (bool, str) tuple such as (False, 'no driver')"
        warn_plugin(plugin, f"backend {cls.name!r}: {reason}; registered as unavailable")
        return False, reason
    return result


def _claim(infos: dict, plugin: str, cls) -> bool:
    """Whether ``plugin`` may register device type ``cls.name`` (warning when it may not)."""
    name = cls.name
    holder = infos.get(name)
    if name in BUILTIN_DEVICE_TYPES and not is_builtin(plugin):
        if _overrides_allowed().get(name) == plugin:
            return True
        warn_plugin(plugin, f"registers device type {name!r}, which is built into unigrad; ignored. To let "
                    f"it replace the built-in backend, set UNIGRAD_OVERRIDE_BACKENDS={name}={plugin} or call "
                    f"unigrad.backends.allow_override({name!r}, {plugin!r}) before the first device use")
        return False
    if holder is not None and not is_builtin(holder.plugin):
        warn_plugin(plugin, f"registers device type {name!r}, already provided by plugin "
                    f"{holder.plugin!r}; ignored")
        return False
    return True


def _discover() -> dict[str, BackendInfo]:
    global _infos
    if _infos is not None:
        return _infos
    infos: dict[str, BackendInfo] = {}
    for plugin, entry in collect_backends():
        try:
            cls = _backend_class(entry)
        except PluginContractError as error:
            warn_plugin(plugin, f"registers an invalid backend: {error}")
            continue
        if not _claim(infos, plugin, cls):
            continue
        ok, reason = _probe(plugin, cls)
        infos[cls.name] = BackendInfo(cls.name, plugin, ok, "" if ok else reason, cls)
        if not isinstance(entry, type) and ok:
            _adopt(Device(cls.name, None if not cls.indexed else entry.index), entry, plugin)
    _infos = infos
    return infos


def _adopt(dev: Device, backend: Backend, plugin: str) -> None:
    _backends[dev] = backend
    _instances[dev] = _checked(backend, plugin) if _check_results else backend


def _checked(backend, plugin: str):
    from .checked import CheckedBackend
    return CheckedBackend(backend, plugin)


def registered() -> list[BackendInfo]:
    """Every registered backend with its status and, when unusable, the reason."""
    return list(_discover().values())


def available() -> list[str]:
    """Device types usable on this machine."""
    return [info.name for info in _discover().values() if info.available]


def plugin_failures() -> dict[str, str]:
    """Plugins that failed to load or register, with why (after discovery)."""
    from ..plugins.manager import failures
    _discover()
    return dict(failures)


def _unknown_device_message(kind: str) -> str:
    listing = "; ".join(str(info) for info in _discover().values())
    failed = "".join(f"; plugin {name!r} failed: {why}" for name, why in plugin_failures().items())
    return f"unknown device type {kind!r}; registered backends: {listing}{failed}"


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
    try:
        count = info.backend_class.device_count()
    except PLUGIN_ERRORS as error:
        raise RuntimeError(f"device type {dev.type!r} (plugin {info.plugin!r}): device_count() failed: "
                           f"{describe_error(error)}") from None
    if index >= count:
        raise RuntimeError(f"device {dev} does not exist: {count} {dev.type} device(s) found")
    try:
        backend = info.backend_class(index)
    except PLUGIN_ERRORS as error:
        raise RuntimeError(f"device {dev} (plugin {info.plugin!r}) failed to start: "
                           f"{describe_error(error)}") from None
    _adopt(dev, backend, info.plugin)
    return _instances[dev]


def set_backend_checks(enabled: bool) -> bool:
    """Check every primitive's result shape and dtype (``UNIGRAD_CHECK_BACKEND=1``); returns the
    previous setting. Tensors made from now on use the checked backends."""
    global _check_results
    previous, _check_results = _check_results, bool(enabled)
    plugins = {info.name: info.plugin for info in (_infos or {}).values()}
    for dev, backend in _backends.items():
        _instances[dev] = _checked(backend, plugins.get(dev.type, "?")) if _check_results else backend
    from ..api import creation
    creation._placements.clear()
    return previous


def backend_checks_enabled() -> bool:
    return _check_results


def reset() -> None:
    """Forget discovered backends (tests use this after installing a plugin at run time)."""
    global _infos
    _infos = None
    _instances.clear()
    _backends.clear()
