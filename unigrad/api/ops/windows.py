"""Sliding windows (im2col as a strided view) and their adjoint, fold (col2im).

``windows`` views the last dims of a tensor as overlapping patches without copying; its gradient
is ``fold``, which adds each patch back where it came from (overlaps accumulate). Convolution and
pooling are built on this pair, so they work on any backend that implements ``as_strided``.
"""
from __future__ import annotations

import itertools

from .support import Tensor, grad_state, wrap_dim


def _window_geometry(shape, strides, kernel, stride, dilation):
    k = len(kernel)
    lead_shape, lead_strides = shape[:-k], strides[:-k]
    out_sizes, out_strides, in_strides = [], [], []
    for size, step, ks, st, dl in zip(shape[-k:], strides[-k:], kernel, stride, dilation):
        count = (size - dl * (ks - 1) - 1) // st + 1
        if count <= 0:
            raise RuntimeError(f"window of size {ks} (dilation {dl}) does not fit in a dimension of "
                               f"size {size} (input shape {list(shape)})")
        out_sizes.append(count)
        out_strides.append(step * st)
        in_strides.append(step * dl)
    new_shape = tuple(lead_shape) + tuple(out_sizes) + tuple(kernel)
    new_strides = tuple(lead_strides) + tuple(out_strides) + tuple(in_strides)
    return new_shape, new_strides, tuple(out_sizes)


def windows(x: Tensor, kernel, stride, dilation=None) -> Tensor:
    """Patches over the last ``len(kernel)`` dims: shape ``(*lead, *out, *kernel)`` (a view)."""
    kernel, stride = tuple(kernel), tuple(stride)
    dilation = tuple(dilation) if dilation is not None else (1,) * len(kernel)
    shape = x._buf.shape
    strides = x._backend.strides(x._buf)
    new_shape, new_strides, _ = _window_geometry(shape, strides, kernel, stride, dilation)
    out = Tensor._make(x._backend.as_strided(x._buf, new_shape, new_strides, 0), x._dtype,
                       x._device, x._backend)
    out._version = x._version
    if x._requires_grad and grad_state.enabled:
        # the gradient is laid out in memory like x (e.g. channels-last), so fold adds along
        # runs that are contiguous in both
        order = memory_order(strides)
        out._attach("UnfoldBackward0",
                    lambda g: (fold(g, shape, kernel, stride, dilation, order),), (x,))
    return out


def memory_order(strides) -> tuple:
    """Dims from outermost to innermost in memory (by decreasing stride)."""
    return tuple(sorted(range(len(strides)), key=lambda d: -abs(strides[d])))


def fold(patches: Tensor, shape, kernel, stride, dilation=None, order=None) -> Tensor:
    """The adjoint of ``windows``: a tensor of ``shape`` where every patch element is added at
    the position it was read from. ``order`` lays the result out in memory (default C order)."""
    kernel, stride, shape = tuple(kernel), tuple(stride), tuple(shape)
    dilation = tuple(dilation) if dilation is not None else (1,) * len(kernel)
    b = patches._backend
    buf = NotImplemented
    if b.fold is not None and (order is None or tuple(order) == tuple(range(len(shape)))):
        buf = b.fold(patches._buf, shape, kernel, stride, dilation)
    if buf is NotImplemented and _kernel_major(patches, len(kernel)) and any(st > 1 for st in stride):
        buf = _fold_by_phases(patches, shape, kernel, stride, dilation, order)
    elif buf is NotImplemented:
        buf = _fold_by_strided_adds(patches, shape, kernel, stride, dilation, order)
    out = Tensor._make(buf, patches._dtype, patches._device, b)
    if patches._requires_grad and grad_state.enabled:
        out._attach("FoldBackward0", lambda g: (windows(g, kernel, stride, dilation),), (patches,))
    return out


def _fold_by_strided_adds(patches: Tensor, shape, kernel, stride, dilation, order):
    """fold from primitives: one strided add per kernel offset, each over the whole output."""
    b = patches._backend
    from .support import contiguous_strides
    if order is None or tuple(order) == tuple(range(len(shape))):
        buf = b.full(shape, 0, patches._dtype)
        base_strides = contiguous_strides(shape)
    else:
        memory_shape = tuple(shape[d] for d in order)
        memory_strides = contiguous_strides(memory_shape)
        base_strides = [0] * len(shape)
        for position, d in enumerate(order):
            base_strides[d] = memory_strides[position]
        base_strides = tuple(base_strides)
        buf = b.as_strided(b.full(memory_shape, 0, patches._dtype), shape, base_strides, 0)
    k = len(kernel)
    lead = len(shape) - k
    _, _, out_sizes = _window_geometry(shape, base_strides, kernel, stride, dilation)
    target_shape = tuple(shape[:lead]) + out_sizes
    target_strides = tuple(base_strides[:lead]) + tuple(
        s * st for s, st in zip(base_strides[lead:], stride))
    src_strides = b.strides(patches._buf)
    source_strides = src_strides[:len(src_strides) - k]
    # Visit dims in the result's memory order, so each add runs along contiguous memory.
    visit = order if order is not None else tuple(range(len(shape)))
    view_shape = tuple(target_shape[d] for d in visit)
    view_target = tuple(target_strides[d] for d in visit)
    view_source = tuple(source_strides[d] for d in visit)
    # one strided add per kernel offset: prod(kernel) passes, each over the whole output
    for offset in kernel_offsets(kernel):
        start = sum(o * dl * s for o, dl, s in zip(offset, dilation, base_strides[lead:]))
        target = b.as_strided(buf, view_shape, view_target, start)
        src_start = sum(o * s for o, s in zip(offset, src_strides[len(src_strides) - k:]))
        source = b.as_strided(patches._buf, view_shape, view_source, src_start)
        b.add(target, source, out=target)
    return buf


def _kernel_major(patches: Tensor, k: int) -> bool:
    """Whether every kernel dim of ``patches`` lies outside all its other dims in memory: then
    each kernel offset's patch elements are one block with runs as long as the inner dims allow."""
    strides = [abs(s) for s in patches._backend.strides(patches._buf)]
    shape = patches._buf.shape
    inner = [s * n for s, n in zip(strides[:-k], shape[:-k]) if n > 1]
    return all(s >= max(inner, default=0) for s, n in zip(strides[-k:], shape[-k:]) if n > 1)


def _fold_by_phases(patches: Tensor, shape, kernel, stride, dilation, order):
    """fold from primitives for a stride above 1, from kernel-major ``patches``.

    Output position ``i`` (per spatial dim) splits into a phase ``i % stride`` and a position
    ``i // stride`` within it. Each kernel offset adds into one phase only, at a shift, so its add
    runs along memory with the phase's inner dims whole (instead of one element or channel run in
    ``stride``); one strided copy then interleaves the phases into the result.
    """
    from .support import contiguous_strides
    b = patches._backend
    k = len(kernel)
    lead = len(shape) - k
    order = tuple(order) if order is not None else tuple(range(len(shape)))
    phase_sizes = tuple(-(-size // st) for size, st in zip(shape[lead:], stride))
    grid = tuple(shape[:lead]) + phase_sizes  # one phase, logical
    grid_memory_strides = contiguous_strides(tuple(grid[d] for d in order))
    grid_strides = [0] * len(shape)
    for position, d in enumerate(order):
        grid_strides[d] = grid_memory_strides[position]
    phase_count, phase_numel = 1, 1
    for st in stride:
        phase_count *= st
    for size in grid:
        phase_numel *= size
    phases = b.full((phase_count * phase_numel,), 0, patches._dtype)
    out_sizes = tuple(patches._buf.shape[lead:lead + k])
    view_shape = tuple(shape[d] if d < lead else out_sizes[d - lead] for d in order)
    view_target = tuple(grid_strides[d] for d in order)
    src_strides = b.strides(patches._buf)
    view_source = tuple(src_strides[d] for d in order)
    phase_strides = contiguous_strides(tuple(stride))
    for offset in kernel_offsets(kernel):
        reach = [o * dl for o, dl in zip(offset, dilation)]
        phase = sum((r % st) * ps for r, st, ps in zip(reach, stride, phase_strides))
        start = phase * phase_numel + sum((r // st) * grid_strides[lead + i]
                                          for i, (r, st) in enumerate(zip(reach, stride)))
        target = b.as_strided(phases, view_shape, view_target, start)
        src_start = sum(o * s for o, s in zip(offset, src_strides[len(src_strides) - k:]))
        source = b.as_strided(patches._buf, view_shape, view_source, src_start)
        b.add(target, source, out=target)
    # interleave: result position (p, r) per spatial dim, p * stride + r, from phase r at p
    full_shape = tuple(shape[:lead]) + tuple(p * st for p, st in zip(phase_sizes, stride))
    memory_strides = contiguous_strides(tuple(full_shape[d] for d in order))
    base_strides = [0] * len(shape)
    for position, d in enumerate(order):
        base_strides[d] = memory_strides[position]
    result = b.empty((phase_numel * phase_count,), patches._dtype)
    split_shape, split_target, split_source = [], [], []
    for d in order:
        if d < lead:
            split_shape.append(shape[d])
            split_target.append(base_strides[d])
            split_source.append(grid_strides[d])
        else:
            i = d - lead
            split_shape += [phase_sizes[i], stride[i]]
            split_target += [base_strides[d] * stride[i], base_strides[d]]
            split_source += [grid_strides[d], phase_strides[i] * phase_numel]
    b.copy_(b.as_strided(result, tuple(split_shape), tuple(split_target), 0),
            b.as_strided(phases, tuple(split_shape), tuple(split_source), 0))
    return b.as_strided(result, tuple(shape), tuple(base_strides), 0)


def window_offsets(x: Tensor, kernel, stride, dilation=None):
    """``(offset, view)`` for every kernel offset: the strided view of ``x`` holding that element
    of every window (shape ``(*lead, *out)``). Used by pooling, which reduces over offsets with
    element-wise ops instead of materialising the patches."""
    kernel, stride = tuple(kernel), tuple(stride)
    dilation = tuple(dilation) if dilation is not None else (1,) * len(kernel)
    b = x._backend
    shape, strides = x._buf.shape, b.strides(x._buf)
    new_shape, new_strides, _ = _window_geometry(shape, strides, kernel, stride, dilation)
    k = len(kernel)
    view_shape, view_strides = new_shape[:-k], new_strides[:-k]
    kernel_strides = new_strides[-k:]
    for offset in kernel_offsets(kernel):
        start = sum(o * s for o, s in zip(offset, kernel_strides))
        yield offset, b.as_strided(x._buf, view_shape, view_strides, start)


def kernel_offsets(kernel):
    """Every offset within a kernel, in C order."""
    return itertools.product(*(range(size) for size in kernel))


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: slices of ``size`` every ``step`` along ``dimension``, as a new last dim."""
    d = wrap_dim(dimension, x.ndim)
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    moved = x.movedim(d, -1) if d != x.ndim - 1 else x
    patches = windows(moved, (size,), (step,))
    return patches.movedim(-2, d) if d != x.ndim - 1 else patches
