"""Autograd semantics: the engine, grad modes, hooks, version counters, Function, gradcheck."""
import math

import numpy as np
import pytest
import torch

import unigrad
from unigrad.autograd import Function, gradcheck, gradgradcheck


def test_gradients_accumulate_across_backward_calls():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_nonscalar_backward_needs_gradient():
    x = unigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(unigrad.tensor([1.0, 0.5, 0.0]))
    assert x.grad.tolist() == [2.0, 1.0, 0.0]
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(unigrad.ones(2))


def test_second_backward_through_freed_graph_raises_unless_retained():
    x = unigrad.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward(retain_graph=True)
    y.backward()
    assert math.isclose(x.grad.item(), 2 * (math.exp(2) * 3), rel_tol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        unigrad.ones(2).sum().backward()


def test_higher_order_gradients_match_torch():
    def run(lib):
        x = lib.tensor([0.3, -1.2, 2.0], requires_grad=True)
        y = (x.tanh() * x ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = lib.autograd.grad(gg.sum(), x)
        return [t.detach().numpy() for t in (g, gg, ggg)]
    for ours, theirs in zip(run(unigrad), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_backward_create_graph_makes_differentiable_grad():
    x = unigrad.tensor([1.5], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad.clone()
    x.grad = None
    first.sum().backward()
    assert math.isclose(x.grad.item(), 6 * 1.5)


def test_autograd_grad_allow_unused_and_inputs():
    x = unigrad.ones(2, requires_grad=True)
    z = unigrad.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        unigrad.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = unigrad.autograd.grad(y, [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gz is None
    assert x.grad is None  # autograd.grad does not accumulate


def test_backward_inputs_limits_accumulation():
    a = unigrad.ones(2, requires_grad=True)
    b = unigrad.ones(2, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad is not None and b.grad is None


def test_grad_of_nonleaf_inputs():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h * 3).sum()
    (gh,) = unigrad.autograd.grad(y, h)
    assert gh.tolist() == [3.0, 3.0]


def test_no_grad_enable_grad_set_grad_enabled():
    x = unigrad.ones(2, requires_grad=True)
    with unigrad.no_grad():
        assert not (x * 2).requires_grad
        with unigrad.enable_grad():
            assert (x * 2).requires_grad
    with unigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert unigrad.is_grad_enabled()

    @unigrad.no_grad()
    def decorated(t):
        return t * 2
    assert not decorated(x).requires_grad

    @unigrad.set_grad_enabled(False)
    def also_decorated(t):
        return t * 2
    assert unigrad.is_grad_enabled()  # decorating must not switch the mode
    assert not also_decorated(x).requires_grad
    unigrad.set_grad_enabled(False)
    assert not unigrad.is_grad_enabled()
    unigrad.set_grad_enabled(True)


def test_hooks_and_retain_grad():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 3
    h.retain_grad()
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    assert h.grad.tolist() == [10.0, 10.0]  # hooks run before retain_grad stores, as in torch
    assert seen == [[30.0, 30.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    y = x * 3
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_inplace_change_of_saved_tensor_is_detected():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_and_leaves_it_intact():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 5.0
    assert x.tolist() == [1.0, 2.0] and x._version[0] == 0
    with unigrad.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 3.0]


def test_inplace_ops_on_nonleaf_match_torch():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        y.mul_(3).add_(1.0).sub_(x).div_(x + 3)
        z = (y * 1.5).relu_()
        z.sum().backward()
        return z.detach().numpy(), x.grad.numpy()
    for a, b in zip(run(unigrad), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6)



def test_requires_grad_only_for_floating_point():
    with pytest.raises(RuntimeError, match="floating point"):
        unigrad.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        unigrad.zeros(2, dtype=unigrad.int64, requires_grad=True)


def test_long_chain_does_not_hit_recursion_limit():
    x = unigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert math.isclose(x.grad.item(), 1.0001 ** 10_000, rel_tol=1e-3)


def test_grads_do_not_alias_each_other():
    a = unigrad.ones(3, requires_grad=True)
    b = unigrad.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(5)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    assert a.grad.is_contiguous() and a.grad._base is None


def test_detach_shares_storage_and_stops_gradient():
    x = unigrad.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    d[0] = 4.0
    assert x.tolist() == [4.0, 1.0]
    y = x * 1
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_grad_fn_names_and_leaf_flags():
    x = unigrad.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "SumBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert "grad_fn=<SumBackward0>" in repr(y)


class Cube(Function):
    @staticmethod
    def forward(ctx, x, power):
        ctx.save_for_backward(x)
        ctx.power = power
        return x ** power

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.power * x ** (ctx.power - 1), None


class SplitSigns(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0), x.clamp(max=0)

    @staticmethod
    def backward(ctx, g_pos, g_neg):
        (x,) = ctx.saved_tensors
        return unigrad.where(x > 0, g_pos, g_neg)


def test_custom_function():
    x = unigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Cube.apply(x, 3)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0, 27.0]


def test_custom_function_needs_input_grad_and_multiple_outputs():
    x = unigrad.tensor([1.0, -2.0], requires_grad=True)
    pos, neg = SplitSigns.apply(x)
    (pos * 2 + neg * 5).sum().backward()
    assert x.grad.tolist() == [2.0, 5.0]
    x.grad = None
    pos, _ = SplitSigns.apply(x)
    pos.sum().backward()  # the unused output gets a materialised zero gradient
    assert x.grad.tolist() == [1.0, 0.0]


def test_custom_function_detects_modified_saved_tensor():
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Cube.apply(h, 2)
    with unigrad.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("fn", [
    lambda x, y: (x * y).sin().sum(),
    lambda x, y: (x @ y.t()).tanh(),
    lambda x, y: (x / (y * y + 1)).log_softmax(1),
    lambda x, y: unigrad.cat([x, y]).amax(0),
    lambda x, y: (x - y).abs().pow(1.5).mean(1),
    lambda x, y: x[:, [0, 2]] * y[1, :2],
    lambda x, y: x.sigmoid().var(0),
])
def test_gradcheck_of_composites(fn):
    rng = np.random.default_rng(4)
    x = unigrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = unigrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(fn, (x, y))


def test_gradgradcheck():
    rng = np.random.default_rng(5)
    x = unigrad.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradgradcheck(lambda t: (t.exp() * t).tanh(), (x,))


def test_gradcheck_catches_a_wrong_gradient():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0

    x = unigrad.tensor([0.5, 1.0], dtype=unigrad.float64, requires_grad=True)
    assert not gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(unigrad.autograd.GradcheckError, match="Jacobian mismatch"):
        gradcheck(Wrong.apply, (x,))
