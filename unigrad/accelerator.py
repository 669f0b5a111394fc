"""``unigrad.accelerator``: PyTorch's device-agnostic ``torch.accelerator`` API.

The accelerator is the first *available* backend among those that declare
``Backend.is_accelerator``, in this order: ``cuda``, then ``opencl``, then third-party plugins in
the order they registered. ``cpu`` never is one. So ``model.to(unigrad.accelerator.
current_accelerator())`` picks a GPU where CuPy sees one, else an OpenCL device, else a plugin's
device; with none of them usable, ``is_available()`` is False and ``current_accelerator()`` None.
"""
from __future__ import annotations

import contextlib

from .api.device import device as _Device
from .backends import registry as _registry

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count",
           "device_index", "is_available", "set_device_idx", "set_device_index", "synchronize"]

_BUILT_IN_ORDER = ("cuda", "opencl")
_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _accelerator_info():
    """The BackendInfo of the accelerator, or None."""
    infos = [info for info in _registry.registered() if info.backend_class.is_accelerator]
    ranked = sorted(infos, key=lambda info: (_BUILT_IN_ORDER.index(info.name)
                                             if info.name in _BUILT_IN_ORDER else len(_BUILT_IN_ORDER)))
    for info in ranked:  # sorted() is stable: plugins keep their registration order
        if info.available:
            return info
    return None


def current_accelerator(check_available: bool = False) -> _Device | None:
    """The accelerator's device type as a ``device`` without index, or None when there is none.

    ``check_available`` is accepted for PyTorch compatibility: unigrad only ever names an
    accelerator that is available."""
    info = _accelerator_info()
    return None if info is None else _Device(info.name)


def is_available() -> bool:
    """Whether an accelerator can run here."""
    return _accelerator_info() is not None


def device_count() -> int:
    """How many devices the accelerator has (0 without an accelerator)."""
    info = _accelerator_info()
    return 0 if info is None else info.backend_class.device_count()


def _require() -> str:
    info = _accelerator_info()
    if info is None:
        raise RuntimeError(_NONE_AVAILABLE)
    return info.name


def current_device_index() -> int:
    """The index the accelerator's device type resolves to when given without one."""
    return _registry.current_index(_require())


def _index_of(dev, kind: str, optional: bool) -> int | None:
    if dev is None:
        if optional:
            return None
        raise RuntimeError("Expected a torch.device with a specified index or an integer, but got: None")
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    dev = _Device(dev)
    if dev.type != kind:
        raise ValueError(f"{dev.type} doesn't match the current accelerator {kind}.")
    if dev.index is None:
        if optional:
            return None
        raise RuntimeError(f"Expected a torch.device with a specified index or an integer, but got: {dev}")
    return dev.index


def set_device_index(device, /) -> None:
    """Make the accelerator's device type without index mean ``device`` (an int, ``"cuda:1"``,
    or a ``device``); a negative index is a no-op, as in PyTorch."""
    kind = _require()
    index = _index_of(device, kind, optional=False)
    if index < 0:
        return
    count = device_count()
    if index >= count:
        raise RuntimeError(f"device {kind}:{index} does not exist: {count} {kind} device(s) found")
    if index != _registry.current_index(kind):
        from .api.creation import forget_placements
        _registry.set_current_index(kind, index)
        forget_placements()


def synchronize(device=None, /) -> None:
    """Wait for all queued work on an accelerator device (the current one by default)."""
    kind = _require()
    index = _index_of(device, kind, optional=True)
    if index is None:
        index = _registry.current_index(kind)
    _registry.get_backend(_Device(kind, index)).synchronize()


@contextlib.contextmanager
def device_index(device, /):
    """Context manager: ``set_device_index(device)`` inside, the previous index restored after."""
    kind = _require()
    previous = _registry.current_index(kind)
    if device is not None:
        set_device_index(device)
    try:
        yield
    finally:
        set_device_index(previous)


current_device_idx = current_device_index  # PyTorch's deprecated spellings
set_device_idx = set_device_index
