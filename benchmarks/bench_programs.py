"""Training time of the acceptance programs (``tests/programs/``) under unigrad and PyTorch.

    python benchmarks/bench_programs.py [--threads 1] [--devices cpu,opencl] [--repeat 1] [--only NAME,...]
    python benchmarks/bench_programs.py --profile NAME [--device cpu] [--top 25] [--save-stats FILE]

Each program of ``tests/programs/manifest.py`` runs with its benchmark arguments as a fresh
process under unigrad (on each device) and under torch (CPU), taking turns, with the same thread
count (``OMP_NUM_THREADS``; torch reads it at start-up). Reported per program: the best wall time
of each; the ratio unigrad / torch raw; with each framework's bare import time subtracted ("train
ratio"); and with the import and one tiny training step subtracted ("steady": torch loads parts of
itself lazily on the first optimizer step, about a second, which a long run amortises). The
programs' own data preparation stays in both. For programs whose amount of work depends on what
they learn (the manifest's ``work``: reinforcement learning's environment steps, batches until a
loss threshold) the ratios are of time per unit of work. The last lines give the geometric means.
``--profile`` runs one program under cProfile with unigrad and prints where the time goes:
backend primitives (``unigrad/backends/``) and frontend functions, by own time.
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


# start-up: a bare import, and an import plus a first training step, which is where torch loads the
# parts it imports lazily (its compiler stack, on the first optimizer step: about a second)
_IMPORT = "import {framework}"
_WARM_UP = ("import {framework} as torch; model = torch.nn.Linear(2, 2); "
            "optimizer = torch.optim.Adam(model.parameters(), lr=0.1); "
            "model(torch.ones(1, 2)).sum().backward(); optimizer.step()")


#: a program whose torch run spends less than this beyond importing torch is reported but left out
#: of the geometric means: its ratio is mostly start-up noise
MIN_TRAINING_SECONDS = 1.0


def startup_seconds(framework: str, threads: int, script: str, repeat: int = 3) -> float:
    """The best time of ``script`` (``_IMPORT`` or ``_WARM_UP``) in a fresh process."""
    env = harness.environment(framework, "cpu", thread_env(threads))
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script.format(framework=framework)], env=env, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def training_ratio(ours: tuple, theirs: tuple, our_startup: float, their_startup: float) -> float:
    """unigrad / torch time per unit of work, each with its start-up subtracted (None where a run
    is not longer than its start-up)."""
    (our_seconds, our_units), (their_seconds, their_units) = ours, theirs
    if our_seconds <= our_startup or their_seconds <= their_startup:
        return None
    return ((our_seconds - our_startup) / our_units) / ((their_seconds - their_startup) / their_units)


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
    bare = {fw: startup_seconds(fw, args.threads, _IMPORT) for fw in ("unigrad", "torch")}
    warm = {fw: startup_seconds(fw, args.threads, _WARM_UP) for fw in ("unigrad", "torch")}
    print(f"unigrad vs torch {__import__('torch').__version__} CPU, {args.threads} thread(s), best of {args.repeat}; "
          f"import: unigrad {bare['unigrad']:.2f} s, torch {bare['torch']:.2f} s; import + first step: "
          f"unigrad {warm['unigrad']:.2f} s, torch {warm['torch']:.2f} s")
    print(f"{'program':28s} {'device':7s} {'unigrad s':>10s} {'torch s':>8s} {'ratio':>6s} {'train ratio':>11s} "
          f"{'steady':>7s}")
    ratios: dict[str, dict] = {d: {"train": [], "steady": []} for d in devices}
    for program in programs:
        for device in devices:
            if device != "cpu" and not program.runs_on_opencl:
                continue
            best = {"unigrad": (math.inf, 1.0), "torch": (math.inf, 1.0)}  # (seconds, units)
            try:
                for _ in range(args.repeat):  # taking turns, so drift hits both alike
                    for framework in ("unigrad", "torch"):
                        seconds, units = time_program(program, framework, device, args.threads, args.timeout)
                        old_seconds, old_units = best[framework]  # the best time per unit of work
                        if (seconds - bare[framework]) / units < (old_seconds - bare[framework]) / old_units:
                            best[framework] = (seconds, units)
            except RuntimeError as error:
                print(f"{program.name:28s} {device:7s} failed: {str(error).splitlines()[0]}")
                continue
            train = training_ratio(best["unigrad"], best["torch"], bare["unigrad"], bare["torch"])
            steady = training_ratio(best["unigrad"], best["torch"], warm["unigrad"], warm["torch"])
            timed = best["torch"][0] - bare["torch"] >= MIN_TRAINING_SECONDS
            for kind, value in (("train", train), ("steady", steady)):
                if value is not None and timed:
                    ratios[device][kind].append(value)
            (ours, our_units), (theirs, their_units) = best["unigrad"], best["torch"]
            per_unit = "" if program.work is None else f"  (per unit of work: {our_units:.0f} vs {their_units:.0f} units)"
            shown = [f"{v:.2f}" if v is not None else "-" for v in (train, steady)]
            short = "" if timed else "  (too short to time: left out of the means)"
            print(f"{program.name:28s} {device:7s} {ours:10.2f} {theirs:8.2f} {ours / theirs:6.2f} {shown[0]:>11s} "
                  f"{shown[1]:>7s}{per_unit}{short}", flush=True)
    for device, kinds in ratios.items():
        for kind, values in kinds.items():
            if values:
                mean = math.exp(sum(math.log(v) for v in values) / len(values))
                print(f"geometric mean of {kind} ratios on {device}: {mean:.2f} over {len(values)} programs "
                      f"(worst {max(values):.2f})")


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
        if args.save_stats:
            stats.dump_stats(args.save_stats)  # for pstats' print_callers and the like
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
    parser.add_argument("--save-stats", help="with --profile: keep cProfile's statistics in this file")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    profile(args) if args.profile else benchmark(args)


if __name__ == "__main__":
    main()
