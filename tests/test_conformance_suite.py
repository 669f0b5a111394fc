"""The conformance suite: green on cpu, its reports, its CLI, and proof that it has teeth and
aim (every primitive, perturbed in a copy of the NumPy backend, fails the suite and is named
first among the suspects)."""
import json
import re
import subprocess
import sys

import pytest

import unigrad
from unigrad.conformance import diagnose, mutation, run, suspects
from unigrad.conformance.cases import Result
from unigrad.conformance.primitives import PRIMITIVE_CASES
from unigrad.conformance.report import text_report
from unigrad.conformance.runner import subject_of
from unigrad.conformance.usage import primitive_names


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
    command = [sys.executable, "-m", "unigrad.conformance", "--device", "cpu", "--op", "^(matmul|exp|nn.Linear)$",
               "--dtype", "float32", "--json", str(out_json), "--html", str(out_html), "-q"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "passed, 0 failed" in completed.stdout
    report = json.loads(out_json.read_text())
    assert report["schema"] == "unigrad-conformance-report/2" and report["seed"] == 0
    assert report["command"][-len(command) + 1:] == command[1:]
    assert report["selection"] == {"op": "^(matmul|exp|nn.Linear)$", "dtypes": ["float32"]}
    (device,) = report["devices"]
    assert device["device"] == "cpu" and device["certified"] is True
    assert device["summary"]["failed"] == 0 and device["summary"]["passed"] >= 3
    assert device["backend"]["distribution"] == "unigrad" and "NumPy" in device["backend"]["hardware"]
    assert {c["name"] for c in device["cases"]} == {"matmul", "exp", "nn.Linear"}
    assert all("max_abs_error" in c and "reproducer" in c for c in device["cases"])
    assert all("exp" in c["primitives"] for c in device["cases"] if c["name"] == "exp")
    page = out_html.read_text()
    assert page.startswith("<!doctype html>") and "certified" in page


def test_pytest_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "unigrad.conformance", "--unigrad-device", "cpu",
         "-k", "primitive and float32", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert " passed" in completed.stdout


# ----- diagnosis: every perturbation of every primitive is caught and named first ----------------
def test_every_primitive_of_the_interface_has_its_own_case():
    """Direct evidence needs a ``primitive:<name>`` case per primitive, fast path and optional
    primitive (a new one in backends/interface.py needs its case in conformance/primitives.py)."""
    subjects = {p for entry in PRIMITIVE_CASES for p in subject_of(entry)}
    missing = [p for p in primitive_names() if p not in subjects]
    assert not missing, f"no primitive case for {missing}: add one to unigrad/conformance/primitives.py"
    assert set(mutation.targets()) == set(primitive_names())


@pytest.fixture(scope="module")
def unperturbed():
    """The suite on the unperturbed mutant, recording what each case touches."""
    return mutation.baseline()


def test_the_unperturbed_mutant_passes(unperturbed):
    assert not unperturbed.failed, [(r.name, r.dtype, r.message[:200]) for r in unperturbed.failed[:3]]
    assert len(unperturbed.results) > 1000


def test_every_perturbation_of_every_primitive_is_localized(unperturbed):
    """Every applicable (primitive, perturbation kind) pair fails the suite and puts the primitive
    first. Each mutant reruns the cases that called the primitive and stops once the primitive
    cases decide the first suspect (see the tests below for why both shortcuts are exact)."""
    outcomes = mutation.matrix(reference=unperturbed)
    print(mutation.rate_table(outcomes))
    assert {o.primitive for o in outcomes} == set(primitive_names())
    assert set(mutation.rates(outcomes)) == set(mutation.KINDS)
    assert len(outcomes) >= 4 * len(primitive_names())
    missed = [(o.primitive, o.kind, o.failed, o.suspects[:3]) for o in outcomes if not o.localized]
    assert not missed, missed


#: every kind; copy_'s and as_strided's perturbations fail both primitives' cases
REPRESENTATIVE = [("exp", "value"), ("copy_", "value"), ("uniform_from_bits", "dtype"), ("gather", "shape"),
                  ("as_strided", "alias"), ("max_pool", "element")]


@pytest.mark.parametrize("primitive,kind", REPRESENTATIVE, ids=[f"{p}-{k}" for p, k in REPRESENTATIVE])
def test_the_primitive_cases_decide_as_the_whole_suite_does(primitive, kind, unperturbed):
    early = mutation.localize(primitive, kind, reference=unperturbed, early=True)
    complete = mutation.localize(primitive, kind, reference=unperturbed)
    assert early.decided_early and complete.failed >= early.failed > 0
    assert early.suspects[0] == complete.suspects[0] == primitive and primitive in complete.confirmed


def test_rerunning_only_the_touched_cases_gives_the_full_runs_outcome(unperturbed):
    """The shortcut the mutation matrix takes (cases that never called the perturbed primitive
    keep their unperturbed result) changes nothing, checked on a rarely used primitive."""
    quick = mutation.localize("erf", "element", reference=unperturbed)
    full = mutation.localize("erf", "element")
    assert quick.failed == full.failed > 0
    assert quick.suspects == full.suspects
    assert [(r.name, r.dtype, r.shape_class, r.status) for r in quick.results] == \
        [(r.name, r.dtype, r.shape_class, r.status) for r in full.results]


def test_a_plugin_with_a_slightly_wrong_exp_is_diagnosed_as_exp(unperturbed):
    """The issue's plugin: exp off by a relative 1e-3. The summary names exp first and says it is
    confirmed; messages and columns print plain, readable numbers."""
    outcome = mutation.localize("exp", "value", reference=unperturbed)
    text = text_report(outcome.results, "badnp", 1.0)
    summary_line = next(line for line in text.splitlines() if line.startswith("most suspect primitives"))
    assert summary_line.startswith("most suspect primitives: exp (confirmed: its own primitive case failed); "
                                   "then "), summary_line
    assert "inferred" in summary_line
    assert "np." not in text and "float64(" not in text
    message = next(r.message for r in outcome.results if r.name == "primitive:exp" and r.status == "failed")
    assert re.search(r"worst at \(\d+, \d+\): -?\d+\.\d+ vs reference -?\d+\.\d+$", message), message
    lines = text.splitlines()
    table_rows = lines[3:lines.index("", 3)]
    assert len(table_rows) >= 15
    for line in table_rows:
        for column in line.split()[5:8]:
            assert column == "0" or re.fullmatch(r"\d\.\d\de[+-]\d{2,3}", column), line


def test_diagnosis_ranks_by_direct_evidence_then_by_explained_failures():
    def result(name, status, primitives, group="elementwise"):
        return Result(name, group, "float32", "-", 0, status, primitives=primitives,
                      subject=primitives if group == "primitive" else ())
    # a rarely used fast path inside a few failing composites; exp's own case failed
    results = ([result("primitive:exp", "failed", ("exp",), "primitive"),
                result("primitive:add", "passed", ("add",), "primitive")]
               + [result(f"uses exp {i}", "failed", ("exp", "add")) for i in range(20)]
               + [result(f"fast {i}", "failed", ("log_softmax", "exp")) for i in range(2)]
               + [result(f"plain {i}", "passed", ("add",)) for i in range(40)])
    diagnosis = diagnose(results)
    assert diagnosis.confirmed == ["exp"]
    assert diagnosis.inferred == ["add", "log_softmax"]  # add explains 20 of 23 failures
    assert suspects(results)[0] == "exp"
    # without a failing primitive case, the primitive behind most failures comes first
    inferred_only = [r for r in results if r.name != "primitive:exp"]
    assert diagnose(inferred_only).confirmed == [] and suspects(inferred_only)[0] == "exp"


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
