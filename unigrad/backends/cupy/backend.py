"""The CUDA backend: the NumPy backend's array logic on CuPy arrays (device type ``"cuda"``).

CuPy is imported only when the backend is probed or used, never by ``import unigrad``.
"""
from __future__ import annotations

import functools

import numpy as np

from ...api import dtypes as dt
from ..bfloat16_work import compute_bfloat16_in_float32
from ..deferred_errors import DIVISION_FLAG, FLAG_COUNT, DeferredErrors
from ..numpy.backend import ArrayModuleBackend
from . import kernels
from ..interface import REQUIRED_PRIMITIVES, OPTIONAL_FAST_PATHS, OPTIONAL_PRIMITIVES

_BF16 = dt.bfloat16.numpy
_BITS = np.dtype(np.uint16)


def _holds_bfloat16(cupy) -> str:
    """"" when CuPy can hold ml_dtypes' bfloat16 and convert it to and from float32 (all the
    bfloat16 support the backend needs), else why not."""
    try:
        host = np.array([1.5, -2.0], dtype=_BF16)
        device = cupy.asarray(host.view(_BITS)).view(_BF16)
        back = device.astype(cupy.float32).astype(_BF16)
        if not np.array_equal(cupy.asnumpy(back.view(cupy.uint16)), host.view(_BITS)):
            return "bfloat16 round trip through float32 changed the values"
        return ""
    except Exception as error:  # older CuPy: no ml_dtypes support
        return f"CuPy {cupy.__version__} cannot hold ml_dtypes.bfloat16 ({type(error).__name__}); CuPy 14+ can"


def _on_device(method, device):
    """Run a bound primitive with ``device`` as CuPy's current device."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with device:
            return method(*args, **kwargs)
    return wrapper


def _ufunc_at(ufunc, older):
    """``ufunc.at`` (CuPy 13+), or the older ``cupyx.scatter_*`` function it replaced."""
    return getattr(ufunc, "at", None) or older


@compute_bfloat16_in_float32
class CupyBackend(ArrayModuleBackend):
    """Device ``"cuda:N"``: CuPy arrays on GPU N (cuBLAS for matmul). bfloat16 where CuPy holds
    ml_dtypes' bfloat16 (CuPy 14+), computed in float32 (see ``bfloat16_work``)."""

    name = "cuda"
    is_accelerator = True
    deferred_index_checks = True  # index kernels flag bad indices; raised at the next sync
    deferred_division_checks = True  # integer remainder flags zero divisors; raised at the next sync
    process_group_transports = {"nccl": "unigrad.backends.cupy.nccl:NCCLTransport"}

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
        self._errors = DeferredErrors("cuda", self._new_flags, lambda flags: flags.get(),
                                      lambda flags: flags.fill(0))
        self._bfloat16_missing = _holds_bfloat16(cupy)
        if not self._bfloat16_missing:
            self.supported_dtypes = frozenset(dt.ALL_DTYPES)
        if cupy.cuda.runtime.getDeviceCount() > 1:
            # several GPUs: make this backend's GPU current around every primitive (with one GPU
            # it always is, and the context switch would cost a microsecond per op)
            for name in _DEVICE_BOUND:
                setattr(self, name, _on_device(getattr(self, name), self._device))

    def describe(self) -> str:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(self.index)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return f"CuPy {cupy.__version__} on {name}"

    def unsupported_reason(self, dtype) -> str:
        return self._bfloat16_missing if dtype is dt.bfloat16 else ""

    def from_numpy(self, array):
        if array.dtype is _BF16:  # its bits travel as uint16
            return self.xp.array(array.view(_BITS), order="C", copy=True).view(_BF16)
        return self.xp.array(array, order="C", copy=True)

    def to_numpy(self, x):
        array = self.xp.asnumpy(x.view(_BITS)).view(_BF16) if x.dtype is _BF16 else self.xp.asnumpy(x)
        self._errors.raise_pending()
        return array

    def synchronize(self) -> None:
        self._device.synchronize()
        self._errors.raise_pending()

    # ----- deferred errors: kernels flag faults in the launching thread's flags on the GPU; that
    # thread's next synchronisation reports them (see ``deferred_errors``)
    def _new_flags(self):
        with self._device:
            return self.xp.zeros(FLAG_COUNT, dtype=self.xp.int32)

    def remainder(self, a, b, out=None):
        if a.dtype.kind in "iu" and isinstance(b, self.xp.ndarray) and b.size:
            flags = self._errors.flags()
            slot = flags[DIVISION_FLAG:DIVISION_FLAG + 1]
            # "any zero divisor" or-ed into the flag on the GPU: no host round trip
            self.xp.maximum(slot, (b == 0).any().astype(self.xp.int32), out=slot)
        return super().remainder(a, b, out)

    # ----- indexing: one kernel launch each, index ranges checked on the GPU ----------------------
    def _launch(self, name, count, *args):
        """One thread per element; the error flags are the kernel's last argument."""
        kernels.raw_kernel(name)(((count + 255) // 256,), (256,), (*args, self._errors.flags()))

    def _check_index(self, index, limit):
        index = self.xp.ascontiguousarray(index)
        if index.size:
            self._launch("unigrad_index_check", index.size, index, np.int64(index.size), np.int64(limit))

    @staticmethod
    def _collapsed(x, axis, index):
        """(n_index, n_x, inner) when ``x`` and ``index`` are C-contiguous and agree off ``axis``."""
        if not (x.flags.c_contiguous and index.flags.c_contiguous and x.dtype.name in kernels.CTYPES):
            return None
        if x.shape[:axis] != index.shape[:axis] or x.shape[axis + 1:] != index.shape[axis + 1:]:
            return None
        inner = 1
        for n in x.shape[axis + 1:]:
            inner *= n
        return index.shape[axis], x.shape[axis], inner

    def gather(self, x, axis, index):
        geometry = self._collapsed(x, axis, index)
        if geometry is None:
            self._check_index(index, x.shape[axis])
            return super().gather(x, axis, index)
        out = self.xp.empty(index.shape, dtype=x.dtype)
        if out.size:
            self._launch(f"unigrad_gather_{kernels.CTYPES[x.dtype.name]}", out.size, x, index, out,
                         np.int64(out.size), *(np.int64(n) for n in geometry))
        return out

    def scatter_add(self, x, axis, index, src):
        import cupyx
        src = self.xp.ascontiguousarray(src)
        geometry = self._collapsed(x, axis, index)
        if geometry is None or src.shape != index.shape:
            self._check_index(index, x.shape[axis])
            _ufunc_at(self.xp.add, cupyx.scatter_add)(x, self._full_index(axis, index), src)
            return
        if index.size:
            self._launch(f"unigrad_scatter_add_{kernels.CTYPES[x.dtype.name]}", index.size, x, index, src,
                         np.int64(index.size), *(np.int64(n) for n in geometry))

    def as_strided(self, x, shape, strides, offset):
        size = x.itemsize
        return self.xp.ndarray(shape, x.dtype, x.data + offset * size if offset else x.data,
                               strides=[s * size for s in strides])

    def storage_position(self, x):
        return id(x.data.mem), x.data.ptr  # views share the Memory object; ptr is an address

    def full(self, shape, value, dtype):
        if value == 0:  # a memset, half the host cost of cupy.full
            return self.xp.zeros(shape, dtype.numpy)
        return self.xp.full(shape, value, dtype.numpy)

    def copy_(self, dst, src):
        dst[...] = src  # CuPy's setitem copy dispatches faster than copyto

    def cast(self, x, dtype):
        target = dtype.numpy
        if x.dtype.kind == "f" and target.kind in "iu" and target.itemsize < 8:
            # C casts of out-of-range floats saturate on the GPU; go through int64 and wrap, as
            # NumPy and PyTorch do (-1.0 -> uint8 255)
            return x.astype(self.xp.int64).astype(target)
        return x.astype(target)

    def max(self, x, axes, keepdims):
        return self.xp.amax(x, axis=axes, keepdims=keepdims)  # CuPy has no maximum.reduce

    def min(self, x, axes, keepdims):
        return self.xp.amin(x, axis=axes, keepdims=keepdims)

    def scatter_reduce(self, x, axis, index, src, reduce):
        """amax/amin through CuPy's atomic ``ufunc.at`` (or ``cupyx.scatter_max``/``_min``), NaN
        sources then forced into their targets (atomic max/min compare numbers only); there is no
        atomic product: prod falls back to the frontend's composite."""
        import cupyx
        if reduce == "prod":
            return NotImplemented
        if index.size == 0:
            return None
        self._check_index(index, x.shape[axis])
        where = self._full_index(axis, index)
        older = cupyx.scatter_max if reduce == "amax" else cupyx.scatter_min
        try:
            _ufunc_at(self.xp.maximum if reduce == "amax" else self.xp.minimum, older)(x, where, src)
        except (TypeError, NotImplementedError):  # a dtype without atomics: x is a scratch copy
            return NotImplemented
        if x.dtype.kind == "f":
            nan_sources = self.xp.zeros(x.shape, self.xp.int32)
            _ufunc_at(self.xp.add, cupyx.scatter_add)(nan_sources, where, self.xp.isnan(src).astype(self.xp.int32))
            x[nan_sources > 0] = self.xp.nan
        return None

    def scatter(self, x, axis, index, src):
        """Last write in C order wins, as on the CPU: CUDA's plain scattered stores race, so each
        target first learns (atomic max over write positions) which write is the last."""
        import cupyx
        xp = self.xp
        self._check_index(index, x.shape[axis])
        where = self._full_index(axis, index)
        if index.shape[axis] <= 1:  # every target addressed at most once
            x[where] = src
            return
        grids = [xp.broadcast_to(g, index.shape).ravel() for g in where]
        flat = xp.ravel_multi_index(grids, x.shape)
        position = xp.arange(flat.size, dtype=xp.int32)
        last = xp.full(x.size, -1, dtype=xp.int32)
        _ufunc_at(xp.maximum, cupyx.scatter_max)(last, flat, position)
        keep = last[flat] == position
        x[tuple(g[keep] for g in grids)] = xp.broadcast_to(src, index.shape).ravel()[keep]

    def erf(self, x, out=None):
        from cupyx.scipy import special
        return special.erf(x, out=out) if out is not None else special.erf(x)

    # ----- optional special functions: cupyx.scipy.special's kernels (atan, atan2 are CuPy's) ---
    def _scipy_special(self, name, x, out):
        """``cupyx.scipy.special.<name>`` of ``x`` in ``x``'s dtype (float16 computed in float32)."""
        from cupyx.scipy import special
        result = getattr(special, name)(x.astype(self.xp.float32) if x.dtype == self.xp.float16 else x)
        return self._into(result, x.dtype, out)

    def _into(self, result, dtype, out):
        if result.dtype != dtype:
            result = result.astype(dtype)
        if out is None:
            return result
        out[...] = result
        return out

    def erfc(self, x, out=None):
        return self._scipy_special("erfc", x, out)

    def erfinv(self, x, out=None):
        return self._scipy_special("erfinv", x, out)

    def lgamma(self, x, out=None):
        values = self._scipy_special("gammaln", x, None)
        # SciPy's gammaln(-inf) is -inf; PyTorch's lgamma (and C's) is +inf there
        return self._into(self.xp.where(self.xp.isinf(x), self.xp.asarray(self.xp.inf, values.dtype), values),
                          x.dtype, out)

    def digamma(self, x, out=None):
        return self._scipy_special("digamma", x, out)

    def dlpack(self, x):
        return x  # CuPy arrays export device memory directly

    def data_ptr(self, x):
        return x.data.ptr

    # ----- custom kernels (sources in kernels.py, compiled by CuPy on first use) ----------------
    def random_bits(self, seed, offset, count):
        blocks = (count + 3) // 4
        out = self.xp.empty(blocks * 4, dtype=self.xp.uint32)
        if blocks:
            seed &= (1 << 64) - 1
            kernels.raw_kernel("unigrad_philox")(
                ((blocks + 255) // 256,), (256,),
                (out, np.uint64(offset // 4), np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32), np.int64(blocks)))
        return out[:count]

    def _softmax_rows(self, x, axis, log):
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

    @staticmethod
    def _planar(kernel, stride, dilation):
        """1-d windows as 2-d ones of height 1."""
        if len(kernel) == 2:
            return kernel, stride, dilation
        return (1,) + tuple(kernel), (1,) + tuple(stride), (1,) + tuple(dilation)

    def max_pool(self, x, kernel, stride, dilation):
        k = len(kernel)
        if x.dtype.name not in kernels.CTYPES or k > 2 or x.ndim < k:
            return NotImplemented
        lead, spatial = x.shape[:x.ndim - k], x.shape[x.ndim - k:]
        out_sizes = tuple((n - d * (ks - 1) - 1) // s + 1 for n, ks, s, d in zip(spatial, kernel, stride, dilation))
        kernel, stride, dilation = self._planar(kernel, stride, dilation)
        (h, w), (oh, ow) = (((1,) + spatial, (1,) + out_sizes) if k == 1 else (spatial, out_sizes))
        x = self.xp.ascontiguousarray(x)
        values = self.xp.empty(lead + out_sizes, dtype=x.dtype)
        positions = self.xp.empty(lead + out_sizes, dtype=self.xp.int64)
        if values.size:
            kernels.raw_kernel(f"unigrad_max_pool_{kernels.CTYPES[x.dtype.name]}")(
                ((values.size + 255) // 256,), (256,),
                (x, values, positions, np.int64(values.size), np.int64(h), np.int64(w), np.int64(oh), np.int64(ow),
                 *(np.int32(v) for v in kernel + stride + dilation)))
        return values, positions

    def fold(self, patches, shape, kernel, stride, dilation):
        k = len(kernel)
        lead = tuple(shape[:len(shape) - k])
        if patches.dtype.name not in kernels.CTYPES or k > 2 or len(lead) > 2:
            return NotImplemented
        strides = self.strides(patches)
        lead_strides, rest = strides[:len(lead)], strides[len(lead):]
        out_sizes, spatial = patches.shape[len(lead):len(lead) + k], tuple(shape[len(lead):])
        if k == 1:
            out_sizes, spatial, rest = (1,) + out_sizes, (1,) + spatial, (0, rest[0], 0, rest[1])
        lead_sizes = (1,) * (2 - len(lead)) + lead
        lead_strides = (0,) * (2 - len(lead)) + tuple(lead_strides)
        kernel, stride, dilation = self._planar(kernel, stride, dilation)
        out = self.xp.empty(tuple(shape), dtype=patches.dtype)
        if out.size:
            kernels.raw_kernel(f"unigrad_fold_{kernels.CTYPES[patches.dtype.name]}")(
                ((out.size + 255) // 256,), (256,),
                (patches, out, np.int64(out.size), np.int64(lead_sizes[1]), np.int64(spatial[0]),
                 np.int64(spatial[1]), np.int64(out_sizes[0]), np.int64(out_sizes[1]),
                 *(np.int32(v) for v in kernel + stride + dilation),
                 *(np.int64(v) for v in lead_strides + tuple(rest))))
        return out

    def sigmoid(self, x):
        return kernels.elementwise_kernel("sigmoid")(x)

    def replay_program(self, body, inputs, written, stable):
        """Compiled programs as CUDA graphs (see ``graphs.py``)."""
        from .graphs import capture_program
        return capture_program(self, body, inputs, written, stable)

    def _stable_argsort(self, keys, axis):
        # Thrust's stable_sort_by_key under a NaN-last comparator (CuPy's argsort takes no kind)
        return keys.argsort(axis=axis)


_DEVICE_BOUND = tuple(name for name in REQUIRED_PRIMITIVES + OPTIONAL_FAST_PATHS + OPTIONAL_PRIMITIVES
                      if name not in ("strides", "as_strided") and callable(getattr(CupyBackend, name, None)))
