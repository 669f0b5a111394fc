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
    """The index a bare ``"cuda"`` resolves to (``set_device`` changes it)."""
    return backends.registry.current_index("cuda")


def set_device(device) -> None:
    """Make a bare ``"cuda"`` mean ``cuda:<device>`` (an int, ``"cuda:1"`` or a ``device``)."""
    from .api.creation import forget_placements
    from .api.device import device as Device
    index = device if isinstance(device, int) else Device(device).index
    if index is None or index < 0:
        return
    if index >= device_count():
        raise RuntimeError(f"device cuda:{index} does not exist: {device_count()} cuda device(s) found")
    backends.registry.set_current_index("cuda", index)
    forget_placements()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether cuda tensors can hold bfloat16: False without a GPU, else what the backend
    declares (CuPy 14+ holds ml_dtypes' bfloat16)."""
    if not is_available():
        return False
    from .api import dtypes
    return dtypes.bfloat16 in backends.get_backend(f"cuda:{current_device()}").supported_dtypes


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


def _legacy_cuda_types() -> dict:
    from .api.legacy_types import CUDA_TYPES
    return CUDA_TYPES


globals().update(_legacy_cuda_types())  # torch.cuda.FloatTensor and friends
