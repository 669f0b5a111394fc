"""``torch.version``: version strings programs print. ``cuda`` is the CUDA runtime version CuPy
was built for when CuPy is importable, else None (as in a CPU build of PyTorch); the CuPy backend
answers it, when first asked."""
from __future__ import annotations

__all__ = ["cuda", "debug", "git_version", "hip"]

debug = False
hip = None
git_version = "unknown"


def __getattr__(name: str):
    if name == "cuda":
        from .backends.cupy.runtime import cuda_runtime_version
        globals()["cuda"] = value = cuda_runtime_version()
        return value
    if name == "__version__":
        from . import __version__
        return __version__
    raise AttributeError(f"module 'unigrad.version' has no attribute {name!r}")
