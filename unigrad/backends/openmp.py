"""``torch.backends.openmp``: unigrad itself runs no OpenMP parallel regions (NumPy's BLAS may;
``unigrad.set_num_threads`` sizes it)."""
from __future__ import annotations


def is_available() -> bool:
    return False
