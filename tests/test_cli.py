"""The `unigrad` command and `python -m unigrad`: the README's main job."""
import subprocess
import sys

import pytest

from unigrad import cli


def test_info_lists_backends_and_default_device(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "unigrad 0.1.0" in out
    assert "cpu      available" in out
    assert "cuda" in out and "default device: cpu" in out


def test_demo_reaches_the_accuracy_target_and_verifies_its_checkpoint(capsys, tmp_path):
    pytest.importorskip("sklearn")
    checkpoint = tmp_path / "digits.ckpt"
    assert cli.main(["demo", "--epochs", "8", "--checkpoint", str(checkpoint),
                     "--logdir", str(tmp_path / "logs")]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.97
    assert "predictions identical" in out and checkpoint.exists()
    events = list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert events
    tags = _event_tags(events[0])
    assert {"train/loss", "train/lr", "test/accuracy"} <= tags


def test_demo_trains_with_amp_to_the_same_target(capsys):
    pytest.importorskip("sklearn")
    assert cli.main(["demo", "--epochs", "8", "--amp"]) == 0
    out = capsys.readouterr().out
    assert "mixed precision (bfloat16 autocast)" in out
    assert float(out.split("test accuracy ")[1].split()[0]) >= 0.97


def _event_tags(path) -> set:
    """Parse a TensorBoard event file (TFRecord framing + Event protobufs)."""
    import struct
    from tensorboardX.proto import event_pb2
    data = path.read_bytes()
    tags, offset = set(), 0
    while offset < len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        event = event_pb2.Event.FromString(data[offset + 12:offset + 12 + length])
        tags.update(value.tag for value in event.summary.value)
        offset += 12 + length + 4
    return tags


def test_python_dash_m_runs_info():
    result = subprocess.run([sys.executable, "-m", "unigrad", "info"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "backends:" in result.stdout
