"""``unigrad.utils``: data loading and logging."""
from . import hooks  # noqa: F401
from .swap import swap_tensors  # noqa: F401
