"""``unigrad.cpu``: PyTorch's ``torch.cpu`` module basics, for device-agnostic code that calls
``getattr(torch, device.type).synchronize()`` and the like."""
from __future__ import annotations

__all__ = ["current_device", "device_count", "is_available", "is_initialized", "set_device",
           "synchronize"]


def is_available() -> bool:
    """Always True: the CPU backend (NumPy) is built in."""
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    """The number of CPU *devices* (not cores): always 1."""
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device) -> None:
    """Accepted for device-agnostic code; there is only one CPU device."""


def synchronize(device=None) -> None:
    """No-op: CPU ops complete before they return."""
