"""The conformance suite: green on cpu, its reports, its CLI, and proof that it has teeth (every
required primitive, deliberately broken in a copy of the NumPy backend, is caught and named)."""
import json
import subprocess
import sys

import numpy as np
import pytest

import unigrad
from unigrad.api.creation import _placements
from unigrad.backends import registry
from unigrad.backends.interface import REQUIRED_PRIMITIVES
from unigrad.backends.numpy.backend import NumpyBackend
from unigrad.conformance import run, suspects
from unigrad.plugins import hookimpl, manager


def test_suite_passes_on_cpu():
    results = run("cpu")
    failed = [r for r in results if r.status != "passed"]
    assert not failed, [(r.name, r.dtype, r.shape_class, r.message) for r in failed[:5]]
    assert len(results) > 1000
    groups = {r.group for r in results}
    assert {"primitive", "elementwise", "reduction", "linalg", "movement", "indexing", "nn", "module",
            "optimizer", "training", "random", "semantics", "fast_path"} <= groups


def test_cli_reports_json_and_html(tmp_path):
    out_json, out_html = tmp_path / "report.json", tmp_path / "report.html"
    completed = subprocess.run(
        [sys.executable, "-m", "unigrad.conformance", "--device", "cpu", "--op", "^(matmul|exp|nn.Linear)$",
         "--dtype", "float32", "--json", str(out_json), "--html", str(out_html), "-q"],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "passed, 0 failed" in completed.stdout
    report = json.loads(out_json.read_text())
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 3
    assert {c["name"] for c in report["cases"]} == {"matmul", "exp", "nn.Linear"}
    assert all("max_abs_error" in c and "reproducer" in c for c in report["cases"])
    page = out_html.read_text()
    assert page.startswith("<!doctype html>") and "certified" in page


def test_pytest_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "unigrad.conformance", "--unigrad-device", "cpu",
         "-k", "primitive and float32", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert " passed" in completed.stdout


# ----- mutation testing --------------------------------------------------------------------------
def _perturb(value):
    if isinstance(value, tuple):
        return tuple(reversed(value)) if len(value) > 1 else tuple(v + 1 for v in value)
    if isinstance(value, np.ndarray):
        value = np.array(value, copy=True)  # a mutant view no longer aliases its base
        if value.size == 0:
            return value
        if value.dtype == np.bool_:
            value.flat[0] = not value.flat[0]
        elif value.dtype.kind in "iu":
            value.flat[0] = value.flat[0] ^ 1  # flip the lowest bit (no overflow)
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # inf * 1.001 in bfloat16 warns
                value *= 1.001
        return value
    return value


def _mutant(primitive):
    original = getattr(NumpyBackend, primitive)

    def broken(self, *args, **kwargs):
        if primitive == "empty":
            shape, dtype = args
            return np.empty(shape, np.float64 if dtype.numpy != np.float64 else np.float32)
        result = original(self, *args, **kwargs)
        if result is None:  # in-place primitive: corrupt its destination
            destination = args[0]
            if destination.size:
                destination.flat[0] = _perturb(destination.flat[:1].copy())[0]
            return None
        return _perturb(result)

    name = f"mutant{REQUIRED_PRIMITIVES.index(primitive)}"
    return type(f"Mutant_{primitive}", (NumpyBackend,), {"name": name, primitive: broken}), name


class _Plugin:
    def __init__(self, cls):
        self.cls = cls

    @hookimpl
    def unigrad_register_backends(self):
        return [self.cls]


@pytest.fixture
def register():
    added = []

    def add(cls):
        pm = manager.get_plugin_manager()
        plugin = _Plugin(cls)
        pm.register(plugin, name=f"test-{cls.name}")
        added.append(plugin)
        registry.reset()
        _placements.clear()
    yield add
    pm = manager.get_plugin_manager()
    for plugin in added:
        pm.unregister(plugin)
    registry.reset()
    _placements.clear()


@pytest.mark.parametrize("primitive", sorted(REQUIRED_PRIMITIVES))
def test_every_mutant_is_caught_and_named(primitive, register):
    cls, device = _mutant(primitive)
    register(cls)
    results = run(device)
    failed = [r for r in results if r.status in ("failed", "error")]
    assert failed, f"mutating {primitive} went unnoticed"
    named = {p for r in failed if r.group == "primitive" for p in r.primitives}
    assert primitive in named or primitive in suspects(results)[:5], (
        primitive, sorted(named), suspects(results)[:5])


def test_example_array_api_plugin_is_certified():
    """The separately installable example plugin (examples/unigrad-arrayapi) passes the suite,
    skipping only float16, which the Array API standard does not have."""
    pytest.importorskip("unigrad_arrayapi", reason="pip install -e examples/unigrad-arrayapi")
    assert "arrayapi" in unigrad.backends.available()
    results = run("arrayapi")
    failed = [r for r in results if r.status in ("failed", "error")]
    assert not failed, [(r.name, r.dtype, r.message[:200]) for r in failed[:5]]
    skipped = [r for r in results if r.status == "skipped"]
    assert skipped and all(r.dtype in ("float16", "bfloat16") for r in skipped)
    assert sum(r.status == "passed" for r in results) > 1000
