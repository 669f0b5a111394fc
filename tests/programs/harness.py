"""Run an acceptance program under unigrad or under torch and read its losses.

The torch version of a program is derived mechanically: every import line (``import ...`` /
``from ... import ...``) has ``unigrad`` replaced by ``torch``; nothing else changes. Both run as
subprocesses in a fresh working directory (programs write checkpoints and data there).

Devices for unigrad: the ``cpu`` run has ``UNIGRAD_DEVICE=cpu`` and OpenCL hidden
(``UNIGRAD_OPENCL_DEVICES`` matching nothing), so a program's own accelerator selection falls
back to the CPU as it does under a CPU build of torch. The ``opencl`` run reaches OpenCL the way
the program does: through its own device selection (``torch.accelerator``, a ``--device`` option;
the default device stays ``cpu``, as for a user with a GPU), or, for programs that only create
tensors with factory functions, through ``UNIGRAD_DEVICE=opencl``.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

PROGRAMS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PROGRAMS_DIR.parent.parent
_IMPORT_LINE = re.compile(r"^\s*(import|from)\s")
NO_OPENCL = "no-such-opencl-device"


def torch_source(source: str) -> str:
    """``source`` with ``unigrad`` replaced by ``torch`` on its import lines only."""
    lines = source.splitlines(keepends=True)
    return "".join(line.replace("unigrad", "torch") if _IMPORT_LINE.match(line) else line
                   for line in lines)


@dataclasses.dataclass
class Run:
    framework: str
    device: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        tail = "\n".join((self.stdout + "\n" + self.stderr).strip().splitlines()[-25:])
        return f"{self.framework} on {self.device}: exit {self.returncode} after {self.seconds:.1f}s\n{tail}"


def environment(framework: str, device: str, extra: dict | None = None,
                default_device: bool = False) -> dict:
    """The child's environment: PYTHONPATH for ``support``, one BLAS thread, the device.

    ``default_device``: the program reaches ``device`` as the default device rather than by
    selecting it itself.
    """
    env = dict(os.environ)
    paths = [str(PROGRAMS_DIR)]
    if framework == "unigrad":
        paths += [str(REPO_ROOT), str(REPO_ROOT / "examples" / "unigrad-arrayapi" / "src")]
    paths += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"})
    for key in ("UNIGRAD_DEVICE", "UNIGRAD_OPENCL_DEVICES"):
        env.pop(key, None)
    if framework == "unigrad":
        env["UNIGRAD_DEVICE"] = device if default_device else "cpu"
        if device == "cpu":
            env["UNIGRAD_OPENCL_DEVICES"] = NO_OPENCL
    env.update(extra or {})
    return env


# torch's default generator is seeded from the clock at start-up, unigrad's from a constant: the
# torch run starts from a constant seed too, so that a program that never calls manual_seed gives
# the same reference every time (the program's own text is not touched)
_TORCH_LAUNCHER = ("import os, runpy, sys, torch; torch.manual_seed(0); sys.argv = sys.argv[1:]; "
                   "sys.path.insert(0, os.path.dirname(sys.argv[0])); "
                   "runpy.run_path(sys.argv[0], run_name='__main__')")


def start(file: str, framework: str, device: str, args=(), env: dict | None = None,
          default_device: bool = False):
    """Start a program; returns (process, started_at, workdir)."""
    workdir = tempfile.TemporaryDirectory(prefix=f"program-{framework}-")
    command = [sys.executable, str(PROGRAMS_DIR / file)]
    if framework == "torch":
        script_path = pathlib.Path(workdir.name) / pathlib.Path(file).name
        script_path.write_text(torch_source((PROGRAMS_DIR / file).read_text()))
        command = [sys.executable, "-c", _TORCH_LAUNCHER, str(script_path)]
    process = subprocess.Popen([*command, *args], cwd=workdir.name,
                               env=environment(framework, device, env, default_device), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    return process, time.perf_counter(), workdir


def finish(started, framework: str, device: str, timeout: float) -> Run:
    process, t0, workdir = started
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        stderr += f"\n[harness] killed after {timeout:.0f}s"
    workdir.cleanup()
    return Run(framework, device, process.returncode, stdout, stderr, time.perf_counter() - t0)


def run(file: str, framework: str, device: str, args=(), env: dict | None = None,
        timeout: float = 300, default_device: bool = False) -> Run:
    return finish(start(file, framework, device, args, env, default_device), framework, device, timeout)


def floats_after(pattern: str):
    """An extractor: every float the regex ``pattern`` captures (``^``/``$`` match at lines; with
    alternatives, the first group that matched), in order."""
    compiled = re.compile(pattern, re.MULTILINE)

    def extract(output: str) -> list[float]:
        return [float(next(g for g in m.groups() if g is not None)) for m in compiled.finditer(output)]
    extract.pattern = pattern
    return extract


def main(argv=None) -> None:
    """``python harness.py NAME [cpu|opencl|torch] [--bench]``: run one manifest entry and print its losses."""
    import argparse

    from manifest import PROGRAMS

    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(PROGRAMS))
    parser.add_argument("target", nargs="?", default="cpu", choices=["cpu", "opencl", "torch"])
    parser.add_argument("--bench", action="store_true")
    options = parser.parse_args(argv)
    program = PROGRAMS[options.name]
    framework = "torch" if options.target == "torch" else "unigrad"
    device = "cpu" if options.target == "torch" else options.target
    args, env = program.arguments(device, bench=options.bench)
    result = run(program.file, framework, device, args, env,
                 default_device=device != "cpu" and program.opencl == "default")
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    print(f"[{framework} {device}] exit {result.returncode} in {result.seconds:.1f}s; "
          f"losses {program.losses(result.stdout)}")


if __name__ == "__main__":
    main()


def trajectories(extract, output: str) -> dict:
    """The losses a manifest extractor reads from ``output``, as {section: [values]}."""
    found = extract(output)
    return found if isinstance(found, dict) else {"": found}


def _median(values) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _similar_improvement(ratio: float, reference: float, band: float) -> bool:
    """Improvement ratios within a factor ``band``, or within 35% of each other in log scale."""
    import math
    if _within(ratio, reference, band):
        return True
    if ratio <= 0 or reference <= 0 or reference == 1:
        return False
    return abs(math.log(ratio) - math.log(reference)) <= 0.35 * abs(math.log(reference))


def compare(program, reference: str, candidate: str) -> list[str]:
    """How ``candidate``'s losses (unigrad) stray from ``reference``'s (torch); empty if they agree.

    ``trend``: per section, the median of the first quarter of the values must be within
    ``start_band`` of torch's, and the improvement (median of the last quarter over the first)
    within ``band`` of torch's, or within 35% of it in orders of magnitude (for long descents).
    ``pointwise``: every value within ``band`` of torch's. A callable: its own verdict on the two
    {section: values} maps. Medians, not means: single spikes (an LBFGS line search, an Adam
    overshoot) say little. All modes: the same number of values, all finite and non-empty.
    """
    import math

    problems = []
    want, got = trajectories(program.losses, reference), trajectories(program.losses, candidate)
    if program.compare == "none":
        return problems
    if callable(program.compare):
        return program.compare(want, got)
    if sorted(want) != sorted(got):
        return [f"sections differ: torch {sorted(want)}, unigrad {sorted(got)}"]
    for section, expected in want.items():
        actual = got[section]
        label = f"[{section}] " if section else ""
        if not expected or len(actual) != len(expected):
            problems.append(f"{label}{len(actual)} values logged, torch logged {len(expected)}")
            continue
        if not all(math.isfinite(v) for v in actual):
            problems.append(f"{label}non-finite losses {actual}")
            continue
        if program.compare == "pointwise":
            for i, (a, e) in enumerate(zip(actual, expected)):
                if not _within(a, e, program.band):
                    problems.append(f"{label}value {i}: unigrad {a:.6g}, torch {e:.6g} (band x{program.band})")
            continue
        k = max(1, len(expected) // 4)
        first_e, last_e = _median(expected[:k]), _median(expected[-k:])
        first_a, last_a = _median(actual[:k]), _median(actual[-k:])
        if not _within(first_a, first_e, program.start_band):
            problems.append(f"{label}starts at {first_a:.6g}, torch at {first_e:.6g} (band x{program.start_band})")
        if first_a and first_e and not _similar_improvement(last_a / first_a, last_e / first_e, program.band):
            problems.append(f"{label}improves x{last_a / first_a:.4g} ({first_a:.6g} -> {last_a:.6g}), torch "
                            f"x{last_e / first_e:.4g} ({first_e:.6g} -> {last_e:.6g}) (band x{program.band})")
    return problems


def _within(value: float, reference: float, factor: float) -> bool:
    """``value`` within a factor of ``reference`` (both zero counts as agreement)."""
    if reference == 0 or value == 0:
        return abs(value - reference) <= 1e-12
    if (value > 0) != (reference > 0):
        return False
    return reference / factor <= value <= reference * factor
