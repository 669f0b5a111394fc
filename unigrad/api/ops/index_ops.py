"""Indexed reads and writes beyond ``x[key]``: take/put, the ``index_*`` family, scatter_reduce,
masked_scatter, the ``*_scatter`` view embeddings and unravel_index.

Writes go through the ``scatter``/``scatter_add`` primitives (or ``where``). The reductions
``prod``/``amax``/``amin`` of ``scatter_reduce`` use the backend's optional ``scatter_reduce``
fast path; without it they compare every source element with each target slot, a block of slots
at a time (memory stays bounded; the work is ``targets x sources``). Every gradient is written
with differentiable ops.
"""
from __future__ import annotations

import itertools
import math
import operator

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .composite import as_node
from .indexing import gather, getitem, index_select, scatter, scatter_add_into_zeros
from .support import Tensor, check_device, grad_state, scalar_for, sum_to_shape, wrap_dim

#: elements of the (targets x sources) comparison block of the composite scatter reductions
_BLOCK_ELEMENTS = 1 << 22
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _fresh(x: Tensor, buf, dtype=None) -> Tensor:
    return Tensor._make(buf, dtype or x._dtype, x._device, x._backend)


def _host_bounds(index: Tensor, low: int, high: int, kernel_checks: bool = True):
    """``(min, max)`` of ``index`` when it leaves ``[low, high)`` (one host read, skipped on
    backends that check indices themselves when ``kernel_checks``: the index reaches a gather
    or scatter primitive), else None."""
    if not index.numel() or (kernel_checks and index._backend.deferred_index_checks):
        return None
    host = index._host()
    smallest, largest = int(host.min()), int(host.max())
    return (smallest, largest) if smallest < low or largest >= high else None


# ----- take and put -------------------------------------------------------------------------------
def _flat_index(x: Tensor, index: Tensor, op: str) -> Tensor:
    if index.__class__ is not Tensor or index._dtype is not dtypes.int64:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{getattr(index, 'dtype', type(index).__name__)}")
    check_device(x, index, op)
    n = x.numel()
    bad = _host_bounds(index, -n, n)
    if bad is not None:
        wrong = bad[0] if bad[0] < -n else bad[1]
        raise IndexError(f"out of range: tried to access index {wrong} on a tensor of {n} elements.")
    flat = sh.reshape(index, (-1,))
    return sh.contiguous(pw.where(pw.lt(flat, 0), flat + n, flat))


def take(x: Tensor, index: Tensor) -> Tensor:
    """Elements of ``x`` as if flattened, at ``index`` (negative counts from the end); the
    result has ``index``'s shape."""
    flat_index = _flat_index(x, index, "take")
    flat = sh.contiguous(sh.reshape(x.detach(), (-1,)))
    if flat_index.numel():
        buf = x._backend.gather(flat._buf, 0, flat_index._buf)
    else:
        buf = x._backend.empty((0,), x._dtype)
    out = sh.reshape(_fresh(x, buf), index._buf.shape).detach()
    if x._requires_grad and grad_state.enabled:
        shape = x._buf.shape
        out._attach("TakeBackward0", lambda g: (sh.reshape(scatter_add_into_zeros(
            sh.reshape(g, (-1,)).contiguous(), 0, flat_index, (math.prod(shape),)), shape),), (x,))
    return out


def put(x: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``x`` with ``source``'s elements written (or added, ``accumulate``) at the flat
    positions ``index``."""
    flat_index = _flat_index(x, index, "put_")
    if source._dtype is not x._dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {x._dtype.name} and source.dtype = {source._dtype.name}")
    if source.numel() != index.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    backend = x._backend
    buf = backend.empty((x.numel(),), x._dtype)
    backend.copy_(buf, sh.reshape(x.detach(), (-1,))._buf)
    if flat_index.numel():
        values = sh.contiguous(sh.reshape(source.detach(), (-1,)))._buf
        (backend.scatter_add if accumulate else backend.scatter)(buf, 0, flat_index._buf, values)
    out = sh.reshape(_fresh(x, buf), x._buf.shape).detach()
    if grad_state.enabled and (x._requires_grad or source._requires_grad):
        need_x, need_source = x._requires_grad, source._requires_grad
        source_shape = source._buf.shape

        def backward(g):
            gx = gsource = None
            if need_x:
                gx = g if accumulate else put(g, index, g.new_zeros(source_shape))
            if need_source:
                gsource = sh.reshape(take(g, index), source_shape)
            return gx, gsource
        out._attach("PutBackward0", backward, (x, source))
    return out


# ----- the index_* family -------------------------------------------------------------------------
def _vector_index(index: Tensor, op: str, allow_int32: bool = True) -> Tensor:
    if index.__class__ is not Tensor:
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    if index._dtype not in ((dtypes.int32, dtypes.int64) if allow_int32 else (dtypes.int64,)):
        kinds = "int32/int64" if allow_int32 else "int64"
        raise RuntimeError(f"{op}(): Expected dtype {kinds} for index but got: {index._dtype.name}")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with size: {list(index.shape)}")
    return sh.reshape(index, (-1,)).long()


def _check_source(x: Tensor, d: int, index: Tensor, source: Tensor, op: str) -> None:
    check_device(x, source, op)
    if source._dtype is not x._dtype:
        raise RuntimeError(f"{op}(): self ({x._dtype.name}) and source ({source._dtype.name}) must "
                           f"have the same scalar type")
    x_shape, s_shape = x._buf.shape, source._buf.shape
    if x.ndim != source.ndim or any(a != b for k, (a, b) in enumerate(zip(x_shape, s_shape)) if k != d):
        if not (x.ndim <= 1 and source.ndim <= 1):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                               f"specified dimension. Got self.shape = {list(x_shape)} "
                               f"source.shape = {list(s_shape)}")
    along = s_shape[d] if source.ndim else 1
    if along != index.numel():
        raise RuntimeError(f"{op}(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({along}), for dim: {d}")


def _spread_index(index: Tensor, d: int, shape: tuple) -> Tensor:
    """The 1-D ``index`` placed along dim ``d`` and broadcast to ``shape`` (scatter's layout)."""
    view = [1] * len(shape)
    view[d] = index.numel()
    return sh.contiguous(sh.expand(sh.reshape(index, view), shape))


def _as_rows(x: Tensor) -> Tensor:
    return sh.reshape(x, (1,)) if x.ndim == 0 else x


def index_add(x: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``x`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``."""
    d = wrap_dim(dim, x.ndim)
    flat = _vector_index(index, "index_add_")
    _check_source(x, d, flat, source, "index_add_")
    size = x._buf.shape[d] if x.ndim else 1
    bad = _host_bounds(flat, 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad[0] if bad[0] < 0 else bad[1]} is out of bounds for "
                           f"dimension {d} with size {size}")
    rows, rows_source = _as_rows(x.detach()), _as_rows(source.detach())
    backend = x._backend
    buf = backend.empty(rows._buf.shape, x._dtype)
    backend.copy_(buf, rows._buf)
    if flat.numel():
        values = rows_source if alpha == 1 else rows_source * alpha
        backend.scatter_add(buf, d, _spread_index(flat, d, rows_source._buf.shape)._buf,
                            sh.contiguous(values.to(x._dtype))._buf)
    out = sh.reshape(_fresh(x, buf), x._buf.shape).detach()
    if grad_state.enabled and (x._requires_grad or source._requires_grad):
        need_x, need_source = x._requires_grad, source._requires_grad
        source_shape = source._buf.shape

        def backward(g):
            gsource = None
            if need_source:
                picked = sh.reshape(index_select(_as_rows(g), d, flat), source_shape)
                gsource = picked if alpha == 1 else picked * alpha
            return (g if need_x else None), gsource
        out._attach("IndexAddBackward0", backward, (x, source))
    return out


def index_copy(x: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``x`` with slice ``index[i]`` along ``dim`` replaced by ``source[i]``."""
    d = wrap_dim(dim, x.ndim)
    if index.__class__ is Tensor and index._dtype is not dtypes.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {index._dtype.name}")
    flat = _vector_index(index, "index_copy_", allow_int32=False)
    if source._dtype is not x._dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {x._dtype.name} and (source) {source._dtype.name}")
    _check_source(x, d, flat, source, "index_copy_")
    size = x._buf.shape[d] if x.ndim else 1
    bad = _host_bounds(flat, 0, size)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad[0] if bad[0] < 0 else bad[1]} is out of "
                         f"bounds for dimension {d} with size {size}")
    rows, rows_source = _as_rows(x.detach()), _as_rows(source.detach())
    backend = x._backend
    buf = backend.empty(rows._buf.shape, x._dtype)
    backend.copy_(buf, rows._buf)
    if flat.numel():
        backend.scatter(buf, d, _spread_index(flat, d, rows_source._buf.shape)._buf,
                        sh.contiguous(rows_source)._buf)
    out = sh.reshape(_fresh(x, buf), x._buf.shape).detach()
    if grad_state.enabled and (x._requires_grad or source._requires_grad):
        need_x, need_source = x._requires_grad, source._requires_grad
        source_shape = source._buf.shape

        def backward(g):
            gx = index_fill(g, d, flat, 0) if need_x else None
            gsource = sh.reshape(index_select(_as_rows(g), d, flat), source_shape) if need_source else None
            return gx, gsource
        out._attach("IndexCopyBackward0", backward, (x, source))
    return out


def _slice_mask(x: Tensor, d: int, flat: Tensor) -> Tensor:
    """bool tensor broadcastable to ``x``: True on the slices along ``d`` that ``flat`` names."""
    size = x._buf.shape[d] if x.ndim else 1
    backend = x._backend
    buf = backend.full((size,), False, dtypes.bool)
    if flat.numel():
        backend.scatter(buf, 0, flat._buf, backend.full(flat._buf.shape, True, dtypes.bool))
    view = [1] * x.ndim
    if x.ndim:
        view[d] = size
    return sh.reshape(_fresh(x, buf, dtypes.bool), view)


def index_fill(x: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``x`` with the slices ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor); negative indices count from the end."""
    d = wrap_dim(dim, x.ndim)
    if index.__class__ is not Tensor or index._dtype is not dtypes.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    size = x._buf.shape[d] if x.ndim else 1
    flat = sh.reshape(index, (-1,))
    bad = _host_bounds(flat, -size, size)
    if bad is not None:
        raise IndexError(f"index {bad[0] if bad[0] < -size else bad[1]} is out of bounds for "
                         f"dimension {d} with size {size}")
    flat = sh.contiguous(pw.where(pw.lt(flat, 0), flat + size, flat))
    mask = _slice_mask(x, d, flat)
    if isinstance(value, Tensor):
        check_device(x, value, "index_fill_")
        filled = pw.where(mask, value.to(x._dtype), x)
        return as_node(filled if filled._buf.shape == x._buf.shape else sh.clone(
            sh.expand(filled, x._buf.shape)), "IndexFillBackward1")
    with no_grad():
        out = pw.where(mask, scalar_for(value, x._dtype), x)
    out = _fresh(x, out._buf)
    if x._requires_grad and grad_state.enabled:
        out._attach("IndexFillBackward0", lambda g: (pw.where(mask, 0.0, g),), (x,))
    return out


def index_put(x: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``x`` with ``x[indices] = values`` (or ``+=``, accumulating repeated indices,
    when ``accumulate``)."""
    from . import indexing
    key = tuple(indices)
    for i, item in enumerate(key):
        if item.__class__ is not Tensor:
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(item).__name__}")
    if not accumulate:
        return indexing.index_put(x, key, values)
    values = indexing._value_tensor(x, values)
    out = sh.clone(x.detach())
    parsed = indexing._parse(out, key)
    backend = x._backend
    if not parsed.advanced:
        target = parsed.view
        summed = target + values.detach()
        backend.copy_(target._buf, sh.expand(summed, target._buf.shape)._buf)
    else:
        moved, linear, batch, rest = indexing._linear_index(parsed)
        lead = len(parsed.advanced)
        rest_shape = moved._buf.shape[lead:]
        count, inner = linear.numel(), math.prod(rest_shape)
        if count and math.prod(moved._buf.shape[:lead]):
            placed = indexing._place_batch(indexing._zeros_view(out, batch + tuple(rest_shape)),
                                           parsed, len(batch))
            src = sh.expand(values.detach(), placed._buf.shape)
            if parsed.adjacent and parsed.advanced[0][0] > 0:
                first, nb = parsed.advanced[0][0], len(batch)
                order = list(range(first, first + nb)) + list(range(first)) + \
                    list(range(first + nb, src.ndim))
                src = sh.permute(src, order)
            src = sh.contiguous(sh.reshape(sh.contiguous(src), (count, inner)))
            index = sh.contiguous(sh.expand(sh.reshape(linear, (count, 1)), (count, inner)))
            rows = math.prod(moved._buf.shape[:lead])
            staged = sh.clone(moved)
            flat_buf = backend.as_strided(staged._buf, (rows, inner), (inner, 1), 0)
            backend.scatter_add(flat_buf, 0, index._buf, src._buf)
            backend.copy_(moved._buf, staged._buf)
    out = out.detach()
    if grad_state.enabled and (x._requires_grad or values._requires_grad):
        need_x, need_values = x._requires_grad, values._requires_grad
        value_shape = values._buf.shape

        def backward(g):
            gv = sum_to_shape(getitem(g, key), value_shape) if need_values else None
            return (g if need_x else None), gv
        out._attach("IndexPutBackward0", backward, (x, values))
    return out


# ----- scatter_reduce -----------------------------------------------------------------------------
def _check_scatter(x: Tensor, d: int, index: Tensor, src: Tensor, op: str, reduce: str) -> Tensor:
    if index.__class__ is not Tensor or index._dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    check_device(x, index, op)
    check_device(x, src, op)
    if src._dtype is not x._dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    if not (index.ndim == x.ndim == src.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    i_shape, x_shape, s_shape = index._buf.shape, x._buf.shape, src._buf.shape
    if any(i_shape[k] > s_shape[k] or (k != d and i_shape[k] > x_shape[k]) for k in range(index.ndim)):
        raise RuntimeError(f"Expected index {list(i_shape)} to be no larger than self "
                           f"{list(x_shape)} apart from dimension {d} and to be no larger size "
                           f"than src {list(s_shape)}")
    index = index.long()
    size = x_shape[d] if x.ndim else 1
    # prod/amax/amin compare indices instead of scattering: no kernel checks them
    bad = _host_bounds(index, 0, size, kernel_checks=reduce in ("sum", "mean"))
    if bad is not None:
        raise RuntimeError(f"index {bad[0] if bad[0] < 0 else bad[1]} is out of bounds for "
                           f"dimension {d} with size {size}")
    return index


def _identity(reduce: str, dtype):
    if reduce == "prod":
        return 1
    if dtype.is_floating_point:
        return -math.inf if reduce == "amax" else math.inf
    if dtype is dtypes.bool:
        return reduce == "amin"
    info = dtypes.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _combine(reduce: str, a: Tensor, b: Tensor) -> Tensor:
    if reduce == "prod":
        return a * b
    return pw.maximum(a, b) if reduce == "amax" else pw.minimum(a, b)


def _reduce_block(values: Tensor, reduce: str, dim: int) -> Tensor:
    if reduce == "prod":
        return red.prod(values, dim) if values.ndim else values
    return (red.amax if reduce == "amax" else red.amin)(values, dim)


def _backend_scatter_reduce(x: Tensor, d: int, index: Tensor, src: Tensor, reduce: str,
                            include_self: bool):
    """The backend's ``scatter_reduce`` fast path on a copy of ``x`` (targets reset to the
    identity first when ``include_self`` is off), or None where there is none or it declines."""
    backend = x._backend
    fold = backend.scatter_reduce
    if fold is None or red._FORCE_COMPOSITE[0]:
        return None
    buf = backend.empty(x._buf.shape, x._dtype)
    backend.copy_(buf, x._buf)
    index_buf, src_buf = sh.contiguous(index)._buf, sh.contiguous(src)._buf
    if not include_self and index.numel():
        identity = scalar_for(_identity(reduce, x._dtype), x._dtype)
        backend.scatter(buf, d, index_buf, backend.full(index._buf.shape, identity, x._dtype))
    if fold(buf, d, index_buf, src_buf, reduce) is NotImplemented:
        return None
    return _fresh(x, buf)


def _dense_scatter_reduce(x: Tensor, d: int, index: Tensor, src: Tensor, reduce: str,
                          include_self: bool) -> Tensor:
    """prod/amax/amin of the sources landing on each target slot, a block of slots at a time:
    ``where(index == slot, src, identity)`` reduced over the source dim."""
    from ..creation import arange
    moved_x = sh.movedim(x, d, 0)
    moved_index = sh.movedim(index, d, 0)
    moved_src = sh.movedim(src, d, 0)
    slots = moved_x._buf.shape[0]
    region_shape = moved_index._buf.shape[1:]
    region = moved_x
    for k, n in enumerate(region_shape):
        region = sh.narrow(region, k + 1, 0, n)
    sources = moved_index._buf.shape[0]
    per_slot = max(sources * math.prod(region_shape), 1)
    block = max(1, _BLOCK_ELEMENTS // per_slot)
    identity = scalar_for(_identity(reduce, x._dtype), x._dtype)
    expanded_index, expanded_src = sh.unsqueeze(moved_index, 0), sh.unsqueeze(moved_src, 0)
    pieces = []
    for start in range(0, slots, block):
        count = min(block, slots - start)
        targets = sh.reshape(arange(start, start + count, device=x._device),
                             (count,) + (1,) * moved_index.ndim)
        hits = pw.eq(expanded_index, targets)
        reduced = _reduce_block(pw.where(hits, expanded_src, identity), reduce, 1)
        current = sh.narrow(region, 0, start, count)
        if include_self:
            pieces.append(_combine(reduce, current, reduced))
        else:
            pieces.append(pw.where(red.any(hits, 1), reduced, current))
    out = sh.clone(moved_x)
    if pieces:
        target = out
        for k, n in enumerate(region_shape):
            target = sh.narrow(target, k + 1, 0, n)
        out._backend.copy_(target._buf, sh.cat(pieces, 0)._buf)
    return sh.movedim(out, 0, d)


def _scatter_reduce_value(x: Tensor, d: int, index: Tensor, src: Tensor, reduce: str,
                          include_self: bool) -> Tensor:
    """The forward value, without a graph."""
    if src._buf.shape != index._buf.shape:
        src = src[tuple(slice(0, n) for n in index._buf.shape)]
    if reduce in ("prod", "amax", "amin"):
        folded = _backend_scatter_reduce(x, d, index, src, reduce, include_self)
        return folded if folded is not None else _dense_scatter_reduce(x, d, index, src, reduce, include_self)
    shape = x._buf.shape
    total = scatter_add_into_zeros(sh.contiguous(src), d, index, shape)
    if include_self and reduce == "sum":
        return x + total
    ones = src._like(src._backend.full(index._buf.shape, 1, dtypes.int64), dtypes.int64)
    counts = scatter_add_into_zeros(ones, d, index, shape)
    hit = pw.gt(counts, 0)
    base = x if include_self else pw.where(hit, scalar_for(0, x._dtype), x)
    if reduce == "sum":
        return base + total
    summed = base + total
    divisor = counts + 1 if include_self else pw.where(hit, counts, 1)
    if x._dtype.is_floating_point:
        mean = summed / divisor.to(x._dtype)
    else:
        mean = pw.div(summed, divisor, rounding_mode="floor").to(x._dtype)
    return mean if include_self else pw.where(hit, mean, x)


def scatter_reduce(x: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``x`` where each slot ``index`` names along ``dim`` holds the ``reduce``
    ("sum", "prod", "mean", "amax", "amin") of the ``src`` elements sent to it, and of its own
    value when ``include_self``."""
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = wrap_dim(dim, x.ndim)
    index = _check_scatter(x, d, index, src, "scatter_reduce", reduce)
    with no_grad():
        value = _scatter_reduce_value(x.detach(), d, index, src.detach(), reduce, include_self)
    out = _fresh(x, sh.contiguous(value)._buf)
    if grad_state.enabled and (x._requires_grad or src._requires_grad):
        result = pw._saved(out)
        need_x, need_src = x._requires_grad, src._requires_grad
        used = src if src._buf.shape == index._buf.shape else \
            src[tuple(slice(0, n) for n in index._buf.shape)]
        src_shape = src._buf.shape

        def backward(g):
            gx, gsrc = _scatter_reduce_backward(g, x, d, index, used, reduce, include_self, result)
            if need_src and gsrc is not None and used._buf.shape != src_shape:
                gsrc = sh.view_scatter(gsrc, lambda t: t[tuple(slice(0, n) for n in index._buf.shape)],
                                       src_shape)
            return (gx if need_x else None), (gsrc if need_src else None)
        out._attach("ScatterReduceBackward0", backward, (x, src), (x, src, result))
    return out


def _scatter_reduce_backward(g, x, d, index, src, reduce, include_self, result):
    """PyTorch's ``scatter_reduce_backward``."""
    shape = x._buf.shape
    if reduce == "sum":
        gx, gsrc = g, gather(g, d, index)
    elif reduce == "mean":
        base = x * 0 + (1 if include_self else 0)
        n = base + scatter_add_into_zeros(src * 0 + 1, d, index, shape)
        n = pw.where(pw.eq(n, 0), 1.0, n)
        gx, gsrc = g / n, gather(g, d, index) / gather(n, d, index)
    elif reduce == "prod":
        masked_x = pw.where(pw.eq(x, 0), 1.0, x)
        masked_result = scatter_reduce(masked_x, d, index, src, "prod", include_self=include_self)
        gx = g * masked_result / masked_x
        src_zero = pw.eq(src, 0)
        zeros_per_slot = gather(scatter_add_into_zeros(src_zero.to(x._dtype), d, index, shape), d, index)
        single_zero = src_zero & pw.eq(zeros_per_slot, 1)
        masked_src = pw.where(single_zero, 1.0, src)
        masked_src_result = scatter_reduce(x, d, index, masked_src, "prod", include_self=include_self)
        gsrc = pw.where(single_zero, gather(g * masked_src_result, d, index),
                        gather(g * result, d, index) / pw.where(src_zero, 1.0, src))
    else:  # amax / amin: ties share the gradient evenly
        value = gather(result, d, index)
        x_hit = pw.eq(x, result).to(x._dtype)
        src_hit = pw.eq(src, value).to(x._dtype)
        share = g / (x_hit + scatter_add_into_zeros(src_hit, d, index, shape))
        gx = x_hit * share
        gsrc = src_hit * gather(share, d, index)
    if not include_self:
        gx = scatter(gx, d, index, 0.0)
    return gx, gsrc


def index_reduce(x: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """``scatter_reduce`` of whole slices: slice ``index[i]`` of ``x`` along ``dim`` reduced
    with ``source[i]`` ("prod", "mean", "amax", "amin")."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    d = wrap_dim(dim, x.ndim)
    flat = _vector_index(index, "index_reduce_")
    _check_source(x, d, flat, source, "index_reduce_")
    rows, rows_source = _as_rows(x), _as_rows(source)
    spread = _spread_index(flat, d, rows_source._buf.shape)
    out = scatter_reduce(rows, d, spread, rows_source, reduce, include_self=include_self)
    out = sh.reshape(out, x._buf.shape) if x.ndim == 0 else out
    if out.grad_fn is not None:
        out.grad_fn._name = "IndexReduceBackward0"
    return out


def scatter_with_reduce(x: Tensor, dim: int, index: Tensor, src, reduce: str) -> Tensor:
    """``scatter(..., reduce="add" | "multiply")``, PyTorch's older spelling of scatter_reduce."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if not isinstance(src, Tensor):
        src = x._like(x._backend.full(index._buf.shape, scalar_for(src, x._dtype), x._dtype))
    return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")


# ----- masked_scatter and the view embeddings -----------------------------------------------------
def masked_scatter(x: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``x`` whose elements where ``mask`` (broadcast) holds are taken, in order, from
    ``source``."""
    if mask._dtype is not dtypes.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask._dtype.name}")
    if source._dtype is not x._dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{x._dtype.name} and {source._dtype.name}")
    check_device(x, mask, "masked_scatter")
    check_device(x, source, "masked_scatter")
    shape = sh.broadcast_shapes(x._buf.shape, mask._buf.shape, op="masked_scatter")
    wide_x, wide_mask = sh.expand(x, shape), sh.expand(mask, shape)
    flat_mask = sh.reshape(wide_mask, (-1,))
    chosen = int(red.sum(flat_mask))  # the count must fit in source (PyTorch checks it too)
    if chosen > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    from .scans import cumsum
    order = pw.maximum(cumsum(flat_mask, 0) - 1, 0)
    flat_source = sh.reshape(source, (-1,))
    if flat_source.numel():
        order = pw.minimum(order, flat_source.numel() - 1)
        picked = sh.reshape(gather(flat_source, 0, sh.contiguous(order)), shape)
    else:
        picked = sh.clone(wide_x.detach())
    out = pw.where(wide_mask, picked, wide_x)
    return as_node(out, "MaskedScatterBackward0")


def _embed(x: Tensor, src: Tensor, replay, name: str) -> Tensor:
    """A copy of ``x`` with ``src`` written into the view ``replay`` makes of it."""
    check_device(x, src, name)
    out = sh.clone(x.detach())
    target = replay(out)
    if tuple(src._buf.shape) != tuple(target._buf.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target.shape)}")
    if target.numel():
        out._backend.copy_(target._buf, src.detach().to(x._dtype)._buf)
    out = out.detach()
    if grad_state.enabled and (x._requires_grad or src._requires_grad):
        need_x, need_src = x._requires_grad, src._requires_grad
        src_shape = src._buf.shape

        def backward(g):
            gx = _embed(g, g.new_zeros(src_shape), replay, name) if need_x else None
            gsrc = replay(g).to(src._dtype) if need_src else None
            return gx, gsrc
        out._attach(name, backward, (x, src))
    return out


def diagonal_scatter(x: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``x`` with ``src`` written on the diagonal ``x.diagonal(offset, dim1, dim2)``."""
    return _embed(x, src, lambda t: sh.diagonal(t, offset, dim1, dim2), "DiagonalScatterBackward0")


def select_scatter(x: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``x`` with ``src`` written at ``x.select(dim, index)``."""
    return _embed(x, src, lambda t: sh.select(t, dim, index), "SelectScatterBackward0")


def slice_scatter(x: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of ``x`` with ``src`` written at ``x[start:end:step]`` along ``dim``."""
    d = wrap_dim(dim, x.ndim)
    key = (slice(None),) * d + (slice(start, end, step),)
    return _embed(x, src, lambda t: getitem(t, key), "SliceScatterBackward0")


def unravel_index(indices: Tensor, shape):
    """Flat ``indices`` as a tuple of coordinate tensors into ``shape`` (floor-division rules,
    so indices wrap like Python's ``%``)."""
    if indices.__class__ is not Tensor:
        raise TypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices._dtype.is_floating_point or indices._dtype is dtypes.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices._dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(n, int) for n in shape):
        raise TypeError("expected 'shape' sequence to only contain ints")
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    strides = list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))[::-1]
    flat = indices.long()
    return tuple(pw.remainder(pw.floor_divide(flat, stride), size) for stride, size in zip(strides, shape))
