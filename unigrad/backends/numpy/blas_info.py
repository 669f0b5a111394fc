"""Which BLAS NumPy's products run on, for ``unigrad info``.

NumPy's wheels bundle OpenBLAS, which chooses its kernels (Haswell: AVX2; SkylakeX: AVX-512; ...)
when it loads, from the CPU model or from ``OPENBLAS_CORETYPE``. Where that variable forces kernels
older than the CPU could run, single-precision GEMMs run at about half speed (measured on an AVX-512
CPU, one thread: 51 GFLOP/s with Haswell kernels against 125 with SkylakeX ones), so the report
says so.
"""
from __future__ import annotations

import os

_AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def cpu_flags(path: str = "/proc/cpuinfo") -> set:
    """The first processor's feature flags (empty where ``/proc/cpuinfo`` is missing)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def describe_blas() -> str:
    """``"OpenBLAS 0.3.31, Haswell kernels, 2 threads"`` and, where ``OPENBLAS_CORETYPE`` holds
    back a CPU with AVX-512, a note saying so; empty when threadpoolctl finds no BLAS."""
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    except Exception:  # threadpoolctl missing or failing: the report is optional
        return ""
    if not pools:
        return ""
    pool = pools[0]
    name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(pool.get("internal_api"), pool.get("internal_api"))
    arch = pool.get("architecture")
    text = f"{name} {pool.get('version')}" + (f", {arch} kernels" if arch else "") + f", {pool.get('num_threads')} threads"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    if name == "OpenBLAS" and forced and arch in ("Haswell", "Zen", "Sandybridge") and _AVX512 <= cpu_flags():
        text += (f" (OPENBLAS_CORETYPE={forced} is set: this CPU has AVX-512, which OpenBLAS's SkylakeX "
                 "kernels would use for about twice the GEMM speed)")
    return text
