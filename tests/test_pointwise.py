"""Element-wise ops against torch: forward and gradient, broadcasting, special values."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import torch

import unigrad
from parity import assert_close, check

R = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def positive(*shape, dtype=np.float32):
    return (R.random(shape) + 0.1).astype(dtype)


UNARY = {
    "neg": (lambda lib, x: lib.neg(x), randn),
    "abs": (lambda lib, x: x.abs(), randn),
    "exp": (lambda lib, x: lib.exp(x), randn),
    "log": (lambda lib, x: lib.log(x), positive),
    "log2": (lambda lib, x: x.log2(), positive),
    "log10": (lambda lib, x: lib.log10(x), positive),
    "log1p": (lambda lib, x: lib.log1p(x), positive),
    "expm1": (lambda lib, x: lib.expm1(x), randn),
    "sqrt": (lambda lib, x: lib.sqrt(x), positive),
    "rsqrt": (lambda lib, x: lib.rsqrt(x), positive),
    "sin": (lambda lib, x: lib.sin(x), randn),
    "cos": (lambda lib, x: x.cos(), randn),
    "tan": (lambda lib, x: lib.tan(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 0.5),
    "tanh": (lambda lib, x: lib.tanh(x), randn),
    "sigmoid": (lambda lib, x: lib.sigmoid(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 10),
    "relu": (lambda lib, x: lib.relu(x), randn),
    "erf": (lambda lib, x: lib.erf(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 2),
    "floor": (lambda lib, x: lib.floor(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 5),
    "ceil": (lambda lib, x: lib.ceil(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 5),
    "round": (lambda lib, x: lib.round(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 5),
    "trunc": (lambda lib, x: lib.trunc(x), lambda *s, dtype=np.float32: randn(*s, dtype=dtype) * 5),
    "sign": (lambda lib, x: lib.sign(x), randn),
    "reciprocal": (lambda lib, x: x.reciprocal(), positive),
    "square": (lambda lib, x: lib.square(x), randn),
    "pow_scalar": (lambda lib, x: x ** 3, randn),
    "pow_half": (lambda lib, x: x ** 0.5, positive),
    "rpow": (lambda lib, x: 2.0 ** x, randn),
    "clamp": (lambda lib, x: x.clamp(-0.5, 0.7), randn),
    "clamp_min": (lambda lib, x: lib.clamp(x, min=0.1), randn),
    "softmax": (lambda lib, x: x.softmax(-1), randn),
    "log_softmax": (lambda lib, x: lib.log_softmax(x, dim=0), randn),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary(name, dtype):
    fn, make = UNARY[name]
    check(fn, make(3, 5, dtype=dtype), grad_rtol=1e-4, grad_atol=1e-5)


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "abs", "relu", "sqrt"])
def test_unary_on_noncontiguous_and_empty_inputs(name):
    fn, make = UNARY[name]
    check(lambda lib, x: fn(lib, x.t()), make(4, 3))
    check(lambda lib, x: fn(lib, x[::2, 1:]), make(5, 4))
    check(lambda lib, x: fn(lib, x), make(0, 3))
    check(lambda lib, x: fn(lib, x), make())


def test_erf_is_accurate_in_float64():
    x = np.linspace(-6, 6, 2001)
    ours = unigrad.erf(unigrad.tensor(x)).numpy()
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15)


BINARY = {
    "add": lambda lib, a, b: a + b,
    "add_alpha": lambda lib, a, b: lib.add(a, b, alpha=2.5),
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "pow": lambda lib, a, b: a.abs() ** b,
    "remainder": lambda lib, a, b: a % b,
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "where": lambda lib, a, b: lib.where(a > b, a, b),
    "lerp": lambda lib, a, b: lib.lerp(a, b, 0.3),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_same_shape(name):
    b = randn(4, 3)
    b[np.abs(b) < 0.2] = 0.5  # keep away from division poles
    check(BINARY[name], randn(4, 3), b, grad_rtol=1e-4, grad_atol=1e-5)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                                max_side=3))
def test_binary_broadcasting(name, shapes):
    a_shape, b_shape = shapes.input_shapes
    rng = np.random.default_rng(1)
    a = rng.standard_normal(a_shape).astype(np.float64)
    b = rng.standard_normal(b_shape).astype(np.float64)
    b[np.abs(b) < 0.2] = 0.5
    check(BINARY[name], a, b, grad_rtol=1e-6, grad_atol=1e-8)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "%", "//"])
@pytest.mark.parametrize("scalar", [2, -1.5, True])
def test_scalar_operands_both_sides(op, scalar):
    x = positive(3, 2) + 1
    if scalar is True and op == "-":  # torch rejects subtracting booleans; so do we
        with pytest.raises(RuntimeError, match="bool"):
            unigrad.tensor(x) - True
        with pytest.raises(RuntimeError, match="bool"):
            True - unigrad.tensor(x)
        return
    differentiable = op not in ("%", "//") and scalar is not True  # torch has no such gradients
    check(lambda lib, t: eval(f"t {op} s", {"t": t, "s": scalar}), x, grad_rtol=1e-4,
          grad=differentiable or op == "%")
    check(lambda lib, t: eval(f"s {op} t", {"t": t, "s": scalar}), x, grad_rtol=1e-4,
          grad=differentiable)


COMPARISONS = ["==", "!=", "<", "<=", ">", ">="]


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_with_nan_and_broadcasting(op):
    a = np.array([[1.0, np.nan, 3.0, -np.inf]], dtype=np.float32)
    b = np.array([[1.0], [np.nan], [2.0]], dtype=np.float32)
    check(lambda lib, x, y: eval(f"x {op} y", {"x": x, "y": y}), a, b, grad=False)
    check(lambda lib, x: eval(f"x {op} 1.0", {"x": x}), a, grad=False)


@pytest.mark.parametrize("op", ["&", "|", "^"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.uint8])
def test_bitwise_ops(op, dtype):
    a = R.integers(0, 100, (5,)).astype(dtype)
    b = R.integers(0, 100, (5,)).astype(dtype)
    check(lambda lib, x, y: eval(f"x {op} y", {"x": x, "y": y}), a, b, grad=False)
    check(lambda lib, x: ~x, a, grad=False)


def test_logical_ops_and_predicates():
    a = np.array([0.0, 1.5, np.nan, np.inf, -np.inf, -2.0], dtype=np.float32)
    for fn in (lambda lib, x: lib.isnan(x), lambda lib, x: lib.isinf(x), lambda lib, x: lib.isfinite(x),
               lambda lib, x: lib.logical_not(x), lambda lib, x: lib.logical_and(x, x > 0),
               lambda lib, x: lib.logical_or(x, x > 0), lambda lib, x: lib.logical_xor(x, x > 0)):
        check(fn, a, grad=False)


def test_integer_ops_keep_integer_semantics():
    a = np.array([7, -7, 5, -5, 0], dtype=np.int64)
    b = np.array([2, 2, -3, -3, 4], dtype=np.int64)
    for fn in (lambda lib, x, y: x + y, lambda lib, x, y: x * y, lambda lib, x, y: x % y,
               lambda lib, x, y: x // y, lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
               lambda lib, x, y: x / y, lambda lib, x, y: lib.maximum(x, y), lambda lib, x, y: x ** 2,
               lambda lib, x, y: x.abs(), lambda lib, x, y: -x, lambda lib, x, y: x.sign(),
               lambda lib, x, y: lib.clamp(x, -3, 3)):
        check(fn, a, b, grad=False)


def test_nan_propagation_in_maximum_and_relu():
    a = np.array([np.nan, 1.0, -1.0], dtype=np.float32)
    b = np.array([0.0, np.nan, -2.0], dtype=np.float32)
    check(lambda lib, x, y: lib.maximum(x, y), a, b, grad=False)
    check(lambda lib, x, y: lib.minimum(x, y), a, b, grad=False)
    check(lambda lib, x: lib.relu(x), a, grad=False)
    check(lambda lib, x: lib.sigmoid(x), np.array([-1000.0, 1000.0, 0.0], dtype=np.float32))


def test_ties_share_gradient_in_maximum():
    a = np.array([1.0, 2.0, 3.0])
    check(lambda lib, x, y: lib.maximum(x, y), a, a.copy())


def test_float16_arithmetic():
    a, b = randn(8, dtype=np.float16), randn(8, dtype=np.float16)
    check(lambda lib, x, y: x * y + x, a, b, grad=False)
    check(lambda lib, x: x.exp().sum(), a, grad=False, rtol=1e-2, atol=1e-2)


def test_mixed_dtypes_promote_and_backprop_to_each_dtype():
    a = randn(3, dtype=np.float32)
    b = randn(3, dtype=np.float64)
    check(lambda lib, x, y: x * y, a, b)


def test_clamp_with_tensor_bounds():
    check(lambda lib, x, lo, hi: lib.clamp(x, lo, hi), randn(6), randn(6) - 1, randn(6) + 1)


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(["float16", "bfloat16", "float32", "float64", "int32", "int64"]),
       seed=st.integers(0, 2**16), other=st.sampled_from(["array", "zero", "negative zero", "scalar", "row"]),
       other_first=st.booleans())
def test_large_where_is_bit_exact_against_numpy(dtype, seed, other, other_first):
    """Large selects take the cpu backend's branch-free path: every bit (NaN payloads, -0, inf)
    must equal NumPy's where, with a tensor, a broadcast row or a scalar as the other value, on
    either side."""
    import ml_dtypes
    from parity import skip_unless_supported
    skip_unless_supported(dtype)
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal((90, 70)) * 10).astype(np_dtype)
    b = (rng.standard_normal((90, 70)) * 10).astype(np_dtype)
    if np.dtype(np_dtype).kind == "f" or dtype == "bfloat16":
        a[0, :5] = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0]).astype(np_dtype)
    condition = rng.random((90, 70)) < 0.5
    value = {"array": b, "row": b[:1], "zero": 0, "negative zero": -0.0, "scalar": 3}[other]
    if other == "negative zero" and np.dtype(np_dtype).kind == "i":
        value = 0
    operands = [unigrad.tensor(a), unigrad.tensor(value) if isinstance(value, np.ndarray) else value]
    expected_operands = [a, np.asarray(value, dtype=np_dtype)]
    if other_first:
        operands.reverse()
        expected_operands.reverse()
    ours = unigrad.where(unigrad.tensor(condition), *operands).numpy()
    expected = np.where(condition, *expected_operands)
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours.view(np.uint8), expected.view(np.uint8))


def test_alpha_scales_other_in_the_result_dtype():
    """``add``/``sub`` scale ``other`` by ``alpha`` after promotion, as PyTorch does."""
    ours = unigrad.zeros(1, dtype=unigrad.float64)
    ours.add_(unigrad.tensor([1.0]).bfloat16(), alpha=0.1)
    theirs = torch.zeros(1, dtype=torch.float64)
    theirs.add_(torch.tensor([1.0]).bfloat16(), alpha=0.1)
    assert ours.item() == theirs.item() == 0.1
    assert unigrad.sub(unigrad.tensor([1, 2]), 3, alpha=2).tolist() == torch.sub(torch.tensor([1, 2]), 3, alpha=2).tolist()
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        unigrad.add(unigrad.tensor([1, 2]), 3, alpha=0.5)
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        torch.add(torch.tensor([1, 2]), 3, alpha=0.5)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("op", ["__ge__", "__le__", "ge", "le"])
def test_integer_comparisons_with_python_scalars_match_torch_at_the_boundaries(dtype, op):
    """``>=``/``<=`` of wide integer tensors and small Python ints take one or two primitives
    (``a <= b`` as ``a < b + 1``): the results must not change at the dtype's extremes or for
    non-integral and large scalars (the general path)."""
    values = np.array([-2 ** 31, -5, -1, 0, 1, 2, 5, 2 ** 30 - 1, 2 ** 30, 2 ** 31 - 1]).astype(dtype)
    for scalar in (-5, -1, 0, 1, 2, 5, 2 ** 30 - 1, -2 ** 30 + 1, 2 ** 30, 2 ** 31 - 1, 7.5, -0.5, True):
        got = getattr(unigrad.tensor(values), op)(scalar)
        want = getattr(torch.tensor(values), op)(scalar)
        assert got.dtype is unigrad.bool
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=f"{op}({scalar})")
