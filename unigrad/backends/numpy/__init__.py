"""The NumPy (CPU) backend."""
from .backend import ArrayModuleBackend, NumpyBackend

__all__ = ["ArrayModuleBackend", "NumpyBackend"]
