"""Dropout: masks come from unigrad's counter-based stream, so a seed gives the same mask on
every backend."""
from __future__ import annotations

import warnings

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


def feature_dropout(x: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Zero whole feature maps: one draw per (sample, channel), i.e. per ``x[n, c]`` (PyTorch's
    ``feature_dropout``; ``x`` needs a batch and a channel dim)."""
    _check(p)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if p == 1.0:
        out = x * 0.0
    else:
        if x.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        mask_shape = (x.shape[0], x.shape[1]) + (1,) * (x.ndim - 2)
        keep = creation.rand(mask_shape, dtype=dtypes.float32, device=x.device) >= p
        out = x * keep * (1.0 / (1.0 - p))
    return x.copy_(out) if inplace else out


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``."""
    _check(p)
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
            "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if x.ndim == 3 or not training or p == 0.0:
        return feature_dropout(x, p, training, inplace)
    out = feature_dropout(x.unsqueeze(0), p, training, False).squeeze(0)  # (C, L) as one sample
    return x.copy_(out) if inplace else out


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p``. As in PyTorch, other ranks
    warn and keep their shape: a 3-D input is taken as (N, C, L), a 2-D one as (N, C)."""
    _check(p)
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide channel-wise "
            "dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch "
            "dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
            "dim. This behavior will change in a future release to interpret the input as one "
            "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
            "dropout behavior, please switch to using dropout1d instead.", stacklevel=2)
    return feature_dropout(x, p, training, inplace)


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
