"""Backend result checking (``UNIGRAD_CHECK_BACKEND=1``): every primitive's result is compared with
the shape (and, where the buffer exposes a NumPy-style ``dtype``, the dtype) the interface
promises, so a plugin returning a wrong shape fails loudly at the primitive instead of producing
silently wrong tensors later.

``CheckedBackend`` wraps a backend instance; the registry hands it out instead of the backend
while checking is on (the conformance suite always turns it on). Off, nothing on the hot path
changes: the frontend calls the backend's methods directly.
"""
from __future__ import annotations

import math

import numpy as np

from ..api import dtypes as _dt

_UINT32 = np.dtype(np.uint32)
_INT64 = _dt.int64
_BOOL = _dt.bool


class BackendResultError(RuntimeError):
    """A backend primitive returned a result of the wrong shape or dtype."""


def _shape(value):
    return tuple(value.shape) if hasattr(value, "shape") else ()


def _dtype_of(buf):
    """``buf``'s dtype as a NumPy dtype, or None when it has none NumPy understands."""
    raw = getattr(buf, "dtype", None)
    if raw is None:
        return None
    try:
        return np.dtype(raw)
    except TypeError:
        return None


def _like_a(args):
    a, b = args[0], args[1] if len(args) > 1 else None
    shape = _shape(a) if not hasattr(b, "shape") else np.broadcast_shapes(_shape(a), _shape(b))
    return shape, _dtype_of(a)


def _reduced(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _unary(args):
    return _shape(args[0]), _dtype_of(args[0])


def _compare(args):
    return _like_a(args)[0], _BOOL


def _where(args):
    condition, a, b = args[:3]
    shapes = [_shape(v) for v in (condition, a, b) if hasattr(v, "shape")]
    return np.broadcast_shapes(*shapes), _dtype_of(a)


def _arange(args):
    start, stop, step, dtype = args[:4]
    return (max(0, math.ceil((stop - start) / step)),), dtype


def _matmul(args):
    a, b = _shape(args[0]), _shape(args[1])  # batch dims broadcast on native_broadcasting backends
    return np.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1]), _dtype_of(args[0])


def _uniform(args):
    bits, dtype = args[:2]
    per = 2 if dtype is _dt.float64 else 1
    return (math.prod(_shape(bits)) // per,), dtype


def _max_pool(args):
    x, kernel, stride, dilation = args[:4]
    shape = _shape(x)
    lead, spatial = shape[:len(shape) - len(kernel)], shape[len(shape) - len(kernel):]
    out = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation))
    return lead + out, _dtype_of(x)


#: primitive -> ``expected(args) -> (shape, dtype or None)`` of its (first) result
EXPECTED = {
    "empty": lambda a: (tuple(a[0]), a[1]),
    "full": lambda a: (tuple(a[0]), a[2]),
    "arange": _arange,
    "from_numpy": lambda a: (np.shape(a[0]), np.asarray(a[0]).dtype),
    "to_numpy": _unary,
    "as_strided": lambda a: (tuple(a[1]), _dtype_of(a[0])),
    "cast": lambda a: (_shape(a[0]), a[1]),
    "eq": _compare,
    "lt": _compare,
    "where": _where,
    "sum": lambda a: (_reduced(_shape(a[0]), a[1], a[2]), a[3]),
    "prod": lambda a: (_reduced(_shape(a[0]), a[1], a[2]), a[3]),
    "max": lambda a: (_reduced(_shape(a[0]), a[1], a[2]), _dtype_of(a[0])),
    "min": lambda a: (_reduced(_shape(a[0]), a[1], a[2]), _dtype_of(a[0])),
    "argmax": lambda a: (_reduced(_shape(a[0]), (a[1],), a[2]), _INT64),
    "matmul": _matmul,
    "gather": lambda a: (_shape(a[2]), _dtype_of(a[0])),
    "random_bits": lambda a: ((a[2],), _UINT32),
    "uniform_from_bits": _uniform,
    "log_softmax": _unary,
    "softmax": _unary,
    "sigmoid": _unary,
    "max_pool": _max_pool,
    "fold": lambda a: (tuple(a[1]), _dtype_of(a[0])),
    "sort": _unary,
}
for _name in ("neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh", "erf", "floor",
              "round"):
    EXPECTED[_name] = _unary
for _name in ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "bitwise_and"):
    EXPECTED[_name] = _like_a


def _as_numpy_dtype(dtype):
    if dtype is None:
        return None
    return dtype.numpy if isinstance(dtype, _dt.dtype) else np.dtype(dtype)


class CheckedBackend:
    """``backend`` with every primitive's result checked; everything else is the backend's."""

    def __init__(self, backend, plugin: str) -> None:
        object.__setattr__(self, "_inner", backend)
        object.__setattr__(self, "_plugin", plugin)

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        expected = EXPECTED.get(name)
        if expected is None or value is None or not callable(value):
            return value
        return self._checking(name, value, expected)

    def __setattr__(self, name, value) -> None:  # e.g. the conformance suite switching a fast path off
        setattr(self._inner, name, value)

    def __delattr__(self, name) -> None:
        delattr(self._inner, name)

    def __repr__(self) -> str:
        return f"CheckedBackend({self._inner!r})"

    def _checking(self, name, primitive, expected):
        def checked(*args, **kwargs):
            result = primitive(*args, **kwargs)
            if result is NotImplemented or result is None:
                return result
            first = result[0] if name in ("sort", "max_pool") else result
            want_shape, want_dtype = expected(args)
            self._check(name, first, tuple(want_shape), _as_numpy_dtype(want_dtype), args)
            if name == "sort":
                self._check(name, result[1], tuple(want_shape), _INT64.numpy, args, "indices ")
            elif name == "max_pool":
                self._check(name, result[1], tuple(want_shape), _INT64.numpy, args, "positions ")
            return result
        checked.__name__ = name
        return checked

    def _check(self, name, result, shape, dtype, args, what="") -> None:
        got = _shape(result) if hasattr(result, "shape") else None
        if got != shape:
            raise BackendResultError(
                f"backend {self._inner.name!r} (plugin {self._plugin!r}): primitive {name!r} returned "
                f"{what}shape {None if got is None else list(got)} for operands of shape "
                f"{[list(_shape(a)) for a in args if hasattr(a, 'shape')]}, expected {list(shape)} "
                f"(checked because UNIGRAD_CHECK_BACKEND is on)")
        got_dtype = _dtype_of(result)
        if dtype is not None and got_dtype is not None and got_dtype != dtype:
            raise BackendResultError(
                f"backend {self._inner.name!r} (plugin {self._plugin!r}): primitive {name!r} returned "
                f"{what}dtype {got_dtype}, expected {dtype} (checked because UNIGRAD_CHECK_BACKEND is on)")
