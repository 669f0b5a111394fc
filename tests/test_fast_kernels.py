"""The fused fast paths against torch and against the paths they replace: recurrent cell steps,
batch and layer norm, exact GELU, leaky ReLU, the optimizers' multi-tensor (foreach) updates,
the engine's handling of a caller's gradient."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close, check

rng = np.random.default_rng(0)
pytestmark = pytest.mark.filterwarnings("ignore:optimizer contains a parameter group with duplicate")


def randn(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# ----- recurrent cells -----------------------------------------------------------------------------
def _cell(lib, kind, bias, dtype, state):
    lib.manual_seed(0)
    cell = getattr(lib.nn, kind)(3, 4, bias=bias)
    return cell.to(getattr(lib, dtype)), state


def _load(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cell_steps_match_torch_values_and_gradients(kind, bias, dtype):
    theirs = getattr(torch.nn, kind)(3, 4, bias=bias).to(getattr(torch, dtype))
    ours = getattr(unigrad.nn, kind)(3, 4, bias=bias).to(getattr(unigrad, dtype))
    _load(ours, theirs)
    x, h, c = (randn(5, n, dtype=np.dtype(dtype)) for n in (3, 4, 4))

    def step(lib, x, h, c):
        cell = ours if lib is unigrad else theirs
        if kind == "LSTMCell":
            h1, c1 = cell(x, (h, c))
            h2, c2 = cell(x * 0.5, (h1, c1))  # two steps: the state's gradient flows back
            return h2, c2
        return cell(x * 0.5, cell(x, h))
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else {}
    check(step, x, h, c, **tolerance)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=name, **tolerance)


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cell_steps_equal_the_tensor_op_cell(kind, monkeypatch):
    """The fused step's forward computes what the tensor-op cell computes, in the same order
    (bitwise); its backward is the same derivative in another order (float32 rounding)."""
    from unigrad.nn.modules import cell_steps
    x, h, c = randn(6, 3, dtype=np.float32), randn(6, 4, dtype=np.float32), randn(6, 4, dtype=np.float32)
    results = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(cell_steps, "fused_step_applies", lambda *args: False)
        unigrad.manual_seed(0)
        cell = getattr(unigrad.nn, kind)(3, 4)
        xs = [unigrad.tensor(a, requires_grad=True) for a in (x, h, c)]
        out = cell(xs[0], (xs[1], xs[2])) if kind == "LSTMCell" else cell(xs[0], xs[1])
        first = out[0] if kind == "LSTMCell" else out
        first.sum().backward()
        results.append([first.detach().numpy()] + [t.grad.numpy() for t in xs[:2]]
                       + [p.grad.numpy() for p in cell.parameters()])
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for fused_value, reference in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(fused_value, reference, rtol=1e-5, atol=1e-6)


def test_lstm_cell_gradient_through_the_cell_state_only():
    check(lambda lib, x, h, c: _fixed_lstm(lib)(x, (h, c))[1], randn(2, 3), randn(2, 4), randn(2, 4))


def _fixed_lstm(lib):
    lib.manual_seed(0)
    cell = lib.nn.LSTMCell(3, 4).double()
    with lib.no_grad():
        for i, p in enumerate(cell.parameters()):
            p.copy_(lib.tensor(np.cos(np.arange(p.numel()) + i).reshape(tuple(p.shape))))
    return cell


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cell_steps_second_derivatives_match_torch(kind):
    results = []
    for lib in (unigrad, torch):
        lib.manual_seed(0)
        cell = getattr(lib.nn, kind)(3, 4).double()
        with lib.no_grad():
            for i, p in enumerate(cell.parameters()):
                p.copy_(lib.tensor(np.sin(np.arange(p.numel()) + i).reshape(tuple(p.shape))))
        x, h, c = (lib.tensor(np.cos(np.arange(8 * n) * 0.3).reshape(2, 4 * n)[:, :n].copy(), requires_grad=True)
                   for n in (3, 4, 4))
        out = cell(x, (h, c))[0] if kind == "LSTMCell" else cell(x, h)
        inputs = [x, h] + list(cell.parameters())
        grads = lib.autograd.grad((out * out).sum(), inputs, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        results.append([g.detach().numpy() for g in grads + second])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_cell_output_nodes_carry_torchs_names():
    cell = unigrad.nn.LSTMCell(3, 4)
    h, c = cell(unigrad.randn(2, 3, requires_grad=True))
    assert (h.grad_fn.name(), c.grad_fn.name()) == ("MulBackward0", "AddBackward0")
    assert unigrad.nn.GRUCell(3, 4)(unigrad.randn(2, 3)).grad_fn.name() == "AddBackward0"
    assert unigrad.nn.RNNCell(3, 4, nonlinearity="relu")(unigrad.randn(2, 3)).grad_fn.name() == "ReluBackward0"


# ----- normalisation -------------------------------------------------------------------------------
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
def test_batch_norm_training_and_eval_match_torch(affine, shape):
    kind = "BatchNorm1d" if len(shape) == 2 else "BatchNorm2d"
    theirs = getattr(torch.nn, kind)(3, affine=affine).double()
    ours = getattr(unigrad.nn, kind)(3, affine=affine).double()
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor([0.5, -1.5, 2.0]))
            theirs.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    _load(ours, theirs)
    x = randn(*shape) * 3 + 1
    for train in (True, False):
        ours.train(train), theirs.train(train)
        check(lambda lib, t: (ours if lib is unigrad else theirs)(t), x)
        assert_close(ours.running_mean, theirs.running_mean, what="running_mean")
        assert_close(ours.running_var, theirs.running_var, what="running_var")
    if affine:
        assert_close(ours.weight.grad, theirs.weight.grad, what="weight grad")
        assert_close(ours.bias.grad, theirs.bias.grad, what="bias grad")


@pytest.mark.parametrize("weight, bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_torch(weight, bias):
    w, b = np.linspace(0.5, 2.0, 6).reshape(2, 3), np.linspace(-1, 1, 6).reshape(2, 3)
    arrays = [randn(4, 5, 2, 3)] + ([w] if weight else []) + ([b] if bias else [])

    def norm(lib, x, *params):
        return lib.nn.functional.layer_norm(x, (2, 3), params[0] if weight else None,
                                            params[1] if bias else None, 1e-5)
    check(norm, *arrays)


@pytest.mark.parametrize("which", ["batch_train", "batch_eval", "layer"])
def test_norm_second_derivatives_match_torch(which):
    results = []
    for lib in (unigrad, torch):
        x = lib.tensor(np.cos(np.arange(60) * 0.7).reshape(4, 3, 5), requires_grad=True)
        w = lib.tensor([0.5, -1.5, 2.0] if which != "layer" else list(np.linspace(0.5, 2, 5)), requires_grad=True,
                       dtype=lib.float64)
        if which == "layer":
            out = lib.nn.functional.layer_norm(x, (5,), w, None)
        else:
            mean, var = lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64), lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64)
            out = lib.nn.functional.batch_norm(x, mean, var, w, None, training=which == "batch_train")
        grads = lib.autograd.grad((out ** 3).sum(), [x, w], create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), [x, w])
        results.append([g.detach().numpy() for g in grads + second])
        assert out.grad_fn.name() == ("NativeLayerNormBackward0" if which == "layer" else "NativeBatchNormBackward0")
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


# ----- activations ---------------------------------------------------------------------------------
def test_exact_gelu_matches_torch_with_second_derivative():
    check(lambda lib, x: lib.nn.functional.gelu(x), randn(4, 7))
    check(lambda lib, x: lib.nn.functional.gelu(x), randn(4, 7, dtype=np.float32))
    results = []
    for lib in (unigrad, torch):
        x = lib.tensor(np.linspace(-4, 4, 9), requires_grad=True)
        (g,) = lib.autograd.grad(lib.nn.functional.gelu(x).sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), [x])
        results.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("slope", [0.01, 0.2, 1.0, 0.0, 1.5, -0.3])
def test_leaky_relu_special_values_match_torch(slope):
    values = np.array([-3.0, -0.0, 0.0, 2.0, np.nan, -np.inf, np.inf, 1e-45, -1e-45], np.float32)
    ours = unigrad.nn.functional.leaky_relu(unigrad.tensor(values), slope).numpy()
    theirs = torch.nn.functional.leaky_relu(torch.tensor(values), slope).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
    check(lambda lib, x: lib.nn.functional.leaky_relu(x, slope), randn(3, 5))


# ----- optimizers: the foreach path ----------------------------------------------------------------
_OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1.0)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.9))),
    ("Adadelta", dict(lr=1.0, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
]


def _run_optimizer(lib, name, options, steps=3, dtype="float32"):
    params = [lib.tensor(np.cos(np.arange(n) + n).reshape(shape).astype(dtype), requires_grad=True)
              for n, shape in ((12, (3, 4)), (5, (5,)), (1, ()))]
    params.append(params[1])  # a parameter listed twice
    optimizer = getattr(lib.optim, name)(params, **options)
    for step in range(steps):
        optimizer.zero_grad()
        loss = sum(((p * p).sum() * (step + 1) + p.sin().sum()) for p in params[:3])
        loss.backward()
        optimizer.step()
    return [p.detach().numpy().copy() for p in params[:3]], optimizer


@pytest.mark.parametrize("name, options", _OPTIMIZERS)
def test_foreach_updates_equal_the_single_tensor_path_bitwise(name, options):
    for dtype in ("float32", "float64"):
        fast, fast_opt = _run_optimizer(unigrad, name, dict(options), dtype=dtype)
        slow, slow_opt = _run_optimizer(unigrad, name, dict(options, foreach=False), dtype=dtype)
        for a, b in zip(fast, slow):
            np.testing.assert_array_equal(a, b)
        for state_a, state_b in zip(fast_opt.state_dict()["state"].values(),
                                    slow_opt.state_dict()["state"].values()):
            assert list(state_a) == list(state_b)
            for key in state_a:
                np.testing.assert_array_equal(state_a[key].numpy(), state_b[key].numpy())


@pytest.mark.parametrize("name, options", _OPTIMIZERS)
def test_foreach_updates_match_torch(name, options):
    ours, _ = _run_optimizer(unigrad, name, dict(options), dtype="float64")
    theirs, _ = _run_optimizer(torch, name, dict(options), dtype="float64")
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_foreach_path_advances_version_counters():
    p = unigrad.ones(3, requires_grad=True)
    optimizer = unigrad.optim.Adam([p])
    (p * 2).sum().backward()
    before = p._version_number
    optimizer.step()
    assert p._version_number > before
    assert optimizer.state[p]["exp_avg"]._version_number > 0


# ----- engine --------------------------------------------------------------------------------------
def test_a_callers_gradient_is_never_accumulated_into():
    for lib in (unigrad, torch):
        a = lib.ones(3, requires_grad=True)
        seed = lib.ones(3)
        (a + 0).backward(seed)
        (a + 0).backward(lib.ones(3))
        assert seed.tolist() == [1.0, 1.0, 1.0] and a.grad.tolist() == [2.0, 2.0, 2.0]


def test_random_bits_chunked_generation_keeps_the_stream():
    from unigrad.backends.numpy import philox
    for count in (1, 5, 32769, 40001):
        for offset in (0, 4, 400):
            whole = philox.random_bits(np, 99, offset, count)
            for chunk in (3, 8192):
                np.testing.assert_array_equal(philox.random_bits(np, 99, offset, count, chunk_blocks=chunk), whole)
