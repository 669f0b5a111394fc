"""Which primitives a conformance case really calls on the device under test, and whether the
primitive a ``primitive:<name>`` case is about keeps the contract of the Backend interface while
it runs (inputs left intact, results aliasing no input).

The diagnosis ranks primitives by the cases that used them, so recorded use (not a hand-written
list) is what it counts. Recording wraps the backend instance's bound primitives for the duration
of one case; the frontend looks primitives up on the instance at every call, so the wrappers see
every call, and they are removed afterwards.
"""
from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np

from ..backends import interface

_NOT_SET = object()

#: primitives that write into their first argument instead of returning a new buffer (a call
#: that returns None is treated as in place too)
IN_PLACE = ("copy_", "scatter", "scatter_add", "scatter_reduce")
#: primitives whose result may (or must) share memory with an argument
MAY_ALIAS = IN_PLACE + ("as_strided", "to_numpy", "strides", "from_numpy_shared", "dlpack")
#: primitives whose buffer arguments are host NumPy arrays, not device buffers
HOST_ARGUMENTS = ("from_numpy", "from_numpy_shared")


def primitive_names() -> tuple:
    """Every primitive of the Backend interface: the required ones, the optional fast paths and
    the optional primitives (read at call time, so additions to the interface count at once)."""
    return tuple(dict.fromkeys(interface.REQUIRED_PRIMITIVES + tuple(interface.OPTIONAL_FAST_PATHS)
                               + tuple(getattr(interface, "OPTIONAL_PRIMITIVES", ()))))


class Recorder:
    """Records the primitives called on one backend instance while active; optionally checks
    every call of the ``subjects`` against the contract (see ``ContractMonitor``)."""

    def __init__(self, backend, subjects: tuple = ()) -> None:
        # a checking wrapper (``backends.checked.CheckedBackend``) forwards attribute writes to
        # the backend it wraps and looks them up there: record on that one
        self.backend = getattr(backend, "_inner", backend)
        self.used: set = set()
        #: every primitive called on the backend while recording, the paused calls included
        self.touched: set = set()
        self.active = True
        self.monitor = ContractMonitor(self.backend) if subjects else None
        self._subjects = frozenset(subjects)
        self._saved: dict = {}

    def __enter__(self) -> "Recorder":
        backend = self.backend
        for name in primitive_names():
            bound = getattr(backend, name, None)
            if bound is None or not callable(bound):
                continue
            self._saved[name] = vars(backend).get(name, _NOT_SET) if hasattr(backend, "__dict__") else _NOT_SET
            try:
                setattr(backend, name, self._wrap(name, bound))
            except AttributeError:  # a backend with __slots__: use what it declares, unrecorded
                self._saved.pop(name)
        return self

    def __exit__(self, *exc) -> None:
        for name, own in self._saved.items():
            if own is _NOT_SET:
                with contextlib.suppress(AttributeError):
                    delattr(self.backend, name)
            else:
                setattr(self.backend, name, own)
        self._saved.clear()

    def _wrap(self, name: str, bound: Callable) -> Callable:
        checked = name in self._subjects

        def call(*args, **kwargs):
            self.touched.add(name)
            if not self.active:
                return bound(*args, **kwargs)
            self.used.add(name)
            if checked and self.monitor is not None:
                return self.monitor.call(name, bound, args, kwargs, self.paused)
            return bound(*args, **kwargs)
        call.__wrapped__ = bound
        return call

    @contextlib.contextmanager
    def paused(self):
        """Calls made here are not counted (the float64 reference computed on the same device)."""
        was, self.active = self.active, False
        try:
            yield
        finally:
            self.active = was


_current: list = []


@contextlib.contextmanager
def recording(backend, subjects: tuple = ()):
    """Record (and, for ``subjects``, check) the primitives called on ``backend`` inside."""
    with Recorder(backend, subjects) as recorder:
        _current.append(recorder)
        try:
            yield recorder
        finally:
            _current.pop()


@contextlib.contextmanager
def reference_side():
    """Calls inside are the reference computation, not the device's use (matters only when the
    device under test is the reference device itself)."""
    if not _current:
        yield
        return
    with _current[-1].paused():
        yield


# ----- the contract of one primitive call ----------------------------------------------------------
def _is_buffer(value) -> bool:
    return hasattr(value, "shape") and not isinstance(value, (tuple, list, str))


def _changed(values: np.ndarray) -> np.ndarray:
    """Different values of the same dtype and shape (every element differs)."""
    if values.dtype == np.bool_:
        return ~values
    if values.dtype.kind in "iu":
        return values + values.dtype.type(1)
    out = values.astype(np.float64)
    out = np.where(np.isfinite(out), out + 1.0, 0.5)
    return out.astype(values.dtype)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


class ContractMonitor:
    """Checks calls of a primitive against two rules every backend keeps: a primitive leaves its
    inputs unchanged (except the destination of an in-place primitive and ``out``), and its result
    aliases no input (except views, in-place primitives and ``to_numpy``).

    Aliasing is tested by behaviour, so it works on any device: the call is repeated on fresh
    copies of its buffer arguments, those copies are overwritten, and the repeated result must not
    change. The case's own buffers are never written, so a broken ``copy_`` or ``to_numpy`` cannot
    make another primitive look guilty here."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.violations: list = []

    def _host(self, name: str, value) -> np.ndarray:
        if name in HOST_ARGUMENTS:
            return np.array(value, copy=True)
        return np.array(self.backend.to_numpy(value), copy=True)

    def call(self, name: str, bound: Callable, args: tuple, kwargs: dict, paused):
        """Make the call (counted as the case's use) around checks made under ``paused()``."""
        out = kwargs.get("out")
        buffers = [(i, a) for i, a in enumerate(args) if _is_buffer(a) and a is not out
                   and not (i == 0 and name in IN_PLACE)]
        with paused():
            try:
                before = [(i, self._host(name, a)) for i, a in buffers]
            except Exception:  # noqa: BLE001 - inputs this device cannot read back are not checked
                before = None
        result = bound(*args, **kwargs)
        if before is None:
            return result
        with paused():
            # the monitor's own reads and repeats must never fail the case: a broken transfer
            # primitive would otherwise be blamed on the primitive under test
            try:
                self._check_inputs(name, args, buffers, before, result)
                if name not in MAY_ALIAS and out is None and before and result is not None:
                    self._check_aliasing(name, bound, args, kwargs, [i for i, _ in buffers], dict(before))
            except Exception:  # noqa: BLE001
                pass
        return result

    def _check_inputs(self, name, args, buffers, before, result) -> None:
        for (i, a), (_, snapshot) in zip(buffers, before):
            if i == 0 and result is None:
                continue  # an in-place primitive's destination
            if not _same(self._host(name, a), snapshot):
                self.violations.append(f"{name} changed its input {i}")

    def _check_aliasing(self, name, bound, args, kwargs, positions, snapshots) -> None:
        backend = self.backend
        fresh = list(args)
        for i in positions:
            fresh[i] = snapshots[i].copy() if name in HOST_ARGUMENTS else backend.from_numpy(snapshots[i])
        result = bound(*fresh, **kwargs)
        outputs = [r for r in (result if isinstance(result, tuple) else (result,)) if _is_buffer(r)]
        if not outputs:
            return
        first = [np.array(backend.to_numpy(r), copy=True) for r in outputs]
        for i in positions:
            if snapshots[i].size == 0:
                continue
            if name in HOST_ARGUMENTS:
                fresh[i][...] = _changed(snapshots[i])
            else:
                backend.copy_(fresh[i], backend.from_numpy(_changed(snapshots[i])))
        for k, (r, value) in enumerate(zip(outputs, first)):
            if not _same(np.array(backend.to_numpy(r), copy=True), value):
                self.violations.append(f"{name}'s result {k} aliases an input (writing the input after "
                                       f"the call changed the result)")
                return
