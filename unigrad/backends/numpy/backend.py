"""The CPU backend: every primitive on NumPy arrays (device type ``"cpu"``).

Written against an array module ``xp`` so that the CuPy backend, whose API mirrors NumPy's, can
reuse the array-level logic and CI exercises it here.
"""
from __future__ import annotations

import numpy as np

from ..interface import Backend
from . import philox, special


def _array(result):
    """NumPy returns scalars from 0-d operations; the frontend needs arrays (views, writes)."""
    return np.asarray(result) if isinstance(result, np.generic) else result


def _quiet():
    """Like torch, produce nan/inf silently instead of NumPy's RuntimeWarnings."""
    return np.errstate(all="ignore")


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
        return tuple(s // size for s in x.strides)

    def copy_(self, dst, src):
        self.xp.copyto(dst, src)

    def cast(self, x, dtype):
        return x.astype(dtype.numpy)

    # ----- element-wise -----------------------------------------------------------------------
    def neg(self, x):
        return _array(self.xp.negative(x))

    def abs(self, x):
        return _array(self.xp.absolute(x))

    def exp(self, x):
        with _quiet():
            return _array(self.xp.exp(x))

    def log(self, x):
        with _quiet():
            return _array(self.xp.log(x))

    def log1p(self, x):
        with _quiet():
            return _array(self.xp.log1p(x))

    def expm1(self, x):
        with _quiet():
            return _array(self.xp.expm1(x))

    def sqrt(self, x):
        with _quiet():
            return _array(self.xp.sqrt(x))

    def sin(self, x):
        return _array(self.xp.sin(x))

    def cos(self, x):
        return _array(self.xp.cos(x))

    def tanh(self, x):
        return _array(self.xp.tanh(x))

    def erf(self, x):
        return special.erf(self.xp, x)

    def floor(self, x):
        return _array(self.xp.floor(x))

    def round(self, x):
        return _array(self.xp.round(x))

    def add(self, a, b):
        return _array(self.xp.add(a, b))

    def sub(self, a, b):
        return _array(self.xp.subtract(a, b))

    def mul(self, a, b):
        return _array(self.xp.multiply(a, b))

    def div(self, a, b):
        with _quiet():
            return _array(self.xp.true_divide(a, b))

    def pow(self, a, b):
        with _quiet():
            return _array(self.xp.power(a, b))

    def maximum(self, a, b):
        return _array(self.xp.maximum(a, b))

    def minimum(self, a, b):
        return _array(self.xp.minimum(a, b))

    def remainder(self, a, b):
        with _quiet():
            return _array(self.xp.remainder(a, b))

    def eq(self, a, b):
        return _array(self.xp.equal(a, b))

    def lt(self, a, b):
        return _array(self.xp.less(a, b))

    def bitwise_and(self, a, b):
        return _array(self.xp.bitwise_and(a, b))

    def where(self, condition, a, b):
        return _array(self.xp.where(condition, a, b))

    # ----- reductions ---------------------------------------------------------------------------
    def sum(self, x, axes, keepdims, dtype):
        return _array(self.xp.sum(x, axis=axes, keepdims=keepdims, dtype=dtype.numpy))

    def prod(self, x, axes, keepdims, dtype):
        return _array(self.xp.prod(x, axis=axes, keepdims=keepdims, dtype=dtype.numpy))

    def max(self, x, axes, keepdims):
        return _array(self.xp.max(x, axis=axes, keepdims=keepdims))

    def min(self, x, axes, keepdims):
        return _array(self.xp.min(x, axis=axes, keepdims=keepdims))

    def argmax(self, x, axis, keepdims):
        return _array(self.xp.argmax(x, axis=axis, keepdims=keepdims)).astype(self.xp.int64, copy=False)

    # ----- linear algebra and indexing -------------------------------------------------------
    def matmul(self, a, b):
        if a.dtype == self.xp.float16:  # accumulate half products in float32
            return self.xp.matmul(a.astype(self.xp.float32), b.astype(self.xp.float32)).astype(a.dtype)
        return _array(self.xp.matmul(a, b))

    def gather(self, x, axis, index):
        return self.xp.take_along_axis(x, index, axis=axis)

    def _full_index(self, axis, index):
        # The fancy index addressing x[..., index[...], ...] element by element.
        grids = list(self.xp.ogrid[tuple(slice(0, n) for n in index.shape)])
        grids[axis] = index
        return tuple(grids)

    def scatter(self, x, axis, index, src):
        x[self._full_index(axis, index)] = src

    def scatter_add(self, x, axis, index, src):
        self.xp.add.at(x, self._full_index(axis, index), src)

    def nonzero(self, x):
        return self.xp.argwhere(x).astype(self.xp.int64, copy=False)

    # ----- random -----------------------------------------------------------------------------
    def random_bits(self, seed, offset, count):
        return philox.random_bits(self.xp, seed, offset, count)

    def uniform_from_bits(self, bits, dtype):
        return philox.uniform_from_bits(self.xp, bits, dtype.numpy)

    # ----- fast paths ---------------------------------------------------------------------------
    def log_softmax(self, x, axis):
        shifted = x - self.xp.max(x, axis=axis, keepdims=True)
        return _array(shifted - self.xp.log(self.xp.sum(self.xp.exp(shifted), axis=axis, keepdims=True)))

    def softmax(self, x, axis):
        e = self.xp.exp(x - self.xp.max(x, axis=axis, keepdims=True))
        return _array(e / self.xp.sum(e, axis=axis, keepdims=True))


class NumpyBackend(ArrayModuleBackend):
    """Device ``"cpu"``: host memory, NumPy kernels (OpenBLAS for matmul)."""

    name = "cpu"
    indexed = False

    def describe(self) -> str:
        return f"NumPy {np.__version__} on the host CPU"

    def from_numpy(self, array):
        return np.array(array, order="C", copy=True)

    def from_numpy_shared(self, array):
        return array

    def to_numpy(self, x):
        return x

    def as_strided(self, x, shape, strides, offset):
        size = x.itemsize
        address = x.__array_interface__["data"][0] + offset * size
        interface = {
            "shape": tuple(shape),
            "strides": tuple(s * size for s in strides),
            "typestr": x.dtype.str,
            "data": (address, not x.flags.writeable),
            "version": 3,
        }
        return np.asarray(_ArrayView(interface, x))
