"""Mixed precision: a float32 training step vs the same step under autocast, on every device.

    python benchmarks/bench_amp.py [--repeat 5] [--threads 2]

For each available unigrad device (cpu, opencl, cuda) and for PyTorch (CPU, and CUDA where it
has a GPU), times an MLP and a CNN SGD step in float32 and under ``autocast`` with the device's
default low-precision dtype (bfloat16 on the CPU and on OpenCL devices without cl_khr_fp16,
float16 elsewhere), each timed including a final synchronisation, and prints the ratio
autocast / float32 (below 1: autocast is faster). It also prints the first step's loss of both
modes, which must agree to the low-precision dtype's resolution. On a CPU no speed-up is
expected: NumPy has no bfloat16 GEMM, so 16-bit matmuls convert to float32 and back.
"""
from __future__ import annotations

import numpy as np

from bench_core import bench_arguments, best_times, synchronized


def build(lib, kind: str, device):
    lib.manual_seed(0)
    nn = lib.nn
    if kind == "MLP 784-256-10, batch 128":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        shape = (128, 784)
    else:
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        shape = (64, 1, 28, 28)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32)).to(device)
    y = lib.tensor(rng.integers(0, 10, shape[0])).to(device)
    return model.to(device), x, y


def step_fn(lib, kind, device, amp: bool):
    model, x, y = build(lib, kind, device)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    device_type = lib.device(device).type
    losses = []

    def step():
        optimizer.zero_grad()
        with lib.autocast(device_type, enabled=amp):
            loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if len(losses) < 1:
            losses.append(loss.item())
    return step, losses


def devices(unigrad, torch):
    found = [("unigrad", unigrad, "cpu", lambda: None)]
    from unigrad.backends import registry
    for kind in ("opencl", "cuda"):
        if kind in unigrad.backends.available():
            backend = registry.get_backend(unigrad.device(kind))
            found.append(("unigrad", unigrad, f"{kind}:0", backend.synchronize))
    if torch is not None:
        found.append(("torch", torch, "cpu", lambda: None))
        if torch.cuda.is_available():
            found.append(("torch", torch, "cuda:0", torch.cuda.synchronize))
    return found


def main() -> None:
    args, torch = bench_arguments(__doc__, 5)
    import unigrad
    print(f"unigrad {unigrad.__version__}; torch {torch.__version__ if torch else '-'}; "
          f"{args.threads} threads; best of {args.repeat}\n")
    header = f"{'workload':<28} {'library':<8} {'device':<9} {'low':<9} {'fp32 ms':>9} {'amp ms':>9} {'amp/fp32':>9}  first losses"
    print(header)
    for kind in ("MLP 784-256-10, batch 128", "CNN 2 conv + linear, batch 64"):
        for name, lib, device, sync in devices(unigrad, torch):
            device_type = lib.device(device).type
            low = lib.get_autocast_dtype(device_type)
            fp32, fp32_losses = step_fn(lib, kind, device, False)
            amp, amp_losses = step_fn(lib, kind, device, True)
            number = 3 if kind.startswith("CNN") else 10
            t_fp32, t_amp = best_times([synchronized(fp32, sync), synchronized(amp, sync)], number, args.repeat)
            low_name = str(low).split(".")[-1]
            print(f"{kind:<28} {name:<8} {device:<9} {low_name:<9} {t_fp32 * 1e3:>9.2f} {t_amp * 1e3:>9.2f} "
                  f"{t_amp / t_fp32:>9.2f}  {fp32_losses[0]:.4f} / {amp_losses[0]:.4f}")


if __name__ == "__main__":
    main()
