"""Factory functions: ``tensor``, ``zeros``, ``arange``, ``rand`` and friends."""
from __future__ import annotations

import builtins
import math
import numbers

import numpy as np

from ..backends import registry
from . import dtypes
from .device import device as Device, get_default_device
from .errors import OutOfMemoryError
from .ops import random as rnd
from .ops.support import values_checked_on_host
from .tensor import Tensor

_placements: dict = {}


def placement(dev=None):
    """``(device, backend)`` for a device spec (None: the default device). Cached, so the hot
    path is one dict lookup."""
    if dev is None:
        dev = get_default_device()
    found = _placements.get(dev)
    if found is None:
        canonical = registry.canonical_device(dev)
        found = (canonical, registry.get_backend(canonical))
        _placements[dev] = found
    return found


def forget_placements() -> None:
    """Drop the cached device resolutions (after the index a bare ``"cuda"`` means has changed)."""
    _placements.clear()


def _check_dtype_supported(dtype: dtypes.dtype, backend, dev) -> None:
    if dtype not in backend.supported_dtypes:
        raise TypeError(unsupported_dtype_message(backend, dev, dtype))


def unsupported_dtype_message(backend, dev, dtype: dtypes.dtype) -> str:
    """``device X does not support dtype Y: why (supported: ...)``."""
    supported = ", ".join(sorted(d.name for d in backend.supported_dtypes))
    reason = backend.unsupported_reason(dtype)
    return f"device {dev} does not support dtype {dtype.name}{': ' + reason if reason else ''} (supported: {supported})"


_INT64_MAX = 2 ** 63 - 1
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _sizes(args: tuple, size, name: str) -> tuple:
    """The ``*size`` of a factory given positionally or as the ``size=`` keyword (as PyTorch)."""
    if size is None:
        return args
    if args:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    if isinstance(size, numbers.Integral):
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    return (size,)


def _shape_args(size, function: str = "tensor factory") -> tuple:
    """``size`` (ints, or one sequence of ints) as a shape: TypeError for non-integers (as
    PyTorch's argument parser), RuntimeError for negative sizes and sizes too large to address."""
    if len(size) == 1 and not isinstance(size[0], numbers.Integral) and not _is_int_tensor(size[0]):
        size = tuple(size[0])
    shape = []
    for s in size:
        if s.__class__ is bool or not (isinstance(s, numbers.Integral) or _is_int_tensor(s)):
            raise TypeError(f"{function}(): argument 'size' must be a tuple of ints, but found element of "
                            f"type {type(s).__name__}")
        shape.append(int(s))
    shape = tuple(shape)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    if math.prod(shape) > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    return shape


def _is_int_tensor(value) -> bool:
    return isinstance(value, Tensor) and value.ndim == 0 and not value._dtype.is_floating_point


def _dtype_argument(dtype, function: str) -> dtypes.dtype:
    """A factory's ``dtype=``: a dtype object (PyTorch refuses names such as ``"float32"``)."""
    if isinstance(dtype, str):
        raise TypeError(f"{function}(): argument 'dtype' must be unigrad.dtype, not str ({dtype!r})")
    return dtypes.as_dtype(dtype)


def _allocate(make, shape, dtype: dtypes.dtype, dev):
    """``make()``, with an allocation failure raised as an OutOfMemoryError (a RuntimeError, as in
    PyTorch) naming the request."""
    try:
        return make()
    except OutOfMemoryError:
        raise
    except MemoryError as error:
        raise OutOfMemoryError(f"{dev}: can't allocate memory: you tried to allocate "
                               f"{math.prod(shape) * dtype.itemsize} bytes for a tensor of shape "
                               f"{list(shape)} and dtype {dtype.name} ({error})") from None


def check_fill_value(value, dtype: dtypes.dtype):
    """A Python scalar written into ``dtype``, refused (RuntimeError, as in PyTorch) when it
    overflows the dtype's range; TypeError when it is not a number."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"fill value must be a number, not {type(value).__name__}")
    if dtype is dtypes.bool:
        return bool(value)
    if dtype.is_floating_point:
        value = float(value)
        # PyTorch checks 16- and 32-bit floats against float32's range (float16 overflows to inf)
        if dtype is not dtypes.float64 and math.isfinite(value) and abs(value) > _FLOAT32_MAX:
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    value = int(value)
    info = dtypes.iinfo(dtype)
    # as in PyTorch, uint8 takes negative values (they wrap); only too-large ones overflow
    if value > info.max or (value < info.min and dtype is not dtypes.uint8):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    return value


def _finish(buf, dtype, dev, backend, requires_grad: bool) -> Tensor:
    t = Tensor._make(buf, dtype, dev, backend)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data) -> dtypes.dtype:
    """PyTorch's inference for nested Python data: bool < int < float."""
    kind = None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            d = item._dtype
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        elif isinstance(item, np.ndarray):
            d = dtypes.from_numpy_dtype(item.dtype) if item.dtype != np.float64 else dtypes.get_default_dtype()
        else:
            if item.__class__ is int and not -2 ** 63 <= item <= _INT64_MAX:
                raise ValueError(f"Overflow when unpacking long long: {item} does not fit in int64")
            d = dtypes.scalar_dtype(item)
        kind = d if kind is None else dtypes.promote_types(kind, d) if d.category == kind.category \
            else (d if d.category > kind.category else kind)
    if kind is None:
        return dtypes.get_default_dtype()
    if kind.is_floating_point and kind is not dtypes.float64 and kind not in dtypes.LOW_PRECISION:
        return dtypes.get_default_dtype()
    return kind


def _to_host_array(data):
    if isinstance(data, Tensor):
        return np.asarray(data.detach()._host())
    if isinstance(data, (list, tuple)):
        return np.array([_to_host_array(item) if isinstance(item, (Tensor, list, tuple)) else item
                         for item in data])
    return np.asarray(data)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, NumPy arrays or tensors)."""
    if isinstance(data, Tensor) and device is None:
        device = data._device
    dev, backend = placement(device)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(data, np.ndarray) or hasattr(data, "__array_interface__"):
        array = np.asarray(data)
        if dtype is None:
            dtype = dtypes.from_numpy_dtype(array.dtype)
    elif isinstance(data, Tensor):
        array = np.asarray(data.detach()._host())
        dtype = dtype or data._dtype
    elif hasattr(data, "__dlpack__") and not isinstance(data, (list, tuple)):
        array = np.from_dlpack(data)
        dtype = dtype or dtypes.from_numpy_dtype(array.dtype)
    else:
        if dtype is None:
            dtype = _infer_dtype(data)
        try:
            array = _to_host_array(data)
        except ValueError as error:
            raise ValueError(f"tensor(): could not build a tensor from ragged nested data: {error}") from None
        if array.dtype == object:
            raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} elements")
    _check_dtype_supported(dtype, backend, dev)
    if array.dtype != dtype.numpy:
        array = _cast_host(array, dtype)
    return _finish(backend.from_numpy(array), dtype, dev, backend, requires_grad)


def _cast_host(array, dtype):
    if array.dtype.kind == "f" and not dtype.is_floating_point and dtype is not dtypes.bool:
        with np.errstate(invalid="ignore"):
            return np.trunc(array).astype(dtype.numpy)
    return array.astype(dtype.numpy)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but returns ``data`` itself when it already matches (no copy)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray) and device is None and dtype is None:
        dev, backend = placement(None)
        shared = backend.from_numpy_shared(data) if data.dtype.kind in "biuf" else None
        if shared is not None:
            return Tensor._make(shared, dtypes.from_numpy_dtype(data.dtype), dev, backend)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with the NumPy ``array`` (writes show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype = dtypes.from_numpy_dtype(array.dtype)
    dev, backend = placement("cpu")
    shared = backend.from_numpy_shared(array)
    return Tensor._make(shared if shared is not None else backend.from_numpy(array), dtype, dev, backend)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any object exporting ``__dlpack__`` (host memory here)."""
    if isinstance(obj, Tensor):
        return obj
    return from_numpy(np.from_dlpack(obj))


def _factory(size, dtype, device, requires_grad, fill, function="tensor factory"):
    shape = _shape_args(size, function)
    dev, backend = placement(device)
    dtype = _dtype_argument(dtype, function) if dtype is not None else dtypes.get_default_dtype()
    _check_dtype_supported(dtype, backend, dev)
    if fill is None:
        buf = _allocate(lambda: backend.empty(shape, dtype), shape, dtype, dev)
    else:
        value = (float(fill) if dtype.is_floating_point else fill == 1 if dtype is dtypes.bool else fill) \
            if fill.__class__ is int and 0 <= fill <= 1 else check_fill_value(fill, dtype)
        buf = _allocate(lambda: backend.full(shape, value, dtype), shape, dtype, dev)
    return _finish(buf, dtype, dev, backend, requires_grad)


def zeros(*args, size=None, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """A tensor of zeros."""
    return _factory(_sizes(args, size, "zeros"), dtype, device, requires_grad, 0, "zeros")


def ones(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _factory(_sizes(args, size, "ones"), dtype, device, requires_grad, 1, "ones")


def empty(*args, size=None, dtype=None, device=None, requires_grad: bool = False,
          memory_format=None) -> Tensor:
    """A tensor with uninitialised values."""
    return _factory(_sizes(args, size, "empty"), dtype, device, requires_grad, None, "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it when not given)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full(): argument 'fill_value' must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    return _factory((tuple(size),) if not isinstance(size, numbers.Integral) else (size,),
                    dtype, device, requires_grad, fill_value, "full")


def _like(x: Tensor, dtype, device):
    return (dtype if dtype is not None else x._dtype), (device if device is not None else x._device)


def zeros_like(x: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return _factory(tuple(x._buf.shape), dtype, device, requires_grad, 0)


def ones_like(x: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return _factory(tuple(x._buf.shape), dtype, device, requires_grad, 1)


def empty_like(x: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return _factory(tuple(x._buf.shape), dtype, device, requires_grad, None)


def full_like(x: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return _factory(tuple(x._buf.shape), dtype, device, requires_grad, fill_value)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values ``start, start+step, ...`` below ``end`` (int64 for integer arguments)."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v) for v in (start, end, step))
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if math.ceil((end - start) / step) > _INT64_MAX:
        raise RuntimeError(f"invalid size, possible overflow? (arange from {start} to {end} by {step})")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = builtins.any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    dtype = _dtype_argument(dtype, "arange")
    dev, backend = placement(device)
    _check_dtype_supported(dtype, backend, dev)
    count = (max(0, math.ceil((end - start) / step)),)
    buf = _allocate(lambda: backend.arange(start, end, step, dtype), count, dtype, dev)
    return _finish(buf, dtype, dev, backend, requires_grad)


def _number(value):
    if isinstance(value, Tensor):
        return value.item()
    return value


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start), _number(end)
    dtype = _dtype_argument(dtype, "linspace") if dtype is not None else dtypes.get_default_dtype()
    if steps.__class__ is bool or not isinstance(steps, numbers.Integral):
        raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dev, backend = placement(device)
    # PyTorch fills the two halves from each end, so the endpoints are exact.
    index = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    half = steps // 2
    values = np.where(index < half, start + step * index, end - step * (steps - 1 - index))
    if steps == 1:
        values = np.array([start], dtype=np.float64)
    return _finish(backend.from_numpy(_cast_host(values, dtype)), dtype, dev, backend, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None) -> Tensor:
    return linspace(start, end, steps, dtype=dtypes.float64, device=device).mul(math.log(base)).exp().to(
        dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype())


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` x ``m``)."""
    m = n if m is None else m
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    rows = arange(n, device=device).reshape(n, 1)
    cols = arange(m, device=device).reshape(1, m)
    out = (rows == cols).to(dtype)
    return out.requires_grad_(requires_grad) if requires_grad else out


# ----- random factories -------------------------------------------------------------------------
def _random_factory(size, dtype, device, requires_grad, make, function="random factory"):
    shape = _shape_args(size, function)
    dev, backend = placement(device)
    dtype = _dtype_argument(dtype, function) if dtype is not None else dtypes.get_default_dtype()
    _check_dtype_supported(dtype, backend, dev)
    buf = _allocate(lambda: make(backend, shape, dtype), shape, dtype, dev)
    return _finish(buf, dtype, dev, backend, requires_grad)


def rand(*args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the unigrad stream."""
    size = _sizes(args, size, "rand")
    if dtype is not None and not _dtype_argument(dtype, "rand").is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{dtypes.as_dtype(dtype).name}'")
    return _random_factory(size, dtype, device, requires_grad,
                           lambda b, s, d: rnd.uniform_buffer(b, s, d, generator), "rand")


def randn(*args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the unigrad stream."""
    size = _sizes(args, size, "randn")
    if dtype is not None and not _dtype_argument(dtype, "randn").is_floating_point:
        raise NotImplementedError(f"\"normal_kernel\" not implemented for '{dtypes.as_dtype(dtype).name}'")
    return _random_factory(size, dtype, device, requires_grad,
                           lambda b, s, d: rnd.normal_buffer(b, s, d, generator), "randn")


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high)."""
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    dtype = _dtype_argument(dtype, "randint") if dtype is not None else dtypes.int64
    return _random_factory((tuple(size),), dtype, device, requires_grad,
                           lambda b, s, d: rnd.integer_buffer(b, s, int(low), int(high), d, generator), "randint")


def rand_like(x: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return rand(tuple(x._buf.shape), dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(x: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return randn(tuple(x._buf.shape), dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(x: Tensor, low, high=None, *, dtype=None, device=None) -> Tensor:
    dtype, device = _like(x, dtype, device)
    return randint(low, high, tuple(x._buf.shape), dtype=dtype, device=device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if n.__class__ is bool or not (isinstance(n, numbers.Integral) or _is_int_tensor(n)):
        raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dev, backend = placement(device)
    out = Tensor._make(rnd.permutation_buffer(backend, n, generator), dtypes.int64, dev, backend)
    return out.to(dtypes.as_dtype(dtype)) if dtype is not None else out


def bernoulli(p: Tensor, *, generator=None) -> Tensor:
    """1 with probability ``p`` (element-wise), else 0."""
    if values_checked_on_host(p) and p.numel() and not ((p >= 0) & (p <= 1)).all().item():
        raise RuntimeError("bernoulli: expected every probability p to satisfy 0 <= p <= 1")
    u = p._like(rnd.uniform_buffer(p._backend, p._buf.shape, p._dtype, generator))
    return (u < p).to(p._dtype)


def normal(mean, std, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2); ``mean`` and ``std`` are numbers or tensors."""
    if isinstance(std, Tensor):  # PyTorch checks on every device (a synchronisation on GPUs)
        if std.numel() and not (std >= 0).all().item():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        z = ref._like(rnd.normal_buffer(ref._backend, tuple(
            np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))),
            ref._dtype, generator))
        return z * std + mean
    if size is None:
        raise TypeError("normal(): a size is needed when mean and std are numbers")
    samples = randn(tuple(size), generator=generator, dtype=dtype, device=device) * std + mean
    return samples.requires_grad_(True) if requires_grad else samples


def manual_seed(seed: int):
    """Seed the random stream shared by every device."""
    return rnd.manual_seed(seed)


def meshgrid(*tensors, indexing: str = "ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    shape = tuple(t.numel() for t in tensors)
    grids = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[i] = -1
        grids.append(t.reshape(view_shape).expand(shape))
    if swap:
        grids = [g.transpose(0, 1) for g in grids]
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
