"""Plugin machinery: ``hookimpl`` marks a plugin's hook functions; see ``hookspecs`` for the hooks."""
from .hookspecs import hookimpl, hookspec
from .manager import ENTRY_POINT_GROUP, PluginWarning, get_plugin_manager

__all__ = ["hookimpl", "hookspec", "get_plugin_manager", "ENTRY_POINT_GROUP", "PluginWarning"]
