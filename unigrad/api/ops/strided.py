"""Storage-level views and in-place view ops: ``as_strided`` (+ ``as_strided_``,
``as_strided_scatter``), ``storage offsets``, ``t_``/``transpose_``/``squeeze_``/``unsqueeze_``,
``fill_diagonal_``, ``new_empty_strided``, ``ravel``, ``narrow_copy`` and the ``*_copy`` ops.

A tensor's storage is its root tensor's memory (``x._base``, or ``x`` itself), and a view's
storage offset is found by replaying its view function on a metadata-only stand-in for the root,
so no backend needs to expose addresses.
"""
from __future__ import annotations

import math

from .. import dtypes
from ..tensor import Tensor
from . import inplace, shape as sh
from .composite import as_node
from .support import grad_state, wrap_dim


# ----- storage offsets ----------------------------------------------------------------------------
class _MetaBuffer:
    """Shape, strides and offset of a view, without memory."""

    __slots__ = ("shape", "strides", "offset")

    def __init__(self, shape, strides, offset: int) -> None:
        self.shape, self.strides, self.offset = tuple(shape), tuple(strides), offset


class _MetaBackend:
    """The two primitives view ops use, on metadata only."""

    native_broadcasting = False

    @staticmethod
    def strides(buf: _MetaBuffer) -> tuple:
        return buf.strides

    @staticmethod
    def as_strided(buf: _MetaBuffer, shape, strides, offset: int) -> _MetaBuffer:
        return _MetaBuffer(shape, strides, buf.offset + offset)


_META = _MetaBackend()


def storage_offset(x: Tensor) -> int:
    """The position of ``x``'s first element in its storage, in elements."""
    if x._buf.__class__ is _MetaBuffer:
        return x._buf.offset
    root = _root(x)
    return root_offset(root) + _offset_in_root(x)


def _offset_in_root(x: Tensor) -> int:
    """The position of ``x``'s first element relative to its root's first element."""
    if x._base is None or x._view_fn is None:
        return 0
    root = x._base
    stand_in = Tensor._make(_MetaBuffer(root._buf.shape, root._backend.strides(root._buf), 0),
                            root._dtype, root._device, _META)
    return x._view_fn(stand_in)._buf.offset


def root_offset(root: Tensor) -> int:
    """Where a storage owner's first element lies in its storage: 0, unless ``as_strided_``
    moved it (PyTorch keeps the storage; so does unigrad, behind the moved buffer)."""
    moved = getattr(root, "_root_storage", None)
    return 0 if moved is None else moved[0]


def _storage_size(root: Tensor) -> int:
    """How many elements the storage of the owner ``root`` holds."""
    moved = getattr(root, "_root_storage", None)
    if moved is not None:
        return moved[1]
    if not math.prod(root._buf.shape):
        return 0
    return _extent(root._buf.shape, root._backend.strides(root._buf))[1] + 1


def _extent(shape, strides) -> tuple:
    """Lowest and highest element position a layout addresses, relative to its first element."""
    low = sum(min(0, (n - 1) * s) for n, s in zip(shape, strides) if n)
    high = sum(max(0, (n - 1) * s) for n, s in zip(shape, strides) if n)
    return low, high


def _root(x: Tensor) -> Tensor:
    return x._base if x._base is not None else x


# ----- as_strided ---------------------------------------------------------------------------------
def as_strided(x: Tensor, size, stride, storage_offset_: int | None = None) -> Tensor:
    """A view of ``x``'s storage with the given sizes, element strides and storage offset (by
    default ``x``'s own)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"as_strided: negative size in {list(size)}")
    root = _root(x)
    start = root_offset(root) if root._buf.__class__ is not _MetaBuffer else 0
    own = storage_offset(x)
    offset = own if storage_offset_ is None else int(storage_offset_)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if root._buf.__class__ is not _MetaBuffer and math.prod(size):
        low = _extent(root._buf.shape, root._backend.strides(root._buf))[0]
        available = _storage_size(root)
        need = offset + _extent(size, stride)[1] + 1
        if low < 0 or need > available:
            item = x._dtype.itemsize
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                               f"offset {offset}, and itemsize {item} requiring a storage size of "
                               f"{need * item} are out of bounds for storage of size "
                               f"{available * item}")
    # the geometry the gradient needs, fixed now (in-place view ops may re-lay x out later);
    # positions count from the root's first element, which may not start the storage
    geometry = _Geometry(x, root)
    relative = offset - start

    def replay(t):
        laid_out = _laid_out_like_root(t, geometry)
        return as_strided(laid_out, size, stride, relative + _replay_start(laid_out))

    return sh.make_view(x, size, stride, offset - own, "AsStridedBackward0",
                        lambda g: (_as_strided_backward(g, geometry, size, stride, relative),),
                        replay)


def _replay_start(t: Tensor) -> int:
    root = _root(t)
    return 0 if root._buf.__class__ is _MetaBuffer else root_offset(root)


class _Geometry:
    """Where an input's elements sit in its root's memory: the root's layout and the view
    function from the root to the input."""

    __slots__ = ("shape", "strides", "root_shape", "root_strides", "view_fn")

    def __init__(self, x: Tensor, root: Tensor) -> None:
        self.shape, self.strides = x._buf.shape, x._backend.strides(x._buf)
        self.root_shape, self.root_strides = root._buf.shape, root._backend.strides(root._buf)
        self.view_fn = x._view_fn if x._base is not None else None


def _laid_out_like_root(t: Tensor, geometry: "_Geometry") -> Tensor:
    """``t`` (shaped like the view's input) over a root with the original root's memory layout:
    a storage-level view means nothing over other layouts (a gradient is often a broadcast), so
    such a root is first copied into that layout, as PyTorch's CopySlices does."""
    root = _root(t)
    if root._buf.__class__ is _MetaBuffer or root._backend.strides(root._buf) == geometry.root_strides:
        return t
    extent = 1 + sum((n - 1) * s for n, s in zip(geometry.root_shape, geometry.root_strides)) \
        if math.prod(geometry.root_shape) else 0
    backend = root._backend
    buf = backend.as_strided(backend.empty((extent,), root._dtype), geometry.root_shape,
                             geometry.root_strides, 0)
    backend.copy_(buf, root._buf)
    relaid = Tensor._make(buf, root._dtype, root._device, backend)
    if root._requires_grad and grad_state.enabled:
        relaid._attach("CloneBackward0", lambda g: (g,), (root,))
    return relaid if t._base is None or t._view_fn is None else t._view_fn(relaid)


def _positions(like: Tensor, shape, strides, offset) -> Tensor:
    """int64 tensor of ``shape``: the storage position of each element of a layout."""
    from ..creation import zeros
    total = zeros(tuple(shape), dtype=dtypes.int64, device=like._device) + offset
    for d, (n, s) in enumerate(zip(shape, strides)):
        if n > 1 and s:
            view = [1] * len(shape)
            view[d] = n
            step = like._like(like._backend.arange(0, n * s, s, dtypes.int64), dtypes.int64)
            total = total + sh.reshape(step, view)
    return total


def _as_strided_backward(g: Tensor, geometry: _Geometry, size, stride, offset) -> Tensor:
    """Gradients summed per storage position, then read back at the input's positions (shared
    among the input elements that alias one position, as PyTorch shares them)."""
    from .indexing import gather, scatter_add_into_zeros
    low, high = _extent(geometry.root_shape, geometry.root_strides)
    low = min(low, offset + _extent(size, stride)[0])
    span = max(high, offset + _extent(size, stride)[1]) - low + 1
    root_positions = _positions(g, geometry.root_shape, geometry.root_strides, -low)
    x_positions = root_positions if geometry.view_fn is None else geometry.view_fn(root_positions)
    out_positions = _positions(g, size, stride, offset - low)
    storage = scatter_add_into_zeros(sh.reshape(g, (-1,)).contiguous(), 0,
                                     sh.reshape(out_positions, (-1,)).contiguous(), (span,))
    flat_x = sh.reshape(x_positions, (-1,)).contiguous()
    if any(s == 0 and n > 1 for n, s in zip(geometry.shape, geometry.strides)):
        ones = g._like(g._backend.full(flat_x._buf.shape, 1, g._dtype))
        counts = scatter_add_into_zeros(ones, 0, flat_x, (span,))
        storage = storage / sh.reshape(counts, (-1,)).clamp(min=1)
    return sh.reshape(gather(storage, 0, flat_x), geometry.shape)


def as_strided_scatter(x: Tensor, src: Tensor, size, stride, storage_offset_: int | None = None) -> Tensor:
    """A copy of ``x`` with ``src`` written where ``x.as_strided(size, stride, offset)`` looks."""
    out = sh.clone(x.detach())
    target = as_strided(out, size, stride, storage_offset_)
    if tuple(src._buf.shape) != tuple(target._buf.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target.shape)}")
    out._backend.copy_(target._buf, src.to(x._dtype)._buf)
    if grad_state.enabled and (x._requires_grad or src._requires_grad):
        need_x, need_src = x._requires_grad, src._requires_grad

        def backward(g):
            if g._base is not None or not g.is_contiguous():
                g = sh.clone(g)  # offsets count from a fresh storage, like ``out``'s
            zeros = g._like(g._backend.full(tuple(size), 0, g._dtype))
            gx = as_strided_scatter(g, zeros, size, stride, storage_offset_) if need_x else None
            gsrc = as_strided(g, size, stride, storage_offset_) if need_src else None
            return gx, gsrc
        out._attach("AsStridedScatterBackward0", backward, (x, src))
    return out


# ----- in-place view ops --------------------------------------------------------------------------
def _inplace_view(x: Tensor, make, name: str) -> Tensor:
    """Give ``x`` the layout of the view ``make(x)`` (PyTorch's ``t_``, ``squeeze_``...)."""
    if grad_state.enabled and x._requires_grad:
        inplace._check_leaf(x)
    view = make(x)
    x._buf = view._buf
    if x._base is not None:
        x._view_fn = view._view_fn
    node = view._grad_fn
    if node is not None:
        node._name = name
        x.grad_fn, x._requires_grad = node, True
    return x


def t_(x: Tensor) -> Tensor:
    return _inplace_view(x, sh.t, "TBackward1")


def transpose_(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return _inplace_view(x, lambda t: sh.transpose(t, dim0, dim1), "TransposeBackward1")


swapaxes_ = swapdims_ = transpose_


def squeeze_(x: Tensor, dim=None) -> Tensor:
    return _inplace_view(x, lambda t: sh.squeeze(t, dim), "SqueezeBackward3")


def unsqueeze_(x: Tensor, dim: int) -> Tensor:
    return _inplace_view(x, lambda t: sh.unsqueeze(t, dim), "UnsqueezeBackward1")


def as_strided_(x: Tensor, size, stride, storage_offset_: int | None = None) -> Tensor:
    """Give ``x`` the layout ``(size, stride, storage_offset)`` over its storage."""
    if x._base is not None:
        return _inplace_view(x, lambda t: as_strided(t, size, stride, storage_offset_),
                             "AsStridedBackward1")
    # a storage owner keeps its storage: later views may reach before its new first element
    storage = (storage_offset(x) if storage_offset_ is None else int(storage_offset_), _storage_size(x))
    _inplace_view(x, lambda t: as_strided(t, size, stride, storage_offset_), "AsStridedBackward1")
    x._root_storage = storage
    return x


def fill_diagonal_(x: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all dims equal for more than 2 dims); ``wrap`` restarts the
    diagonal every ``cols + 1`` rows of a tall matrix, as NumPy's ``fill_diagonal``."""
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = x._buf.shape
    if x.ndim > 2 and any(n != shape[0] for n in shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    backend = x._backend
    mask = Tensor._make(backend.full(shape, False, dtypes.bool), dtypes.bool, x._device, backend)
    diagonal = mask
    while diagonal.ndim > 1:
        diagonal = sh.diagonal(diagonal, 0, 0, 1)
        if diagonal.ndim > 1:
            diagonal = sh.movedim(diagonal, -1, 0)
    targets = [diagonal]
    height, width = shape[0], shape[1]
    if wrap and x.ndim == 2 and height > width + 1:
        targets += [sh.diagonal(sh.narrow(mask, 0, start, min(width, height - start)))
                    for start in range(width + 1, height, width + 1)]
    for target in targets:
        backend.copy_(target._buf, backend.full(target._buf.shape, True, dtypes.bool))
    from .pointwise import where
    from .support import scalar_for
    value = fill_value.to(x._dtype) if isinstance(fill_value, Tensor) else scalar_for(fill_value, x._dtype)
    return inplace.commit(x, where(mask, value, x), "fill_diagonal_")


# ----- layouts and copies -------------------------------------------------------------------------
def new_empty_strided(x: Tensor, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False) -> Tensor:
    """An uninitialised tensor laid out with ``stride`` (``x``'s dtype and device by default)."""
    from ..creation import placement
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    dtype = x._dtype if dtype is None else dtypes.as_dtype(dtype)
    dev, backend = (x._device, x._backend) if device is None else placement(device)
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buf = backend.as_strided(backend.empty((extent,), dtype), size, stride, 0)
    out = Tensor._make(buf, dtype, dev, backend)
    return out.requires_grad_() if requires_grad else out


def ravel(x: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when the layout allows)."""
    return sh.reshape(x, (-1,))


def narrow_copy(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor."""
    return as_node(sh.clone(sh.narrow(x, dim, start, length)), "NarrowCopyBackward0")


def slice_copy(x: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    d = wrap_dim(dim, x.ndim)
    key = (slice(None),) * d + (slice(start, end, step),)
    return sh.clone(x[key])


def _copying(view_op):
    def op(*args, **kwargs):
        result = view_op(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(sh.clone(t) for t in result)
        return sh.clone(result)
    op.__name__ = f"{getattr(view_op, '__name__', 'view')}_copy"
    op.__doc__ = f"``{getattr(view_op, '__name__', 'view')}`` as new tensors (no aliasing)."
    return op


def _alias(x: Tensor) -> Tensor:
    return sh._alias(x)


COPIES = {
    "alias_copy": _copying(_alias), "as_strided_copy": _copying(as_strided),
    "detach_copy": _copying(sh.detach), "diagonal_copy": _copying(sh.diagonal),
    "expand_copy": _copying(sh.expand), "permute_copy": _copying(sh.permute),
    "select_copy": _copying(sh.select), "split_copy": _copying(sh.split),
    "squeeze_copy": _copying(sh.squeeze), "t_copy": _copying(sh.t),
    "transpose_copy": _copying(sh.transpose), "unbind_copy": _copying(sh.unbind),
    "unsqueeze_copy": _copying(sh.unsqueeze), "view_copy": _copying(sh.view),
    "narrow_copy": narrow_copy, "slice_copy": slice_copy,
}


def _unfold_copy(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    from .windows import unfold
    return sh.clone(unfold(x, dimension, size, step))


COPIES["unfold_copy"] = _unfold_copy
COPIES["split_with_sizes_copy"] = _copying(lambda x, sizes, dim=0: sh.split(x, list(sizes), dim))
