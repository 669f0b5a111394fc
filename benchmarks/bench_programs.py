"""Training time of the acceptance programs (``tests/programs/``) under unigrad and PyTorch.

    python benchmarks/bench_programs.py [--threads 1] [--devices cpu,opencl] [--repeat 1] [--only NAME,...]
    python benchmarks/bench_programs.py --profile NAME [--device cpu] [--top 25]

Each program of ``tests/programs/manifest.py`` runs with its benchmark arguments as a fresh
process under unigrad (on each device) and under torch (CPU), taking turns, with the same thread
count (``OMP_NUM_THREADS``; torch reads it at start-up). Reported per program: the best wall time
of each, and the ratio unigrad / torch both raw and with each framework's start-up time
subtracted (the import and one tiny training step, where torch loads what it imports lazily:
"training time"; the programs' own data preparation stays in both); for programs
whose amount of work depends on what they learn (the manifest's ``work``: reinforcement learning's
environment steps, batches until a loss threshold) the training time per unit of work. The last line is
the geometric mean of the training-time ratios. ``--profile`` runs one program under cProfile
with unigrad and prints where the time goes: backend primitives (``unigrad/backends/``) and
frontend functions, by own time.
"""
from __future__ import annotations

import argparse
import math
import os
import pathlib
import pstats
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS_DIR = ROOT / "tests" / "programs"
sys.path.insert(0, str(PROGRAMS_DIR))

import harness  # noqa: E402
from manifest import PROGRAMS  # noqa: E402

MANIFEST = list(PROGRAMS.values())


def thread_env(threads: int) -> dict:
    return {"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


# start-up subtracted from each run: the import and a first training step, which is where torch
# loads the parts it imports lazily (its compiler stack, on the first optimizer step: about a second)
_WARM_UP = ("import {framework} as torch; model = torch.nn.Linear(2, 2); "
            "optimizer = torch.optim.Adam(model.parameters(), lr=0.1); "
            "model(torch.ones(1, 2)).sum().backward(); optimizer.step()")


def import_seconds(framework: str, threads: int, repeat: int = 3) -> float:
    """The best time of a bare import plus one tiny training step (subtracted from program times)."""
    env = harness.environment(framework, "cpu", thread_env(threads))
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", _WARM_UP.format(framework=framework)], env=env, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def time_program(program, framework: str, device: str, threads: int, timeout: float) -> tuple[float, float]:
    """(wall seconds, units of work): the units are 1 unless the manifest entry counts its work
    (``work``: environment steps, batches until a loss threshold)."""
    args, env = program.arguments(device if framework == "unigrad" else "cpu", bench=True)
    env = dict(env, **thread_env(threads))
    default_device = framework == "unigrad" and device != "cpu" and program.opencl == "default"
    run = harness.run(program.file, framework, device if framework == "unigrad" else "cpu", args, env,
                      timeout=timeout, default_device=default_device)
    if run.returncode != 0:
        raise RuntimeError(run.describe())
    units = program.work(run.stdout, run.stderr) if program.work else 1.0
    if not units > 0:
        raise RuntimeError(f"{framework} on {device}: no units of work found in the output")
    return run.seconds, units


def benchmark(args) -> None:
    programs = [p for p in MANIFEST if not args.only or p.name in args.only.split(",")]
    devices = args.devices.split(",")
    startup = {fw: import_seconds(fw, args.threads) for fw in ("unigrad", "torch")}
    print(f"unigrad vs torch {__import__('torch').__version__} CPU, {args.threads} thread(s), best of "
          f"{args.repeat}; start-up (import + first step): unigrad {startup['unigrad']:.2f} s, torch {startup['torch']:.2f} s")
    header = f"{'program':28s} {'device':7s} {'unigrad s':>10s} {'torch s':>8s} {'ratio':>6s} {'train ratio':>11s}"
    print(header)
    ratios: dict[str, list] = {d: [] for d in devices}
    for program in programs:
        for device in devices:
            if device != "cpu" and not program.runs_on_opencl:
                continue
            best = {"unigrad": (math.inf, 1.0), "torch": (math.inf, 1.0)}  # (seconds, units)
            try:
                for _ in range(args.repeat):  # taking turns, so drift hits both alike
                    for framework in ("unigrad", "torch"):
                        seconds, units = time_program(program, framework, device, args.threads, args.timeout)
                        # the best time per unit of training work (import time subtracted)
                        old_seconds, old_units = best[framework]
                        if (seconds - startup[framework]) / units < (old_seconds - startup[framework]) / old_units:
                            best[framework] = (seconds, units)
            except RuntimeError as error:
                print(f"{program.name:28s} {device:7s} failed: {str(error).splitlines()[0]}")
                continue
            (ours, our_units), (theirs, their_units) = best["unigrad"], best["torch"]
            train = ((max(ours - startup["unigrad"], 1e-3) / our_units)
                     / (max(theirs - startup["torch"], 1e-3) / their_units))
            ratios[device].append(train)
            per_unit = "" if program.work is None else f"  (per unit of work: {our_units:.0f} vs {their_units:.0f} units)"
            print(f"{program.name:28s} {device:7s} {ours:10.2f} {theirs:8.2f} {ours / theirs:6.2f} {train:11.2f}"
                  f"{per_unit}", flush=True)
    for device, values in ratios.items():
        if values:
            mean = math.exp(sum(math.log(v) for v in values) / len(values))
            print(f"geometric mean of training-time ratios on {device}: {mean:.2f} over {len(values)} "
                  f"programs (worst {max(values):.2f})")


# runpy (not ``python -m cProfile``) so that the program runs as ``__main__``: programs that pickle
# their own classes (``torch.save(model)``) find them there
_PROFILE_LAUNCHER = ("import cProfile, runpy, sys; out = sys.argv[1]; sys.argv = sys.argv[2:]; "
                     "profiler = cProfile.Profile(); profiler.enable()\n"
                     "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
                     "finally:\n    profiler.disable(); profiler.dump_stats(out)")


def profile(args) -> None:
    program = next(p for p in MANIFEST if p.name == args.profile)
    run_args, env = program.arguments(args.device, bench=True)
    env = harness.environment("unigrad", args.device, dict(env, **thread_env(args.threads)),
                              default_device=args.device != "cpu" and program.opencl == "default")
    with tempfile.TemporaryDirectory() as workdir:
        stats_file = os.path.join(workdir, "profile.out")
        subprocess.run([sys.executable, "-c", _PROFILE_LAUNCHER, stats_file, str(PROGRAMS_DIR / program.file),
                        *run_args], cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL)
        stats = pstats.Stats(stats_file)
    backend_marker = os.sep.join(("unigrad", "backends", ""))
    frontend_marker = os.sep + "unigrad" + os.sep
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
        kind = ("primitive" if backend_marker in filename else "frontend" if frontend_marker in filename
                else "other")
        rows.append((own, cumulative, calls, kind, f"{pathlib.Path(filename).name}:{line}({name})"))
    total = sum(r[0] for r in rows)
    print(f"{program.name} under unigrad on {args.device}: {total:.2f} s profiled")
    for kind in ("primitive", "frontend"):
        share = sum(r[0] for r in rows if r[3] == kind)
        print(f"\n{kind} functions: {share:.2f} s ({100 * share / total:.0f}%), by own time")
        for own, cumulative, calls, _, where in sorted((r for r in rows if r[3] == kind), reverse=True)[:args.top]:
            print(f"  {own:8.3f} s own {cumulative:8.3f} s cum {calls:9d} calls  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--devices", default="cpu")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--profile", default="")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    profile(args) if args.profile else benchmark(args)


if __name__ == "__main__":
    main()
