"""``unigrad.cuda``: the CUDA device type as PyTorch users expect to query it."""
from __future__ import annotations

from . import backends
from .api.errors import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError)


def _info():
    for info in backends.registered():
        if info.name == "cuda":
            return info
    return None


def is_available() -> bool:
    """True if the CUDA backend (CuPy and a GPU) can run here."""
    info = _info()
    return bool(info and info.available)


def unavailable_reason() -> str:
    """Why ``is_available()`` is False ("" when it is True)."""
    info = _info()
    if info is None:
        return "no backend registers the 'cuda' device type"
    return info.reason


def device_count() -> int:
    info = _info()
    return info.backend_class.device_count() if info and info.available else 0


def synchronize(device=None) -> None:
    """Wait for all queued work on a CUDA device."""
    backends.get_backend(device or "cuda:0").synchronize()


def manual_seed(seed: int) -> None:
    """Seed the random stream (shared by every device in unigrad)."""
    from .api.ops.random import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def current_device() -> int:
    return 0


class amp:  # noqa: N801 - the namespace PyTorch spells torch.cuda.amp
    """``torch.cuda.amp``'s (deprecated) spellings: ``autocast(...)`` is
    ``unigrad.autocast("cuda", ...)`` and ``GradScaler(...)`` is ``unigrad.amp.GradScaler("cuda", ...)``."""

    @staticmethod
    def autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True):
        from .amp import autocast as _autocast
        from .api.dtypes import float16
        return _autocast("cuda", dtype=dtype or float16, enabled=enabled, cache_enabled=cache_enabled)

    @staticmethod
    def GradScaler(*args, **kwargs):  # noqa: N802 - PyTorch's name
        from .amp import GradScaler as _GradScaler
        return _GradScaler("cuda", *args, **kwargs)
