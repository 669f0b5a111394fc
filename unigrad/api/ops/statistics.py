"""Statistics built on the reductions: std_mean, var_mean, aminmax, nansum, nanmean, cov and
corrcoef."""
from __future__ import annotations

import warnings
from collections import namedtuple

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .linalg import matmul
from .support import Tensor, cast_tensor, grad_state, normalize_dims

AminmaxResult = namedtuple("aminmax", ["min", "max"])


def _variance_args(dim, unbiased):
    if isinstance(dim, bool) and unbiased is None:  # var_mean(x, False): unbiased=False
        return None, dim
    return dim, unbiased


def var_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var(x, dim), mean(x, dim))`` in one call."""
    dim, unbiased = _variance_args(dim, unbiased)
    variance = red.var(x, dim, unbiased, keepdim, correction=correction)
    return variance, red.mean(x, dim, keepdim)


def std_mean(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std(x, dim), mean(x, dim))`` in one call."""
    dim, unbiased = _variance_args(dim, unbiased)
    deviation = red.std(x, dim, unbiased, keepdim, correction=correction)
    return deviation, red.mean(x, dim, keepdim)


def aminmax(x: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """``(amin, amax)`` over ``dim`` (all elements if None)."""
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = tuple(range(x.ndim))
    else:
        dims = normalize_dims(dim, x.ndim)
        if x.ndim and x._buf.shape[dims[0]] == 0:
            raise IndexError(f"aminmax(): Expected reduction dim {dims[0]} to have non-zero size.")
    if not dims:
        return AminmaxResult(sh.clone(x), sh.clone(x))
    return AminmaxResult(red.amin(x, dims, keepdim), red.amax(x, dims, keepdim))


def nansum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` counting NaN as zero."""
    if not x._dtype.is_floating_point:
        return red.sum(x, dim, keepdim, dtype=dtype)
    if dtype is not None:
        x = cast_tensor(x, dtypes.as_dtype(dtype))
    dims = normalize_dims(dim, x.ndim)
    with no_grad():
        out = red.sum(pw.where(pw.isnan(x), 0.0, x), dims, keepdim)
    if x._requires_grad and grad_state.enabled:
        shape = x._buf.shape
        out._attach("NansumBackward0", lambda g: (
            pw.where(pw.isnan(x), 0.0, red._spread(g, shape, dims, keepdim)),), (x,))
    return out


def nanmean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the elements that are not NaN."""
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but "
                           f"got {x._dtype.name}")
    counts = red.sum(pw.logical_not(pw.isnan(x)), dim, keepdim)
    return nansum(x, dim, keepdim, dtype=dtype) / counts


# ----- covariance ---------------------------------------------------------------------------------
def _check_weights(w: Tensor, name: str, observations: int, integral: bool) -> None:
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} "
                           f"with {w.ndim} dimensions")
    if integral and (w._dtype.is_floating_point or w._dtype is dtypes.bool):
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{w._dtype.name} dtype")
    if not integral and not w._dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} "
                           f"with {w._dtype.name} dtype")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {observations}")
    if observations and bool(red.amin(w.detach()) < 0):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(x: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance matrix of the variables in the rows of ``x`` (observations in columns),
    optionally weighted by observation counts ``fweights`` and weights ``aweights``."""
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input "
                           f"with {x.ndim} dimensions")
    if x._dtype is dtypes.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    rows = sh.reshape(x, (1, -1)) if x.ndim < 2 else x
    observations = rows._buf.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", observations, integral=True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", observations, integral=False)
        w = aweights if w is None else w * aweights
    if w is None:
        from ..creation import tensor
        w_sum = tensor(observations, dtype=dtypes.int64, device=x._device)
    else:
        w_sum = w.sum()
        if not bool(w_sum.detach() != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    average = (rows * w if w is not None else rows).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor.detach() <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0
    centered = rows - sh.unsqueeze(average, 1)
    weighted = centered * w if w is not None else centered
    return sh.squeeze(pw.div(matmul(centered, sh.t(weighted)), norm_factor))


def corrcoef(x: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``x``, clipped to
    [-1, 1]."""
    if x.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    c = cov(x)
    if c.ndim == 0:
        return c / c
    deviation = pw.sqrt(sh.diagonal(c))
    c = c / sh.reshape(deviation, (-1, 1))
    c = c / sh.reshape(deviation, (1, -1))
    return pw.clamp(c, -1, 1)
