"""``torch.backends.cudnn``: the flags programs set (``cudnn.benchmark = True``,
``cudnn.deterministic = True``). unigrad's CUDA backend does not call cuDNN, so ``is_available()``
is False and the flags are recorded only."""
from __future__ import annotations

import contextlib

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: no unigrad backend uses cuDNN."""
    return False


def version() -> int | None:
    """None: cuDNN is not used (PyTorch returns None when it has no cuDNN)."""
    return None


def is_acceptable(tensor) -> bool:
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block and restore them after, like PyTorch's."""
    module = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    previous = {name: module[name] for name in names}
    module.update(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        yield
    finally:
        module.update(previous)
