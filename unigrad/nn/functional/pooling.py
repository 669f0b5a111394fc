"""Pooling over ``windows`` views: max (values via gather, so the gradient goes to the first
maximum of each window, as in PyTorch), average, and adaptive variants."""
from __future__ import annotations

import math
from ...api import creation, dtypes
from ...api.ops import indexing, shape as sh, windows as win
from ...api.ops.support import grad_state
from ...api.tensor import Tensor
from .conv import _tuple
from .padding import _constant_pad


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
        if padding[i] * 2 > kernel[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={padding[i]}, kernel_size={kernel[i]}")
        out = _output_size(size, kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
        if out <= 0:
            raise RuntimeError(f"Given input size {list(x.shape)}, the calculated output size is "
                               f"too small")
        needed = (out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
        after = needed - size - padding[i]
        pairs.append((padding[i], after))
        outs.append(out)
    flat = [(b, a) for b, a in reversed(pairs)]
    if any(b or a for b, a in flat):
        x = _constant_pad(x, flat, fill)  # a negative "after" crops rows no window reaches
    return x, outs


def _max_pool(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, name):
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    kernel = _tuple(kernel_size, n, "kernel_size")
    stride = _tuple(stride if stride not in (None, []) else kernel, n, "stride")
    padding, dilation = _tuple(padding, n, "padding"), _tuple(dilation, n, "dilation")
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


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, H, W); ``return_indices`` as in PyTorch."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def _avg_pool(x: Tensor, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, n):
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    kernel = _tuple(kernel_size, n, "kernel_size")
    stride = _tuple(stride if stride not in (None, []) else kernel, n, "stride")
    padding = _tuple(padding, n, "padding")
    ones = (1,) * n
    padded, outs = _pool_input(x, kernel, stride, padding, ones, ceil_mode, 0.0, n)
    patches = win.windows(padded, kernel, stride)
    dims = tuple(range(-n, 0))
    total = patches.sum(dims)
    if divisor_override:
        out = total / divisor_override
    else:
        out = total / _divisors(x, kernel, stride, padding, outs, count_include_pad, n)
    return out.squeeze(0) if unbatched else out


def _divisors(x, kernel, stride, padding, outs, count_include_pad, n):
    """How many elements each window averages over (PyTorch's rule, per output position)."""
    result = None
    for i in range(n):
        size = x.shape[2 + i]
        counts = []
        for o in range(outs[i]):
            start = o * stride[i] - padding[i]
            end = min(start + kernel[i], size + padding[i])
            if not count_include_pad:
                start, end = max(start, 0), min(end, size)
            counts.append(end - start)
        shape = [1] * (2 + n)
        shape[2 + i] = outs[i]
        c = creation.tensor(counts, dtype=x.dtype, device=x.device).reshape(shape)
        result = c if result is None else result * c
    return result


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding windows of (N, C, H, W)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def _adaptive_bounds(in_size: int, out_size: int):
    return [(math.floor(i * in_size / out_size), math.ceil((i + 1) * in_size / out_size))
            for i in range(out_size)]


def _adaptive_input(x: Tensor, output_size, n: int):
    """Batched ``x``, whether it was unbatched, the output sizes (``None`` keeps the input size)
    and, when every size divides evenly, the window each cell covers (else ``None``)."""
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    sizes = _tuple(output_size, n, "output_size")
    sizes = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(sizes))
    in_sizes = tuple(x.shape[2:])
    kernel = None
    if all(i % o == 0 for i, o in zip(in_sizes, sizes)):
        kernel = tuple(i // o for i, o in zip(in_sizes, sizes))
    return x, unbatched, sizes, kernel


def _flat_windows(x: Tensor, kernel, n: int) -> Tensor:
    """Non-overlapping ``kernel`` windows of ``x``, each flattened into the last dimension."""
    patches = win.windows(x, kernel, kernel)
    return patches.reshape(tuple(patches.shape[:2 + n]) + (-1,))


def _adaptive(x: Tensor, output_size, n: int, reduce):
    x, unbatched, sizes, kernel = _adaptive_input(x, output_size, n)
    if kernel is not None:  # even split: one windowed reduction
        out = reduce(_flat_windows(x, kernel, n))
    else:
        out = _adaptive_cells(x, sizes, n, reduce)
    return out.squeeze(0) if unbatched else out


def _adaptive_cells(x, sizes, n, reduce):
    bounds = [_adaptive_bounds(x.shape[2 + i], sizes[i]) for i in range(n)]
    if n == 1:
        cells = [reduce(x[:, :, a:b]) for a, b in bounds[0]]
        return sh.stack(cells, -1)
    rows = []
    for a, b in bounds[0]:
        rows.append(sh.stack([reduce(x[:, :, a:b, c:d].reshape(x.shape[0], x.shape[1], -1))
                              for c, d in bounds[1]], -1))
    return sh.stack(rows, -2)


def adaptive_avg_pool1d(x, output_size):
    return _adaptive(x, output_size, 1, lambda t: t.mean(-1))


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size (PyTorch's start/end rule per cell)."""
    return _adaptive(x, output_size, 2, lambda t: t.mean(-1))


def _adaptive_max_with_indices(x: Tensor, output_size, n: int):
    """Adaptive max pooling that also returns, per cell, the flat index of its first maximum
    in the input plane (PyTorch's ``return_indices``)."""
    x, unbatched, sizes, kernel = _adaptive_input(x, output_size, n)
    if kernel is not None:  # even split: one windowed argmax
        values, where = _flat_windows(x, kernel, n).max(-1)
        indices = _input_indices(where, kernel, kernel, (0,) * n, (1,) * n, tuple(x.shape[2:]), sizes,
                                 n, x.device)
    else:
        values, indices = _adaptive_max_cells(x, sizes, n)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def _adaptive_max_cells(x, sizes, n):
    """Uneven split: each cell's maximum and its flat input index, one cell at a time."""
    bounds = [_adaptive_bounds(x.shape[2 + i], sizes[i]) for i in range(n)]
    batch, channels = x.shape[0], x.shape[1]
    if n == 1:
        cells = [x[:, :, a:b].max(-1) for a, b in bounds[0]]
        return (sh.stack([v for v, _ in cells], -1),
                sh.stack([k + a for (_, k), (a, _) in zip(cells, bounds[0])], -1))
    width = x.shape[3]
    value_rows, index_rows = [], []
    for a, b in bounds[0]:
        values, indices = [], []
        for c, d in bounds[1]:
            v, k = x[:, :, a:b, c:d].reshape(batch, channels, -1).max(-1)
            values.append(v)
            indices.append((k // (d - c) + a) * width + k % (d - c) + c)
        value_rows.append(sh.stack(values, -1))
        index_rows.append(sh.stack(indices, -1))
    return sh.stack(value_rows, -2), sh.stack(index_rows, -2)


def adaptive_max_pool1d(x, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed output length; ``return_indices`` as in PyTorch."""
    if return_indices:
        return _adaptive_max_with_indices(x, output_size, 1)
    return _adaptive(x, output_size, 1, lambda t: t.max(-1).values)


def adaptive_max_pool2d(x, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) to a fixed output size; ``return_indices`` as in PyTorch."""
    if return_indices:
        return _adaptive_max_with_indices(x, output_size, 2)
    return _adaptive(x, output_size, 2, lambda t: t.max(-1).values)
