"""Special functions the distributions need beyond the public element-wise ops.

``lgamma``, ``digamma``, ``polygamma``, ``mvlgamma``, ``erfinv``, ``atan``, ``atanh``, ``acos``,
``logit``, ``xlogy`` and ``cumprod`` are the public ops (``unigrad/api/ops``), re-exported here
under one roof for the distributions; ``gammainc`` (PyTorch's ``special.gammainc``, which unigrad's
public API leaves out) is defined here, from element-wise primitives.
"""
from __future__ import annotations

import math

from ..api import dtypes
from ..api.ops import pointwise as pw
from ..api.ops import reduction as red
from ..api.ops import shape as sh
from ..api.ops.scans import cumprod  # noqa: F401 - re-exported
from ..api.ops.special_math import digamma, erfinv, lgamma, logit, mvlgamma, polygamma, xlogy  # noqa: F401
from ..api.ops.support import Tensor, grad_state, sum_to_shape, to_tensor_like
from ..api.ops.trigonometric import acos, atan, atanh  # noqa: F401
from ..autograd.grad_mode import no_grad

_GAMMAINC_CHECK_EVERY = 8  # iterations between convergence checks (each check synchronises)
_GAMMAINC_MAX_ITERATIONS = 4000


def work_dtype(x: Tensor) -> dtypes.dtype:
    """float64 where ``x``'s device supports it, else float32: the dtype special functions use."""
    return dtypes.float64 if dtypes.float64 in x._backend.supported_dtypes else dtypes.float32


def _evaluate(forward, x: Tensor, *others) -> Tensor:
    """``forward`` on detached copies in the work dtype, rounded to ``x``'s dtype (no graph)."""
    work = work_dtype(x)
    with no_grad():
        args = [a.detach().to(work) if isinstance(a, Tensor) else a for a in (x,) + others]
        return forward(*args).to(x._dtype)


# ----- regularised lower incomplete gamma ------------------------------------------------------
def _gammainc_values(a: Tensor, x: Tensor) -> Tensor:
    a, x = sh.broadcast_tensors(a, x)
    valid = (a >= 0) & (x >= 0)
    finite = valid & (a > 0) & (x > 0) & ~pw.isinf(a) & ~pw.isinf(x)
    series = finite & ~((x > 1.0) & (x > a))
    fraction = finite & ~series
    log_prefactor = pw.where(finite, a * pw.log(pw.where(finite, x, 1.0)) - x - lgamma(
        pw.where(finite, a, 1.0)), 0.0)
    # Series (Cephes igam): P = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1)...(a + n)).
    sa, sx = pw.where(series, a, 1.0), pw.where(series, x, 0.5)
    r, c, total = sa, sx * 0.0 + 1.0, sx * 0.0 + 1.0
    # Continued fraction for Q (Cephes igamc), with its renormalisation of large terms.
    fa, fx = pw.where(fraction, a, 1.0), pw.where(fraction, x, 2.0)
    y = 1.0 - fa
    z = fx + y + 1.0
    count = fx * 0.0
    pkm2, qkm2, pkm1, qkm1 = fx * 0.0 + 1.0, fx, fx + 1.0, z * fx
    answer = pkm1 / qkm1
    eps = 1.1102230246251565e-16 if a.dtype is dtypes.float64 else 5.960464477539063e-08
    # Each element stops changing once its own term falls below eps (later iterations would
    # only add rounding noise); the loop ends when every element has.
    series_live, fraction_live = series, fraction
    iteration = 0
    while iteration < _GAMMAINC_MAX_ITERATIONS:
        for _ in range(_GAMMAINC_CHECK_EVERY):
            r = r + 1.0
            c = c * sx / r
            total = pw.where(series_live, total + c, total)
            series_live = series_live & (c / total > eps)
            count, y, z = count + 1.0, y + 1.0, z + 2.0
            yc = y * count
            pk = pkm1 * z - pkm2 * yc
            qk = qkm1 * z - qkm2 * yc
            ratio = pk / pw.where(qk != 0, qk, 1.0)
            change = pw.where(qk != 0, pw.abs((answer - ratio) / ratio), 1.0)
            answer = pw.where(fraction_live & (qk != 0), ratio, answer)
            fraction_live = fraction_live & (change > eps)
            pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
            big = pw.abs(pk) > 4.503599627370496e15
            rescale = pw.where(big, 2.220446049250313e-16, pk * 0.0 + 1.0)
            pkm2, pkm1, qkm2, qkm1 = pkm2 * rescale, pkm1 * rescale, qkm2 * rescale, qkm1 * rescale
        iteration += _GAMMAINC_CHECK_EVERY
        if not bool(red.any(series_live | fraction_live)):
            break
    lower = pw.exp(log_prefactor) * total / sa
    upper = pw.exp(log_prefactor) * answer
    out = pw.where(series, lower, 1.0 - upper)
    out = pw.where(valid & (x == 0) & (a > 0), 0.0, out)
    out = pw.where(valid & (a == 0) & (x > 0), 1.0, out)
    out = pw.where(valid & pw.isinf(x) & ~pw.isinf(a), 1.0, out)
    out = pw.where(valid & pw.isinf(a) & ~pw.isinf(x), 0.0, out)
    return pw.where(valid & ~(pw.isinf(a) & pw.isinf(x)) & ~((a == 0) & (x == 0)), out, math.nan)


def gammainc(a, x) -> Tensor:
    """The regularised lower incomplete gamma function ``P(a, x)`` (``torch.special.gammainc``);
    differentiable in ``x`` only, like PyTorch."""
    like = a if isinstance(a, Tensor) else x
    a = a if isinstance(a, Tensor) else to_tensor_like(a, like, dtypes.result_type(like, a))
    x = x if isinstance(x, Tensor) else to_tensor_like(x, like, dtypes.result_type(like, x))
    dtype = dtypes.result_type(a, x)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
    a, x = a.to(dtype), x.to(dtype)
    out = _evaluate(_gammainc_values, a, x)
    if grad_state.enabled and (a._requires_grad or x._requires_grad):
        sx = tuple(x.shape)
        need_a = a._requires_grad

        def backward(g):
            if need_a:
                raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
            density = pw.exp((a - 1.0) * pw.log(x) - x - lgamma(a))
            return None, sum_to_shape(g * density, sx)
        out._attach("IgammaBackward0", backward, (a, x), (a, x))
    return out
