"""An accelerator device beside cpu (and PyTorch CPU) in one run: GEMM throughput and training steps.

    python benchmarks/bench_opencl.py [--repeat 5] [--threads 2] [--device opencl:0 | cuda:0]

Dispatch: host time per element-wise ``a + b`` enqueued back to back (1 and 4096 elements).
GEMM: float32 ``a @ b`` at 1024 and 2048 on the OpenCL device and NumPy (the cpu backend's
sgemm), reported in GFLOP/s and as a fraction of NumPy's. Training steps: the MLP step of
``bench_core.py`` and the CNN and LSTM steps of ``bench_nn.py`` on "cpu" and on the OpenCL
device, each timed including a final ``synchronize`` (OpenCL work is asynchronous), with the
ratios opencl/cpu and opencl/torch.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bench_core import best_times, synchronized, workloads
from bench_nn import cnn, lstm


def gemm_rows(unigrad, device, repeat):
    from unigrad.backends import registry
    backend = registry.get_backend(unigrad.device(device))
    rows = []
    for size in (1024, 2048):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((size, size)).astype(np.float32)
        b = rng.standard_normal((size, size)).astype(np.float32)
        da, db = unigrad.tensor(a, device=device), unigrad.tensor(b, device=device)
        ours = synchronized(lambda: da @ db, backend.synchronize)
        numpy = lambda: a @ b
        t_ours, t_numpy = best_times([ours, numpy], 1, repeat)
        flops = 2 * size ** 3
        rows.append((size, flops / t_ours / 1e9, flops / t_numpy / 1e9))
    return rows


def dispatch_rows(unigrad, device, backend, repeat, calls: int = 2000):
    """Host time per element-wise op enqueued back to back (one synchronize after ``calls`` of
    them, its wait excluded as far as possible by timing the enqueues alone): the dispatch cost."""
    rows = []
    for label, n in (("a + b, 1 element", 1), ("a + b, 4096 float32 (dense)", 4096)):
        a = unigrad.ones(n, device=device)
        b = unigrad.ones(n, device=device)
        for _ in range(50):
            a + b
        backend.synchronize()
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(calls):
                a + b
            best = min(best, (time.perf_counter() - started) / calls)
            backend.synchronize()
        rows.append((label, best))
    return rows


def step_workloads(lib):
    return {"MLP 784-128-10 SGD step (x10)": (workloads(lib)["MLP 784-128-10 SGD-momentum step, batch 64"][0], 10),
            "CNN training step (batch 64)": (cnn(lib)["CNN training step (batch 64)"][0], 1),
            "LSTM 2x256 Adam step (batch 64, T=28)": (lstm(lib)[next(iter(lstm(lib)))][0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 2)))
    parser.add_argument("--device", default="opencl:0")
    args = parser.parse_args()
    import unigrad
    from unigrad.backends import registry
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    device = unigrad.device(args.device)
    backend = registry.get_backend(device)
    print(f"unigrad {unigrad.__version__}: {device} = {backend.describe()}")
    print(f"torch {torch.__version__ if torch else '-'} CPU, {args.threads} threads, best of {args.repeat}\n")

    kind = device.type
    print(f"{'float32 GEMM':<14} {kind + ' GFLOP/s':>15} {'NumPy GFLOP/s':>14} {'fraction':>9}")
    for size, ours, numpy in gemm_rows(unigrad, device, args.repeat):
        print(f"{f'{size}x{size}':<14} {ours:>15.1f} {numpy:>14.1f} {ours / numpy:>9.2f}")

    print(f"\n{'dispatch (no synchronize)':<40} {'per op':>10}")
    for label, per_op in dispatch_rows(unigrad, device, backend, args.repeat):
        print(f"{label:<40} {per_op * 1e6:>7.1f} us")

    print(f"\n{'training step':<40} {kind:>10} {'cpu':>10} {'torch':>10} {'dev/cpu':>8} {'dev/torch':>9}")
    built = {}
    for name in ("device", "cpu"):
        unigrad.set_default_device(device if name == "device" else "cpu")
        built[name] = step_workloads(unigrad)
    unigrad.set_default_device(None)
    theirs = step_workloads(torch) if torch is not None else {}
    cpu_backend = registry.get_backend(unigrad.device("cpu"))
    for name in built["device"]:
        fn, times = built["device"][name]
        fns = [synchronized(fn, backend.synchronize, times),
               synchronized(built["cpu"][name][0], cpu_backend.synchronize, times)]
        if name in theirs:
            fns.append(synchronized(theirs[name][0], cpu_backend.synchronize, times))
        measured = [t / times for t in best_times(fns, 1, args.repeat)]
        t_torch = measured[2] if len(measured) > 2 else float("nan")
        print(f"{name:<40} {measured[0] * 1e3:>7.2f} ms {measured[1] * 1e3:>7.2f} ms {t_torch * 1e3:>7.2f} ms "
              f"{measured[0] / measured[1]:>8.2f} {measured[0] / t_torch:>9.2f}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - start:.0f} s)")
