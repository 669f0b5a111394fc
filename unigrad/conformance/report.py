"""Reports of one or more devices: a text table per op group, the JSON certificate for machines
(schema in docs/conformance-report.md) and the HTML matrix for people (``html_report``)."""
from __future__ import annotations

import datetime
import importlib.metadata
import json
import platform
import sys
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

import unigrad

from . import formatting as fmt
from .diagnosis import diagnose

SUITE_VERSION = "2026.11"
SCHEMA = "unigrad-conformance-report/2"
FAILED = ("failed", "error")


@dataclass
class DeviceRun:
    """The results of the suite on one device, and what ran them."""

    device: str
    results: list
    elapsed: float
    backend: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.backend:
            self.backend = backend_info(self.device)


def backend_info(device: str) -> dict:
    """Name, class, plugin, distribution and version of the backend serving ``device``, and the
    hardware it runs on (its ``describe()``)."""
    backend = unigrad.backends.get_backend(unigrad.device(device))
    cls = type(backend)
    plugin = next((info.plugin for info in unigrad.backends.registered() if info.backend_class is cls), None)
    top = cls.__module__.split(".")[0]
    distributions = importlib.metadata.packages_distributions().get(top, [])
    distribution = distributions[0] if distributions else None
    try:
        version = importlib.metadata.version(distribution) if distribution else None
    except importlib.metadata.PackageNotFoundError:
        version = None
    if top == "unigrad":
        version = unigrad.__version__  # the built-ins are part of the unigrad being certified
        distribution = "unigrad"
    return {"name": cls.name, "class": f"{cls.__module__}.{cls.__qualname__}", "plugin": plugin,
            "distribution": distribution, "version": version, "hardware": backend.describe()}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    return {"unigrad_version": unigrad.__version__, "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform(), "machine": platform.machine(),
            "cpu": cpu_model()}


def summary(results) -> dict:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "error", "skipped")}
    counts["total"] = len(results)
    return counts


def groups(results):
    by_group = OrderedDict()
    for r in results:
        by_group.setdefault(r.group, []).append(r)
    return by_group


# ----- text ------------------------------------------------------------------------------------
def text_report(results, device: str, elapsed: float) -> str:
    lines = [f"unigrad conformance {SUITE_VERSION} on device {device} (unigrad {unigrad.__version__})", ""]
    lines.append(f"{'group':<12} {'run':>5} {'passed':>7} {'failed':>7} {'skipped':>8} "
                 f"{'max abs err':>12} {'max rel err':>12} {'worst err/tol':>14}")
    for group, rows in groups(results).items():
        run = [r for r in rows if r.status != "skipped"]
        lines.append(
            f"{group:<12} {len(run):>5} {sum(r.status == 'passed' for r in rows):>7} "
            f"{sum(r.status in FAILED for r in rows):>7} "
            f"{sum(r.status == 'skipped' for r in rows):>8} "
            f"{fmt.error(max([r.max_abs for r in run] or [0])):>12} "
            f"{fmt.error(max([r.max_rel for r in run] or [0])):>12} "
            f"{fmt.error(max([r.worst_ratio for r in run] or [0])):>14}")
    counts = summary(results)
    lines.append("")
    lines.append(f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
                 f"{counts['skipped']} skipped (declared) in {elapsed:.1f} s")
    failures = [r for r in results if r.status in FAILED]
    if failures:
        lines.append("")
        lines.append("FAILURES")
        for r in failures:
            lines.append(f"  {r.name} [{r.dtype}, {r.shape_class}, seed {r.seed}] inputs {r.shapes}")
            lines.append(f"    {r.message.splitlines()[0] if r.message else ''}")
            lines.append(f"    reproduce: {r.reproducer}")
        line = diagnose(results).summary()
        if line:
            lines.append(line)
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        reasons = sorted({r.message for r in skipped})
        lines.append("")
        lines.append("declared skips: " + "; ".join(f"{reason} ({sum(r.message == reason for r in skipped)} cases)"
                                                     for reason in reasons))
    return "\n".join(lines)


def matrix_text(runs) -> str:
    """One line per device, for a run over several."""
    lines = ["", f"{'device':<12} {'passed':>7} {'failed':>7} {'skipped':>8} {'seconds':>8}  suspects"]
    for run in runs:
        counts = summary(run.results)
        diagnosis = diagnose(run.results)
        lines.append(f"{run.device:<12} {counts['passed']:>7} {counts['failed'] + counts['error']:>7} "
                     f"{counts['skipped']:>8} {run.elapsed:>8.1f}  {', '.join(diagnosis.ranked[:3]) or '-'}")
    return "\n".join(lines)


# ----- JSON ------------------------------------------------------------------------------------
def _number(x: float):
    """JSON has no infinity or NaN: those become null."""
    x = float(x)
    return x if np.isfinite(x) else None


def case_record(r) -> dict:
    return {"name": r.name, "group": r.group, "dtype": r.dtype, "shape_class": r.shape_class,
            "seed": r.seed, "status": r.status, "message": r.message, "inputs": r.shapes,
            "max_abs_error": _number(r.max_abs), "max_rel_error": _number(r.max_rel),
            "worst_error_over_tolerance": _number(r.worst_ratio), "primitives": list(r.primitives),
            "reproducer": r.reproducer}


def device_record(run: DeviceRun) -> dict:
    counts = summary(run.results)
    diagnosis = diagnose(run.results)
    return {"device": run.device, "backend": run.backend, "elapsed_s": round(run.elapsed, 3),
            "summary": counts, "certified": counts["failed"] + counts["error"] == 0 and counts["passed"] > 0,
            "suspects": {"confirmed": diagnosis.confirmed, "inferred": diagnosis.inferred},
            "cases": [case_record(r) for r in run.results]}


def json_report(runs, command=None, seed: int = 0, op=None, dtypes=None, created=None) -> dict:
    """The certificate of a run over ``runs`` (DeviceRun objects); keys documented in
    docs/conformance-report.md."""
    created = created or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return {"schema": SCHEMA, "suite_version": SUITE_VERSION, "created": created,
            "command": list(command if command is not None else sys.argv), "seed": seed,
            "selection": {"op": op, "dtypes": list(dtypes) if dtypes else None},
            "environment": environment(), "devices": [device_record(run) for run in runs]}


def write_json(path, report: dict) -> None:
    with open(path, "w") as out:
        json.dump(report, out, indent=1, allow_nan=False)
        out.write("\n")
