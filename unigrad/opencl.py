"""``unigrad.opencl``: the OpenCL device type queried the way ``unigrad.cuda`` is (what
``get_device_module("opencl")`` returns)."""
from __future__ import annotations

from . import backends

__all__ = ["current_device", "device_count", "is_available", "manual_seed", "synchronize"]


def _info():
    return next((info for info in backends.registered() if info.name == "opencl"), None)


def is_available() -> bool:
    """True if PyOpenCL found a usable device."""
    info = _info()
    return bool(info and info.available)


def device_count() -> int:
    info = _info()
    return info.backend_class.device_count() if info and info.available else 0


def current_device() -> int:
    return backends.registry.current_index("opencl")


def synchronize(device=None) -> None:
    """Wait for all queued work on an OpenCL device."""
    backends.get_backend(device or f"opencl:{current_device()}").synchronize()


def manual_seed(seed: int) -> None:
    """Seed the random stream (shared by every device in unigrad)."""
    from .api.ops.random import manual_seed as _seed
    _seed(seed)
