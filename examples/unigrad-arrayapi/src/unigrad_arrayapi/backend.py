"""unigrad's primitives over a Python Array API namespace.

Buffers are ``StridedArray`` descriptors: a shared ``Storage`` cell holding a flat array, plus
shape, element strides and offset. Index arithmetic (which storage positions a view covers) is
metadata and is computed with NumPy on the host; every value stays in the array namespace.
"""
from __future__ import annotations

import importlib
import math
import os
import warnings

import numpy as np

from unigrad.api import dtypes as dt
from unigrad.backends import Backend


# like unigrad's own backends, produce nan/inf silently
warnings.filterwarnings("ignore", category=RuntimeWarning, module="array_api_strict")


def _namespace():
    return importlib.import_module(os.environ.get("UNIGRAD_ARRAYAPI_NAMESPACE", "array_api_strict"))


class Storage:
    """A flat array that views share; writes replace ``data`` for all of them."""

    __slots__ = ("data",)

    def __init__(self, data) -> None:
        self.data = data


class StridedArray:
    """A (possibly strided) view of a Storage."""

    __slots__ = ("storage", "shape", "strides", "offset")

    def __init__(self, storage: Storage, shape, strides, offset: int) -> None:
        self.storage, self.shape = storage, tuple(shape)
        self.strides, self.offset = tuple(strides), offset

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def positions(self) -> np.ndarray:
        """Storage index of every element, in C order (host metadata)."""
        index = np.full(self.shape, self.offset, dtype=np.int64)
        for axis, (size, stride) in enumerate(zip(self.shape, self.strides)):
            shape = [1] * len(self.shape)
            shape[axis] = size
            index = index + (np.arange(size, dtype=np.int64) * stride).reshape(shape)
        return index.reshape(-1)

    def is_contiguous_whole(self) -> bool:
        expected = _contiguous_strides(self.shape)
        n = math.prod(self.shape)
        return self.offset == 0 and self.strides == expected and self.storage.data.shape[0] == n


def _identity(reduce: str, dtype, xp):
    """The value that leaves a ``scatter_reduce`` fold unchanged."""
    if reduce == "prod":
        return 1
    if xp.isdtype(dtype, "real floating"):
        return -math.inf if reduce == "amax" else math.inf
    if dtype == xp.bool:
        return reduce == "amin"
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64")


class ArrayApiBackend(Backend):
    """Device ``"arrayapi"``: every primitive as Array API calls (float16 is not in the standard)."""

    name = "arrayapi"
    indexed = False
    supported_dtypes = frozenset(dt.as_dtype(name) for name in _DTYPES)

    @classmethod
    def probe(cls):
        try:
            _namespace()
        except ImportError as error:
            return False, f"array namespace not importable: {error}"
        return True, ""

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        self.xp = _namespace()

    def describe(self) -> str:
        return f"{self.xp.__name__} (Array API {getattr(self.xp, '__array_api_version__', '?')})"

    # ----- helpers ----------------------------------------------------------------------------
    def _dtype(self, dtype):
        return getattr(self.xp, dtype.name)

    def _wrap(self, array) -> StridedArray:
        shape = tuple(array.shape)
        flat = self.xp.reshape(array, (math.prod(shape),))
        return StridedArray(Storage(flat), shape, _contiguous_strides(shape), 0)

    def _values(self, x: StridedArray):
        """x's elements as a dense array of x's shape."""
        if x.is_contiguous_whole():
            return self.xp.reshape(x.storage.data, x.shape)
        taken = self.xp.take(x.storage.data, self.xp.asarray(x.positions()), axis=0)
        return self.xp.reshape(taken, x.shape)

    def _operand(self, value, like):
        if isinstance(value, StridedArray):
            return self._values(value)
        return value  # a Python scalar: the standard's binary operators accept it

    def _unary(self, fn, x, out=None):
        return self._result(fn(self._values(x)), out)

    def _result(self, array, out=None):
        if out is None:
            return self._wrap(array)
        self._write(out, array)
        return out

    def _write(self, dst: StridedArray, values) -> None:
        positions = dst.positions()
        self._write_positions(dst.storage, positions, self.xp.reshape(values, (positions.shape[0],)))

    def _write_positions(self, storage: Storage, positions, values) -> None:
        """storage[positions] = values (flat), as one ``take`` from storage ++ values."""
        xp = self.xp
        size = storage.data.shape[0]
        order = np.arange(size, dtype=np.int64)
        order[positions] = size + np.arange(positions.shape[0], dtype=np.int64)  # last write wins
        combined = xp.concat([storage.data, xp.astype(values, storage.data.dtype)])
        storage.data = xp.take(combined, xp.asarray(order), axis=0)

    # ----- creation and transfer ----------------------------------------------------------------
    def empty(self, shape, dtype):
        return self._wrap(self.xp.zeros(tuple(shape), dtype=self._dtype(dtype)))

    def full(self, shape, value, dtype):
        return self._wrap(self.xp.full(tuple(shape), value, dtype=self._dtype(dtype)))

    def arange(self, start, stop, step, dtype):
        work = np.float64 if dtype.is_floating_point else np.int64
        return self.from_numpy(np.arange(start, stop, step, dtype=work).astype(dtype.numpy))

    def from_numpy(self, array):
        return self._wrap(self.xp.asarray(np.array(array, order="C", copy=True)))

    def to_numpy(self, x):
        values = self._values(x)
        return np.asarray(np.from_dlpack(self.xp.asarray(values, copy=True))).reshape(x.shape)

    # ----- views, copies, casts ---------------------------------------------------------------
    def strides(self, x):
        return x.strides

    def data_ptr(self, x):
        # no addresses in the Array API: the storage cell's identity plus the byte offset
        itemsize = np.dtype(str(x.storage.data.dtype).rsplit(".", 1)[-1]).itemsize
        return id(x.storage) + x.offset * itemsize

    def as_strided(self, x, shape, strides, offset):
        return StridedArray(x.storage, shape, strides, x.offset + offset)

    def storage_position(self, x):
        itemsize = np.dtype(str(x.storage.data.dtype).rsplit(".", 1)[-1]).itemsize
        return id(x.storage), x.offset * itemsize

    def copy_(self, dst, src):
        self._write(dst, self._values(src))

    def cast(self, x, dtype):
        values = self._values(x)
        if dtype.name == "bool":
            return self._wrap(values != 0) if values.dtype != self.xp.bool else self._wrap(values)
        return self._wrap(self.xp.astype(values, self._dtype(dtype)))

    # ----- element-wise -------------------------------------------------------------------------
    def neg(self, x, out=None):
        return self._unary(self.xp.negative, x, out)

    def abs(self, x, out=None):
        return self._unary(self.xp.abs, x, out)

    def exp(self, x, out=None):
        return self._unary(self.xp.exp, x, out)

    def log(self, x, out=None):
        return self._unary(self.xp.log, x, out)

    def log1p(self, x, out=None):
        return self._unary(self.xp.log1p, x, out)

    def expm1(self, x, out=None):
        return self._unary(self.xp.expm1, x, out)

    def sqrt(self, x, out=None):
        return self._unary(self.xp.sqrt, x, out)

    def sin(self, x, out=None):
        return self._unary(self.xp.sin, x, out)

    def cos(self, x, out=None):
        return self._unary(self.xp.cos, x, out)

    def tanh(self, x, out=None):
        return self._unary(self.xp.tanh, x, out)

    def floor(self, x, out=None):
        return self._unary(self.xp.floor, x, out)

    def round(self, x, out=None):
        return self._unary(self.xp.round, x, out)

    def erf(self, x, out=None):
        return self._unary(self._erf, x, out)

    def _erf(self, values):
        """The standard has no erf: series below |x| = 2, continued fraction above (float64)."""
        xp = self.xp
        work = xp.astype(values, xp.float64)
        magnitude = xp.abs(work)
        near = xp.where(magnitude < 2.0, work, xp.zeros_like(work))
        square = near * near
        term, total = near, near
        for n in range(1, 30):
            term = term * (-square) / n
            total = total + term / (2 * n + 1)
        series = total * (2.0 / math.sqrt(math.pi))
        far = xp.where(magnitude >= 2.0, magnitude, xp.full(magnitude.shape, 2.0, dtype=xp.float64))
        fraction = far
        for k in range(40, 0, -1):
            fraction = far + (k / 2.0) / fraction
        erfc = xp.exp(-far * far) / (math.sqrt(math.pi) * fraction)
        tail = (1.0 - erfc) * xp.sign(work)
        return xp.astype(xp.where(magnitude < 2.0, series, tail), values.dtype)

    # optional primitives the standard covers; erfc, erfinv, lgamma and digamma (which it lacks)
    # stay None, so the frontend computes them with its composites
    def asin(self, x, out=None):
        return self._unary(self.xp.asin, x, out)

    def acos(self, x, out=None):
        return self._unary(self.xp.acos, x, out)

    def atan(self, x, out=None):
        return self._unary(self.xp.atan, x, out)

    def sinh(self, x, out=None):
        return self._unary(self.xp.sinh, x, out)

    def cosh(self, x, out=None):
        return self._unary(self.xp.cosh, x, out)

    def asinh(self, x, out=None):
        return self._unary(self.xp.asinh, x, out)

    def acosh(self, x, out=None):
        return self._unary(self.xp.acosh, x, out)

    def atanh(self, x, out=None):
        return self._unary(self.xp.atanh, x, out)

    def atan2(self, a, b, out=None):
        return self._binary(lambda x, y: self.xp.atan2(x, self._as_array(y, x)), a, b, out)

    def _binary(self, fn, a, b, out=None):
        return self._result(fn(self._values(a), self._operand(b, a)), out)

    def add(self, a, b, out=None):
        if self._values(a).dtype == self.xp.bool:
            return self._binary(lambda x, y: x | y, a, b, out)
        return self._binary(lambda x, y: x + y, a, b, out)

    def sub(self, a, b, out=None):
        return self._binary(lambda x, y: x - y, a, b, out)

    def mul(self, a, b, out=None):
        if self._values(a).dtype == self.xp.bool:
            return self._binary(lambda x, y: x & y, a, b, out)
        return self._binary(lambda x, y: x * y, a, b, out)

    def div(self, a, b, out=None):
        return self._binary(lambda x, y: x / y, a, b, out)

    def pow(self, a, b, out=None):
        return self._binary(lambda x, y: x ** y, a, b, out)

    def _as_array(self, value, like):
        return value if not isinstance(value, (int, float, bool)) else self.xp.full(like.shape, value, dtype=like.dtype)

    def maximum(self, a, b, out=None):
        return self._binary(lambda x, y: self.xp.maximum(x, self._as_array(y, x)), a, b, out)

    def minimum(self, a, b, out=None):
        return self._binary(lambda x, y: self.xp.minimum(x, self._as_array(y, x)), a, b, out)

    def remainder(self, a, b, out=None):
        return self._binary(lambda x, y: self.xp.remainder(x, self._as_array(y, x)), a, b, out)

    def eq(self, a, b):
        return self._binary(lambda x, y: x == y, a, b)

    def lt(self, a, b):
        return self._binary(lambda x, y: x < y, a, b)

    def bitwise_and(self, a, b):
        return self._binary(lambda x, y: x & y, a, b)

    def where(self, condition, a, b):
        xp = self.xp
        values = self._values(a)
        other = self._operand(b, a)
        return self._wrap(xp.where(self._values(condition), values, self._as_array(other, values)))

    # ----- reductions ---------------------------------------------------------------------------
    def sum(self, x, axes, keepdims, dtype):
        values = self.xp.astype(self._values(x), self._dtype(dtype))
        return self._wrap(self.xp.sum(values, axis=tuple(axes), keepdims=keepdims, dtype=self._dtype(dtype)))

    def prod(self, x, axes, keepdims, dtype):
        values = self.xp.astype(self._values(x), self._dtype(dtype))
        return self._wrap(self.xp.prod(values, axis=tuple(axes), keepdims=keepdims, dtype=self._dtype(dtype)))

    def _numeric(self, x):
        """``x``'s values; bool as uint8, since the standard's max/min/argmax take numbers only."""
        values = self._values(x)
        return self.xp.astype(values, self.xp.uint8) if values.dtype == self.xp.bool else values

    def _extreme(self, reduce, x, axes, keepdims):
        values = self._values(x)
        result = reduce(self._numeric(x), axis=tuple(axes), keepdims=keepdims)
        return self._wrap(self.xp.astype(result, self.xp.bool) if values.dtype == self.xp.bool else result)

    def max(self, x, axes, keepdims):
        return self._extreme(self.xp.max, x, axes, keepdims)

    def min(self, x, axes, keepdims):
        return self._extreme(self.xp.min, x, axes, keepdims)

    def argmax(self, x, axis, keepdims):
        values = self._numeric(x)
        result = self.xp.argmax(values, axis=axis, keepdims=keepdims)
        return self._wrap(self.xp.astype(result, self.xp.int64))

    # ----- linear algebra and indexing -----------------------------------------------------------
    def matmul(self, a, b):
        return self._wrap(self.xp.matmul(self._values(a), self._values(b)))

    def gather(self, x, axis, index):
        return self._wrap(self.xp.take_along_axis(self._values(x), self._values(index), axis=axis))

    def _scatter_positions(self, x, axis, index):
        idx = self.to_numpy(index)
        grids = list(np.meshgrid(*[np.arange(n) for n in idx.shape], indexing="ij"))
        grids[axis] = idx
        coords = np.ravel_multi_index(tuple(grids), x.shape) if idx.size else np.zeros(0, np.int64)
        flat_positions = x.positions()
        return flat_positions[np.asarray(coords).reshape(-1)]

    def scatter(self, x, axis, index, src):
        positions = self._scatter_positions(x, axis, index)
        self._write_positions(x.storage, positions, self.xp.reshape(self._values(src), (positions.shape[0],)))

    def scatter_add(self, x, axis, index, src):
        xp = self.xp
        positions = self._scatter_positions(x, axis, index)
        if positions.shape[0] == 0:
            return
        values = xp.reshape(self._values(src), (positions.shape[0],))
        order = np.argsort(positions, kind="stable")
        sorted_positions = positions[order]
        ordered = xp.take(values, xp.asarray(order), axis=0)
        if xp.isdtype(values.dtype, "real floating") and values.dtype != xp.float64:
            # segment sums come as differences of running sums: in float64 the cancellation stays
            # far below the values' own precision
            ordered = xp.astype(ordered, xp.float64)
        sums = xp.cumulative_sum(ordered)
        ends = np.flatnonzero(np.r_[sorted_positions[1:] != sorted_positions[:-1], True])
        starts = np.r_[0, ends[:-1] + 1]
        upper = xp.take(sums, xp.asarray(ends), axis=0)
        lower = xp.take(xp.concat([xp.zeros((1,), dtype=sums.dtype), sums]), xp.asarray(starts), axis=0)
        totals = xp.astype(upper - lower, values.dtype)  # one sum per distinct target position
        targets = sorted_positions[ends]
        current = xp.take(x.storage.data, xp.asarray(targets), axis=0)
        self._write_positions(x.storage, targets, current + totals)

    def scatter_reduce(self, x, axis, index, src, reduce):
        """Writes grouped by target on the host (index metadata), each group reduced as one row
        of a (targets, longest group) table padded with the reduction's identity."""
        xp = self.xp
        positions = self._scatter_positions(x, axis, index)
        count = positions.shape[0]
        if count == 0:
            return None
        values = xp.reshape(self._values(src), (count,))
        order = np.argsort(positions, kind="stable")
        ordered = positions[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        lengths = np.diff(np.r_[starts, count])
        table = np.full((starts.shape[0], int(lengths.max())), count, dtype=np.int64)  # count: the pad
        table[np.repeat(np.arange(starts.shape[0]), lengths), np.arange(count) - np.repeat(starts, lengths)] = order
        identity = xp.full((1,), _identity(reduce, values.dtype, xp), dtype=values.dtype)
        rows = xp.reshape(xp.take(xp.concat([values, identity]), xp.asarray(table.reshape(-1)), axis=0),
                          table.shape)
        targets = ordered[starts]
        current = xp.take(x.storage.data, xp.asarray(targets), axis=0)
        if reduce == "prod":
            folded = current * xp.prod(rows, axis=1, dtype=values.dtype)
        elif reduce == "amax":
            folded = xp.maximum(current, xp.max(rows, axis=1))
        else:
            folded = xp.minimum(current, xp.min(rows, axis=1))
        self._write_positions(x.storage, targets, folded)
        return None

    def nonzero(self, x):
        values = self._values(x)
        if values.ndim == 0:
            values = self.xp.reshape(values, (1,))
            found = self.xp.nonzero(values)
            return self._wrap(self.xp.zeros((found[0].shape[0], 0), dtype=self.xp.int64))
        found = self.xp.nonzero(values)
        if not found or found[0].shape[0] == 0:
            return self._wrap(self.xp.zeros((0, values.ndim), dtype=self.xp.int64))
        return self._wrap(self.xp.astype(self.xp.stack(found, axis=1), self.xp.int64))

    # ----- sorting (optional primitive) ----------------------------------------------------------
    def sort(self, x, axis, descending):
        """``xp.argsort(stable=True)``. The standard leaves the place of NaN open, so floats sort
        with NaN as +inf first, then stably by NaN-ness: NaNs go last (first when descending)
        and every other element keeps its place among equals."""
        xp = self.xp
        values = self._values(x)
        if xp.isdtype(values.dtype, "real floating"):
            nan = xp.isnan(values)
            keys = xp.where(nan, xp.full_like(values, math.inf), values)
            order = xp.argsort(keys, axis=axis, descending=descending, stable=True)
            flags = xp.take_along_axis(xp.astype(nan, xp.int8), order, axis=axis)
            regroup = xp.argsort(flags, axis=axis, descending=descending, stable=True)
            order = xp.take_along_axis(order, regroup, axis=axis)
        else:
            order = xp.argsort(values, axis=axis, descending=descending, stable=True)
        order = xp.astype(order, xp.int64)
        return self._wrap(xp.take_along_axis(values, order, axis=axis)), self._wrap(order)

    # ----- random -----------------------------------------------------------------------------
    def random_bits(self, seed, offset, count):
        """The unigrad stream: Philox4x32-10, block c = counter (c, 0, 0, 0), key = seed."""
        xp = self.xp
        first = offset // 4
        blocks = (count + 3) // 4
        mask = 0xFFFFFFFF
        counter = xp.astype(xp.arange(first, first + blocks, dtype=xp.int64), xp.uint64)
        c0, c1 = counter & mask, counter >> 32
        c2 = c3 = xp.zeros((blocks,), dtype=xp.uint64)
        seed &= (1 << 64) - 1
        k0, k1 = seed & mask, seed >> 32
        for _ in range(10):
            p0 = c0 * 0xD2511F53
            p1 = c2 * 0xCD9E8D57
            c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & mask, (p0 >> 32) ^ c3 ^ k1, p0 & mask
            k0, k1 = (k0 + 0x9E3779B9) & mask, (k1 + 0xBB67AE85) & mask
        words = xp.reshape(xp.stack([c0, c1, c2, c3], axis=1), (4 * blocks,))[:count]
        return self._wrap(xp.astype(words, xp.uint32))

    def uniform_from_bits(self, bits, dtype):
        xp = self.xp
        words = self._values(bits)
        if dtype.itemsize == 8:
            pairs = xp.astype(xp.reshape(words, (-1, 2)), xp.uint64)
            mantissa = (pairs[:, 0] >> 5) * (1 << 26) + (pairs[:, 1] >> 6)
            return self._wrap(xp.astype(mantissa, xp.float64) * (2.0 ** -53))
        return self._wrap(xp.astype(words >> 8, xp.float32) * (2.0 ** -24))
