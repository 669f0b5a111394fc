"""The element-wise math API beyond ``methods``: Tensor methods, in-place ``x.op_()`` forms,
PyTorch's aliases and operators (``<<``, ``>>``), and the ``torch.*`` function names (including the
in-place ``torch.op_(x)`` forms). Installed on ``Tensor`` at import."""
from __future__ import annotations

from .ops import float_ops as fo, integer_ops as io, inplace, pointwise as pw, special_math as sm, trigonometric as tr
from .ops.support import Tensor

# ----- out-of-place methods ------------------------------------------------------------------------
METHODS = {
    # inverse trigonometric, hyperbolic, angles
    "asin": tr.asin, "acos": tr.acos, "atan": tr.atan, "atan2": tr.atan2, "sinh": tr.sinh,
    "cosh": tr.cosh, "asinh": tr.asinh, "acosh": tr.acosh, "atanh": tr.atanh, "arcsin": tr.asin,
    "arccos": tr.acos, "arctan": tr.atan, "arctan2": tr.atan2, "arcsinh": tr.asinh,
    "arccosh": tr.acosh, "arctanh": tr.atanh, "deg2rad": tr.deg2rad, "rad2deg": tr.rad2deg,
    # special functions
    "erfc": sm.erfc, "erfinv": sm.erfinv, "exp2": sm.exp2, "logit": sm.logit, "xlogy": sm.xlogy,
    "lgamma": sm.lgamma, "digamma": sm.digamma, "polygamma": lambda self, n: sm.polygamma(n, self),
    "mvlgamma": sm.mvlgamma, "i0": sm.i0, "sinc": sm.sinc, "logaddexp": sm.logaddexp,
    "logaddexp2": sm.logaddexp2,
    # floating-point representation, ordering, integers
    "hypot": fo.hypot, "copysign": fo.copysign, "frac": fo.frac, "sgn": fo.sgn, "signbit": fo.signbit,
    "heaviside": fo.heaviside, "nan_to_num": fo.nan_to_num, "fmax": fo.fmax, "fmin": fo.fmin,
    "float_power": fo.float_power, "isneginf": fo.isneginf, "isposinf": fo.isposinf,
    "isreal": fo.isreal, "ldexp": fo.ldexp, "nextafter": fo.nextafter, "clamp_min": fo.clamp_min,
    "clamp_max": fo.clamp_max, "positive": fo.positive, "angle": fo.angle, "frexp": fo.frexp,
    "gcd": io.gcd, "lcm": io.lcm,
    "bitwise_left_shift": io.bitwise_left_shift, "bitwise_right_shift": io.bitwise_right_shift,
    # PyTorch's aliases of existing ops
    "greater": pw.gt, "greater_equal": pw.ge, "less": pw.lt, "less_equal": pw.le,
    "not_equal": pw.ne, "absolute": pw.abs, "fix": pw.trunc,
    # operators
    "__lshift__": io.bitwise_left_shift, "__rshift__": io.bitwise_right_shift,
    "__rlshift__": lambda self, other: io.bitwise_left_shift(other, self),
    "__rrshift__": lambda self, other: io.bitwise_right_shift(other, self),
}

# ----- in-place forms: name -> the out-of-place function it commits ----------------------------------
INPLACE_OF = {
    **{f"{name}_": METHODS[name] for name in (
        "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin",
        "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg",
        "erfc", "erfinv", "exp2", "logit", "xlogy", "lgamma", "digamma", "polygamma", "mvlgamma",
        "i0", "sinc", "hypot", "copysign", "frac", "sgn", "heaviside", "nan_to_num", "ldexp",
        "nextafter", "clamp_min", "clamp_max", "gcd", "lcm", "bitwise_left_shift",
        "bitwise_right_shift", "greater", "greater_equal", "less", "less_equal", "not_equal",
        "absolute", "fix")},
    # existing element-wise ops that lacked their in-place form
    "tan_": pw.tan, "log2_": pw.log2, "log10_": pw.log10, "eq_": pw.eq, "ne_": pw.ne, "lt_": pw.lt,
    "le_": pw.le, "gt_": pw.gt, "ge_": pw.ge, "logical_and_": pw.logical_and,
    "logical_or_": pw.logical_or, "logical_xor_": pw.logical_xor, "logical_not_": pw.logical_not,
    "bitwise_and_": pw.bitwise_and, "bitwise_or_": pw.bitwise_or, "bitwise_xor_": pw.bitwise_xor,
    "bitwise_not_": pw.bitwise_not, "multiply_": pw.mul, "subtract_": pw.sub, "divide_": pw.div,
    "true_divide_": pw.div, "negative_": pw.neg, "floor_divide_": pw.floor_divide,
}
OPERATOR_INPLACE = {"__ilshift__": "bitwise_left_shift_", "__irshift__": "bitwise_right_shift_"}


def install() -> None:
    """Attach the methods and in-place forms to ``Tensor`` (done once at import)."""
    for name, function in METHODS.items():
        setattr(Tensor, name, function)
    for name, function in INPLACE_OF.items():
        setattr(Tensor, name, inplace.make_inplace(function, name))
    Tensor.float_power_ = fo.float_power_
    for dunder, name in OPERATOR_INPLACE.items():
        setattr(Tensor, dunder, getattr(Tensor, name))


install()


# ----- torch.* names -----------------------------------------------------------------------------
def _method_call(name: str):
    """``torch.op_(x, ...)``: PyTorch's function form of an in-place method."""
    def function(input: Tensor, *args, **kwargs) -> Tensor:  # noqa: A002 - PyTorch's name
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"``input.{name}(...)``."
    return function


_FUNCTIONS = {name: METHODS[name] for name in METHODS if not name.startswith("__")}
_FUNCTIONS.update({"polygamma": sm.polygamma, "rsub": pw.rsub, "negative": pw.neg})
_INPLACE_FUNCTIONS = (
    "abs_", "absolute_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_",
    "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "erfinv_", "exp2_", "exp_", "expm1_", "fix_",
    "floor_", "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_",
    "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_",
    "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_")
_FUNCTIONS.update({name: _method_call(name) for name in _INPLACE_FUNCTIONS})
globals().update(_FUNCTIONS)

__all__ = sorted(_FUNCTIONS)
