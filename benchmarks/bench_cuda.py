"""unigrad on a CUDA GPU beside PyTorch CUDA eager (when torch sees a GPU), in one run.

    python benchmarks/bench_cuda.py [--repeat 5] [--device cuda:0]

Per-op overhead (1-element ``a + b``, with and without requires_grad, the tiny autograd graph of
``bench_core.py``), float32 GEMM throughput, and the MLP, CNN and LSTM training steps of
``bench_core.py`` / ``bench_nn.py``. Every timing ends with a device synchronisation (both
libraries run GPU work asynchronously); the ratio unigrad / torch is printed (below 1: faster).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from bench_core import best_times, synchronized, workloads
from bench_nn import cnn, lstm


def cuda_workloads(lib):
    core = workloads(lib)
    rows = {name: core[name] for name in core if not name.startswith("MLP")}
    mlp = next(name for name in core if name.startswith("MLP"))
    rows[mlp] = (core[mlp][0], 20)
    rows.update(cnn(lib))
    rows.update(lstm(lib))
    return rows


def gemm(lib, device, size):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((size, size)).astype(np.float32), device=device)
    b = lib.tensor(rng.standard_normal((size, size)).astype(np.float32), device=device)
    return lambda: a @ b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default="cuda:0")
    args = parser.parse_args()
    import unigrad
    from unigrad.backends import registry
    try:
        import torch
        if not torch.cuda.is_available():
            torch = None
    except ImportError:
        torch = None

    device = unigrad.device(args.device)
    backend = registry.get_backend(device)
    print(f"unigrad {unigrad.__version__}: {device} = {backend.describe()}")
    print(f"torch {torch.__version__ + ' CUDA ' + torch.cuda.get_device_name() if torch else '- (no CUDA torch)'}"
          f", best of {args.repeat}\n")
    torch_sync = torch.cuda.synchronize if torch else None

    print(f"{'float32 GEMM':<14} {'unigrad TFLOP/s':>16} {'torch TFLOP/s':>14} {'fraction':>9}")
    for size in (1024, 4096):
        fns = [synchronized(gemm(unigrad, device, size), backend.synchronize, 10)]
        if torch:
            fns.append(synchronized(gemm(torch, "cuda", size), torch_sync, 10))
        times = [t / 10 for t in best_times(fns, 1, args.repeat)]
        flops = 2 * size ** 3
        ours = flops / times[0] / 1e12
        theirs = flops / times[1] / 1e12 if torch else float("nan")
        print(f"{f'{size}x{size}':<14} {ours:>16.1f} {theirs:>14.1f} {ours / theirs:>9.2f}")

    unigrad.set_default_device(device)
    ours = cuda_workloads(unigrad)
    unigrad.set_default_device(None)
    theirs = {}
    if torch:
        torch.set_default_device("cuda")
        theirs = cuda_workloads(torch)
        torch.set_default_device("cpu")
    print(f"\n{'workload':<62} {'unigrad':>10} {'torch':>10} {'ratio':>6}")
    for name, (fn, number) in ours.items():
        times = 10 if number >= 100 else number
        fns = [synchronized(fn, backend.synchronize, times)]
        if name in theirs:
            fns.append(synchronized(theirs[name][0], torch_sync, times))
        measured = [t / times for t in best_times(fns, 3, args.repeat)]
        t_torch = measured[1] if len(measured) > 1 else float("nan")
        print(f"{name:<62} {measured[0] * 1e6:>7.1f} µs {t_torch * 1e6:>7.1f} µs {measured[0] / t_torch:>6.2f}")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - start:.0f} s)")
