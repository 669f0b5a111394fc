"""Acceptance: public PyTorch programs run under unigrad and learn as they do under torch.

Every program in ``tests/programs/manifest.py`` runs as a subprocess with its short CI settings on
unigrad's ``cpu`` device and, when it can reach OpenCL (see the manifest's ``opencl``), on
``opencl``; the same program with its import lines turned to ``torch`` runs under PyTorch as the
reference (once per session, alongside the first unigrad run). The test asserts a clean exit and
that the losses behave like torch's (``harness.compare``); the two frameworks draw different random
numbers, so it compares improvement ratios within bands, not values.
"""
from __future__ import annotations

import pathlib
import sys

import pytest

PROGRAMS_DIR = pathlib.Path(__file__).resolve().parent / "programs"
sys.path.insert(0, str(PROGRAMS_DIR))

import harness  # noqa: E402
from manifest import PROGRAMS  # noqa: E402

_TIMEOUT = 300
_references: dict = {}


def _opencl_available() -> bool:
    import unigrad.backends
    return "opencl" in unigrad.backends.available()


def _cases():
    for program in PROGRAMS.values():
        for device in ("cpu", "opencl"):
            if device == "opencl" and not program.runs_on_opencl:
                continue
            reason = program.xfail or (program.xfail_opencl if device == "opencl" else None)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(program, device, id=f"{program.name}-{device}", marks=marks)


def _reference(program, started=None) -> harness.Run:
    """torch's run of ``program`` (started earlier if ``started`` is given), kept for the session."""
    if program.name not in _references:
        args, env = program.arguments("cpu")
        started = started or harness.start(program.file, "torch", "cpu", args, env)
        _references[program.name] = harness.finish(started, "torch", "cpu", _TIMEOUT)
    return _references[program.name]


@pytest.mark.parametrize("program,device", list(_cases()))
def test_program_learns_as_under_torch(program, device):
    if device == "opencl" and not _opencl_available():
        pytest.skip("no usable OpenCL device on this machine")
    args, env = program.arguments(device)
    default_device = device != "cpu" and program.opencl == "default"
    # torch runs alongside unigrad (two cores); a failed unigrad run stops it, as its output is moot
    torch_started = None
    if program.name not in _references:
        torch_args, torch_env = program.arguments("cpu")
        torch_started = harness.start(program.file, "torch", "cpu", torch_args, torch_env)
    run = harness.run(program.file, "unigrad", device, args, env, _TIMEOUT, default_device)
    if run.returncode != 0:
        if torch_started is not None:
            torch_started[0].kill()
            harness.finish(torch_started, "torch", "cpu", _TIMEOUT)
        pytest.fail(run.describe(), pytrace=False)
    reference = _reference(program, torch_started)
    assert reference.returncode == 0, f"the torch version failed, so the program itself is wrong:\n{reference.describe()}"
    problems = harness.compare(program, reference.stdout, run.stdout)
    if program.check is not None:
        for output in (reference.stdout, run.stdout):
            try:
                program.check(output)
            except AssertionError as error:
                problems.append(f"check failed: {error}")
    assert not problems, "\n".join(problems) + "\n" + run.describe()


def test_torch_source_rewrites_only_import_lines():
    source = ("import unigrad as torch\nfrom unigrad.nn import functional as F\n"
              "    import unigrad.optim as optim\nx = 'unigrad'  # unigrad stays here\n"
              "from support.unigrad_vision import datasets\n")
    assert harness.torch_source(source) == (
        "import torch as torch\nfrom torch.nn import functional as F\n"
        "    import torch.optim as optim\nx = 'unigrad'  # unigrad stays here\n"
        "from support.torch_vision import datasets\n")


def test_every_program_file_is_in_the_manifest():
    listed = {program.file for program in PROGRAMS.values()}
    files = {p.name for p in PROGRAMS_DIR.glob("*.py")} - {"harness.py", "manifest.py"}
    assert files == listed


def test_programs_use_no_unigrad_name_outside_imports():
    """The torch version is derived from the import lines alone, so no code may name unigrad."""
    import io
    import tokenize
    for path in PROGRAMS_DIR.glob("*.py"):
        if path.name in ("harness.py", "manifest.py"):
            continue
        converted = harness.torch_source(path.read_text())
        names = [(token.start[0], token.string)
                 for token in tokenize.generate_tokens(io.StringIO(converted).readline)
                 if token.type == tokenize.NAME and "unigrad" in token.string]
        assert not names, f"{path.name}: {names}"
