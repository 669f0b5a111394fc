"""In-place activations written into the tensor (relu_, leaky_relu_, hardtanh_, elu_/selu_/celu_,
sigmoid_, tanh_): values, gradients, grad_fn names, views (CopySlices), version errors, no-grad
and inference mode, double backward, all against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close, check

# every case: an in-place activation of a tensor, as the name torch gives its node
INPLACE = {
    "relu_": (lambda lib, t: t.relu_(), "ReluBackward0"),
    "F.relu": (lambda lib, t: lib.nn.functional.relu(t, inplace=True), "ReluBackward0"),
    "torch.relu_": (lambda lib, t: lib.relu_(t), "ReluBackward0"),
    "leaky_relu": (lambda lib, t: lib.nn.functional.leaky_relu(t, 0.2, inplace=True), "LeakyReluBackward1"),
    "leaky_relu_0": (lambda lib, t: lib.nn.functional.leaky_relu_(t, 0.0), "LeakyReluBackward1"),
    "leaky_relu_steep": (lambda lib, t: lib.nn.functional.leaky_relu(t, 3.0, inplace=True), "LeakyReluBackward1"),
    "hardtanh": (lambda lib, t: lib.nn.functional.hardtanh(t, -0.5, 0.7, inplace=True), "HardtanhBackward0"),
    "relu6": (lambda lib, t: lib.nn.functional.relu6(t, inplace=True), "HardtanhBackward0"),
    "elu": (lambda lib, t: lib.nn.functional.elu(t, 1.5, inplace=True), "EluBackward1"),
    "selu": (lambda lib, t: lib.nn.functional.selu(t, inplace=True), "EluBackward1"),
    "celu": (lambda lib, t: lib.nn.functional.celu(t, 2.0, inplace=True), "CeluBackward1"),
    "sigmoid_": (lambda lib, t: t.sigmoid_(), "SigmoidBackward0"),
    "tanh_": (lambda lib, t: t.tanh_(), "TanhBackward0"),
    "torch.tanh_": (lambda lib, t: lib.tanh_(t), "TanhBackward0"),
}
SAVES_RESULT = [name for name, (_, node) in INPLACE.items() if node != "HardtanhBackward0"]

SPECIALS = np.array([np.nan, -1.5, -0.0, 0.0, 2.0, np.inf, -np.inf, 0.7, -0.5, 1e-40, 7.0, 6.0, 1.0, -1.0],
                    dtype=np.float32)


def _data(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((3, 4)).astype(np.float32) * 4


@pytest.mark.parametrize("name", list(INPLACE))
def test_values_and_gradients_on_a_non_leaf(name):
    op, node = INPLACE[name]

    def fn(lib, x):
        y = op(lib, x * 1.5)
        assert y.grad_fn.name() == node
        return y
    check(fn, _data())


@pytest.mark.parametrize("name", list(INPLACE))
def test_special_values(name):
    op = INPLACE[name][0]
    check(lambda lib, x: op(lib, x * 1.0), SPECIALS)


@pytest.mark.parametrize("name", ["relu", "hardtanh", "elu", "selu", "celu", "leaky_relu"])
def test_out_of_place_special_values(name):
    check(lambda lib, x: getattr(lib.nn.functional, name)(x), SPECIALS)


@pytest.mark.parametrize("name", list(INPLACE))
def test_returns_and_writes_the_tensor_itself(name):
    op = INPLACE[name][0]
    x = unigrad.tensor(_data(), requires_grad=True)
    y = x * 1.0
    version = y._version[0]
    out = op(unigrad, y)
    assert out is y and y._version[0] == version + 1
    reference = op(torch, torch.tensor(_data()) * 1.0)
    assert_close(out, reference)


@pytest.mark.parametrize("name", list(INPLACE))
def test_on_a_view_gives_the_base_copy_slices(name):
    op = INPLACE[name][0]

    def fn(lib, x):
        base = x * 1.0
        view = base[1:, ::2]
        op(lib, view)
        assert base.grad_fn.name().endswith("CopySlices")
        return base
    check(fn, _data(1))


@pytest.mark.parametrize("name", SAVES_RESULT)
def test_modifying_the_result_raises_the_version_error(name):
    op = INPLACE[name][0]
    for lib in (unigrad, torch):
        x = lib.tensor(_data(), requires_grad=True)
        y = op(lib, x * 1.0)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("name", SAVES_RESULT)
def test_modifying_the_base_after_an_inplace_on_its_view_raises(name):
    op = INPLACE[name][0]
    for lib in (unigrad, torch):
        x = lib.tensor(_data(), requires_grad=True)
        base = x * 1.0
        op(lib, base[1:])
        base.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            base.sum().backward()


def test_hardtanh_saves_the_input_so_a_later_change_is_allowed():
    # PyTorch's hardtanh_ saves its input (a copy), not the result: no version error
    def fn(lib, x):
        y = lib.nn.functional.hardtanh(x * 1.0, inplace=True)
        return y.mul_(3)
    check(fn, _data())


@pytest.mark.parametrize("name", list(INPLACE))
def test_leaf_that_requires_grad_is_refused_and_left_intact(name):
    op = INPLACE[name][0]
    data = _data()
    x = unigrad.tensor(data, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        op(unigrad, x)
    np.testing.assert_array_equal(x.detach().numpy(), data)
    assert x._version[0] == 0
    view = x[1:]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        unigrad.nn.functional.relu(view, inplace=True)
    np.testing.assert_array_equal(x.detach().numpy(), data)


@pytest.mark.parametrize("name", list(INPLACE))
def test_no_grad_and_inference_mode_write_without_a_graph(name):
    op = INPLACE[name][0]
    expected = op(torch, torch.tensor(_data()))
    for scope in (unigrad.no_grad, unigrad.inference_mode):
        x = unigrad.tensor(_data(), requires_grad=True)
        with scope():
            y = x * 1.0
            out = op(unigrad, y)
        assert out.grad_fn is None and not out.requires_grad
        assert_close(out, expected)
    plain = unigrad.tensor(_data())
    assert_close(op(unigrad, plain), expected)


@pytest.mark.parametrize("name", ["relu_", "leaky_relu", "hardtanh", "elu", "celu", "sigmoid_", "tanh_"])
def test_double_backward(name):
    op = INPLACE[name][0]
    results = []
    for lib in (unigrad, torch):
        x = lib.tensor(_data(2).astype(np.float64), requires_grad=True)
        y = op(lib, x * x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g, gg))
    assert_close(results[0], results[1])


def test_negative_slopes_record_and_raise_at_backward_like_torch():
    for lib in (unigrad, torch):
        functional = lib.nn.functional
        for op, message in ((lambda t: functional.leaky_relu(t, -0.2, inplace=True), "In-place leakyReLu"),
                            (lambda t: functional.elu(t, -1.0, inplace=True), "In-place elu"),
                            (lambda t: functional.celu(t, -2.0, inplace=True), "In-place elu")):
            x = lib.tensor(_data(), requires_grad=True)
            y = op(x * 1.0)
            with pytest.raises(RuntimeError, match=message):
                y.sum().backward()
    check(lambda lib, x: lib.nn.functional.leaky_relu(x, -0.2, inplace=True), _data(), grad=False)
    check(lambda lib, x: lib.nn.functional.leaky_relu(x, -0.2), SPECIALS)  # out of place: fine


def test_hooks_and_retain_grad_follow_the_tensor():
    grads = []
    for lib in (unigrad, torch):
        x = lib.tensor(_data(), requires_grad=True)
        y = x * 2.0
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y.relu_()
        y.retain_grad()
        (y * 3).sum().backward()
        grads.append((x.grad, y.grad, seen[0]))
    assert_close(grads[0], grads[1])


def test_integer_tensors_take_the_general_path():
    check(lambda lib, x: x.relu_(), np.array([-2, 0, 3], dtype=np.int64), grad=False)
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="can't be cast"):
            lib.tensor([1, 2]).sigmoid_()


def test_celu_with_zero_alpha_raises():
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="alpha cannot be 0"):
            lib.nn.functional.celu(lib.ones(2), 0.0, inplace=True)


def test_inplace_modules_in_a_network():
    def fn(lib, x, w):
        h = lib.nn.functional.conv2d(x, w, padding=1)
        h = lib.nn.ReLU(inplace=True)(h)
        h = lib.nn.functional.conv2d(h, w, padding=1)
        h = lib.nn.LeakyReLU(0.2, inplace=True)(h)
        return lib.nn.ReLU6(inplace=True)(h * 2)
    rng = np.random.default_rng(3)
    check(fn, rng.standard_normal((2, 3, 5, 5)).astype(np.float32),
          rng.standard_normal((3, 3, 3, 3)).astype(np.float32), rtol=1e-4, atol=1e-4)
