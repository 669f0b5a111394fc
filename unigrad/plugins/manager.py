"""The plugin manager: finds plugins once, lazily, and isolates the ones that fail.

A plugin that cannot be imported, implements a hook unigrad does not define (a misspelt
``unigrad_register_backend``), exits at import (``sys.exit``), or whose hook raises, is reported
by a ``PluginWarning`` naming it and skipped; the other plugins, built-in ones included, work on.
Only KeyboardInterrupt goes through.
"""
from __future__ import annotations

import difflib
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
#: what a plugin may raise without taking the others down: ``SystemExit`` too (a module calling
#: ``sys.exit()`` at import), but not KeyboardInterrupt
PLUGIN_ERRORS = (Exception, SystemExit)

_manager: pluggy.PluginManager | None = None
#: registered plugin names in the order they were registered (built-ins first)
_order: list[str] = []
#: plugin name -> why it failed to load or register (for ``unigrad conformance``'s diagnosis)
failures: dict[str, str] = {}


class PluginWarning(UserWarning):
    """A plugin failed to load or to register; the others are unaffected."""


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def describe_error(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"SystemExit: it called sys.exit({error.code!r})"
    return f"{type(error).__name__}: {error}"


def warn_plugin(plugin: str, problem: str, stacklevel: int = 3) -> None:
    """Warn that ``plugin`` failed (``problem`` says how) and remember it."""
    failures.setdefault(plugin, problem)
    warnings.warn(f"unigrad plugin {plugin!r} {problem} (disable it with UNIGRAD_DISABLE_PLUGINS={plugin})",
                  PluginWarning, stacklevel=stacklevel)


def _unknown_hooks(manager: pluggy.PluginManager, plugin) -> list[str]:
    """The hooks ``plugin`` implements that no hookspec defines (pluggy only notices them in
    ``check_pending``, for all plugins at once)."""
    unknown = []
    for caller in manager.get_hookcallers(plugin) or ():
        if not caller.has_spec() and not all(impl.optionalhook for impl in caller.get_hookimpls()):
            unknown.append(caller.name)
    return unknown


def _register(manager: pluggy.PluginManager, name: str, load) -> None:
    """Import and register one plugin; on any failure, warn naming it and leave it out."""
    try:
        plugin = load()
        manager.register(plugin, name=name)
    except PLUGIN_ERRORS as error:
        warn_plugin(name, f"failed to load: {describe_error(error)}", stacklevel=4)
        return
    unknown = _unknown_hooks(manager, plugin)
    if unknown:
        manager.unregister(plugin)
        known = [n for n in dir(hookspecs) if n.startswith("unigrad_")]
        hints = [f" (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(hook, known, 1))
                 else "" for hook in unknown]
        listed = ", ".join(f"{hook!r}{hint}" for hook, hint in zip(unknown, hints))
        warn_plugin(name, f"failed to load: it implements unknown hook(s) {listed}", stacklevel=4)
        return
    _order.append(name)


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
    _order.clear()
    disabled = _names_from_env("UNIGRAD_DISABLE_PLUGINS") or set()
    allowed = _names_from_env("UNIGRAD_LOAD_PLUGINS")
    for module_name in BUILTIN_PLUGINS:
        short = module_name.split(".")[-2]
        if short in disabled or module_name in disabled:
            continue
        _register(manager, module_name, lambda name=module_name: importlib.import_module(name))
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in disabled or (allowed is not None and point.name not in allowed):
            continue
        if manager.has_plugin(point.name) or point.name in BUILTIN_PLUGINS:
            continue
        _register(manager, point.name, point.load)
    if os.environ.get("UNIGRAD_TRACE_PLUGINS"):
        manager.trace.root.setwriter(print)
        manager.enable_tracing()
    _manager = manager
    return manager


def is_builtin(plugin: str) -> bool:
    return plugin in BUILTIN_PLUGINS


def collect_backends() -> list[tuple[str, object]]:
    """Call every plugin's ``unigrad_register_backends`` one by one, so a failing plugin is
    reported by name and skipped. Returns (plugin name, backend class or instance) pairs in the
    order the plugins were registered: built-ins first, then entry points as installed."""
    manager = get_plugin_manager()
    found = []
    impls = manager.hook.unigrad_register_backends.get_hookimpls()
    order = {name: i for i, name in enumerate(_order)}
    # pluggy calls hooks last-registered first, and tryfirst/trylast reorder them: neither may
    # decide which plugin owns a device type
    for impl in sorted(impls, key=lambda impl: order.get(impl.plugin_name, len(order))):
        try:
            result = impl.function()
            backends = list(result or ())
        except PLUGIN_ERRORS as error:
            warn_plugin(impl.plugin_name, f"failed to register its backends: {describe_error(error)}")
            continue
        found += [(impl.plugin_name, backend) for backend in backends]
    return found


def reset() -> None:
    """Forget discovered plugins (for tests that install plugins at run time)."""
    global _manager
    _manager = None
    failures.clear()
