"""Splitting into pieces: tensor_split, hsplit/vsplit/dsplit, split_with_sizes and the
``unsafe_`` variants. Pieces are views (``narrow``), as in PyTorch."""
from __future__ import annotations

from .. import dtypes
from . import shape as sh
from .support import Tensor, grad_state, wrap_dim


def tensor_split(x: Tensor, indices_or_sections, dim: int = 0):
    """``sections`` nearly equal pieces (the first ``size % sections`` one longer), or the
    pieces between the given indices (Python slice rules: clamped, negative from the end)."""
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        spec = indices_or_sections
        if spec._dtype is not dtypes.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {spec._dtype.name}")
        if spec.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{spec.ndim} dims")
        indices_or_sections = spec.tolist()  # split points are shapes: read on the host
    d = wrap_dim(dim, x.ndim)
    size = x._buf.shape[d]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        base, extra = divmod(size, sections)
        lengths = [base + 1 if i < extra else base for i in range(sections)]
        return _pieces(x, d, lengths)
    bounds = [0] + list(indices_or_sections) + [size]
    pieces = []
    for start, stop in zip(bounds, bounds[1:]):
        begin, end, _ = slice(start, stop).indices(size)
        pieces.append(sh.narrow(x, d, begin, max(end - begin, 0)))
    return tuple(pieces)


def _pieces(x: Tensor, d: int, lengths) -> tuple:
    pieces, start = [], 0
    for length in lengths:
        pieces.append(sh.narrow(x, d, start, length))
        start += length
    return tuple(pieces)


def _directional_split(x: Tensor, spec, dim: int, min_ndim: int, name: str):
    if x.ndim < min_ndim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} dimension, but "
                           f"got a tensor with {x.ndim} dimensions!")
    if isinstance(spec, int):
        size = x._buf.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {size} is not divisible by the split_size {spec}!")
    return tensor_split(x, spec, dim)


def hsplit(x: Tensor, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    return _directional_split(x, indices_or_sections, 1 if x.ndim > 1 else 0, 1, "hsplit")


def vsplit(x: Tensor, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of at least 2 dims."""
    return _directional_split(x, indices_or_sections, 0, 2, "vsplit")


def dsplit(x: Tensor, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of at least 3 dims."""
    return _directional_split(x, indices_or_sections, 2, 3, "dsplit")


def split_with_sizes(x: Tensor, split_sizes, dim: int = 0):
    """Pieces of the given lengths along ``dim`` (they must add up to its size)."""
    d = wrap_dim(dim, x.ndim)
    sizes = list(split_sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    if sum(sizes) != x._buf.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{x._buf.shape[d]} (input tensor's size at dimension {d}), but got "
                           f"split_sizes={sizes}")
    return sh._multi_output(_pieces(x, d, sizes), "SplitWithSizesBackward0")


# ----- unsafe splits: pieces share storage but are not tracked as views -------------------------
def _untracked(x: Tensor, pieces, d: int) -> tuple:
    """The pieces as tensors sharing ``x``'s memory without view tracking (PyTorch's
    ``unsafe_split``: in-place ops on them are not checked), each one graph node."""
    out, start = [], 0
    shape = x._buf.shape
    for piece in pieces:
        length = piece._buf.shape[d]
        t = Tensor._make(piece._buf, x._dtype, x._device, x._backend)
        t._version = x._version
        if x._requires_grad and grad_state.enabled:
            def backward(g, start=start, length=length):
                return (sh.view_scatter(g, lambda z: sh.narrow(z, d, start, length), shape),)
            t._attach("UnsafeSplitBackward0", backward, (x,))
        out.append(t)
        start += length
    return tuple(out)


def unsafe_split(x: Tensor, split_size: int, dim: int = 0):
    """``split`` without view tracking."""
    d = wrap_dim(dim, x.ndim)
    return _untracked(x, sh.split(x.detach(), split_size, d), d)


def unsafe_chunk(x: Tensor, chunks: int, dim: int = 0):
    """``chunk`` without view tracking."""
    d = wrap_dim(dim, x.ndim)
    return _untracked(x, sh.chunk(x.detach(), chunks, d), d)


def unsafe_split_with_sizes(x: Tensor, split_sizes, dim: int = 0):
    """``split_with_sizes`` without view tracking."""
    d = wrap_dim(dim, x.ndim)
    return _untracked(x, split_with_sizes(x.detach(), split_sizes, d), d)
