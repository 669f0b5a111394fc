"""``torch.backends.mkldnn``: oneDNN, which unigrad does not use (``enabled`` is recorded)."""
from __future__ import annotations

enabled = True
deterministic = False


def is_available() -> bool:
    return False
