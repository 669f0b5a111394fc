"""Process-wide preferences PyTorch programs set, kept where backends can read them.

``set_float32_matmul_precision`` (and ``torch.backends.cuda.matmul.allow_tf32``), the
deterministic-algorithms switches, and the intra-/inter-op thread counts. Programs set these for
speed or reproducibility; unigrad records each value here (module attributes below) so a backend
that can honour one reads it. The built-in backends compute float32 matmuls in full float32 and
their ops are deterministic for given inputs, so precision and determinism are recorded only;
``set_num_threads`` sizes NumPy's BLAS/OpenMP pools through threadpoolctl, as PyTorch sizes its own.
"""
from __future__ import annotations

import os
import warnings

__all__ = ["init_num_threads", "is_vulkan_available", "is_warn_always_enabled", "set_flush_denormal",
           "set_warn_always", "are_deterministic_algorithms_enabled", "get_deterministic_debug_mode",
           "get_float32_matmul_precision", "get_num_interop_threads", "get_num_threads",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "set_float32_matmul_precision", "set_num_interop_threads", "set_num_threads",
           "use_deterministic_algorithms"]

#: "highest" (full float32), "high" (TF32 allowed) or "medium" (bfloat16 allowed)
float32_matmul_precision = "highest"
deterministic_algorithms = False
deterministic_warn_only = False
#: the intra-op thread count set with ``set_num_threads`` (None: never set)
num_threads: int | None = None
num_interop_threads: int | None = None

_PRECISIONS = ("highest", "high", "medium")
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_float32_matmul_precision(precision: str) -> None:
    """Allow float32 matmuls to use TF32 ("high") or bfloat16 ("medium") internally; an unknown
    value warns and changes nothing, as in PyTorch."""
    global float32_matmul_precision
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    float32_matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return float32_matmul_precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (recorded for backends; unigrad's built-in ops already
    give the same result for the same inputs)."""
    global deterministic_algorithms, deterministic_warn_only
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    deterministic_algorithms = mode
    deterministic_warn_only = bool(warn_only) if mode else False


def are_deterministic_algorithms_enabled() -> bool:
    return deterministic_algorithms


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return deterministic_warn_only


def set_deterministic_debug_mode(debug_mode) -> None:
    """0 / "default": off; 1 / "warn": warn only; 2 / "error": deterministic algorithms on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if not isinstance(debug_mode, int) or debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not deterministic_algorithms:
        return 0
    return 1 if deterministic_warn_only else 2


def _positive_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return value


def set_num_threads(count: int) -> None:
    """The number of threads used for intra-op parallelism: sizes NumPy's BLAS and OpenMP
    thread pools (through threadpoolctl) and is recorded for other backends."""
    global num_threads
    count = _positive_count(count, "set_num_threads")
    import threadpoolctl
    threadpoolctl.threadpool_limits(limits=count)
    num_threads = count


def get_num_threads() -> int:
    """The intra-op thread count: what ``set_num_threads`` set, else the size of NumPy's BLAS
    thread pool (the CPU count when it has none)."""
    if num_threads is not None:
        return num_threads
    import threadpoolctl
    sizes = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
             if pool.get("user_api") == "blas"]
    return max(sizes) if sizes else (os.cpu_count() or 1)


def set_num_interop_threads(count: int) -> None:
    """The number of threads for inter-op parallelism (recorded: unigrad runs ops in order)."""
    global num_interop_threads
    num_interop_threads = _positive_count(count, "set_num_interop_threads")


def get_num_interop_threads() -> int:
    return num_interop_threads if num_interop_threads is not None else (os.cpu_count() or 1)


def init_num_threads() -> None:
    """Apply the thread count to this thread's pools (a no-op: the BLAS limit is process-wide)."""


warn_always = False


def set_warn_always(enabled: bool) -> None:
    """Ask for warnings that PyTorch shows once to be shown every time (recorded)."""
    global warn_always
    warn_always = bool(enabled)


def is_warn_always_enabled() -> bool:
    return warn_always


def set_flush_denormal(mode: bool) -> bool:
    """Whether denormal floats could be flushed to zero: False, NumPy offers no such switch."""
    return False


def is_vulkan_available() -> bool:
    return False
