"""Building and reading matrices: trace, diag, diag_embed, diagflat, block_diag, the triangle
indices, cartesian_prod, combinations and Vandermonde matrices."""
from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes
from ...autograd.grad_mode import no_grad
from ..autocast_state import autocast_op
from . import shape as sh
from .support import Tensor, check_device, grad_state, wrap_dim


@autocast_op("trace")
def trace(x: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integers sum to int64)."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    with no_grad():
        out = sh.diagonal(x).sum()
    if x._requires_grad and grad_state.enabled:
        rows, cols = x._buf.shape

        def backward(g):
            from ..creation import eye
            return (eye(rows, cols, dtype=g._dtype, device=g._device) * g,)
        out._attach("TraceBackward0", backward, (x,))
    return out


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose ``(dim1, dim2)`` planes hold the last dim of ``x`` on their ``offset``
    diagonal, zero elsewhere."""
    ndim = x.ndim + 1
    a, b = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (x._buf.shape[-1] if x.ndim else 1) + abs(offset)
    shape = list(x._buf.shape[:-1])
    for d in sorted((a, b)):
        shape.insert(d, n)
    backend = x._backend
    buf = backend.full(tuple(shape), 0, x._dtype)
    out = Tensor._make(buf, x._dtype, x._device, backend)
    target = sh.diagonal(out, offset, a, b)
    if target.numel():
        backend.copy_(target._buf, (x if x.ndim else sh.reshape(x, (1,)))._buf)
    if x._requires_grad and grad_state.enabled:
        scalar = x.ndim == 0
        out._attach("DiagEmbedBackward0", lambda g: (
            sh.reshape(sh.diagonal(g, offset, a, b), ()) if scalar else sh.diagonal(g, offset, a, b),),
            (x,))
    return out


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """The ``diagonal``-th diagonal of a matrix (a copy), or a square matrix with a 1-D ``x``
    on that diagonal."""
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return sh.clone(sh.diagonal(x, diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


def diagflat(x: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened ``x`` on its ``offset`` diagonal."""
    return diag_embed(sh.reshape(x, (-1,)), offset)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given matrices (0-d and 1-d ones count as one row)."""
    from ..creation import zeros
    if not tensors:
        return zeros((1, 0))
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        check_device(tensors[0], t, "block_diag")
        blocks.append(sh.reshape(t, (1, 1) if t.ndim == 0 else (1, -1) if t.ndim == 1 else t.shape))
    dtype = dtypes.result_type(*tensors)
    rows = sum(b._buf.shape[0] for b in blocks)
    cols = sum(b._buf.shape[1] for b in blocks)
    backend = tensors[0]._backend
    out = Tensor._make(backend.full((rows, cols), 0, dtype), dtype, tensors[0]._device, backend)
    places, r, c = [], 0, 0
    for block in blocks:
        h, w = block._buf.shape
        places.append((r, c, h, w))
        if h and w:
            target = sh.narrow(sh.narrow(out.detach(), 0, r, h), 1, c, w)
            backend.copy_(target._buf, block.to(dtype)._buf)
        r, c = r + h, c + w
    if grad_state.enabled and any(t._requires_grad for t in tensors):
        originals = [t._buf.shape for t in tensors]

        def backward(g):
            return tuple(sh.reshape(sh.narrow(sh.narrow(g, 0, r, h), 1, c, w), shape).to(t._dtype)
                         if t._requires_grad else None
                         for (r, c, h, w), shape, t in zip(places, originals, tensors))
        out._attach("BlockDiagBackward0", backward, tuple(tensors))
    return out


def _triangle_indices(row: int, col: int, offset: int, dtype, device, upper: bool) -> Tensor:
    from ..creation import tensor
    name = "triu_indices" if upper else "tril_indices"
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    if dtype.is_floating_point or dtype is dtypes.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtype.name}' (integer dtypes only)")
    # the indices depend on the sizes alone: computed on the host, sent once
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return tensor(np.stack([rows, cols]).astype(np.int64).reshape(2, -1), dtype=dtype, device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The ``(2, N)`` coordinates of the lower triangle of a ``row x col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, device, upper=False)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The ``(2, N)`` coordinates of the upper triangle of a ``row x col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, device, upper=True)


def _check_vector(t: Tensor) -> None:
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (``itertools.product``)."""
    for t in tensors:
        _check_vector(t)
    if len(tensors) == 1:
        return tensors[0]
    from ..creation import meshgrid
    grids = meshgrid(*tensors, indexing="ij")
    return sh.stack([sh.reshape(g, (-1,)) for g in grids], 1)


def combinations(x: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Rows of ``r`` elements of the 1-D ``x`` (``itertools.combinations`` order)."""
    _check_vector(x)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return sh.narrow(x, 0, 0, 0) * 1
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(x._buf.shape[0]), r))
    from ..creation import tensor
    index = tensor(np.asarray(rows, dtype=np.int64).reshape(len(rows), r), device=x._device)
    return x[index]


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """Columns ``x**(N-1), ..., x, 1`` (or increasing powers); integers give int64."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._buf.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = dtypes.promote_types(x._dtype, dtypes.int64)
    from ..creation import ones
    if n == 0:
        return ones((x._buf.shape[0], 0), dtype=dtype, device=x._device)
    column = ones((x._buf.shape[0], 1), dtype=dtype, device=x._device)
    if n > 1:
        from .scans import cumprod
        powers = cumprod(sh.expand(sh.unsqueeze(x.to(dtype), 1), (x._buf.shape[0], n - 1)), 1)
        column = sh.cat([column, powers], 1)
    return column if increasing else sh.flip(column, 1)


def linalg_vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803
    """``linalg.vander``: increasing powers ``1, x, ..., x**(N-1)`` of the last dim of ``x``."""
    if not (x._dtype in (dtypes.float32, dtypes.float64) or
            (not x._dtype.is_floating_point and x._dtype is not dtypes.bool)):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer tensors, "
                           f"but got {x._dtype.name}")
    x = sh.unsqueeze(x, -1) if x.ndim == 0 else x
    n = x._buf.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .scans import cumprod
    shape = tuple(x._buf.shape) + (n - 1,)
    powers = cumprod(sh.expand(sh.unsqueeze(x, -1), shape), -1)
    from ..creation import ones
    return sh.cat([ones(shape[:-1] + (1,), dtype=powers._dtype, device=x._device), powers], -1)
