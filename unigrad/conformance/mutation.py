"""Does the suite pinpoint a broken primitive? Mutation testing of the conformance suite.

A *mutant* is the NumPy backend with one primitive perturbed in one way (a perturbation *kind*),
installed as a plugin under the device name ``mutant``. The suite *localizes* it when the run
fails and the perturbed primitive comes first among the suspects. Every primitive of the
interface is a target: the required ones, the optional fast paths and the optional primitives
(read from ``unigrad.backends.interface`` at run time, so new ones are covered without edits).

``python -m unigrad.conformance.mutation`` runs the whole matrix and prints the localization rate
per kind (``--primitive`` / ``--kind`` select a part of it).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..api.creation import _placements
from ..backends import registry
from ..backends.numpy.backend import NumpyBackend
from ..plugins import hookimpl, manager
from . import primitives as primitive_cases
from .usage import IN_PLACE, primitive_names

#: perturbation kind -> what it does to the primitive's result
KINDS = {
    "value": "every value off by a relative 1e-3 (integers off by one, booleans negated)",
    "element": "one wrong element, in the middle of the result",
    "dtype": "the result in a wrong dtype (float32 <-> float64, int64 -> int32, bool -> uint8, ...)",
    "shape": "the result with an extra leading axis of size 1",
    "alias": "the result written into an input and returned as a view of it (for as_strided: a copy "
             "where a view is required; from_numpy: the host array itself)",
}
DEVICE = "mutant"

#: primitives whose result never has an input's dtype, so no input can be returned in its place
_OTHER_DTYPE = ("eq", "lt", "argmax", "nonzero", "uniform_from_bits")
#: primitives without buffer inputs
_NO_INPUTS = ("empty", "full", "arange", "random_bits")


def not_applicable(primitive: str, kind: str) -> str:
    """Why ``kind`` cannot perturb ``primitive`` ("" when it can)."""
    if kind in ("value", "element") and primitive == "empty":
        return "empty's contents are undefined"
    if kind in ("dtype", "shape", "alias") and primitive in IN_PLACE:
        return "an in-place primitive returns nothing"
    if kind in ("dtype", "shape", "alias") and primitive == "strides":
        return "strides returns a tuple of ints, not a buffer"
    if kind == "alias" and primitive == "to_numpy":
        return "to_numpy may alias its argument"
    if kind == "alias" and primitive in _NO_INPUTS:
        return "no input to alias"
    if kind == "alias" and primitive in _OTHER_DTYPE:
        return "the result's dtype is never an input's"
    return ""


# ----- perturbations of NumPy results ------------------------------------------------------------
def _off(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.bool_:
        return ~values
    if values.dtype.kind in "iu":
        return values + values.dtype.type(1)
    with np.errstate(all="ignore"):
        return (values.astype(np.float64) * (1 + 1e-3)).astype(values.dtype)


def _one_wrong(values: np.ndarray) -> np.ndarray:
    out = np.array(values, copy=True)
    if out.size == 0:
        return out
    flat = out.reshape(-1)
    i = out.size // 2
    if out.dtype == np.bool_:
        flat[i] = not flat[i]
    elif out.dtype.kind in "iu":
        flat[i] = flat[i] + out.dtype.type(1)
    else:
        v = float(flat[i])
        flat[i] = v + max(1.0, abs(v)) if np.isfinite(v) else 0.0
    return out


_OTHER = {"float64": np.float32, "float32": np.float64, "float16": np.float64, "int64": np.int32,
          "int32": np.int64, "uint8": np.int64, "int16": np.int64, "bool": np.uint8, "uint32": np.int64}


def _wrong_dtype(values: np.ndarray) -> np.ndarray:
    name = "float32" if values.dtype == primitive_cases.dt.bfloat16.numpy else values.dtype.name
    return values.astype(_OTHER.get(name, np.float64))


def _into_input(values: np.ndarray, inputs) -> np.ndarray:
    """``values`` written into the first input that can hold them, returned as a view of it."""
    for candidate in inputs:
        if (isinstance(candidate, np.ndarray) and candidate is not values and candidate.dtype == values.dtype
                and candidate.flags.c_contiguous and candidate.flags.writeable and candidate.size >= values.size):
            view = candidate.reshape(-1)[:values.size].reshape(values.shape)
            np.copyto(view, np.array(values, copy=True))
            return view
    return values


def perturb(primitive: str, kind: str, result, args: tuple):
    """The perturbed form of ``primitive``'s ``result`` (``args``: its arguments)."""
    if isinstance(result, tuple) and result and all(isinstance(v, (int, np.integer)) for v in result):
        values = np.asarray(result)  # strides
        return tuple(int(v) for v in (_off(values) if kind == "value" else _one_wrong(values)))
    if isinstance(result, tuple):  # (values, indices): perturb the values
        return (perturb(primitive, kind, result[0], args),) + result[1:]
    if not isinstance(result, np.ndarray):
        return result
    if kind == "value":
        return _off(result)
    if kind == "element":
        return _one_wrong(result)
    if kind == "dtype":
        return _wrong_dtype(result)
    if kind == "shape":
        return result.reshape((1,) + result.shape)
    if primitive == "as_strided":
        return np.array(result, copy=True)
    if primitive == "from_numpy":
        return np.ascontiguousarray(args[0])
    return _into_input(result, args)


def _in_place(primitive: str, kind: str, destination: np.ndarray) -> None:
    if destination.size and kind in ("value", "element"):
        np.copyto(destination, _off(destination) if kind == "value" else _one_wrong(destination))


def _fold(self, patches, shape, kernel, stride, dilation):
    """A plain fold for a base backend without one (accumulated in float64)."""
    patches = np.asarray(patches)
    return primitive_cases.fold_reference(patches.astype(np.float64), tuple(shape), kernel, stride,
                                          dilation).astype(patches.dtype)


def mutant(primitive: str, kind: str | None, base: type = NumpyBackend) -> type:
    """``base`` with ``primitive`` perturbed by ``kind`` (None: unperturbed), as device ``mutant``.
    An optional primitive the base lacks gets a plain NumPy version first (only ``fold`` so far)."""
    original = getattr(base, primitive, None)
    if original is None and primitive == "fold":
        original = _fold
    if original is None:
        raise ValueError(f"the base backend {base.__name__} has no {primitive} to perturb")

    def perturbed(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if kind is None or result is NotImplemented:
            return result
        if primitive in IN_PLACE or result is None:
            _in_place(primitive, kind, args[0])
            return result
        out = kwargs.get("out")
        if out is not None and kind in ("value", "element"):
            _in_place(primitive, kind, out)
            return out
        return perturb(primitive, kind, result, args)

    perturbed.__name__ = primitive
    label = kind or "unperturbed"
    return type(f"Mutant_{primitive}_{label}", (base,), {"name": DEVICE, "indexed": True, primitive: perturbed,
                                                          "__module__": __name__})


# ----- running the suite against mutants ---------------------------------------------------------
@dataclass
class Outcome:
    """What the suite made of one mutant."""

    primitive: str
    kind: str
    failed: int
    suspects: list = field(default_factory=list)
    confirmed: list = field(default_factory=list)
    seconds: float = 0.0
    results: list = field(default_factory=list, repr=False)
    #: True when the primitive cases alone decided the first suspect (the others did not run)
    decided_early: bool = False

    @property
    def localized(self) -> bool:
        return self.failed > 0 and bool(self.suspects) and self.suspects[0] == self.primitive


class _Plugin:
    def __init__(self, cls) -> None:
        self.cls = cls

    @hookimpl
    def unigrad_register_backends(self):
        return [self.cls]


@contextlib.contextmanager
def installed(cls: type):
    """Backend class ``cls`` installed as a plugin inside the block; yields its device name."""
    plugin = _Plugin(cls)
    pm = manager.get_plugin_manager()
    pm.register(plugin, name=f"unigrad-conformance-{cls.__name__}")
    registry.reset()
    _placements.clear()
    try:
        yield cls.name
    finally:
        pm.unregister(plugin)
        registry.reset()
        _placements.clear()


@dataclass
class Baseline:
    """The suite on the unperturbed mutant: every case's result and the primitives it touched."""

    labels: list
    results: list
    touched: list

    @property
    def failed(self) -> list:
        return [r for r in self.results if r.status in ("failed", "error")]


def _run_jobs(jobs, baseline=None, primitive=None, which=None):
    """Results of ``jobs`` (those at the positions ``which``, default all); with a baseline, a
    case that never touched ``primitive`` there keeps its baseline result (a deterministic case
    that does not call the perturbed primitive runs exactly as before, so rerunning it would give
    the same result)."""
    results, touched = [], []
    for i in (range(len(jobs)) if which is None else which):
        if baseline is not None and primitive not in baseline.touched[i]:
            results.append(baseline.results[i])
            touched.append(baseline.touched[i])
            continue
        results.append(jobs[i][1]())
        touched.append(jobs[i][1].touched)
    return results, touched


def baseline(op: str | None = None, dtypes=None) -> Baseline:
    """Run the suite on the unperturbed mutant (every optional primitive the NumPy backend lacks
    added in plain NumPy), recording what each case touches."""
    from .runner import plan

    with installed(_with_fold("fold", None)) as device:
        jobs, skips = plan(device, dtypes, op)
        results, touched = _run_jobs(jobs)
    return Baseline([label for label, _ in jobs], list(skips) + results, [frozenset()] * len(skips) + touched)


def localize(primitive: str, kind: str | None, op: str | None = None, dtypes=None,
             reference: Baseline | None = None, early: bool = False) -> Outcome:
    """Run the suite (or the cases ``op`` selects) on the mutant of ``primitive`` and ``kind``.
    With ``reference`` (the ``baseline()`` of the same selection) only the cases that touched
    ``primitive`` there are rerun. With ``early``, the primitive cases run first, and when they
    alone decide the first suspect (``diagnosis.confirmed_leader``: the rest of the suite cannot
    change it) the other cases are not run; the outcome then counts the primitive cases' failures."""
    from .diagnosis import confirmed_leader, diagnose
    from .runner import plan

    started = time.perf_counter()
    with installed(_with_fold(primitive, kind)) as device:
        jobs, skips = plan(device, dtypes, op)
        if reference is not None and [label for label, _ in jobs] != reference.labels:
            raise ValueError("the baseline was made for another selection of cases")
        skipped = len(skips)
        shifted = None if reference is None else Baseline(reference.labels, reference.results[skipped:],
                                                            reference.touched[skipped:])
        if early:
            direct = [i for i, (_, job) in enumerate(jobs) if job.meta[1] == "primitive"]
            first, _ = _run_jobs(jobs, shifted, primitive, direct)
            leader = confirmed_leader(first)
            if leader is not None:
                return Outcome(primitive, kind or "unperturbed", sum(r.status in ("failed", "error") for r in first),
                               [leader], [leader], time.perf_counter() - started, first, True)
        results, _ = _run_jobs(jobs, shifted, primitive)
    results = list(skips) + results
    diagnosis = diagnose(results)
    return Outcome(primitive, kind or "unperturbed", sum(r.status in ("failed", "error") for r in results),
                   diagnosis.ranked, diagnosis.confirmed, time.perf_counter() - started, results)


def _with_fold(primitive: str, kind: str | None) -> type:
    """The mutant, on a base that has every optional primitive (so that all mutants and the
    baseline run the same cases)."""
    if primitive == "fold" or getattr(NumpyBackend, "fold", None) is not None:
        return mutant(primitive, kind)
    return mutant(primitive, kind, mutant("fold", None))


def targets() -> tuple:
    """Every primitive of the interface that a mutant can perturb."""
    return tuple(p for p in primitive_names() if getattr(NumpyBackend, p, None) is not None or p == "fold")


def matrix(primitives=None, kinds=None, progress=None, full: bool = False,
           reference: Baseline | None = None, early: bool = True) -> list:
    """Outcomes of every applicable (primitive, kind) pair. Unless ``full``, the suite runs once
    unperturbed (or ``reference`` is that run) and each mutant reruns only the cases that touched
    its primitive; with ``early`` too, it stops after the primitive cases when they decide the
    first suspect."""
    if not full and reference is None:
        reference = baseline()
        if reference.failed:
            raise RuntimeError(f"the unperturbed mutant fails {len(reference.failed)} cases, e.g. "
                               f"{reference.failed[0].name}: {reference.failed[0].message}")
    reference = None if full else reference
    outcomes = []
    pairs = [(p, k) for p in (primitives or targets()) for k in (kinds or KINDS) if not not_applicable(p, k)]
    for i, (p, k) in enumerate(pairs):
        outcomes.append(localize(p, k, reference=reference, early=early and not full))
        if progress is not None:
            progress(i + 1, len(pairs), outcomes[-1])
    return outcomes


def rates(outcomes) -> dict:
    """kind -> (localized, applicable)."""
    table = {}
    for o in outcomes:
        done, total = table.get(o.kind, (0, 0))
        table[o.kind] = (done + o.localized, total + 1)
    return table


def rate_table(outcomes) -> str:
    lines = [f"{'kind':<8} {'localized':>9} {'of':>4} {'rate':>7}  perturbation"]
    for kind, (done, total) in rates(outcomes).items():
        lines.append(f"{kind:<8} {done:>9} {total:>4} {100.0 * done / total:>6.1f}%  {KINDS[kind]}")
    missed = [o for o in outcomes if not o.localized]
    for o in missed:
        lines.append(f"  not localized: {o.primitive} / {o.kind}: {o.failed} failures, "
                     f"suspects {', '.join(o.suspects[:3]) or 'none'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unigrad.conformance.mutation",
                                     description="Localization rate of the conformance suite per perturbation kind.")
    parser.add_argument("--primitive", action="append", help="only these primitives (repeatable)")
    parser.add_argument("--kind", action="append", choices=list(KINDS), help="only these kinds (repeatable)")
    parser.add_argument("--complete", action="store_true",
                        help="rank the suspects from every case that calls the perturbed primitive, "
                             "not only from the primitive cases when those decide the first suspect")
    parser.add_argument("--full", action="store_true",
                        help="run every case for every mutant (default: only the cases that call the "
                             "perturbed primitive, the others cannot change)")
    args = parser.parse_args(argv)

    def progress(done, total, outcome):
        mark = "ok" if outcome.localized else f"MISSED (suspects {', '.join(outcome.suspects[:3])})"
        print(f"[{done}/{total}] {outcome.primitive} / {outcome.kind}: {outcome.failed} failures, {mark}",
              file=sys.stderr, flush=True)

    outcomes = matrix(args.primitive, args.kind, progress, args.full, early=not args.complete)
    print(rate_table(outcomes))
    return 0 if all(o.localized for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
