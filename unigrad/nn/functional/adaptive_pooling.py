"""Adaptive pooling to a fixed output size, for 1, 2 and 3 spatial dims.

Cell ``i`` of a dim covers ``[floor(i*in/out), ceil((i+1)*in/out))`` (PyTorch's rule). When every
size divides evenly the cells are the windows of one strided view. Otherwise a box's average (or
maximum) is taken one dim at a time, last dim first: each step reads every cell's elements with
one gather (cells shorter than the longest repeat their last element, which the mean masks out
and the first-maximum rule never picks), so the cost is independent of the number of cells.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ...api import creation, dtypes
from ...api.ops import windows as win
from ...api.ops.indexing import gather_in_range
from ...api.ops.pointwise import where
from ...api.tensor import Tensor
from ...autograd.composite import present
from .conv import scalar_type_name
from .pooling import _input_indices
from .taps import along, positions, take


def _adaptive_input(x: Tensor, output_size, n: int, name: str):
    """Batched ``x``, whether it was unbatched, and the output sizes (``None`` keeps a size)."""
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(x.shape)}")
    for dim in range(x.ndim - n - 1, x.ndim):
        if x.shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {list(x.shape)} with dimension {dim} being empty")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{scalar_type_name(x.dtype)}\'')
    sizes = (output_size,) * n if output_size is None or isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != n:
        raise RuntimeError(f"{name}: output_size must be {n}")
    spatial = tuple(x.shape[x.ndim - n:])
    sizes = tuple(spatial[i] if s is None else int(s) for i, s in enumerate(sizes))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{', '.join(map(str, sizes))}}}")
    unbatched = x.ndim == n + 1
    return (x.unsqueeze(0) if unbatched else x), unbatched, sizes


@functools.lru_cache(maxsize=256)
def _cells(in_size: int, out_size: int):
    """Per output cell: its start, its length, and the (out, longest) positions it reads."""
    starts = [math.floor(i * in_size / out_size) for i in range(out_size)]
    lengths = [math.ceil((i + 1) * in_size / out_size) - s for i, s in enumerate(starts)]
    longest = max(lengths)
    table = np.array([[s + min(j, n - 1) for j in range(longest)] for s, n in zip(starts, lengths)],
                     dtype=np.int64)
    valid = np.array([[j < n for j in range(longest)] for n in lengths])
    return tuple(starts), tuple(lengths), longest, table, valid


def _gathered(x: Tensor, dim: int, in_size: int, out_size: int):
    """``x`` read along ``dim`` as (..., out, longest, ...), with the cell geometry."""
    starts, lengths, longest, table, valid = _cells(in_size, out_size)
    read = take(x, dim, positions(table, x.device))
    shape = tuple(x.shape[:dim]) + (out_size, longest) + tuple(x.shape[dim + 1:])
    return read.reshape(shape), starts, lengths, longest, valid


def _empty_output(x: Tensor, sizes) -> bool:
    return any(s == 0 for s in sizes) or x.shape[0] == 0 or x.shape[1] == 0


def _empty_like(x: Tensor, shape) -> Tensor:
    """An empty result of ``shape`` that is still part of ``x``'s graph."""
    return x.reshape(-1)[:0].reshape(shape)


def _adaptive_avg(x: Tensor, output_size, n: int, name: str) -> Tensor:
    x, unbatched, sizes = _adaptive_input(x, output_size, n, name)
    in_sizes = tuple(x.shape[2:])
    if _empty_output(x, sizes):
        out = _empty_like(x, tuple(x.shape[:2]) + sizes)
    elif all(i % o == 0 for i, o in zip(in_sizes, sizes)):  # even split: one windowed mean
        kernel = tuple(i // o for i, o in zip(in_sizes, sizes))
        patches = win.windows(x, kernel, kernel)
        out = patches.reshape(tuple(patches.shape[:2 + n]) + (-1,)).mean(-1)
    else:
        low_precision = x.dtype in (dtypes.float16, dtypes.bfloat16)  # sum in float32, round once
        out = x.float() if low_precision else x
        for dim in reversed(range(2, 2 + n)):
            out = _mean_along(out, dim, in_sizes[dim - 2], sizes[dim - 2])
        out = out.to(x.dtype) if low_precision else out
    return out.squeeze(0) if unbatched else out


def _mean_along(x: Tensor, dim: int, in_size: int, out_size: int) -> Tensor:
    if in_size == out_size:
        return x
    read, _, lengths, _, valid = _gathered(x, dim, in_size, out_size)
    if not valid.all():  # shorter cells repeat their last element: leave the repeats out
        mask = creation.tensor(valid, device=x.device).reshape(
            (1,) * dim + valid.shape + (1,) * (read.ndim - dim - 2))
        read = where(mask, read, 0.0)
    counts = along(lengths, dim, x.ndim, x.dtype, x.device)
    return read.sum(dim + 1) / counts


def _adaptive_max(x: Tensor, output_size, n: int, name: str, return_indices: bool):
    x, unbatched, sizes = _adaptive_input(x, output_size, n, name)
    in_sizes = tuple(x.shape[2:])
    if _empty_output(x, sizes):
        values = _empty_like(x, tuple(x.shape[:2]) + sizes)
        indices = values.detach().long()
    elif all(i % o == 0 for i, o in zip(in_sizes, sizes)):  # even split: one windowed argmax
        kernel = tuple(i // o for i, o in zip(in_sizes, sizes))
        patches = win.windows(x, kernel, kernel)
        values, where_max = patches.reshape(tuple(patches.shape[:2 + n]) + (-1,)).max(-1)
        indices = _input_indices(where_max, kernel, kernel, (0,) * n, (1,) * n, in_sizes, sizes, n,
                                 x.device) if return_indices else None
    else:
        values, indices = _separable_max(x, in_sizes, sizes, n, return_indices)
    if unbatched:
        values = values.squeeze(0)
        indices = indices.squeeze(0) if indices is not None else None
    return (values, indices) if return_indices else values


def _separable_max(x: Tensor, in_sizes, sizes, n: int, want_indices: bool):
    """Maxima one dim at a time (last first). Ties keep the first maximum in C order: each step
    keeps a row's first maximum, and the next keeps the first row holding the largest."""
    values, flat = x, None  # flat: each value's flat position in the input plane
    stride = 1
    for dim in reversed(range(2, 2 + n)):
        in_size, out_size = in_sizes[dim - 2], sizes[dim - 2]
        read, starts, _, _, _ = _gathered(values, dim, in_size, out_size)
        values, arg = read.max(dim + 1)
        if want_indices:
            start = along(starts, dim, values.ndim, dtypes.int64, x.device)
            coordinate = (arg + start) * stride
            if flat is not None:  # carry the positions already chosen in later dims
                cells = arg + start
                flat = gather_in_range(flat, dim, cells) + coordinate
            else:
                flat = coordinate
        stride *= in_size
    return values, flat


def adaptive_avg_pool1d(x: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) to a fixed output length (PyTorch's: a 2-d pool of height 1)."""
    size = output_size[0] if isinstance(output_size, (tuple, list)) and len(output_size) == 1 else output_size
    if x.ndim not in (2, 3) or not isinstance(size, int) or size < 0:
        return _adaptive_avg(x, output_size, 1, "adaptive_avg_pool1d")  # its checks and messages
    return adaptive_avg_pool2d(x.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, H, W) to a fixed output size (PyTorch's start/end rule per cell);
    to 1x1 it is PyTorch's mean over the plane."""
    if x.ndim in (3, 4) and _sizes_of(output_size, x, 2) == (1, 1):
        return x.mean((-1, -2), keepdim=True)
    return present(_adaptive_avg(x, output_size, 2, "adaptive_avg_pool2d"), "AdaptiveAvgPool2DBackward0", (x,))


def adaptive_avg_pool3d(x: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) to a fixed output size."""
    return present(_adaptive_avg(x, output_size, 3, "adaptive_avg_pool3d"), "AdaptiveAvgPool3DBackward0", (x,))


def _sizes_of(output_size, x: Tensor, n: int) -> tuple:
    """``output_size`` as n ints (None keeps the input's size)."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(sizes) != n:
        return ()
    return tuple(x.shape[x.ndim - n + i] if s is None else s for i, s in enumerate(sizes))


def _present_max(result, name: str, x: Tensor):
    if isinstance(result, tuple):
        return (present(result[0], name, (x,)), result[1])
    return present(result, name, (x,))


def adaptive_max_pool1d(x: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) to a fixed output length; ``return_indices`` as in PyTorch."""
    return _adaptive_max(x, output_size, 1, "adaptive_max_pool1d", return_indices)


def adaptive_max_pool2d(x: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) to a fixed output size; ``return_indices`` as in PyTorch."""
    return _present_max(_adaptive_max(x, output_size, 2, "adaptive_max_pool2d", return_indices),
                        "AdaptiveMaxPool2DBackward0", x)


def adaptive_max_pool3d(x: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) to a fixed output size; ``return_indices`` as in PyTorch."""
    return _present_max(_adaptive_max(x, output_size, 3, "adaptive_max_pool3d", return_indices),
                        "AdaptiveMaxPool3DBackward0", x)


def adaptive_max_pool1d_with_indices(x: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max(x, output_size, 1, "adaptive_max_pool1d", True)


def adaptive_max_pool2d_with_indices(x: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max(x, output_size, 2, "adaptive_max_pool2d", True)


def adaptive_max_pool3d_with_indices(x: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max(x, output_size, 3, "adaptive_max_pool3d", True)
