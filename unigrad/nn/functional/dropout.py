"""Dropout: masks come from unigrad's counter-based stream, so a seed gives the same mask on
every backend."""
from __future__ import annotations

from ...api import creation, dtypes
from ...api.tensor import Tensor


def _check(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    _check(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        out = x * 0.0
    else:
        # float32 uniforms whatever x's dtype: the mask depends only on the random stream
        keep = creation.rand(tuple(x.shape), dtype=dtypes.float32, device=x.device) >= p
        out = x * keep * (1.0 / (1.0 - p))
    return x.copy_(out) if inplace else out


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool, spatial: int) -> Tensor:
    _check(p)
    if not training or p == 0.0:
        return x
    batched = x.ndim == spatial + 2
    shape = (x.shape[0], x.shape[1]) if batched else (x.shape[0],)
    mask_shape = shape + (1,) * spatial
    keep = creation.rand(mask_shape, dtype=dtypes.float32, device=x.device) >= p
    out = x * keep * (1.0 / (1.0 - p)) if p < 1.0 else x * 0.0
    return x.copy_(out) if inplace else out


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(x, p, training, inplace, 1)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p``."""
    return _feature_dropout(x, p, training, inplace, 2)


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    _check(p)
    if not training or p == 0.0:
        return x
    alpha = -1.7580993408473766
    keep = creation.rand(tuple(x.shape), dtype=dtypes.float32, device=x.device) >= p
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    b = -a * alpha * p
    out = (x * keep + (~keep) * alpha) * a + b
    return x.copy_(out) if inplace else out
