"""The plugin contract: every hook a unigrad plugin may implement, in one place.

A plugin is a module (or object) with functions marked ``@unigrad.plugins.hookimpl``. Third-party
packages announce it through the entry-point group ``unigrad.backends``::

    [project.entry-points."unigrad.backends"]
    mydevice = "unigrad_mydevice.plugin"

The built-in backends (cpu, cuda, opencl) register through this very hook.
"""
from __future__ import annotations

import pluggy

PROJECT_NAME = "unigrad"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def unigrad_register_backends():
    """Return the backends this plugin provides: an iterable of ``unigrad.backends.Backend``
    subclasses (factories, instantiated lazily once per device index) or instances.

    Each backend's ``name`` is its device type (``"cpu"``, ``"opencl"``, ``"mydevice"``). Heavy
    imports belong in the backend's ``probe()`` and ``__init__``, not at module import, so that
    ``import unigrad`` stays fast and a missing library only makes that backend unavailable.
    Called once per process, the first time a device is resolved.
    """
