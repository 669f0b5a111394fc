"""Element-wise ops on floating-point representation and ordering: hypot, copysign, frac, sgn,
signbit, angle, heaviside, nan_to_num, fmax/fmin, float_power, ldexp, frexp, nextafter,
clamp_min/clamp_max, positive and the isposinf family, each next to its gradient.

Built from primitives: the sign bit of a zero is read through ``1/x`` (``-0.0`` gives ``-inf``);
the sign bit of a NaN is not observable that way, so ``signbit`` and ``copysign`` treat every NaN
as positive.
"""
from __future__ import annotations

import math
from collections import namedtuple

from .. import dtypes
from . import pointwise as pw
from .elementwise_builders import binary, composite, floating_operands
from .special_math import sgn_real
from .support import Tensor, binary_operands, cast_tensor, grad_state, scalar_for, sum_to_shape

_INTEGER_MESSAGE = '"{op}" not implemented for \'{dtype}\''


def _sign_bit(x: Tensor) -> Tensor:
    return pw.lt(x, 0) | (pw.eq(x, 0) & pw.lt(pw.reciprocal(x), 0))


def _require_floating(x: Tensor, op: str) -> None:
    if not x._dtype.is_floating_point:
        raise NotImplementedError(_INTEGER_MESSAGE.format(op=op, dtype=x._dtype.name))


# ----- sign and magnitude --------------------------------------------------------------------------
def signbit(x: Tensor) -> Tensor:
    """True where the sign bit is set (``-0.0`` included)."""
    if x._dtype.is_floating_point:
        return _sign_bit(x.detach())
    if x._dtype is dtypes.bool or not x._dtype.is_signed:
        return pw.ne(x, x)  # all False
    return pw.lt(x, 0)


def sgn(x: Tensor) -> Tensor:
    """The sign of each element (for real tensors ``sign``, with NaN giving 0)."""
    if x._dtype is dtypes.bool or not x._dtype.is_floating_point:
        return pw.sign(x)
    out = x._like(sgn_real(x.detach())._buf)
    if x._requires_grad and grad_state.enabled:
        out._attach("SgnBackward0", lambda g: (g * 0,), (x,))
    return out


def _copysign_backward(g, x, y, out):
    ratio = pw.where(pw.eq(x, 0), 0.0, out / x)
    return g * ratio, (g * 0 if y.__class__ is Tensor else None)


def _copysign(x: Tensor, y) -> object:
    def compute(a, b):
        magnitude = pw.abs(a)
        if b.__class__ is Tensor:
            return pw.where(_sign_bit(b), -magnitude, magnitude)
        return -magnitude if math.copysign(1.0, b) < 0 else magnitude
    return composite(compute)(x, y) if y.__class__ is Tensor else composite(lambda a: compute(a, y))(x)


_COPYSIGN = {True: binary("copysign", "CopysignBackward0", _copysign, _copysign_backward, uses_output=True),
             False: binary("copysign", "CopysignBackward1", _copysign, _copysign_backward, uses_output=True)}


def copysign(input, other) -> Tensor:  # noqa: A002 - PyTorch's names
    """``|input|`` with the sign of ``other`` (a float result)."""
    return _COPYSIGN[other.__class__ is Tensor](input, other)


def frac(x: Tensor) -> Tensor:
    """``x - trunc(x)`` (floating tensors only, as in PyTorch)."""
    _require_floating(x, "frac_cpu")
    out = x._like(composite(lambda t: t - pw.trunc(t))(x))
    if x._requires_grad and grad_state.enabled:
        out._attach("FracBackward0", lambda g: (g,), (x,))
    return out


def hypot(input: Tensor, other) -> Tensor:  # noqa: A002
    """``sqrt(input**2 + other**2)`` without overflow or underflow in the squares."""
    return _hypot(input, other)


def _hypot_values(a: Tensor, b) -> Tensor:
    a, b = pw.abs(a), pw.abs(b)
    larger, smaller = pw.maximum(a, b), pw.minimum(a, b)
    ratio = smaller / larger
    value = larger * pw.sqrt(1.0 + ratio * ratio)
    value = pw.where(pw.eq(larger, 0), 0.0, value)
    return pw.where(pw.isinf(a) | pw.isinf(b), math.inf, value)  # inf even beside NaN, as C's hypot


_hypot = binary("hypot", "HypotBackward0",
                lambda x, y: composite(_hypot_values)(x, y) if y.__class__ is Tensor
                else composite(lambda t: _hypot_values(t, y))(x),
                lambda g, x, y, out: (g * x / out, g * y / out), uses_output=True)


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    """0 where ``input < 0``, ``values`` where it is 0, 1 where it is positive (NaN gives 0)."""
    if values.__class__ is not Tensor:
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if input._dtype is not values._dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    x, v = input.detach(), values.detach()
    return pw.where(pw.eq(x, 0), v, pw.gt(x, 0).to(x._dtype))


# ----- infinities and NaN ----------------------------------------------------------------------------
def isposinf(x: Tensor) -> Tensor:
    return pw.eq(x.detach(), math.inf) if x._dtype.is_floating_point else pw.isinf(x)


def isneginf(x: Tensor) -> Tensor:
    return pw.eq(x.detach(), -math.inf) if x._dtype.is_floating_point else pw.isinf(x)


def isreal(x: Tensor) -> Tensor:
    """True everywhere: unigrad has no complex dtypes."""
    return pw.eq(x.detach(), x.detach()) | pw.ne(x.detach(), x.detach())


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's
    largest and lowest finite values)."""
    if not x._dtype.is_floating_point:
        return x.clone()
    info = dtypes.finfo(x._dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf

    def forward(t):
        t = pw.where(pw.isnan(t), scalar_for(nan, t._dtype), t)
        t = pw.where(pw.eq(t, math.inf), scalar_for(high, t._dtype), t)
        return pw.where(pw.eq(t, -math.inf), scalar_for(low, t._dtype), t)

    with_grad = x._requires_grad and grad_state.enabled
    out = x._like(forward(x.detach())._buf)
    if with_grad:
        out._attach("NanToNumBackward0", lambda g: (g * pw.isfinite(x).to(g._dtype),), (x,), (x,))
    return out


# ----- NaN-ignoring extrema --------------------------------------------------------------------------
def _nan_ignoring(pick):
    def forward(x, y):
        def compute(a, b):
            best = pick(a, b)
            return pw.where(pw.isnan(a), b, pw.where(pw.isnan(b), a, best))
        if not x._dtype.is_floating_point:
            return pick(x, y)._buf
        return composite(compute)(x, y)
    return forward


def _fmax_backward(g, x, y, out):
    takes_x = pw.ge(x, y) | pw.isnan(y)
    return pw.where(takes_x, g, 0.0), pw.where(takes_x, 0.0, g)


def _fmin_backward(g, x, y, out):
    takes_x = pw.le(x, y) | pw.isnan(y)
    return pw.where(takes_x, g, 0.0), pw.where(takes_x, 0.0, g)


_fmax = binary("fmax", "FmaxBackward0", _nan_ignoring(pw.maximum), _fmax_backward, to_float=False)
_fmin = binary("fmin", "FminBackward0", _nan_ignoring(pw.minimum), _fmin_backward, to_float=False)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Element-wise maximum that ignores NaN (NaN only where both are NaN)."""
    return _fmax(input, _as_tensor(other, input))


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Element-wise minimum that ignores NaN (NaN only where both are NaN)."""
    return _fmin(input, _as_tensor(other, input))


def _as_tensor(value, like: Tensor) -> Tensor:
    if value.__class__ is Tensor:
        return value
    from ..creation import tensor
    return tensor(value, device=like._device)


# ----- powers of two and float64 powers -------------------------------------------------------------
def float_power(input, exponent) -> Tensor:  # noqa: A002
    """``input ** exponent`` computed in float64 (the result is float64)."""
    a = cast_tensor(input, dtypes.float64) if input.__class__ is Tensor else float(input)
    b = cast_tensor(exponent, dtypes.float64) if exponent.__class__ is Tensor else float(exponent)
    return pw.pow(a, b)


def float_power_(x: Tensor, exponent) -> Tensor:
    from .inplace import make_inplace
    if x._dtype is not dtypes.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {x._dtype.name.capitalize()} but the "
                           f"operation's result requires dtype Double")
    return make_inplace(float_power, "float_power_")(x, exponent)


def ldexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input * 2**other``."""
    x, e, dtype = floating_operands(input, other, "ldexp")
    scale = pw.pow(2.0, e.detach()) if e.__class__ is Tensor else 2.0 ** e
    out = pw.mul(x.detach(), scale)
    if grad_state.enabled and (x._requires_grad or (e.__class__ is Tensor and e._requires_grad)):
        shape = x._buf.shape
        out._attach("LdexpBackward0", lambda g: (sum_to_shape(g * scale, shape), None),
                    (x, e if e.__class__ is Tensor else None), (x,))
    return out


# ----- neighbours --------------------------------------------------------------------------------------
_NEXT = {  # (relative step just above half an ulp, smallest subnormal)
    dtypes.float64: (2.0 ** -53 + 2.0 ** -105, 2.0 ** -1074),
    dtypes.float32: (2.0 ** -24 + 2.0 ** -47, 2.0 ** -149),
    dtypes.float16: (2.0 ** -11 + 2.0 ** -21, 2.0 ** -24),
    dtypes.bfloat16: (2.0 ** -8 + 2.0 ** -15, 2.0 ** -133),
}


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The next representable value after ``input`` toward ``other``. Computed by rounding:
    ``x + |x| * (2**-p + tiny)`` lies strictly between half an ulp and one ulp away, so it rounds
    to the neighbour (the smallest subnormal serves at and below the subnormal range)."""
    x, y, dtype = binary_operands(input, other, "nextafter")
    _require_floating(x, "nextafter_cpu")
    relative, smallest = _NEXT[dtype]
    a = x.detach()
    b = y.detach() if y.__class__ is Tensor else a._like(a._backend.full(a._buf.shape, y, dtype))
    step = pw.maximum(pw.abs(a) * relative, smallest)
    toward = pw.where(pw.lt(a, b), a + step, a - step)
    largest = a._like(a._backend.full(a._buf.shape, dtypes.finfo(dtype).max, dtype))
    toward = pw.where(pw.isinf(a), pw.where(pw.gt(a, 0), largest, -largest), toward)
    out = pw.where(pw.eq(a, b), b, toward)
    out = pw.where(pw.isnan(a) | pw.isnan(b), math.nan, out).detach()
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        sx, sy = x._buf.shape, (y._buf.shape if y.__class__ is Tensor else None)
        out._attach("NextafterBackward0",
                    lambda g: (sum_to_shape(g, sx), sum_to_shape(g * 0, sy) if sy is not None else None),
                    (x, y if y.__class__ is Tensor else None))
    return out


def angle(x: Tensor) -> Tensor:
    """The argument of a real number: pi for negative values, 0 otherwise (NaN stays NaN)."""
    if not x._dtype.is_floating_point:
        x = cast_tensor(x, dtypes.get_default_dtype())
    t = x.detach()
    out = pw.where(pw.lt(t, 0), math.pi, pw.where(pw.isnan(t), t, 0.0))
    if x._requires_grad and grad_state.enabled:
        out._attach("AngleBackward0", lambda g: (g * 0,), (x,))
    return out


def frexp(x: Tensor):
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``
    (mantissa 0, inf or NaN with exponent 0 for those values); exponent is int32."""
    if not x._dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    t = x.detach()
    finite_nonzero = pw.isfinite(t) & pw.ne(t, 0)
    magnitude = pw.where(finite_nonzero, pw.abs(t), 1.0)
    exponent = pw.floor(pw.log2(magnitude)) + 1.0
    # 2**-exponent in two factors: each stays finite for subnormal x
    half = pw.floor(exponent * 0.5)
    mantissa = t * pw.pow(2.0, -half) * pw.pow(2.0, half - exponent)
    # log2 may round across a power of two: one correction step either way
    high, low = pw.ge(pw.abs(mantissa), 1.0), pw.lt(pw.abs(mantissa), 0.5) & finite_nonzero
    mantissa = pw.where(high, mantissa * 0.5, pw.where(low, mantissa * 2.0, mantissa))
    exponent = pw.where(high, exponent + 1.0, pw.where(low, exponent - 1.0, exponent))
    mantissa = pw.where(finite_nonzero, mantissa, t)
    exponent = pw.where(finite_nonzero, exponent, 0.0).to(dtypes.int32)
    if x._requires_grad and grad_state.enabled:
        scale = pw.pow(2.0, exponent.to(x._dtype))
        mantissa._attach("FrexpBackward0", lambda g: (g / scale,), (x,))
    return _Frexp(mantissa, exponent)


_Frexp = namedtuple("frexp", ["mantissa", "exponent"])


# ----- one-sided clamps and positive -----------------------------------------------------------------
def clamp_min(x: Tensor, min) -> Tensor:  # noqa: A002 - PyTorch's name
    """``max(x, min)``; ``min`` may be a tensor (broadcast)."""
    return _one_sided_clamp(x, min, pw.maximum, pw.ge, "ClampMin")


def clamp_max(x: Tensor, max) -> Tensor:  # noqa: A002
    """``min(x, max)``; ``max`` may be a tensor (broadcast)."""
    return _one_sided_clamp(x, max, pw.minimum, pw.le, "ClampMax")


def _one_sided_clamp(x: Tensor, bound, pick, keeps, name: str) -> Tensor:
    a, b, dtype = binary_operands(x, bound, name.lower())
    b_tensor = b.__class__ is Tensor
    out = pick(a.detach(), b.detach() if b_tensor else b).detach()
    if grad_state.enabled and (a._requires_grad or (b_tensor and b._requires_grad)):
        sa, sb = a._buf.shape, (b._buf.shape if b_tensor else None)

        def backward(g):
            kept = keeps(a, b)
            return (sum_to_shape(pw.where(kept, g, 0.0), sa),
                    sum_to_shape(pw.where(kept, 0.0, g), sb) if b_tensor else None)
        out._attach(f"{name}Backward{1 if b_tensor else 0}", backward, (a, b if b_tensor else None), (a,))
    return out


def positive(x: Tensor) -> Tensor:
    """``x`` itself (an error for bool, as PyTorch's unary ``+``)."""
    if x._dtype is dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return x


__all__ = ["signbit", "sgn", "copysign", "frac", "hypot", "heaviside", "isposinf", "isneginf", "isreal",
           "nan_to_num", "fmax", "fmin", "float_power", "float_power_", "ldexp", "nextafter", "clamp_min",
           "clamp_max", "positive", "angle", "frexp"]
