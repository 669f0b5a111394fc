"""Pooling over ``windows`` views: max (the gradient goes to the first maximum of each window,
as in PyTorch), average and power-average (LP), for 1, 2 and 3 spatial dims."""
from __future__ import annotations

import functools
import math

from ...api import creation, dtypes
from ...api.ops import indexing, windows as win
from ...api.ops.pointwise import relu, sign
from ...api.ops.support import grad_state
from ...api.tensor import Tensor
from ...autograd.composite import presents_as
from .padding import _constant_pad


_NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}
_DIM_LETTERS = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _pool_tuple(value, n: int, arg: str, name: str) -> tuple:
    """A pooling argument as an n-tuple (an int or a 1-tuple repeats), PyTorch's message else."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"{name}: {arg} must either be a single int, or a tuple of "
                           f"{_NUMBER_WORDS[n]} ints")
    return value


def _named(label: str, values, n: int) -> str:
    """``kH: 0 kW: 0`` in PyTorch's style."""
    return " ".join(f"{label}{letter}: {v}" for letter, v in zip(_DIM_LETTERS[n], values))


def _pool_args(x: Tensor, kernel_size, stride, padding, dilation, n: int, name: str):
    """Batched ``x``, whether it was unbatched, and the checked kernel/stride/padding/dilation."""
    if x.ndim not in (n + 1, n + 2) or any(size == 0 for size in x.shape[x.ndim - n - 1:]):
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(x.shape)}")
    kernel = _pool_tuple(kernel_size, n, "kernel_size", name)
    stride = _pool_tuple(stride if stride not in (None, []) else kernel, n, "stride", name)
    padding, dilation = _pool_tuple(padding, n, "padding", name), _pool_tuple(dilation, n, "dilation", name)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('k', kernel, n)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {_named('dilation', dilation, n)}")
    unbatched = x.ndim == n + 1
    return (x.unsqueeze(0) if unbatched else x), unbatched, kernel, stride, padding, dilation


def _output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window must start inside the input or the left padding
    return out


def _pool_input(x, kernel, stride, padding, dilation, ceil_mode, fill, n):
    """``x`` padded so that exactly the PyTorch output windows fit."""
    pairs, outs = [], []
    for i in range(n):
        size = x.shape[2 + i]
        effective = (kernel[i] - 1) * dilation[i] + 1
        if padding[i] < 0 or padding[i] > effective // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={padding[i]}, kernel_size={kernel[i]} and dilation={dilation[i]}")
        outs.append(_output_size(size, kernel[i], stride[i], padding[i], dilation[i], ceil_mode))
    if any(out <= 0 for out in outs):
        lead = (x.shape[1],) + ((1,) if n == 1 else ())  # PyTorch pools 1-d as 2-d of height 1
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, lead + tuple(x.shape[2:])))}). "
                           f"Calculated output size: ({'x'.join(map(str, lead + tuple(outs)))}). "
                           "Output size is too small")
    for i in range(n):
        needed = (outs[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
        pairs.append((padding[i], needed - x.shape[2 + i] - padding[i]))
    flat = [(b, a) for b, a in reversed(pairs)]
    if any(b or a for b, a in flat):
        x = _constant_pad(x, flat, fill)  # a negative "after" crops rows no window reaches
    return x, outs


def _max_pool(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, name):
    x, unbatched, kernel, stride, padding, dilation = _pool_args(x, kernel_size, stride, padding, dilation,
                                                                 n, name)
    fill = -math.inf if x.dtype.is_floating_point else _lowest(x)
    padded, outs = _pool_input(x, kernel, stride, padding, dilation, ceil_mode, fill, n)
    # values alone (no gradient, no indices) need only running maxima: the composite's first step
    wants_positions = return_indices or (x.requires_grad and grad_state.enabled)
    fast = _window_max_fast(padded, kernel, stride, dilation) if wants_positions else None
    if fast is not None:
        values, positions = fast
    else:
        values, chosen = _window_max(padded, kernel, stride, dilation, return_indices)
    if not return_indices:
        return values.squeeze(0) if unbatched else values
    if fast is not None:
        indices = _unpadded_positions(positions, padded.shape[2:], padding, x.shape[2:])
    else:
        first_max = chosen.to(dtypes.uint8).argmax(-1)
        indices = _input_indices(first_max, kernel, stride, padding, dilation, x.shape[2:], outs, n, x.device)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def _window_max_fast(x: Tensor, kernel, stride, dilation):
    """The backend's ``max_pool`` fast path: values and each window's first-maximum position in
    ``x``'s plane; the gradient scatters into those positions. None when the backend has none."""
    b = x._backend
    if b.max_pool is None or not x.dtype.is_floating_point:
        return None
    result = b.max_pool(x._buf, tuple(kernel), tuple(stride), tuple(dilation))
    if result is NotImplemented:
        return None
    values = Tensor._make(result[0], x.dtype, x.device, b)
    positions = Tensor._make(result[1], dtypes.int64, x.device, b)
    if x.requires_grad and grad_state.enabled:
        shape, k = tuple(x.shape), len(kernel)
        lead = shape[:len(shape) - k]
        plane, windows = 1, 1
        for size in shape[len(shape) - k:]:
            plane *= size
        for size in positions.shape[len(lead):]:
            windows *= size
        positions_flat = positions.reshape(lead + (windows,))

        def backward(g):  # positions lie inside the plane: no bounds check needed
            src = g.reshape(lead + (windows,))
            grad = indexing.scatter_add_into_zeros(src, len(lead), positions_flat, lead + (plane,))
            return (grad.reshape(shape),)
        values._attach("MaxPoolBackward", backward, (x,))
    return values, positions


def _unpadded_positions(positions: Tensor, padded_sizes, padding, in_sizes) -> Tensor:
    """Flat positions in the padded plane -> flat indices into the unpadded input plane."""
    remaining, coords = positions, []
    for size in reversed(tuple(padded_sizes)):
        coords.append(remaining % size)
        remaining = remaining // size
    coords.reverse()
    flat = None
    for coord, pad, size in zip(coords, padding, in_sizes):
        coord = coord - pad
        flat = coord if flat is None else flat * size + coord
    return flat


def _window_max(x: Tensor, kernel, stride, dilation, want_first: bool = False):
    """Max over windows by element-wise maxima of strided views (no patch copy). Returns the
    values and, when a gradient or the indices need it, a one-hot of each window's first
    maximum (PyTorch's tie and NaN rule)."""
    b = x._backend
    views = [view for _, view in win.window_offsets(x, kernel, stride, dilation)]
    best = None
    for view in views:
        best = b.maximum(best, view) if best is not None else b.cast(view, x.dtype)
    needs_grad = x.requires_grad and grad_state.enabled
    if not (needs_grad or want_first):
        return Tensor._make(best, x.dtype, x.device, b), None
    count = len(views)
    chosen = b.empty(best.shape + (count,), dtypes.bool)  # one-hot: the first maximum
    slot_strides = b.strides(chosen)[:-1]
    taken = None
    for i, view in enumerate(views):
        hit = b.eq(view, best)
        if x.dtype.is_floating_point:  # a NaN window's maximum is its (first) NaN
            hit = b.add(hit, b.bitwise_and(b.eq(b.eq(view, view), False), b.eq(b.eq(best, best), False)))
        if taken is not None:
            hit = b.bitwise_and(hit, b.eq(taken, False))
            taken = b.add(taken, hit)
        else:
            taken = hit
        b.copy_(b.as_strided(chosen, best.shape, slot_strides, i), hit)
    values = Tensor._make(best, x.dtype, x.device, b)
    chosen_t = Tensor._make(chosen, dtypes.bool, x.device, b)
    if x.requires_grad and grad_state.enabled:
        shape, order = x.shape, win.memory_order(b.strides(x._buf))
        window_shape = tuple(best.shape) + tuple(kernel)

        def backward(g):
            patches = (g.unsqueeze(-1) * chosen_t).reshape(window_shape)
            return (win.fold(patches, shape, kernel, stride, dilation, order),)
        values._attach("MaxPoolBackward", backward, (x,))
    return values, chosen_t


def _lowest(x: Tensor):
    import numpy as np
    return int(np.iinfo(x.dtype.numpy).min)


def _input_indices(where, kernel, stride, padding, dilation, in_sizes, outs, n, device):
    """Window argmax -> flat index into each unpadded input plane (PyTorch's return_indices)."""
    flat_index = None
    remaining = where
    coords = []
    for i in reversed(range(n)):
        coords.append(remaining % kernel[i])
        remaining = remaining // kernel[i]
    coords.reverse()
    for i in range(n):
        shape = [1] * (2 + n)
        shape[2 + i] = outs[i]
        start = creation.arange(outs[i], device=device).reshape(shape) * stride[i] - padding[i]
        position = start + coords[i] * dilation[i]
        flat_index = position if flat_index is None else flat_index * in_sizes[i] + position
    return flat_index


def max_pool1d_with_indices(x: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``max_pool1d`` returning (values, indices) whatever ``return_indices`` says."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, True, 1, "max_pool1d")


def max_pool2d_with_indices(x: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``max_pool2d`` returning (values, indices) whatever ``return_indices`` says."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, True, 2, "max_pool2d")


def max_pool3d_with_indices(x: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``max_pool3d`` returning (values, indices) whatever ``return_indices`` says."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, True, 3, "max_pool3d")


def max_pool1d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of (N, C, L); ``return_indices`` as in PyTorch."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


@presents_as("MaxPool2DWithIndicesBackward0", "x")
def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W); ``return_indices`` as in PyTorch."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


@presents_as("MaxPool3DWithIndicesBackward0", "x")
def max_pool3d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of (N, C, D, H, W); ``return_indices`` as in PyTorch."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def _avg_pool(x: Tensor, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, n,
              name):
    x, unbatched, kernel, stride, padding, ones = _pool_args(x, kernel_size, stride, padding, 1, n, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    padded, outs = _pool_input(x, kernel, stride, padding, ones, ceil_mode, 0.0, n)
    patches = win.windows(padded, kernel, stride)
    total = patches.sum(tuple(range(-n, 0)))
    if divisor_override:
        out = total / divisor_override
    else:
        out = total / _divisors(x, kernel, stride, padding, outs, count_include_pad, n)
    if not x.dtype.is_floating_point:  # PyTorch divides integers and truncates toward zero
        out = out.trunc().to(x.dtype)
    return out.squeeze(0) if unbatched else out


def _divisors(x, kernel, stride, padding, outs, count_include_pad, n):
    """How many elements each window averages over (PyTorch's rule, per output position)."""
    result = None
    dtype = x.dtype if x.dtype.is_floating_point else dtypes.float32
    for i in range(n):
        counts = _window_counts(x.shape[2 + i], kernel[i], stride[i], padding[i], outs[i], count_include_pad)
        shape = [1] * (2 + n)
        shape[2 + i] = outs[i]
        c = creation.tensor(counts, dtype=dtype, device=x.device).reshape(shape)
        result = c if result is None else result * c
    return result


@functools.lru_cache(maxsize=256)
def _window_counts(size: int, kernel: int, stride: int, padding: int, outs: int, count_include_pad: bool):
    counts = []
    for o in range(outs):
        start = o * stride - padding
        end = min(start + kernel, size + padding)
        if not count_include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(end - start)
    return tuple(counts)


def avg_pool1d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


@presents_as("AvgPool2DBackward0", "x")
def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


@presents_as("AvgPool3DBackward0", "x")
def avg_pool3d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding windows of (N, C, D, H, W)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     "avg_pool3d")


def _lp_pool(x: Tensor, norm_type, kernel_size, stride, ceil_mode: bool, n: int) -> Tensor:
    """PyTorch's power-average pooling: ``(sum over the window of x**p) ** (1/p)``, with
    ``p = inf`` the max of ``|x|`` (and ``-inf`` the min)."""
    pools = (max_pool1d, max_pool2d, max_pool3d)
    averages = (avg_pool1d, avg_pool2d, avg_pool3d)
    if norm_type == math.inf:
        return pools[n - 1](x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -pools[n - 1](-x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    kernel = _pool_tuple(kernel_size, n, "kernel_size", f"lp_pool{n}d")
    count = 1
    for k in kernel:
        count *= k
    out = averages[n - 1](x.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (sign(out) * relu(out.abs())).mul(count).pow(1.0 / norm_type)


def lp_pool1d(x: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, L)."""
    return _lp_pool(x, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(x: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, H, W)."""
    return _lp_pool(x, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(x: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, D, H, W)."""
    return _lp_pool(x, norm_type, kernel_size, stride, ceil_mode, 3)
