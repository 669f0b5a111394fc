"""``unigrad conformance`` / ``python -m unigrad.conformance``: certify a backend."""
from __future__ import annotations

import argparse
import sys
import warnings

from . import report, runner


def build_parser(parser=None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="unigrad conformance", description="Check that a backend returns the same numbers as the "
        "float64 NumPy reference, op by op, module by module.")
    parser.add_argument("--device", default="cpu", help="device to certify, e.g. cpu, cuda:0, mydevice")
    parser.add_argument("--dtype", action="append", default=None,
                        help="only these dtypes (repeatable), e.g. --dtype float32")
    parser.add_argument("--op", default=None, help="regular expression selecting case names")
    parser.add_argument("--json", default=None, help="write a machine-readable report here")
    parser.add_argument("--html", default=None, help="write a standalone HTML report here")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def _progress_bar(done: int, total: int, result) -> None:
    width = 40
    filled = int(width * done / total)
    mark = "F" if result.status in ("failed", "error") else ""
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {mark}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


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
    problem = device_problem(args.device)
    if problem is not None:
        print(f"unigrad conformance: cannot certify {args.device!r}: {problem}", file=sys.stderr)
        return 2
    dtypes = [d for item in args.dtype for d in item.split(",")] if args.dtype else None
    results = runner.run(args.device, dtypes, args.op, args.fail_fast,
                         None if args.quiet else _progress_bar)
    elapsed = getattr(runner.run, "elapsed", 0.0)
    print(report.text_report(results, args.device, elapsed))
    if args.json:
        report.write_json(args.json, results, args.device, elapsed)
    if args.html:
        report.write_html(args.html, results, args.device, elapsed)
    ran = [r for r in results if r.status != "skipped"]
    if not ran:
        print("no case matched the selection", file=sys.stderr)
        return 2
    return 1 if any(r.status in ("failed", "error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
