"""The ``unigrad`` command: ``unigrad info`` and ``unigrad demo`` (``python -m unigrad`` runs both)."""
from __future__ import annotations

import argparse
import sys
import time


def info() -> int:
    """Print the version, every registered backend with its status, and the default device."""
    import unigrad
    from unigrad.backends import registry

    print(f"unigrad {unigrad.__version__}")
    print("backends:")
    for entry in unigrad.backends.registered():
        if entry.available:
            try:
                detail = registry.get_backend(entry.name).describe()
            except Exception as error:  # describe() must not hide the rest of the report
                detail = f"(describe failed: {error})"
            print(f"  {entry.name:<8} available    {detail}  [plugin {entry.plugin}]")
        else:
            print(f"  {entry.name:<8} unavailable  {entry.reason}  [plugin {entry.plugin}]")
    print(f"default device: {unigrad.get_default_device()}")
    return 0


def demo(device: str | None = None, steps: int = 500, seed: int = 0) -> int:
    """Train a small MLP on two interleaved spirals with hand-written SGD and report accuracy."""
    import math

    import unigrad

    unigrad.manual_seed(seed)
    dev = unigrad.device(device) if device else unigrad.get_default_device()
    n = 200
    t = unigrad.linspace(0.25, 3.0 * math.pi, n, device=dev)
    noise = unigrad.randn(2 * n, 2, device=dev) * 0.15
    arm = unigrad.stack([t * unigrad.cos(t), t * unigrad.sin(t)], dim=1) / (3 * math.pi)
    x = unigrad.cat([arm, -arm]) * 2 + noise
    y = unigrad.cat([unigrad.zeros(n, dtype=unigrad.int64, device=dev),
                     unigrad.ones(n, dtype=unigrad.int64, device=dev)])

    sizes = [2, 64, 64, 2]
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        params.append((unigrad.rand(fan_in, fan_out, device=dev) * 2 - 1).mul(bound).requires_grad_())
        params.append((unigrad.rand(fan_out, device=dev) * 2 - 1).mul(bound).requires_grad_())
    velocity = [unigrad.zeros_like(p) for p in params]

    def forward(inputs):
        h = inputs
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).tanh()
        return (h @ params[-2] + params[-1]).log_softmax(dim=1)

    print(f"training a 2-64-64-2 MLP on {2 * n} spiral points on {dev} (SGD, momentum 0.9)")
    started = time.perf_counter()
    for step in range(1, steps + 1):
        log_probs = forward(x)
        loss = -log_probs.gather(1, y.unsqueeze(1)).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with unigrad.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(0.9).add_(p.grad)
                p.sub_(v * 0.2)
        if step == 1 or step % 50 == 0:
            print(f"  step {step:4d}  loss {loss.item():.4f}")
    with unigrad.no_grad():
        accuracy = (forward(x).argmax(dim=1) == y).float().mean().item()
    elapsed = time.perf_counter() - started
    print(f"accuracy {accuracy:.3f} after {steps} steps in {elapsed:.2f} s")
    return 0 if accuracy > 0.9 else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="unigrad", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("info", help="version, backends and their status, default device")
    demo_parser = commands.add_parser("demo", help="train a tiny model and report its accuracy")
    demo_parser.add_argument("--device", default=None)
    demo_parser.add_argument("--steps", type=int, default=500)
    demo_parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "info":
        return info()
    if args.command == "demo":
        return demo(args.device, args.steps, args.seed)
    info()
    print()
    return demo()


if __name__ == "__main__":
    sys.exit(main())
