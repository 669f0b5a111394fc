"""Dropout: masks come from unigrad's counter-based stream, so a seed gives the same mask on
every backend."""
from __future__ import annotations

import warnings

from ...api import creation, dtypes
from ...api.ops.random import uniform_buffer
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
    elif x._dtype.is_floating_point:
        out = x * _noise(x, p)  # PyTorch's graph: one MulBackward0
    else:
        keep = creation.rand(tuple(x.shape), dtype=dtypes.float32, device=x.device) >= p
        out = x * keep * (1.0 / (1.0 - p))
    return x.copy_(out) if inplace else out


def _noise(x: Tensor, p: float) -> Tensor:
    """What PyTorch multiplies ``x`` by: ``1 / (1 - p)`` where an element is kept, 0 where it is
    dropped, in x's dtype. An element is kept where the stream's float32 uniform is ``>= p``
    (float32 whatever x's dtype: the mask depends only on the random stream)."""
    backend = x._backend
    uniforms = uniform_buffer(backend, x._buf.shape, dtypes.float32)
    kept = backend.eq(backend.lt(uniforms, p), False)  # u >= p from the two comparison primitives
    noise = backend.cast(kept, x._dtype)
    backend.mul(noise, 1.0 / (1.0 - p), out=noise)  # the scale rounded once, as PyTorch's div_
    return x._like(noise)


def _feature_mask(x: Tensor, p: float, batched: bool) -> Tensor:
    """A keep mask per feature map: (N, C, 1, ...) for a batched ``x``, else (C, 1, ...)."""
    if batched and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    lead = (x.shape[0], x.shape[1]) if batched else (x.shape[0],)
    shape = lead + (1,) * (x.ndim - len(lead))
    return creation.rand(shape, dtype=dtypes.float32, device=x.device) >= p


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    _check(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        out = x * 0.0
    else:
        out = x * _feature_mask(x, p, batched) * (1.0 / (1.0 - p))
    return x.copy_(out) if inplace else out


def _deprecated_dims(name: str, x: Tensor, spatial: int) -> None:
    if x.ndim not in (spatial + 1, spatial + 2):
        warnings.warn(
            f"{name}: Received a {x.ndim}-D input to {name}, which is deprecated and will result in an error in "
            "a future release. To retain the behavior and silence this warning, please use dropout instead. "
            f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. "
            f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``."""
    _check(p)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(x, p, training, inplace, x.ndim == 3)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p`` (a 3-D input is read as
    (N, C, L), with PyTorch's warning)."""
    _check(p)
    _deprecated_dims("dropout2d", x, 2)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.", stacklevel=2)
    return _feature_dropout(x, p, training, inplace, True)


def dropout3d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``."""
    _check(p)
    _deprecated_dims("dropout3d", x, 3)
    return _feature_dropout(x, p, training, inplace, x.ndim == 5)


_SELU_ALPHA = 1.7580993408473766  # -SELU's negative saturation value, scale * alpha


def _alpha_dropout(x: Tensor, p: float, inplace: bool, keep) -> Tensor:
    """Dropped values are set to SELU's saturation value, then an affine map restores the
    input's mean and variance."""
    if p == 1.0:
        out = x * 0.0
    else:
        a = 1.0 / ((_SELU_ALPHA ** 2 * p + 1) * (1 - p)) ** 0.5
        keep = keep(x, p)
        out = x * keep * a + (keep.to(x.dtype) - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return x.copy_(out) if inplace else out


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps the self-normalising property of SELU networks."""
    _check(p)
    if not training or p == 0.0:
        return x
    return _alpha_dropout(x, p, inplace,
                          lambda t, q: creation.rand(tuple(t.shape), dtype=dtypes.float32, device=t.device) >= q)


def feature_alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels of (N, C, *)."""
    _check(p)
    if not training or p == 0.0:
        return x
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_dropout(x, p, inplace, lambda t, q: _feature_mask(t, q, True))
