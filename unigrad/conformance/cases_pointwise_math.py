"""Conformance cases of the element-wise math family: inverse trigonometric and hyperbolic
functions, special functions, floating-point and integer ops (the optional primitives they use
have their own cases in ``cases_optional_primitives``).

Shape classes are few on purpose: every case here also runs in each of the suite's mutation runs.
"""
from __future__ import annotations

from .cases import FLOATS, INTS, Case, fixed, index, operands

_F = ("float32", "float64")
_UNARY_CLASSES = ("matrix", "special")
_BINARY_CLASSES = ("matrix", "broadcast", "special")
#: ops on an optional primitive also see a strided operand (the primitive's own cases do not)
_PRIMITIVE_CLASSES = ("matrix", "noncontiguous", "special")


def _unary(name, fn, domain="real", kind="transcendental", primitives=("mul", "add", "where"), grad=True,
           dtypes=_F, classes=_UNARY_CLASSES):
    return Case(name, "elementwise", fn, operands(1, domain), classes, dtypes, grad, kind, primitives)


def _binary(name, fn, domains=("real", "real"), kind="transcendental", primitives=("mul", "add", "where"),
            grad=True, dtypes=_F, classes=_BINARY_CLASSES):
    return Case(name, "elementwise", fn, operands(2, domains=domains), classes, dtypes, grad, kind, primitives)


CASES = [
    # inverse trigonometric and hyperbolic
    _unary("asin", lambda lib, x: lib.asin(x), "unit", primitives=("asin",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _unary("acos", lambda lib, x: lib.acos(x), "unit", primitives=("acos",), classes=_PRIMITIVE_CLASSES),
    _unary("atan", lambda lib, x: lib.atan(x * 4), primitives=("atan",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _binary("atan2", lambda lib, a, b: lib.atan2(a, b), primitives=("atan2",), dtypes=FLOATS,
            classes=_BINARY_CLASSES + ("noncontiguous",)),
    _unary("sinh_cosh", lambda lib, x: (lib.sinh(x * 4), lib.cosh(x * 4)), primitives=("sinh", "cosh"),
           dtypes=FLOATS, classes=_PRIMITIVE_CLASSES),
    _unary("asinh_atanh", lambda lib, x: (lib.asinh(x * 4), lib.atanh(x * 0.5)), primitives=("asinh", "atanh"),
           classes=_PRIMITIVE_CLASSES),
    _unary("acosh", lambda lib, x: lib.acosh(x + 1.0), "positive", primitives=("acosh",)),
    _unary("tan", lambda lib, x: lib.tan(x * 0.5), primitives=("sin", "cos", "div")),
    _unary("deg2rad_rad2deg", lambda lib, x: (lib.deg2rad(x * 64), lib.rad2deg(x)), kind="rounded",
           primitives=("mul",)),
    # error function family and the normal distribution
    _unary("erfc", lambda lib, x: lib.erfc(x * 4), primitives=("erfc",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _unary("erfinv", lambda lib, x: lib.erfinv(x), "unit", primitives=("erfinv",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _unary("erfcx", lambda lib, x: lib.special.erfcx(x * 8), primitives=("erfc", "exp")),
    _unary("ndtr_log_ndtr", lambda lib, x: (lib.special.ndtr(x * 4), lib.special.log_ndtr(x * 8)),
           primitives=("erfc", "log1p", "log")),
    _unary("ndtri", lambda lib, x: lib.special.ndtri((x + 1.0) * 0.5), "unit",
           primitives=("log", "sqrt", "div")),
    # gamma family
    _unary("lgamma", lambda lib, x: lib.lgamma(x * 4), primitives=("lgamma",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _unary("digamma", lambda lib, x: lib.digamma(x), primitives=("digamma",), dtypes=FLOATS,
           classes=_PRIMITIVE_CLASSES),
    _unary("polygamma", lambda lib, x: (lib.polygamma(1, x), lib.polygamma(2, x * 4)), "positive",
           primitives=("pow", "tan")),
    _unary("mvlgamma", lambda lib, x: lib.mvlgamma(x + 2.0, 3), "positive", primitives=("lgamma",)),
    # Bessel, sinc, logit, entropy, powers of two
    _unary("i0_i1", lambda lib, x: (lib.i0(x * 8), lib.special.i1(x * 8), lib.special.i0e(x * 8),
                                    lib.special.i1e(x * 8)), primitives=("exp", "sqrt", "mul")),
    _unary("sinc", lambda lib, x: lib.sinc(x * 2), primitives=("sin", "div")),
    _unary("logit", lambda lib, x: (lib.logit((x + 1.0) * 0.5), lib.logit((x + 1.0) * 0.5, 0.2)),
           "unit", primitives=("log", "div")),
    _unary("entr", lambda lib, x: lib.special.entr(x), "positive", primitives=("log",)),
    _unary("exp2", lambda lib, x: lib.exp2(x * 4), primitives=("pow",), dtypes=FLOATS),
    # two operands
    _binary("xlogy_xlog1py", lambda lib, a, b: (lib.xlogy(a, b), lib.special.xlog1py(a, b)),
            ("real", "positive"), primitives=("log", "log1p", "where")),
    _binary("logaddexp", lambda lib, a, b: (lib.logaddexp(a * 4, b), lib.logaddexp2(a, b * 4)),
            primitives=("exp", "log1p", "maximum")),
    _binary("hypot", lambda lib, a, b: lib.hypot(a, b), kind="rounded", primitives=("sqrt", "maximum")),
    _binary("copysign", lambda lib, a, b: lib.copysign(a, b), kind="exact", primitives=("abs", "where")),
    _binary("fmax_fmin", lambda lib, a, b: (lib.fmax(a, b), lib.fmin(a, b)), kind="exact",
            primitives=("maximum", "minimum", "where"), dtypes=FLOATS),
    _binary("float_power", lambda lib, a, b: lib.float_power(a, b), ("positive", "real"),
            primitives=("pow", "cast")),
    _binary("nextafter", lambda lib, a, b: lib.nextafter(a, b), kind="exact", grad=False,
            primitives=("mul", "add", "maximum"), dtypes=FLOATS),
    _binary("clamp_min_max", lambda lib, a, b: (lib.clamp_min(a, b), a.clamp_max(0.25)), kind="exact",
            primitives=("maximum", "minimum"), dtypes=_F + INTS),
    # floating-point representation
    _unary("frac_sgn", lambda lib, x: (lib.frac(x * 4), lib.sgn(x), lib.signbit(x)), kind="exact",
           primitives=("floor", "lt")),
    Case("nan_to_num_isinf", "elementwise",
         lambda lib, x: (lib.nan_to_num(x), lib.nan_to_num(x, 1.5, 2.0, -3.0), lib.isposinf(x), lib.isneginf(x)),
         operands(1), ("special",), FLOATS, True, "exact", ("where", "eq")),
    Case("heaviside", "elementwise", lambda lib, x, v: lib.heaviside(lib.round(x), v),
         operands(2), ("matrix", "broadcast"), _F, False, "exact", ("where", "eq", "round")),
    Case("frexp_ldexp", "elementwise",
         lambda lib, x, e: (*lib.frexp(x * 128), lib.ldexp(x, e)),
         fixed(((4, 5), "real"), index((4, 5), 9)), ("matrix",), _F, True, "exact", ("log", "floor", "pow")),
    # integers
    Case("gcd_lcm", "elementwise", lambda lib, a, b: (lib.gcd(a * 7, b * 3), lib.lcm(a, b)),
         operands(2), ("matrix", "broadcast"), INTS, False, "exact", ("remainder", "where")),
    Case("shifts", "elementwise", lambda lib, a, b: (a << (b % 8), a >> (b % 9), lib.bitwise_left_shift(a, 3)),
         operands(2), ("matrix", "broadcast"), INTS + ("uint8",), False, "exact", ("pow", "mul", "remainder")),
]
