"""Special functions (``torch.special`` and its top-level names), each next to its gradient.

erfc, erfinv, lgamma and digamma are optional primitives (``optional_primitives``); the rest are
composites: polygamma from the Hurwitz zeta function (reflected below 0), the Bessel functions
i0/i1 from Cephes' Chebyshev series, ndtri from Cephes' rational approximations, and the
normal-distribution helpers from erfc (so the tails keep their relative accuracy).
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

from ...backends import special_coefficients as C
from .. import dtypes
from . import pointwise as pw
from .elementwise_builders import binary, composite, unary
from .optional_primitives import call, horner
from .support import Tensor, float_operand, grad_state

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_LN2 = math.log(2.0)


# ----- error function family -------------------------------------------------------------------
erfc = unary("erfc", "ErfcBackward0", lambda x: call("erfc", x),
             lambda g, x, y: g * pw.exp(-(x * x)) * (-2.0 / _SQRT_PI))
erfinv = unary("erfinv", "ErfinvBackward0", lambda x: call("erfinv", x),
               lambda g, x, y: g * pw.exp(y * y) * (_SQRT_PI / 2.0), uses_output=True, autocast="erfinv")


# (-1)^k (2k-1)!! for k = 16 ... 0: erfcx(x) ~ sum of them times (2x^2)^-k, over x sqrt(pi)
_ERFCX_SERIES = tuple((-1.0) ** k * math.prod(range(1, 2 * k, 2)) for k in range(16, -1, -1))


def _erfcx(x: Tensor) -> Tensor:
    """``exp(x*x) erfc(x)``: directly up to a threshold (the square split so exp keeps its
    accuracy), then the asymptotic series ``1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k``."""
    threshold = 12.0 if x._dtype is dtypes.float64 else 9.0
    near_x = pw.clamp(x, max=threshold)
    head = pw.trunc(near_x * 16.0) / 16.0
    scale = pw.exp(head * head) * pw.exp((near_x - head) * (near_x + head))
    near = scale * x._like(call("erfc", near_x))
    far_x = pw.clamp(x, min=threshold)
    u = 1.0 / (2.0 * far_x * far_x)
    series = horner(u, _ERFCX_SERIES)
    far = series / (far_x * _SQRT_PI)
    return pw.where(pw.gt(x, threshold), far, pw.where(pw.eq(x, -math.inf), math.inf, near))


erfcx = unary("erfcx", "SpecialErfcxBackward0", composite(_erfcx),
              lambda g, x, y: (2.0 * x * y - 2.0 / _SQRT_PI) * g, uses_output=True)


# ----- the normal distribution ---------------------------------------------------------------------
def ndtr(x: Tensor) -> Tensor:
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2`` (accurate in the lower tail)."""
    return erfc(float_operand(x) * -_SQRT_HALF) * 0.5


def _log_ndtr(x: Tensor) -> Tensor:
    # lower tail: log(erfc(y) / 2) = -y^2 + log(erfcx(y) / 2) with y = -x / sqrt(2); upper:
    # log1p(-erfc(x / sqrt(2)) / 2)
    y = pw.clamp(x, max=-1.0) * -_SQRT_HALF
    lower = -(y * y) + pw.log(_erfcx(y) * 0.5)
    upper = pw.log1p(x._like(call("erfc", pw.clamp(x, min=-1.0) * _SQRT_HALF)) * -0.5)
    return pw.where(pw.lt(x, -1.0), lower, upper)


log_ndtr = unary("log_ndtr", "SpecialLogNdtrBackward0", composite(_log_ndtr),
                 lambda g, x, y: g / _SQRT_2PI * pw.exp(-(y + x * x * 0.5)), uses_output=True)


def _ndtri(p: Tensor) -> Tensor:
    """Cephes: a rational function of ``p - 1/2`` in the middle, of ``1/sqrt(-2 log q)`` in the
    tails (``q`` the smaller of ``p`` and ``1 - p``)."""
    edge = math.exp(-2.0)
    upper = pw.gt(p, 1.0 - edge)
    q = pw.where(upper, 1.0 - p, p)
    y = p - 0.5
    y2 = y * y
    middle = (y + y * (y2 * horner(y2, C.NDTRI_P0) / horner(y2, C.NDTRI_Q0))) * _SQRT_2PI
    t = pw.sqrt(-2.0 * pw.log(pw.clamp(q, max=edge)))
    z = 1.0 / t
    correction = pw.where(pw.lt(t, 8.0), z * horner(z, C.NDTRI_P1) / horner(z, C.NDTRI_Q1),
                          z * horner(z, C.NDTRI_P2) / horner(z, C.NDTRI_Q2))
    tail = t - pw.log(t) / t - correction
    tail = pw.where(upper, tail, -tail)
    result = pw.where(pw.gt(q, edge), middle, tail)
    result = pw.where(pw.eq(p, 0.0), -math.inf, pw.where(pw.eq(p, 1.0), math.inf, result))
    return pw.where(pw.lt(p, 0.0) | pw.gt(p, 1.0), math.nan, result)


ndtri = unary("ndtri", "SpecialNdtriBackward0", composite(_ndtri),
              lambda g, x, y: g * _SQRT_2PI * pw.exp(y * y * 0.5), uses_output=True)


# ----- gamma family -----------------------------------------------------------------------------------
lgamma = unary("lgamma", "LgammaBackward0", lambda x: call("lgamma", x), lambda g, x, y: g * digamma(x))
digamma = unary("digamma", "DigammaBackward0", lambda x: call("digamma", x),
                lambda g, x, y: g * polygamma(1, x))

# Bernoulli numbers B_2, B_4, ... B_24 for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))
_ZETA_TERMS = 10  # direct terms before the tail: its argument is then >= 10


def _hurwitz_zeta(s: int, q: Tensor) -> Tensor:
    """``sum_k (q + k)^-s`` for integer ``s >= 2`` and ``q > 0``: ten terms directly, then
    Euler-Maclaurin with twelve Bernoulli terms."""
    total = pw.pow(q, -s)
    for k in range(1, _ZETA_TERMS):
        total = total + pw.pow(q + k, -s)
    w = q + _ZETA_TERMS
    u = 1.0 / w
    tail = w * (1.0 / (s - 1)) + 0.5 + u * horner(u * u, _euler_maclaurin(s))
    return total + pw.pow(w, -s) * tail


@functools.lru_cache(maxsize=None)
def _euler_maclaurin(s: int) -> tuple:
    """``B_2j / (2j)! * s (s+1) ... (s+2j-2)`` for j = 12 ... 1 (a polynomial in ``1/w^2``)."""
    coefficients, rising = [], Fraction(s)
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        coefficients.append(float(bernoulli / math.factorial(2 * j) * rising))
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return tuple(reversed(coefficients))


@functools.lru_cache(maxsize=None)
def _cot_derivative(n: int) -> tuple:
    """Integer coefficients (highest power first) of P_n with ``d^n/dz^n cot z = P_n(cot z)``."""
    p = [1, 0]  # P_0(c) = c, lowest power last
    for _ in range(n):
        derivative = [c * (len(p) - 1 - i) for i, c in enumerate(p[:-1])]  # P'
        # -(1 + c^2) P'(c)
        product = [0] * (len(derivative) + 2)
        for i, c in enumerate(derivative):
            product[i] -= c
            product[i + 2] -= c
        p = product
    return tuple(float(c) for c in p)


def _polygamma_positive(n: int, x: Tensor) -> Tensor:
    sign = 1.0 if n % 2 else -1.0
    return _hurwitz_zeta(n + 1, x) * (sign * math.factorial(n))


def _polygamma(n: int, x: Tensor) -> Tensor:
    """``psi^(n)(x)`` for ``n >= 1``; below 0 by the reflection
    ``psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x))``."""
    positive = pw.gt(x, 0.0)
    direct = _polygamma_positive(n, pw.where(positive, x, 1.0))
    cot = 1.0 / pw.tan(math.pi * (x - pw.round(x)))
    reflected = _polygamma_positive(n, pw.where(positive, 1.0, 1.0 - x)) * ((-1.0) ** n) \
        - horner(cot, _cot_derivative(n)) * math.pi ** (n + 1)
    result = pw.where(positive, direct, reflected)
    pole = math.inf if n % 2 else -math.inf
    result = pw.where(pw.le(x, 0.0) & pw.eq(x, pw.floor(x)), pole, result)
    return pw.where(pw.eq(x, math.inf), 0.0, result)


def polygamma(n: int, x: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    n = int(n)
    x = float_operand(x)
    out = x._like(call("digamma", x) if n == 0 else composite(lambda t: _polygamma(n, t))(x))
    if x._requires_grad and grad_state.enabled:
        out._attach("PolygammaBackward0", lambda g: (g * polygamma(n + 1, x),), (x,), (x,))
    return out


def mvlgamma(x: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma ``sum_j lgamma(x - j/2) + p (p-1)/4 log(pi)``, j < p."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = float_operand(x)
    constant = p * (p - 1) / 4.0 * math.log(math.pi)

    def forward(t):
        total = lgamma(t)
        for j in range(1, p):
            total = total + lgamma(t - j / 2.0)
        return total + constant

    out = x._like(composite(forward)(x))
    if x._requires_grad and grad_state.enabled:
        def backward(g):
            total = digamma(x)
            for j in range(1, p):
                total = total + digamma(x - j / 2.0)
            return (g * total,)
        out._attach("MvlgammaBackward0", backward, (x,), (x,))
    return out


multigammaln = mvlgamma


# ----- modified Bessel functions of the first kind (Cephes' Chebyshev series) ------------------------
def _chebyshev(y: Tensor, coefficients) -> Tensor:
    """Clenshaw's recurrence as Cephes' ``chbevl``."""
    if y._dtype is not dtypes.float64:  # terms below float32's resolution
        coefficients = coefficients[next(i for i, c in enumerate(coefficients) if abs(c) >= 1e-9):]
    b0, b1, b2 = y * 0.0 + coefficients[0], y * 0.0, y * 0.0
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = y * b1 - b2 + c
    return (b0 - b2) * 0.5


def _scaled_bessel(x: Tensor, near, far, odd: bool) -> Tensor:
    """``exp(-|x|) I(x)`` from the two Chebyshev series (I1 is odd; I1's near series is of I1/x)."""
    a = pw.abs(x)
    small = _chebyshev(a * 0.5 - 2.0, near)
    if odd:
        small = small * a
    large = _chebyshev(32.0 / a - 2.0, far) / pw.sqrt(a)
    value = pw.where(pw.le(a, 8.0), small, large)
    return pw.where(pw.lt(x, 0), -value, value) if odd else value


def _i0e(x: Tensor) -> Tensor:
    return _scaled_bessel(x, C.I0E_A, C.I0E_B, odd=False)


def _i1e(x: Tensor) -> Tensor:
    return _scaled_bessel(x, C.I1E_A, C.I1E_B, odd=True)


i0e = unary("i0e", "SpecialI0EBackward0", composite(_i0e),
            lambda g, x, y: g * (i1e(x) - sgn_real(x) * y), uses_output=True)
i1e = unary("i1e", "SpecialI1EBackward0", composite(_i1e),
            lambda g, x, y: g * pw.where(pw.eq(x, 0), 0.5, i0e(x) - y * (sgn_real(x) + 1.0 / x)),
            uses_output=True)
i0 = unary("i0", "I0Backward0", composite(lambda x: pw.exp(pw.abs(x)) * _i0e(x)), lambda g, x, y: g * i1(x))
i1 = unary("i1", "SpecialI1Backward0", composite(lambda x: pw.exp(pw.abs(x)) * _i1e(x)),
           lambda g, x, y: g * pw.where(pw.eq(x, 0), 0.5, i0(x) - y / x), uses_output=True)


def sgn_real(x: Tensor) -> Tensor:
    """-1, 0 or 1 in ``x``'s dtype (NaN gives 0, as ``torch.sgn``)."""
    return pw.gt(x, 0).to(x._dtype) - pw.lt(x, 0).to(x._dtype)


# ----- sinc, exp2, logit, entropy ---------------------------------------------------------------------
def _sin_pi(x: Tensor) -> Tensor:
    """``sin(pi x)`` with exact argument reduction: full relative accuracy near the integers."""
    nearest = pw.round(x)
    odd = pw.remainder(nearest, 2.0)  # 0.0 or 1.0
    return pw.sin(math.pi * (x - nearest)) * (1.0 - 2.0 * odd)


def _sinc(x: Tensor) -> Tensor:
    return pw.where(pw.eq(x, 0), 1.0, _sin_pi(x) / (x * math.pi))


def _sinc_backward(g, x, y):
    t = x * math.pi
    slope = (t * pw.cos(t) - pw.sin(t)) / (t * x)
    return g * pw.where(pw.eq(x, 0), 0.0, slope)


sinc = unary("sinc", "SincBackward0", composite(_sinc), _sinc_backward)
exp2 = unary("exp2", "Exp2Backward0", composite(lambda x: pw.pow(2.0, x)), lambda g, x, y: g * y * _LN2,
             uses_output=True)


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``, with ``x`` first clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    x = float_operand(x)

    def forward(t):
        if eps is not None:
            t = pw.clamp(t, eps, 1.0 - eps)
        return pw.log(t / (1.0 - t))

    out = x._like(composite(forward)(x))
    if x._requires_grad and grad_state.enabled:
        def backward(g):
            slope = g / (x * (1.0 - x))
            if eps is None:
                return (pw.where(pw.lt(x, 0.0) | pw.gt(x, 1.0), math.nan, slope),)
            return (pw.where(pw.lt(x, eps) | pw.gt(x, 1.0 - eps), 0.0, slope),)
        out._attach("LogitBackward0", backward, (x,), (x,))
    return out


def _entr(x: Tensor) -> Tensor:
    value = -x * pw.log(x)
    return pw.where(pw.gt(x, 0), value, pw.where(pw.eq(x, 0), 0.0, pw.where(pw.lt(x, 0), -math.inf, x)))


entr = unary("entr", "SpecialEntrBackward0", composite(_entr), lambda g, x, y: g * -(1.0 + pw.log(x)))


def _two_operand_composite(function):
    def forward(x, y):
        if y.__class__ is Tensor:
            return composite(function)(x, y)
        return composite(lambda t: function(t, y))(x)
    return forward


# ----- x log y --------------------------------------------------------------------------------------
def _xlog_forward(log):
    def compute(a: Tensor, b) -> Tensor:
        if b.__class__ is not Tensor:
            b = a._like(a._backend.full(a._buf.shape, b, a._dtype))
        zero = pw.eq(a, 0) & ~pw.isnan(b)
        return pw.where(zero, 0.0, a * log(b))
    return _two_operand_composite(compute)


def _xlogy_backward(g, x, y, out):
    # PyTorch's rule: xlogy(g, y), 0 where x is 0 and y outside log's domain
    outside = pw.eq(x, 0) & (pw.le(y, 0.0) if y.__class__ is Tensor else (y <= 0))
    return pw.where(outside, 0.0, xlogy(g, y)), (g * x / y if y.__class__ is Tensor else None)


def _xlog1py_backward(g, x, y, out):
    outside = pw.eq(x, 0) & (pw.le(y, -1.0) if y.__class__ is Tensor else (y <= -1))
    return pw.where(outside, 0.0, xlog1py(g, y)), (g * x / (y + 1.0) if y.__class__ is Tensor else None)


_XLOGY = {i: binary("xlogy", f"XlogyBackward{i}", _xlog_forward(pw.log), _xlogy_backward) for i in range(3)}
_XLOG1PY = {i: binary("xlog1py", f"SpecialXlog1PyBackward{i}", _xlog_forward(pw.log1p), _xlog1py_backward)
            for i in range(3)}


def _scalar_position(a, b) -> int:
    """PyTorch's overload number: 1 when ``input`` is a Python number, 2 when ``other`` is."""
    return 1 if a.__class__ is not Tensor else 2 if b.__class__ is not Tensor else 0


def xlogy(input, other) -> Tensor:  # noqa: A002 - PyTorch's names
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    return _XLOGY[_scalar_position(input, other)](input, other)


def xlog1py(input, other) -> Tensor:  # noqa: A002
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN)."""
    return _XLOG1PY[_scalar_position(input, other)](input, other)


# ----- log-sum-exp of two ------------------------------------------------------------------------------
def _logaddexp(a: Tensor, b) -> Tensor:
    larger = pw.maximum(a, b)
    value = larger + pw.log1p(pw.exp(-pw.abs(a - b)))
    return pw.where(pw.isinf(a) & pw.eq(a, b), a, value)  # both +inf or both -inf


def _logaddexp2(a: Tensor, b) -> Tensor:
    larger = pw.maximum(a, b)
    value = larger + pw.log1p(pw.pow(2.0, -pw.abs(a - b))) * (1.0 / _LN2)
    return pw.where(pw.isinf(a) & pw.eq(a, b), a, value)


logaddexp = binary("logaddexp", "LogaddexpBackward0", _two_operand_composite(_logaddexp),
                   lambda g, x, y, out: (g / (1.0 + pw.exp(y - x)), g / (1.0 + pw.exp(x - y))))
logaddexp2 = binary("logaddexp2", "Logaddexp2Backward0", _two_operand_composite(_logaddexp2),
                    lambda g, x, y, out: (g / (1.0 + pw.pow(2.0, y - x)), g / (1.0 + pw.pow(2.0, x - y))))

expit = pw.sigmoid
gammaln, psi = lgamma, digamma

__all__ = ["erfc", "erfinv", "erfcx", "ndtr", "ndtri", "log_ndtr", "lgamma", "digamma", "polygamma",
           "mvlgamma", "multigammaln", "i0", "i0e", "i1", "i1e", "sinc", "exp2", "logit", "entr",
           "xlogy", "xlog1py", "logaddexp", "logaddexp2", "expit", "gammaln", "psi"]
