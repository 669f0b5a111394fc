"""Less common factory functions programs still use: ``scalar_tensor``, ``empty_strided``,
``frombuffer`` and the deprecated end-inclusive ``range``."""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import dtypes
from .creation import _check_dtype_supported, _finish, placement, tensor
from .tensor import Tensor

__all__ = ["empty_strided", "frombuffer", "range", "scalar_tensor"]


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-dim tensor holding ``s`` (the default floating dtype unless ``dtype`` is given)."""
    return tensor(s, dtype=dtype or dtypes.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` laid out with ``stride`` (in elements) in fresh
    storage just large enough for it."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    dev, backend = placement(device)
    _check_dtype_supported(dtype, backend, dev)
    storage = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    flat = backend.empty((storage,), dtype)
    return _finish(backend.as_strided(flat, size, stride, 0), dtype, dev, backend, requires_grad)


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D cpu tensor over an object implementing the buffer protocol (``bytearray``,
    ``array.array``, ``mmap``...), sharing its memory. A read-only buffer (``bytes``) is copied,
    with PyTorch's warning about non-writable buffers."""
    dtype = dtypes.as_dtype(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    length, itemsize = view.nbytes, dtype.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % itemsize:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) "
                             f"must be a multiple of element size ({itemsize})")
        count = (length - offset) // itemsize
    if offset + count * itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length ({length} bytes)")
    array = np.frombuffer(buffer, dtype=dtype.numpy, count=count, offset=offset)
    if view.readonly:
        warnings.warn("The given buffer is not writable; unigrad copies it (PyTorch would share "
                      "it and allow writes to the supposedly non-writable buffer).", UserWarning,
                      stacklevel=2)
        array = array.copy()
    dev, backend = placement("cpu")
    shared = backend.from_numpy_shared(array)
    buf = shared if shared is not None else backend.from_numpy(array)
    return _finish(buf, dtype, dev, backend, requires_grad)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A001
    """Deprecated: ``start, start+step, ...`` up to and *including* ``end``, in the default
    floating dtype unless ``dtype`` is given (PyTorch's ``torch.range``)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    size = int(math.floor((end - start) / step)) + 1
    values = np.arange(size, dtype=np.float64) * step + start
    return tensor(values, dtype=dtype or dtypes.get_default_dtype(), device=device,
                  requires_grad=requires_grad)
