"""Rearranging elements: roll, rot90, fliplr/flipud, repeat_interleave, atleast_1d/2d/3d and
the column_stack/dstack/row_stack joins."""
from __future__ import annotations

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import shape as sh
from .composite import as_node
from .support import Tensor, check_device, grad_state, wrap_dim


# ----- roll and rotations -------------------------------------------------------------------------
def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor if None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims and len(shifts) == 1:
        with no_grad():
            out = sh.reshape(_rolled(sh.reshape(x, (-1,)), shifts, (0,)), x._buf.shape)
    else:
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        dims = tuple(wrap_dim(d, x.ndim) for d in dims)
        with no_grad():
            out = _rolled(x, shifts, dims)
    out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    if x._requires_grad and grad_state.enabled:
        back = tuple(-s for s in shifts)
        out._attach("RollBackward0", lambda g: (roll(g, back, dims or None),), (x,))
    return out


def _rolled(x: Tensor, shifts: tuple, dims: tuple) -> Tensor:
    out = x
    for shift, d in zip(shifts, dims):
        n = out._buf.shape[d]
        s = shift % n if n else 0
        if s:
            out = sh.cat([sh.narrow(out, d, n - s, s), sh.narrow(out, d, 0, n - s)], d)
    return sh.clone(out) if out is x else out


def rot90(x: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second axis)."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    a, b = wrap_dim(dims[0], x.ndim), wrap_dim(dims[1], x.ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}")
    k %= 4
    if k == 1:
        out = sh.transpose(sh.flip(x, b), a, b)
    elif k == 2:
        out = sh.flip(x, (a, b))
    elif k == 3:
        out = sh.transpose(sh.flip(x, a), a, b)
    else:
        out = sh.clone(x)
    return as_node(out, "Rot90Backward0")


def fliplr(x: Tensor) -> Tensor:
    """Reverse the columns (dim 1) of a tensor of at least 2 dims."""
    if x.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return sh.flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    """Reverse the rows (dim 0) of a tensor of at least 1 dim."""
    if x.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return sh.flip(x, 0)


# ----- repeat_interleave --------------------------------------------------------------------------
def repeat_interleave(x: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place; ``repeats``
    an int or a tensor with one count per slice. ``repeat_interleave(counts)`` gives the
    indices ``0, 0, 1, ...`` the counts describe."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        from ..creation import arange
        counts = x
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return _repeat_tensor(arange(counts.numel(), device=x._device), counts, 0, output_size)
    if dim is None:
        x, dim = sh.reshape(x, (-1,)), 0
    elif x.ndim == 0:
        wrap_dim(dim, 0)
        x = sh.reshape(x, (1,))
    d = wrap_dim(dim, x.ndim)
    if isinstance(repeats, Tensor):
        return _repeat_tensor(x, repeats, d, output_size)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = list(x._buf.shape)
    spread = sh.expand(sh.unsqueeze(x, d + 1), shape[:d + 1] + [repeats] + shape[d + 1:])
    shape[d] *= repeats
    return sh.reshape(spread, shape)


def _repeat_tensor(x: Tensor, repeats: Tensor, d: int, output_size) -> Tensor:
    from ..creation import zeros
    from .indexing import index_select, scatter_add
    from .pointwise import minimum
    from .scans import cumsum
    check_device(x, repeats, "repeat_interleave")
    if repeats._dtype not in (dtypes.int32, dtypes.int64):
        raise NotImplementedError(f"repeat_interleave: repeats must be an int32 or int64 tensor, "
                                  f"got {repeats._dtype.name}")
    if repeats.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    n = x._buf.shape[d]
    counts = sh.reshape(repeats, (-1,)).long()
    if counts._buf.shape[0] == 1 and n != 1:
        counts = sh.expand(counts, (n,))
    if counts._buf.shape[0] != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts._buf.shape[0]} and input.size({d}) = {n}")
    if output_size is None:  # the output's size depends on the data: PyTorch synchronises too
        if n and bool((counts < 0).any()):
            raise RuntimeError("repeats can not be negative")
        output_size = int(counts.sum()) if n else 0
    # position j copies slice i where i = #{ends <= j}: mark each end, then count the marks
    ends = minimum(cumsum(counts, 0), output_size)
    ones = x._like(x._backend.full((n,), 1, dtypes.int64), dtypes.int64)
    marks = scatter_add(zeros(output_size + 1, dtype=dtypes.int64, device=x._device), 0, ends, ones)
    index = cumsum(sh.narrow(marks, 0, 0, output_size), 0)
    return index_select(x, d, index)


# ----- at least n dims and stacking ---------------------------------------------------------------
def _each(tensors, make):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(make(t) for t in tensors[0])
    if len(tensors) == 1:
        return make(tensors[0])
    return tuple(make(t) for t in tensors)


def atleast_1d(*tensors):
    """Each tensor with at least one dim (0-d ones become shape (1,))."""
    return _each(tensors, lambda t: sh.reshape(t, (1,)) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    """Each tensor with at least two dims (leading size-1 dims added)."""
    return _each(tensors, lambda t: sh.reshape(t, (1, 1)) if t.ndim == 0 else
                 sh.unsqueeze(t, 0) if t.ndim == 1 else t)


def atleast_3d(*tensors):
    """Each tensor with at least three dims: (1,1,1), (1,N,1) or (M,N,1)."""
    def make(t):
        if t.ndim == 0:
            return sh.reshape(t, (1, 1, 1))
        if t.ndim == 1:
            return sh.unsqueeze(sh.unsqueeze(t, 0), -1)
        if t.ndim == 2:
            return sh.unsqueeze(t, -1)
        return t
    return _each(tensors, make)


def column_stack(tensors) -> Tensor:
    """Join along dim 1, 0-d and 1-d tensors taken as columns."""
    return sh.cat([sh.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


def dstack(tensors) -> Tensor:
    """Join along the third dim after ``atleast_3d``."""
    return sh.cat([atleast_3d(t) for t in tensors], 2)


row_stack = sh.vstack
