"""Padding and resampling: ``pad`` (constant, reflect, replicate, circular) and ``interpolate``."""
from __future__ import annotations

import math

from ...api import creation
from ...api.ops import shape as sh
from ...api.ops.support import grad_state, scalar_for
from ...api.tensor import Tensor


def pad(x: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) from the last dim."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"Padding length must be divisible by 2 and at most twice the number of "
                         f"dims ({x.ndim}), got {len(pad)}")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]  # last dim first
    if mode == "constant":
        return _constant_pad(x, pairs, 0.0 if value is None else value)
    out = x
    for k, (before, after) in enumerate(pairs):
        dim = x.ndim - 1 - k
        size = out.shape[dim]
        index = [_source_index(i, size, mode) for i in range(-before, size + after)]
        out = out.index_select(dim, creation.tensor(index, device=x.device))
    return out


def _source_index(i: int, size: int, mode: str) -> int:
    if mode == "replicate":
        return min(max(i, 0), size - 1)
    if mode == "circular":
        return i % size
    if mode == "reflect":
        if size == 1:
            return 0
        period = 2 * (size - 1)
        i = abs(i) % period
        return i if i < size else period - i
    raise NotImplementedError(f"padding mode {mode!r} is not supported")


def _constant_pad(x: Tensor, pairs, value) -> Tensor:
    shape = list(x.shape)
    region = [slice(None)] * x.ndim
    for k, (before, after) in enumerate(pairs):
        dim = x.ndim - 1 - k
        if before < 0 or after < 0:  # negative padding crops
            x = x.narrow(dim, max(-before, 0), shape[dim] - max(-before, 0) - max(-after, 0))
            shape[dim] = x.shape[dim]
            before, after = max(before, 0), max(after, 0)
        region[dim] = slice(before, before + shape[dim])
        shape[dim] += before + after
    b = x._backend
    buf = b.full(tuple(shape), scalar_for(value, x.dtype), x.dtype)
    out = Tensor._make(buf, x.dtype, x.device, b)
    key = tuple(region)
    target = out.detach()[key]
    b.copy_(target._buf, x._buf)
    if x.requires_grad and grad_state.enabled:
        out._attach("ConstantPadNdBackward0", lambda g: (g[key],), (x,))
    return out


def interpolate(x: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims (nearest, linear, bilinear) like ``F.interpolate``."""
    spatial = x.ndim - 2
    if size is None:
        if scale_factor is None:
            raise ValueError("either size or scale_factor should be defined")
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * spatial
        size = [int(math.floor(x.shape[2 + i] * factors[i])) for i in range(spatial)]
        scales = [1.0 / f for f in factors] if not recompute_scale_factor else None
    else:
        size = list(size) if isinstance(size, (tuple, list)) else [size] * spatial
        scales = None
    out = x
    for i in range(spatial):
        dim = 2 + i
        in_size, out_size = x.shape[dim], size[i]
        scale = scales[i] if scales else in_size / out_size
        if mode == "nearest":
            index = [min(int(math.floor(j * scale)), in_size - 1) for j in range(out_size)]
            out = out.index_select(dim, creation.tensor(index, device=x.device))
        elif mode in ("linear", "bilinear", "trilinear"):
            out = _linear_resize(out, dim, in_size, out_size, scale, align_corners)
        else:
            raise NotImplementedError(f"interpolate mode {mode!r} is not supported")
    return out


def _linear_resize(x: Tensor, dim: int, in_size: int, out_size: int, scale: float, align_corners) -> Tensor:
    low, high, weight = [], [], []
    for j in range(out_size):
        if align_corners:
            src = j * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        else:
            src = max((j + 0.5) * scale - 0.5, 0.0)
        i0 = min(int(math.floor(src)), in_size - 1)
        i1 = min(i0 + 1, in_size - 1)
        low.append(i0)
        high.append(i1)
        weight.append(src - i0)
    lo = x.index_select(dim, creation.tensor(low, device=x.device))
    hi = x.index_select(dim, creation.tensor(high, device=x.device))
    shape = [1] * x.ndim
    shape[dim] = out_size
    lam = creation.tensor(weight, dtype=x.dtype, device=x.device).reshape(shape)
    return lo + (hi - lo) * lam


def upsample(x: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    return interpolate(x, size, scale_factor, mode, align_corners)
