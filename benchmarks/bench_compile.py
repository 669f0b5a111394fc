"""unigrad.compile: eager vs compiled unigrad vs PyTorch eager (vs torch.compile), interleaved.

    python benchmarks/bench_compile.py [--repeat 5] [--threads 1] [--only mlp|cnn|lstm]
                                       [--torch-compile] [--device opencl]

Workloads: the MLP 784-128-10 SGD-momentum step of ``bench_core.py`` (with a hand-written NumPy
version of the same step for reference), and the CNN (SGD momentum, dropout) and LSTM (Adam)
training steps of ``bench_nn.py``, each compiled as one function. All run in one process with
the same thread count, taking turns (see ``bench_core.best_times``). Printed per workload: the
best time per step and the ratios to torch eager; the first call of the compiled step (the
capture: an eager step while recording, plus guards and code generation) and the second (a
recapture: the optimizer created its state on the first call); the program's size; and how a
replay's time splits between backend kernels and replay overhead (the same replay with every
primitive replaced by a stub returning its recorded result, less what calling the stubs costs),
as microseconds per primitive and primitives per second. ``--memory`` adds the peak host memory
(tracemalloc) of one CNN step, eager vs compiled. ``--device opencl`` also times the compiled MLP
step on that device against eager cpu. ``--torch-compile`` adds torch.compile (tens of seconds to
compile each step).
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc
import types

import numpy as np

from bench_core import best_times, workloads
from bench_nn import cnn, lstm

MLP = "MLP 784-128-10 SGD-momentum step, batch 64"
CNN = "CNN training step (batch 64)"
LSTM = "LSTM(100,256,2 layers) + Linear, Adam step (batch 64, T=28)"


def numpy_mlp_step():
    """The MLP step written by hand in NumPy (forward, backward, SGD momentum)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 784), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    w1 = (rng.standard_normal((784, 128), dtype=np.float32) * 0.05)
    b1 = np.zeros(128, np.float32)
    w2 = (rng.standard_normal((128, 10), dtype=np.float32) * 0.05)
    b2 = np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    rows = np.arange(64)

    def step():
        pre = x @ w1 + b1
        hidden = np.maximum(pre, 0)
        logits = hidden @ w2 + b2
        shifted = logits - logits.max(1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        loss = -log_probs[rows, y].mean()
        g_logits = np.exp(log_probs)
        g_logits[rows, y] -= 1
        g_logits /= 64
        g_hidden = g_logits @ w2.T
        g_hidden *= pre > 0
        grads = [x.T @ g_hidden, g_hidden.sum(0), hidden.T @ g_logits, g_logits.sum(0)]
        for p, v, g in zip(params, velocity, grads):
            v *= 0.9
            v += g
            p -= 0.01 * v
        return loss

    return step


def build(lib, name):
    if name == "mlp":
        return workloads(lib)[MLP][0]
    if name == "cnn":
        return cnn(lib)[CNN][0]
    return lstm(lib)[LSTM][0]


def split_replay(program, run_once):
    """Replay time with every primitive stubbed (returning what it returned in a real replay):
    the replay's own overhead -- guards, dispatch, scalars, effects, output tensors."""
    recorded = {}
    namespace = program.run.__globals__
    stubs = dict(namespace)
    for name, value in namespace.items():
        if name.startswith("B") and callable(value):
            def recording(*args, _name=name, _method=value, **kwargs):
                result = _method(*args, **kwargs)
                recorded.setdefault(_name, []).append(result)
                return result
            stubs[name] = recording
    real_run = program.run
    program.run = types.FunctionType(real_run.__code__, stubs)
    run_once()
    program.run = real_run
    replay = {}
    for name, results in recorded.items():
        iterator_state = {"i": 0, "results": results}

        def stub(*args, _state=iterator_state, **kwargs):
            i = _state["i"]
            _state["i"] = i + 1 if i + 1 < len(_state["results"]) else 0
            return _state["results"][i]
        replay[name] = stub
    stubbed = dict(namespace)
    stubbed.update(replay)
    calls = [replay[name] for name, results in recorded.items() for _ in results]

    def stub_calls():  # what calling the stubs themselves costs, to take off the measurement
        for stub in calls:
            stub()
    return types.FunctionType(real_run.__code__, stubbed), stub_calls


def peak_memory(fn, backend) -> int:
    """Peak bytes of host arrays alive during one call (tracemalloc sees NumPy's allocations; the
    cpu backend's cache of large blocks is bypassed so that every array is counted)."""
    blocks = backend._blocks
    threshold = blocks.threshold
    blocks.threshold = 1 << 62
    try:
        fn()
        tracemalloc.start()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        blocks.threshold = threshold
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
    parser.add_argument("--only", choices=["mlp", "cnn", "lstm"], default=None)
    parser.add_argument("--torch-compile", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--device", default=None, help="also time the compiled MLP step on this device")
    args = parser.parse_args()
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    import unigrad
    from unigrad.backends import registry

    print(f"unigrad {unigrad.__version__} (cpu) vs torch {torch.__version__ if torch else '-'} CPU, "
          f"{args.threads} thread(s), best of {args.repeat}")
    header = f"{'workload':<10} {'eager':>9} {'compiled':>9} {'torch':>9} {'comp/torch':>10} {'eager/torch':>11}"
    if args.torch_compile:
        header += f" {'torch.compile':>13} {'tc/torch':>8}"
    print(header)
    details = []
    numbers = {"mlp": 50, "cnn": 3, "lstm": 3}
    for name in ("mlp", "cnn", "lstm"):
        if args.only not in (None, name):
            continue
        eager = build(unigrad, name)
        compiled_source = build(unigrad, name)
        compiled = unigrad.compile(compiled_source)
        start = time.perf_counter()
        compiled()
        first = time.perf_counter() - start
        start = time.perf_counter()
        compiled()
        second = time.perf_counter() - start
        fns = [eager, compiled]
        theirs = None
        if torch is not None:
            theirs = build(torch, name)
            fns.append(theirs)
            if args.torch_compile:
                optimized = torch.compile(build(torch, name))
                start = time.perf_counter()
                optimized()
                details.append(f"{name}: torch.compile first call {time.perf_counter() - start:.1f} s")
                fns.append(optimized)
        times = best_times(fns, numbers[name], args.repeat)
        ratio = (lambda t: t / times[2]) if torch is not None else (lambda t: float("nan"))
        row = (f"{name:<10} {times[0] * 1e3:>7.2f}ms {times[1] * 1e3:>7.2f}ms "
               f"{(times[2] * 1e3 if torch is not None else float('nan')):>7.2f}ms "
               f"{ratio(times[1]):>10.2f} {ratio(times[0]):>11.2f}")
        if args.torch_compile and torch is not None:
            row += f" {times[3] * 1e3:>11.2f}ms {ratio(times[3]):>8.2f}"
        print(row)
        program = compiled.programs[0]
        stubbed, stub_calls = split_replay(program, compiled)
        t_stubbed, t_calls = best_times([lambda: stubbed((), {}), stub_calls], numbers[name], args.repeat)
        t_stub = max(t_stubbed - t_calls, 1e-9)
        count = program.primitive_count
        details.append(
            f"{name}: capture {first:.3f} s (first call), {second:.3f} s (second call); program "
            f"{count} primitive calls, {len(program.guard_descriptions)} guards; replay {times[1] * 1e3:.2f} ms = "
            f"kernels {(times[1] - t_stub) * 1e3:.2f} ms + replay overhead {t_stub * 1e3:.3f} ms "
            f"({t_stub / count * 1e6:.2f} us per primitive, {count / t_stub / 1e6:.2f} M primitives/s)")
        if name == "mlp":
            (t_numpy,) = best_times([numpy_mlp_step()], numbers[name], args.repeat)
            details.append(f"mlp: hand-written NumPy step {t_numpy * 1e3:.2f} ms"
                           + (f" ({t_numpy / times[2]:.2f}x torch)" if torch is not None else ""))
        if name == "cnn" and args.memory:
            cpu = registry.get_backend(unigrad.device("cpu"))
            peak_eager, peak_compiled = peak_memory(eager, cpu), peak_memory(compiled, cpu)
            details.append(f"cnn: peak host memory of one step: eager {peak_eager / 2**20:.1f} MiB, "
                           f"compiled {peak_compiled / 2**20:.1f} MiB ({peak_compiled / peak_eager:.2f}x)")
    if args.device and args.only in (None, "mlp"):
        device = unigrad.device(args.device)
        backend = registry.get_backend(device)
        unigrad.set_default_device(device)
        on_device = unigrad.compile(build(unigrad, "mlp"))
        unigrad.set_default_device(None)
        cpu_eager = build(unigrad, "mlp")

        def device_step():
            on_device()
            backend.synchronize()
        device_step()
        device_step()
        t_device, t_cpu = best_times([device_step, cpu_eager], numbers["mlp"], args.repeat)
        details.append(f"mlp on {device}: compiled {t_device * 1e3:.2f} ms vs eager cpu {t_cpu * 1e3:.2f} ms "
                       f"({t_device / t_cpu:.2f}x)")
    print()
    for line in details:
        print(line)


if __name__ == "__main__":
    main()
