"""The CUDA backend: the NumPy backend's array logic on CuPy arrays (device type ``"cuda"``).

CuPy is imported only when the backend is probed or used, never by ``import unigrad``.
"""
from __future__ import annotations

import functools

from ..numpy.backend import ArrayModuleBackend
from . import kernels
from ..interface import REQUIRED_PRIMITIVES, OPTIONAL_FAST_PATHS


def _on_device(method):
    """Run a primitive with this backend's GPU as CuPy's current device."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._device:
            return method(self, *args, **kwargs)
    return wrapper


class CupyBackend(ArrayModuleBackend):
    """Device ``"cuda:N"``: CuPy arrays on GPU N (cuBLAS for matmul)."""

    name = "cuda"

    @classmethod
    def probe(cls) -> tuple[bool, str]:
        try:
            import cupy
        except ImportError:
            return False, "CuPy not installed (pip install 'unigrad[cuda]')"
        except Exception as error:  # a broken CUDA install raises various errors at import
            return False, f"CuPy failed to import: {type(error).__name__}: {error}"
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:
            return False, f"no usable CUDA driver: {error}"
        if count == 0:
            return False, "no CUDA device"
        return True, ""

    @classmethod
    def device_count(cls) -> int:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()

    def __init__(self, index: int = 0) -> None:
        import cupy
        super().__init__(index)
        self.xp = cupy
        self._device = cupy.cuda.Device(index)

    def describe(self) -> str:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(self.index)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return f"CuPy {cupy.__version__} on {name}"

    def from_numpy(self, array):
        return self.xp.array(array, order="C", copy=True)

    def to_numpy(self, x):
        return self.xp.asnumpy(x)

    def synchronize(self) -> None:
        self._device.synchronize()

    def as_strided(self, x, shape, strides, offset):
        size = x.itemsize
        return self.xp.ndarray(tuple(shape), x.dtype, x.data + offset * size,
                               strides=tuple(s * size for s in strides))

    def erf(self, x, out=None):
        from cupyx.scipy import special
        return special.erf(x, out=out) if out is not None else special.erf(x)

    def scatter_add(self, x, axis, index, src):
        import cupyx
        cupyx.scatter_add(x, self._full_index(axis, index), src)

    def dlpack(self, x):
        return x  # CuPy arrays export device memory directly

    # ----- custom kernels (sources in kernels.py, compiled by CuPy on first use) ----------------
    def random_bits(self, seed, offset, count):
        import numpy as np
        blocks = (count + 3) // 4
        out = self.xp.empty(blocks * 4, dtype=self.xp.uint32)
        if blocks:
            seed &= (1 << 64) - 1
            kernels.raw_kernel("unigrad_philox")(
                ((blocks + 255) // 256,), (256,),
                (out, np.uint64(offset // 4), np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32), np.int64(blocks)))
        return out[:count]

    def _softmax_rows(self, x, axis, log):
        import numpy as np
        if axis != x.ndim - 1 or x.dtype.name not in kernels.CTYPES or x.size == 0:
            method = ArrayModuleBackend.log_softmax if log else ArrayModuleBackend.softmax
            return method(self, x, axis)
        x = self.xp.ascontiguousarray(x)
        out = self.xp.empty_like(x)
        length = x.shape[-1]
        kernels.raw_kernel(f"unigrad_softmax_{kernels.CTYPES[x.dtype.name]}")(
            (x.size // length,), (256,), (x, out, np.int64(length), np.int32(log)))
        return out

    def softmax(self, x, axis):
        return self._softmax_rows(x, axis, False)

    def log_softmax(self, x, axis):
        return self._softmax_rows(x, axis, True)

    def sigmoid(self, x):
        return kernels.elementwise_kernel("sigmoid")(x)


for _name in REQUIRED_PRIMITIVES + tuple(n for n in OPTIONAL_FAST_PATHS):
    if _name not in ("strides",) and callable(getattr(CupyBackend, _name, None)):
        setattr(CupyBackend, _name, _on_device(getattr(CupyBackend, _name)))
