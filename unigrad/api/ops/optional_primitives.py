"""The optional element-wise primitives (``Backend.asin`` ... ``Backend.digamma``): an op calls
the backend's own when it has one, else a composite built from required primitives: here for
atan, atan2 and the special functions (with the approximations the NumPy backend uses,
``unigrad.backends.special_coefficients``, so the two agree to a few units in the last place), in
``trigonometric`` for the other inverse trigonometric and hyperbolic functions.

Composites evaluate every piece of a piecewise approximation on the whole tensor and select with
``where`` (no host synchronisation); float16 and bfloat16 are composed in float32 and rounded once.
"""
from __future__ import annotations

import math

from ...autograd.grad_mode import no_grad
from ...backends import special_coefficients as C
from .. import dtypes
from . import pointwise as pw
from .support import Tensor

_LOW_PRECISION = (dtypes.float16, dtypes.bfloat16)


def call(name: str, *tensors: Tensor):
    """The buffer of ``name`` applied to floating ``tensors`` of one dtype and shape: the
    backend's primitive, or the composite."""
    first = tensors[0]
    primitive = getattr(first._backend, name)
    if primitive is not None:
        return primitive(*(t._buf for t in tensors))
    with no_grad():
        detached = [t.detach() for t in tensors]
        if first._dtype in _LOW_PRECISION:
            return COMPOSITES[name](*(t.float() for t in detached)).to(first._dtype)._buf
        return COMPOSITES[name](*detached)._buf


# ----- building blocks ---------------------------------------------------------------------------
def horner(x: Tensor, coefficients) -> Tensor:
    """``sum(c_k x**k)`` for coefficients from the highest power down."""
    p = x * coefficients[0] + coefficients[1]
    for c in coefficients[2:]:
        p = p * x + c
    return p


def _signbit(x: Tensor) -> Tensor:
    """True where the sign bit is set (``-0.0`` included, NaN never)."""
    return pw.lt(x, 0) | (pw.eq(x, 0) & pw.lt(pw.reciprocal(x), 0))


def _with_sign_of(magnitude: Tensor, x: Tensor) -> Tensor:
    return pw.where(_signbit(x), -magnitude, magnitude)


# ----- atan, atan2 -------------------------------------------------------------------------------
def atan_composite(x: Tensor) -> Tensor:
    """Cephes' reduction to |t| <= 0.66 and its rational approximation."""
    a = pw.abs(x)
    big = pw.gt(a, C.ATAN_TAN_3PI_8)
    middle = pw.gt(a, 0.66) & ~big
    t = pw.where(big, -1.0 / a, pw.where(middle, (a - 1.0) / (a + 1.0), a))
    z = t * t
    core = t + t * z * horner(z, C.ATAN_P) / horner(z, C.ATAN_Q)
    big, middle = big.to(x._dtype), middle.to(x._dtype)  # 1.0 / 0.0 in x's dtype
    base = big * (math.pi / 2) + middle * (math.pi / 4)
    extra = big * C.ATAN_MORE_BITS + middle * (C.ATAN_MORE_BITS / 2)
    return _with_sign_of(base + (core + extra), x)


def atan2_composite(y: Tensor, x: Tensor) -> Tensor:
    """The angle of ``(x, y)`` from ``atan`` of a ratio in [0, 1], with C's signed zeros and
    infinities."""
    ay, ax = pw.abs(y), pw.abs(x)
    steep = pw.gt(ay, ax)
    ratio = pw.where(steep, ax, ay) / pw.where(steep, ay, ax)
    ratio = pw.where(pw.eq(ay, 0) & pw.eq(ax, 0), 0.0, ratio)  # atan2(+-0, +-0)
    ratio = pw.where(pw.isinf(ay) & pw.isinf(ax), 1.0, ratio)  # atan2(+-inf, +-inf)
    angle = ratio._like(call("atan", ratio))
    angle = pw.where(steep, math.pi / 2 - angle, angle)
    angle = pw.where(_signbit(x), math.pi - angle, angle)
    angle = _with_sign_of(angle, y)
    return pw.where(pw.isnan(x) | pw.isnan(y), math.nan, angle)


# ----- erfc (Cody) ---------------------------------------------------------------------------------
def _exp_minus_square(y: Tensor) -> Tensor:
    """``exp(-y*y)`` with ``y*y`` split into an exact square and a small remainder."""
    head = pw.trunc(y * 16.0) / 16.0
    return pw.exp(-(head * head)) * pw.exp(-((y - head) * (y + head)))


def erfc_composite(x: Tensor) -> Tensor:
    z = x * x
    near = 1.0 - x * horner(z, C.CODY_A) / horner(z, C.CODY_B)
    y = pw.clamp(pw.abs(x), max=30.0)  # erfc(30) underflows; inf would give inf - inf
    w = 1.0 / (y * y)
    far = (1.0 / math.sqrt(math.pi) - w * horner(w, C.CODY_P) / horner(w, C.CODY_Q)) / y
    middle = horner(y, C.CODY_C) / horner(y, C.CODY_D)
    tail = pw.where(pw.le(y, 4.0), middle, far) * _exp_minus_square(y)
    tail = pw.where(pw.lt(x, 0), 2.0 - tail, tail)
    return pw.where(pw.le(pw.abs(x), C.CODY_SMALL), near, tail)


# ----- erfinv (Giles) ------------------------------------------------------------------------------
def erfinv_composite(x: Tensor) -> Tensor:
    pieces = C.GILES64 if x._dtype is dtypes.float64 else C.GILES32
    w = -pw.log((1.0 - x) * (1.0 + x))
    root = pw.sqrt(w)
    result = None
    for bound, shift, uses_root, coefficients in reversed(pieces):
        value = horner((root if uses_root else w) - shift, coefficients)
        result = value if result is None else pw.where(pw.lt(w, bound), value, result)
    return pw.where(pw.eq(pw.abs(x), 1.0), x * math.inf, result * x)


# ----- lgamma ----------------------------------------------------------------------------------------
def _lgamma_two_plus(t: Tensor) -> Tensor:
    """``lgamma(2 + t)`` for ``|t| <= 1/2``."""
    return t * horner(t, C.LGAMMA_NEAR_TWO)


def _lgamma_positive(y: Tensor) -> Tensor:
    """lgamma for ``y >= 0.5``: below 1.5 by ``lgamma(y + 1) - log y``, up to 7 by recurrence
    down to [1.5, 2.5) (no recurrence inside it), then Stirling's series."""
    low = _lgamma_two_plus(y - 1.0) - pw.log(y)
    n = pw.clamp(pw.floor(y - 1.5), 0.0, 5.0)
    u = y - n  # in [1.5, 2.5); lgamma(y) = lgamma(u) + log(u (u+1) ... (u+n-1))
    product = pw.where(pw.gt(n, 0), u, 1.0)
    for k in range(1, 5):
        product = product * pw.where(pw.gt(n, k), u + k, 1.0)
    shifted = _lgamma_two_plus(u - 2.0) + pw.log(product)
    s = pw.clamp(y, min=7.0)
    log_s = pw.log(s)
    stirling = s * (log_s - 1.0) - 0.5 * log_s + 0.5 * math.log(2 * math.pi) + horner(1.0 / (s * s), C.STIRLING) / s
    return pw.where(pw.lt(y, 1.5), low, pw.where(pw.lt(y, 7.0), shifted, stirling))


def lgamma_composite(x: Tensor) -> Tensor:
    positive = _lgamma_positive(pw.clamp(x, min=0.5))
    small = _lgamma_two_plus(x) - pw.log(x * (x + 1.0))  # 0 < x < 1/2: lgamma(x + 2) - log(x (x + 1))
    r = pw.abs(x - pw.round(x))
    reflected = math.log(math.pi) - pw.log(pw.sin(math.pi * r)) - _lgamma_positive(pw.clamp(1.0 - x, min=0.5))
    reflected = pw.where(pw.eq(x, pw.floor(x)), math.inf, reflected)  # the poles 0, -1, -2, ...
    result = pw.where(pw.ge(x, 0.5), positive, pw.where(pw.gt(x, 0.0), small, reflected))
    return pw.where(pw.isinf(x), math.inf, pw.where(pw.isnan(x), x, result))


# ----- digamma -------------------------------------------------------------------------------------
def _digamma_positive(y: Tensor) -> Tensor:
    """psi for ``y > 0``: the root form on [1, 2] (and through ``psi(y + 1) - 1/y`` below 1),
    ``psi(y + 10) - sum 1/(y + k)`` up to 10, then the asymptotic series."""
    (hi, lo), near_root = (C.DIGAMMA_ROOT, C.DIGAMMA_NEAR_ROOT) if y._dtype is dtypes.float64 else \
        (C.DIGAMMA_ROOT32, C.DIGAMMA_NEAR_ROOT32)

    def around_root(v):
        return (v - hi - lo) * horner(v - 1.5, near_root)

    def asymptotic(v):
        z = 1.0 / (v * v)
        return pw.log(v) - 0.5 / v - z * horner(z, C.DIGAMMA_SERIES)

    below_one = around_root(y + 1.0) - 1.0 / y
    total = 1.0 / y
    for k in range(1, 10):
        total = total + 1.0 / (y + k)
    shifted = asymptotic(y + 10.0) - total
    return pw.where(pw.lt(y, 1.0), below_one, pw.where(pw.le(y, 2.0), around_root(y),
                                                       pw.where(pw.lt(y, 10.0), shifted, asymptotic(y))))


def digamma_composite(x: Tensor) -> Tensor:
    positive = _digamma_positive(x)
    reflected = _digamma_positive(1.0 - x) - math.pi / pw.tan(math.pi * (x - pw.round(x)))
    result = pw.where(pw.lt(x, 0), pw.where(pw.eq(x, pw.floor(x)), math.nan, reflected), positive)
    zero = pw.where(_signbit(x), math.inf, x * 0.0 - math.inf)  # psi(+-0) = -+inf
    return pw.where(pw.eq(x, 0), zero, result)


#: name -> composite of detached float32/float64 tensors (``trigonometric`` adds its own)
COMPOSITES = {"atan": atan_composite, "atan2": atan2_composite, "erfc": erfc_composite,
              "erfinv": erfinv_composite, "lgamma": lgamma_composite, "digamma": digamma_composite}
