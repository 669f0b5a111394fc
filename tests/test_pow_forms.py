"""Powers the cpu backend computes as products, roots and reciprocals (2, 3, 0.5, -1, -2, -0.5,
as PyTorch's CPU kernel does; integral 4 <= |e| <= 16 by repeated squaring in float64): values and
gradients match torch, for 0-d tensors too."""
import numpy as np
import pytest
import torch

import unigrad

EXPONENTS = [2, 3, 0.5, -1, -2, -0.5, 2.0, 3.0, 4, 1.5, 5, 7.0, -4, -5, 16, -16, 17]


@pytest.mark.parametrize("exponent", EXPONENTS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scalar_powers_match_torch(exponent, shape, dtype):
    values = np.random.RandomState(1).uniform(0.2, 3.0, size=shape).astype(dtype)
    values = values * np.where(np.random.RandomState(2).rand(*shape) < 0.5, -1, 1).astype(dtype) \
        if float(exponent).is_integer() else values  # negative bases only for integral exponents
    ours = unigrad.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    got, want = ours ** exponent, theirs ** exponent
    assert got.shape == tuple(want.shape) and got.dtype.name == dtype
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol * 10)


def test_special_values_follow_torch():
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -4.0], dtype=np.float32)
    for exponent in (2, 3, 0.5, -1, -2, -0.5):
        got = (unigrad.tensor(values) ** exponent).numpy()
        want = (torch.tensor(values) ** exponent).numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"x ** {exponent}")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("exponent", [4, 5, 6, 7, 11, 16, -4, -5, -9, -16])
def test_integral_powers_are_within_an_ulp_or_two_of_the_exact_power(dtype, exponent):
    """Negative bases included (np.power's slow path, which the product form replaces)."""
    values = np.random.RandomState(3).uniform(-3.0, 3.0, size=400)
    source = torch.tensor(values).to(getattr(torch, dtype))  # the inputs, rounded to dtype
    exact = source.double().numpy().astype(np.longdouble) ** exponent
    got = (unigrad.tensor(source.double().numpy()).to(getattr(unigrad, dtype)) ** exponent)
    assert got.dtype.name == dtype
    got = got.double().numpy()
    info = torch.finfo(getattr(torch, dtype))
    finite = (np.abs(exact) >= info.tiny) & (np.abs(exact) <= info.max)  # normal results
    ulp = {"float32": 2.0 ** -23, "float64": 2.0 ** -52, "float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}[dtype]
    relative = np.abs(got[finite] - exact[finite]) / np.abs(exact[finite])
    bound = 8 * ulp if dtype == "float64" else ulp  # float64: one rounding per product
    assert float(relative.max()) <= bound
    want = (source ** exponent).double().numpy()
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))


def test_integral_power_special_values_and_out_follow_torch():
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -4.0, 1e30, -1e-30], dtype=np.float32)
    for exponent in (4, 5, -4, -5, 16):
        got = (unigrad.tensor(values) ** exponent).numpy()
        want = (torch.tensor(values) ** exponent).numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"x ** {exponent}")
    out = unigrad.empty(3)
    result = unigrad.pow(unigrad.tensor([-2.0, 0.5, 3.0]), 5, out=out)
    assert result is out
    np.testing.assert_array_equal(out.numpy(), np.array([-32.0, 0.03125, 243.0], dtype=np.float32))
