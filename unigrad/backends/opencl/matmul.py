"""Batched matrix multiplication, two kernel designs tuned per device.

``packed`` (CPU-shaped): pack the operands into panels (any strides, so transposed operands cost
no extra copy; zero-padded edges), then a register-blocked micro-kernel streams both panels
sequentially and keeps a ``rows x width`` block of C in vector registers (``vload``).
``tiled`` (GPU-shaped): work-groups stage tiles of A and B through local memory and each item
keeps a ``work x work`` block of C in registers.

The first matmul of a dtype on a device times every candidate and keeps the fastest; the choice
is cached on disk. ``UNIGRAD_OPENCL_GEMM`` forces one: ``packed,rows,width,lx,ly`` or
``tiled,tile,depth,work``.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from . import codegen, layout
from .buffers import Storage

#: the k extent one packed-GEMM launch covers
K_CHUNK = 256
#: A with at most this many elements (per batch) is read in place, without a packing launch
DIRECT_A_LIMIT = 1 << 17
PACKED_CPU = [("packed", 8, 16, 1, 1), ("packed", 8, 16, 1, 4), ("packed", 8, 16, 4, 1), ("packed", 8, 8, 1, 1),
              ("packed", 8, 8, 1, 4), ("packed", 4, 16, 1, 1), ("packed", 4, 8, 1, 1)]
TILED = [("tiled", 64, 16, 4), ("tiled", 32, 16, 2), ("tiled", 64, 8, 8), ("tiled", 32, 8, 4),
         ("tiled", 128, 8, 8)]
CPU_CANDIDATES = PACKED_CPU  # tiled kernels run at ~2 GFLOP/s on PoCL: local memory is a copy there
GPU_CANDIDATES = TILED + [("packed", 4, 4, 16, 16), ("packed", 4, 8, 8, 8), ("packed", 8, 8, 8, 8)]


def _cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "unigrad" / "opencl-gemm-v2.json"


def _read_cache() -> dict:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(entries: dict) -> None:
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries, indent=1, sort_keys=True))
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home only costs re-tuning in the next process


def _group_size(config: tuple) -> int:
    if config[0] == "tiled":
        return (config[1] // config[3]) ** 2
    return config[3] * config[4]


class Gemm:
    """``matmul`` for one OpenCL backend instance."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.configs: dict[str, tuple] = {}
        self.timings: dict[str, dict] = {}  # candidate -> GFLOP/s measured while tuning

    # ----- configuration ----------------------------------------------------------------------
    def _device_key(self, c: str) -> str:
        device = self.backend.device
        return f"{device.platform.name}|{device.platform.version}|{device.name}|{device.driver_version}|{c}"

    def config(self, c: str) -> tuple:
        found = self.configs.get(c)
        if found is not None:
            return found
        forced = os.environ.get("UNIGRAD_OPENCL_GEMM")
        if not codegen.is_float(c) or c == "bf16":  # integers and bfloat16 (computed in float)
            found = self.config("float")               # use the float32 choice
        elif forced:
            kind, *numbers = forced.split(",")
            found = (kind.strip(), *(int(v) for v in numbers))
        else:
            cache = _read_cache()
            key = self._device_key(c)
            if key in cache:
                found = tuple(cache[key])
            else:
                found = self._tune(c)
                cache = _read_cache()
                cache[key] = list(found)
                _write_cache(cache)
        self.configs[c] = found
        return found

    def _tune(self, c: str) -> tuple:
        backend = self.backend
        candidates = CPU_CANDIDATES if backend.is_cpu else GPU_CANDIDATES
        size = 768 if c != "double" else 512  # big enough to be cache-bound like real work
        rng = np.random.default_rng(0)
        dtype = {"float": np.float32, "double": np.float64, "half": np.float16}[c]
        a = backend.from_numpy(rng.standard_normal((size, size)).astype(dtype))
        b = backend.from_numpy(rng.standard_normal((size, size)).astype(dtype))
        best, best_time = None, math.inf
        self.timings[c] = {}
        for candidate in candidates:
            if _group_size(candidate) > backend.device.max_work_group_size:
                continue
            try:
                self._run(a, b, c, candidate)  # compiles, warms up
                backend.synchronize()
                elapsed = math.inf
                for _ in range(3):  # best of three: robust to a busy machine
                    start = time.perf_counter()
                    self._run(a, b, c, candidate)
                    backend.synchronize()
                    elapsed = min(elapsed, time.perf_counter() - start)
            except Exception:  # a shape the device cannot run (resources): not a candidate
                continue
            self.timings[c][candidate] = 2 * size ** 3 / elapsed / 1e9
            if elapsed < best_time:
                best, best_time = candidate, elapsed
        if best is None:
            raise RuntimeError(f"no matmul kernel configuration runs on {backend.device.name}")
        return best

    def _tiled_kernel(self, c: str, tile: int, depth: int, work: int):
        key = ("gemm_tiled", c, tile, depth, work)
        return self.backend.programs.get(
            key, lambda: (codegen.tiled_matmul_source(c, tile, depth, work), "gemm_tiled"),
            scalar_types=lambda: ([None] + [np.int64] * 4) * 2 + [None] + [np.int64] * 3)

    def _kernels(self, c: str, rows: int, width: int):
        programs = self.backend.programs
        key = ("gemm", c, rows, width)
        source = lambda: (codegen.matmul_source(c, rows, width), None)
        pack_types = lambda: [None] + [np.int64] * 4 + [None] + [np.int64] * 3
        packs = {(operand, inner): programs.get(key, source, f"pack_{operand}_{inner}", pack_types)
                 for operand in "ab" for inner in "ko"}
        tail = [np.int64] * 7 + [np.int32]
        direct = programs.get(key, source, "gemm_direct_a", lambda: [None] + [np.int64] * 4 + [None, None] + tail)
        return (packs, direct, programs.get(key, source, "gemm", lambda: [None, None, None] + tail))

    # ----- the product ------------------------------------------------------------------------
    def __call__(self, a, b):
        backend = self.backend
        *batch_shape, n, k = a.shape
        m = b.shape[-1]
        out = backend._new((*batch_shape, n, m), a.dtype)
        if out.size == 0:
            return out
        c = codegen.ctype(a.dtype)
        if k == 0:
            return backend._elementwise("copy", out, [0])
        return self._run(a, b, c, self.config(c), out)

    def _run(self, a, b, c, config, out=None):
        backend = self.backend
        *batch_shape, n, k = a.shape
        m = b.shape[-1]
        if out is None:
            out = backend._new((*batch_shape, n, m), a.dtype)
        batch_dims, (a_batch, b_batch) = layout.coalesce(batch_shape, [a.strides[:-2], b.strides[:-2]])
        if len(batch_dims) > 1:  # batch dims that no single stride walks: densify
            a, b = backend._contiguous(a), backend._contiguous(b)
            batch_dims, (a_batch, b_batch) = layout.coalesce(batch_shape, [a.strides[:-2], b.strides[:-2]])
        batch = batch_dims[0] if batch_dims else 1
        a_step = a_batch[0] if batch_dims else 0
        b_step = b_batch[0] if batch_dims else 0
        if config[0] == "tiled":
            _, tile, depth, work = config
            threads = tile // work
            kernel = self._tiled_kernel(c, tile, depth, work)
            kernel(backend.queue, (-(-m // tile) * threads, -(-n // tile) * threads, batch), (threads, threads, 1),
                   a.data, a.offset, a_step, a.strides[-2], a.strides[-1],
                   b.data, b.offset, b_step, b.strides[-2], b.strides[-1], out.data, n, m, k)
            return out
        _, rows, width, lx, ly = config
        packs, gemm_direct_a, gemm = self._kernels(c, rows, width)
        work_size = np.dtype(np.float32 if c in ("half", "bf16") else a.dtype).itemsize
        a_panels, b_panels = -(-n // rows), -(-m // width)
        packed_a = Storage(backend.pool, batch * a_panels * k * rows * work_size) if n * k > DIRECT_A_LIMIT else None
        packed_b = Storage(backend.pool, batch * b_panels * k * width * work_size)
        queue = backend.queue

        def pack(operand, x, x_step, outer_stride, k_stride, packed, outer, panel_rows, panels):
            # one work-item per element; the fastest-varying index walks x's smaller stride
            if abs(k_stride) <= abs(outer_stride):
                kernel, size = packs[operand, "k"], (-(-k // 16) * 16, panels * panel_rows, batch)
            else:
                kernel, size = packs[operand, "o"], (-(-(panels * panel_rows) // 16) * 16, k, batch)
            kernel(queue, size, (16, 1, 1), x.data, x.offset, x_step, outer_stride, k_stride, packed.buffer,
                   outer, k, panels)

        direct = n * k <= DIRECT_A_LIMIT
        if not direct:
            pack("a", a, a_step, a.strides[-2], a.strides[-1], packed_a, n, rows, a_panels)
        pack("b", b, b_step, b.strides[-1], b.strides[-2], packed_b, m, width, b_panels)
        global_size = (-(-b_panels // lx) * lx, -(-a_panels // ly) * ly, batch)
        if direct:
            gemm_direct_a(queue, global_size, (lx, ly, 1), a.data, a.offset, a_step, a.strides[-2], a.strides[-1],
                          packed_b.buffer, out.data, n, m, k, a_panels, b_panels, 0, k, 0)
            return out
        # long k in chunks (one launch each, accumulating into C): every launch's slices of the
        # panels stay in cache while all the work-items that share them run
        chunk = K_CHUNK if c == "float" or c == "double" else k
        for p_begin in range(0, k, chunk):
            gemm(queue, global_size, (lx, ly, 1), packed_a.buffer, packed_b.buffer, out.data, n, m, k,
                 a_panels, b_panels, p_begin, min(k, p_begin + chunk), int(p_begin > 0))
        return out
