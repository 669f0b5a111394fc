"""Every acceptance program: its file, CI and benchmark arguments, and how to read its losses.

``tests/test_programs.py`` runs each entry with ``ci_args``/``ci_env`` under unigrad (cpu and
opencl) and under torch and compares the loss trajectories; ``benchmarks/bench_programs.py`` times
``bench_args``/``bench_env``. ``accel_args`` are added for the opencl run of programs that choose
their device from flags (``--accel``); ``cpu`` runs hide OpenCL instead (see ``harness``).

``band``: how far unigrad's improvement ratio (mean of the last quarter of the losses over the
mean of the first quarter) may be from torch's, as a factor; ``start_band`` the same for the mean
of the first quarter itself. The two frameworks draw different random numbers, so the bands are
set from the spread torch itself shows across seeds on the same settings, with margin.

``xfail``: why the program cannot pass yet (a feature another branch is adding); the test is a
strict xfail, so it fails as soon as the program passes and the mark must go.
"""
from __future__ import annotations

import dataclasses

from harness import floats_after


@dataclasses.dataclass(frozen=True)
class Program:
    name: str
    file: str
    origin: str
    losses: object
    ci_args: tuple = ()
    bench_args: tuple = ()
    ci_env: dict = dataclasses.field(default_factory=dict)
    bench_env: dict = dataclasses.field(default_factory=dict)
    accel_args: tuple = ()
    band: float = 1.5
    start_band: float = 1.25
    higher_is_better: bool = False
    xfail: str | None = None
    xfail_opencl: str | None = None

    def arguments(self, device: str, bench: bool = False) -> tuple[list, dict]:
        args = list(self.bench_args if bench else self.ci_args)
        if device != "cpu":
            args += list(self.accel_args)
        return args, dict(self.bench_env if bench else self.ci_env)


def _sizes(train: int, test: int) -> dict:
    return {"SUPPORT_TRAIN_SAMPLES": str(train), "SUPPORT_TEST_SAMPLES": str(test)}


_ENTRIES = [
    Program(
        "mnist", "mnist.py", "pytorch/examples mnist/main.py",
        floats_after(r"Train Epoch: .*Loss: ([0-9.]+)"),
        ci_args=("--epochs", "1", "--batch-size", "16", "--test-batch-size", "64",
                 "--log-interval", "1"),
        ci_env=_sizes(160, 64),
        bench_args=("--epochs", "1", "--log-interval", "10"), bench_env=_sizes(1437, 360),
    ),
]

PROGRAMS = {p.name: p for p in _ENTRIES}
