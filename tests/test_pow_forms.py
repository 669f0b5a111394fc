"""Powers the cpu backend computes as products, roots and reciprocals (2, 3, 0.5, -1, -2, -0.5),
as PyTorch's CPU kernel does: values and gradients match torch, for 0-d tensors too."""
import numpy as np
import pytest
import torch

import unigrad

EXPONENTS = [2, 3, 0.5, -1, -2, -0.5, 2.0, 3.0, 4, 1.5]


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
