"""The CUDA runtime CuPy was built for, without loading the backend (``torch.version.cuda``)."""
from __future__ import annotations


def cuda_runtime_version() -> str | None:
    """``"12.4"`` for the CUDA runtime CuPy reports, None when CuPy or its runtime is missing."""
    try:
        import cupy
        version = cupy.cuda.runtime.runtimeGetVersion()
    except Exception:  # CuPy missing or without a CUDA runtime
        return None
    return f"{version // 1000}.{version % 1000 // 10}"
