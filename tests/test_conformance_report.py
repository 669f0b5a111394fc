"""The conformance reports: the cross-device matrix (text, JSON certificate, HTML page checked in
headless Chromium), readable numbers, quiet progress without a terminal, and the certificates
page made from JSON reports."""
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from unigrad.conformance import cli, mutation
from unigrad.conformance.progress import Progress
from unigrad.conformance.runner import compare

CHROMIUM = next((path for path in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if path), None)
SELECTION = ["--op", "^(primitive:exp|exp|primitive:add|add|softplus|nn.Linear)$",
             "--dtype", "float32", "--dtype", "float64"]


@pytest.fixture(scope="module")
def matrix_report(tmp_path_factory):
    """cpu and a plugin whose exp is off by a relative 1e-3, in one report."""
    folder = tmp_path_factory.mktemp("matrix")
    with mutation.installed(mutation.mutant("exp", "value")) as device:
        status = cli.main(["--device", "cpu", "--device", device, *SELECTION, "--seed", "3", "-q",
                           "--json", str(folder / "report.json"), "--html", str(folder / "report.html")])
    return status, json.loads((folder / "report.json").read_text()), folder / "report.html"


def test_one_certificate_covers_every_device(matrix_report):
    status, report, _ = matrix_report
    assert status == 1  # the plugin fails
    assert report["schema"] == "unigrad-conformance-report/2"
    assert report["command"] == ["unigrad", "conformance", "--device", "cpu", "--device", "mutant", *SELECTION,
                                 "--seed", "3", "-q", "--json", report["command"][-3], "--html", report["command"][-1]]
    assert report["seed"] == 3 and report["selection"]["dtypes"] == ["float32", "float64"]
    assert {"unigrad_version", "python", "numpy", "platform", "cpu"} <= set(report["environment"])
    cpu, plugin = report["devices"]
    assert (cpu["device"], plugin["device"]) == ("cpu", "mutant")
    assert cpu["certified"] and cpu["summary"]["failed"] == 0 and cpu["suspects"] == {"confirmed": [], "inferred": []}
    assert not plugin["certified"] and plugin["summary"]["failed"] > 0
    assert plugin["suspects"]["confirmed"] == ["exp"]
    assert plugin["backend"]["class"].endswith("Mutant_exp_value") and "NumPy" in plugin["backend"]["hardware"]
    assert cpu["backend"]["version"] and cpu["elapsed_s"] >= 0
    exp_cases = [c for c in plugin["cases"] if c["name"] == "exp"]
    assert exp_cases and all(c["seed"] == 3 and "--seed 3" in c["reproducer"] for c in exp_cases)
    failing = [c for c in exp_cases if c["shape_class"] != "zero_size"]
    assert {c["status"] for c in failing} == {"failed"}
    assert all(c["worst_error_over_tolerance"] > 1 for c in failing)
    keys = {"name", "group", "dtype", "shape_class", "seed", "status", "message", "inputs", "max_abs_error",
            "max_rel_error", "worst_error_over_tolerance", "primitives", "reproducer"}
    assert all(set(c) == keys for d in report["devices"] for c in d["cases"])


def test_the_page_is_self_contained(matrix_report):
    page = matrix_report[2].read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert "<script>" in page and "<style>" in page
    assert page.count("class='c bad'") == sum(c["status"] in ("failed", "error") for d in matrix_report[1]["devices"]
                                              for c in d["cases"])


# ----- the page in a real browser ---------------------------------------------------------------
def _chromium(*args, timeout=120):
    profile = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"unigrad-chromium-{os.getpid()}")
    completed = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                f"--user-data-dir={profile}", *args],
                               capture_output=True, text=True, timeout=timeout)
    shutil.rmtree(profile, ignore_errors=True)
    return completed


#: appended to a copy of the page: what the browser laid out, written into the DOM for dump-dom
_PROBE = """<script>
(function(){
  function shown(e){var s=getComputedStyle(e);var r=e.getBoundingClientRect();
    return s.display!=='none'&&s.visibility!=='hidden'&&r.width>0&&r.height>0;}
  var bad=[].slice.call(document.querySelectorAll('td.c.bad'));
  var visible=bad.filter(shown);
  var onScreen=visible.filter(function(e){var r=e.getBoundingClientRect();return r.top>=0&&r.bottom<=innerHeight;});
  var rows=[].slice.call(document.querySelectorAll('tr.row-ok')).filter(shown);
  var badge=document.querySelector('.badge.bad');
  var p=document.createElement('pre');p.id='probe';
  p.textContent=JSON.stringify({bad:bad.length,visible:visible.length,onScreen:onScreen.length,
    passingRowsShown:rows.length,cellColour:bad.length?getComputedStyle(bad[0]).backgroundColor:'',
    badgeShown:!!badge&&shown(badge),firstBadTop:visible.length?visible[0].getBoundingClientRect().top:-1});
  document.body.appendChild(p);
})();
</script>"""


def _probe(page, tmp_path, hash_=""):
    copy = tmp_path / f"probe{hash_.strip('#')}.html"
    copy.write_text(page.read_text().replace("</body>", _PROBE + "</body>"))
    completed = _chromium("--window-size=1200,1400", "--dump-dom", copy.as_uri() + hash_)
    assert completed.returncode == 0, completed.stderr[-2000:]
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", completed.stdout, re.S)
    assert found, completed.stdout[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"')), completed.stdout


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: "
                                                             "apt-get install chromium; .ci/run installs it)")


@needs_chromium
def test_chromium_shows_the_failures(matrix_report, tmp_path):
    _, report, page = matrix_report
    failed = sum(c["status"] in ("failed", "error") for d in report["devices"] for c in d["cases"])
    seen, dom = _probe(page, tmp_path)
    # as opened: every failing cell is laid out (its group is expanded) in the failure colour,
    # the device's badge says so, and the first failures are on the first screen
    assert seen["bad"] == seen["visible"] == failed > 0, seen
    assert seen["cellColour"] == "rgb(245, 198, 203)" and seen["badgeShown"], seen
    assert seen["onScreen"] > 0 and 0 <= seen["firstBadTop"] < 1400, seen
    assert re.search(r'<body[^>]*data-ready="1"', dom) and "mutant <span class=\"badge bad\">not certified" in dom
    # report.html#failures: the filter is on, passing rows are hidden, failing ones stay
    filtered, dom = _probe(page, tmp_path, "#failures")
    assert re.search(r'<body[^>]*class="failures-only"', dom)
    assert filtered["passingRowsShown"] == 0 and filtered["visible"] == failed, filtered
    assert seen["passingRowsShown"] > 0

    from unigrad.conformance.html_report import write_html
    green = tmp_path / "green.html"
    write_html(green, dict(report, devices=report["devices"][:1]))
    clean, _ = _probe(green, tmp_path)
    assert clean["bad"] == 0 and not clean["badgeShown"]


# ----- readable numbers, quiet logs --------------------------------------------------------------
def test_failure_messages_print_plain_numbers_and_positions():
    actual, expected = np.array([[1.0, 2.0], [5.2175, 4.0]]), np.array([[1.0, 2.0], [5.2123, 4.0]])
    ok, _, _, _, message = compare(actual, expected, "rounded", "float64")
    assert not ok and "np." not in message
    assert message.endswith("worst at (1, 0): 5.2175 vs reference 5.2123"), message
    ok, *_, message = compare(np.array([1, 7, 3]), np.array([1, 2, 3]), "exact", "int64")
    assert not ok and message.endswith("first at (1,): 7 != 2"), message


def test_relative_error_leaves_out_references_near_zero():
    expected = np.array([0.0, 1e-300, 1.0, -2.0])
    actual = expected + np.array([1e-9, 1e-9, 1e-9, -2e-9])
    _, max_abs, max_rel, _, _ = compare(actual, expected, "reduction", "float64")
    assert max_abs == pytest.approx(2e-9) and max_rel == pytest.approx(1e-9)


def test_progress_without_a_terminal_writes_a_line_every_few_seconds(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr("unigrad.conformance.progress.time.monotonic", lambda: clock[0])
    stream = io.StringIO()
    progress = Progress("cpu", stream, interval=5.0, tty=False)

    class Passed:
        status = "passed"
    for done in range(1, 2001):
        clock[0] += 0.01  # 2000 cases in 20 s
        progress(done, 2000, Passed())
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and 3 <= len(lines) <= 4
    assert lines[0].startswith("conformance cpu: ") and "cases, 0 failed" in lines[0]


def test_the_cli_without_a_terminal_keeps_stderr_short():
    completed = subprocess.run([sys.executable, "-m", "unigrad.conformance", "--device", "cpu", "--op", "^exp$"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "\r" not in completed.stderr and len(completed.stderr.splitlines()) <= 2


# ----- certificates --------------------------------------------------------------------------------
def test_certificates_page_from_json_reports(matrix_report, tmp_path):
    from unigrad.conformance import certificates
    _, report, _ = matrix_report
    source = tmp_path / "report.json"
    source.write_text(json.dumps(report))
    target = tmp_path / "certificates.md"
    assert certificates.main([str(source), "--output", str(target)]) == 0
    page = target.read_text()
    cpu, plugin = report["devices"]
    assert f"| cpu | certified | {cpu['summary']['passed']} | 0 | 0 |" in page
    assert "## cpu: built-in NumPy backend" in page and cpu["backend"]["hardware"] in page
    assert f"| date | {report['created']} |" in page and "seed 3" in page
    assert f"**not certified**: {plugin['summary']['failed']} failed" in page
    assert "Suspects: confirmed exp;" in page
    # a built-in backend without a report is named, with the command that would certify it
    assert "| cuda | not certified by this version |" in page
    assert "unigrad conformance --device cuda --json cuda.json" in page
    assert "| opencl | not certified by this version |" in page


def test_certificate_commands_name_no_directories():
    from unigrad.conformance.certificates import _portable_command
    assert _portable_command(["/opt/py/bin/python3", "/home/me/venv/bin/unigrad", "conformance", "--device",
                              "cpu", "--json", "/tmp/x/cert.json", "-q"]) == \
        "unigrad conformance --device cpu --json cert.json -q"
    assert _portable_command(["python", "-m", "unigrad", "conformance"]) == "python -m unigrad conformance"
