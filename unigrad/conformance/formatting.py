"""Numbers and positions as people read them in failure messages and report columns: plain
Python numbers and integer tuples (never NumPy reprs such as ``np.float64(5.2)``), errors in
scientific notation with three significant digits."""
from __future__ import annotations

import math

import numpy as np


def value(x) -> str:
    """One element as a plain number: ``5.2175188064575195``, ``-3``, ``True``, ``nan``."""
    item = np.asarray(x).item() if not isinstance(x, (bool, int, float)) else x
    if isinstance(item, float):
        return repr(float(item))
    return str(item)


def position(where) -> str:
    """An index as a plain tuple of ints: ``(1, 0)``; ``()`` for a 0-d result."""
    items = tuple(int(i) for i in where)
    return "(" + ", ".join(str(i) for i in items) + ("," if len(items) == 1 else "") + ")"


def error(x: float) -> str:
    """An error or error ratio: ``0``, ``1.41e+11``, ``inf``."""
    if x == 0:
        return "0"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.2e}"
