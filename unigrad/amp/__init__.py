"""Automatic mixed precision: ``autocast`` regions and the ``GradScaler`` (``torch.amp``)."""
from .autocast_mode import (
    autocast, clear_autocast_cache, custom_bwd, custom_fwd, get_autocast_dtype, is_autocast_available,
    is_autocast_enabled,
)
from .grad_scaler import GradScaler, OptState
from . import policy

__all__ = ["autocast", "GradScaler", "OptState", "custom_fwd", "custom_bwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled", "clear_autocast_cache", "policy"]
