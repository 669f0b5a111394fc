"""``torch.version``: version strings programs print. ``cuda`` is the CUDA runtime version CuPy
was built for when CuPy is importable, else None (as in a CPU build of PyTorch)."""
from __future__ import annotations

__all__ = ["cuda", "debug", "git_version", "hip"]

debug = False
hip = None
git_version = "unknown"


def _cuda_version():
    try:
        import cupy
        version = cupy.cuda.runtime.runtimeGetVersion()
    except Exception:  # CuPy missing or without a CUDA runtime
        return None
    return f"{version // 1000}.{version % 1000 // 10}"


cuda = _cuda_version()


def __getattr__(name: str):
    if name == "__version__":
        from . import __version__
        return __version__
    raise AttributeError(f"module 'unigrad.version' has no attribute {name!r}")
