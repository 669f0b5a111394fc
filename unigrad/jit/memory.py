"""Memory planning for a program: when each buffer variable dies, and which dead buffers the
element-wise primitives write into instead of allocating.

Liveness: a variable lives from the step that makes it to its last use; views (``as_strided``)
keep their root alive. The generated code deletes each name right after its last use, so a
replay holds no intermediate longer than needed (eager holds those the autograd graph saves until
backward releases them).

Reuse: the arithmetic element-wise primitives take ``out``. When one makes a result with the
same backend, shape, dtype and strides as a buffer the program has finished with (made by the
program itself, C-contiguous, no view of it alive), the replay passes that buffer as ``out`` --
the same values, one allocation fewer. The plan is made once per program; buffers that leave the
program (returned, assigned to ``.grad``, saved for a backward) are never reused, so what a caller
holds is never overwritten by a later call.
"""
from __future__ import annotations

from .recorder import Call, Check, Read, Var

#: primitives that accept ``out`` (see unigrad/backends/interface.py)
OUT_CAPABLE = frozenset({"neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh",
                         "erf", "floor", "round", "add", "sub", "mul", "div", "pow", "maximum",
                         "minimum", "remainder"})
#: primitives whose results are fresh allocations (safe to write into once dead)
DONOR_PRODUCERS = OUT_CAPABLE | {"empty", "full", "matmul", "sum", "prod", "cast", "where", "gather"}
END = 1 << 60


class Plan:
    """``frees[position]``: variable indices whose names die after that step;
    ``donors[position]``: the variable a step writes its result into."""

    def __init__(self) -> None:
        self.frees: dict[int, list[int]] = {}
        self.donors: dict[int, int] = {}
        self.reused = 0


def _vars_in(value, found: list) -> None:
    if isinstance(value, Var):
        found.append(value)
    elif value.__class__ in (tuple, list):
        for v in value:
            _vars_in(v, found)


def _used_vars(step) -> list:
    found: list = []
    if step.__class__ is Call:
        for value in step.args:
            _vars_in(value, found)
        for value in step.kwargs.values():
            _vars_in(value, found)
    elif step.__class__ in (Read, Check):
        found.append(step.var)
    return found


def _defined_vars(step) -> list:
    if step.__class__ is not Call or step.outputs is None:
        return []
    outputs = step.outputs if step.outputs.__class__ is tuple else (step.outputs,)
    return [o for o in outputs if isinstance(o, Var)]


def kept_vars(program) -> set:
    """Variables the effects, the output or a compiled backward refer to (alive to the end)."""
    kept: set = set()
    for write in program.writes:
        if write.value is not None and write.value.var is not None:
            kept.add(write.value.var.index)
    for _, var in program.rebinds:
        kept.add(var.index)

    def walk(spec):
        kind = spec[0]
        if kind == "tensor" and spec[1].var is not None:
            kept.add(spec[1].var.index)
        elif kind in ("tuple", "list"):
            for s in spec[1]:
                walk(s)
        elif kind in ("namedtuple",):
            for s in spec[2]:
                walk(s)
        elif kind == "dict":
            for _, s in spec[2]:
                walk(s)

    walk(program.output)
    for var in getattr(program, "saved_for_backward", ()):
        kept.add(var.index)
    return kept


def plan_memory(program, reuse: bool = True) -> Plan:
    plan = Plan()
    steps = program.steps
    kept = kept_vars(program)
    last: dict[int, int] = {}
    root: dict[int, int] = {}
    for var in program.inputs:
        last[var.index] = -1
        root[var.index] = var.index
    for position, step in enumerate(steps):
        for var in _used_vars(step):
            last[var.index] = position
        for var in _defined_vars(step):
            last.setdefault(var.index, position)
            if var.index in root:
                continue  # written in place (``out=``): it still aliases what it aliased before
            if step.name == "as_strided" and step.args and isinstance(step.args[0], Var):
                root[var.index] = root.get(step.args[0].index, step.args[0].index)
            else:
                root[var.index] = var.index
    for index in kept:
        last[index] = END
    # a root lives as long as its longest-living view
    extended = dict(last)
    for index, r in root.items():
        if r != index:
            extended[r] = max(extended.get(r, -1), last.get(index, -1))
    inputs = {v.index for v in program.inputs}
    by_index = {v.index: v for v in program.vars}

    deaths: dict[int, list[int]] = {}
    for index, position in extended.items():
        if 0 <= position < END:
            deaths.setdefault(position, []).append(index)

    pool: dict = {}
    pooled_at: dict[int, int] = {}
    donated: set = set()
    for position, step in enumerate(steps):
        if reuse and step.__class__ is Call and step.name in OUT_CAPABLE and "out" not in step.kwargs \
                and isinstance(step.outputs, Var):
            key = _key(step.outputs)
            candidates = pool.get(key) if key is not None else None
            if candidates:
                donor = candidates.pop()
                plan.donors[position] = donor
                donated.add(donor)
                plan.frees.setdefault(position, []).append(donor)
                plan.reused += 1
        for index in deaths.get(position, ()):
            var = by_index.get(index)
            if (reuse and var is not None and index not in inputs and root.get(index) == index
                    and var.producer is not None and var.producer.name in DONOR_PRODUCERS
                    and _key(var) is not None):
                pool.setdefault(_key(var), []).append(index)
                pooled_at[index] = position
            else:
                plan.frees.setdefault(position, []).append(index)
    for index, position in pooled_at.items():  # pooled buffers nobody took die where they died
        if index not in donated:
            plan.frees.setdefault(position, []).append(index)
    for position, names in plan.frees.items():
        plan.frees[position] = sorted(set(names))
    return plan


def _key(var: Var):
    if var.shape is None or var.dtype is None or var.strides is None:
        return None
    expected, step = [], 1
    for size in reversed(tuple(var.shape)):
        expected.append(step)
        step *= max(size, 1)
    if tuple(reversed(expected)) != tuple(var.strides) and 0 not in var.shape:
        return None  # only C-contiguous buffers are reused
    return (var.backend, tuple(var.shape), str(var.dtype), tuple(var.strides))
