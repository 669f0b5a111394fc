"""``unigrad conformance`` / ``python -m unigrad.conformance``: certify one or more backends."""
from __future__ import annotations

import argparse
import sys
import warnings

from . import html_report, report, runner
from .progress import Progress


def build_parser(parser=None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="unigrad conformance", description="Check that a backend returns the same numbers as the "
        "float64 NumPy reference, op by op, module by module.")
    parser.add_argument("--device", action="append", default=None,
                        help="device to certify, e.g. cpu, cuda:0, mydevice (repeatable: one report, a "
                             "column per device and dtype; default cpu)")
    parser.add_argument("--dtype", action="append", default=None,
                        help="only these dtypes (repeatable), e.g. --dtype float32")
    parser.add_argument("--op", default=None, help="regular expression selecting case names")
    parser.add_argument("--seed", type=int, default=0, help="seed of every case's inputs (default 0)")
    parser.add_argument("--json", default=None, help="write the machine-readable certificate here")
    parser.add_argument("--html", default=None, help="write the self-contained HTML matrix here")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return parser


def _command(argv) -> list:
    """The command line that made the report: the process's own, interpreter included, or the
    equivalent ``unigrad conformance`` command for a call with ``argv``."""
    if argv is not None:
        return ["unigrad", "conformance", *argv]
    return list(getattr(sys, "orig_argv", sys.argv))


def device_problem(device: str) -> str | None:
    """One line saying why ``device`` cannot be certified (its plugin failed, it is unknown or
    unavailable), or None when it can."""
    import unigrad
    from ..backends import registry
    from ..plugins import PluginWarning
    try:
        dev = unigrad.device(device)
    except (ValueError, RuntimeError, TypeError) as error:
        return str(error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # summarised below, in one line
        infos = {info.name: info for info in registry.registered()}
        failures = registry.plugin_failures()
    info = infos.get(dev.type)
    if info is None:
        related = {name: why for name, why in failures.items() if dev.type in name} or failures
        if related:
            listed = "; ".join(f"plugin {name!r} {why}" for name, why in related.items())
            return f"no backend for device type {dev.type!r}: {listed}".replace("\n", " ")
        return f"unknown device type {dev.type!r}; registered device types: {', '.join(infos)}"
    if not info.available:
        return f"device type {dev.type!r} (plugin {info.plugin!r}) is unavailable: {info.reason}".replace("\n", " ")
    try:
        registry.get_backend(dev)
    except RuntimeError as error:
        return str(error).replace("\n", " ")
    return None


def main(argv=None, args=None) -> int:
    if args is None:
        args = build_parser().parse_args(argv)
    devices = args.device or ["cpu"]
    for device in devices:
        problem = device_problem(device)
        if problem is not None:
            print(f"unigrad conformance: cannot certify {device!r}: {problem}", file=sys.stderr)
            return 2
    dtypes = [d for item in args.dtype for d in item.split(",")] if args.dtype else None
    runs = []
    for device in devices:
        progress = None if args.quiet else Progress(device)
        results = runner.run(device, dtypes, args.op, args.fail_fast, progress, seed=args.seed)
        runs.append(report.DeviceRun(device, results, getattr(runner.run, "elapsed", 0.0)))
        print(report.text_report(results, device, runs[-1].elapsed))
        if len(devices) > 1:
            print()
    if len(devices) > 1:
        print(report.matrix_text(runs))
    if args.json or args.html:
        certificate = report.json_report(runs, _command(argv), args.seed, args.op, dtypes)
        if args.json:
            report.write_json(args.json, certificate)
        if args.html:
            html_report.write_html(args.html, certificate)
    if not any(r.status != "skipped" for run in runs for r in run.results):
        print("no case matched the selection", file=sys.stderr)
        return 2
    return 1 if any(r.status in ("failed", "error") for run in runs for r in run.results) else 0


if __name__ == "__main__":
    sys.exit(main())
