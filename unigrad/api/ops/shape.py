"""Movement ops. Views are computed here (shape, strides, offset) and made by the single
``as_strided`` primitive, so a view aliases its base on every backend."""
from __future__ import annotations

from .. import dtypes
from ...autograd import views
from ..autocast_state import autocast_op
from .support import (Tensor, broadcast_shapes, cast_tensor, check_device, contiguous_strides,
                      grad_state, normalize_dims, sum_to_shape, wrap_dim)


def _shape_arg(args) -> tuple:
    if len(args) == 1 and not isinstance(args[0], int):
        return tuple(args[0])
    return tuple(args)


def make_view(x: Tensor, shape, strides, offset: int, name: str, backward, replay) -> Tensor:
    """A tensor aliasing ``x``: ``replay(t)`` re-applies the same view to a tensor shaped like
    ``x`` (used for the view's gradient and for in-place updates through the view)."""
    out = Tensor._make(x._backend.as_strided(x._buf, tuple(shape), tuple(strides), offset),
                       x._dtype, x._device, x._backend)
    version = out._version = x._version
    base = x._base
    if base is None:
        base = out._base = x
        out._view_fn = replay
        creation = None
    else:
        parent = x._view_fn
        out._base, out._view_fn = base, (lambda t: replay(parent(t)))
        creation = x._view_creation
    out._view_version = version[0]
    if grad_state.enabled:
        out._view_creation = creation if creation is None else views.creation_in_mode(creation, name)
        if x._requires_grad:
            out._attach(name, backward, (x,))
    else:
        out._view_creation = views.creation_in_mode(creation)
    if not base._requires_grad and x._dtype.is_floating_point:
        views.register_view(version, out)
    return out


def view_scatter(g: Tensor, replay, shape: tuple) -> Tensor:
    """Zeros of ``shape`` with ``g`` written where ``replay`` views (the backward of a view)."""
    out = Tensor._make(g._backend.full(shape, 0, g._dtype), g._dtype, g._device, g._backend)
    target = replay(out.detach())
    g._backend.copy_(target._buf, g._buf if g._buf.shape == target._buf.shape
                     else g.expand(target._buf.shape)._buf)
    if g._requires_grad and grad_state.enabled:
        out._attach("ViewScatterBackward", lambda gg: (replay(gg),), (g,))
    return out


def _general_view(x: Tensor, shape, strides, offset, name, replay) -> Tensor:
    in_shape = x._buf.shape
    return make_view(x, shape, strides, offset, name,
                     lambda g: (view_scatter(g, replay, in_shape),), replay)


# ----- reshape family ----------------------------------------------------------------------------
def _infer_shape(shape: tuple, numel: int) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that view ``old`` memory as ``new_shape``, or None (PyTorch's computeStride)."""
    if not old_shape:
        old_shape, old_strides = (1,), (1,)
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def view(x: Tensor, *shape) -> Tensor:
    """The same data seen with another shape; raises if the memory layout does not allow it."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype) reinterpretation is not supported")
    shape = _infer_shape(_shape_arg(shape), x.numel())
    strides = _view_strides(x._buf.shape, x._backend.strides(x._buf), shape)
    if strides is None:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces): shape {list(x._buf.shape)} -> "
            f"{list(shape)}. Use .reshape(...) instead.")
    return _reshape_view(x, shape, strides)


def _reshape_view(x: Tensor, shape, strides, name: str = "ViewBackward0") -> Tensor:
    in_shape = x._buf.shape
    return make_view(x, shape, strides, 0, name, lambda g: (g.reshape(in_shape),),
                     lambda t: t.view(shape))


def reshape(x: Tensor, *shape) -> Tensor:
    """``view`` when the layout allows, else a contiguous copy with the new shape."""
    shape = _infer_shape(_shape_arg(shape), x.numel())
    if shape == x._buf.shape:
        return _alias(x)
    strides = _view_strides(x._buf.shape, x._backend.strides(x._buf), shape)
    if strides is None:  # a copy, reshaped: PyTorch's _unsafe_view of a clone
        return _reshape_view(contiguous(x), shape, contiguous_strides(shape), "UnsafeViewBackward0")
    return _reshape_view(x, shape, strides)


def _alias(x: Tensor) -> Tensor:
    return make_view(x, x._buf.shape, x._backend.strides(x._buf), 0, "AliasBackward0",
                     lambda g: (g,), lambda t: t)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = wrap_dim(start_dim, x.ndim), wrap_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._buf.shape
    merged = 1
    for size in shape[s:e + 1]:
        merged *= size
    return reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    d = wrap_dim(dim, x.ndim)
    shape = x._buf.shape
    inner = _infer_shape(tuple(sizes), shape[d])
    return reshape(x, shape[:d] + inner + shape[d + 1:])


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return view(x, other._buf.shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other._buf.shape)


# ----- permutations ------------------------------------------------------------------------------
def permute(x: Tensor, *dims) -> Tensor:
    """Reorder dimensions (a view)."""
    return _permuted(x, _shape_arg(dims), "PermuteBackward0")


def _permuted(x: Tensor, dims, name: str) -> Tensor:
    n = x.ndim
    order = tuple(wrap_dim(d, n) for d in dims)
    if len(order) != n or len(set(order)) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dims don't match in permute: got "
                           f"{list(dims)} for a tensor of {n} dims" if len(order) != n else
                           f"permute(): duplicate dims are not allowed: {list(dims)}")
    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    inverse = [0] * n
    for i, d in enumerate(order):
        inverse[d] = i
    return make_view(x, tuple(shape[d] for d in order), tuple(strides[d] for d in order), 0,
                     name, lambda g: (permute(g, inverse),), lambda t: permute(t, order))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view)."""
    return _swapped(x, dim0, dim1, "TransposeBackward0")


def _swapped(x: Tensor, dim0: int, dim1: int, name: str) -> Tensor:
    n = x.ndim
    if n == 0:
        return _alias(x)
    order = list(range(n))
    a, b = wrap_dim(dim0, n), wrap_dim(dim1, n)
    order[a], order[b] = order[b], order[a]
    return _permuted(x, order, name)


swapaxes = swapdims = transpose


def t(x: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return _swapped(x, 0, 1, "TBackward0") if x.ndim == 2 else _alias(x)


def movedim(x: Tensor, source, destination) -> Tensor:
    n = x.ndim
    src = [wrap_dim(d, n) for d in ((source,) if isinstance(source, int) else source)]
    dst = [wrap_dim(d, n) for d in ((destination,) if isinstance(destination, int) else destination)]
    rest = [d for d in range(n) if d not in src]
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    it = iter(rest)
    order = [o if o is not None else next(it) for o in order]
    return permute(x, order)


moveaxis = movedim


# ----- size-1 dimensions and broadcasting --------------------------------------------------------
def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    dims = normalize_dims(dim, len(shape)) if dim is not None else tuple(range(len(shape)))
    keep = [i for i in range(len(shape)) if not (i in dims and shape[i] == 1)]
    new_shape = tuple(shape[i] for i in keep)
    in_shape = shape
    name = "SqueezeBackward0" if dim is None else "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    return make_view(x, new_shape, tuple(strides[i] for i in keep), 0, name,
                     lambda g: (g.reshape(in_shape),), lambda t: squeeze(t, dim))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (a view)."""
    shape, strides = list(x._buf.shape), list(x._backend.strides(x._buf))
    d = wrap_dim(dim, len(shape) + 1)
    stride = strides[d] * shape[d] if d < len(shape) else 1
    shape.insert(d, 1)
    strides.insert(d, stride)
    in_shape = x._buf.shape
    return make_view(x, shape, strides, 0, "UnsqueezeBackward0",
                     lambda g: (g.reshape(in_shape),), lambda t: unsqueeze(t, d))


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying (stride-0 view); -1 keeps a dim."""
    sizes = _shape_arg(sizes)
    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shape)})")
    new_shape, new_strides = [], []
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension")
            new_shape.append(size)
            new_strides.append(0)
            continue
        own = shape[i - lead]
        if size == -1:
            size = own
        if own == size:
            new_shape.append(size)
            new_strides.append(strides[i - lead])
        elif own == 1:
            new_shape.append(size)
            new_strides.append(0)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({size}) must match the existing size ({own}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
    new_shape = tuple(new_shape)
    if new_shape == shape:
        return x if not x._requires_grad else _alias(x)
    return make_view(x, new_shape, new_strides, 0, "ExpandBackward0",
                     lambda g: (sum_to_shape(g, shape),), lambda t: expand(t, new_shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other._buf.shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand(x, tuple(shape))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t._buf.shape for t in tensors), op="broadcast_tensors")
    return tuple(expand(t, shape) for t in tensors)


# ----- slicing views -----------------------------------------------------------------------------
def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start+length`` along ``dim`` (a view)."""
    d = wrap_dim(dim, x.ndim)
    size = x._buf.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}) of dim {d}")
    strides = x._backend.strides(x._buf)
    shape = list(x._buf.shape)
    shape[d] = length
    return _general_view(x, shape, strides, start * strides[d], "SliceBackward0",
                         lambda t: narrow(t, d, start, length))


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dim removed (a view)."""
    d = wrap_dim(dim, x.ndim)
    size = x._buf.shape[d]
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    index %= size
    strides = x._backend.strides(x._buf)
    shape = x._buf.shape
    return _general_view(x, shape[:d] + shape[d + 1:], strides[:d] + strides[d + 1:],
                         index * strides[d], "SelectBackward0", lambda t: select(t, d, index))


def flip(x: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (read through a negative-stride view)."""
    dims = normalize_dims(dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims, x.ndim)
    shape, strides = x._buf.shape, list(x._backend.strides(x._buf))
    offset = 0
    for d in dims:
        if shape[d] > 0:
            offset += (shape[d] - 1) * strides[d]
        strides[d] = -strides[d]
    # torch.flip returns a copy (in-place ops on it must not reach x): copied from a reversed
    # view, as one node
    out = _untracked(x, lambda: clone(make_view(x, shape, strides, offset, "FlipBackward0", None,
                                                lambda t: flip(t, dims))))
    if x._requires_grad and grad_state.enabled:
        out._attach("FlipBackward0", lambda g: (flip(g, dims),), (x,))
    return out


def _untracked(x: Tensor, compute):
    """``compute()`` with no graph recorded, as a fresh tensor (to attach one node to)."""
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        out = compute()
    finally:
        grad_state.enabled = enabled
    if out._base is not None or out is x:
        out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    return out


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the ``(dim1, dim2)`` planes, as the last dim (a view)."""
    n = x.ndim
    a, b = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    if offset >= 0:
        length = max(min(shape[a], shape[b] - offset), 0)
        start = offset * strides[b] if length else 0
    else:
        length = max(min(shape[a] + offset, shape[b]), 0)
        start = -offset * strides[a] if length else 0
    rest = [i for i in range(n) if i not in (a, b)]
    return _general_view(x, tuple(shape[i] for i in rest) + (length,),
                         tuple(strides[i] for i in rest) + (strides[a] + strides[b],), start,
                         "DiagonalBackward0", lambda t: diagonal(t, offset, a, b))


def unbind(x: Tensor, dim: int = 0):
    """The slices along ``dim`` (views; one multi-output op, as PyTorch's)."""
    d = wrap_dim(dim, x.ndim)
    shape, strides = x._buf.shape, x._backend.strides(x._buf)
    row_shape, row_strides, step = shape[:d] + shape[d + 1:], strides[:d] + strides[d + 1:], strides[d]
    rows = tuple(_general_view(x, row_shape, row_strides, i * step, "SelectBackward0", _selector(d, i))
                 for i in range(shape[d]))  # select(x, d, i) each, the geometry worked out once
    return _multi_output(rows, "UnbindBackward0")


def _selector(d: int, index: int):
    return lambda t: select(t, d, index)


def _multi_output(pieces: tuple, name: str) -> tuple:
    """``pieces`` as the outputs of one op returning several views: named like its node, and
    refused for in-place ops under autograd (PyTorch's multi-output views)."""
    for i, piece in enumerate(pieces):
        views.as_multi_output(piece, i)
        if piece._grad_fn is not None:
            piece._grad_fn._name = name
    return pieces


def split(x: Tensor, split_size_or_sections, dim: int = 0):
    """Split into pieces of a given size (last may be smaller) or of given sizes (views)."""
    d = wrap_dim(dim, x.ndim)
    size = x._buf.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got {step}")
        sections = [min(step, size - i) for i in range(0, size, step)] or [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes={sections}")
    pieces, start = [], 0
    for length in sections:
        pieces.append(narrow(x, d, start, length))
        start += length
    name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    return _multi_output(tuple(pieces), name)


def chunk(x: Tensor, chunks: int, dim: int = 0):
    """Split into ``chunks`` nearly equal pieces."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    size = x._buf.shape[wrap_dim(dim, x.ndim)]
    return split(x, max(-(-size // chunks), 1), dim)


# ----- copies --------------------------------------------------------------------------------------
def contiguous(x: Tensor, memory_format=None) -> Tensor:
    """``x`` if already C-contiguous, else a C-contiguous copy."""
    if x.is_contiguous():
        return x
    return clone(x)


def clone(x: Tensor, memory_format=None) -> Tensor:
    """A copy with its own (C-contiguous) storage; gradients flow back to ``x``."""
    b = x._backend
    buf = b.empty(x._buf.shape, x._dtype)
    b.copy_(buf, x._buf)
    out = Tensor._make(buf, x._dtype, x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        out._attach("CloneBackward0", lambda g: (g,), (x,))
    return out


def detach(x: Tensor) -> Tensor:
    """A tensor sharing ``x``'s storage (and version counter), cut from the graph."""
    out = Tensor._make(x._buf, x._dtype, x._device, x._backend)
    out._version = x._version
    return out


@autocast_op("cat")
def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    # legacy rule kept by PyTorch: 1-D empty tensors are skipped
    used = [t for t in tensors if not (t._buf.shape == (0,) and len(tensors) > 1)] or tensors[:1]
    ref = used[0]
    d = wrap_dim(dim, ref.ndim)
    dtype = dtypes.result_type(*[t for t in tensors])
    for t in tensors[1:]:
        check_device(first, t, "cat")
    out_shape = list(ref._buf.shape)
    total = 0
    for i, t in enumerate(used):
        shape = t._buf.shape
        if len(shape) != len(out_shape) or any(
                a != b for k, (a, b) in enumerate(zip(shape, out_shape)) if k != d):
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {d}. Expected size "
                f"{list(out_shape)} but got size {list(shape)} for tensor number {i} in the list.")
        total += shape[d]
    out_shape[d] = total
    b = ref._backend
    buf = b.empty(tuple(out_shape), dtype)
    strides = b.strides(buf)
    start = 0
    parts = [cast_tensor(t, dtype) for t in used]
    for part in parts:
        shape = list(out_shape)
        shape[d] = part._buf.shape[d]
        if shape[d]:
            b.copy_(b.as_strided(buf, tuple(shape), strides, start * strides[d]), part._buf)
        start += shape[d]
    out = Tensor._make(buf, dtype, ref._device, b)
    if grad_state.enabled and any(p._requires_grad for p in parts):
        sizes = [p._buf.shape[d] for p in parts]
        out._attach("CatBackward0", lambda g: split(g, sizes, d), parts)
    return out


concat = concatenate = cat


@autocast_op("stack")
def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._buf.shape
    for i, t in enumerate(tensors):
        if t._buf.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._buf.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    first = tensors[0]
    for t in tensors[1:]:
        check_device(first, t, "stack")
    dtype = dtypes.result_type(*tensors) if len(tensors) > 1 else first._dtype
    b = first._backend
    out_shape = shape[:d] + (len(tensors),) + shape[d:]
    buf = b.empty(out_shape, dtype)
    strides = b.strides(buf)
    part_strides = strides[:d] + strides[d + 1:]
    if all(shape):  # each tensor written into its slice of the result (no unsqueezed views)
        for i, t in enumerate(tensors):
            source = t._buf if t._dtype is dtype else cast_tensor(t, dtype)._buf
            b.copy_(b.as_strided(buf, shape, part_strides, i * strides[d]), source)
    out = Tensor._make(buf, dtype, first._device, b)
    if grad_state.enabled and any(t._requires_grad for t in tensors):
        dtypes_in = [t._dtype for t in tensors]
        out._attach("StackBackward0", lambda g: tuple(
            cast_tensor(select(g, d, i), dtype) for i, dtype in enumerate(dtypes_in)), tensors)
    return out


def hstack(tensors) -> Tensor:
    tensors = [reshape(t, (1,)) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([t if t.ndim > 1 else t.reshape(1, -1) for t in tensors], 0)


def repeat(x: Tensor, *sizes) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along each dim (a copy)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x._buf.shape)
    interleaved, target, final = [], [], []
    for r, s in zip(sizes, shape):
        interleaved += [1, s]
        target += [r, s]
        final.append(r * s)
    out = _untracked(x, lambda: reshape(expand(reshape(x, interleaved), target), final))
    if x._requires_grad and grad_state.enabled:
        in_shape, tiles = x._buf.shape, tuple(range(0, 2 * len(sizes), 2))
        out._attach("RepeatBackward0", lambda g: (
            reshape(g.reshape(target).sum(tiles), in_shape),), (x,))
    return out


def tile(x: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def _triangle(x: Tensor, diagonal: int, upper: bool) -> Tensor:
    from ..creation import arange
    from .pointwise import ge, le, where
    rows, cols = x._buf.shape[-2:]
    r = arange(rows, device=x._device).reshape(rows, 1)
    c = arange(cols, device=x._device).reshape(1, cols)
    mask = ge(c - r, diagonal) if upper else le(c - r, diagonal)
    from .support import scalar_for
    out = _untracked(x, lambda: where(mask, x, scalar_for(0, x._dtype)))
    if x._requires_grad and grad_state.enabled:
        out._attach("TriuBackward0" if upper else "TrilBackward0",
                    lambda g: (_triangle(g, diagonal, upper),), (x,))
    return out


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two dims (others zeroed)."""
    return _triangle(x, diagonal, True)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two dims (others zeroed)."""
    return _triangle(x, diagonal, False)
