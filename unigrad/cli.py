"""The ``unigrad`` command: ``unigrad info`` and ``unigrad demo`` (``python -m unigrad`` runs both)."""
from __future__ import annotations

import argparse
import sys


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
            try:
                for line in entry.backend_class.inventory():
                    print(f"           {line}")
            except Exception as error:
                print(f"           (inventory failed: {error})")
        else:
            print(f"  {entry.name:<8} unavailable  {entry.reason}  [plugin {entry.plugin}]")
    print(f"default device: {unigrad.get_default_device()}")
    return 0


def demo(device: str | None = None, epochs: int = 15, seed: int = 0, logdir=None,
         checkpoint=None, amp: bool = False) -> int:
    """Train the digits CNN; exit status 0 when it reaches the accuracy target."""
    from . import demo as digits
    accuracy = digits.run(device=device, epochs=epochs, seed=seed, logdir=logdir, checkpoint=checkpoint,
                          amp=amp)
    return 0 if accuracy >= digits.ACCURACY_TARGET else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="unigrad", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("info", help="version, backends and their status, default device")
    demo_parser = commands.add_parser(
        "demo", help="train a CNN on scikit-learn's digits, report test accuracy, verify a checkpoint")
    demo_parser.add_argument("--device", default=None, help="e.g. cpu, cuda:0 (default: the default device)")
    demo_parser.add_argument("--epochs", type=int, default=15)
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.add_argument("--logdir", default=None, help="write TensorBoard logs here")
    demo_parser.add_argument("--checkpoint", default=None, help="where to save the checkpoint")
    demo_parser.add_argument("--amp", action="store_true",
                             help="mixed precision: autocast (bfloat16 on cpu) and a GradScaler for float16")
    run_parser = commands.add_parser(
        "run", help="start N ranks of a distributed script through the MPI launcher")
    run_parser.add_argument("-n", "--nproc", type=int, required=True, help="how many ranks")
    run_parser.add_argument("script")
    run_parser.add_argument("args", nargs=argparse.REMAINDER)
    from .conformance import cli as conformance_cli
    conformance_cli.build_parser(commands.add_parser(
        "conformance", help="certify a backend against the float64 reference"))
    args = parser.parse_args(argv)
    if args.command == "conformance":
        return conformance_cli.main(args=args)
    if args.command == "info":
        return info()
    if args.command == "run":
        from .distributed.launch import launch
        try:
            launch(args.nproc, args.script, args.args)
        except (RuntimeError, FileNotFoundError, ValueError) as error:
            print(error, file=sys.stderr)
            return 2
    if args.command == "demo":
        return demo(args.device, args.epochs, args.seed, args.logdir, args.checkpoint, args.amp)
    info()
    print()
    return demo()


if __name__ == "__main__":
    sys.exit(main())
