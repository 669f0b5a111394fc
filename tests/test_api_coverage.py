"""unigrad has every public PyTorch name of ``tests/api_coverage/pytorch_api.txt`` except those
``left_out.py`` lists with a reason; a name that goes missing, or a left-out name that exists,
fails this test."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "api_coverage"))

from left_out import LEFT_OUT  # noqa: E402
from report import load_names, missing  # noqa: E402


def test_every_listed_pytorch_name_exists_or_is_left_out_with_a_reason():
    gaps = set(missing())
    assert not gaps - set(LEFT_OUT), f"missing and not listed as left out: {sorted(gaps - set(LEFT_OUT))}"
    assert not set(LEFT_OUT) - gaps, f"listed as left out but present: {sorted(set(LEFT_OUT) - gaps)}"
    assert set(LEFT_OUT) <= set(load_names()) and all(LEFT_OUT.values())
    assert len(gaps) / len(load_names()) < 0.05
