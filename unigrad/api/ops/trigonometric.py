"""Inverse trigonometric and hyperbolic functions, each next to its gradient.

All are optional primitives (see ``optional_primitives``). The composites a backend without them
gets are chosen for accuracy near the edges: ``asin`` and ``acos`` through ``atan`` of a ratio whose
factors are exact near +-1, the hyperbolic functions through ``expm1``/``log1p`` (no cancellation
near 0) with overflow handled where the result is still finite.
"""
from __future__ import annotations

import math

from .. import autocast_state
from . import pointwise as pw
from .elementwise_builders import binary, composite, unary
from .optional_primitives import COMPOSITES, call
from .support import Tensor, broadcast_shapes, to_tensor_like

_LN2 = math.log(2.0)
_HUGE = 2.0 ** 28  # beyond it asinh(x) and acosh(x) are log(2x) to the last bit


def _atan(t: Tensor) -> Tensor:
    return t._like(call("atan", t))


def _signed(magnitude: Tensor, x: Tensor) -> Tensor:
    """``magnitude`` (non-negative) with ``x``'s sign, ``-0.0`` included."""
    negative = pw.lt(x, 0) | (pw.eq(x, 0) & pw.lt(pw.reciprocal(x), 0))
    return pw.where(negative, -magnitude, magnitude)


# ----- inverse trigonometric -----------------------------------------------------------------------
def _asin(x: Tensor) -> Tensor:
    return _atan(x / pw.sqrt((1.0 - x) * (1.0 + x)))  # +-1 -> +-inf -> +-pi/2; |x| > 1 -> NaN


def _acos(x: Tensor) -> Tensor:
    return 2.0 * _atan(pw.sqrt((1.0 - x) / (1.0 + x)))  # -1 -> 2 atan(inf) = pi


asin = unary("asin", "AsinBackward0", lambda x: call("asin", x), lambda g, x, y: g * pw.rsqrt(1.0 - x * x),
             autocast="asin")
acos = unary("acos", "AcosBackward0", lambda x: call("acos", x), lambda g, x, y: -g * pw.rsqrt(1.0 - x * x),
             autocast="acos")
atan = unary("atan", "AtanBackward0", lambda x: call("atan", x), lambda g, x, y: g / (x * x + 1.0))


def _atan2_forward(y: Tensor, x) -> object:
    if x.__class__ is not Tensor:
        x = to_tensor_like(x, y, y._dtype)
    if y._buf.shape != x._buf.shape:
        shape = broadcast_shapes(y._buf.shape, x._buf.shape, op="atan2")
        y, x = y.expand(shape), x.expand(shape)
    return call("atan2", y, x)


def _atan2_backward(g, y, x, out):
    scale = g / (y * y + x * x)
    return scale * x, (-scale * y if x.__class__ is Tensor else None)


_atan2 = binary("atan2", "Atan2Backward0", _atan2_forward, _atan2_backward)


def atan2(input, other) -> Tensor:  # noqa: A002 - PyTorch's names
    """The angle of the point ``(other, input)``, in [-pi, pi] (element-wise, broadcast)."""
    if autocast_state.local.active:
        return autocast_state.dispatch("atan2", _atan2, (input, other), {})
    return _atan2(input, other)


# ----- hyperbolic ----------------------------------------------------------------------------------
def _sinh(x: Tensor) -> Tensor:
    # with q = expm1(|x|) / 2 = (e/2)(e + 2), e = expm1(|x|/2): sinh|x| = q + q / (2q + 1), exact
    # in form near 0 and finite wherever sinh is (exp(|x|) itself overflows a little earlier)
    e = pw.expm1(pw.abs(x) * 0.5)
    q = (e * 0.5) * (e + 2.0)
    s = pw.where(pw.isinf(q), q, q + q / (2.0 * q + 1.0))
    return _signed(s, x)


def _cosh(x: Tensor) -> Tensor:
    t = pw.exp(pw.abs(x) * 0.5)
    return (t * 0.5) * t + 0.5 / (t * t)


def _asinh(x: Tensor) -> Tensor:
    a = pw.abs(x)
    square = a * a
    near = pw.log1p(a + square / (1.0 + pw.sqrt(1.0 + square)))
    return _signed(pw.where(pw.gt(a, _HUGE), pw.log(a) + _LN2, near), x)


def _acosh(x: Tensor) -> Tensor:
    t = x - 1.0  # exact near 1, where acosh is steep
    near = pw.log1p(t + pw.sqrt(t * (t + 2.0)))
    near = pw.where(pw.lt(x, 1.0), math.nan, near)  # t (t + 2) is positive again below -1
    return pw.where(pw.gt(x, _HUGE), pw.log(x) + _LN2, near)


def _atanh(x: Tensor) -> Tensor:
    a = pw.abs(x)
    return _signed(0.5 * pw.log1p(2.0 * a / (1.0 - a)), x)


COMPOSITES.update(asin=_asin, acos=_acos, sinh=_sinh, cosh=_cosh, asinh=_asinh, acosh=_acosh, atanh=_atanh)

sinh = unary("sinh", "SinhBackward0", lambda x: call("sinh", x), lambda g, x, y: g * cosh(x), autocast="sinh")
cosh = unary("cosh", "CoshBackward0", lambda x: call("cosh", x), lambda g, x, y: g * sinh(x), autocast="cosh")
asinh = unary("asinh", "AsinhBackward0", lambda x: call("asinh", x), lambda g, x, y: g * pw.rsqrt(x * x + 1.0))
acosh = unary("acosh", "AcoshBackward0", lambda x: call("acosh", x), lambda g, x, y: g * pw.rsqrt(x * x - 1.0))
atanh = unary("atanh", "AtanhBackward0", lambda x: call("atanh", x), lambda g, x, y: g / (1.0 - x * x))


# ----- angle conversion ------------------------------------------------------------------------------
_DEGREE = math.pi / 180.0

deg2rad = unary("deg2rad", "Deg2RadBackward0", composite(lambda x: x * _DEGREE),
                lambda g, x, y: g * _DEGREE)
rad2deg = unary("rad2deg", "Rad2DegBackward0", composite(lambda x: x * (1.0 / _DEGREE)),
                lambda g, x, y: g * (1.0 / _DEGREE))

arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh

__all__ = ["asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "deg2rad",
           "rad2deg", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh"]
