"""``unigrad.compiler.explain``: what a capture of one call gives, in words."""
from __future__ import annotations

from . import capture as _capture
from .compiled import CompiledFunction


class ExplainOutput:
    """The result of ``explain``: ``graph_count``, ``graph_break_count``, ``break_reasons``
    (each with the operation and source line), ``op_count`` (primitive calls captured),
    ``guards`` and ``programs`` (the captured programs, with ``listing()``)."""

    def __init__(self, programs, breaks, unreplayable, seconds: float) -> None:
        self.programs = programs
        self.break_reasons = breaks
        self.unreplayable = unreplayable
        self.graph_count = len(programs)
        self.graph_break_count = len(breaks)
        self.op_count = sum(p.primitive_count for p in programs)
        self.guards = [g for p in programs for g in p.guard_descriptions]
        self.compile_seconds = seconds
        self.recompiles, self.last_miss = 0, ""

    def __str__(self) -> str:
        lines = [f"Graph Count: {self.graph_count}", f"Graph Break Count: {self.graph_break_count}",
                 f"Op Count: {self.op_count}"]
        for program in self.programs:
            lines.append(f"Program: {program.primitive_count} primitive calls, {len(program.inputs)} "
                         f"inputs, {len(program.guard_descriptions)} guards, captured in "
                         f"{program.capture_seconds:.3f} s, replayed {program.replays} times")
        if self.recompiles:
            lines.append(f"Recompiles: {self.recompiles} (last: {self.last_miss})")
        if self.break_reasons:
            lines.append("Break Reasons:")
            lines.extend(f"  {reason}" for reason in self.break_reasons)
        if self.unreplayable:
            lines.append("Not replayable (this call changed Python state):")
            lines.extend(f"  {reason}" for reason in self.unreplayable)
        return "\n".join(lines)


def explain(fn, *args, **kwargs) -> ExplainOutput:
    """Capture ``fn(*args, **kwargs)`` (running it once) and describe the outcome; for a
    compiled function or module given without arguments, describe what it has captured so far
    (its programs, recompiles and the guard that last failed, its graph break)."""
    compiled = fn if isinstance(fn, CompiledFunction) else getattr(fn, "_compiled_call", None)
    if compiled is not None and not args and not kwargs:
        breaks = [compiled.broken] if compiled.broken is not None else []
        output = ExplainOutput(list(compiled.programs), breaks, compiled.given_up or [], 0.0)
        output.recompiles, output.last_miss = compiled.recompiles, compiled.last_miss
        return output
    if compiled is not None:
        fn = compiled.fn
    _, outcome = _capture.capture(fn, args, kwargs, fullgraph=False)
    kind = type(outcome).__name__
    programs = [outcome] if kind == "Program" else []
    breaks = [outcome.info] if kind == "Broken" else []
    unreplayable = outcome.reasons if kind == "Unreplayable" else []
    seconds = outcome.capture_seconds if programs else 0.0
    return ExplainOutput(programs, breaks, unreplayable, seconds)
