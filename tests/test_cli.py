"""The `unigrad` command and `python -m unigrad`: the README's main job."""
import subprocess
import sys

from unigrad import cli


def test_info_lists_backends_and_default_device(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "unigrad 0.1.0" in out
    assert "cpu      available" in out
    assert "cuda" in out and "default device: cpu" in out


def test_demo_trains_to_high_accuracy(capsys):
    assert cli.main(["demo", "--steps", "500"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.strip().splitlines()[-1].split()[1])
    assert accuracy > 0.9


def test_python_dash_m_runs_info_and_demo():
    result = subprocess.run([sys.executable, "-m", "unigrad", "info"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "backends:" in result.stdout
