"""quantile and nanquantile, composed as PyTorch composes them: sort, rank, gather, lerp.

Built from differentiable ops, so gradients reach the input through the sorted values (and ``q``
through the interpolation weights) exactly as PyTorch's composite autograd routes them.
"""
from __future__ import annotations

import numbers

from .. import dtypes
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .indexing import gather
from .sorting import sort
from .support import Tensor, broadcast_shapes, check_device, wrap_dim

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """The ``q``-th quantiles of ``input`` along ``dim`` (of all elements if None), interpolating
    between neighbours by ``interpolation``; a row holding NaN gives NaN. A 1-D ``q`` puts its
    dim first in the result."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """``quantile`` ignoring NaNs (NaN only where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def _quantile(x: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool, op: str) -> Tensor:
    from ..creation import full_like
    q = _checked_q(x, q, op)
    if x.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if interpolation not in _MODES:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if dim is None:
        ordered = sort(sh.reshape(x, -1)).values  # (n,)
        reduced = (1,) * x.ndim if keepdim else ()
    else:
        d = wrap_dim(dim, x.ndim)
        # the reduced dim moves last and leaves a 1 in its place: (..., 1, ..., n)
        ordered = sort(sh.transpose(sh.unsqueeze(x, -1), d, -1) if x.ndim else sh.reshape(x, (1,))).values
        reduced = tuple(1 if i == d else n for i, n in enumerate(x.shape)) if keepdim else \
            tuple(n for i, n in enumerate(x.shape) if i != d)
    n = ordered._buf.shape[-1]
    q_flat = sh.reshape(q, -1)  # (Q,): broadcast against ordered's leading dims
    if ignore_nan:
        count = red.sum(pw.logical_not(pw.isnan(ordered.detach())), -1, keepdim=True)
        ranks = q_flat * (count - 1)
        ranks = pw.where(pw.lt(ranks.detach(), 0), 0.0, ranks)  # every element NaN: rank 0, a NaN
    else:
        has_nan = red.any(pw.isnan(ordered.detach()), -1, keepdim=True)
        ranks = pw.where(has_nan, float(n - 1), q_flat * (n - 1))  # a NaN row reads its last (NaN)
    if interpolation == "lower":
        ranks = pw.floor(ranks)
    elif interpolation == "higher":
        ranks = pw.ceil(ranks)
    elif interpolation == "nearest":
        ranks = pw.round(ranks)
    below = pw.to_dtype(ranks.detach(), dtypes.int64)
    values = _gather_last(ordered, below)
    if interpolation in ("linear", "midpoint"):
        weights = full_like(ranks.detach(), 0.5) if interpolation == "midpoint" else ranks - below
        above = pw.to_dtype(pw.ceil(ranks.detach()), dtypes.int64)
        values = _lerp(values, _gather_last(ordered, above), weights)
    # values: (*lead, Q) -> (Q, *reduced), or (*reduced) for a 0-d q
    if q.ndim == 0:
        return sh.reshape(values, reduced)
    return sh.reshape(sh.movedim(values, -1, 0), (q.numel(),) + reduced)


def _checked_q(x: Tensor, q, op: str) -> Tensor:
    """``q`` as a tensor of ``x``'s dtype on its device, after PyTorch's checks."""
    if x._dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if isinstance(q, numbers.Number) and not isinstance(q, bool):
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        return x._like(x._backend.full((), float(q), x._dtype))
    if not isinstance(q, Tensor):
        from ..creation import tensor
        q = tensor(q, dtype=x._dtype, device=x._device)
    check_device(x, q, op)
    if q.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if q._dtype is not x._dtype:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
    if q.numel():
        inside = red.all(pw.bitwise_and(pw.ge(q.detach(), 0), pw.le(q.detach(), 1)))
        if not bool(inside.item()):  # a small host read, as PyTorch makes on the CPU
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    return q


def _gather_last(ordered: Tensor, index: Tensor) -> Tensor:
    """``ordered`` (``(*lead, n)``) read at ``index`` (``(*lead', Q)``, broadcastable) along its
    last dim."""
    lead = broadcast_shapes(ordered._buf.shape[:-1], index._buf.shape[:-1])
    source = sh.expand(ordered, lead + ordered._buf.shape[-1:]) if ordered._buf.shape[:-1] != lead else ordered
    where = sh.expand(index, lead + index._buf.shape[-1:]) if index._buf.shape[:-1] != lead else index
    return gather(source, -1, where)


def _lerp(start: Tensor, end: Tensor, weight: Tensor) -> Tensor:
    """PyTorch's lerp: ``start + w (end - start)`` for ``w < 0.5``, else ``end - (end - start)(1 - w)``
    (exact at both ends)."""
    difference = end - start
    return pw.where(pw.lt(weight.detach(), 0.5), start + weight * difference, end - difference * (1 - weight))
