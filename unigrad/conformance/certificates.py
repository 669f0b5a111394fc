"""docs/certificates.md from JSON conformance reports: for every built-in backend (and the example
plugin) the counts, hardware, versions, date and command of its latest certificate, or a note
that this version has not certified it, with the command that would.

    unigrad conformance --device cpu --device opencl --device arrayapi --json report.json -q
    python -m unigrad.conformance.certificates report.json --output docs/certificates.md
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import OrderedDict

#: device -> what it is, in the order the page lists them
BACKENDS = OrderedDict([
    ("cpu", "built-in NumPy backend"),
    ("cuda", "built-in CuPy backend (NVIDIA GPUs)"),
    ("opencl", "built-in PyOpenCL backend"),
    ("arrayapi", "example third-party plugin (examples/unigrad-arrayapi, array-api-strict)"),
])

HOW_TO_CERTIFY = {
    "cuda": ("On a machine with an NVIDIA GPU, CuPy and PyTorch CUDA:\n\n"
             "```bash\n"
             "unigrad conformance --device cuda --json cuda.json --html cuda.html\n"
             "python -m pytest tests/test_cuda_backend.py tests/test_cuda_sources.py\n"
             "python benchmarks/bench_cuda.py\n"
             "python -m unigrad.conformance.certificates report.json cuda.json --output docs/certificates.md\n"
             "```\n\n"
             "`tests/test_cuda_backend.py` runs the conformance suite and every torch-parity module with "
             "`cuda` as the default device; `benchmarks/bench_cuda.py` compares with PyTorch CUDA."),
}
DEFAULT_COMMAND = ("unigrad conformance --device {device} --json {device}.json && "
                   "python -m unigrad.conformance.certificates report.json {device}.json --output docs/certificates.md")


def _entries(reports) -> "OrderedDict[str, tuple]":
    """device -> (report, device record), the latest report winning for a device seen twice."""
    found: OrderedDict = OrderedDict()
    for report in sorted(reports, key=lambda r: r["created"]):
        for device in report["devices"]:
            found[device["device"]] = (report, device)
    return found


def _group_table(device: dict) -> list:
    by_group: OrderedDict = OrderedDict()
    for case in device["cases"]:
        counts = by_group.setdefault(case["group"], {"passed": 0, "failed": 0, "skipped": 0})
        counts["failed" if case["status"] == "error" else case["status"]] += 1
    lines = ["| group | passed | failed | declared skips |", "| --- | ---: | ---: | ---: |"]
    for group, counts in by_group.items():
        lines.append(f"| {group} | {counts['passed']} | {counts['failed']} | {counts['skipped']} |")
    return lines


def _skip_reasons(device: dict) -> str:
    reasons: OrderedDict = OrderedDict()
    for case in device["cases"]:
        if case["status"] == "skipped":
            reasons[case["message"]] = reasons.get(case["message"], 0) + 1
    return "; ".join(f"{reason} ({count} cases)" for reason, count in reasons.items()) or "none"


def certificate_section(name: str, what: str, report: dict, device: dict) -> list:
    counts, backend, env = device["summary"], device["backend"], report["environment"]
    failed = counts["failed"] + counts["error"]
    verdict = "**certified**" if device["certified"] else f"**not certified**: {failed} failed"
    lines = [f"## {name}: {what}", "",
             f"{verdict}: {counts['passed']} passed, {failed} failed, {counts['skipped']} declared skips "
             f"of {counts['total']} cases ({device['elapsed_s']:.0f} s).", "",
             "| | |", "| --- | --- |",
             f"| date | {report['created']} |",
             f"| hardware | {backend.get('hardware')} |",
             f"| CPU | {env.get('cpu')} ({env.get('machine')}) |",
             f"| backend | `{backend.get('class')}` ({backend.get('distribution')} {backend.get('version')}) |",
             f"| unigrad | {env.get('unigrad_version')} (suite {report['suite_version']}) |",
             f"| Python, NumPy | {env.get('python')}, {env.get('numpy')} |",
             f"| platform | {env.get('platform')} |",
             f"| command | `{_portable_command(report['command'])}` (seed {report['seed']}) |",
             f"| declared skips | {_skip_reasons(device)} |", ""]
    if failed:
        suspects = device["suspects"]
        lines += [f"Suspects: confirmed {', '.join(suspects['confirmed']) or '-'}; "
                  f"inferred {', '.join(suspects['inferred'][:5]) or '-'}.", ""]
    return lines + _group_table(device) + [""]


def _portable_command(command) -> str:
    """The command as typed anywhere: programs and files by their names, without this machine's
    directories (``/usr/bin/python3 /home/me/venv/bin/unigrad conformance --json /tmp/r.json``
    reads ``unigrad conformance --json r.json``)."""
    import os
    words = [os.path.basename(w) if os.sep in w and not w.startswith("-") else w for w in command]
    if len(words) > 1 and words[0].startswith("python") and not words[1].startswith("-"):
        words = words[1:]  # the interpreter running a console script
    return " ".join(words)


def render(reports) -> str:
    entries = _entries(reports)
    lines = ["# Conformance certificates", "",
             "Made by `python -m unigrad.conformance.certificates` from the JSON reports of "
             "`unigrad conformance` (schema: docs/conformance-report.md). Each section is the latest "
             "certificate of one backend: the suite's counts on that hardware with those versions. "
             "Regenerate this page after certifying a backend; do not edit it by hand.", ""]
    lines += ["| backend | status | passed | failed | declared skips | hardware | date |",
              "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    names = list(BACKENDS) + [d for d in entries if d not in BACKENDS]
    for name in names:
        if name in entries:
            report, device = entries[name]
            counts = device["summary"]
            status = "certified" if device["certified"] else "not certified"
            lines.append(f"| {name} | {status} | {counts['passed']} | {counts['failed'] + counts['error']} | "
                         f"{counts['skipped']} | {device['backend'].get('hardware')} | {report['created'][:10]} |")
        else:
            lines.append(f"| {name} | not certified by this version | | | | | |")
    lines.append("")
    for name in names:
        what = BACKENDS.get(name, "third-party backend")
        if name in entries:
            lines += certificate_section(name, what, *entries[name])
        else:
            lines += [f"## {name}: {what}", "",
                      f"**Not certified by this version of unigrad**: no conformance run on {name} hardware "
                      "is recorded for it. To certify it:", "",
                      HOW_TO_CERTIFY.get(name, f"```bash\n{DEFAULT_COMMAND.format(device=name)}\n```"), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unigrad.conformance.certificates",
                                     description="Write docs/certificates.md from JSON conformance reports.")
    parser.add_argument("reports", nargs="+", help="JSON reports of `unigrad conformance --json`")
    parser.add_argument("--output", "-o", default=None, help="write here (default: stdout)")
    args = parser.parse_args(argv)
    reports = []
    for path in args.reports:
        with open(path) as source:
            reports.append(json.load(source))
    text = render(reports)
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
