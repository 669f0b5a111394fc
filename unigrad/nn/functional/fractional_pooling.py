"""Fractional max pooling (Graham, 2014): max over ``kernel_size`` windows whose starts advance
by a fractional, pseudo-random step, so that the output has any size below the input's.

Each (batch, channel) plane draws one uniform sample per spatial dim (from unigrad's Philox
stream unless ``_random_samples`` is given); window ``i`` of a dim starts at
``int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (in - k) / (out - 1)``, the last at
``in - k`` (PyTorch's sequence, computed in the input's dtype on the device). The windows are
read with one gather; ties keep the first maximum in C order.
"""
from __future__ import annotations

import itertools

import numpy as np

from ...api import creation, dtypes
from ...api.ops import shape as sh
from ...api.ops.indexing import gather_in_range
from ...api.tensor import Tensor

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _ntuple(value, n: int) -> tuple:
    return (value,) * n if isinstance(value, (int, float)) else tuple(value)


def _starts(samples: Tensor, in_size: int, out_size: int, kernel: int) -> Tensor:
    """(N, C, out) window starts along one dim from (N, C) samples in [0, 1)."""
    batch, channels = samples.shape
    if out_size == 0:
        return creation.zeros((batch, channels, 0), dtype=dtypes.int64, device=samples.device)
    last = creation.full((batch, channels, 1), in_size - kernel, dtype=dtypes.int64, device=samples.device)
    if out_size == 1:
        return last
    real = np.dtype(samples.dtype.numpy).type if samples.dtype is not dtypes.bfloat16 else np.float32
    alpha = float(real(in_size - kernel) / real(out_size - 1))  # PyTorch divides in the input's dtype
    u = samples.unsqueeze(-1)
    steps = creation.arange(out_size - 1, dtype=samples.dtype, device=samples.device)
    starts = ((steps + u) * alpha).trunc().long() - (u * alpha).trunc().long()
    # samples outside [0, 1) would step outside the input: keep every window inside it
    return sh.cat([starts.clamp(0, in_size - kernel), last], -1)


def _fractional_max_pool(x: Tensor, kernel_size, output_size, output_ratio, random_samples, n: int,
                         return_indices: bool):
    name = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(x.shape)}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{x.dtype.name}\'')
    kernel = _ntuple(kernel_size, n)
    in_sizes = tuple(x.shape[x.ndim - n:])
    if output_size is None:
        ratio = _ntuple(output_ratio, n)
        sizes = tuple(int(size * r) for size, r in zip(in_sizes, ratio))
    else:
        sizes = tuple(int(s) for s in _ntuple(output_size, n))
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    batch, channels = x.shape[0], x.shape[1]
    for dim_name, size, k, out in zip(_DIM_NAMES[n], in_sizes, kernel, sizes):
        if out + k - 1 > size:
            raise RuntimeError(f"{name}(): pool {dim_name} {k} too large relative to input {dim_name} {size}")
    if random_samples is None:
        random_samples = creation.rand((batch, channels, n), dtype=x.dtype, device=x.device)
    else:
        _check_samples(random_samples, batch, channels, n)
    # PyTorch pairs the samples with the dims last first (width, height[, time]) in 2-d
    order = tuple(reversed(range(n))) if n == 2 else tuple(range(n))
    flat = None  # (N, C, *out) flat position of each window's first element
    for d in range(n):
        starts = _starts(random_samples[:batch, :, order[d]], in_sizes[d], sizes[d], kernel[d])
        starts = starts.reshape((batch, channels) + tuple(sizes[d] if e == d else 1 for e in range(n)))
        flat = starts if flat is None else flat * in_sizes[d] + starts
    offsets = _window_offsets(in_sizes, kernel)
    index = flat.unsqueeze(-1) + creation.tensor(offsets, device=x.device)  # (N, C, *out, K)
    plane, count = int(np.prod(in_sizes)), int(np.prod(index.shape[2:]))
    reads = gather_in_range(x.reshape(batch, channels, plane), 2, index.reshape(batch, channels, count))
    values, arg = reads.reshape(tuple(index.shape)).max(-1)
    if unbatched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    indices = gather_in_range(index, index.ndim - 1, arg.unsqueeze(-1)).squeeze(-1)
    return values, indices.squeeze(0) if unbatched else indices


def _window_offsets(in_sizes, kernel) -> np.ndarray:
    """Flat offsets, within the input plane, of a window's elements in C order."""
    strides = [1] * len(in_sizes)
    for i in range(len(in_sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * in_sizes[i + 1]
    return np.array([sum(o * s for o, s in zip(offset, strides))
                     for offset in itertools.product(*(range(k) for k in kernel))], dtype=np.int64)


def _check_samples(samples: Tensor, batch: int, channels: int, n: int) -> None:
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to be 3-D (N, C, {n}), got shape {list(samples.shape)}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {samples.shape[2]}.")


def fractional_max_pool2d(x: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) to ``output_size`` or ``output_ratio`` of the input."""
    return _fractional_max_pool(x, kernel_size, output_size, output_ratio, _random_samples, 2, return_indices)


def fractional_max_pool3d(x: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W) to ``output_size`` or ``output_ratio`` of the input."""
    return _fractional_max_pool(x, kernel_size, output_size, output_ratio, _random_samples, 3, return_indices)


def fractional_max_pool2d_with_indices(x: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(x, kernel_size, output_size, output_ratio, _random_samples, 2, True)


def fractional_max_pool3d_with_indices(x: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(x, kernel_size, output_size, output_ratio, _random_samples, 3, True)
