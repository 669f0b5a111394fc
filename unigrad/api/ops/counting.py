"""Counting into bins: bincount and histc, as ``scatter_add`` of ones (or weights) on the device.

Both have data-dependent results PyTorch also reads on the host: ``bincount``'s length (the
largest input) and ``histc``'s range when ``min == max`` (the input's extrema).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from .support import Tensor, check_device

_FLOAT_WEIGHTS = (dtypes.float32, dtypes.float64)
#: PyTorch's names of scalar types, as its "not implemented for" errors print them
SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                     "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                     "float64": "Double"}


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value ``0 .. max(input)`` occurs in the 1-D non-negative integer ``input``
    (summing ``weights`` instead of ones when given); at least ``minlength`` bins."""
    if input._dtype.is_floating_point or input._dtype is dtypes.bool:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{SCALAR_TYPE_NAMES[input._dtype.name]}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        check_device(input, weights, "bincount")
        if weights.ndim != 1 or weights._buf.shape[0] != input._buf.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    length = minlength
    if input.numel():
        low, high = (int(v) for v in _host_extrema(input))
        if low < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        length = max(length, high + 1)
    # float weights keep their dtype; any other dtype counts in float64, as PyTorch does
    dtype = dtypes.int64 if weights is None else weights._dtype if weights._dtype in _FLOAT_WEIGHTS \
        else dtypes.float64
    b = input._backend
    counts = b.full((length,), 0, dtype)
    if input.numel():
        index = pw.to_dtype(input.detach(), dtypes.int64)
        addend = b.full(index._buf.shape, 1, dtype) if weights is None else \
            pw.to_dtype(weights.detach(), dtype).contiguous()._buf
        b.scatter_add(counts, 0, index.contiguous()._buf, addend)
    return input._like(counts, dtype)


def _host_extrema(x: Tensor) -> tuple:
    """``(min, max)`` of ``x`` read on the host (one small transfer)."""
    b = x._backend
    axes = tuple(range(x.ndim))
    pair = np.stack([np.asarray(b.to_numpy(b.min(x._buf, axes, False))),
                     np.asarray(b.to_numpy(b.max(x._buf, axes, False)))])
    return tuple(pair.astype(np.float64 if x._dtype.is_floating_point else np.int64).tolist())


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002
    """Histogram of ``input`` with ``bins`` equal-width bins over ``[min, max]`` (the data's range
    when both are equal); elements outside it are ignored, ``max`` falls in the last bin."""
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{SCALAR_TYPE_NAMES[input._dtype.name]}\'')
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    low, high = float(min), float(max)
    if low == high and input.numel():
        low, high = _host_extrema(input)
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{_number(low)}, {_number(high)}] is not finite")
    if not low < high:
        raise RuntimeError("torch.histc: max must be larger than min")
    # PyTorch's edges are linspace(min, max, bins + 1) in the input's dtype: its ends are
    # those bounds rounded to that dtype
    first, last = (float(v) for v in np.asarray([low, high], dtype=np.float64).astype(input._dtype.numpy))
    b = input._backend
    counts = b.full((bins + 1,), 0, input._dtype)
    with no_grad():
        x = input.detach().reshape(-1)
        inside = pw.bitwise_and(pw.ge(x, first), pw.le(x, last))  # NaN is never inside
        # PyTorch's linear bin search, each step rounded in the input's dtype
        position = pw.floor(((x - first) * bins) / (last - first))
        position = pw.to_dtype(pw.clamp(pw.where(inside, position, float(bins)), max=float(bins)), dtypes.int64)
        position = pw.where(pw.bitwise_and(inside, pw.eq(position, bins)), bins - 1, position)
        if x.numel():
            b.scatter_add(counts, 0, position.contiguous()._buf, b.full(x._buf.shape, 1, input._dtype))
    return input._like(b.as_strided(counts, (bins,), (1,), 0))


def _number(value: float) -> str:
    """A bound as PyTorch prints it (``1``, ``inf``, ``-nan``...)."""
    if math.isnan(value):
        return "-nan"
    return str(int(value)) if math.isfinite(value) and value == int(value) else str(value)
