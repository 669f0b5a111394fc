"""The cross-backend conformance suite: ``unigrad conformance --device NAME`` certifies that a
backend returns the same numbers as the float64 NumPy reference (see ``tolerances`` for how
close is close enough, ``cases`` for what is checked)."""
from .diagnosis import diagnose
from .runner import compare, plan, run, suspects

__all__ = ["run", "plan", "compare", "suspects", "diagnose"]
