"""Passes over a captured program that change what runs, never what it computes.

Dead-call elimination: eager autograd and composites compute some values nobody reads (the
gradient of an LSTM's zero initial state, a view made for a shape check). A call whose results
no later step, effect or output uses, and which writes nothing in place, is dropped. Random draws
keep their ``Take`` step, so the generator still advances as in eager. Order is untouched:
the remaining calls run in the recorded order, so results stay bitwise the same.
"""
from __future__ import annotations

from ..backends.interface import OPTIONAL_FAST_PATHS, OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES
from .recorder import Call, Var

#: primitives that only return new buffers (or views) and change nothing else
PURE = (frozenset(REQUIRED_PRIMITIVES) | frozenset(OPTIONAL_FAST_PATHS) | frozenset(OPTIONAL_PRIMITIVES)) - {
    "copy_", "scatter", "scatter_add", "scatter_reduce", "to_numpy", "synchronize", "strides"}


def _vars(value, found: list) -> None:
    if isinstance(value, Var):
        found.append(value)
    elif value.__class__ in (tuple, list):
        for v in value:
            _vars(v, found)


def eliminate_dead_calls(steps: list, kept: set) -> list:
    """``steps`` without the pure calls whose results are never used (``kept``: variable
    indices used after the steps: outputs, effects, a backward's saved buffers)."""
    live = set(kept)
    survivors = []
    for step in reversed(steps):
        if step.__class__ is Call and step.name in PURE and "out" not in step.kwargs:
            outputs = step.outputs if step.outputs.__class__ is tuple else (step.outputs,)
            results = [o for o in outputs if isinstance(o, Var)]
            if results and not any(o.index in live for o in results) and len(results) == len(outputs):
                continue
        found: list = []
        if step.__class__ is Call:
            for value in list(step.args) + list(step.kwargs.values()):
                _vars(value, found)
        elif hasattr(step, "var"):
            found.append(step.var)
        live.update(v.index for v in found)
        survivors.append(step)
    survivors.reverse()
    return survivors
