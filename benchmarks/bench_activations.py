"""Activations, in place and not: forward + backward of ``act(x * 1.0).sum()`` on a
(64, 64, 32, 32) float32 tensor, unigrad (cpu) vs PyTorch CPU, interleaved.

    python benchmarks/bench_activations.py [--repeat 7] [--threads 1] [--cpu-time]
"""
from __future__ import annotations

import numpy as np

from bench_core import bench_arguments, best_times

CASES = {
    "relu(inplace=True)": lambda F, t: F.relu(t, inplace=True),
    "relu": lambda F, t: F.relu(t),
    "leaky_relu(0.2, inplace=True)": lambda F, t: F.leaky_relu(t, 0.2, inplace=True),
    "leaky_relu(0.2)": lambda F, t: F.leaky_relu(t, 0.2),
    "relu6(inplace=True)": lambda F, t: F.relu6(t, inplace=True),
    "elu(inplace=True)": lambda F, t: F.elu(t, inplace=True),
    "sigmoid_": lambda F, t: t.sigmoid_(),
    "tanh_": lambda F, t: t.tanh_(),
}


def steps(lib, data):
    x = lib.tensor(data, requires_grad=True)
    functional = lib.nn.functional

    def step(act):
        def run():
            x.grad = None
            act(functional, x * 1.0).sum().backward()
        return run

    def no_grad():
        with lib.no_grad():
            functional.relu(x * 1.0, inplace=True)
    out = {name: step(act) for name, act in CASES.items()}
    out["relu(inplace=True) under no_grad"] = no_grad
    return out


def main() -> None:
    args, torch = bench_arguments(__doc__, 7)
    import time

    import unigrad
    clock = time.process_time if args.cpu_time else time.perf_counter
    data = np.random.default_rng(0).standard_normal((64, 64, 32, 32), dtype=np.float32)
    ours, theirs = steps(unigrad, data), steps(torch, data)
    print(f"{'fwd+bwd, (64, 64, 32, 32) float32':<40} {'unigrad':>10} {'torch':>10} {'ratio':>6}")
    for name, fn in ours.items():
        t_ours, t_theirs = best_times([fn, theirs[name]], 1, args.repeat, clock)
        print(f"{name:<40} {t_ours * 1e3:>7.2f} ms {t_theirs * 1e3:>7.2f} ms {t_ours / t_theirs:>6.2f}")


if __name__ == "__main__":
    main()
