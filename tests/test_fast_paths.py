"""The frontend's use of the optional ``max_pool`` and ``fold`` fast paths (which the CUDA backend
implements with kernels): a backend that provides them gets the same values, gradients and
``return_indices`` as the composite, checked here with straightforward NumPy versions installed
on the cpu backend, and against torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
import unigrad.nn.functional as F
from unigrad.backends import registry
from unigrad.conformance.primitives import fold_reference, max_pool_reference
from unigrad.conformance.runner import run_fast_paths


numpy_max_pool, numpy_fold = max_pool_reference, fold_reference  # the conformance suite's references


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dims=st.integers(1, 3), dtype=st.sampled_from(["float32", "float64"]))
def test_the_cpu_backends_own_max_pool_matches_the_reference(data, dims, dtype):
    """Values and first-maximum positions, with ties (small integers) and NaNs in the input."""
    kernel = tuple(data.draw(st.integers(1, 3), label="kernel") for _ in range(dims))
    stride = tuple(data.draw(st.integers(1, 3), label="stride") for _ in range(dims))
    dilation = tuple(data.draw(st.integers(1, 2), label="dilation") for _ in range(dims))
    spatial = tuple(d * (k - 1) + 1 + data.draw(st.integers(0, 4)) for k, d in zip(kernel, dilation))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x = rng.integers(-3, 4, (2, 3) + spatial).astype(dtype)
    x[rng.random(x.shape) < data.draw(st.sampled_from([0.0, 0.1]), label="nan share")] = np.nan
    backend = registry.get_backend(unigrad.device("cpu"))
    values, positions = type(backend).max_pool(backend, x, kernel, stride, dilation)
    expected_values, expected_positions = numpy_max_pool(x, kernel, stride, dilation)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(positions, expected_positions)
    assert values.dtype == x.dtype and positions.dtype == np.int64


@pytest.fixture
def fast_cpu():
    backend = registry.get_backend(unigrad.device("cpu"))
    calls = {"max_pool": 0, "fold": 0}

    def counted(name, fn):
        def run(*args):
            calls[name] += 1
            return fn(*args)
        return run
    backend.max_pool = counted("max_pool", numpy_max_pool)
    backend.fold = counted("fold", numpy_fold)
    yield calls
    del backend.max_pool, backend.fold


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conformance_compares_the_fast_paths_with_the_composites(fast_cpu, dtype):
    result = run_fast_paths("cpu", dtype, 0)
    assert result.status == "passed", result.message
    assert fast_cpu["max_pool"] >= 1 and fast_cpu["fold"] >= 1


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, 2, 0, 1, False), (3, 2, 1, 1, True), ((2, 3), (1, 2), (1, 0), (2, 1), False)])
def test_max_pool2d_through_the_fast_path_matches_torch(fast_cpu, rng, kernel, stride, padding, dilation, ceil_mode):
    data = rng.standard_normal((2, 3, 7, 8))
    data[0, 0, 1, 1] = np.nan
    ours = unigrad.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    args = (kernel, stride, padding, dilation, ceil_mode, True)
    values, indices = F.max_pool2d(ours, *args)
    t_values, t_indices = torch.nn.functional.max_pool2d(theirs, *args)
    seed = rng.standard_normal(t_values.shape)
    values.backward(unigrad.tensor(seed))
    t_values.backward(torch.tensor(seed))
    np.testing.assert_array_equal(values.detach().numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert fast_cpu["max_pool"] == 1


def test_max_pool1d_through_the_fast_path_matches_torch(fast_cpu, rng):
    data = rng.standard_normal((2, 3, 9))
    ours, theirs = unigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    F.max_pool1d(ours, 3, 2, 1).sum().backward()
    torch.nn.functional.max_pool1d(theirs, 3, 2, 1).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    assert fast_cpu["max_pool"] == 1


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_conv2d_input_gradient_through_fold_matches_torch(fast_cpu, rng, stride, padding, dilation):
    data, weight = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 3, 3))
    ours, theirs = unigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w, tw = unigrad.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out = F.conv2d(ours, w, None, stride, padding, dilation)
    t_out = torch.nn.functional.conv2d(theirs, tw, None, stride, padding, dilation)
    seed = rng.standard_normal(t_out.shape)
    out.backward(unigrad.tensor(seed))
    t_out.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert fast_cpu["fold"] == 1


def test_a_declining_fast_path_falls_back_to_the_composite(rng):
    backend = registry.get_backend(unigrad.device("cpu"))
    backend.max_pool = lambda *args: NotImplemented
    backend.fold = lambda *args: NotImplemented
    try:
        data = rng.standard_normal((1, 2, 6, 6))
        ours, theirs = unigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        w = unigrad.ones(2, 2, 3, 3, dtype=unigrad.float64)
        F.max_pool2d(F.conv2d(ours, w, padding=1), 2).sum().backward()
        torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(theirs, torch.ones(2, 2, 3, 3, dtype=torch.float64),
                                                                  padding=1), 2).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    finally:
        del backend.max_pool, backend.fold


def test_first_layer_convolution_skips_the_input_gradient(rng):
    """A conv whose input needs no gradient computes no col2im (fold is never called)."""
    backend = registry.get_backend(unigrad.device("cpu"))
    calls = []
    backend.fold = lambda *args: calls.append(1) or numpy_fold(*args)
    try:
        x = unigrad.tensor(rng.standard_normal((1, 2, 5, 5)))
        w = unigrad.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
        F.conv2d(x, w).sum().backward()
        tw = torch.tensor(w.detach().numpy(), requires_grad=True)
        torch.nn.functional.conv2d(torch.tensor(x.numpy()), tw).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
        assert calls == [] and x.grad is None
    finally:
        del backend.fold


def test_max_pool3d_through_the_fast_path_matches_torch(fast_cpu, rng):
    data = np.round(rng.standard_normal((2, 2, 5, 6, 5)), 1)  # ties: the first maximum wins
    ours, theirs = unigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    args = ((2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1), True, True)
    (values, indices), (t_values, t_indices) = F.max_pool3d(ours, *args), torch.nn.functional.max_pool3d(theirs, *args)
    seed = rng.standard_normal(t_values.shape)
    values.backward(unigrad.tensor(seed))
    t_values.backward(torch.tensor(seed))
    np.testing.assert_array_equal(values.detach().numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert fast_cpu["max_pool"] == 1


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", [
    ("conv3d", (2, 2, 5, 4, 6), (3, 2, 2, 3, 2), dict(stride=2, padding=1, dilation=(1, 1, 2))),
    ("conv3d", (1, 4, 4, 4, 4), (4, 4, 3, 3, 3), dict(stride=(2, 1, 1), padding=(0, 1, 0))),
    ("conv_transpose3d", (2, 2, 3, 2, 3), (2, 3, 2, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose1d", (2, 4, 5), (4, 1, 3), dict(stride=3, groups=2, dilation=2)),
])
def test_convolutions_through_fold_match_torch(fast_cpu, rng, name, x_shape, w_shape, kwargs):
    data, weight = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    ours, theirs = unigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w, tw = unigrad.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out, t_out = getattr(F, name)(ours, w, **kwargs), getattr(torch.nn.functional, name)(theirs, tw, **kwargs)
    seed = rng.standard_normal(t_out.shape)
    out.backward(unigrad.tensor(seed))
    t_out.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    assert fast_cpu["fold"] >= 1
