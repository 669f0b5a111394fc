"""Backends: the primitive interface, the registry of installed backends, and the built-ins."""
from .interface import OPTIONAL_FAST_PATHS, OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES, Backend
from .registry import BackendInfo, available, get_backend, registered
from . import cuda, cudnn, mkldnn, mps, openmp, preferences  # noqa: E402  (torch.backends.* flags)
from .registry import allow_override, set_backend_checks

__all__ = ["Backend", "BackendInfo", "available", "registered", "get_backend",
           "REQUIRED_PRIMITIVES", "OPTIONAL_FAST_PATHS", "OPTIONAL_PRIMITIVES",
           "allow_override", "set_backend_checks"]
