"""The OpenCL backend: every primitive as an OpenCL kernel on device buffers (device ``"opencl:N"``).

PyOpenCL is imported only when the backend is probed or used. One in-order command queue per
device: kernels are enqueued without waiting, and the host waits only when it reads data
(``to_numpy``, ``nonzero``'s count) or calls ``synchronize``.
"""
from __future__ import annotations

import functools
import math
import os
import weakref

import numpy as np

from ...api import dtypes as dt
from ..deferred_errors import FLAG_COUNT, DeferredErrors
from ..interface import Backend
from . import codegen, devices, layout, sorting
from .buffers import BufferPool, CLArray, Storage, contiguous_strides
from .programs import ProgramCache
from .matmul import Gemm

_BASE_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "bfloat16", "float32")
_BF16 = dt.bfloat16.numpy
_UINT16 = np.dtype(np.uint16)


def _fill_value(dtype: np.dtype, value):
    """``value`` as the scalar argument of a kernel writing ``dtype`` (bfloat16's is a float)."""
    return float(value) if dtype is _BF16 else dtype.type(value)


def _mark_forked(backend_ref) -> None:
    backend = backend_ref()
    if backend is not None:
        backend._forked = True  # the driver's threads and queues did not survive the fork


def _unary(op: str):
    def primitive(self, x, out=None):
        return self._map(op, out, [x])
    primitive.__name__ = op
    return primitive


def _binary(op: str):
    def primitive(self, a, b, out=None):
        return self._map(op, out, [a, b])
    primitive.__name__ = op
    return primitive


class OpenCLBackend(Backend):
    """Device ``"opencl:N"``: PyOpenCL buffers and generated kernels (PoCL on the CPU, or a vendor
    driver on a GPU). float64 where the device has fp64, float16 where it has cl_khr_fp16,
    bfloat16 everywhere (stored as 16-bit words, computed in float)."""

    name = "opencl"
    is_accelerator = True
    deferred_index_checks = True
    deferred_division_checks = True
    supported_dtypes = frozenset(dt.as_dtype(n) for n in _BASE_DTYPES + ("float64",))

    @classmethod
    def probe(cls) -> tuple[bool, str]:
        return devices.probe()

    @classmethod
    def device_count(cls) -> int:
        return len(devices.all_devices())

    @classmethod
    def inventory(cls) -> list[str]:
        return devices.describe_all()

    def __init__(self, index: int = 0) -> None:
        import pyopencl as cl

        super().__init__(index)
        self.cl = cl
        self.device = devices.all_devices()[index]
        self.context = cl.Context([self.device])
        self.queue = cl.CommandQueue(self.context)
        self.fp64 = bool(self.device.double_fp_config)
        self.fp16 = "cl_khr_fp16" in self.device.extensions
        names = _BASE_DTYPES + (("float64",) if self.fp64 else ()) + (("float16",) if self.fp16 else ())
        self.supported_dtypes = frozenset(dt.as_dtype(n) for n in names)
        self.is_cpu = bool(self.device.type & cl.device_type.CPU)
        self.max_group = min(64 if self.is_cpu else 256, self.device.max_work_group_size)
        self.group_1d = min(64, self.device.max_work_group_size)
        memory = self.device.global_mem_size
        self.pool = BufferPool(self.context, limit_bytes=min(memory // 2, 4 << 30))
        self.programs = ProgramCache(self.context, self.device)
        self.gemm = Gemm(self)
        self._dense_kernels: dict = {}
        self._errors = DeferredErrors("opencl", self._new_flags, self._read_flags, self._clear_flags)
        self._forked = False
        os.register_at_fork(after_in_child=functools.partial(_mark_forked, weakref.ref(self)))

    def unsupported_reason(self, dtype) -> str:
        name = self.device.name.strip()
        if dtype is dt.float16:
            return f"OpenCL device {name!r} lacks the cl_khr_fp16 extension"
        if dtype is dt.float64:
            return f"OpenCL device {name!r} has no double-precision support"
        return ""

    def describe(self) -> str:
        return (f"PyOpenCL {self.cl.VERSION_TEXT} on {self.device.name.strip()} "
                f"({self.device.platform.name.strip()} {self.device.platform.version.strip()})")

    def synchronize(self) -> None:
        self.queue.finish()
        self._errors.raise_pending()

    # ----- deferred errors: index and integer-division kernels flag faults in the launching
    # thread's flag buffer; that thread's next synchronisation reports them (deferred_errors)
    def _new_flags(self):
        return self.cl.Buffer(self.context, self.cl.mem_flags.READ_WRITE | self.cl.mem_flags.COPY_HOST_PTR,
                              hostbuf=np.zeros(FLAG_COUNT, np.int32))

    def _read_flags(self, flags):
        values = np.zeros(FLAG_COUNT, np.int32)
        self.cl.enqueue_copy(self.queue, values, flags, is_blocking=True)
        return values

    def _clear_flags(self, flags) -> None:
        self.cl.enqueue_copy(self.queue, flags, np.zeros(FLAG_COUNT, np.int32), is_blocking=True)

    # ----- allocation helpers -----------------------------------------------------------------
    def _refuse_if_forked(self) -> None:
        if self._forked:
            raise RuntimeError(
                "an OpenCL context cannot be used in a forked subprocess (a DataLoader worker, say): "
                "keep dataset tensors on 'cpu' and move batches to the device in the main process, or "
                "use multiprocessing_context='spawn'")

    def _new(self, shape, np_dtype) -> CLArray:
        if self._forked:
            self._refuse_if_forked()
        shape = tuple(shape)
        np_dtype = np.dtype(np_dtype)
        storage = Storage(self.pool, math.prod(shape) * np_dtype.itemsize)
        return CLArray(storage, shape, contiguous_strides(shape), 0, np_dtype, True)

    def _contiguous(self, x: CLArray) -> CLArray:
        """``x`` itself when C-contiguous, else a dense copy."""
        if x.dense:
            return x
        out = self._new(x.shape, x.dtype)
        self._elementwise("copy", out, [x])
        return out

    def _launch(self, kernel, global_size, local_size, *args) -> None:
        kernel(self.queue, global_size, local_size, *args)

    def _launch_1d(self, kernel, n: int, *args) -> None:
        """``n`` work-items (the kernel ignores those past its last ``n_total`` argument) in
        work-groups of one fixed size: PoCL compiles a kernel once per work-group size, so
        letting the driver pick one per global size would recompile for every new shape."""
        group = self.group_1d
        kernel(self.queue, (-(-n // group) * group,), (group,), *args, n)

    # ----- element-wise engine ----------------------------------------------------------------
    def _elementwise(self, op: str, out: CLArray, operands: list) -> CLArray:
        """Run element-wise ``op`` writing ``out``; operands are CLArrays of out's shape or Python
        scalars (whose C type is the array operands'). The kernel for a signature is looked up
        in one dict access on the hot path; layouts are only analysed for strided operands."""
        n = out.size
        if n == 0:
            return out
        shape = out.shape
        dense = out.dense
        signature = []
        for x in operands:
            if x.__class__ is CLArray:
                if x.shape != shape:  # the frontend broadcasts first; a mismatch is a caller's bug
                    raise ValueError(f"opencl {op}: operand shape {list(x.shape)} != result shape {list(shape)}")
                dense = dense and x.dense
                signature.append(x.dtype)
            else:
                signature.append(None)
        key = (op, out.dtype, tuple(signature), n >= 2 ** 32)
        if dense:
            kernel = self._dense_kernels.get(key)
            if kernel is None:
                kernel = self._dense_kernels[key] = self._elementwise_kernel(op, out, operands, None)
            args = [out.data, out.offset]
            for x in operands:
                if x.__class__ is CLArray:
                    args.append(x.data)
                    args.append(x.offset)
                else:
                    args.append(int(x) if isinstance(x, (bool, np.bool_)) else x)
            if op == "remainder" and _checks_division(out.dtype):
                args.append(self._errors.flags())
            self._launch_1d(kernel, n, *args)
            return out
        arrays = [out] + [x for x in operands if x.__class__ is CLArray]
        shape, strides = layout.coalesce(shape, [x.strides for x in arrays])
        ndim = None if layout.is_dense(shape, strides) else len(shape)
        kernel = self._elementwise_kernel(op, out, operands, ndim)
        args = [out.data, out.offset] + ([] if ndim is None else list(strides[0]))
        position = 1
        for x in operands:
            if x.__class__ is CLArray:
                args += [x.data, x.offset] + ([] if ndim is None else list(strides[position]))
                position += 1
            else:
                args.append(int(x) if isinstance(x, (bool, np.bool_)) else x)
        if op == "remainder" and _checks_division(out.dtype):
            args.append(self._errors.flags())
        if ndim is None:
            self._launch_1d(kernel, n, *args)
            return out
        args += list(shape)
        inner = shape[-1]
        size = (-(-inner // 16) * 16, shape[-2] if ndim >= 2 else 1, math.prod(shape[:-2]) if ndim >= 3 else 1)
        kernel(self.queue, size, (16, 1, 1), *args)
        return out

    def _elementwise_kernel(self, op, out, operands, ndim):
        values = operands[1:] if op == "where" else operands
        scalar_type = next((x.dtype for x in values if isinstance(x, CLArray)), out.dtype)
        spec = []
        for letter, x in zip("abc" if op != "where" else "cab", operands):
            spec.append((letter, codegen.ctype(x.dtype if isinstance(x, CLArray) else scalar_type),
                         not isinstance(x, CLArray)))
        logical = out.dtype == np.bool_
        index = "uint" if out.size < 2 ** 32 else "ulong"
        family = _family(op, out.dtype, spec)
        flags = op == "remainder" and _checks_division(out.dtype)
        key = ("ew", family, out.dtype.str, logical, tuple(spec), ndim, index, flags)
        return self.programs.get(
            key, lambda: (codegen.elementwise_source(family, codegen.ctype(out.dtype), spec, ndim, logical, index,
                                                     flags), None),
            kernel_name=f"ew_{op}",
            scalar_types=lambda: _elementwise_arg_types(spec, ndim, scalar_type, operands, flags))

    def _map(self, op, out, operands, result_dtype=None):
        first = operands[0]
        if out is None:
            dtype = first.dtype if result_dtype is None else np.dtype(result_dtype)
            if first._dense and not self._forked:  # a dense operand's shape and strides serve as they are
                storage = Storage(self.pool, first.size * dtype.itemsize)
                out = CLArray(storage, first.shape, first.strides, 0, dtype, True)
            else:
                out = self._new(first.shape, dtype)
        return self._elementwise(op, out, operands)

    # ----- creation and transfer ------------------------------------------------------------
    def empty(self, shape, dtype):
        return self._new(shape, dtype.numpy)

    def full(self, shape, value, dtype):
        out = self._new(shape, dtype.numpy)
        return self._elementwise("copy", out, [_fill_value(out.dtype, value)])

    def arange(self, start, stop, step, dtype):
        count = max(0, math.ceil((stop - start) / step))
        out = self._new((count,), dtype.numpy)
        if count:
            c = codegen.ctype(out.dtype)
            work = np.int64 if not codegen.is_float(c) else (np.float64 if self.fp64 else np.float32)
            kernel = self.programs.get(("arange", c), lambda: (codegen.arange_source(c, self.fp64), "arange"),
                                       scalar_types=lambda: [None, work, work, np.int64])
            self._launch_1d(kernel, count, out.data, work(start), work(step))
        return out

    def from_numpy(self, array):
        array = np.asarray(array, order="C")
        out = self._new(array.shape, array.dtype)
        if array.size:  # bfloat16 has no buffer-protocol format: its bits travel as uint16
            self.cl.enqueue_copy(self.queue, out.data, array.view(_UINT16) if array.dtype is _BF16 else array,
                                 is_blocking=False)
        return out

    def to_numpy(self, x):
        self._refuse_if_forked()
        result = np.empty(x.shape, x.dtype)
        if result.size:
            dense = self._contiguous(x)
            self.cl.enqueue_copy(self.queue, result.view(_UINT16) if result.dtype is _BF16 else result,
                                 dense.data, src_offset=dense.offset * x.dtype.itemsize, is_blocking=True)
        self._errors.raise_pending()
        return result

    # ----- memory, views, casting -----------------------------------------------------------
    def strides(self, x):
        return x.strides

    def data_ptr(self, x):
        # the cl_mem handle (OpenCL gives no device addresses) plus the view's byte offset
        return x.storage.buffer.int_ptr + x.offset * x.dtype.itemsize

    def as_strided(self, x, shape, strides, offset):
        return CLArray(x.storage, tuple(shape), tuple(strides), x.offset + offset, x.dtype)

    def storage_position(self, x):
        return id(x.storage), x.offset * x.dtype.itemsize

    def copy_(self, dst, src):
        self._elementwise("copy", dst, [src])

    def cast(self, x, dtype):
        out = self._new(x.shape, dtype.numpy)
        return self._elementwise("ne_zero" if dtype == dt.bool else "copy", out, [x])

    # ----- element-wise -----------------------------------------------------------------------
    # one generated kernel family each (see codegen.expression)
    neg = _unary('neg')
    abs = _unary('abs')
    exp = _unary('exp')
    log = _unary('log')
    log1p = _unary('log1p')
    expm1 = _unary('expm1')
    sqrt = _unary('sqrt')
    sin = _unary('sin')
    cos = _unary('cos')
    tanh = _unary('tanh')
    erf = _unary('erf')
    floor = _unary('floor')
    round = _unary('round')
    asin = _unary('asin')
    acos = _unary('acos')
    atan = _unary('atan')
    sinh = _unary('sinh')
    cosh = _unary('cosh')
    asinh = _unary('asinh')
    acosh = _unary('acosh')
    atanh = _unary('atanh')
    erfc = _unary('erfc')
    erfinv = _unary('erfinv')
    lgamma = _unary('lgamma')
    digamma = _unary('digamma')

    add = _binary('add')
    sub = _binary('sub')
    mul = _binary('mul')
    div = _binary('div')
    pow = _binary('pow')
    maximum = _binary('maximum')
    minimum = _binary('minimum')
    remainder = _binary('remainder')
    atan2 = _binary('atan2')

    def eq(self, a, b):
        return self._map("eq", None, [a, b], np.bool_)

    def lt(self, a, b):
        return self._map("lt", None, [a, b], np.bool_)

    def bitwise_and(self, a, b):
        return self._map("bitwise_and", None, [a, b])

    def where(self, condition, a, b):
        out = self._new(condition.shape, a.dtype)
        return self._elementwise("where", out, [condition, a, b])

    def sigmoid(self, x):
        return self._map("sigmoid", None, [x])

    # ----- reductions ---------------------------------------------------------------------------
    def _reduce(self, op, x, axes, keepdims, out_dtype, empty_value=None):
        kept_axes = [d for d in range(x.ndim) if d not in axes]
        out_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape)) if keepdims \
            else tuple(x.shape[d] for d in kept_axes)
        out = self._new(out_shape, out_dtype)
        if out.size == 0:
            return out
        total = math.prod(x.shape[d] for d in axes)
        if total == 0:
            return self._elementwise("copy", out, [_fill_value(out.dtype, empty_value)])
        kept_shape, (kept_strides,) = layout.coalesce([x.shape[d] for d in kept_axes],
                                                      [[x.strides[d] for d in kept_axes]])
        red_shape, (red_strides,) = layout.coalesce([x.shape[d] for d in axes], [[x.strides[d] for d in axes]])
        # a work-group runs on one core of a CPU device, so a tree there buys nothing but barriers
        group = 1 if total < 32 or self.is_cpu else min(self.max_group, 1 << (total - 1).bit_length())
        in_c, out_c = codegen.ctype(x.dtype), codegen.ctype(out.dtype)
        family = ("argmax",) if op == "argmax" else ("sum", "prod", "max", "min") if in_c == out_c else ("sum", "prod")
        # on a CPU each output is one sequential loop: float sums accumulate in double there
        wide = self.is_cpu and self.fp64
        key = ("reduce", family, in_c, out_c, len(kept_shape), len(red_shape), group, wide)
        kernel = self.programs.get(
            key, lambda: (codegen.reduction_source(family, in_c, out_c, len(kept_shape), len(red_shape), group, wide),
                          None),
            kernel_name=f"reduce_{op}",
            scalar_types=lambda: [None, None] + [np.int64] * (2 + 2 * len(kept_shape) + 2 * len(red_shape)))
        args = [out.data, x.data, x.offset, total]
        for n, s in zip(kept_shape, kept_strides):
            args += [n, s]
        for n, s in zip(red_shape, red_strides):
            args += [n, s]
        self._launch(kernel, (out.size * group,), (group,), *args)
        return out

    def sum(self, x, axes, keepdims, dtype):
        return self._reduce("sum", x, axes, keepdims, dtype.numpy, 0)

    def prod(self, x, axes, keepdims, dtype):
        return self._reduce("prod", x, axes, keepdims, dtype.numpy, 1)

    def max(self, x, axes, keepdims):
        return self._reduce("max", x, axes, keepdims, x.dtype)

    def min(self, x, axes, keepdims):
        return self._reduce("min", x, axes, keepdims, x.dtype)

    def argmax(self, x, axis, keepdims):
        return self._reduce("argmax", x, (axis,), keepdims, np.int64)

    # ----- linear algebra ---------------------------------------------------------------------
    def matmul(self, a, b):
        return self.gemm(a, b)

    # ----- indexing ---------------------------------------------------------------------------
    def _indexing_kernel(self, name, c, ndim, axis):
        key = ("index", c, ndim, axis)
        source = lambda: (codegen.indexing_source(c, ndim, axis), None)
        return self.programs.get(key, source, kernel_name=name, scalar_types=lambda: _indexing_arg_types(name, ndim))

    def gather(self, x, axis, index):
        out = self._new(index.shape, x.dtype)
        if out.size == 0:
            return out
        kernel = self._indexing_kernel("gather", codegen.ctype(x.dtype), x.ndim, axis)
        self._launch_1d(kernel, out.size, out.data, x.data, x.offset, *x.strides, index.data, index.offset,
                        *index.strides, x.shape[axis], self._errors.flags(), *index.shape)
        return out

    def _scatter(self, x, axis, index, src, mode):
        lines = index.size // index.shape[axis] if index.shape[axis] else 0
        if lines == 0:
            return
        kernel = self._indexing_kernel("scatter_lines", codegen.ctype(x.dtype), x.ndim, axis)
        self._launch_1d(kernel, lines, x.data, x.offset, *x.strides, index.data, index.offset, *index.strides,
                        src.data, src.offset, *src.strides, np.int32(mode), x.shape[axis], self._errors.flags(),
                        *index.shape)

    def scatter(self, x, axis, index, src):
        self._scatter(x, axis, index, src, 0)

    def scatter_add(self, x, axis, index, src):
        self._scatter(x, axis, index, src, 1)

    def scatter_reduce(self, x, axis, index, src, reduce):
        self._scatter(x, axis, index, src, _SCATTER_MODES[reduce])

    def nonzero(self, x):
        mask = self.cast(x, dt.bool) if x.ndim else self.cast(self.as_strided(x, (1,), (1,), 0), dt.bool)
        count = int(self.to_numpy(self.sum(mask, tuple(range(mask.ndim)), False, dt.int64)))
        out = self._new((count, x.ndim), np.int64)
        if count:
            ndim = max(x.ndim, 1)
            kernel = self.programs.get(("nonzero", ndim), lambda: (codegen.nonzero_source("uchar", ndim), "nonzero"),
                                       scalar_types=lambda: [None, None] + [np.int64] * (2 + ndim))
            self._launch(kernel, (1,), (1,), out.data, mask.data, mask.offset, mask.size, *mask.shape)
        return out

    # ----- sorting ----------------------------------------------------------------------------
    def sort(self, x, axis, descending):
        return sorting.sort(self, x, axis, descending)

    # ----- random -----------------------------------------------------------------------------
    def random_bits(self, seed, offset, count):
        blocks = (count + 3) // 4
        out = self._new((blocks * 4,), np.uint32)
        if blocks:
            seed &= (1 << 64) - 1
            kernel = self.programs.get(("philox",), lambda: (codegen.philox_source(), "philox"),
                                       scalar_types=lambda: [None, np.uint64, np.uint32, np.uint32, np.int64])
            self._launch_1d(kernel, blocks, out.data, offset // 4, seed & 0xFFFFFFFF, seed >> 32)
        return self.as_strided(out, (count,), (1,), 0)

    def uniform_from_bits(self, bits, dtype):
        bits = self._contiguous(bits)
        per = 2 if dtype == dt.float64 else 1
        out = self._new((bits.size // per,), dtype.numpy)
        if out.size:
            c = codegen.ctype(out.dtype)
            kernel = self.programs.get(("uniform", c), lambda: (codegen.uniform_source(c), "uniform"),
                                       scalar_types=lambda: [None, None, np.int64, np.int64])
            self._launch_1d(kernel, out.size, out.data, bits.data, bits.offset)
        return out

    # ----- fast paths ---------------------------------------------------------------------------
    def _softmax(self, x, axis, log):
        out = self._new(x.shape, x.dtype)
        if out.size == 0:
            return out
        kept_axes = [d for d in range(x.ndim) if d != axis]
        length = x.shape[axis]
        group = 1 if length < 32 else min(self.max_group, 1 << (length - 1).bit_length())
        c = codegen.ctype(x.dtype)
        kernel = self.programs.get(
            ("softmax", c, len(kept_axes), group, log),
            lambda: (codegen.softmax_source(c, len(kept_axes), group, log), "softmax"),
            scalar_types=lambda: [None, None] + [np.int64] * (4 + 3 * len(kept_axes)))
        args = [out.data, x.data, x.offset, length, x.strides[axis], out.strides[axis]]
        for d in kept_axes:
            args += [x.shape[d], x.strides[d], out.strides[d]]
        self._launch(kernel, (out.size // length * group,), (group,), *args)
        return out

    def softmax(self, x, axis):
        return self._softmax(x, axis, False)

    def log_softmax(self, x, axis):
        return self._softmax(x, axis, True)


_FLOAT_UNARY = ("copy", "neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh", "erf",
                "floor", "round", "sigmoid")
#: the optional element-wise primitives build as programs of their own, only when one is used
_SPECIAL_UNARY = ("erfc", "erfinv", "lgamma", "digamma")
_INVERSE_UNARY = ("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh")
_INT_UNARY = ("copy", "neg", "abs")
_FLOAT_BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder")
_INT_BINARY = ("add", "sub", "mul", "pow", "maximum", "minimum", "bitwise_and")  # remainder: own signature
_BOOL_BINARY = ("add", "mul", "maximum", "minimum", "bitwise_and")


def _family(op: str, out_dtype, spec) -> tuple:
    """The ops compiled into one program with ``op``: those sharing its kernel signature."""
    same_type = all(c == codegen.ctype(out_dtype) for _, c, _ in spec)
    kind = "f" if codegen.is_float(codegen.ctype(out_dtype)) else np.dtype(out_dtype).kind
    if op in ("eq", "lt"):
        return ("eq", "lt")
    if op in ("where", "ne_zero") or not same_type:
        return (op,)
    for optional in (_SPECIAL_UNARY, _INVERSE_UNARY):
        if op in optional:
            return optional if kind == "f" and len(spec) == 1 else (op,)
    table = {1: (_FLOAT_UNARY if kind == "f" else _INT_UNARY),
             2: (_FLOAT_BINARY if kind == "f" else _BOOL_BINARY if kind == "b" else _INT_BINARY)}
    family = table.get(len(spec), ())
    return family if op in family else (op,)


def _checks_division(dtype) -> bool:
    """Whether ``remainder`` on ``dtype`` flags zero divisors (integers; floats give NaN)."""
    return dtype.kind in "iu"


def _elementwise_arg_types(spec, ndim, scalar_type, operands, flags=False):
    strides = [] if ndim is None else [np.int64] * ndim
    types = [None, np.int64] + strides
    for (_, _, scalar), x in zip(spec, operands):  # then the flags, the sizes (strided) or the count
        if scalar:
            types.append(np.dtype(np.uint8) if np.dtype(scalar_type) == np.bool_ else
                         np.dtype(np.float32) if np.dtype(scalar_type) == _BF16 else np.dtype(scalar_type))
        else:
            types += [None, np.int64] + strides
    return types + ([None] if flags else []) + (strides if ndim is not None else [np.int64])


_SCATTER_MODES = {"prod": 2, "amax": 3, "amin": 4}  # the scatter_lines kernel's fold modes


def _indexing_arg_types(name, ndim):
    longs = [np.int64] * ndim
    if name == "gather":
        return [None, None, np.int64] + longs + [None, np.int64] + longs + [np.int64, None] + longs + [np.int64]
    return ([None, np.int64] + longs + [None, np.int64] + longs + [None, np.int64] + longs + [np.int32, np.int64, None]
            + longs + [np.int64])
