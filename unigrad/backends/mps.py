"""``torch.backends.mps``: Apple's Metal device, which unigrad has no backend for."""
from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    return False
