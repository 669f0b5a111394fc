"""unique and unique_consecutive: sort (or keep the order), mark where a new value starts, and
read the marks back. How many distinct values there are decides the result's shape, so it is
read on the host, as PyTorch does; everything else stays on the device, except for a few elements,
which are made unique on the host from one read."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .indexing import gather, nonzero
from .prefix_scan import inclusive_scan
from .sorting import sorted_buffers
from .support import Tensor, wrap_dim


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of ``input`` (flattened), or its distinct slices along ``dim``, in
    ascending order (``sorted=False`` allows any order; they come sorted, as on PyTorch's CPU);
    optionally with each element's place in them (``return_inverse``) and their counts. NaNs
    never equal each other, so each is kept."""
    with no_grad():
        if dim is None and input.numel() <= _HOST_ELEMENTS and input._dtype is not dtypes.bfloat16:
            return _finish(_unique_on_host(input, return_inverse, return_counts))
        if dim is None:
            flat = sh.reshape(input.detach(), -1)
            values_buf, order_buf = sorted_buffers(flat, 0, False)
            ordered, order = flat._like(values_buf), flat._like(order_buf, dtypes.int64)
            rows = sh.unsqueeze(ordered, 1)
            result = _collapse(rows, order, input._buf.shape, return_inverse, return_counts)
            return _finish((sh.reshape(result[0], -1),) + result[1:])
        d = wrap_dim(dim, input.ndim)
        slices, restore = _as_rows(input.detach(), d)
        order = _lexicographic_order(slices)
        rows = gather(slices, 0, sh.expand(sh.unsqueeze(order, 1), slices._buf.shape)) if slices.numel() else slices
        result = _collapse(rows, order, (input._buf.shape[d],), return_inverse, return_counts)
        return _finish((restore(result[0]),) + result[1:])


#: at most this many elements are made unique on the host (see _unique_on_host)
_HOST_ELEMENTS = 256


def _unique_on_host(input: Tensor, return_inverse: bool, return_counts: bool) -> tuple:
    """``unique`` of a few elements from one read: the device path's steps (a stable sort, a run
    starting wherever a value differs from the one before, so each NaN is kept) on the host, then
    the results written back. The result's size has to be read on the host anyway."""
    backend = input._backend
    flat = input._host().reshape(-1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.ones(ordered.shape[0], dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    to_device = lambda array, dtype: input._like(backend.from_numpy(np.array(array, order="C")), dtype)  # noqa: E731
    parts = (to_device(ordered[starts], input._dtype),)
    run = np.cumsum(starts, dtype=np.int64) - 1
    if return_inverse:
        inverse = np.empty(ordered.shape[0], dtype=np.int64)
        inverse[order] = run
        parts += (to_device(inverse.reshape(input._buf.shape), dtypes.int64),)
    if return_counts:
        parts += (to_device(np.bincount(run, minlength=int(starts.sum())).astype(np.int64), dtypes.int64),)
    return parts


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """``input`` with every run of equal consecutive elements (slices along ``dim``) reduced to
    one; optionally with the inverse indices and the run lengths."""
    from ..creation import arange
    with no_grad():
        if dim is None:
            flat = sh.reshape(input.detach(), -1)
            order = arange(flat.numel(), device=input._device)
            result = _collapse(sh.unsqueeze(flat, 1), order, input._buf.shape, return_inverse, return_counts)
            return _finish((sh.reshape(result[0], -1),) + result[1:])
        d = wrap_dim(dim, input.ndim)
        slices, restore = _as_rows(input.detach(), d)
        order = arange(slices._buf.shape[0], device=input._device)
        result = _collapse(slices, order, (input._buf.shape[d],), return_inverse, return_counts)
        return _finish((restore(result[0]),) + result[1:])


def _finish(parts: tuple):
    return parts[0] if len(parts) == 1 else parts


def _as_rows(x: Tensor, d: int) -> tuple:
    """``x``'s slices along ``d`` as the rows of a 2-D tensor, and the map back for the result."""
    moved = sh.movedim(x, d, 0)
    rest = moved._buf.shape[1:]
    width = 1
    for size in rest:
        width *= size
    rows = sh.reshape(sh.contiguous(moved), (moved._buf.shape[0], width))
    return rows, (lambda kept: sh.contiguous(sh.movedim(sh.reshape(kept, (kept._buf.shape[0],) + rest), 0, d)))


def _lexicographic_order(rows: Tensor) -> Tensor:
    """The stable order of ``rows`` sorted lexicographically: stable sorts by each column, last
    column first."""
    from ..creation import arange
    count, width = rows._buf.shape
    order = arange(count, device=rows._device)
    for column in reversed(range(width)):
        keys = gather(sh.select(rows, 1, column), 0, order)
        order = gather(order, 0, keys._like(sorted_buffers(keys, 0, False)[1], dtypes.int64))
    return order


def _collapse(rows: Tensor, order: Tensor, inverse_shape: tuple, return_inverse: bool, return_counts: bool):
    """``rows`` (``(m, width)``, equal rows adjacent) with every run of equal rows kept once.
    ``order[k]`` is the position in the input of row ``k``; the inverse maps input positions to
    runs and has ``inverse_shape``."""
    m = rows._buf.shape[0]
    starts = _run_starts(rows)
    kept_at = sh.reshape(nonzero(starts), -1)  # the host learns how many runs there are
    kept = gather(rows, 0, sh.expand(sh.unsqueeze(kept_at, 1), (kept_at._buf.shape[0], rows._buf.shape[1])))
    parts = (kept,)
    if return_inverse or return_counts:
        run = inclusive_scan(pw.to_dtype(starts, dtypes.int64), "add") - 1 if m else starts.long()
    if return_inverse:
        inverse = rows._like(rows._backend.full((m,), 0, dtypes.int64), dtypes.int64)
        if m:
            rows._backend.scatter(inverse._buf, 0, order.contiguous()._buf, run.contiguous()._buf)
        parts += (sh.reshape(inverse, inverse_shape),)
    if return_counts:
        counts = rows._backend.full(kept_at._buf.shape, 0, dtypes.int64)
        if m:
            rows._backend.scatter_add(counts, 0, run.contiguous()._buf, rows._backend.full((m,), 1, dtypes.int64))
        parts += (rows._like(counts, dtypes.int64),)
    return parts


def _run_starts(rows: Tensor) -> Tensor:
    """bool ``(m,)``: whether row ``k`` differs from row ``k - 1`` (always for the first row)."""
    m = rows._buf.shape[0]
    if m == 0:
        return rows._like(rows._backend.full((0,), False, dtypes.bool), dtypes.bool)
    first = rows._like(rows._backend.full((1,), True, dtypes.bool), dtypes.bool)
    if m == 1:
        return first
    changed = pw.ne(sh.narrow(rows, 0, 1, m - 1), sh.narrow(rows, 0, 0, m - 1))
    changed = red.any(changed, 1) if rows._buf.shape[1] else \
        rows._like(rows._backend.full((m - 1,), False, dtypes.bool), dtypes.bool)
    return sh.cat([first, changed], 0)
