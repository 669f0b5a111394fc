"""Primitive-level cases: every required primitive of the Backend interface, called directly on
device buffers and compared with the NumPy backend computing in float64 (or exactly).

A failure here names the broken primitive itself, before any composite built on it is blamed.
"""
from __future__ import annotations

import numpy as np

from ..api import dtypes as dt
from ..backends.numpy.backend import NumpyBackend

_REFERENCE = NumpyBackend()
FLOAT = ("float32", "float64")
#: with the 16-bit floats, for the primitives that take them (sum and prod never do: the frontend
#: accumulates 16-bit floats in float32)
FLOATS = FLOAT + ("float16", "bfloat16")


class Host:
    """A value computed on the host (not a device buffer) among a primitive case's outputs."""

    def __init__(self, value) -> None:
        self.value = np.asarray(value)


def _d(name):
    return dt.as_dtype(name)


def _rand(rng, shape, dtype, domain="real"):
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1 if domain == "positive" else -5, 6, shape).astype(dtype)
    if domain == "positive":
        return rng.uniform(0.1, 3.0, shape).astype(dtype)
    return rng.uniform(-2.0, 2.0, shape).astype(dtype)


def _unary(name, domain="real", kind="transcendental", dtypes=FLOATS):
    def run(backend, rng, dtype):
        x = _rand(rng, (3, 5), dtype, domain)
        return (getattr(backend, name)(backend.from_numpy(x)),), (x,), \
            lambda v: (getattr(_REFERENCE, name)(v),)
    return name, run, kind, dtypes


def _binary(name, domains=("real", "real"), kind="rounded", dtypes=FLOATS):
    def run(backend, rng, dtype):
        a = _rand(rng, (3, 4), dtype, domains[0])
        b = _rand(rng, (3, 4), dtype, domains[1])
        scalar = float(b.flat[0]) if dt.as_dtype(dtype).is_floating_point else int(b.flat[0])
        outs = (getattr(backend, name)(backend.from_numpy(a), backend.from_numpy(b)),
                getattr(backend, name)(backend.from_numpy(a), scalar))
        return outs, (a, b, scalar), lambda x, y, s: (getattr(_REFERENCE, name)(x, y),
                                                      getattr(_REFERENCE, name)(x, s))
    return name, run, kind, dtypes


def _reduce(name, kind="reduction", with_dtype=True, dtypes=FLOAT):
    def run(backend, rng, dtype):
        x = _rand(rng, (3, 4, 5), dtype)
        args = [((0, 2), False), ((1,), True), ((0, 1, 2), False)]
        if with_dtype:
            outs = tuple(getattr(backend, name)(backend.from_numpy(x), axes, keep, _d(dtype)) for axes, keep in args)
            return outs, (x,), lambda v: tuple(getattr(_REFERENCE, name)(v, axes, keep, _d(str(v.dtype)))
                                               for axes, keep in args)
        outs = tuple(getattr(backend, name)(backend.from_numpy(x), axes, keep) for axes, keep in args)
        return outs, (x,), lambda v: tuple(getattr(_REFERENCE, name)(v, axes, keep) for axes, keep in args)
    return name, run, kind, dtypes


def _creation(backend, rng, dtype):
    empty = backend.empty((2, 3), _d(dtype))
    empty_dtype = str(np.asarray(backend.to_numpy(empty)).dtype)
    outs = (Host(empty.shape), Host([empty_dtype]),
            backend.full((2, 3), 1.5 if dtype in FLOATS else 3, _d(dtype)), backend.arange(1, 9, 2, _d(dtype)))
    return outs, (), lambda: (np.array((2, 3)), np.array([dtype]),
                              np.full((2, 3), 1.5 if dtype in FLOATS else 3, dtype),
                              np.arange(1, 9, 2).astype(dtype))


def _transfer(backend, rng, dtype):
    x = _rand(rng, (4, 3), dtype)
    return (backend.from_numpy(x), backend.from_numpy(np.asfortranarray(x))), (x,), lambda v: (v, v)


def _views(backend, rng, dtype):
    x = _rand(rng, (4, 6), dtype)
    buf = backend.from_numpy(x)
    strides = backend.strides(buf)
    t = backend.as_strided(buf, (6, 4), (strides[1], strides[0]), 0)  # transpose
    flipped = backend.as_strided(buf, (4, 3), (strides[0], -2 * strides[1]), 5 * strides[1])
    broadcast = backend.as_strided(buf, (2, 6), (0, strides[1]), strides[0])
    nested = backend.as_strided(t, (3, 2), (2 * strides[1], -strides[0]), strides[0])
    return (Host(strides), t, flipped, broadcast, nested), (x,), lambda v: (
        np.array((6, 1)), v.T, v[:, 5::-2], np.broadcast_to(v[1], (2, 6)), v.T[::2, 1::-1])


def _copy(backend, rng, dtype):
    x = _rand(rng, (3, 4), dtype)
    dst = backend.full((5, 4), 0, _d(dtype))
    strides = backend.strides(dst)
    view = backend.as_strided(dst, (3, 4), (strides[0], strides[1]), strides[0])
    backend.copy_(view, backend.from_numpy(x))
    expected = np.zeros((5, 4), dtype)
    expected[1:4] = x
    return (dst,), (expected,), lambda e: (e,)


def _cast(backend, rng, dtype):
    x = (_rand(rng, (3, 4), dtype) * (3 if dtype in FLOATS else 1)).astype(dtype)
    targets = ["float64", "float32", "int64", "int32", "bool", "uint8"]
    outs = tuple(backend.cast(backend.from_numpy(x), _d(t)) for t in targets if t != "uint8" or dtype not in FLOATS)
    return outs, (x,), lambda v: tuple(_REFERENCE.cast(v, _d(t)) for t in targets if t != "uint8" or dtype not in FLOATS)


def _where(backend, rng, dtype):
    c = rng.integers(0, 2, (3, 4)).astype(bool)
    a, b = _rand(rng, (3, 4), dtype), _rand(rng, (3, 4), dtype)
    outs = (backend.where(backend.from_numpy(c), backend.from_numpy(a), backend.from_numpy(b)),)
    return outs, (c, a, b), lambda cc, aa, bb: (np.where(cc, aa, bb),)


def _argmax(backend, rng, dtype):
    x = np.round(_rand(rng, (4, 5), dtype))  # ties: the first index wins
    outs = (backend.argmax(backend.from_numpy(x), 1, False), backend.argmax(backend.from_numpy(x), 0, True))
    return outs, (x,), lambda v: (np.argmax(v, 1), np.argmax(v, 0)[None])


def _matmul(backend, rng, dtype):
    a, b = _rand(rng, (2, 3, 6), dtype), _rand(rng, (2, 6, 4), dtype)
    return (backend.matmul(backend.from_numpy(a), backend.from_numpy(b)),), (a, b), \
        lambda x, y: (np.matmul(x, y),)


def _gather_scatter(backend, rng, dtype):
    x = _rand(rng, (3, 5), dtype)
    index = rng.integers(0, 5, (3, 4)).astype(np.int64)
    src = _rand(rng, (3, 4), dtype)
    gathered = backend.gather(backend.from_numpy(x), 1, backend.from_numpy(index))
    added = backend.from_numpy(np.zeros((3, 5), dtype))
    backend.scatter_add(added, 1, backend.from_numpy(index), backend.from_numpy(src))
    unique = np.stack([rng.permutation(5)[:4] for _ in range(3)]).astype(np.int64)
    written = backend.from_numpy(x)
    backend.scatter(written, 1, backend.from_numpy(unique), backend.from_numpy(src))
    expected_written = x.copy()
    np.put_along_axis(expected_written, unique, src, 1)
    expected_added = np.zeros((3, 5), np.float64)
    np.add.at(expected_added, (np.arange(3)[:, None], index), src.astype(np.float64))
    return (gathered, added, written), (x, index, expected_added, expected_written), \
        lambda v, i, ea, ew: (np.take_along_axis(v, i, 1), ea, ew)


def _nonzero(backend, rng, dtype):
    x = rng.integers(0, 2, (3, 4)).astype(dtype)
    return (backend.nonzero(backend.from_numpy(x)),), (x,), lambda v: (np.argwhere(v),)


def _random(backend, rng, dtype):
    bits = backend.random_bits(2 ** 40 + 7, 8, 50)
    uniform = backend.uniform_from_bits(bits, _d(dtype))
    return (bits, uniform), (), lambda: (
        _REFERENCE.random_bits(2 ** 40 + 7, 8, 50),
        _REFERENCE.uniform_from_bits(_REFERENCE.random_bits(2 ** 40 + 7, 8, 50), _d(dtype)))


def _sort_reference(x, axis, descending):
    """Stable order by explicit keys: (NaN-ness, value, position), NaN last ascending and first
    descending."""
    moved = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    nan = np.isnan(moved)
    value = np.where(nan, 0.0, moved)
    position = np.broadcast_to(np.arange(moved.shape[-1]), moved.shape)
    keys = (position, -value, ~nan) if descending else (position, value, nan)
    flat = [k.reshape(-1, moved.shape[-1]) for k in keys]
    order = np.stack([np.lexsort([k[row] for k in flat]) for row in range(flat[0].shape[0])])
    order = order.reshape(moved.shape)
    values = np.take_along_axis(np.moveaxis(np.asarray(x), axis, -1), order, -1)
    return np.moveaxis(values, -1, axis), np.moveaxis(order, -1, axis).astype(np.int64)


def _sort(backend, rng, dtype):
    """The optional ``sort`` primitive, or for a backend without it the frontend's composite."""
    x = rng.integers(-3, 4, (3, 4, 9)).astype(np.float64)
    if dtype in FLOATS:
        x[x == 3] = np.nan
        x[x == 2] = -0.0
        x[0, 0, :3] = (np.inf, -np.inf, 0.0)
    x = x.astype(dtype) if dtype != "uint8" else (x + 3).astype(dtype)
    if backend.sort is not None:
        primitive = backend.sort
    else:
        from ..api.creation import placement
        from ..api.ops.sorting import sorted_buffers
        from ..api.tensor import Tensor
        device = placement(f"{backend.name}:{backend.index}" if backend.indexed else backend.name)[0]

        def primitive(buf, axis, descending):
            return sorted_buffers(Tensor._make(buf, _d(dtype), device, backend), axis, descending)
    buf = backend.from_numpy(x)
    strides = backend.strides(buf)
    transposed = backend.as_strided(buf, (9, 4, 3), tuple(reversed(strides)), 0)
    calls = [(buf, 2, False), (buf, 2, True), (buf, 0, True), (transposed, 1, False)]
    outs = tuple(out for view, axis, descending in calls for out in primitive(view, axis, descending))
    return outs, (x,), lambda v: tuple(
        out for view, axis, descending in ((v, 2, False), (v, 2, True), (v, 0, True), (v.transpose(2, 1, 0), 1, False))
        for out in _sort_reference(view, axis, descending))


PRIMITIVE_CASES = [
    ("creation:empty,full,arange", _creation, "exact", FLOATS + ("int64",)),
    ("transfer:from_numpy,to_numpy", _transfer, "exact", FLOATS + ("int32",)),
    ("views:strides,as_strided", _views, "exact", FLOATS),
    ("copy_", _copy, "exact", FLOATS + ("int64",)),
    ("cast", _cast, "exact", FLOATS + ("int32", "int64")),
    _unary("neg", kind="exact", dtypes=FLOATS + ("int64",)),
    _unary("abs", kind="exact", dtypes=FLOATS + ("int64",)),
    _unary("exp"), _unary("log", "positive"), _unary("log1p", "positive"), _unary("expm1"),
    _unary("sqrt", "positive", kind="rounded"), _unary("sin"), _unary("cos"), _unary("tanh"),
    _unary("erf"), _unary("floor", kind="exact"), _unary("round", kind="exact"),
    _binary("add", dtypes=FLOATS + ("int64",)), _binary("sub", dtypes=FLOATS + ("int64",)),
    _binary("mul", dtypes=FLOATS + ("int64",)), _binary("div", ("real", "positive")),
    _binary("pow", ("positive", "real"), kind="transcendental"),
    _binary("maximum", kind="exact"), _binary("minimum", kind="exact"),
    _binary("remainder", ("real", "positive")), _binary("eq", kind="exact", dtypes=("int64",)),
    _binary("lt", kind="exact", dtypes=FLOATS + ("int64",)),
    _binary("bitwise_and", kind="exact", dtypes=("int64", "uint8")),
    ("where", _where, "exact", FLOATS),
    _reduce("sum", dtypes=FLOAT + ("int64",)), _reduce("prod"),
    _reduce("max", kind="exact", with_dtype=False, dtypes=FLOATS + ("int64",)),
    _reduce("min", kind="exact", with_dtype=False, dtypes=FLOATS + ("int64",)),
    ("argmax", _argmax, "exact", FLOATS),
    ("matmul", _matmul, "reduction", FLOATS),
    ("gather,scatter,scatter_add", _gather_scatter, "rounded", FLOATS),
    ("nonzero", _nonzero, "exact", ("int64", "bool")),
    ("random_bits,uniform_from_bits", _random, "exact", FLOATS),
    ("sort", _sort, "exact", FLOATS + ("int64", "int32", "uint8")),
]

from .cases_optional_primitives import PRIMITIVE_CASES as _optional; PRIMITIVE_CASES += _optional  # noqa: E402,E702
