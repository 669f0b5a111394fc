"""The CPU backend: every primitive on NumPy arrays (device type ``"cpu"``).

Written against an array module ``xp`` so that the CuPy backend, whose API mirrors NumPy's, can
reuse the array-level logic and CI exercises it here.
"""
from __future__ import annotations

import warnings

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # NumPy < 2
    _byte_bounds = np.byte_bounds

from ...api import dtypes as _dt
from ..interface import Backend
from . import philox, special

_LOW_PRECISION = tuple(d.numpy for d in _dt.LOW_PRECISION)
_FLOAT32 = np.dtype(np.float32)
_BFLOAT16 = _dt.bfloat16.numpy


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


def _check_bounds(x, shape, byte_strides, address, itemsize) -> None:
    """Refuse a view reaching outside the memory that ``x``'s root array owns."""
    if any(n == 0 for n in shape):
        return
    root = x
    while True:
        base = root.base
        if isinstance(base, np.ndarray):
            root = base
        elif isinstance(base, _ArrayView):
            root = base.base
        else:
            break
    low, high = _byte_bounds(root)
    first = address + sum(min(0, (n - 1) * s) for n, s in zip(shape, byte_strides))
    last = address + sum(max(0, (n - 1) * s) for n, s in zip(shape, byte_strides)) + itemsize
    if first < low or last > high:
        raise ValueError(f"as_strided: a view of shape {list(shape)} and byte strides "
                         f"{list(byte_strides)} reaches outside its storage")


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
        result = special.erf(self.xp, x)
        if out is None:
            return result
        self.xp.copyto(out, result)
        return out

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
        where = self._full_index(axis, index)
        if index.shape[axis] == 1:  # each target addressed at most once: plain fancy add
            x[where] += src
        else:
            self.xp.add.at(x, where, src)

    def nonzero(self, x):
        return self.xp.argwhere(x).astype(self.xp.int64, copy=False)

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
        e = _array(xp.negative(xp.absolute(x)))
        xp.exp(e, out=e)  # exp(-|x|) never overflows
        positive = _array(xp.add(e, 1.0))
        xp.reciprocal(positive, out=positive)  # sigmoid(|x|)
        return _array(xp.where(x >= 0, positive, xp.multiply(e, positive, out=e)))

    def softmax(self, x, axis):
        if x.dtype in _LOW_PRECISION:
            return self.softmax(x.astype(_FLOAT32), axis).astype(x.dtype)
        xp = self.xp
        e = xp.subtract(x, self.max(x, (axis,), True))
        xp.exp(e, out=e)
        return xp.divide(e, xp.add.reduce(e, axis=axis, keepdims=True), out=e)


class NumpyBackend(ArrayModuleBackend):
    """Device ``"cpu"``: host memory, NumPy kernels (OpenBLAS for matmul)."""

    name = "cpu"
    indexed = False
    supported_dtypes = frozenset(_dt.ALL_DTYPES)  # bfloat16 through ml_dtypes
    autocast_lists = "cpu"
    autocast_dtype = _dt.bfloat16

    def describe(self) -> str:
        return f"NumPy {np.__version__} on the host CPU"

    def from_numpy(self, array):
        return np.array(array, order="C", copy=True)

    def from_numpy_shared(self, array):
        return array

    def to_numpy(self, x):
        return x

    def dlpack(self, x):
        return x

    def as_strided(self, x, shape, strides, offset):
        size = x.itemsize
        byte_strides = tuple([s * size for s in strides])
        if x.base is None and x.flags.c_contiguous and x.flags.writeable:  # fast path: x owns its memory
            return np.ndarray(shape, x.dtype, x, offset * size, byte_strides)  # bounds-checked by NumPy
        address = x.__array_interface__["data"][0] + offset * size
        _check_bounds(x, shape, byte_strides, address, size)
        interface = {
            "shape": tuple(shape),
            "strides": byte_strides,
            "typestr": x.dtype.str,
            "data": (address, not x.flags.writeable),
            "version": 3,
        }
        view = np.asarray(_ArrayView(interface, x))
        return view if view.dtype is x.dtype else view.view(x.dtype)  # bfloat16 travels as "<V2"
