"""``pad``: constant, reflect, replicate and circular padding of the last dims (negative padding
crops). The non-constant modes are built from views of the input (slices, reversed slices,
broadcasts) joined by one ``cat`` per padded dim, so their gradient needs no special code."""
from __future__ import annotations

from ...api.ops import shape as sh
from ...api.ops.support import grad_state, scalar_for
from ...api.tensor import Tensor

_NON_CONSTANT = ("reflect", "replicate", "circular")
_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(x: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) from the last dim."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {x.ndim}")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]  # last dim first
    if mode == "constant":
        return _constant_pad(x, pairs, 0.0 if value is None else value)
    if mode not in _NON_CONSTANT:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    dims = len(pad) // 2
    if dims == 0:
        return x
    if dims > 3 or x.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
                                  + _SUPPORTED)
    _check_non_constant(x, pairs, mode, dims)
    out = x
    for k, (before, after) in enumerate(pairs):
        out = _pad_dim(out, x.ndim - 1 - k, before, after, mode)
    return out


def _check_non_constant(x: Tensor, pairs, mode: str, dims: int) -> None:
    if any(size == 0 for size in x.shape[1 if x.ndim == dims + 2 else 0:]):
        raise RuntimeError(f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with possibly 0 batch "
                           f"size and other non-zero dimensions for input, but got: {list(x.shape)}")
    for k, (before, after) in enumerate(pairs):
        dim = x.ndim - 1 - k
        size = x.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({before}, {after}) at dimension {dim} of "
                               f"input {list(x.shape)}")
        kept = size - max(-before, 0) - max(-after, 0)  # circular wraps what cropping leaves
        if mode == "circular" and (before > kept or after > kept):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + before + after <= 0:
            raise RuntimeError(f"input (size {size} at dimension {dim}) is too small for padding "
                               f"({before}, {after}): the calculated output size is "
                               f"{size + before + after}")


def _along(dim: int, ndim: int, item) -> tuple:
    return (slice(None),) * dim + (item,) + (slice(None),) * (ndim - dim - 1)


def _pad_dim(x: Tensor, dim: int, before: int, after: int, mode: str) -> Tensor:
    """One dim of a non-constant pad: [mirror/edge/wrap before] + kept middle + [... after].
    A negative side crops the middle; reflect and replicate still read the uncropped input."""
    size, ndim = x.shape[dim], x.ndim
    middle = x[_along(dim, ndim, slice(max(-before, 0), size - max(-after, 0)))]
    if mode == "circular":  # PyTorch wraps around what is left after cropping
        x, size = middle, middle.shape[dim]
    parts = []
    if before > 0:
        parts.append(_outside(x, dim, size, before, mode, leading=True))
    parts.append(middle)
    if after > 0:
        parts.append(_outside(x, dim, size, after, mode, leading=False))
    return parts[0] if len(parts) == 1 else sh.cat(parts, dim)


def _outside(x: Tensor, dim: int, size: int, count: int, mode: str, leading: bool) -> Tensor:
    """The ``count`` padded elements before (``leading``) or after ``x`` along ``dim``, as a view."""
    ndim = x.ndim
    if mode == "reflect":  # mirror without repeating the edge element
        if leading:
            return x[_along(dim, ndim, slice(count, 0, -1))]
        stop = size - 2 - count
        return x[_along(dim, ndim, slice(size - 2, stop if stop >= 0 else None, -1))]
    if mode == "circular":
        return x[_along(dim, ndim, slice(size - count, size) if leading else slice(0, count))]
    edge = x[_along(dim, ndim, slice(0, 1) if leading else slice(size - 1, size))]
    shape = list(x.shape)
    shape[dim] = count
    return edge.expand(tuple(shape))


def _constant_pad(x: Tensor, pairs, value) -> Tensor:
    shape = list(x.shape)
    region = [slice(None)] * x.ndim
    for k, (before, after) in enumerate(pairs):
        dim = x.ndim - 1 - k
        if before < 0 or after < 0:  # negative padding crops
            length = shape[dim] - max(-before, 0) - max(-after, 0)
            if length < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            x = x.narrow(dim, max(-before, 0), length)
            shape[dim] = x.shape[dim]
            before, after = max(before, 0), max(after, 0)
        region[dim] = slice(before, before + shape[dim])
        shape[dim] += before + after
    b = x._backend
    buf = b.full(tuple(shape), scalar_for(value, x.dtype), x.dtype)
    out = Tensor._make(buf, x.dtype, x.device, b)
    key = tuple(region)
    target = out.detach()[key]
    if x.numel():
        b.copy_(target._buf, x._buf)
    if x.requires_grad and grad_state.enabled:
        out._attach("ConstantPadNdBackward0", lambda g: (g[key],), (x,))
    return out
