"""The plugin manager: finds plugins once, lazily, and isolates the ones that fail."""
from __future__ import annotations

import importlib
import os
import warnings
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "unigrad.backends"
BUILTIN_PLUGINS = (
    "unigrad.backends.numpy.plugin",
    "unigrad.backends.cupy.plugin",
    "unigrad.backends.opencl.plugin",
)

_manager: pluggy.PluginManager | None = None


class PluginWarning(UserWarning):
    """A plugin failed to load or to register; the others are unaffected."""


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _warn(plugin: str, error: BaseException, action: str) -> None:
    warnings.warn(
        f"unigrad plugin {plugin!r} failed to {action}: {type(error).__name__}: {error} "
        f"(disable it with UNIGRAD_DISABLE_PLUGINS={plugin})",
        PluginWarning,
        stacklevel=3,
    )


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-in and entry-point plugins registered.

    Environment: ``UNIGRAD_DISABLE_PLUGINS`` (comma-separated names to skip) and
    ``UNIGRAD_LOAD_PLUGINS`` (if set, only these third-party plugins load).
    """
    global _manager
    if _manager is not None:
        return _manager
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    disabled = _names_from_env("UNIGRAD_DISABLE_PLUGINS") or set()
    allowed = _names_from_env("UNIGRAD_LOAD_PLUGINS")
    for module_name in BUILTIN_PLUGINS:
        short = module_name.split(".")[-2]
        if short in disabled or module_name in disabled:
            continue
        try:
            manager.register(importlib.import_module(module_name), name=module_name)
        except Exception as error:  # a broken built-in must not break the others either
            _warn(module_name, error, "load")
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in disabled or (allowed is not None and point.name not in allowed):
            continue
        if manager.has_plugin(point.name):
            continue
        try:
            manager.register(point.load(), name=point.name)
        except Exception as error:
            _warn(point.name, error, "load")
    manager.check_pending()
    if os.environ.get("UNIGRAD_TRACE_PLUGINS"):
        manager.trace.root.setwriter(print)
        manager.enable_tracing()
    _manager = manager
    return manager


def collect_backends() -> list[tuple[str, object]]:
    """Call every plugin's ``unigrad_register_backends`` one by one, so a failing plugin is
    reported by name and skipped. Returns (plugin name, backend class or instance) pairs."""
    manager = get_plugin_manager()
    found = []
    for impl in manager.hook.unigrad_register_backends.get_hookimpls():
        try:
            result = impl.function()
            for backend in result or ():
                found.append((impl.plugin_name, backend))
        except Exception as error:
            _warn(impl.plugin_name, error, "register its backends")
    return found


def reset() -> None:
    """Forget discovered plugins (for tests that install plugins at run time)."""
    global _manager
    _manager = None
