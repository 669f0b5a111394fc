"""Indexing: ``x[key]`` and ``x[key] = value`` with PyTorch semantics, plus gather/scatter ops.

Basic keys (ints, slices, None, Ellipsis) make views. Advanced keys (integer tensors or lists,
bool masks) become one ``gather`` over a flattened view; writes become ``scatter``.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..autocast_state import autocast_op
from . import shape as sh
from ...autograd.composite import present
from ...autograd.grad_mode import no_grad
from .pointwise import where
from .support import (Tensor, check_device, contiguous_strides, grad_state, scalar_for,
                      sum_to_shape, values_checked_on_host, wrap_dim)

# ----- differentiable gather / scatter ----------------------------------------------------------


def _check_index(x: Tensor, dim: int, index: Tensor, op: str) -> int:
    if index.__class__ is not Tensor or index._dtype is not dtypes.int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got "
                           f"{getattr(index, 'dtype', type(index).__name__)}")
    check_device(x, index, op)
    d = wrap_dim(dim, x.ndim)
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"input tensor (index {list(index.shape)}, input {list(x.shape)})")
    return d


def _bounds_checked(index: Tensor, size: int, dim: int, error=IndexError) -> None:
    """Raise ``error`` (PyTorch's type for the op: IndexError for indexing, RuntimeError for
    gather/scatter) for an index outside ``[0, size)``; a backend with deferred index checks
    flags it on the device instead."""
    if index.numel() and not index._backend.deferred_index_checks:
        host = index._host()
        low, high = int(host.min()), int(host.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise error(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j] = x[index[i][j]][j]`` for ``dim=0`` (``torch.gather``)."""
    d = _check_index(x, dim, index, "gather")
    _bounds_checked(index, x._buf.shape[d] if x.ndim else 1, d, RuntimeError)
    if x.ndim == 0:
        return x.clone().reshape(index._buf.shape)
    return gather_in_range(x, d, index)


def gather_in_range(x: Tensor, d: int, index: Tensor) -> Tensor:
    """``gather`` along the non-negative dim ``d`` for an int64 ``index`` that an op built and
    knows to be in range (e.g. clamped): no host-side bounds check, so no device round trip."""
    x = _narrowed_to_index(x, d, index)
    out = Tensor._make(x._backend.gather(x._buf, d, index._buf), x._dtype, x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        shape = x._buf.shape
        out._attach("GatherBackward0", lambda g: (scatter_add_into_zeros(g, d, index, shape),),
                    (x,))
    return out


def _rows_in_range(x: Tensor, index: Tensor):
    """``x[index]`` for a 1-D int64 index whose values (read on the host) are all rows of ``x``:
    one gather, recorded as PyTorch's IndexBackward0; None for any other index (negative,
    out of range or empty: the general path wraps or raises)."""
    host = index._backend.to_numpy(index._buf)
    count = host.shape[0]
    if not count or host.min() < 0 or host.max() >= x._buf.shape[0]:
        return None
    out = _gather_rows(x, index)
    if out._grad_fn is not None:
        out._grad_fn._name = "IndexBackward0"
    return out


def _gather_rows(x: Tensor, index: Tensor) -> Tensor:
    """The rows of ``x`` at the in-range 1-D int64 ``index``: one gather along dim 0."""
    shape, count = x._buf.shape, index._buf.shape[0]
    if len(shape) > 1:
        index = sh.expand(sh.reshape(index, (count,) + (1,) * (len(shape) - 1)), (count,) + shape[1:])
    return gather_in_range(x, 0, index)


def take_rows(tensors, rows: list) -> list:
    """``[t[rows] for t in tensors]`` for a list of row numbers known to be in range (a batch of
    a TensorDataset): one gather each, the index made once per device."""
    from ..creation import tensor
    indices, out = {}, []
    for t in tensors:
        index = indices.get(t._device)
        if index is None:
            index = indices[t._device] = tensor(rows, dtype=dtypes.int64, device=t._device)
        out.append(_gather_rows(t, index))
    return out


def _narrowed_to_index(x: Tensor, d: int, index: Tensor) -> Tensor:
    """``x`` cut to ``index``'s extent in every dim but ``d`` (PyTorch lets the index be
    smaller there; the gather primitive takes equal sizes)."""
    x_shape, i_shape = x._buf.shape, index._buf.shape
    if all(a == b for k, (a, b) in enumerate(zip(x_shape, i_shape)) if k != d):
        return x
    for k, (a, b) in enumerate(zip(x_shape, i_shape)):
        if k != d and b > a:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(i_shape)} "
                               f"to be no larger than self {list(x_shape)} apart from dimension {d}")
    for k, b in enumerate(i_shape):
        if k != d and b != x_shape[k]:
            x = sh.narrow(x, k, 0, b)
    return x


def scatter_add_into_zeros(src: Tensor, dim: int, index: Tensor, shape: tuple) -> Tensor:
    b = src._backend
    buf = b.full(shape, 0, src._dtype)
    b.scatter_add(buf, dim, index._buf, src._buf if src.is_contiguous() else src.contiguous()._buf)
    out = Tensor._make(buf, src._dtype, src._device, b)
    if src._requires_grad and grad_state.enabled:
        out._attach("ScatterAddBackward0", lambda g: (gather_in_range(g, dim, index),), (src,))
    return out


@autocast_op("scatter_add")
def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``x`` with ``src`` added at ``index`` along ``dim`` (duplicates accumulate)."""
    d = _check_index(x, dim, index, "scatter_add")
    _bounds_checked(index, x._buf.shape[d] if x.ndim else 1, d, RuntimeError)
    src = src.to(x._dtype)
    if src._buf.shape != index._buf.shape:
        src = src[tuple(slice(0, n) for n in index._buf.shape)]
    added = scatter_add_into_zeros(src, d, index, x._buf.shape)
    return x + added


def scatter(x: Tensor, dim: int, index: Tensor, src, reduce=None) -> Tensor:
    """``x`` with ``src`` (tensor or scalar) written at ``index`` along ``dim``."""
    if reduce is not None:
        from .index_ops import scatter_with_reduce
        return scatter_with_reduce(x, dim, index, src, reduce)
    d = _check_index(x, dim, index, "scatter")
    _bounds_checked(index, x._buf.shape[d] if x.ndim else 1, d, RuntimeError)
    if not isinstance(src, Tensor):
        src = _full_like_index(x, index, src)
    src = src.to(x._dtype)
    if src._buf.shape != index._buf.shape:
        src = src[tuple(slice(0, n) for n in index._buf.shape)]
    b = x._backend
    buf = b.empty(x._buf.shape, x._dtype)
    b.copy_(buf, x._buf)
    b.scatter(buf, d, index._buf, src.contiguous()._buf)
    out = Tensor._make(buf, x._dtype, x._device, b)
    if grad_state.enabled and (x._requires_grad or src._requires_grad):
        need_x, need_src = x._requires_grad, src._requires_grad

        def backward(g):
            kept = scatter(g, d, index, 0.0) if need_x else None
            return kept, (gather(g, d, index) if need_src else None)
        out._attach("ScatterBackward0", backward, (x, src))
    return out


def _full_like_index(x: Tensor, index: Tensor, value) -> Tensor:
    return x._like(x._backend.full(index._buf.shape, scalar_for(value, x._dtype), x._dtype))


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Entries of ``x`` along ``dim`` at the 1-D ``index``."""
    d = wrap_dim(dim, x.ndim)
    key = [slice(None)] * x.ndim
    key[d] = index.reshape(-1)
    return present(getitem(x, tuple(key)), "IndexSelectBackward0", (x,))


def take_along_dim(x: Tensor, indices: Tensor, dim: int) -> Tensor:
    return gather(x, dim, indices.expand(
        tuple(x.shape[i] if i != wrap_dim(dim, x.ndim) else indices.shape[i] for i in range(x.ndim))))


def nonzero(x: Tensor, *, as_tuple: bool = False):
    """Coordinates of non-zero elements: ``(n, ndim)`` int64, or a tuple of 1-D index tensors."""
    coords = x._like(x._backend.nonzero(x._buf), dtypes.int64)
    if as_tuple:
        if x.ndim == 0:
            return (coords.reshape(-1),)
        return tuple(coords[:, i] for i in range(x.ndim))
    return coords


def argwhere(x: Tensor) -> Tensor:
    return nonzero(x)


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    """``x`` with ``value`` where ``mask`` is true."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("masked_fill only supports a 0-dimensional value tensor")
        value = value.to(x._dtype)
    else:
        value = scalar_for(value, x._dtype)
    if mask._dtype is not dtypes.bool:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
    result = sh._untracked(x, lambda: where(mask, value, x) if isinstance(value, Tensor)
                           else where(mask.logical_not(), x, value))
    if result._buf.shape != x._buf.shape:
        result = sh._untracked(x, lambda: result.expand(x._buf.shape))
    tensor_value = value if isinstance(value, Tensor) else None
    need_x, need_value = x._requires_grad, tensor_value is not None and tensor_value._requires_grad
    if grad_state.enabled and (need_x or need_value):
        shape = x._buf.shape

        def backward(g):
            gx = sum_to_shape(where(mask, 0.0, g), shape) if need_x else None
            gv = where(mask, g, 0.0).sum() if need_value else None
            return (gx, gv) if tensor_value is not None else (gx,)
        result._attach("MaskedFillBackward0", backward,
                       (x, tensor_value) if tensor_value is not None else (x,))
    return result


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    x, mask = sh.broadcast_tensors(x, mask)
    return getitem(x, mask)


# ----- key parsing -------------------------------------------------------------------------------


def _is_advanced(item) -> bool:
    if isinstance(item, Tensor):
        return True
    if isinstance(item, np.ndarray):
        return True
    if isinstance(item, (list, tuple, range)):
        return True
    return False


def has_advanced(key) -> bool:
    """Whether ``key`` holds an advanced index (a tensor, an array or a sequence)."""
    if not isinstance(key, tuple):
        return _is_advanced(key)
    return any(_is_advanced(item) for item in key)


def _as_index_tensor(item, like: Tensor) -> Tensor:
    if isinstance(item, Tensor):
        check_device(like, item, "index")
        return item
    from ..creation import tensor
    array = np.asarray(item)
    if array.dtype == object or (array.size == 0 and array.dtype == np.float64):
        array = array.astype(np.int64)
    if array.dtype.kind not in "biu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return tensor(array, device=like._device)


def _normalize_key(key) -> tuple:
    if not isinstance(key, tuple):
        key = (key,)
    return key


class _ParsedKey:
    """A key split into the basic view it implies and the advanced indices applied after it."""

    __slots__ = ("view", "advanced", "adjacent")

    def __init__(self, view: Tensor, advanced: list, adjacent: bool) -> None:
        self.view = view  # basic indexing applied; advanced dims kept whole
        self.advanced = advanced  # [(dim in view, int64 index tensor)], dims in increasing order
        self.adjacent = adjacent


def _parse(x: Tensor, key) -> _ParsedKey:
    key = _normalize_key(key)
    consumed = 0
    for item in key:
        if item is None or item is Ellipsis:
            continue
        if isinstance(item, Tensor) and item._dtype is dtypes.bool:
            consumed += max(item.ndim, 1) if item.ndim else 0
        elif isinstance(item, np.ndarray) and item.dtype == np.bool_:
            consumed += item.ndim
        else:
            consumed += 1
    if sum(1 for item in key if item is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {consumed})")
    expanded = []
    for item in key:
        if item is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - consumed))
        else:
            expanded.append(item)
    if not any(item is Ellipsis for item in key):
        expanded.extend([slice(None)] * (x.ndim - consumed))

    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    new_shape, new_strides, offset = [], [], 0
    advanced, positions = [], []
    steps = []  # PyTorch's view ops for the basic items, in order: (name, dim of the result, args)
    dim = 0
    for item in expanded:
        if item is None:
            steps.append(("UnsqueezeBackward0", len(new_shape), ()))
            new_shape.append(1)
            new_strides.append(0)
        elif isinstance(item, (bool, np.bool_)):
            # x[True] adds a dim; x[False] adds an empty dim (as in PyTorch and NumPy)
            steps.append(("UnsqueezeBackward0", len(new_shape), ()))
            new_shape.append(1 if item else 0)
            new_strides.append(0)
        elif isinstance(item, numbers.Integral) and not isinstance(item, Tensor):
            size = shape[dim]
            index = int(item)
            if not -size <= index < size:
                raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {size}")
            offset += (index % size) * strides[dim]
            steps.append(("SelectBackward0", len(new_shape), (index % size,)))
            dim += 1
        elif isinstance(item, slice):
            if item.step == 0:
                raise ValueError("slice step cannot be zero")
            offset += _apply_slice(item, shape[dim], strides[dim], new_shape, new_strides, steps)
            dim += 1
        elif _is_advanced(item):
            index = _as_index_tensor(item, x)
            if index._dtype is dtypes.bool or index._dtype is dtypes.uint8 and not isinstance(item, list):
                mask = index if index._dtype is dtypes.bool else index.bool()
                for k in range(mask.ndim):
                    if mask._buf.shape[k] != shape[dim + k]:
                        raise IndexError(
                            f"The shape of the mask {list(mask.shape)} at index {k} does not match "
                            f"the shape of the indexed tensor {list(shape)} at index {dim + k}")
                coords = nonzero(mask)
                if mask.ndim == 0:
                    # a 0-d mask adds a dim of size 1 or 0, like None / an empty selection
                    new_shape.append(1)
                    new_strides.append(0)
                    positions.append(len(new_shape) - 1)
                    advanced.append(coords.reshape(-1))
                    continue
                for k in range(mask.ndim):
                    new_shape.append(shape[dim])
                    new_strides.append(strides[dim])
                    positions.append(len(new_shape) - 1)
                    advanced.append(coords[:, k])
                    dim += 1
            else:
                if index._dtype.is_floating_point:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                size = shape[dim]
                index = index.long()
                wrapped = index + (index < 0).long() * size
                _bounds_checked(wrapped, size, dim)
                new_shape.append(size)
                new_strides.append(strides[dim])
                positions.append(len(new_shape) - 1)
                advanced.append(wrapped)
                dim += 1
        elif isinstance(item, str):  # PyTorch tries to make an index tensor of it: a TypeError
            raise TypeError(f"new(): invalid data type 'str' (a string is not a valid index: {item!r})")
        else:
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(item).__name__})")
    key_copy = tuple(expanded)
    view = _basic_view(x, tuple(new_shape), tuple(new_strides), offset, steps,
                       lambda t: _parse(t, key_copy).view)
    adjacent = all(b - a == 1 for a, b in zip(positions, positions[1:]))
    return _ParsedKey(view, list(zip(positions, advanced)), adjacent)


def _apply_slice(item: slice, size: int, stride: int, new_shape: list, new_strides: list, steps: list) -> int:
    """Append the dim a slice (step not 0) keeps, and its SliceBackward0 step when it narrows
    the dim; returns the storage offset it adds."""
    start, stop, step = item.indices(size)
    length = len(range(start, stop, step))
    if length != size or step != 1:
        steps.append(("SliceBackward0", len(new_shape), (start, step, length)))
    new_shape.append(length)
    new_strides.append(stride * step)
    return start * stride if length else 0


_BASIC_ITEMS = frozenset((int, slice, type(None), type(Ellipsis)))


def _basic_key_view(x: Tensor, key: tuple):
    """``x[key]`` for a key of ints, slices, None and at most one Ellipsis (the common case), as
    ``_parse`` makes it but in one pass; None for any other key (``_parse`` then decides, with
    its errors)."""
    consumed = ellipses = 0
    for item in key:
        kind = item.__class__
        if kind is int or kind is slice:
            consumed += 1
        elif kind not in _BASIC_ITEMS:
            return None  # tensors, lists, bools, NumPy integers...
        elif item is not None:
            ellipses += 1
    shape = x._buf.shape
    if ellipses > 1 or consumed > len(shape):
        return None
    strides = x._backend.strides(x._buf)
    new_shape, new_strides, offset, steps = [], [], 0, []
    dim = 0
    for item in key:
        kind = item.__class__
        if kind is slice:
            if item.step == 0:
                return None
            offset += _apply_slice(item, shape[dim], strides[dim], new_shape, new_strides, steps)
            dim += 1
        elif kind is int:
            size = shape[dim]
            if not -size <= item < size:
                return None
            index = item % size
            offset += index * strides[dim]
            steps.append(("SelectBackward0", len(new_shape), (index,)))
            dim += 1
        elif item is None:
            steps.append(("UnsqueezeBackward0", len(new_shape), ()))
            new_shape.append(1)
            new_strides.append(0)
        else:  # the Ellipsis: the dims no other item takes
            whole = len(shape) - consumed
            new_shape.extend(shape[dim:dim + whole])
            new_strides.extend(strides[dim:dim + whole])
            dim += whole
    new_shape.extend(shape[dim:])
    new_strides.extend(strides[dim:])
    return _basic_view(x, tuple(new_shape), tuple(new_strides), offset, steps,
                       lambda t: _parse(t, key).view)


def _basic_view(x: Tensor, shape, strides, offset: int, steps, replay) -> Tensor:
    """The view a basic key makes: one tensor, whose history is PyTorch's chain of
    ``SelectBackward0`` / ``SliceBackward0`` / ``UnsqueezeBackward0`` nodes (``AliasBackward0``
    when the key selects everything)."""
    in_shape = x._buf.shape
    if not steps:
        return sh.make_view(x, shape, strides, offset, "AliasBackward0", _identity, replay)
    if len(steps) == 1 and steps[0][0] == "UnsqueezeBackward0":
        return sh.make_view(x, shape, strides, offset, "UnsqueezeBackward0",
                            lambda g: (g.reshape(in_shape),), replay)
    view = sh.make_view(x, shape, strides, offset, steps[-1][0],
                        lambda g: (sh.view_scatter(g, replay, in_shape),), replay)
    if len(steps) > 1 and view._grad_fn is not None:
        view._grad_fn = _step_nodes(x, steps)
    return view


def _identity(g):
    return (g,)


def _step_nodes(x: Tensor, steps):
    """One node per step of a basic key, the first over ``x``'s history; returns the last."""
    from ...autograd.node import Node, edge_of
    edge, shape = edge_of(x), list(x._buf.shape)
    for name, d, args in steps:
        in_shape = tuple(shape)
        if name == "UnsqueezeBackward0":
            shape.insert(d, 1)
            backward = (lambda in_shape: lambda g: (g.reshape(in_shape),))(in_shape)
        else:
            if name == "SelectBackward0":
                del shape[d]
                apply = (lambda d, i: lambda t: sh.select(t, d, i))(d, *args)
            else:
                shape[d] = args[2]
                apply = (lambda d, start, step, length: lambda t: _sliced(t, d, start, step, length))(d, *args)
            backward = (lambda apply, in_shape: lambda g: (sh.view_scatter(g, apply, in_shape),))(apply, in_shape)
        node = Node(name, backward, ())
        node._next = (edge,)
        edge = node
    return edge


def _sliced(t: Tensor, d: int, start: int, step: int, length: int) -> Tensor:
    """``t[(slice(None),) * d + (slice(start, ..., step),)]`` (``length`` elements)."""
    shape, strides = list(t._buf.shape), list(t._backend.strides(t._buf))
    offset = start * strides[d] if length else 0
    shape[d], strides[d] = length, strides[d] * step
    return sh._general_view(t, tuple(shape), tuple(strides), offset, "SliceBackward0",
                            lambda u: _sliced(u, d, start, step, length))


def _linear_index(parsed: _ParsedKey):
    """Flatten the advanced dims of ``parsed.view``: returns (moved view, linear index, batch shape).

    ``moved`` has the advanced dims first (in order); ``linear`` indexes their flattened product.
    """
    view = parsed.view
    dims = [d for d, _ in parsed.advanced]
    rest = [d for d in range(view.ndim) if d not in dims]
    moved = sh.permute(view, dims + rest)
    indices = sh.broadcast_tensors(*[idx for _, idx in parsed.advanced])
    linear = None
    for (d, _), idx in zip(parsed.advanced, indices):
        size = view._buf.shape[d]
        linear = idx if linear is None else linear * size + idx
    return moved, linear, tuple(indices[0]._buf.shape), rest


def _place_batch(result: Tensor, parsed: _ParsedKey, batch_ndim: int) -> Tensor:
    """Move the broadcast index dims where PyTorch puts them (in place of the first advanced
    dim when all advanced dims are adjacent, else first)."""
    first = parsed.advanced[0][0]
    if not parsed.adjacent or first == 0:
        return result
    order = list(range(batch_ndim, batch_ndim + first)) + list(range(batch_ndim)) + \
        list(range(batch_ndim + first, result.ndim))
    return sh.permute(result, order)


def getitem(x: Tensor, key) -> Tensor:
    """``x[key]`` with PyTorch/NumPy semantics."""
    if key.__class__ is int and x._buf.shape:  # x[i]: the common case, a view along dim 0
        return sh.select(x, 0, key)
    if key.__class__ is tuple or key.__class__ is slice:
        view = _basic_key_view(x, key if key.__class__ is tuple else (key,))
        if view is not None:
            return view
    elif key.__class__ is Tensor and key._dtype is dtypes.int64 and len(key._buf.shape) == 1 \
            and x._buf.shape and key._device is x._device and values_checked_on_host(key):
        rows = _rows_in_range(x, key)
        if rows is not None:
            return rows
    parsed = _parse(x, key)
    if not parsed.advanced:
        return parsed.view
    moved, linear, batch, rest = _linear_index(parsed)
    lead = len(parsed.advanced)
    rest_shape = moved._buf.shape[lead:]
    rows = 1
    for s in moved._buf.shape[:lead]:
        rows *= s
    inner = 1
    for s in rest_shape:
        inner *= s
    flat = sh.reshape(moved, (rows, inner))
    count = linear.numel()
    index = sh.expand(sh.reshape(linear, (count, 1)), (count, inner))
    picked = gather(flat, 0, index) if rows else Tensor._make(
        x._backend.full((count, inner), 0, x._dtype), x._dtype, x._device, x._backend)
    result = sh.reshape(picked, batch + tuple(rest_shape))
    return present(_fresh_result(_place_batch(result, parsed, len(batch))), "IndexBackward0", (x,))


def _fresh_result(t: Tensor) -> Tensor:
    """``t`` (a view of an intermediate result nothing else holds) as a tensor of its own, with
    its history: advanced indexing returns a new tensor, not a view, as in PyTorch."""
    if t._base is None:
        return t
    out = Tensor._make(t._buf, t._dtype, t._device, t._backend)
    out._grad_fn, out._requires_grad = t.grad_fn, t._requires_grad
    return out


def index_put(x: Tensor, key, value) -> Tensor:
    """``x`` with ``x[key] = value`` applied, as a new tensor (differentiable in both)."""
    value = _value_tensor(x, value)
    out = sh.clone(x.detach())
    with no_grad():
        setitem_(out, key, value)
    if grad_state.enabled and (x._requires_grad or value._requires_grad):
        need_x, need_value = x._requires_grad, value._requires_grad

        def backward(g):
            gx = index_put(g, key, 0.0) if need_x else None
            gv = sum_to_shape(getitem(g, key), value._buf.shape) if need_value else None
            return gx, gv
        out._attach("IndexPutBackward0", backward, (x, value))
    return out


def _value_tensor(x: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        check_device(x, value, "index_put")
        return value.to(x._dtype)
    return x._like(x._backend.full((), scalar_for(value, x._dtype), x._dtype))


def setitem_(x: Tensor, key, value) -> None:
    """Write ``value`` into ``x[key]`` in place, without autograd bookkeeping."""
    value = _value_tensor(x, value)
    parsed = _parse(x.detach(), key)
    b = x._backend
    if not parsed.advanced:
        target = parsed.view
        source = value
        if _shares_storage(x, value):
            source = sh.clone(value.detach())
        b.copy_(target._buf, _broadcast_buf(source, target._buf.shape, "setitem"))
        return
    moved, linear, batch, rest = _linear_index(parsed)
    lead = len(parsed.advanced)
    rest_shape = moved._buf.shape[lead:]
    rows = 1
    for s in moved._buf.shape[:lead]:
        rows *= s
    inner = 1
    for s in rest_shape:
        inner *= s
    count = linear.numel()
    if count == 0 or rows == 0:
        return
    # The value is laid out like getitem's result; bring it to (count, inner) order.
    result_shape = batch + tuple(rest_shape)
    placed = _place_batch(_zeros_view(x, result_shape), parsed, len(batch))
    src = sh.expand(value.detach(), placed._buf.shape) if value._buf.shape != placed._buf.shape \
        else value.detach()
    if parsed.adjacent and parsed.advanced[0][0] > 0:
        first, nb = parsed.advanced[0][0], len(batch)
        order = list(range(first, first + nb)) + list(range(first)) + list(range(first + nb, src.ndim))
        src = sh.permute(src, order)
    src = sh.reshape(sh.contiguous(src), (count, inner))
    index = sh.expand(sh.reshape(linear, (count, 1)), (count, inner))
    flat_strides = sh._view_strides(moved._buf.shape, b.strides(moved._buf), (rows, inner))
    if flat_strides is not None:
        flat = b.as_strided(moved._buf, (rows, inner), flat_strides, 0)
        b.scatter(flat, 0, sh.contiguous(index)._buf, src._buf)
    else:
        staged = sh.clone(moved)
        flat = b.as_strided(staged._buf, (rows, inner), contiguous_strides((rows, inner)), 0)
        b.scatter(flat, 0, sh.contiguous(index)._buf, src._buf)
        b.copy_(moved._buf, staged._buf)


def _zeros_view(x: Tensor, shape: tuple) -> Tensor:
    return x._like(x._backend.full(shape, 0, x._dtype))


def _broadcast_buf(value: Tensor, shape: tuple, op: str):
    if value._buf.shape == shape:
        return value._buf
    vshape = value._buf.shape
    while len(vshape) > len(shape) and vshape[0] == 1:  # PyTorch drops leading 1s of the value
        value = sh.reshape(value.detach(), vshape[1:])
        vshape = vshape[1:]
    try:
        return sh.expand(value.detach(), shape)._buf
    except RuntimeError:
        raise RuntimeError(f"{op}: shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(shape)}") from None


def _shares_storage(a: Tensor, b: Tensor) -> bool:
    root_a = a._base if a._base is not None else a
    root_b = b._base if b._base is not None else b
    return root_a is root_b or a._version is b._version

