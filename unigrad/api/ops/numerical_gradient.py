"""``torch.gradient``: derivatives of sampled values by finite differences (NumPy's scheme)."""
from __future__ import annotations

import numbers

from .. import dtypes
from . import shape as sh
from .support import Tensor, wrap_dim

__all__ = ["gradient"]


def _spacings(input: Tensor, spacing, dims: list) -> list:
    """One entry per differentiated dim: a Python float (uniform steps) or a 1-D tensor of
    coordinates."""
    if isinstance(spacing, (numbers.Number, Tensor)) and not (isinstance(spacing, Tensor) and spacing.ndim):
        if isinstance(spacing, Tensor):  # a 1-D coordinate tensor given alone
            return [spacing] * len(dims) if len(dims) == 1 else _bad(len(dims), 1)
        return [float(spacing)] * len(dims)
    if isinstance(spacing, Tensor):  # 0-d
        return [float(spacing)] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        _bad(len(dims), len(spacing))
    out = []
    for value, d in zip(spacing, dims):
        if isinstance(value, Tensor) and value.ndim:
            if value.ndim != 1 or value.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and to have "
                                   f"the same size as the input along dim {d}, but got coordinates of shape "
                                   f"{list(value.shape)} for a dimension of size {input.shape[d]}")
            out.append(value.to(input.dtype))
        else:
            out.append(float(value))
    return out


def _bad(expected: int, got: int):
    raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                       f"arguments to have the same length, but got a spacing argument of length {got} and a "
                       f"dim argument of length {expected}.")


def _along(x: Tensor, d: int, start: int, length: int) -> Tensor:
    return sh.narrow(x, d, start, length)


def _broadcast_along(v: Tensor, d: int, ndim: int) -> Tensor:
    return v.reshape(tuple(-1 if k == d else 1 for k in range(ndim)))


def _one_dim(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    ndim = f.ndim
    if isinstance(h, float):
        interior = (_along(f, d, 2, n - 2) - _along(f, d, 0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (_along(f, d, 1, 1) - _along(f, d, 0, 1)) / h
            last = (_along(f, d, n - 1, 1) - _along(f, d, n - 2, 1)) / h
        else:
            first = (_along(f, d, 0, 1) * -1.5 + _along(f, d, 1, 1) * 2 - _along(f, d, 2, 1) * 0.5) / h
            last = (_along(f, d, n - 3, 1) * 0.5 - _along(f, d, n - 2, 1) * 2 + _along(f, d, n - 1, 1) * 1.5) / h
        return sh.cat([first, interior, last], d)
    dx = h[1:] - h[:-1]  # coordinates: non-uniform steps
    hs, hd = _broadcast_along(dx[:-1], d, ndim), _broadcast_along(dx[1:], d, ndim)
    interior = (_along(f, d, 2, n - 2) * (hs * hs) + _along(f, d, 1, n - 2) * (hd * hd - hs * hs)
                - _along(f, d, 0, n - 2) * (hd * hd)) / (hs * hd * (hd + hs))
    if edge_order == 1:
        first = (_along(f, d, 1, 1) - _along(f, d, 0, 1)) / dx[0]
        last = (_along(f, d, n - 1, 1) - _along(f, d, n - 2, 1)) / dx[-1]
    else:
        d1, d2 = dx[0], dx[1]
        a, b, c = -(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2))
        first = _along(f, d, 0, 1) * a + _along(f, d, 1, 1) * b + _along(f, d, 2, 1) * c
        d1, d2 = dx[-2], dx[-1]
        a, b, c = d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2), (2 * d2 + d1) / (d2 * (d1 + d2))
        last = _along(f, d, n - 3, 1) * a + _along(f, d, n - 2, 1) * b + _along(f, d, n - 1, 1) * c
    return sh.cat([first, interior, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """The derivative of ``input`` along each of ``dim`` (all dims by default): second-order
    central differences inside, one-sided differences of order ``edge_order`` (1 or 2) at the
    ends; ``spacing`` is a scalar step, one per dim, or 1-D coordinate tensors."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.ndim)) if dim is None else (
        [wrap_dim(dim, input.ndim)] if isinstance(dim, int) else [wrap_dim(d, input.ndim) for d in dim])
    if not input.dtype.is_floating_point:
        input = input.to(dtypes.get_default_dtype())
    return tuple(_one_dim(input, d, h, edge_order) for d, h in zip(dims, _spacings(input, spacing, dims)))
