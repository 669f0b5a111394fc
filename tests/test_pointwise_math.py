"""Element-wise math beyond the basics against torch: inverse trigonometric and hyperbolic
functions, special functions, floating-point and integer ops, their gradients (finite differences
and double backward), special values, type promotion, in-place forms and the composite fallbacks of
the optional primitives."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import unigrad
from parity import assert_close, check
from unigrad.autograd import gradcheck, gradgradcheck

R = np.random.default_rng(7)


def real(*shape, dtype=np.float32, scale=2.0):
    return (R.uniform(-1, 1, shape) * scale).astype(dtype)


def unit(*shape, dtype=np.float32):
    return R.uniform(-0.95, 0.95, shape).astype(dtype)


def positive(*shape, dtype=np.float32, low=0.1, high=4.0):
    return R.uniform(low, high, shape).astype(dtype)


# name -> (function of (lib, x), input maker, extra rtol for float32 gradients)
def scaled(scale):
    return lambda *shape, dtype=np.float32: real(*shape, dtype=dtype, scale=scale)


def between(low, high):
    return lambda *shape, dtype=np.float32: positive(*shape, dtype=dtype, low=low, high=high)


# name -> (function of (lib, x), input maker)
UNARY = {
    "asin": (lambda lib, x: lib.asin(x), unit),
    "acos": (lambda lib, x: x.acos(), unit),
    "atan": (lambda lib, x: lib.atan(x), scaled(5)),
    "sinh": (lambda lib, x: lib.sinh(x), scaled(4)),
    "cosh": (lambda lib, x: x.cosh(), scaled(4)),
    "asinh": (lambda lib, x: lib.asinh(x), scaled(5)),
    "acosh": (lambda lib, x: lib.acosh(x), between(1.1, 6)),
    "atanh": (lambda lib, x: x.atanh(), unit),
    "arcsin": (lambda lib, x: lib.arcsin(x), unit),
    "arctanh": (lambda lib, x: x.arctanh(), unit),
    "tan": (lambda lib, x: x.tan(), unit),
    "log2": (lambda lib, x: lib.log2(x), positive),
    "log10": (lambda lib, x: x.log10(), positive),
    "erfc": (lambda lib, x: lib.erfc(x), scaled(3)),
    "erfinv": (lambda lib, x: lib.erfinv(x), unit),
    "exp2": (lambda lib, x: lib.exp2(x), scaled(6)),
    "logit": (lambda lib, x: lib.logit(x), between(0.05, 0.95)),
    "logit_eps": (lambda lib, x: lib.logit(x, 0.2), between(0.05, 0.95)),
    "deg2rad": (lambda lib, x: lib.deg2rad(x), real),
    "rad2deg": (lambda lib, x: x.rad2deg(), real),
    "sinc": (lambda lib, x: lib.sinc(x), scaled(3)),
    "lgamma": (lambda lib, x: lib.lgamma(x), scaled(5)),
    "digamma": (lambda lib, x: lib.digamma(x), between(0.3, 12)),
    "polygamma1": (lambda lib, x: lib.polygamma(1, x), positive),
    "polygamma3": (lambda lib, x: x.polygamma(3), positive),
    "mvlgamma": (lambda lib, x: lib.mvlgamma(x, 3), between(1.2, 6)),
    "i0": (lambda lib, x: lib.i0(x), scaled(10)),
    "frac": (lambda lib, x: lib.frac(x), scaled(6)),
    "nan_to_num": (lambda lib, x: lib.nan_to_num(x), real),
    "clamp_min": (lambda lib, x: x.clamp_min(0.2), real),
    "clamp_max": (lambda lib, x: lib.clamp_max(x, -0.1), real),
    "expm1_": (lambda lib, x: (x * 1).expm1_(), real),
    "special.ndtr": (lambda lib, x: lib.special.ndtr(x), scaled(4)),
    "special.ndtri": (lambda lib, x: lib.special.ndtri(x), between(0.02, 0.98)),
    "special.log_ndtr": (lambda lib, x: lib.special.log_ndtr(x), scaled(6)),
    "special.erfcx": (lambda lib, x: lib.special.erfcx(x), scaled(12)),
    "special.i0e": (lambda lib, x: lib.special.i0e(x), scaled(12)),
    "special.i1": (lambda lib, x: lib.special.i1(x), scaled(12)),
    "special.i1e": (lambda lib, x: lib.special.i1e(x), scaled(12)),
    "special.entr": (lambda lib, x: lib.special.entr(x), positive),
    "special.expit": (lambda lib, x: lib.special.expit(x), real),
    "special.gammaln": (lambda lib, x: lib.special.gammaln(x), positive),
    "special.psi": (lambda lib, x: lib.special.psi(x), positive),
    "special.multigammaln": (lambda lib, x: lib.special.multigammaln(x, 2), between(0.8, 5)),
}
# torch's own float64 trigamma is accurate to about 1e-10 (unigrad's to 1e-16, checked below)
LOOSE = {"polygamma1": 1e-9, "digamma": 1e-12, "mvlgamma": 1e-12, "special.psi": 1e-12,
         "special.multigammaln": 1e-12}
# torch's float32 erfcx of negative arguments is off by about 1e-6 (unigrad's by 1e-7)
LOOSE32 = {"special.erfcx": 3e-6}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_values_and_gradients_match_torch(name, dtype):
    fn, make = UNARY[name]
    rtol = LOOSE.get(name) if dtype == np.float64 else LOOSE32.get(name)
    check(fn, make(3, 4, dtype=dtype), rtol=rtol, atol=rtol, grad_rtol=1e-4 if dtype == np.float32 else 1e-9,
          grad_atol=1e-5 if dtype == np.float32 else 1e-9)


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-30, -1e-30, 30.0,
                    -30.0, 1e4, -1e4])


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "tan",
                                  "erfc", "erfinv", "exp2", "logit", "sinc", "lgamma", "digamma", "i0",
                                  "frac", "nan_to_num", "special.ndtr", "special.ndtri", "special.log_ndtr",
                                  "special.erfcx", "special.i0e", "special.i1", "special.i1e", "special.entr",
                                  "deg2rad", "polygamma3", "sgn", "signbit", "angle", "isposinf", "isneginf",
                                  "isreal", "positive"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_match_torch(name, dtype):
    fn = UNARY[name][0] if name in UNARY else (lambda lib, x: getattr(lib, name)(x))
    values = SPECIAL
    if name in ("special.i1", "special.i0e"):
        values = SPECIAL[np.abs(SPECIAL) < 1e3]
    if name == "polygamma3":  # torch's own polygamma(3, +-inf) is nan and inf; unigrad's 0 and nan
        values = SPECIAL[np.isfinite(SPECIAL) | np.isnan(SPECIAL)]
    # torch's sinc at the integers is sin(pi x) rounded, not 0
    atol = (1e-7 if dtype == np.float32 else 1e-15) if name == "sinc" else 1e-30
    check(fn, values.astype(dtype), grad=False, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=atol)


def test_signed_zeros_and_infinities_keep_their_signs():
    x = unigrad.tensor([-0.0, 0.0, -math.inf, math.inf])
    for op in ("asin", "atan", "sinh", "asinh", "atanh", "erfinv"):
        ours = getattr(unigrad, op)(x[:2]).numpy()
        assert list(np.signbit(ours)) == [True, False], op
    assert unigrad.atan2(unigrad.tensor([0.0, -0.0, 0.0, -0.0]), unigrad.tensor([-0.0, -0.0, 0.0, 0.0])).tolist() \
        == pytest.approx([math.pi, -math.pi, 0.0, 0.0])
    assert list(np.signbit(unigrad.atan2(unigrad.tensor([0.0, -0.0]), unigrad.tensor([1.0, 1.0])).numpy())) \
        == [False, True]
    assert unigrad.atan2(x[2:], x[2:]).tolist() == pytest.approx([-3 * math.pi / 4, math.pi / 4])
    assert unigrad.digamma(unigrad.tensor([0.0, -0.0])).tolist() == [-math.inf, math.inf]
    assert unigrad.signbit(unigrad.tensor([-0.0, 0.0, -1.0])).tolist() == [True, False, True]
    assert unigrad.copysign(unigrad.tensor([2.0, 3.0]), -0.0).tolist() == [-2.0, -3.0]


def test_hyperbolic_functions_stay_finite_near_overflow():
    """sinh(89.4) and cosh(89.4) fit float32 although exp(89.4) does not."""
    check(lambda lib, x: (lib.sinh(x), lib.cosh(x), lib.asinh(x), lib.acosh(x)),
          np.array([88.0, 89.0, 89.4, 1e20, 3e38], np.float32), grad=False, rtol=1e-6)
    check(lambda lib, x: (lib.sinh(-x), lib.cosh(x)), np.array([709.0, 710.0, 710.4], np.float64), grad=False,
          rtol=1e-14)


# ----- integer and bool inputs promote to the default float dtype ----------------------------------
@pytest.mark.parametrize("name", ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erfc",
                                  "erfinv", "exp2", "logit", "sinc", "lgamma", "digamma", "i0", "deg2rad",
                                  "rad2deg", "special.ndtr", "special.entr", "special.expit"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_inputs_give_floats(name, dtype):
    fn = UNARY[name][0]
    values = np.array([0, 1, 2, -3], dtype) if dtype != np.bool_ else np.array([True, False])
    check(fn, values, grad=False)


@pytest.mark.parametrize("name", ["sgn", "signbit", "positive", "nan_to_num", "isposinf", "isneginf", "isreal"])
def test_ops_that_keep_integer_dtypes(name):
    check(lambda lib, x: getattr(lib, name)(x), np.array([-3, 0, 5], np.int64), grad=False)
    if name not in ("positive",):
        check(lambda lib, x: getattr(lib, name)(x), np.array([True, False]), grad=False)


# ----- two operands: broadcasting, promotion, scalars --------------------------------------------------
BINARY = {
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "arctan2": lambda lib, a, b: a.arctan2(b),
    "xlogy": lambda lib, a, b: lib.xlogy(a, b.abs() + 0.1),
    "special.xlog1py": lambda lib, a, b: lib.special.xlog1py(a, b.abs()),
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "logaddexp": lambda lib, a, b: lib.logaddexp(a * 10, b),
    "logaddexp2": lambda lib, a, b: a.logaddexp2(b * 10),
    "fmax": lambda lib, a, b: lib.fmax(a, b),
    "fmin": lambda lib, a, b: a.fmin(b),
    "float_power": lambda lib, a, b: lib.float_power(a.abs() + 0.5, b),
    "clamp_min_tensor": lambda lib, a, b: a.clamp_min(b),
    "clamp_max_tensor": lambda lib, a, b: lib.clamp_max(a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_ops_broadcast_and_differentiate_like_torch(name, dtype):
    fn = BINARY[name]
    check(fn, real(3, 1, 4, dtype=dtype), real(2, 1, dtype=dtype), grad_rtol=1e-4, grad_atol=1e-5)
    check(fn, real(5, dtype=dtype), real(5, dtype=dtype), grad_rtol=1e-4, grad_atol=1e-5)


@pytest.mark.parametrize("name", ["atan2", "xlogy", "copysign", "fmax", "logaddexp", "hypot", "float_power"])
def test_binary_type_promotion(name):
    fn = BINARY[name]
    if name not in ("logaddexp", "hypot"):  # torch refuses two integer tensors there
        check(fn, np.array([1, -2, 3]), np.array([2, 2, -1]), grad=False)
    check(fn, np.array([1.5, -2.0], np.float64), np.array([2.0, 1.0], np.float32), grad=False)
    check(fn, np.array([1.5, -2.0], np.float32), np.array([2, 1], np.int32), grad=False)


def test_scalar_operands_and_their_grad_fn_names():
    a = np.array([0.5, 2.0, 0.0], np.float32)
    check(lambda lib, x: lib.xlogy(x, 3.0), a)
    check(lambda lib, x: lib.xlogy(2.0, x + 1), a)
    check(lambda lib, x: lib.special.xlog1py(2.0, x), a)
    check(lambda lib, x: lib.copysign(x, -1.0), a)
    check(lambda lib, x: lib.float_power(x, 3), a)
    check(lambda lib, x: lib.float_power(2, x), a)
    for expression, name in [(lambda lib, x: lib.xlogy(x, 3.0), "XlogyBackward2"),
                             (lambda lib, x: lib.xlogy(3.0, x), "XlogyBackward1"),
                             (lambda lib, x: lib.copysign(x, -1.0), "CopysignBackward1"),
                             (lambda lib, x: lib.clamp_min(x, 0.1), "ClampMinBackward0")]:
        x = unigrad.tensor([0.5, 1.5], requires_grad=True)
        assert expression(unigrad, x).grad_fn.name() == name


def test_special_values_of_binary_ops():
    nan, inf = math.nan, math.inf
    a = np.array([0.0, 0.0, 0.0, 1.0, nan, 2.0, inf, -inf, inf, 3.0, nan])
    b = np.array([0.0, nan, inf, 0.0, 1.0, nan, inf, -inf, nan, -inf, nan])
    for fn in [lambda lib, x, y: lib.xlogy(x, y), lambda lib, x, y: lib.special.xlog1py(x, y - 1),
               lambda lib, x, y: lib.hypot(x, y), lambda lib, x, y: lib.fmax(x, y),
               lambda lib, x, y: lib.fmin(x, y), lambda lib, x, y: lib.logaddexp(x, y),
               lambda lib, x, y: lib.logaddexp2(x, y), lambda lib, x, y: lib.atan2(x, y),
               lambda lib, x, y: lib.copysign(x, y)]:
        check(fn, a, b, grad=False, rtol=1e-12)
    check(lambda lib, x, v: lib.heaviside(x, v), np.array([-1.0, 0.0, 2.0, -0.0]), np.array([0.5]), grad=False)
    check(lambda lib, x, v: lib.heaviside(x, v), np.array([-1, 0, 2]), np.array([7, 8, 9]), grad=False)


def test_nextafter_steps_one_unit_in_the_last_place():
    for dtype in (np.float32, np.float64):
        x = np.array([1.0, 1.0, 0.0, 0.0, -1.5, 2.0, 2.0, 1e-40, np.inf, -np.inf, np.nan, 3.0], dtype)
        y = np.array([2.0, 0.0, 1.0, -1.0, -3.0, 3.0, 1.0, 0.0, 0.0, 0.0, 1.0, 3.0], dtype)
        if dtype == np.float32:
            x[7] = np.float32(1e-40)  # a subnormal
        ours = unigrad.nextafter(unigrad.tensor(x), unigrad.tensor(y)).numpy()
        np.testing.assert_array_equal(ours, np.nextafter(x, y))
    check(lambda lib, a, b: lib.nextafter(a, b), real(4, dtype=np.float64), real(4, dtype=np.float64))


def test_frexp_and_ldexp_match_torch():
    values = np.array([0.0, -0.0, 1.0, 0.75, -3.0, 1024.0, 1023.9, np.inf, np.nan, 1e-310, -6e-5], np.float64)
    check(lambda lib, x: tuple(lib.frexp(x)), values, grad=False)
    check(lambda lib, x: tuple(lib.frexp(x)), values[:7].astype(np.float32), grad=False)
    check(lambda lib, x: tuple(x.frexp()), real(5), grad=True)
    check(lambda lib, x, e: lib.ldexp(x, e), real(3, 4), np.array([0, 1, -2, 10]), grad=False)
    # (torch's gradient is 0 for negative exponents: 2 ** e taken in integers)
    check(lambda lib, x, e: lib.ldexp(x, e), real(3, 4), np.array([0, 1, 3, 10]))
    check(lambda lib, x, e: lib.ldexp(x, e), np.array([1, 3]), np.array([2, -1]), grad=False)


# ----- integer ops ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_gcd_lcm_and_shifts_match_torch(dtype):
    info = np.iinfo(dtype)
    a = R.integers(max(info.min, -120), min(info.max, 120), (4, 5)).astype(dtype)
    b = R.integers(max(info.min, -120), min(info.max, 120), (5,)).astype(dtype)
    check(lambda lib, x, y: (lib.gcd(x, y), x.lcm(y)), a, b, grad=False)
    shift = R.integers(0, info.bits + 3, (5,)).astype(dtype)
    check(lambda lib, x, s: (x << s, x >> s, lib.bitwise_left_shift(x, 2), x.bitwise_right_shift(1)), a, shift,
          grad=False)


def test_shift_edges_match_torch():
    check(lambda lib, x, s: (x << s, x >> s), np.array([5, -5, 1, -(2 ** 62), 7], np.int64),
          np.array([63, 64, 62, 70, 0], np.int64), grad=False)
    check(lambda lib, x: (1 << x, 256 >> x), np.array([0, 3, 7]), grad=False)
    x = unigrad.tensor([1, 2, 3])
    x <<= 2
    x >>= unigrad.tensor([1, 0, 2])
    assert x.tolist() == [2, 8, 3]


@pytest.mark.parametrize("op", ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"])
def test_integer_ops_refuse_floats_like_torch(op):
    with pytest.raises(NotImplementedError):
        getattr(torch, op)(torch.tensor([1.0]), torch.tensor([2.0]))
    with pytest.raises(NotImplementedError, match="float32"):
        getattr(unigrad, op)(unigrad.tensor([1.0]), unigrad.tensor([2.0]))


# ----- hypothesis: arbitrary values, shapes and layouts -------------------------------------------
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4),
                  elements=st.floats(-50, 50, allow_nan=False, width=64)),
       st.sampled_from(["atan", "sinh", "asinh", "erfc", "lgamma", "i0", "sinc", "special.log_ndtr",
                        "special.erfcx", "special.i1e", "frac"]))
def test_unary_values_on_arbitrary_inputs(x, name):
    fn = UNARY[name][0]
    ours = fn(unigrad, unigrad.tensor(x))
    theirs = fn(torch, torch.tensor(x))
    # torch's sinc at the integers is sin(pi x) rounded (about 1e-17), unigrad's exactly 0
    assert_close(ours, theirs, rtol=1e-9, atol=1e-15 if name == "sinc" else 1e-300)


@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                  elements=st.floats(-0.998046875, 0.998046875, width=32)))
def test_inverse_functions_round_trip(x):
    t = unigrad.tensor(x)
    np.testing.assert_allclose(unigrad.erf(unigrad.erfinv(t)).numpy(), x, rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(unigrad.tanh(unigrad.atanh(t)).numpy(), x, rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(unigrad.sin(unigrad.asin(t)).numpy(), x, rtol=2e-6, atol=2e-7)
    p = unigrad.tensor((x + 1) / 2)
    np.testing.assert_allclose(unigrad.special.ndtr(unigrad.special.ndtri(p)).numpy(), (x + 1) / 2, rtol=2e-5,
                               atol=2e-7)


# ----- gradients: finite differences and double backward -------------------------------------------
def _leaf(values):
    return unigrad.tensor(np.asarray(values, np.float64), requires_grad=True)


GRADCHECK = {
    "asin": (unigrad.asin, [-0.7, 0.2, 0.6]), "acos": (unigrad.acos, [-0.6, 0.1, 0.8]),
    "atan": (unigrad.atan, [-3.0, 0.2, 5.0]), "sinh": (unigrad.sinh, [-2.0, 0.3, 1.5]),
    "cosh": (unigrad.cosh, [-2.0, 0.3, 1.5]), "asinh": (unigrad.asinh, [-4.0, 0.1, 2.0]),
    "acosh": (unigrad.acosh, [1.2, 2.0, 7.0]), "atanh": (unigrad.atanh, [-0.8, 0.1, 0.5]),
    "tan": (unigrad.tan, [-1.0, 0.2, 1.2]), "log2": (unigrad.log2, [0.3, 2.0]),
    "erfc": (unigrad.erfc, [-1.5, 0.2, 2.0]), "erfinv": (unigrad.erfinv, [-0.9, 0.1, 0.7]),
    "exp2": (unigrad.exp2, [-1.5, 0.5, 3.0]), "logit": (unigrad.logit, [0.1, 0.5, 0.8]),
    "sinc": (unigrad.sinc, [-1.3, 0.4, 2.2]), "lgamma": (unigrad.lgamma, [-1.5, 0.4, 3.3]),
    "digamma": (unigrad.digamma, [-2.5, 0.6, 4.0]), "polygamma2": (lambda x: unigrad.polygamma(2, x), [-0.4, 0.7, 3.0]),
    "mvlgamma": (lambda x: unigrad.mvlgamma(x, 3), [1.3, 2.0, 5.0]), "i0": (unigrad.i0, [-3.0, 0.5, 9.0]),
    "i1": (unigrad.special.i1, [-3.0, 0.5, 9.0]), "i0e": (unigrad.special.i0e, [-3.0, 0.5, 9.0]),
    "i1e": (unigrad.special.i1e, [-3.0, 0.5, 9.0]), "ndtri": (unigrad.special.ndtri, [0.05, 0.5, 0.9]),
    "log_ndtr": (unigrad.special.log_ndtr, [-5.0, 0.1, 2.0]), "erfcx": (unigrad.special.erfcx, [-1.0, 2.0, 13.0]),
    "entr": (unigrad.special.entr, [0.2, 1.0, 3.0]), "deg2rad": (unigrad.deg2rad, [-20.0, 7.0]),
    "frac": (unigrad.frac, [-1.3, 2.6]), "nan_to_num": (unigrad.nan_to_num, [-1.3, 2.6]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradients_match_finite_differences(name):
    fn, values = GRADCHECK[name]
    assert gradcheck(fn, (_leaf(values),), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "tan",
                                  "erfc", "erfinv", "exp2", "logit", "sinc", "lgamma", "digamma", "i0", "i1",
                                  "log_ndtr", "ndtri", "erfcx", "entr", "mvlgamma"])
def test_second_derivatives_match_finite_differences(name):
    fn, values = GRADCHECK[name]
    assert gradgradcheck(fn, (_leaf(values),), eps=1e-6, atol=1e-5, rtol=1e-3)


BINARY_GRADCHECK = {
    "atan2": unigrad.atan2, "hypot": unigrad.hypot, "xlogy": lambda a, b: unigrad.xlogy(a, b.abs() + 0.5),
    "xlog1py": lambda a, b: unigrad.special.xlog1py(a, b.abs()), "logaddexp": unigrad.logaddexp,
    "logaddexp2": unigrad.logaddexp2, "copysign": unigrad.copysign, "fmax": unigrad.fmax,
    "fmin": unigrad.fmin, "float_power": lambda a, b: unigrad.float_power(a.abs() + 0.5, b),
    "clamp_min": unigrad.clamp_min, "clamp_max": unigrad.clamp_max,
}


@pytest.mark.parametrize("name", sorted(BINARY_GRADCHECK))
def test_binary_gradients_match_finite_differences(name):
    fn = BINARY_GRADCHECK[name]
    a, b = _leaf([[-1.3, 0.4, 2.1]]), _leaf([[0.7], [-1.9]])
    assert gradcheck(fn, (a, b), eps=1e-6, atol=1e-6, rtol=1e-4)
    if name in ("atan2", "hypot", "xlogy", "xlog1py", "logaddexp", "logaddexp2"):
        assert gradgradcheck(fn, (a, b), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradients_at_edges_match_torch():
    check(lambda lib, x: lib.sinc(x), np.array([0.0, 1.0, -2.0]))
    check(lambda lib, x: lib.special.i1(x), np.array([0.0, 1.0]))
    check(lambda lib, x: lib.special.i1e(x), np.array([0.0, -1.0]))
    check(lambda lib, x: lib.special.i0e(x), np.array([0.0, -1.0]))
    check(lambda lib, x: lib.special.entr(x), np.array([0.0, 0.5, 2.0]))
    check(lambda lib, x: lib.xlogy(x, lib.tensor([0.0, 2.0, 1.0])), np.array([0.0, 0.5, 1.0]))
    check(lambda lib, x: lib.logit(x), np.array([-0.5, 0.3, 1.5]))
    check(lambda lib, x: lib.logit(x, 0.25), np.array([0.1, 0.3, 0.9]))
    check(lambda lib, x: lib.nan_to_num(x), np.array([np.nan, np.inf, 1.0]))
    check(lambda lib, x: lib.fmax(x, lib.tensor([np.nan, 1.0, 0.5])), np.array([1.0, np.nan, 0.5]))


@pytest.mark.parametrize("expression,name", [
    (lambda x: x.asin(), "AsinBackward0"), (lambda x: x.acos(), "AcosBackward0"),
    (lambda x: x.atan(), "AtanBackward0"), (lambda x: x.atan2(x), "Atan2Backward0"),
    (lambda x: x.sinh(), "SinhBackward0"), (lambda x: x.cosh(), "CoshBackward0"),
    (lambda x: x.asinh(), "AsinhBackward0"), (lambda x: (x + 1).acosh(), "AcoshBackward0"),
    (lambda x: x.atanh(), "AtanhBackward0"), (lambda x: x.tan(), "TanBackward0"),
    (lambda x: x.log2(), "Log2Backward0"), (lambda x: x.log10(), "Log10Backward0"),
    (lambda x: x.erfc(), "ErfcBackward0"), (lambda x: x.erfinv(), "ErfinvBackward0"),
    (lambda x: x.exp2(), "Exp2Backward0"), (lambda x: x.logit(), "LogitBackward0"),
    (lambda x: x.xlogy(x), "XlogyBackward0"), (lambda x: x.hypot(x), "HypotBackward0"),
    (lambda x: x.copysign(x), "CopysignBackward0"), (lambda x: x.frac(), "FracBackward0"),
    (lambda x: x.sgn(), "SgnBackward0"), (lambda x: x.logaddexp(x), "LogaddexpBackward0"),
    (lambda x: x.logaddexp2(x), "Logaddexp2Backward0"), (lambda x: x.deg2rad(), "Deg2RadBackward0"),
    (lambda x: x.rad2deg(), "Rad2DegBackward0"), (lambda x: x.sinc(), "SincBackward0"),
    (lambda x: x.nan_to_num(), "NanToNumBackward0"), (lambda x: x.fmax(x), "FmaxBackward0"),
    (lambda x: x.fmin(x), "FminBackward0"), (lambda x: x.lgamma(), "LgammaBackward0"),
    (lambda x: x.digamma(), "DigammaBackward0"), (lambda x: x.polygamma(2), "PolygammaBackward0"),
    (lambda x: (x + 3).mvlgamma(2), "MvlgammaBackward0"), (lambda x: x.i0(), "I0Backward0"),
    (lambda x: x.ldexp(x.detach().long()), "LdexpBackward0"), (lambda x: x.nextafter(x), "NextafterBackward0"),
    (lambda x: x.clamp_min(0.2), "ClampMinBackward0"), (lambda x: x.clamp_max(x), "ClampMaxBackward1"),
    (lambda x: x.angle(), "AngleBackward0"), (lambda x: x.frexp()[0], "FrexpBackward0"),
    (lambda x: x.float_power(2), "PowBackward0"),
])
def test_grad_fn_names_match_torch(expression, name):
    ours = expression(unigrad.tensor([0.3, 0.6], dtype=unigrad.float64, requires_grad=True))
    theirs = expression(torch.tensor([0.3, 0.6], dtype=torch.float64, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name() == name


def test_positive_returns_its_input_and_refuses_bool():
    x = unigrad.tensor([1.0, -2.0])
    assert unigrad.positive(x) is x
    with pytest.raises(RuntimeError, match="bool"):
        unigrad.positive(unigrad.tensor([True]))


# ----- in-place forms ----------------------------------------------------------------------------------
INPLACE = ["asin_", "acos_", "atan_", "sinh_", "cosh_", "asinh_", "atanh_", "arcsin_", "arccos_", "arctan_",
           "arcsinh_", "arctanh_", "tan_", "erfc_", "erfinv_", "exp2_", "logit_", "lgamma_", "digamma_", "i0_",
           "sinc_", "frac_", "sgn_", "nan_to_num_", "deg2rad_", "rad2deg_", "log2_", "log10_", "absolute_",
           "fix_", "negative_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_write_values_and_bump_the_version(name):
    values = unit(3, 2)
    ours, theirs = unigrad.tensor(values), torch.tensor(values)
    view = ours[1:]
    version = ours._version[0]
    assert getattr(ours, name)() is ours
    getattr(theirs, name)()
    assert ours._version[0] > version
    assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    assert_close(view, theirs[1:], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,args", [
    ("atan2_", "tensor"), ("xlogy_", (2.0,)), ("hypot_", "tensor"), ("copysign_", (-1.0,)), ("ldexp_", "int"),
    ("nextafter_", "tensor"), ("clamp_min_", (0.1,)), ("clamp_max_", "tensor"), ("heaviside_", "tensor"),
    ("polygamma_", (1,)), ("mvlgamma_", (2,)), ("multiply_", (3.0,)), ("subtract_", (1.0,)),
    ("divide_", (2.0,)), ("true_divide_", (4.0,)), ("floor_divide_", (0.3,)), ("greater_", (0.0,)),
    ("greater_equal_", (0.0,)), ("less_", (0.0,)), ("less_equal_", (0.0,)), ("not_equal_", (0.0,)),
    ("eq_", (0.0,)), ("ne_", (0.0,)), ("lt_", (0.1,)), ("le_", (0.1,)), ("gt_", (0.1,)), ("ge_", (0.1,)),
    ("logical_and_", "tensor"), ("logical_or_", "tensor"), ("logical_xor_", "tensor"), ("logical_not_", ()),
])
def test_inplace_binary_forms_match_torch(name, args):
    values = positive(4) if name in ("polygamma_", "mvlgamma_") else real(4)
    ours, theirs = unigrad.tensor(values + (2.0 if name == "mvlgamma_" else 0.0)), \
        torch.tensor(values + (2.0 if name == "mvlgamma_" else 0.0))
    if args == "tensor":
        other = real(4)
        args_o, args_t = (unigrad.tensor(other),), (torch.tensor(other),)
    elif args == "int":
        args_o, args_t = (unigrad.tensor([1, 0, -1, 2]),), (torch.tensor([1, 0, -1, 2]),)
    else:
        args_o = args_t = args
    assert getattr(ours, name)(*args_o) is ours
    getattr(theirs, name)(*args_t)
    assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_left_shift_",
                                  "bitwise_right_shift_", "gcd_", "lcm_"])
def test_inplace_integer_forms_match_torch(name):
    a, b = np.array([12, -7, 5, 0]), np.array([3, 2, 1, 4])
    ours, theirs = unigrad.tensor(a), torch.tensor(a)
    getattr(ours, name)(unigrad.tensor(b))
    getattr(theirs, name)(torch.tensor(b))
    assert_close(ours, theirs)
    ours, theirs = unigrad.tensor([5, 3]), torch.tensor([5, 3])
    ours.bitwise_not_()
    theirs.bitwise_not_()
    assert_close(ours, theirs)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    for name in ("asin_", "erfc_", "lgamma_", "clamp_min_"):
        x = unigrad.tensor([0.1, 0.2], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            getattr(x, name)(*((0.0,) if name == "clamp_min_" else ()))


def test_inplace_records_the_graph_through_a_non_leaf():
    for expression in (lambda t: t.asin_(), lambda t: t.erfinv_(), lambda t: t.atan2_(t.detach() + 1),
                       lambda t: t.xlogy_(2.0)):
        ours_leaf, theirs_leaf = _leaf([0.2, -0.4]), torch.tensor([0.2, -0.4], dtype=torch.float64,
                                                                  requires_grad=True)
        ours, theirs = expression(ours_leaf * 1), expression(theirs_leaf * 1)
        ours.sum().backward()
        theirs.sum().backward()
        assert_close(ours_leaf.grad, theirs_leaf.grad)


def test_inplace_forms_refuse_to_change_the_dtype():
    for name in ("asin_", "erfc_", "exp2_", "lgamma_"):
        with pytest.raises(RuntimeError, match="can't be cast"):
            getattr(unigrad.tensor([1, 2]), name)()
    with pytest.raises(RuntimeError, match="float_power_ has dtype Float"):
        unigrad.tensor([1.0, 2.0]).float_power_(2)
    x = unigrad.tensor([1.0, 2.0], dtype=unigrad.float64)
    assert x.float_power_(2).tolist() == [1.0, 4.0]


def test_torch_level_inplace_functions():
    for name in ("abs_", "asin_", "ceil_", "clamp_", "erf_", "exp_", "fix_", "log1p_", "neg_", "relu_", "round_",
                 "sigmoid_", "sqrt_", "square_", "tanh_", "trunc_", "xlogy_", "logit_", "nan_to_num_"):
        values = positive(3, high=0.9)
        ours, theirs = unigrad.tensor(values), torch.tensor(values)
        extra = {"clamp_": (0.2, 0.5), "xlogy_": (2.0,)}.get(name, ())
        assert getattr(unigrad, name)(ours, *extra) is ours
        getattr(torch, name)(theirs, *extra)
        assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


# ----- errors -----------------------------------------------------------------------------------------
def test_bad_arguments_raise_like_torch():
    x = unigrad.tensor([1.5, 2.5])
    with pytest.raises(RuntimeError, match="does not support negative n"):
        unigrad.polygamma(-1, x)
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        unigrad.mvlgamma(x, 0)
    with pytest.raises(RuntimeError, match="different dtypes"):
        unigrad.heaviside(x, unigrad.tensor([1], dtype=unigrad.int64))
    with pytest.raises(NotImplementedError, match="frac"):
        unigrad.frac(unigrad.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="only supports floating-point"):
        unigrad.frexp(unigrad.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="not broadcastable"):
        unigrad.atan2(unigrad.ones(2, 3), unigrad.ones(4))


# ----- torch.special ------------------------------------------------------------------------------------
def test_special_namespace_names_match_torch():
    x = real(3, 4)
    for name in ("erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "i0", "sinc", "expm1",
                 "exp2", "log1p", "round", "ndtr", "log_ndtr", "i0e", "i1", "i1e", "erfcx"):
        values = x / 2.1 if name in ("erfinv",) else (x + 2.5 if name in ("gammaln", "digamma", "psi") else x)
        check(lambda lib, t: getattr(lib.special, name)(t), values, grad=name != "round",
              grad_rtol=1e-4, grad_atol=1e-5)
    check(lambda lib, t: lib.special.ndtri(t), positive(5, low=0.01, high=0.99))
    check(lambda lib, t: lib.special.entr(t), positive(5))
    check(lambda lib, t: (lib.special.softmax(t, 1), lib.special.log_softmax(t, 0), lib.special.logsumexp(t, 1)), x)
    check(lambda lib, a, b: (lib.special.xlogy(a, b), lib.special.xlog1py(a, b)), real(4), positive(4))
    check(lambda lib, t: (lib.special.polygamma(2, t), lib.special.multigammaln(t, 3)), positive(4, low=1.2))
    assert unigrad.pi == math.pi and unigrad.e == math.e and unigrad.inf == math.inf and math.isnan(unigrad.nan)


# ----- the optional primitives' composites (what a backend without them gets) ---------------------------
OPTIONAL = {
    "asin": (lambda lib, x: lib.asin(x), lambda: np.concatenate([unit(40, dtype=np.float64), SPECIAL])),
    "acos": (lambda lib, x: lib.acos(x), lambda: np.concatenate([unit(40, dtype=np.float64), SPECIAL])),
    "sinh": (lambda lib, x: lib.sinh(x), lambda: np.concatenate([real(40, dtype=np.float64, scale=8), SPECIAL,
                                                                [88.5, -89.4, 709.5, 710.4]])),
    "cosh": (lambda lib, x: lib.cosh(x), lambda: np.concatenate([real(40, dtype=np.float64, scale=8), SPECIAL,
                                                                [88.5, -89.4, 709.5, -710.4]])),
    "asinh": (lambda lib, x: lib.asinh(x), lambda: np.concatenate([real(40, dtype=np.float64, scale=8), SPECIAL,
                                                                  [1e20, -3e38, 1e300]])),
    "acosh": (lambda lib, x: lib.acosh(x), lambda: np.concatenate([positive(40, dtype=np.float64, low=1, high=9),
                                                                  SPECIAL, [1 + 1e-7, 1e20, 1e300]])),
    "atanh": (lambda lib, x: lib.atanh(x), lambda: np.concatenate([unit(40, dtype=np.float64), SPECIAL,
                                                                  [1 - 1e-7, -1 + 1e-12]])),
    "atan": (lambda lib, x: lib.atan(x), lambda: np.concatenate([real(40, dtype=np.float64, scale=8), SPECIAL])),
    "atan2": (lambda lib, x: lib.atan2(x, x[::-1].copy() if isinstance(x, np.ndarray) else x.flip(0)),
              lambda: np.concatenate([real(40, dtype=np.float64), SPECIAL])),
    "erfc": (lambda lib, x: lib.erfc(x), lambda: np.concatenate([real(40, dtype=np.float64, scale=12), SPECIAL])),
    "erfinv": (lambda lib, x: lib.erfinv(x), lambda: np.concatenate([unit(40, dtype=np.float64), SPECIAL,
                                                                    1 - np.geomspace(1e-15, 1e-2, 6)])),
    # negative arguments away from the zeros between the poles, where reflection keeps only absolute accuracy
    "lgamma": (lambda lib, x: lib.lgamma(x), lambda: np.concatenate([positive(40, dtype=np.float64, high=30), SPECIAL,
                                                                    [1 + 1e-9, 2 - 1e-9, 1e300, -0.5, -1.5, -7.5]])),
    "digamma": (lambda lib, x: lib.digamma(x), lambda: np.concatenate([positive(40, dtype=np.float64, high=30),
                                                                      SPECIAL, [1.4616321449683622, 1e300, -0.25,
                                                                                -1.25, -7.75]])),
}


@pytest.mark.parametrize("name", sorted(OPTIONAL))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, "bfloat16"])
def test_composites_of_optional_primitives_agree_with_the_primitives(name, dtype, monkeypatch):
    if dtype == "bfloat16":
        from parity import skip_unless_supported
        skip_unless_supported("bfloat16")
    fn, make = OPTIONAL[name]
    values = make()
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        values = values.astype(np.float64 if dtype == np.float64 else np.float32)
    x = unigrad.tensor(values, dtype={np.float32: unigrad.float32, np.float64: unigrad.float64,
                                      "bfloat16": unigrad.bfloat16}[dtype])
    backend = unigrad.backends.registry.get_backend(x.device)
    if getattr(backend, name) is None:
        pytest.skip(f"{x.device} has no {name} primitive: every result is the composite already")
    primitive = fn(unigrad, x).double().numpy()
    monkeypatch.setattr(backend, name, None)
    composite = fn(unigrad, x)
    assert composite.dtype is x.dtype
    # both compute bfloat16 in float32 and round once: at most one unit apart
    rtol = {np.float32: 64 * 2.0 ** -23, np.float64: 64 * 2.0 ** -52, "bfloat16": 2.0 ** -7}[dtype]
    np.testing.assert_allclose(composite.double().numpy(), primitive, rtol=rtol, atol=rtol * 1e-2)
    # and the gradient flows through the composite like through the primitive
    if dtype == np.float64 and name != "atan2":
        leaf = unigrad.tensor(np.array([0.3, 0.7]) + (1.0 if name == "acosh" else 0.0), requires_grad=True)
        fn(unigrad, leaf).sum().backward()
        assert np.all(np.isfinite(leaf.grad.numpy()))


# ----- accuracy of the default device's special functions --------------------------------------------
def _ulp_error(ours, reference, dtype):
    reference = np.asarray(reference, np.float64)
    rounded = reference.astype(dtype)
    spacing = np.spacing(np.abs(rounded)).astype(np.float64)
    spacing = np.maximum(spacing, np.finfo(dtype).tiny * np.finfo(dtype).eps)
    return np.abs(np.asarray(ours, np.float64) - reference) / spacing


def test_erf_and_erfc_are_accurate_to_a_few_ulp():
    x64 = np.concatenate([np.linspace(-7, 7, 4001), np.geomspace(1e-300, 1, 200), -np.geomspace(1e-300, 1, 200)])
    erf_ref = np.array([math.erf(v) for v in x64])
    erfc_ref = np.array([math.erfc(v) for v in np.linspace(-6, 26, 4001)])
    assert _ulp_error(unigrad.erf(unigrad.tensor(x64)).numpy(), erf_ref, np.float64).max() <= 8
    assert _ulp_error(unigrad.erfc(unigrad.tensor(np.linspace(-6, 26, 4001))).numpy(), erfc_ref,
                      np.float64).max() <= 8
    x32 = x64.astype(np.float32)
    erf32 = np.array([math.erf(float(v)) for v in x32])
    assert _ulp_error(unigrad.erf(unigrad.tensor(x32)).numpy(), erf32, np.float32).max() <= 4
    y32 = np.linspace(-4, 10, 4001).astype(np.float32)
    erfc32 = np.array([math.erfc(float(v)) for v in y32])
    assert _ulp_error(unigrad.erfc(unigrad.tensor(y32)).numpy(), erfc32, np.float32).max() <= 16


def test_lgamma_keeps_relative_accuracy_at_its_zeros():
    mpmath = pytest.importorskip("mpmath")  # (C's lgamma itself loses digits next to 1 and 2)
    mpmath.mp.dps = 40
    x = np.array([1 + 1e-12, 1 - 1e-12, 2 + 1e-12, 2 - 1e-12, 0.5, 3.7, 25.5, 1e5, 1e-10])
    reference = np.array([float(mpmath.loggamma(mpmath.mpf(float(v)))) for v in x])
    assert _ulp_error(unigrad.lgamma(unigrad.tensor(x)).numpy(), reference, np.float64).max() <= 32
    x32 = np.array([1.0001, 0.9999, 2.0001, 1.9999, 0.5, 3.7, 1e4], np.float32)
    reference32 = np.array([float(mpmath.loggamma(mpmath.mpf(float(v)))) for v in x32])
    assert _ulp_error(unigrad.lgamma(unigrad.tensor(x32)).numpy(), reference32, np.float32).max() <= 4


def test_digamma_and_trigamma_near_the_root_and_beyond():
    root = 1.4616321449683622
    x = np.array([root, root + 1e-9, root - 1e-9, 0.1, 7.5, 100.0])
    # psi(root + d) = psi'(root) d (1 + O(d)), psi'(root) = 0.9726...
    slope = 0.967672245447621  # trigamma(root)
    values = unigrad.digamma(unigrad.tensor(x)).numpy()
    assert abs(values[0]) < 1e-15
    np.testing.assert_allclose(values[1:3], [slope * 1e-9, -slope * 1e-9], rtol=2e-6)
    trigamma = unigrad.polygamma(1, unigrad.tensor([1.0, 0.5, 2.0], dtype=unigrad.float64)).numpy()
    np.testing.assert_allclose(trigamma, [math.pi ** 2 / 6, math.pi ** 2 / 2, math.pi ** 2 / 6 - 1], rtol=1e-14)
