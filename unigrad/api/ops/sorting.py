"""Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode.

Everything rests on one stable sort: the backend's optional ``sort`` primitive, or, for backends
without it, a composite that ranks every element by pairwise comparisons (in chunks, so memory
stays bounded). Selected values get their gradient back through the indices (PyTorch's
``value_selecting_reduction_backward``: the gradient scattered into zeros).
"""
from __future__ import annotations

from ... import return_types
from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .indexing import gather, scatter_add_into_zeros
from .prefix_scan import inclusive_scan
from .support import Tensor, grad_state, wrap_dim

#: elements of the boolean comparison block the composite sort builds at once
_PAIRWISE_BUDGET = 1 << 22


# ----- the sort primitive and its composite -----------------------------------------------------
def sorted_buffers(x: Tensor, dim: int, descending: bool) -> tuple:
    """``(values, indices)`` buffers of ``x`` (``ndim >= 1``) stably sorted along ``dim``: the
    backend's ``sort`` primitive, or the composite when it has none."""
    backend = x._backend
    if x.numel() == 0:
        return backend.empty(x._buf.shape, x._dtype), backend.empty(x._buf.shape, dtypes.int64)
    work = x if x._dtype is not dtypes.bool else pw.to_dtype(x.detach(), dtypes.uint8)
    primitive = backend.sort
    if primitive is not None and not red._FORCE_COMPOSITE[0]:
        values, indices = primitive(work._buf, dim, descending)
    else:
        values, indices = _composite_sort(work.detach(), dim, descending)
    if work is not x:
        values = backend.cast(values, dtypes.bool)
    return values, indices


def _composite_sort(x: Tensor, dim: int, descending: bool) -> tuple:
    """Each element's place is the number of elements ordered before it: those that compare
    before it, and the equal ones at earlier positions (which makes the order stable)."""
    from ..creation import arange, zeros
    with no_grad():
        rows = sh.movedim(x, dim, -1)
        n = rows._buf.shape[-1]
        places = _stable_places(rows, descending)
        positions = sh.expand(arange(n, device=x._device), places._buf.shape)
        order = zeros(places._buf.shape, dtype=dtypes.int64, device=x._device)
        x._backend.scatter(order._buf, order.ndim - 1, places._buf, sh.contiguous(positions)._buf)
        values = gather(rows, -1, order)
        return (sh.contiguous(sh.movedim(values, -1, dim))._buf,
                sh.contiguous(sh.movedim(order, -1, dim))._buf)


def _stable_places(rows: Tensor, descending: bool) -> Tensor:
    from ..creation import arange
    from .shape import cat
    shape = rows._buf.shape
    n = shape[-1]
    batch = max(rows.numel() // max(n, 1), 1)
    step = max(1, _PAIRWISE_BUDGET // max(batch * n, 1))
    others = sh.unsqueeze(rows, -2)  # element j along the last dim
    column = arange(n, device=rows._device).reshape(1, n)
    parts = []
    for start in range(0, n, step):
        stop = min(n, start + step)
        mine = sh.unsqueeze(sh.narrow(rows, -1, start, stop - start), -1)  # element i
        earlier = pw.lt(column, arange(start, stop, device=rows._device).reshape(-1, 1))
        ahead = precedes(others, mine, descending)
        tied = pw.bitwise_and(same(others, mine), earlier)
        parts.append(red.sum(pw.bitwise_or(ahead, tied), -1))
    return parts[0] if len(parts) == 1 else cat(parts, -1)


def precedes(a, b, descending: bool) -> Tensor:
    """Whether ``a`` sorts strictly before ``b``: NaN counts as larger than every number."""
    low, high = (b, a) if descending else (a, b)
    before = pw.lt(low, high)
    if not _floating(a, b):
        return before
    return pw.bitwise_or(before, pw.bitwise_and(pw.isnan(high), pw.logical_not(pw.isnan(low))))


def same(a, b) -> Tensor:
    """Whether ``a`` and ``b`` are equal in the sort order (NaNs equal each other)."""
    equal = pw.eq(a, b)
    if not _floating(a, b):
        return equal
    return pw.bitwise_or(equal, pw.bitwise_and(pw.isnan(a), pw.isnan(b)))


def _floating(a, b) -> bool:
    return any(t.__class__ is Tensor and t._dtype.is_floating_point for t in (a, b))


# ----- gradients through selected positions -----------------------------------------------------
def _select_backward(name: str, values: Tensor, x: Tensor, dim: int, indices: Tensor, keepdim: bool) -> None:
    """Attach ``name``: the gradient of the selected values scattered into zeros of ``x``'s shape."""
    if not (x._requires_grad and grad_state.enabled):
        return
    shape = x._buf.shape
    if x.ndim == 0:
        values._attach(name, lambda g: (g.reshape(()),), (x,))
        return
    index = indices if keepdim else sh.unsqueeze(indices, dim)

    def backward(g):
        return (scatter_add_into_zeros(g if keepdim else sh.unsqueeze(g, dim), dim, index, shape),)
    values._attach(name, backward, (x,))


# ----- sort, argsort, msort ---------------------------------------------------------------------
def sort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)`` of ``x`` sorted along ``dim``. The order is always stable (equal
    elements keep their order), which ``stable=False`` allows; NaNs sort as the largest values."""
    if x.ndim == 0:
        wrap_dim(dim, 0)
        values = sh.clone(x.detach())
        _select_backward("SortBackward0", values, x, 0, None, True)
        return return_types.sort(values, _zero_index(x))
    d = wrap_dim(dim, x.ndim)
    values_buf, indices_buf = sorted_buffers(x, d, descending)
    values = x._like(values_buf)
    indices = x._like(indices_buf, dtypes.int64)
    _select_backward("SortBackward0", values, x, d, indices, True)
    return return_types.sort(values, indices)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (``sort(...).indices``)."""
    return sort(x.detach(), dim, descending, stable=stable).indices


def msort(x: Tensor) -> Tensor:
    """``x`` sorted along its first dim."""
    return sort(x, 0).values


def _zero_index(x: Tensor) -> Tensor:
    return x._like(x._backend.full((), 0, dtypes.int64), dtypes.int64)


# ----- topk and kthvalue ------------------------------------------------------------------------
def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` with their indices,
    in sorted order (``sorted=False`` allows any order; they come sorted)."""
    d = wrap_dim(dim, x.ndim)
    if x._dtype is dtypes.bool:
        raise RuntimeError("topk does not support bool dtypes")
    size = x._buf.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, dimension {d} has size {size})")
    if x.ndim == 0:  # PyTorch returns the element for k = 0 and k = 1 alike
        values = sh.clone(x.detach())
        _select_backward("TopkBackward0", values, x, 0, None, True)
        return return_types.topk(values, _zero_index(x))
    values_buf, indices_buf = sorted_buffers(x.detach(), d, largest)
    sorted_values, sorted_indices = x._like(values_buf), x._like(indices_buf, dtypes.int64)
    values = sh.contiguous(sh.narrow(sorted_values, d, 0, k))
    indices = sh.contiguous(sh.narrow(sorted_indices, d, 0, k))
    _select_backward("TopkBackward0", values, x, d, indices, True)
    return return_types.topk(values, indices)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1) and its index."""
    d = wrap_dim(dim, x.ndim)
    _refuse_bool(x, "kthvalue")
    size = x._buf.shape[d] if x.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        values = sh.clone(x.detach())
        _select_backward("KthvalueBackward0", values, x, 0, None, True)
        return return_types.kthvalue(values, _zero_index(x))
    rank = x._like(x._backend.full(_kept(x, d), k - 1, dtypes.int64), dtypes.int64)
    return return_types.kthvalue(*_pick(x, d, rank, keepdim, "KthvalueBackward0"))


def _refuse_bool(x: Tensor, op: str) -> None:
    if x._dtype is dtypes.bool:
        raise NotImplementedError(f'"{op}" not implemented for \'Bool\'')


def _kept(x: Tensor, d: int) -> tuple:
    return tuple(1 if i == d else n for i, n in enumerate(x._buf.shape))


def _pick(x: Tensor, d: int, rank: Tensor, keepdim: bool, name: str, sorted_pair=None) -> tuple:
    """The value and index at sorted position ``rank`` (int64, ``x``'s shape with 1 at ``d``)."""
    values_buf, indices_buf = sorted_pair or sorted_buffers(x.detach(), d, False)
    values = gather(x._like(values_buf), d, rank)
    indices = gather(x._like(indices_buf, dtypes.int64), d, rank)
    if not keepdim:
        values, indices = sh.squeeze(values, d), sh.squeeze(indices, d)
    _select_backward(name, values, x, d, indices, keepdim)
    return values, indices


# ----- median and nanmedian ---------------------------------------------------------------------
def median(x: Tensor, dim=None, keepdim: bool = False):
    """Without ``dim``: the lower median of all elements (NaN if any is NaN). With ``dim``:
    ``(values, indices)`` of the lower median along ``dim``; a row holding NaN gives NaN and the
    index of its first NaN."""
    return _median(x, dim, keepdim, ignore_nan=False)


def nanmedian(x: Tensor, dim=None, keepdim: bool = False):
    """``median`` of the non-NaN elements (NaN where all are NaN)."""
    return _median(x, dim, keepdim, ignore_nan=True)


def _median(x: Tensor, dim, keepdim: bool, ignore_nan: bool):
    name = "nanmedian" if ignore_nan else "median"
    _refuse_bool(x, name)
    if dim is None:
        if keepdim:  # PyTorch's overloads: keepdim exists only with dim
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return _median_of_all(x, ignore_nan, name)
    d = wrap_dim(dim, x.ndim)
    result = return_types.nanmedian if ignore_nan else return_types.median
    if x.ndim == 0:
        values = sh.clone(x.detach())
        _select_backward(f"{name.capitalize()}Backward1", values, x, 0, None, True)
        return result(values, _zero_index(x))
    if x._buf.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    pair = sorted_buffers(x.detach(), d, False)
    rank = _median_rank(x, d, ignore_nan, x._like(pair[0]))
    return result(*_pick(x, d, rank, keepdim, f"{name.capitalize()}Backward1", pair))


def _median_rank(x: Tensor, d: int, ignore_nan: bool, sorted_values: Tensor) -> Tensor:
    """Sorted position of the (lower) median along ``d``, with 1 at ``d``. NaNs sort last, so
    ``count`` non-NaN elements occupy the first ``count`` places."""
    n = x._buf.shape[d]
    if not x._dtype.is_floating_point:
        return x._like(x._backend.full(_kept(x, d), (n - 1) // 2, dtypes.int64), dtypes.int64)
    with no_grad():
        count = red.sum(pw.logical_not(pw.isnan(sorted_values)), d, keepdim=True)
        if ignore_nan:  # (count - 1) // 2, and 0 where every element is NaN
            return pw.floor_divide(pw.clamp(count - 1, min=0), 2)
        # a row with NaN selects its first NaN (position count), else the lower median
        return pw.where(pw.lt(count, n), count, (n - 1) // 2)


def _median_of_all(x: Tensor, ignore_nan: bool, name: str) -> Tensor:
    flat = sh.reshape(x.detach(), -1)
    if flat.numel() == 0:
        if not x._dtype.is_floating_point:
            raise IndexError(f"{name}() cannot compute the median of an empty {x._dtype.name} tensor")
        return x._like(x._backend.full((), float("nan"), x._dtype))
    pair = sorted_buffers(flat, 0, False)
    rank = _median_rank(flat, 0, ignore_nan, flat._like(pair[0]))
    values = sh.reshape(gather(flat._like(pair[0]), 0, rank), ())
    if x._requires_grad and grad_state.enabled:
        result = pw._saved(values)

        def backward(g):
            # PyTorch's evenly_distribute_backward: shared by the elements equal to the result
            hits = pw.bitwise_or(pw.eq(x, result), pw.bitwise_and(pw.isnan(x), pw.isnan(result)))
            return (pw.where(hits, g / red.sum(hits), 0.0),)
        values._attach(f"{name.capitalize()}Backward0", backward, (x,), (result,))
    return values


# ----- mode -------------------------------------------------------------------------------------
def mode(x: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence. NaNs never equal each other, so each counts once."""
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        values = sh.clone(x.detach())
        _select_backward("ModeBackward0", values, x, 0, None, True)
        return return_types.mode(values, _zero_index(x))
    n = x._buf.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    pair = sorted_buffers(x.detach(), d, False)
    from ..creation import arange
    with no_grad():
        rows = sh.movedim(x._like(pair[0]), d, -1)
        position = arange(n, device=x._device)
        starts = pw.ne(sh.narrow(rows, -1, 1, n - 1), sh.narrow(rows, -1, 0, n - 1))
        starts = sh.cat([x._like(x._backend.full(starts._buf.shape[:-1] + (1,), True, dtypes.bool),
                                 dtypes.bool), starts], -1)
        run_start = inclusive_scan(pw.where(starts, position, 0), "maximum")
        run_length = position - run_start  # one less than the length of the run so far
        # the first position reaching the longest run ends the smallest most frequent value
        rank = sh.movedim(red.argmax(run_length, -1, keepdim=True), -1, d)
    return return_types.mode(*_pick(x, d, rank, keepdim, "ModeBackward0", pair))
