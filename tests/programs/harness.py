"""Run an acceptance program under unigrad or under torch and read its losses.

The torch version of a program is derived mechanically: every import line (``import ...`` /
``from ... import ...``) has ``unigrad`` replaced by ``torch``; nothing else changes. Both run as
subprocesses in a fresh working directory (programs write checkpoints and data there).

Devices for unigrad: ``cpu`` runs with ``UNIGRAD_DEVICE=cpu`` and OpenCL hidden
(``UNIGRAD_OPENCL_DEVICES`` matching nothing), so a program's own accelerator selection falls
back to the CPU as it does under a CPU build of torch; ``opencl`` runs with
``UNIGRAD_DEVICE=opencl`` plus the program's accelerator arguments, if it has any.
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


def environment(framework: str, device: str, extra: dict | None = None) -> dict:
    """The child's environment: PYTHONPATH for ``support``, one BLAS thread, the device."""
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
        env["UNIGRAD_DEVICE"] = device
        if device == "cpu":
            env["UNIGRAD_OPENCL_DEVICES"] = NO_OPENCL
    env.update(extra or {})
    return env


def start(file: str, framework: str, device: str, args=(), env: dict | None = None):
    """Start a program; returns (process, started_at, workdir)."""
    workdir = tempfile.TemporaryDirectory(prefix=f"program-{framework}-")
    script = PROGRAMS_DIR / file
    if framework == "torch":
        script_path = pathlib.Path(workdir.name) / pathlib.Path(file).name
        script_path.write_text(torch_source(script.read_text()))
        script = script_path
    process = subprocess.Popen([sys.executable, str(script), *args], cwd=workdir.name,
                               env=environment(framework, device, env), stdout=subprocess.PIPE,
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
        timeout: float = 300) -> Run:
    return finish(start(file, framework, device, args, env), framework, device, timeout)


def floats_after(pattern: str):
    """An extractor: every float captured by the regex ``pattern`` (one group), in order."""
    compiled = re.compile(pattern)

    def extract(output: str) -> list[float]:
        return [float(m.group(1)) for m in compiled.finditer(output)]
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
    result = run(program.file, framework, device, args, env)
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    print(f"[{framework} {device}] exit {result.returncode} in {result.seconds:.1f}s; "
          f"losses {program.losses(result.stdout)}")


if __name__ == "__main__":
    main()
