"""Primitive-level cases: every required primitive of the Backend interface, called directly on
device buffers and compared with the NumPy backend computing in float64 (or exactly).

A failure here names the broken primitive itself, before any composite built on it is blamed.
"""
from __future__ import annotations

import itertools

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
        scalar = float(b.flat[0]) if dt.as_dtype(dtype).is_floating_point else \
            bool(b.flat[0]) if dtype == "bool" else int(b.flat[0])
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


def _empty(backend, rng, dtype):
    """Contents are undefined: only the shape and dtype are checked."""
    buffers = (backend.empty((2, 3), _d(dtype)), backend.empty((0, 4), _d(dtype)), backend.empty((), _d(dtype)))
    return tuple(Host(list(b.shape) + [str(np.asarray(backend.to_numpy(b)).dtype)]) for b in buffers), (), \
        lambda: tuple(np.array(list(shape) + [dtype]) for shape in ((2, 3), (0, 4), ()))


def _full(backend, rng, dtype):
    value = 1.5 if dtype in FLOATS else 3
    special = float("-inf") if dtype in FLOATS else -2
    return (backend.full((2, 3), value, _d(dtype)), backend.full((4,), special, _d(dtype))), (), \
        lambda: (np.full((2, 3), value, dtype), np.full((4,), special, dtype))


def _arange(backend, rng, dtype):
    return (backend.arange(1, 9, 2, _d(dtype)), backend.arange(5, -3, -1, _d(dtype))), (), \
        lambda: (np.arange(1, 9, 2).astype(dtype), np.arange(5, -3, -1).astype(dtype))


def _from_numpy(backend, rng, dtype):
    """C-ordered, Fortran-ordered and strided host arrays; the result must not alias them."""
    x = _rand(rng, (4, 3), dtype)
    return (backend.from_numpy(x), backend.from_numpy(np.asfortranarray(x)), backend.from_numpy(x[::-2, 1:])), \
        (x,), lambda v: (v, v, v[::-2, 1:])


def _to_numpy(backend, rng, dtype):
    """Buffers made without ``from_numpy``, read back (values, shape, dtype)."""
    value = 2.5 if dtype in FLOATS else 7
    outs = (backend.arange(0, 12, 1, _d(dtype)), backend.full((3, 2), value, _d(dtype)))
    return tuple(Host(np.array(backend.to_numpy(b), copy=True)) for b in outs), (), \
        lambda: (np.arange(12).astype(dtype), np.full((3, 2), value, dtype))


def _strides(backend, rng, dtype):
    """Element strides of new C-contiguous buffers (views are checked by ``as_strided``)."""
    made = (backend.from_numpy(_rand(rng, (4, 6), dtype)), backend.full((2, 3, 5), 1, _d(dtype)),
            backend.empty((7,), _d(dtype)))
    return tuple(Host(backend.strides(b)) for b in made), (), lambda: (np.array((6, 1)), np.array((15, 5, 1)),
                                                                       np.array((1,)))


def _as_strided(backend, rng, dtype):
    """Transposed, flipped, broadcast and nested views, and a view made before its base is
    rewritten (by a whole-buffer ``copy_``), which must show the new values."""
    x = _rand(rng, (4, 6), dtype)
    buf = backend.from_numpy(x)
    strides = backend.strides(buf)
    t = backend.as_strided(buf, (6, 4), (strides[1], strides[0]), 0)  # transpose
    flipped = backend.as_strided(buf, (4, 3), (strides[0], -2 * strides[1]), 5 * strides[1])
    broadcast = backend.as_strided(buf, (2, 6), (0, strides[1]), strides[0])
    nested = backend.as_strided(t, (3, 2), (2 * strides[1], -strides[0]), strides[0])
    views = tuple(Host(np.array(backend.to_numpy(v), copy=True)) for v in (t, flipped, broadcast, nested))
    rewritten = _rand(rng, (4, 6), dtype)
    base = backend.from_numpy(x)
    window = backend.as_strided(base, (2, 3), (strides[0], 2 * strides[1]), strides[0] + 1)
    backend.copy_(base, backend.from_numpy(rewritten))
    return views + (window,), (x, rewritten), lambda v, w: (
        v.T, v[:, 5::-2], np.broadcast_to(v[1], (2, 6)), v.T[::2, 1::-1], w[1:3, 1::2])


def _copy(backend, rng, dtype):
    """Into whole buffers (a strided destination needs ``as_strided``, whose case writes through
    a view; keeping this case free of views keeps the two primitives' evidence apart)."""
    x = _rand(rng, (3, 4), dtype)
    whole = backend.full((3, 4), 0, _d(dtype))
    backend.copy_(whole, backend.from_numpy(x))
    again = backend.from_numpy(_rand(rng, (3, 4), dtype))
    backend.copy_(again, whole)
    return (whole, again), (x,), lambda v: (v, v)


def _cast(backend, rng, dtype):
    x = (_rand(rng, (3, 4), dtype) * (3 if dtype in FLOATS else 1)).astype(dtype)
    targets = [t for t in ["float64", "float32", "int64", "int32", "bool", "uint8"] if t != "uint8" or dtype not in FLOATS]
    outs = tuple(backend.cast(backend.from_numpy(x), _d(t)) for t in targets)
    return outs, (x,), lambda v: tuple(_REFERENCE.cast(v, _d(t)) for t in targets)


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
        lambda x, y: (_REFERENCE.matmul(x, y),)


def _gather(backend, rng, dtype):
    x = _rand(rng, (3, 5), dtype)
    index = rng.integers(0, 5, (3, 4)).astype(np.int64)
    rows = rng.integers(0, 3, (2, 5)).astype(np.int64)
    outs = (backend.gather(backend.from_numpy(x), 1, backend.from_numpy(index)),
            backend.gather(backend.from_numpy(x), 0, backend.from_numpy(rows)))
    return outs, (x, index, rows), lambda v, i, r: (np.take_along_axis(v, i, 1), np.take_along_axis(v, r, 0))


def _scatter(backend, rng, dtype):
    x = _rand(rng, (3, 5), dtype)
    src = _rand(rng, (3, 4), dtype)
    unique = np.stack([rng.permutation(5)[:4] for _ in range(3)]).astype(np.int64)
    written = backend.from_numpy(x)
    backend.scatter(written, 1, backend.from_numpy(unique), backend.from_numpy(src))

    def reference(v, i, s):
        expected = v.copy()
        np.put_along_axis(expected, i, s, 1)
        return (expected,)
    return (written,), (x, unique, src), reference


def _scatter_add(backend, rng, dtype):
    index = rng.integers(0, 5, (3, 4)).astype(np.int64)
    src = _rand(rng, (3, 4), dtype)
    start = _rand(rng, (3, 5), dtype)
    added = backend.from_numpy(start)
    backend.scatter_add(added, 1, backend.from_numpy(index), backend.from_numpy(src))

    def reference(v, i, s):
        expected = v.copy()
        np.add.at(expected, (np.arange(3)[:, None], i), s)
        return (expected,)
    return (added,), (start, index, src), reference


def _nonzero(backend, rng, dtype):
    x = rng.integers(0, 2, (3, 4)).astype(dtype)
    return (backend.nonzero(backend.from_numpy(x)),), (x,), lambda v: (np.argwhere(v),)


_SEED = 2 ** 40 + 7


def _random_bits(backend, rng, dtype):
    return (backend.random_bits(_SEED, 8, 50), backend.random_bits(_SEED, 0, 3)), (), \
        lambda: (_REFERENCE.random_bits(_SEED, 8, 50), _REFERENCE.random_bits(_SEED, 0, 3))


def _uniform_from_bits(backend, rng, dtype):
    bits = backend.random_bits(_SEED, 8, 50)
    return (backend.uniform_from_bits(bits, _d(dtype)),), (), lambda: (
        _REFERENCE.uniform_from_bits(_REFERENCE.random_bits(_SEED, 8, 50), _d(dtype)),)


# ----- optional fast paths, called directly (only on a backend that has them) ---------------------
def _softmax_reference(x, axis, log):
    shifted = x - x.max(axis, keepdims=True)
    total = np.exp(shifted).sum(axis, keepdims=True)
    return (shifted - np.log(total) if log else np.exp(shifted) / total).astype(x.dtype)


def _softmax_family(name, log):
    def run(backend, rng, dtype):
        x = _rand(rng, (3, 7), dtype) * 4
        x[0, 0] = 30.0  # a large logit: stable only when the maximum is subtracted
        x = x.astype(dtype)
        buf = backend.from_numpy(x)
        strides = backend.strides(buf)
        transposed = backend.as_strided(buf, (7, 3), tuple(reversed(strides)), 0)
        fast = getattr(backend, name)
        return (fast(buf, 1), fast(buf, 0), fast(transposed, 1)), (x,), lambda v: (
            _softmax_reference(v, 1, log), _softmax_reference(v, 0, log), _softmax_reference(v.T, 1, log))
    return name, run, "transcendental", FLOATS


def _sigmoid(backend, rng, dtype):
    x = _rand(rng, (4, 5), dtype) * 3
    x[0, :4] = (-100.0, 100.0, -30.0, 0.0)  # exp(-x) overflows below about -88 in float32
    x = x.astype(dtype)
    return (backend.sigmoid(backend.from_numpy(x)),), (x,), lambda v: ((1.0 / (1.0 + np.exp(-v))).astype(v.dtype),)


def max_pool_reference(x, kernel, stride, dilation):
    """Window maxima and the flat position of each window's first maximum (NaN is the maximum)."""
    k = len(kernel)
    lead, spatial = x.shape[:x.ndim - k], x.shape[x.ndim - k:]
    outs = tuple((n - d * (ks - 1) - 1) // s + 1 for n, ks, s, d in zip(spatial, kernel, stride, dilation))
    values = np.empty(lead + outs, x.dtype)
    positions = np.empty(lead + outs, np.int64)
    for out in itertools.product(*(range(o) for o in outs)):
        best = best_at = None
        for offset in itertools.product(*(range(ks) for ks in kernel)):
            at = tuple(o * s + f * d for o, s, f, d in zip(out, stride, offset, dilation))
            v = x[(...,) + at]
            flat = np.ravel_multi_index(at, spatial)
            if best is None:
                best, best_at = v.copy(), np.full(v.shape, flat)
            else:
                take = ~np.isnan(best) & (np.isnan(v) | (v > best))
                best, best_at = np.where(take, v, best), np.where(take, flat, best_at)
        values[(...,) + out], positions[(...,) + out] = best, best_at
    return values, positions


def fold_reference(patches, shape, kernel, stride, dilation):
    """col2im: each position of ``shape`` sums the patch elements read from it."""
    k = len(kernel)
    out = np.zeros(shape, patches.dtype)
    outs = patches.shape[len(shape) - k:len(shape)]
    for o in itertools.product(*(range(n) for n in outs)):
        for offset in itertools.product(*(range(ks) for ks in kernel)):
            at = tuple(a * s + f * d for a, s, f, d in zip(o, stride, offset, dilation))
            out[(...,) + at] += patches[(...,) + o + offset]
    return out


_DECLINED = "declined (NotImplemented)"


def _max_pool(backend, rng, dtype):
    """Ties (small integers) and a NaN; 2-d windows with stride and dilation, and 1-d ones. A
    call the backend declines (``NotImplemented``) is expected to be declined again."""
    x = rng.integers(-3, 4, (2, 3, 7, 6)).astype(np.float64)
    x[1, 2, 3, 3] = np.nan
    x = x.astype(dtype)
    calls = [((3, 2), (2, 1), (1, 2)), ((2,), (2,), (1,))]
    outs, declined = [], []
    for kernel, stride, dilation in calls:
        got = backend.max_pool(backend.from_numpy(x), kernel, stride, dilation)
        declined.append(got is NotImplemented)
        outs += [Host(_DECLINED)] * 2 if got is NotImplemented else list(got)

    def reference(v):
        out = []
        for (kernel, stride, dilation), refused in zip(calls, declined):
            out += [np.array(_DECLINED)] * 2 if refused else list(max_pool_reference(v, kernel, stride, dilation))
        return tuple(out)
    return tuple(outs), (x,), reference


def _scatter_reduce(backend, rng, dtype):
    """Each reduction, with duplicate indices, untouched targets and a NaN source (which amax and
    amin propagate). A call the backend declines is expected to be declined again."""
    x = _rand(rng, (3, 5), dtype)
    index = rng.integers(0, 5, (3, 4)).astype(np.int64)
    src = _rand(rng, (3, 4), dtype)
    src[1, 2] = np.nan
    outs, declined = [], []
    for reduce in _SCATTER_REDUCTIONS:
        target = backend.from_numpy(x)
        got = backend.scatter_reduce(target, 1, backend.from_numpy(index), backend.from_numpy(src), reduce)
        declined.append(got is NotImplemented)
        outs.append(Host(_DECLINED) if got is NotImplemented else target)

    def reference(v, i, s):
        out = []
        for reduce, refused in zip(_SCATTER_REDUCTIONS, declined):
            expected = v.copy()
            _SCATTER_REDUCTIONS[reduce].at(expected, (np.arange(3)[:, None], i), s)
            out.append(np.array(_DECLINED) if refused else expected)
        return tuple(out)
    return tuple(outs), (x, index, src), reference


_SCATTER_REDUCTIONS = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _fold(backend, rng, dtype):
    """Patches ``(N, C, oh, ow, kh, kw)`` read from a permuted (non-contiguous) buffer."""
    shape, kernel, stride, dilation = (2, 3, 6, 5), (2, 3), (2, 1), (1, 1)
    outs_hw = ((6 - 2) // 2 + 1, (5 - 3) + 1)
    patches = _rand(rng, (2, 3) + outs_hw + kernel, dtype)
    stored = np.ascontiguousarray(np.moveaxis(patches, 1, -1))  # (N, oh, ow, kh, kw, C)
    buf = backend.from_numpy(stored)
    s = backend.strides(buf)
    view = backend.as_strided(buf, patches.shape, (s[0], s[5], s[1], s[2], s[3], s[4]), 0)
    got = backend.fold(view, shape, kernel, stride, dilation)
    if got is NotImplemented:
        return (Host(_DECLINED),), (), lambda: (np.array(_DECLINED),)
    return (got,), (patches,), lambda p: (fold_reference(p, shape, kernel, stride, dilation),)


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
    ("empty", _empty, "exact", FLOATS + ("int64", "bool")),
    ("full", _full, "exact", FLOATS + ("int64",)),
    ("arange", _arange, "exact", FLOATS + ("int64",)),
    ("from_numpy", _from_numpy, "exact", FLOATS + ("int32",)),
    ("to_numpy", _to_numpy, "exact", FLOATS + ("int32",)),
    ("strides", _strides, "exact", ("float32", "float64")),
    ("as_strided", _as_strided, "exact", FLOATS),
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
    _binary("remainder", ("real", "positive")), _binary("eq", kind="exact", dtypes=FLOATS + ("int64",)),
    _binary("lt", kind="exact", dtypes=FLOATS + ("int64",)),
    _binary("bitwise_and", kind="exact", dtypes=("int64", "uint8", "bool")),
    ("where", _where, "exact", FLOATS),
    _reduce("sum", dtypes=FLOAT + ("int64",)), _reduce("prod"),
    _reduce("max", kind="exact", with_dtype=False, dtypes=FLOATS + ("int64",)),
    _reduce("min", kind="exact", with_dtype=False, dtypes=FLOATS + ("int64",)),
    ("argmax", _argmax, "exact", FLOATS),
    ("matmul", _matmul, "reduction", FLOATS),
    ("gather", _gather, "exact", FLOATS),
    ("scatter", _scatter, "exact", FLOATS),
    ("scatter_add", _scatter_add, "rounded", FLOATS),
    ("nonzero", _nonzero, "exact", ("int64", "bool")),
    ("random_bits", _random_bits, "exact", ("int64",)),
    ("uniform_from_bits", _uniform_from_bits, "exact", FLOATS),
    ("sort", _sort, "exact", FLOATS + ("int64", "int32", "uint8")),
    # optional fast paths: run only on a backend that provides them
    _softmax_family("log_softmax", True), _softmax_family("softmax", False),
    ("sigmoid", _sigmoid, "transcendental", FLOATS),
    ("max_pool", _max_pool, "exact", FLOATS),
    ("fold", _fold, "reduction", ("float32", "float64")),
    ("scatter_reduce", _scatter_reduce, "rounded", FLOATS),
]

from .cases_optional_primitives import PRIMITIVE_CASES as _optional; PRIMITIVE_CASES += _optional  # noqa: E402,E702
