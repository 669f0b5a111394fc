"""Binary search in sorted rows: searchsorted, bucketize, isin.

``search_rows`` runs PyTorch's binary search (``lower_bound``/``upper_bound`` with its exact
comparisons, so NaNs land where PyTorch puts them) for every value at once: one round per halving
of the interval, each a gather of the probed boundaries and a few element-wise ops, so the work
stays on the device and costs ``O(m log n)``.
"""
from __future__ import annotations


from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import shape as sh
from .indexing import gather
from .sorting import precedes, sorted_buffers
from .support import Tensor, check_device


def search_rows(boundaries: Tensor, values: Tensor, right: bool, total_order: bool = False) -> Tensor:
    """For ``boundaries`` ``(B, n)`` sorted along dim 1 and ``values`` ``(B, m)`` of the same
    dtype: int64 ``(B, m)``, the index of the first boundary ``>= value`` (``right``: ``> value``),
    ``n`` if none. ``total_order`` compares as ``sort`` orders (NaN above every number) instead of
    with PyTorch's ``>=``/``>``, for boundaries that may hold NaN."""
    from ..creation import zeros, full
    with no_grad():
        n = boundaries._buf.shape[1]
        shape = values._buf.shape
        low = zeros(shape, dtype=dtypes.int64, device=values._device)
        high = full(shape, n, dtype=dtypes.int64, device=values._device)
        if n == 0:
            return low
        for _ in range(n.bit_length()):  # each round at least halves every open interval
            middle = low + pw.floor_divide(high - low, 2)
            probe = gather(boundaries, 1, pw.clamp(middle, max=n - 1))
            if total_order:
                go_right = pw.logical_not(precedes(values, probe, False)) if right else precedes(probe, values, False)
            else:  # PyTorch's test: go right while !(probe >= value) (upper bound: !(probe > value))
                go_right = pw.logical_not(pw.gt(probe, values) if right else pw.ge(probe, values))
            open_ = pw.lt(low, high)
            low = pw.where(pw.bitwise_and(open_, go_right), middle + 1, low)
            high = pw.where(pw.bitwise_and(open_, pw.logical_not(go_right)), middle, high)
        return low


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Indices where ``input`` would be inserted into the innermost dim of ``sorted_sequence`` to
    keep it sorted (``right``/``side='right'``: after equal elements)."""
    right = _side(side, right)
    boundaries = sorted_sequence
    scalar = not isinstance(input, Tensor)
    if scalar:
        if boundaries.ndim != 1:
            raise RuntimeError(
                f"torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, "
                f"but we got boundaries tensor dim({boundaries.ndim}) and input value's dim(0) numel(1)")
        from ..creation import tensor
        input = tensor(input, device=boundaries._device)
    check_device(boundaries, input, "searchsorted")
    if sorter is not None:
        check_device(boundaries, sorter, "searchsorted")
        if tuple(sorter.shape) != tuple(boundaries.shape):
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(boundaries.shape)}and got sorter tensor {list(sorter.shape)}")
        if sorter._dtype is not dtypes.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{sorter._dtype.name}")
    if boundaries.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if boundaries.ndim > 1 and (input.ndim != boundaries.ndim
                                or tuple(input.shape[:-1]) != tuple(boundaries.shape[:-1])):
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
            f"{list(boundaries.shape)} and input value tensor {list(input.shape)}")
    common = dtypes.result_type(boundaries, input)
    with no_grad():
        boundaries = pw.to_dtype(boundaries.detach(), common)
        values = pw.to_dtype(input.detach(), common)
        if sorter is not None:
            boundaries = gather(boundaries, boundaries.ndim - 1, sorter)
        n = boundaries._buf.shape[-1]
        count = 1
        for size in boundaries._buf.shape[:-1]:
            count *= size
        rows = sh.reshape(boundaries, (count, n))
        shape = values._buf.shape
        flat = sh.reshape(values, (count, values.numel() // max(count, 1)))
        result = sh.reshape(search_rows(rows, flat, right), shape)
    return pw.to_dtype(result, dtypes.int32) if out_int32 else result


def _side(side, right: bool) -> bool:
    if side is None:
        return bool(right)
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if side == "left" and right:
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                           "while right was True")
    return side == "right"


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each element of ``input``: ``i`` such that ``boundaries[i-1] < x <=
    boundaries[i]`` (``right``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements`` (NaN never does)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() expects at least one of elements and test_elements to be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    from ..creation import tensor
    if not isinstance(elements, Tensor):
        elements = tensor(elements, device=like._device)
    if not isinstance(test_elements, Tensor):
        test_elements = tensor(test_elements, device=like._device)
    check_device(elements, test_elements, "isin")
    common = dtypes.result_type(elements, test_elements)
    with no_grad():
        values = sh.reshape(pw.to_dtype(elements.detach(), common), (1, -1))
        pool = sh.reshape(pw.to_dtype(test_elements.detach(), common), -1)
        if pool.numel() == 0:
            found = values._like(values._backend.full(values._buf.shape, False, dtypes.bool), dtypes.bool)
        else:
            ordered = sh.reshape(pool._like(sorted_buffers(pool, 0, False)[0]), (1, -1))
            place = search_rows(ordered, values, False, total_order=True)
            probe = gather(ordered, 1, pw.clamp(place, max=pool.numel() - 1))
            found = pw.eq(probe, values)
        found = sh.reshape(found, elements._buf.shape)
    return pw.logical_not(found) if invert else found
