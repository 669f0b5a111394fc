"""Core overhead benchmarks: unigrad (cpu) vs PyTorch CPU, side by side in one process.

    python benchmarks/bench_core.py [--repeat 7] [--threads 2] [--cpu-time]

Prints, for each workload, the best-of-N time per iteration for both and the ratio
unigrad / torch (below 1 means unigrad is faster), then where the microseconds of a 1-element
``a + b`` go (NumPy's ufunc, the backend primitive, the result Tensor, the op's checks, the
operator dispatch, autograd's recording). Needs torch installed for the comparison.
"""
from __future__ import annotations

import argparse
import os
import time


def best_times(fns, number: int, repeat: int, clock=time.perf_counter) -> list:
    """Best mean seconds per call of each function over ``repeat`` rounds of ``number`` calls.
    The functions take turns within each round (alternating who goes first), so machine-wide
    drift and the other library's idle worker threads hit them alike. ``clock=time.process_time``
    counts only this process's CPU time (for one thread on a shared, loaded machine)."""
    for fn in fns:
        for _ in range(max(number // 10, 1)):
            fn()
    best = [float("inf")] * len(fns)
    for round_ in range(repeat):
        order = list(enumerate(fns))
        for i, fn in (order if round_ % 2 == 0 else reversed(order)):
            start = clock()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (clock() - start) / number)
    return best


def bench_arguments(doc: str, repeat: int, extra=None):
    """Parse ``--repeat``/``--threads`` (plus ``extra(parser)``'s options) and import torch with
    that many threads: ``(args, torch or None)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 2)))
    parser.add_argument("--cpu-time", action="store_true",
                        help="time this process's CPU seconds instead of wall-clock ones (with one "
                             "thread on a shared, loaded machine)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    return args, torch


def synchronized(fn, sync, times: int = 1):
    """``fn`` run ``times`` times, then ``sync()``: a timing of asynchronous device work."""
    def run():
        for _ in range(times):
            fn()
        sync()
    return run


def workloads(lib):
    """The same workloads written once against a torch-like module ``lib``."""
    lib.manual_seed(0)
    a, b, c = lib.ones(1), lib.ones(1), lib.ones(1)
    ga, gb, gc = (lib.ones(1, requires_grad=True) for _ in range(3))

    def add():
        return a + b

    def add_requires_grad():
        return ga + gb

    def tiny_graph():
        (ga * gb + gc).sum().backward()

    x = lib.randn(64, 784)
    y = lib.randint(0, 10, (64,))
    w1 = (lib.randn(784, 128) * 0.05).requires_grad_()
    b1 = lib.zeros(128, requires_grad=True)
    w2 = (lib.randn(128, 10) * 0.05).requires_grad_()
    b2 = lib.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]
    velocity = [lib.zeros_like(p) for p in params]
    index = y.unsqueeze(1)

    def mlp_step():
        hidden = (x @ w1 + b1).relu()
        log_probs = (hidden @ w2 + b2).log_softmax(1)
        loss = -log_probs.gather(1, index).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(0.9).add_(p.grad)
                p.sub_(v, alpha=0.01)
        return loss

    return {
        "a+b (1 element)": (add, 5000),
        "a+b (1 element, requires_grad)": (add_requires_grad, 5000),
        "(a*b+c).sum().backward()": (tiny_graph, 500),
        "MLP 784-128-10 SGD-momentum step, batch 64": (mlp_step, 50),
    }


def add_breakdown(unigrad, torch, repeat: int, clock=time.perf_counter) -> list:
    """Where the microseconds of a 1-element ``a + b`` go, stage by stage: ``(stage, us)`` rows,
    each the difference between timing a call chain and the chain it wraps."""
    import numpy as np

    from unigrad.api.ops import pointwise
    from unigrad.api.tensor import Tensor
    from unigrad.autograd.node import Node

    a, b = unigrad.ones(1), unigrad.ones(1)
    ga, gb = unigrad.ones(1, requires_grad=True), unigrad.ones(1, requires_grad=True)
    backend, x, y = a._backend, a._buf, b._buf
    dtype, device = a._dtype, a._device
    backward = lambda g: (g, g)  # noqa: E731
    chains = {
        "numpy": lambda: np.add(x, y),
        "backend": lambda: backend.add(x, y),
        "make": lambda: Tensor._make(x, dtype, device, backend),
        "op": lambda: pointwise.add(a, b),
        "operator": lambda: a + b,
        "node": lambda: Node("AddBackward0", backward, (ga, gb)),
        "operator_grad": lambda: ga + gb,
    }
    if torch is not None:
        ta, tb = torch.ones(1), torch.ones(1)
        tga, tgb = torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
        chains["torch"] = lambda: ta + tb
        chains["torch_grad"] = lambda: tga + tgb
    names = list(chains)
    times = dict(zip(names, (t * 1e6 for t in best_times([chains[n] for n in names], 20000, repeat, clock))))
    rows = [
        ("NumPy ufunc on the two buffers (np.add)", times["numpy"]),
        ("backend primitive around it (backend.add)", times["backend"] - times["numpy"]),
        ("result Tensor (Tensor._make)", times["make"]),
        ("op body: operand checks, broadcasting, grad check", times["op"] - times["backend"] - times["make"]),
        ("operator dispatch (a + b -> ops.pointwise.add)", times["operator"] - times["op"]),
        ("total a + b", times["operator"]),
        ("autograd recording (requires_grad)", times["operator_grad"] - times["operator"]),
        ("  of which the graph Node", times["node"]),
        ("total a + b, requires_grad", times["operator_grad"]),
    ]
    if torch is not None:
        rows += [("torch a + b", times["torch"]), ("torch a + b, requires_grad", times["torch_grad"])]
    return rows


def main() -> None:
    args, torch = bench_arguments(__doc__, 30)
    import unigrad
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass

    clock = time.process_time if args.cpu_time else time.perf_counter
    ours = workloads(unigrad)
    theirs = workloads(torch) if torch is not None else {}
    print(f"unigrad {unigrad.__version__} (cpu) vs torch {torch.__version__ if torch else '-'} CPU, "
          f"{args.threads} threads, best of {args.repeat}")
    print(f"{'workload':<46} {'unigrad':>12} {'torch':>12} {'ratio':>7}")
    for name, (fn, number) in ours.items():
        if name in theirs:
            t_ours, t_theirs = best_times([fn, theirs[name][0]], number, args.repeat, clock)
            print(f"{name:<46} {t_ours * 1e6:>9.1f} us {t_theirs * 1e6:>9.1f} us "
                  f"{t_ours / t_theirs:>7.2f}")
        else:
            (t_ours,) = best_times([fn], number, args.repeat, clock)
            print(f"{name:<46} {t_ours * 1e6:>9.1f} us {'-':>12} {'-':>7}")
    print(f"\nwhere the time of a 1-element a + b goes (best of {args.repeat}):")
    for stage, micros in add_breakdown(unigrad, torch, args.repeat, clock):
        print(f"  {stage:<52} {micros:>6.2f} us")


if __name__ == "__main__":
    main()
