"""Automatic mixed precision: ``autocast`` regions and the ``GradScaler`` (``torch.amp``)."""
from .autocast_mode import (
    autocast, clear_autocast_cache, custom_bwd, custom_fwd, get_autocast_dtype, is_autocast_available,
    is_autocast_enabled, get_autocast_cpu_dtype, get_autocast_gpu_dtype, is_autocast_cache_enabled,
    is_autocast_cpu_enabled, set_autocast_cache_enabled, set_autocast_cpu_dtype, set_autocast_cpu_enabled,
    set_autocast_dtype, set_autocast_enabled, set_autocast_gpu_dtype,
)
from .grad_scaler import GradScaler, OptState
from . import policy

__all__ = ["autocast", "GradScaler", "OptState", "custom_fwd", "custom_bwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled", "clear_autocast_cache", "policy"]
