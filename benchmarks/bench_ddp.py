"""DistributedDataParallel on one machine: 2 ranks vs 1 process on the same global batch.

    python benchmarks/bench_ddp.py [--repeat 5] [--device cpu]

Starts ``unigrad run -n 1`` and ``unigrad run -n 2`` of this script (``--worker``) and prints, for
an MLP (784-1024-1024-10, 1.9 M parameters) and a CNN, the step time of one process on the whole
batch, of 2 DDP ranks on half of it each, of those 2 ranks with the reduction switched off
(``no_sync``: the compute alone, both ranks sharing the machine), the time the gradients' all-reduce
takes on its own, how long backward stays blocked waiting for it at its end (``wait``, measured by
DDP), the bucket copies to and from the reduction buffers (``copy``), and the fraction of the
all-reduce hidden under backward: ``1 - wait / allreduce``. The machine's cores are split between
the ranks (``OMP_NUM_THREADS``), so the 1-process row uses them all.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

WORKLOADS = ("MLP 784-1024-1024-10, batch 256", "CNN 2 conv + linear, batch 64")


def build(unigrad, kind):
    nn = unigrad.nn
    unigrad.manual_seed(0)
    if kind.startswith("MLP"):
        return (nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)),
                (256, 784))
    return (nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10)), (64, 1, 28, 28))


def best(fn, repeat, number=3):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def worker(args) -> None:
    import unigrad
    import unigrad.distributed as dist
    from unigrad.nn.parallel import DistributedDataParallel
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    sync = unigrad.backends.registry.get_backend(unigrad.device(args.device)).synchronize
    results = {}
    for kind in WORKLOADS:
        model, shape = build(unigrad, kind)
        model = model.to(args.device)
        rng = np.random.default_rng(rank)
        local = (shape[0] // world,) + shape[1:]
        x = unigrad.tensor(rng.standard_normal(local).astype(np.float32), device=args.device)
        y = unigrad.tensor(rng.integers(0, 10, local[0]), device=args.device)
        net = DistributedDataParallel(model) if world > 1 else model
        optimizer = unigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            optimizer.zero_grad()
            unigrad.nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()
            sync()
        entry = {"step": best(step, args.repeat)}
        if world > 1:
            net.timings.update(copy=0.0, wait=0.0, backwards=0)
            best(step, args.repeat)
            entry["wait"] = net.timings["wait"] / net.timings["backwards"]
            entry["copy"] = net.timings["copy"] / net.timings["backwards"]
            def local_step():
                with net.no_sync():
                    step()
            entry["no_sync"] = best(local_step, args.repeat)
            group = dist.process_group.default_group()
            buffers = [np.ones(sum(p.numel() for p in b.params), np.float32) for b in net._buckets]

            def allreduce():
                started = [group.start_all_reduce(buffer, "sum") for buffer in buffers]
                group.wait([r for requests, _ in started for r in requests], "benchmark all_reduce")
            entry["allreduce"] = best(allreduce, args.repeat)
            entry["buckets"] = len(buffers)
        results[kind] = entry
        dist.barrier()
    if rank == 0:
        print("RESULT " + json.dumps(results), flush=True)
    dist.destroy_process_group()


def launch(n: int, args) -> dict:
    threads = max(1, (os.cpu_count() or 2) // n)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    command = [sys.executable, "-m", "unigrad", "run", "-n", str(n), os.path.abspath(__file__), "--worker",
               "--repeat", str(args.repeat), "--device", args.device]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[0][len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    single, double = launch(1, args), launch(2, args)
    print(f"device {args.device}, {os.cpu_count()} cores split between the ranks, best of {args.repeat}\n")
    print(f"{'workload':<34} {'1 proc':>7} {'2 ranks':>7} {'speedup':>7} {'no_sync':>7} "
          f"{'allred.':>7} {'wait':>6} {'copy':>6} {'hidden':>6}  (ms per step)")
    for kind in WORKLOADS:
        one, two = single[kind], double[kind]
        hidden = min(1.0, max(0.0, 1 - two["wait"] / two["allreduce"])) if two["allreduce"] else 1.0
        print(f"{kind:<34} {one['step'] * 1e3:>7.2f} {two['step'] * 1e3:>7.2f} {one['step'] / two['step']:>7.2f} "
              f"{two['no_sync'] * 1e3:>7.2f} {two['allreduce'] * 1e3:>7.2f} {two['wait'] * 1e3:>6.2f} "
              f"{two['copy'] * 1e3:>6.2f} {hidden:>6.0%}  ({two['buckets']} buckets)")


if __name__ == "__main__":
    main()
