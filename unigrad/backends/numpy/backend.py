"""The CPU backend: every primitive on NumPy arrays (device type ``"cpu"``).

Written against an array module ``xp`` so that the CuPy backend, whose API mirrors NumPy's, can
reuse the array-level logic and CI exercises it here.
"""
from __future__ import annotations

import itertools
import mmap
import warnings

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # NumPy < 2
    _byte_bounds = np.byte_bounds

from ...api import dtypes as _dt
from ..interface import Backend
from . import memory, philox, special

_LARGE = memory.THRESHOLD_BYTES

_LOW_PRECISION = tuple(d.numpy for d in _dt.LOW_PRECISION)
_FLOAT32 = np.dtype(np.float32)
_SELECT_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_ALL_ONES = {np.uint16: 0xFFFF, np.uint32: 0xFFFFFFFF, np.uint64: 0xFFFFFFFFFFFFFFFF}
_BFLOAT16 = _dt.bfloat16.numpy
#: the ufunc whose ``at`` folds duplicates for each ``scatter_reduce`` mode (max/min keep NaN)
_SCATTER_UFUNCS = {"prod": "multiply", "amax": "maximum", "amin": "minimum"}


#: elements of the last dim per slice of a cache-set-aliasing transposing copy (measured)
_GATHER_BLOCK = 8


def _strided_gather(dst, src) -> bool:
    """Whether ``dst`` is contiguous along its last dim while ``src`` steps a multiple of 1 KiB."""
    step = src.strides[-1] if src.ndim == dst.ndim else 0
    return dst.strides[-1] == dst.itemsize and step >= 1024 and step % 1024 == 0 \
        and dst.shape[-1] > 2 * _GATHER_BLOCK


def _array(result):
    """NumPy returns scalars from 0-d operations; the frontend needs arrays (views, writes)."""
    return np.asarray(result) if isinstance(result, np.generic) else result


def _operand(a, b):
    """``b`` as NumPy should see it beside the array ``a``: a Python float beside a bfloat16 array
    (already representable in bfloat16) as a bfloat16 scalar, or NumPy would return float32."""
    if b.__class__ is float and a.dtype is _BFLOAT16:
        return _BFLOAT16.type(b)
    return b


# Like torch, produce nan/inf silently: NumPy's floating-point RuntimeWarnings raised by the
# calls in this module are ignored (a filter costs nothing until a warning occurs, unlike errstate).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


def _root_array(x):
    """The array at the end of ``x``'s chain of bases: the one owning (or wrapping) the memory."""
    root = x
    while True:
        base = root.base
        if isinstance(base, np.ndarray):
            root = base
        elif isinstance(base, _ArrayView):
            root = base.base
        else:
            return root


def _check_bounds(root, shape, byte_strides, address, itemsize) -> None:
    """Refuse a view reaching outside the memory that ``root`` (a view's root array) owns."""
    if any(n == 0 for n in shape):
        return
    low, high = _byte_bounds(root)
    first = address + sum(min(0, (n - 1) * s) for n, s in zip(shape, byte_strides))
    last = address + sum(max(0, (n - 1) * s) for n, s in zip(shape, byte_strides)) + itemsize
    if first < low or last > high:
        raise ValueError(f"as_strided: a view of shape {list(shape)} and byte strides "
                         f"{list(byte_strides)} reaches outside its storage")


def _line_index(index, axis: int):
    """The 1-D index along ``axis`` when ``index`` is constant along every other dim (a broadcast,
    stride 0 there), else None."""
    strides, shape = index.strides, index.shape
    if index.size == 0:
        return None
    for d in range(len(shape)):
        if d != axis and strides[d] != 0 and shape[d] != 1:
            return None
    return index[(0,) * axis + (slice(None),) + (0,) * (len(shape) - axis - 1)]


class _ArrayView:
    """Exposes a strided view of an existing array through ``__array_interface__``."""

    __slots__ = ("__array_interface__", "base")

    def __init__(self, interface: dict, base) -> None:
        self.__array_interface__ = interface
        self.base = base


class ArrayModuleBackend(Backend):
    """Primitives on arrays of a NumPy-compatible module ``xp``; subclasses set ``xp``."""

    xp = np
    native_broadcasting = True

    def _workspace(self, shape, dtype):
        """An uninitialised array for a fast path's temporaries (``dtype`` is the array module's)."""
        return self.xp.empty(shape, dtype)

    # ----- creation and transfer ------------------------------------------------------------
    def empty(self, shape, dtype):
        return self.xp.empty(shape, dtype.numpy)

    def full(self, shape, value, dtype):
        return self.xp.full(shape, value, dtype.numpy)

    def arange(self, start, stop, step, dtype):
        work = self.xp.float64 if dtype.is_floating_point else self.xp.int64
        return self.xp.arange(start, stop, step, dtype=work).astype(dtype.numpy, copy=False)

    def strides(self, x):
        size = x.itemsize
        return tuple([s // size for s in x.strides])

    def copy_(self, dst, src):
        self.xp.copyto(dst, src)

    def cast(self, x, dtype):
        return x.astype(dtype.numpy)

    # ----- element-wise -----------------------------------------------------------------------
    def neg(self, x, out=None):
        return _array(self.xp.negative(x, out=out))

    def abs(self, x, out=None):
        return _array(self.xp.absolute(x, out=out))

    def exp(self, x, out=None):
        return _array(self.xp.exp(x, out=out))

    def log(self, x, out=None):
        return _array(self.xp.log(x, out=out))

    def log1p(self, x, out=None):
        return _array(self.xp.log1p(x, out=out))

    def expm1(self, x, out=None):
        return _array(self.xp.expm1(x, out=out))

    def sqrt(self, x, out=None):
        return _array(self.xp.sqrt(x, out=out))

    def sin(self, x, out=None):
        return _array(self.xp.sin(x, out=out))

    def cos(self, x, out=None):
        return _array(self.xp.cos(x, out=out))

    def tanh(self, x, out=None):
        return _array(self.xp.tanh(x, out=out))

    def erf(self, x, out=None):
        return special.erf(x, out)  # NumPy-only: the CuPy backend overrides the special functions

    def floor(self, x, out=None):
        return _array(self.xp.floor(x, out=out))

    def round(self, x, out=None):
        return _array(self.xp.round(x, out=out))

    def add(self, a, b, out=None):
        return _array(self.xp.add(a, _operand(a, b), out=out))

    def sub(self, a, b, out=None):
        return _array(self.xp.subtract(a, _operand(a, b), out=out))

    def mul(self, a, b, out=None):
        return _array(self.xp.multiply(a, _operand(a, b), out=out))

    def div(self, a, b, out=None):
        return _array(self.xp.true_divide(a, _operand(a, b), out=out))

    def pow(self, a, b, out=None):
        return _array(self.xp.power(a, _operand(a, b), out=out))

    def maximum(self, a, b, out=None):
        return _array(self.xp.maximum(a, _operand(a, b), out=out))

    def minimum(self, a, b, out=None):
        return _array(self.xp.minimum(a, _operand(a, b), out=out))

    def remainder(self, a, b, out=None):
        return _array(self.xp.remainder(a, _operand(a, b), out=out))

    # optional element-wise primitives
    def asin(self, x, out=None):
        return _array(self.xp.arcsin(x, out=out))

    def acos(self, x, out=None):
        return _array(self.xp.arccos(x, out=out))

    def atan(self, x, out=None):
        return _array(self.xp.arctan(x, out=out))

    def sinh(self, x, out=None):
        return _array(self.xp.sinh(x, out=out))

    def cosh(self, x, out=None):
        return _array(self.xp.cosh(x, out=out))

    def asinh(self, x, out=None):
        return _array(self.xp.arcsinh(x, out=out))

    def acosh(self, x, out=None):
        return _array(self.xp.arccosh(x, out=out))

    def atanh(self, x, out=None):
        return _array(self.xp.arctanh(x, out=out))

    def atan2(self, a, b, out=None):
        return _array(self.xp.arctan2(a, _operand(a, b), out=out))

    def erfc(self, x, out=None):
        return special.erfc(x, out)

    def erfinv(self, x, out=None):
        return special.erfinv(x, out)

    def lgamma(self, x, out=None):
        return special.lgamma(x, out)

    def digamma(self, x, out=None):
        return special.digamma(x, out)

    def eq(self, a, b):
        return _array(self.xp.equal(a, b))

    def lt(self, a, b):
        return _array(self.xp.less(a, b))

    def bitwise_and(self, a, b):
        return _array(self.xp.bitwise_and(a, b))

    def where(self, condition, a, b):
        return _array(self.xp.where(condition, a, _operand(a, b)))

    # ----- reductions ---------------------------------------------------------------------------
    def sum(self, x, axes, keepdims, dtype):
        return _array(self.xp.add.reduce(x, axis=axes, dtype=dtype.numpy, keepdims=keepdims))

    def prod(self, x, axes, keepdims, dtype):
        return _array(self.xp.multiply.reduce(x, axis=axes, dtype=dtype.numpy, keepdims=keepdims))

    def max(self, x, axes, keepdims):
        return _array(self.xp.maximum.reduce(x, axis=axes, keepdims=keepdims))

    def min(self, x, axes, keepdims):
        return _array(self.xp.minimum.reduce(x, axis=axes, keepdims=keepdims))

    def argmax(self, x, axis, keepdims):
        return _array(self.xp.argmax(x, axis=axis, keepdims=keepdims)).astype(self.xp.int64, copy=False)

    # ----- linear algebra and indexing -------------------------------------------------------
    def matmul(self, a, b):
        if a.dtype in _LOW_PRECISION:  # 16-bit products accumulate in float32 (BLAS), rounded once
            return self.xp.matmul(a.astype(_FLOAT32), b.astype(_FLOAT32)).astype(a.dtype)
        return _array(self.xp.matmul(a, b))

    def gather(self, x, axis, index):
        line = _line_index(index, axis)
        if line is not None and all(n == x.shape[d] for d, n in enumerate(index.shape) if d != axis):
            return self.xp.take(x, line, axis=axis)  # rows (an embedding lookup): no index grid
        return self.xp.take_along_axis(x, index, axis=axis)

    def _full_index(self, axis, index):
        # The fancy index addressing x[..., index[...], ...] element by element.
        ndim = index.ndim
        grids = []
        for d, n in enumerate(index.shape):
            if d == axis:
                grids.append(index)
            else:
                shape = [1] * ndim
                shape[d] = n
                grids.append(self.xp.arange(n).reshape(shape))
        return tuple(grids)

    def scatter(self, x, axis, index, src):
        x[self._full_index(axis, index)] = src

    def scatter_add(self, x, axis, index, src):
        if index.size == 0:
            return
        if index.shape[axis] == 1:  # each target addressed at most once: plain fancy add
            x[self._full_index(axis, index)] += src
        elif x.flags.c_contiguous and src.shape == index.shape:
            # one flat index into x's memory: ufunc.at's fast one-dimensional loop
            self.xp.add.at(x.reshape(-1), self._flat_index(x, axis, index).reshape(-1), src.reshape(-1))
        else:
            self.xp.add.at(x, self._full_index(axis, index), src)

    def scatter_reduce(self, x, axis, index, src, reduce):
        if index.size:
            getattr(self.xp, _SCATTER_UFUNCS[reduce]).at(x, self._full_index(axis, index), src)

    def _flat_index(self, x, axis, index):
        """Element offsets into C-contiguous ``x`` of ``x[..., index[...], ...]`` along ``axis``."""
        strides = self.strides(x)
        flat = self.xp.multiply(index, strides[axis], dtype=self.xp.int64)
        for d, n in enumerate(index.shape):
            if d != axis and n > 1:
                shape = [1] * index.ndim
                shape[d] = n
                flat += self.xp.arange(0, n * strides[d], strides[d], dtype=self.xp.int64).reshape(shape)
        return flat

    def nonzero(self, x):
        return self.xp.argwhere(x).astype(self.xp.int64, copy=False)

    # ----- sorting ----------------------------------------------------------------------------
    def sort(self, x, axis, descending):
        """A stable argsort (NaNs last, as in NumPy) of the keys; descending order sorts the
        reversed keys ascending and reverses the result, which keeps equal keys in order and
        puts NaNs first."""
        xp = self.xp
        keys = x.astype(_FLOAT32) if x.dtype is _BFLOAT16 else x  # NumPy's bfloat16 sort lacks NaN order
        if descending:
            keys = xp.flip(keys, axis)
        order = self._stable_argsort(keys, axis).astype(xp.int64, copy=False)
        if descending:
            order = xp.subtract(x.shape[axis] - 1, xp.flip(order, axis))
        return xp.take_along_axis(x, order, axis=axis), order

    def _stable_argsort(self, keys, axis):
        return self.xp.argsort(keys, axis=axis, kind="stable")

    # ----- random -----------------------------------------------------------------------------
    def random_bits(self, seed, offset, count):
        return philox.random_bits(self.xp, seed, offset, count)

    def uniform_from_bits(self, bits, dtype):
        return philox.uniform_from_bits(self.xp, bits, dtype.numpy)

    # ----- fast paths: 16-bit inputs are computed in float32 and rounded once, as PyTorch does -----
    def log_softmax(self, x, axis):
        if x.dtype in _LOW_PRECISION:
            return self.log_softmax(x.astype(_FLOAT32), axis).astype(x.dtype)
        xp = self.xp
        shifted = xp.subtract(x, self.max(x, (axis,), True))
        total = xp.add.reduce(xp.exp(shifted), axis=axis, keepdims=True)
        xp.log(total, out=total)
        return xp.subtract(shifted, total, out=shifted)

    def sigmoid(self, x):
        if x.dtype in _LOW_PRECISION:
            return self.sigmoid(x.astype(_FLOAT32)).astype(x.dtype)
        xp = self.xp
        # 1 / (1 + exp(-x)) in four in-place passes; where exp(-x) overflows (x below about -88
        # in float32) the result is 0, whose distance to the true value is under the smallest
        # normal number.
        e = _array(xp.negative(x))
        xp.exp(e, out=e)
        xp.add(e, 1.0, out=e)
        return _array(xp.reciprocal(e, out=e))

    def max_pool(self, x, kernel, stride, dilation):
        """Window maxima and first-maximum positions. The windows are first copied offset-major,
        ``(K, *lead, *out)`` in one pass, because every later pass then runs over contiguous
        memory (several times faster than over the strided views): running maxima, then each
        window's first maximum found by comparing the offsets in reverse order."""
        xp = self.xp
        k = len(kernel)
        lead, spatial = x.shape[:x.ndim - k], x.shape[x.ndim - k:]
        outs = tuple((n - d * (ks - 1) - 1) // s + 1 for n, ks, s, d in zip(spatial, kernel, stride, dilation))
        plane_strides = [1] * k  # C-order strides of the trailing plane, in elements
        for i in range(k - 2, -1, -1):
            plane_strides[i] = plane_strides[i + 1] * spatial[i + 1]
        element_strides = self.strides(x)
        trailing = element_strides[x.ndim - k:]
        windows = self.as_strided(
            x, kernel + lead + outs,
            tuple(s * d for s, d in zip(trailing, dilation)) + tuple(element_strides[:x.ndim - k])
            + tuple(s * st for s, st in zip(trailing, stride)), 0)
        count = 1
        for size in kernel:
            count *= size
        views = self._workspace((count,) + lead + outs, x.dtype)
        xp.copyto(views.reshape(windows.shape), windows)
        shifts = [sum(o * dl * ps for o, dl, ps in zip(offset, dilation, plane_strides))
                  for offset in itertools.product(*map(range, kernel))]
        best = views[0].copy()
        for view in views[1:]:
            xp.maximum(best, view, out=best)  # NaN propagates: a NaN window's maximum is NaN
        # The first offset holding the maximum: visit offsets last to first, overwriting by
        # arithmetic (choice += (index - choice) * hit, in wrapping uint8), far cheaper than
        # masked writes. A NaN window's choice is redone from its NaNs when there are any.
        code = xp.uint8 if count < 256 else xp.int64
        choice = xp.zeros(best.shape, code)
        step = xp.empty(best.shape, code)
        for index in range(count - 1, -1, -1):
            hit = xp.equal(views[index], best)
            xp.subtract(code(index), choice, out=step)
            xp.multiply(step, hit, out=step, casting="unsafe")
            xp.add(choice, step, out=choice)
        if xp.isnan(best).any():
            for index in range(count - 1, -1, -1):
                xp.copyto(choice, index, where=xp.isnan(views[index]))
        positions = xp.take(xp.asarray(shifts, dtype=xp.int64), choice, out=self._workspace(choice.shape, xp.int64))
        corner = None  # each window's first element, as a plane position
        for i in range(k):
            shape = [1] * k
            shape[i] = outs[i]
            along = xp.arange(0, outs[i] * stride[i] * plane_strides[i], stride[i] * plane_strides[i],
                              dtype=xp.int64).reshape(shape)
            corner = along if corner is None else corner + along
        positions += corner
        return best, positions

    def softmax(self, x, axis):
        if x.dtype in _LOW_PRECISION:
            return self.softmax(x.astype(_FLOAT32), axis).astype(x.dtype)
        xp = self.xp
        e = xp.subtract(x, self.max(x, (axis,), True))
        xp.exp(e, out=e)
        return xp.divide(e, xp.add.reduce(e, axis=axis, keepdims=True), out=e)


_ndarray = np.ndarray


def _cube(a, out):
    return np.multiply(np.multiply(a, a), a, out=out)


def _reciprocal_square(a, out):
    return np.divide(1, np.multiply(a, a), out=out)


def _reciprocal_root(a, out):
    return np.divide(1, np.sqrt(a), out=out)


#: exponent -> f(a, out) for the powers PyTorch's CPU kernel also computes without pow()
_POWER_FORMS = {
    2: lambda a, out: np.multiply(a, a, out=out),
    3: _cube,
    0.5: lambda a, out: np.sqrt(a, out=out),
    -1: lambda a, out: np.divide(1, a, out=out),
    -2: _reciprocal_square,
    -0.5: _reciprocal_root,
}


def _integral_power(a, exponent: int, out):
    """``a ** exponent`` for an integral ``4 <= |exponent| <= 16`` by repeated squaring in float64
    (exact up to the final rounding for float32 and narrower inputs, a few float64 ulps for float64):
    np.power's pow() takes its slow path on negative bases (~40 ns an element, torch: ~2)."""
    base = a if a.dtype == np.float64 else a.astype(np.float64)
    result, remaining = None, abs(exponent)
    while True:
        if remaining & 1:
            result = base if result is None else np.multiply(result, base)
        remaining >>= 1
        if not remaining:
            break
        base = np.multiply(base, base)
    if exponent < 0:
        result = np.divide(1.0, result)
    if out is not None:
        np.copyto(out, result, casting="unsafe")
        return out
    return np.asarray(result, dtype=a.dtype)


def _unary(function):
    """An element-wise primitive of ``x`` whose large result goes into a cached block."""
    def primitive(self, x, out=None):
        if out is None:
            if x.nbytes < _LARGE:  # the per-op hot path: one ufunc call, no keyword
                result = function(x)
                return result if result.__class__ is _ndarray else np.asarray(result)
            out = self._blocks.empty(x.shape, x.dtype)
        return _array(function(x, out=out))
    return primitive


def _binary(function):
    """An element-wise primitive of ``a`` and ``b`` whose large result (``a``'s dtype, the only
    one the frontend asks for) goes into a cached block."""
    def primitive(self, a, b, out=None):
        if b.__class__ is float and a.dtype is _BFLOAT16:
            b = _BFLOAT16.type(b)  # see _operand
        if out is None:
            if a.nbytes < _LARGE or not (b.dtype == a.dtype if b.__class__ is _ndarray else
                                         b.__class__ is not float or a.dtype.kind not in "iub"):
                result = function(a, b)  # the per-op hot path: one ufunc call, no keyword
                return result if result.__class__ is _ndarray else np.asarray(result)
            shape = a.shape if b.__class__ is not _ndarray or b.shape == a.shape else \
                np.broadcast_shapes(a.shape, b.shape)
            out = self._blocks.empty(shape, a.dtype)
        return _array(function(a, b, out=out))
    return primitive


def _comparison(function):
    """A comparison of ``a`` and ``b`` whose large bool result goes into a cached block."""
    def primitive(self, a, b):
        if a.size < _LARGE:  # (one byte per element)
            result = function(a, b)
            return result if result.__class__ is _ndarray else np.asarray(result)
        shape = a.shape if b.__class__ is not _ndarray or b.shape == a.shape else \
            np.broadcast_shapes(a.shape, b.shape)
        return function(a, b, out=self._blocks.empty(shape, np.bool_))
    return primitive


def _special(function):
    """A special function of ``special`` whose large result goes into a cached block."""
    def primitive(self, x, out=None):
        if out is None and x.nbytes >= _LARGE:
            out = self._blocks.empty(x.shape, x.dtype)
        return function(x, out)
    return primitive


class NumpyBackend(ArrayModuleBackend):
    """Device ``"cpu"``: host memory, NumPy kernels (OpenBLAS for matmul)."""

    name = "cpu"
    indexed = False
    supported_dtypes = frozenset(_dt.ALL_DTYPES)  # bfloat16 through ml_dtypes
    autocast_lists = "cpu"
    autocast_dtype = _dt.bfloat16

    def describe(self) -> str:
        from .blas_info import describe_blas
        blas = describe_blas()
        return f"NumPy {np.__version__} on the host CPU" + (f"; BLAS: {blas}" if blas else "")

    # ----- allocation: large arrays come from reusable blocks (see memory.py) -------------------
    _blocks = memory.LargeBlockCache()

    def empty(self, shape, dtype):
        return self._blocks.empty(shape, dtype.numpy)

    def _workspace(self, shape, dtype):
        return self._blocks.empty(shape, dtype)

    def full(self, shape, value, dtype):
        out = self._blocks.empty(shape, dtype.numpy)
        out.fill(value)
        return out

    def copy_(self, dst, src):
        if dst.nbytes >= _LARGE and dst.ndim > 1 and _strided_gather(dst, src):
            # a transposing copy reading its last dim a multiple of 1 KiB apart (NCHW -> NHWC):
            # each element of a run maps to the same cache set, so NumPy's loop along that dim
            # thrashes; narrow slices of it are copied about twice as fast
            size = dst.shape[-1]
            for start in range(0, size, _GATHER_BLOCK):
                np.copyto(dst[..., start:start + _GATHER_BLOCK], src[..., start:start + _GATHER_BLOCK])
            return
        np.copyto(dst, src)

    # element-wise results of _LARGE bytes or more are written into cached blocks
    neg, abs, exp = (_unary(f) for f in (np.negative, np.absolute, np.exp))
    log, log1p, expm1 = (_unary(f) for f in (np.log, np.log1p, np.expm1))
    sqrt, sin, cos, tanh, floor, round = (_unary(f) for f in (np.sqrt, np.sin, np.cos, np.tanh, np.floor, np.round))
    add, sub, mul, div = (_binary(f) for f in (np.add, np.subtract, np.multiply, np.true_divide))
    eq, lt = _comparison(np.equal), _comparison(np.less)
    maximum, minimum, remainder = (_binary(f) for f in (np.maximum, np.minimum, np.remainder))
    _power = _binary(np.power)

    def pow(self, a, b, out=None):
        # small integral and half-integral exponents as products, roots and reciprocals (as
        # PyTorch's CPU kernel does): np.power's general path costs ~20x a multiply
        if (b.__class__ is float or b.__class__ is int) and a.dtype.kind == "f":
            if b in _POWER_FORMS:
                result = _POWER_FORMS[b](a, out)
                return result if result.__class__ is _ndarray else np.asarray(result)  # 0-d: a scalar
            if 4 <= abs(b) <= 16 and b == int(b):
                return _integral_power(a, int(b), out)
        return self._power(a, b, out)
    asin, acos, atan, atan2 = _unary(np.arcsin), _unary(np.arccos), _unary(np.arctan), _binary(np.arctan2)
    sinh, cosh, asinh, acosh, atanh = (_unary(f) for f in (np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh))
    erf, erfc, erfinv = (_special(f) for f in (special.erf, special.erfc, special.erfinv))
    lgamma, digamma = _special(special.lgamma), _special(special.digamma)

    def matmul(self, a, b):
        if a.dtype in _LOW_PRECISION:
            return super().matmul(a, b)
        if a.ndim >= 2 and b.ndim >= 2 and a.dtype is b.dtype:
            # a large product (judged by a's rows, or b's columns where b's batch may be
            # broadcast over a's, cheaply) goes into a cached block
            elements = (a.size // max(a.shape[-1], 1)) * b.shape[-1]
            if b.ndim > 2:
                elements = max(elements, (b.size // max(b.shape[-2], 1)) * a.shape[-2])
            if elements * a.itemsize >= _LARGE:
                shape = (a.shape[0], b.shape[1]) if a.ndim == 2 and b.ndim == 2 else \
                    np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
                return np.matmul(a, b, out=self._blocks.empty(shape, a.dtype))
        result = np.matmul(a, b)  # the per-op hot path: one call
        return result if result.__class__ is _ndarray else np.asarray(result)

    _read_ahead = philox.ReadAhead(np)

    def random_bits(self, seed, offset, count):
        # 8192 blocks at a time: the rounds' temporaries (about 300 KiB) stay in cache; small
        # requests read from words generated ahead (philox.ReadAhead)
        words = -(-count // 4) * 4
        out = self._blocks.empty((words,), np.uint32) if words * 4 >= _LARGE else None  # reused memory
        bits = self._read_ahead(seed, offset, count, chunk_blocks=8192, out=out)
        return bits if bits.shape[0] == count else bits[:count]

    def uniform_from_bits(self, bits, dtype):
        if dtype.numpy == np.float32 and bits.nbytes >= _LARGE:
            return philox.uniform_from_bits(np, bits, np.float32, out=self._blocks.empty(bits.shape, np.float32))
        return philox.uniform_from_bits(np, bits, dtype.numpy)

    def where(self, condition, a, b):
        bits = _SELECT_BITS.get(a.dtype.itemsize)
        if bits is None or a.dtype == bool or (a.size < 4096 and getattr(b, "size", 1) < 4096):
            return super().where(condition, a, b)
        # A branch-free select on the bit patterns (exact for NaN, inf and -0): NumPy's where
        # branches per element and costs several times more on an unpredictable condition. The
        # mask and the result come from the cache of large blocks (no page faults per call).
        xp = self.xp
        b_array = xp.asarray(b, dtype=a.dtype)
        shape = condition.shape if condition.shape == a.shape and b_array.ndim == 0 else \
            xp.broadcast_shapes(condition.shape, a.shape, b_array.shape)
        mask = self._blocks.empty(condition.shape, bits)
        xp.multiply(condition, bits(_ALL_ONES[bits]), out=mask)  # all ones where true
        out = self._blocks.empty(shape, a.dtype)
        out_bits, a_bits, b_bits = out.view(bits), a.view(bits), b_array.view(bits)
        if b_bits.ndim == 0 and not b_bits:  # the other value is +0
            xp.bitwise_and(a_bits, mask, out=out_bits)
            return out
        xp.bitwise_xor(a_bits, b_bits, out=out_bits)
        xp.bitwise_and(out_bits, mask, out=out_bits)
        xp.bitwise_xor(out_bits, b_bits, out=out_bits)
        return out

    def from_numpy(self, array):
        return np.array(array, order="C", copy=True)

    def from_numpy_shared(self, array):
        return array

    def storage_position(self, x):
        # the ndarray closest to the memory: a view's chain of bases ends at the array that owns
        # the allocation (or wraps foreign memory such as one storage of a memory-mapped file)
        owner = x
        while True:
            base = owner.base
            if isinstance(base, np.ndarray):
                owner = base
            elif isinstance(base, _ArrayView):
                owner = base.base
            else:
                return id(owner), x.__array_interface__["data"][0]

    def to_numpy(self, x):
        return x

    def dlpack(self, x):
        return x

    def data_ptr(self, x):
        return x.ctypes.data

    def share_memory(self, x):
        # an anonymous mmap is MAP_SHARED: children forked later see writes both ways
        region = mmap.mmap(-1, max(x.nbytes, 1))
        out = np.frombuffer(region, dtype=x.dtype, count=x.size).reshape(x.shape)
        out[...] = x
        return out

    def is_shared(self, x):
        base = x
        while isinstance(base, np.ndarray):
            base = base.base
        return isinstance(base.obj if isinstance(base, memoryview) else base, mmap.mmap)

    def as_strided(self, x, shape, strides, offset):
        size = x.itemsize
        byte_strides = tuple([s * size for s in strides])
        if x.flags.c_contiguous and x.flags.writeable:
            # fast path: a view within x's own extent, bounds-checked by NumPy (a view of a larger
            # root may reach past x, so a refusal falls through to the general path)
            try:
                return np.ndarray(shape, x.dtype, x, offset * size, byte_strides)
            except (TypeError, ValueError):
                pass
        elif x.flags.f_contiguous and x.flags.writeable:
            # a transposed array (x.T is C-contiguous, from the same first element): as fast
            try:
                return np.ndarray(shape, x.dtype, x.T, offset * size, byte_strides)
            except (TypeError, ValueError):
                pass
        address = x.__array_interface__["data"][0] + offset * size
        root = _root_array(x)
        if root.flags.c_contiguous and root.flags.writeable is x.flags.writeable:
            # a view of a view (broadcast, strided): a view of the memory's owner, bounds-checked
            # by NumPy against all of it, from the byte where this one starts
            try:
                return np.ndarray(shape, x.dtype, root, address - root.__array_interface__["data"][0],
                                  byte_strides)
            except (TypeError, ValueError):
                pass
        _check_bounds(root, shape, byte_strides, address, size)
        interface = {
            "shape": tuple(shape),
            "strides": byte_strides,
            "typestr": x.dtype.str,
            "data": (address, not x.flags.writeable),
            "version": 3,
        }
        view = np.asarray(_ArrayView(interface, x))
        return view if view.dtype is x.dtype else view.view(x.dtype)  # bfloat16 travels as "<V2"
