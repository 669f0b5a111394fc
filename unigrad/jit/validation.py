"""Host reads that only validate input, and how a replay repeats them.

On backends without deferred index checks (``cpu``, plugins), the frontend reads index tensors on
the host to raise PyTorch's IndexError before an out-of-range gather or scatter. Such a read does
not change what is computed, only whether the op raises, so it does not break the graph: the
capture records it as a **check** that the replay runs at the same point of the program (the
same host read, then the same test), raising IndexError as eager would, having executed the same
primitives before it. Any other host read (``.item()``, printing, ``bool(tensor)`` in user code)
is a graph break.

A check site is a frontend function, named by its code object, whose every host read is a
validation, with what to test:

* ``range``: the values read must lie in ``[low, high)``, taken from the function's locals;
* ``same``: the value read must equal the one seen at capture (a boolean "any out of range"),
  else the replay raises the exception eager raises there (IndexError, RuntimeError, ...).
"""
from __future__ import annotations

import numpy as np

from ..api.tensor import Tensor


class Site:
    __slots__ = ("kind", "low", "high", "message", "error")

    def __init__(self, kind: str, low=None, high=None, message: str = "", error=IndexError) -> None:
        self.kind, self.low, self.high, self.message, self.error = kind, low, high, message, error


def _code(fn):
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn.__code__


_sites: dict | None = None


def sites() -> dict:
    """``{code object: Site}`` for the frontend's validating reads (built on first use)."""
    global _sites
    if _sites is None:
        from ..api import creation
        from ..api.ops import index_ops, indexing, pointwise
        from ..nn.functional import loss, margin
        _sites = {
            _code(indexing._bounds_checked): Site("range", lambda f: 0, lambda f: f["size"],
                                                  "index out of bounds for dimension {dim} with size {size}"),
            _code(index_ops._host_bounds): Site("range", lambda f: f["low"], lambda f: f["high"],
                                                "index out of range [{low}, {high})"),
            _code(loss.nll_loss): Site("same", message="Target out of bounds"),
            _code(loss.binary_cross_entropy): Site(
                "same", message="all elements of input and target should be between 0 and 1",
                error=RuntimeError),
            _code(loss.gaussian_nll_loss): Site("same", message="var has negative entry/entries",
                                                error=ValueError),
            _code(loss._check_probabilities): Site(
                "same", message="all elements of input and target should be between 0 and 1",
                error=RuntimeError),
            _code(pointwise._check_integer_divisor): Site("same", message="ZeroDivisionError", error=RuntimeError),
            _code(creation.bernoulli): Site(
                "same", message="bernoulli: expected every probability p to satisfy 0 <= p <= 1",
                error=RuntimeError),
            _code(pointwise.pow): Site("same", message="Integers to negative integer powers are not allowed.",
                                       error=RuntimeError),
        }
        for name in ("multi_margin_loss", "multilabel_margin_loss"):
            function = getattr(margin, name, None)
            if function is not None:
                _sites[_code(function)] = Site("same", message="target out of bounds")
    return _sites


_through: frozenset | None = None


def find_site(frame):
    """The check site that made the host read seen in ``frame`` (through ``Tensor.item``,
    ``bool(tensor)`` and friends, and nothing else), with its frame; else ``(None, None)``."""
    global _through
    if _through is None:
        _through = frozenset(_code(getattr(Tensor, name)) for name in
                             ("_host", "item", "__bool__", "__int__", "__index__", "tolist"))
    table = sites()
    while frame is not None and frame.f_code in _through:
        frame = frame.f_back
    site = table.get(frame.f_code) if frame is not None else None
    return (site, frame) if site is not None else (None, None)


def check_range(host, low: int, high: int, message: str) -> None:
    """Raise IndexError unless every value of ``host`` lies in ``[low, high)``."""
    host = np.asarray(host)
    if host.size:
        smallest, largest = int(host.min()), int(host.max())
        if smallest < low or largest >= high:
            bad = smallest if smallest < low else largest
            raise IndexError(f"index {bad} is out of range: {message} (checked by a compiled replay)")


def check_same(host, expected, message: str, error=IndexError) -> None:
    """Raise ``error`` (the exception eager raises there) unless ``host`` equals what the
    capture read."""
    if not np.array_equal(np.asarray(host), expected):
        raise error(f"{message} (checked by a compiled replay)")
