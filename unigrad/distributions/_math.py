"""Special functions the distributions need, built from element-wise primitives.

``lgamma``, ``digamma``, ``polygamma``, ``erfinv``, ``atan``, ``xlogy``, ``gammainc`` and
``cumprod`` carry PyTorch's names, values and gradients (``LgammaBackward0`` gives ``digamma``,
``digamma`` gives ``polygamma(1, .)``, ...), so double backward works. Forward values are computed
in float64 where the device has it (else float32) and rounded once to the input's dtype, so they
agree with PyTorch to float64 accuracy on every backend. They stay private to the distributions;
the public element-wise ops of the same names live in ``unigrad/api/ops``.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from ..api import dtypes
from ..api.ops import pointwise as pw
from ..api.ops import reduction as red
from ..api.ops import shape as sh
from ..api.ops.pointwise import _saved
from ..api.ops.support import Tensor, float_operand, grad_state, sum_to_shape, to_tensor_like
from ..autograd.grad_mode import no_grad

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_PI_OVER_2 = 0.5 * math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# Lanczos approximation (g = 7, n = 9): relative error below 2e-15 for x >= 0.5.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
# Asymptotic digamma: psi(x) = log x - 1/(2x) - sum_k B_2k / (2k x^2k), from x >= 10.
_DIGAMMA_SERIES = tuple(float(Fraction(b) / (2 * k)) for k, b in enumerate(
    (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
     Fraction(-691, 2730), Fraction(7, 6)), start=1))
# Euler-Maclaurin tail of the Hurwitz zeta function: (2k)! / B_2k (Cephes' table).
_BERNOULLI_2K = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
                 Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
                 Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))
_ZETA_TAIL = tuple(float(Fraction(math.factorial(2 * k)) / b) for k, b in enumerate(_BERNOULLI_2K, start=1))
_ZETA_SHIFT = 9  # terms summed directly before the tail (q + 9 >= 9, as Cephes)

# Cephes atan: a rational approximation on [0, 0.66] after range reduction.
_ATAN_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1,
           -1.228866684490136173410e2, -6.485021904942025371773e1)
_ATAN_Q = (1.0, 2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2,
           4.853903996359136964868e2, 1.945506571482613964425e2)
_TAN_3PI_8 = 2.41421356237309504880
_ATAN_MOREBITS = 6.123233995736765886130e-17

# Giles' single-precision erfinv (2010), refined by Halley steps on the backend's erf.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)

_ERFC_FRACTION_TERMS = 40

_GAMMAINC_CHECK_EVERY = 8  # iterations between convergence checks (each check synchronises)
_GAMMAINC_MAX_ITERATIONS = 4000


# ----- plumbing ----------------------------------------------------------------------------------
def work_dtype(x: Tensor) -> dtypes.dtype:
    """float64 where ``x``'s device supports it, else float32: the dtype special functions use."""
    return dtypes.float64 if dtypes.float64 in x._backend.supported_dtypes else dtypes.float32


def _float_input(x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    return float_operand(x)


def _evaluate(forward, x: Tensor, *others) -> Tensor:
    """``forward`` on detached copies in the work dtype, rounded to ``x``'s dtype (no graph)."""
    work = work_dtype(x)
    with no_grad():
        args = [a.detach().to(work) if isinstance(a, Tensor) else a for a in (x,) + others]
        return forward(*args).to(x._dtype)


def _horner(z: Tensor, coefficients) -> Tensor:
    """``c0 z^n + c1 z^(n-1) + ... + cn`` (coefficients from the highest power)."""
    result = z * 0.0 + coefficients[0]
    for c in coefficients[1:]:
        result = result * z + c
    return result


def _unary_op(name: str, forward, backward):
    """An element-wise op: ``forward`` computes values (no graph); ``backward(g, x, out)`` gives
    x's gradient from differentiable ops, so higher derivatives follow."""

    def op(x: Tensor) -> Tensor:
        x = _float_input(x)
        out = _evaluate(forward, x)
        if x._requires_grad and grad_state.enabled:
            y = _saved(out)
            out._attach(name, lambda g: (backward(g, x, y),), (x,), (x, y))
        return out

    op.__name__ = name
    return op


# ----- gamma family --------------------------------------------------------------------------------
def _lgamma_values(x: Tensor) -> Tensor:
    # Reflection below 1/2: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); the sine is taken
    # of x minus its nearest integer, exact, so large negative x keep their accuracy.
    reflect = x < 0.5
    z = pw.where(reflect, 1.0 - x, x) - 1.0
    series = z * 0.0 + _LANCZOS[0]
    for i, c in enumerate(_LANCZOS[1:], start=1):
        series = series + c / (z + i)
    t = z + (_LANCZOS_G + 0.5)
    positive = _LOG_SQRT_2PI + (z + 0.5) * pw.log(t) - t + pw.log(series)
    sine = pw.abs(pw.sin(math.pi * (x - pw.round(x))))
    reflected = math.log(math.pi) - pw.log(sine) - positive
    out = pw.where(reflect, reflected, positive)
    return pw.where(pw.isinf(x), math.inf, out)


def _digamma_values(x: Tensor) -> Tensor:
    # psi(x) = psi(1 - x) - pi / tan(pi x) below 0; then psi(x) = psi(x + n) - sum 1/(x + k) up
    # to x + n >= 10, where the asymptotic series is accurate to float64 rounding.
    negative = x < 0
    correction = pw.where(negative, -math.pi / pw.tan(math.pi * (x - pw.floor(x))), 0.0)
    z = pw.where(negative, 1.0 - x, x)
    shift = z * 0.0
    for _ in range(10):
        below = z < 10.0
        shift = shift - pw.where(below, 1.0 / z, 0.0)
        z = pw.where(below, z + 1.0, z)
    inverse_square = 1.0 / (z * z)
    tail = inverse_square * _horner(inverse_square, _DIGAMMA_SERIES[::-1])
    out = pw.log(z) - 0.5 / z - tail + shift + correction
    out = pw.where(x == 0, pw.where(1.0 / x > 0, -math.inf, math.inf), out)  # -0.0 gives +inf
    out = pw.where(negative & (x == pw.floor(x)), math.nan, out)  # poles; -inf too
    return pw.where(x == math.inf, math.inf, out)


def _hurwitz_zeta_values(s: float, q: Tensor) -> Tensor:
    """``sum_k (q + k)^-s`` for q > 0 by Euler-Maclaurin summation (Cephes' ``zeta``)."""
    total = q * 0.0
    a = q
    for _ in range(_ZETA_SHIFT + 1):
        total = total + pw.pow(a, -s)
        a = a + 1.0
    w = a - 1.0  # the last term summed directly is at w
    last = pw.pow(w, -s)
    total = total + last * w / (s - 1.0) - 0.5 * last
    factor = 1.0
    k = 0.0
    b = last
    for coefficient in _ZETA_TAIL:
        factor *= s + k
        b = b / w
        total = total + factor * b / coefficient
        k += 1.0
        factor *= s + k
        b = b / w
        k += 1.0
    return total


@lru_cache(maxsize=None)
def _cot_derivative(n: int) -> tuple:
    """Integer coefficients (highest power first) of ``P_n`` with ``d^n/dx^n cot(pi x) =
    pi^n P_n(cot(pi x))``: ``P_0(c) = c``, ``P_{n+1}(c) = -(1 + c^2) P_n'(c)``."""
    poly = [0, 1]  # P_0(c) = c, by ascending powers
    for _ in range(n):
        derivative = [k * poly[k] for k in range(1, len(poly))] or [0]
        nxt = [0] * (len(derivative) + 2)
        for k, c in enumerate(derivative):
            nxt[k] -= c
            nxt[k + 2] -= c
        poly = nxt
    return tuple(float(c) for c in reversed(poly))


def _polygamma_values(n: int, x: Tensor) -> Tensor:
    # psi_n(x) = (-1)^(n+1) n! zeta(n + 1, x) for x > 0; below 0 the reflection
    # psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot(pi x)).
    sign = 1.0 if n % 2 else -1.0
    negative = x < 0
    z = pw.where(negative, 1.0 - x, x)
    value = sign * math.factorial(n) * _hurwitz_zeta_values(n + 1.0, z)
    r = math.pi * (x - pw.round(x))
    cot = pw.cos(r) / pw.sin(r)
    reflected = (-sign) * value - math.pi ** (n + 1) * _horner(cot, _cot_derivative(n))
    out = pw.where(negative, reflected, value)
    out = pw.where((x <= 0) & (x == pw.floor(x)), sign * math.inf, out)
    return pw.where(x == math.inf, 0.0, pw.where(x == -math.inf, math.nan, out))


def lgamma(x: Tensor) -> Tensor:
    """``log |Gamma(x)|``; its gradient is ``digamma(x)``."""
    x = _float_input(x)
    out = _evaluate(_lgamma_values, x)
    if x._requires_grad and grad_state.enabled:
        out._attach("LgammaBackward0", lambda g: (g * digamma(x),), (x,), (x,))
    return out


def digamma(x: Tensor) -> Tensor:
    """``d/dx lgamma(x)``; its gradient is ``polygamma(1, x)``."""
    x = _float_input(x)
    out = _evaluate(_digamma_values, x)
    if x._requires_grad and grad_state.enabled:
        out._attach("DigammaBackward0", lambda g: (g * polygamma(1, x),), (x,), (x,))
    return out


def polygamma(n: int, x: Tensor) -> Tensor:
    """The ``n``-th derivative of ``digamma`` (``n >= 0``)."""
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n = {n}")
    if n == 0:
        return digamma(x)
    x = _float_input(x)
    out = _evaluate(lambda v: _polygamma_values(n, v), x)
    if x._requires_grad and grad_state.enabled:
        out._attach("PolygammaBackward0", lambda g: (g * polygamma(n + 1, x),), (x,), (x,))
    return out


def mvlgamma(x: Tensor, p: int) -> Tensor:
    """Multivariate log-gamma: ``p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(x - i / 2)``."""
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, but got p = {p}")
    x = _float_input(x)
    total = lgamma(x)
    for i in range(1, p):
        total = total + lgamma(x - i / 2.0)
    return total + p * (p - 1) / 4.0 * math.log(math.pi)


# ----- inverse error function and arctangent ---------------------------------------------------
def _erfc_fraction(a: Tensor) -> Tensor:
    """The continued fraction ``K`` of ``erfc(a) = exp(-a^2) / (sqrt(pi) K)``, a >= 2 (relative
    error below 1e-13)."""
    fraction = a
    for k in range(_ERFC_FRACTION_TERMS, 0, -1):
        fraction = a + (k / 2.0) / fraction
    return fraction


def _erfinv_values(y: Tensor) -> Tensor:
    w = -(pw.log1p(-y) + pw.log1p(y))
    central = _horner(w - 2.5, _ERFINV_CENTRAL)
    tail = _horner(pw.sqrt(w) - 3.0, _ERFINV_TAIL)
    interior = pw.abs(y) < 1.0
    x = pw.where(interior, pw.where(w < 5.0, central, tail) * y, y * 0.0)
    # Near the centre, Halley steps on erf(x) - y (cubic convergence from Giles' 4e-7). In the
    # tails (|x| >= 2) erf cannot resolve 1 - |y|, and Giles' float32 fit is coarse beyond it:
    # Newton steps on log erfc(|x|) = log(1 - |y|), which is nearly quadratic in x there.
    far = pw.abs(x) >= 2.0
    log_distance = pw.log(pw.where(far, 1.0 - pw.abs(y), y * 0.0 + 0.5))  # 1 - |y| is exact
    magnitude = pw.abs(x)
    for _ in range(4):
        error = pw.erf(x) - y
        step = error / (_TWO_OVER_SQRT_PI * pw.exp(-x * x))
        near = x - step / (1.0 + x * step)
        a = pw.where(far, magnitude, y * 0.0 + 2.0)
        fraction = _erfc_fraction(a)
        residual = -a * a - pw.log(math.sqrt(math.pi) * fraction) - log_distance
        magnitude = a + residual / (2.0 * fraction)  # d/da log erfc(a) = -2 K
        x = pw.where(far, pw.sign(y) * magnitude, near)
    x = pw.where(interior, x, pw.where(y == 1.0, math.inf, pw.where(y == -1.0, -math.inf, math.nan)))
    return pw.where(y == 0, y, x)  # keeps the sign of zero


erfinv = _unary_op("ErfinvBackward0", _erfinv_values,
                   lambda g, x, y: g * _SQRT_PI_OVER_2 * pw.exp(y * y))


def _atan_values(x: Tensor) -> Tensor:
    a = pw.abs(x)
    large = a > _TAN_3PI_8
    middle = (a > 0.66) & ~large
    reduced = pw.where(large, -1.0 / pw.where(large, a, 1.0),
                       pw.where(middle, (a - 1.0) / (a + 1.0), a))
    zero = x * 0.0  # where() of two Python floats would round them to the default dtype
    base = pw.where(large, math.pi / 2, pw.where(middle, math.pi / 4, zero))
    extra = pw.where(large, _ATAN_MOREBITS, pw.where(middle, 0.5 * _ATAN_MOREBITS, zero))
    z = reduced * reduced
    ratio = z * _horner(z, _ATAN_P) / _horner(z, _ATAN_Q)
    out = base + (reduced * ratio + reduced + extra)
    out = pw.where(pw.isnan(x), x, out)
    return pw.where(x < 0, -out, pw.where(x == 0, x, out))


atan = _unary_op("AtanBackward0", _atan_values, lambda g, x, y: g / (1.0 + x * x))


def atanh(x: Tensor) -> Tensor:
    """``0.5 log((1 + x) / (1 - x))``."""
    return 0.5 * (pw.log1p(x) - pw.log1p(-x))


def acos(x: Tensor) -> Tensor:
    """``2 atan(sqrt((1 - x) / (1 + x)))``."""
    return 2.0 * atan(pw.sqrt((1.0 - x) / (1.0 + x)))


def logit(p: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    if eps is not None:
        p = pw.clamp(p, eps, 1.0 - eps)
    return pw.log(p) - pw.log1p(-p)


# ----- xlogy ---------------------------------------------------------------------------------------
def xlogy(x, y) -> Tensor:
    """``x * log(y)``, and 0 where ``x == 0`` unless ``y`` is NaN (PyTorch's ``xlogy``)."""
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        raise TypeError("xlogy: expected at least one Tensor")
    like = x if isinstance(x, Tensor) else y
    if not isinstance(x, Tensor):
        x = to_tensor_like(x, like, dtypes.result_type(like, x))
    if not isinstance(y, Tensor):
        y = to_tensor_like(y, like, dtypes.result_type(like, y))
    with no_grad():
        xd, yd = x.detach(), y.detach()
        product = pw.mul(xd, pw.log(yd if yd.dtype.is_floating_point else float_operand(yd)))
        out = pw.where((xd == 0) & ~pw.isnan(yd), xd * 0.0, product)
    out = out.detach()
    if grad_state.enabled and (x._requires_grad or y._requires_grad):
        sx, sy = tuple(x.shape), tuple(y.shape)
        need_x, need_y = x._requires_grad, y._requires_grad

        def backward(g):
            # PyTorch's rule: xlogy(g, y), and 0 where x == 0 and y <= 0 (xlogy is not
            # differentiable there; see its note on pytorch/pytorch#80770).
            gx = gy = None
            if need_x:
                gx = sum_to_shape(pw.where((x == 0) & (y <= 0), 0.0, xlogy(g, y)), sx)
            if need_y:
                gy = sum_to_shape(g * x / y, sy)
            return gx, gy
        out._attach("XlogyBackward0", backward, (x, y), (x, y))
    return out


# ----- regularised lower incomplete gamma ------------------------------------------------------
def _gammainc_values(a: Tensor, x: Tensor) -> Tensor:
    a, x = sh.broadcast_tensors(a, x)
    valid = (a >= 0) & (x >= 0)
    finite = valid & (a > 0) & (x > 0) & ~pw.isinf(a) & ~pw.isinf(x)
    series = finite & ~((x > 1.0) & (x > a))
    fraction = finite & ~series
    log_prefactor = pw.where(finite, a * pw.log(pw.where(finite, x, 1.0)) - x - _lgamma_values(
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


# ----- running product -------------------------------------------------------------------------
def _scan_product(x: Tensor) -> Tensor:
    from ..api.ops.prefix_scan import inclusive_scan
    return inclusive_scan(x.detach().contiguous(), "mul")


def _reverse_cumsum(x: Tensor) -> Tensor:
    return sh.flip(red.cumsum(sh.flip(x, -1), -1), -1)


def cumprod(x: Tensor, dim: int) -> Tensor:
    """Running product along ``dim``; its gradient is exact with zeros in ``x``."""
    moved = sh.movedim(x, dim, -1) if x.dim() else sh.reshape(x, (1,))
    out = _scan_product(moved)
    if moved._requires_grad and grad_state.enabled:
        y = _saved(out)

        def backward(g):
            # d out_j / d x_k = prod_{i <= j, i != k} x_i. Where x_k != 0 that is out_j / x_k;
            # at the first zero, the product of the other factors is a cumprod with that zero
            # replaced by one; after the first zero every such product vanishes.
            zero = moved == 0
            first_zero = zero & (red.cumsum(zero.to(g.dtype), -1) == 1)
            divisor = pw.where(zero, 1.0, moved)
            nonzero_part = _reverse_cumsum(g * y) / divisor
            others = cumprod(pw.where(first_zero, 1.0, moved), -1)
            zero_part = _reverse_cumsum(g * others)
            return (pw.where(zero, pw.where(first_zero, zero_part, 0.0), nonzero_part),)
        out._attach("CumprodBackward0", backward, (moved,), (moved, y))
    return sh.movedim(out, -1, dim) if x.dim() else sh.reshape(out, ())
