"""Which primitive is broken: a ranking of the primitives behind a run's failures.

Evidence comes in two strengths:

* **confirmed**: the primitive's own ``primitive:<name>`` case failed. That case calls the
  primitive directly on device buffers and checks values, dtype, shape, untouched inputs and
  unaliased results, so its failure is direct evidence. Several primitive cases can fail for one
  broken primitive (every primitive case reads its results with ``to_numpy``, say), so the
  confirmed ones are ordered among themselves by how well each explains the failing primitive
  cases: first by the share of them that called it, then by the share of the primitive cases
  calling it that failed.
* **inferred**: every other primitive the failing cases called, ranked by the Ochiai coefficient
  ``failed(p) / sqrt(failed * used(p))`` over all cases: high when the cases that call ``p`` fail
  and the failures call ``p``. A rarely used fast path that happens to sit in a few failing
  composite cases scores low, because it explains few of the failures.

The cases' ``primitives`` are the primitives they were recorded calling on the device (see
``usage``), or the table's declaration where nothing was recorded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

FAILED = ("failed", "error")


@dataclass
class Diagnosis:
    """The ranked suspects of a run: ``confirmed`` first, then ``inferred``."""

    confirmed: list = field(default_factory=list)
    inferred: list = field(default_factory=list)

    @property
    def ranked(self) -> list:
        return self.confirmed + self.inferred

    def summary(self, limit: int = 5) -> str:
        """``most suspect primitives: exp (confirmed: its own case failed); then, inferred: ...``"""
        if not self.confirmed and not self.inferred:
            return ""
        shown = self.ranked[:limit]
        confirmed = [p for p in shown if p in self.confirmed]
        inferred = [p for p in shown if p not in self.confirmed]
        parts = []
        if confirmed:
            parts.append(f"{', '.join(confirmed)} (confirmed: {'its' if len(confirmed) == 1 else 'their'} "
                         f"own primitive case failed)")
        if inferred:
            parts.append(f"{'then ' if confirmed else ''}{', '.join(inferred)} (inferred from the failing "
                         f"cases that call {'it' if len(inferred) == 1 else 'them'})")
        return "most suspect primitives: " + "; ".join(parts)


def _counts(results):
    used, failed = {}, {}
    for r in results:
        for p in set(r.primitives):
            used[p] = used.get(p, 0) + 1
            if r.status in FAILED:
                failed[p] = failed.get(p, 0) + 1
    return used, failed


def _direct_evidence(primitive_cases):
    """``(confirmed, key)``: the primitives whose own case failed, and for any primitive its
    ordering key among them from the primitive cases alone (smaller first)."""
    confirmed = {p for r in primitive_cases if r.status in FAILED for p in (getattr(r, "subject", ()) or r.primitives)}
    p_used, p_failed = _counts(primitive_cases)
    p_failures = sum(r.status in FAILED for r in primitive_cases) or 1

    def key(p):
        share_of_failures = p_failed.get(p, 0) / p_failures
        share_failing = p_failed.get(p, 0) / p_used[p] if p_used.get(p) else 0.0
        return (-share_of_failures, -share_failing)
    return confirmed, key


def confirmed_leader(primitive_cases) -> str | None:
    """The first suspect of every run whose primitive cases gave ``primitive_cases``, when those
    alone decide it: a confirmed primitive strictly ahead of the other confirmed ones on the
    primitive-case evidence. None when the other cases could change the order (or nothing failed)."""
    confirmed, key = _direct_evidence([r for r in primitive_cases if r.status != "skipped"])
    ranked = sorted(confirmed, key=lambda p: (key(p), p))
    if not ranked or (len(ranked) > 1 and key(ranked[0]) == key(ranked[1])):
        return None
    return ranked[0]


def diagnose(results) -> Diagnosis:
    """Rank the primitives behind the failures of ``results`` (Results of one device)."""
    ran = [r for r in results if r.status != "skipped"]
    failures = [r for r in ran if r.status in FAILED]
    if not failures:
        return Diagnosis()
    confirmed, direct_key = _direct_evidence([r for r in ran if r.group == "primitive"])
    used, failed = _counts(ran)

    def ochiai(p):
        return failed.get(p, 0) / math.sqrt(len(failures) * used[p]) if used.get(p) else 0.0

    def confirmed_key(p):
        return (*direct_key(p), -ochiai(p), p)

    inferred = [p for p in failed if p not in confirmed]
    return Diagnosis(sorted(confirmed, key=confirmed_key),
                     sorted(inferred, key=lambda p: (-ochiai(p), -failed[p], p)))


def suspects(results) -> list:
    """Primitives ranked from most to least suspect (``diagnose(results).ranked``)."""
    return diagnose(results).ranked
