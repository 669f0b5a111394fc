"""Conformance cases for the one-sided clamps ``clamp_min`` / ``clamp_max`` (composites of the
existing ``maximum`` / ``minimum`` primitives)."""
from __future__ import annotations

from .cases import ELEMENTWISE_CLASSES, FLOATS, INTS, Case, operands

CASES = [
    Case("clamp_min_max", "elementwise",
         lambda lib, a: (lib.clamp_min(a, -0.5), lib.clamp_max(a, 0.7), a.clamp_min(0.25).clamp_max(1.5)),
         operands(1), ELEMENTWISE_CLASSES, FLOATS + INTS, True, "exact", ("maximum", "minimum")),
]
