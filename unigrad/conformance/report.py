"""Reports: a text table per op group, JSON for machines, a standalone HTML page for people."""
from __future__ import annotations

import html
import json
import platform
from collections import OrderedDict

import unigrad

from .runner import suspects

SUITE_VERSION = "2026.11"


def summary(results) -> dict:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "error", "skipped")}
    return counts


def groups(results):
    by_group = OrderedDict()
    for r in results:
        by_group.setdefault(r.group, []).append(r)
    return by_group


def text_report(results, device: str, elapsed: float) -> str:
    lines = [f"unigrad conformance {SUITE_VERSION} on device {device} (unigrad {unigrad.__version__})", ""]
    lines.append(f"{'group':<12} {'run':>5} {'passed':>7} {'failed':>7} {'skipped':>8} "
                 f"{'max abs err':>12} {'max rel err':>12} {'worst err/tol':>14}")
    for group, rows in groups(results).items():
        run = [r for r in rows if r.status != "skipped"]
        lines.append(
            f"{group:<12} {len(run):>5} {sum(r.status == 'passed' for r in rows):>7} "
            f"{sum(r.status in ('failed', 'error') for r in rows):>7} "
            f"{sum(r.status == 'skipped' for r in rows):>8} "
            f"{max([r.max_abs for r in run] or [0]):>12.3g} {max([r.max_rel for r in run] or [0]):>12.3g} "
            f"{max([r.worst_ratio for r in run] or [0]):>14.3f}")
    counts = summary(results)
    lines.append("")
    lines.append(f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
                 f"{counts['skipped']} skipped (declared) in {elapsed:.1f} s")
    failures = [r for r in results if r.status in ("failed", "error")]
    if failures:
        lines.append("")
        lines.append("FAILURES")
        for r in failures:
            lines.append(f"  {r.name} [{r.dtype}, {r.shape_class}, seed {r.seed}] inputs {r.shapes}")
            lines.append(f"    {r.message.splitlines()[0] if r.message else ''}")
            lines.append(f"    reproduce: {r.reproducer}")
        ranked = suspects(results)
        if ranked:
            lines.append(f"most suspect primitives: {', '.join(ranked[:5])}")
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        reasons = sorted({r.message for r in skipped})
        lines.append("")
        lines.append("declared skips: " + "; ".join(f"{reason} ({sum(r.message == reason for r in skipped)} cases)"
                                                     for reason in reasons))
    return "\n".join(lines)


def json_report(results, device: str, elapsed: float) -> dict:
    backend = unigrad.backends.get_backend(unigrad.device(device))
    return {
        "suite_version": SUITE_VERSION, "unigrad_version": unigrad.__version__, "device": device,
        "backend": backend.describe(), "platform": platform.platform(), "elapsed_s": elapsed,
        "summary": summary(results), "suspects": suspects(results),
        "cases": [{"name": r.name, "group": r.group, "dtype": r.dtype, "shape_class": r.shape_class,
                   "seed": r.seed, "status": r.status, "message": r.message, "inputs": r.shapes,
                   "max_abs_error": r.max_abs, "max_rel_error": r.max_rel,
                   "worst_error_over_tolerance": r.worst_ratio, "primitives": list(r.primitives),
                   "reproducer": r.reproducer} for r in results],
    }


def html_report(results, device: str, elapsed: float) -> str:
    colour = {"passed": "#d4edda", "failed": "#f8d7da", "error": "#f8d7da", "skipped": "#e2e3e5"}
    counts = summary(results)
    total_run = counts["passed"] + counts["failed"] + counts["error"]
    badge = "certified" if counts["failed"] + counts["error"] == 0 else "not certified"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>unigrad conformance</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}th{background:#f0f0f0}"
        ".badge{display:inline-block;padding:6px 12px;border-radius:4px;color:white;font-weight:bold}</style>",
        "</head><body>",
        f"<h1>unigrad conformance {SUITE_VERSION}: device <code>{html.escape(device)}</code></h1>",
        f"<p><span class='badge' style='background:{'#28a745' if badge == 'certified' else '#dc3545'}'>"
        f"{counts['passed']}/{total_run} cases passed &mdash; {badge}</span> "
        f"&nbsp; {counts['skipped']} declared skips &middot; {elapsed:.1f} s &middot; unigrad {unigrad.__version__}</p>",
    ]
    for group, rows in groups(results).items():
        parts.append(f"<h2>{html.escape(group)}</h2><table><tr><th>case</th><th>dtype</th><th>shape class</th>"
                     "<th>status</th><th>max abs err</th><th>err / tol</th><th>detail</th></tr>")
        for r in rows:
            parts.append(
                f"<tr style='background:{colour[r.status]}'><td>{html.escape(r.name)}</td><td>{r.dtype}</td>"
                f"<td>{html.escape(r.shape_class)}</td><td>{r.status}</td><td>{r.max_abs:.3g}</td>"
                f"<td>{r.worst_ratio:.3f}</td><td>{html.escape(r.message.splitlines()[0] if r.message else '')}"
                f"{'<br><code>' + html.escape(r.reproducer) + '</code>' if r.status in ('failed', 'error') else ''}"
                "</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_json(path, results, device, elapsed) -> None:
    with open(path, "w") as out:
        json.dump(json_report(results, device, elapsed), out, indent=1, default=float)


def write_html(path, results, device, elapsed) -> None:
    with open(path, "w") as out:
        out.write(html_report(results, device, elapsed))
