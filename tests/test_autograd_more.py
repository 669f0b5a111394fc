"""Autograd against torch: custom Function gradient validation, tensor-hook checks, grad_fn names
and next_functions, composite nodes, the Node API, anomaly mode, saved-tensor hooks, Variable and
torch.autograd.functional."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close

LIBS = pytest.mark.parametrize("lib", [unigrad, torch], ids=["unigrad", "torch"])


def _function(lib, backward, forward=lambda ctx, x, *rest: x * 2):
    return type("Custom", (lib.autograd.Function,), {"forward": staticmethod(forward),
                                                     "backward": staticmethod(backward)})


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return type(error), str(error)
    return None


# ----- custom Function gradient validation ---------------------------------------------------
@pytest.mark.parametrize("case", [
    # (backward, forward arity, input shape)
    (lambda ctx, g: g, 2, (3,)),                                # too few gradients
    (lambda ctx, g: (g.sum(), g.sum()), 1, (3,)),               # too many, not None
    (lambda ctx, g: (g, None, None), 1, (3,)),                  # trailing Nones are fine
    (lambda ctx, g: (g, g), "scalar", (3,)),                    # gradient for a non-tensor input
    (lambda ctx, g: g.new_ones(4), 1, (3,)),                    # not broadcastable
    (lambda ctx, g: g.new_ones(1), 1, (3,)),                    # smaller than the input
    (lambda ctx, g: g.new_ones(2, 3), 1, (3,)),                 # broadcast: summed
    (lambda ctx, g: g.new_ones(1, 3), 1, (3,)),                 # broadcast: summed
    (lambda ctx, g: g.new_ones(2, 1, 3) * 2, 1, (1, 3)),        # broadcast: summed
    (lambda ctx, g: g.double(), 1, (3,)),                       # other dtype: cast
])
def test_function_gradients_validated_as_torch(case):
    backward, arity, shape = case
    results = []
    for lib in (unigrad, torch):
        x = lib.ones(*shape, requires_grad=True)
        if arity == 2:
            fn = _function(lib, backward, lambda ctx, a, b: a * b)
            args = (x, lib.ones(*shape, requires_grad=True))
        elif arity == "scalar":
            fn = _function(lib, backward, lambda ctx, a, n: a * n)
            args = (x, 2)
        else:
            fn = _function(lib, backward)
            args = (x,)
        outcome = _error(lambda: fn.apply(*args).sum().backward())
        if outcome is None:
            outcome = (x.grad.dtype.__repr__().split(".")[-1], x.grad.tolist())
        results.append(outcome)
    ours, theirs = results
    if isinstance(theirs[0], type):
        assert ours[0] is theirs[0] and ours[1].replace("CustomBackward", "X") == theirs[1].replace(
            "CustomBackward", "X")
    else:
        assert ours == theirs


def test_function_gradient_for_an_input_not_needing_it_is_dropped():
    fn = _function(unigrad, lambda ctx, g: (g, g * 5), lambda ctx, a, b: a * b)
    x, y = unigrad.ones(2, requires_grad=True), unigrad.ones(2)
    fn.apply(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad is None


@pytest.mark.skipif("opencl" not in unigrad.backends.available(), reason="needs a second device")
def test_function_gradient_on_another_device_is_refused():
    fn = _function(unigrad, lambda ctx, g: g.cpu() if g.device.type != "cpu" else g.to("opencl"))
    x = unigrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - expected device"):
        fn.apply(x).sum().backward()


# ----- tensor hooks --------------------------------------------------------------------------
@pytest.mark.parametrize("hook", [lambda g: g.new_ones(4), lambda g: g.new_ones(1, 3), lambda g: g.double()])
@pytest.mark.parametrize("leaf", [True, False])
def test_hook_results_are_checked_as_torch(hook, leaf):
    outcomes = []
    for lib in (unigrad, torch):
        x = lib.ones(3, requires_grad=True)
        target = x if leaf else x * 2
        target.register_hook(hook)
        outcomes.append(_error(lambda: (target * 3).sum().backward()))
    kind = unigrad.get_default_device().type
    ours = (outcomes[0][0], outcomes[0][1].replace(f"torch.{kind}.", "torch."))
    assert ours == outcomes[1]


@LIBS
def test_hooks_on_leaves_and_non_leaves(lib):
    record = []
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: record.append(("y1", g.tolist())) or g * 10)
    y.retain_grad()
    y.register_hook(lambda g: record.append(("y2", g.tolist())) or g + 1)
    x.register_hook(lambda g: record.append(("x", g.tolist())) or g * 3)
    (y * y).sum().backward()
    assert record == [("y1", [4.0, 4.0]), ("y2", [40.0, 40.0]), ("x", [82.0, 82.0])]
    assert y.grad.tolist() == [41.0, 41.0] and x.grad.tolist() == [246.0, 246.0]
    a = lib.ones(2, requires_grad=True)
    a.register_hook(lambda g: g * 2)
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    assert a.grad.tolist() == [12.0, 12.0]
    d = lib.ones(2, requires_grad=True)
    d.register_hook(lambda g: g * 5)
    assert lib.autograd.grad((d * 2).sum(), d)[0].tolist() == [10.0, 10.0]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        lib.ones(2).register_hook(lambda g: g)


# ----- grad_fn names and next_functions -------------------------------------------------------
def _layers(lib):
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    x2 = lib.randn(4, 3, requires_grad=True)
    x3 = lib.randn(2, 3, 5, requires_grad=True)
    x4 = lib.randn(2, 3, 5, 5, requires_grad=True)
    target = lib.tensor([0, 1, 2, 0])
    return {
        "linear": lambda: nn.Linear(3, 2)(x2),
        "linear_no_bias": lambda: nn.Linear(3, 2, bias=False)(x2),
        "conv2d": lambda: nn.Conv2d(3, 2, 3)(x4),
        "conv2d_no_bias": lambda: nn.Conv2d(3, 2, 3, bias=False)(x4),
        "conv1d": lambda: nn.Conv1d(3, 2, 3)(x3),
        "conv_transpose2d": lambda: nn.ConvTranspose2d(3, 2, 3)(x4),
        "batch_norm": lambda: nn.BatchNorm2d(3)(x4),
        "batch_norm_eval": lambda: nn.BatchNorm2d(3).eval()(x4),
        "batch_norm_no_affine": lambda: nn.BatchNorm1d(3, affine=False)(x2),
        "layer_norm": lambda: nn.LayerNorm(5)(x3),
        "layer_norm_no_affine": lambda: nn.LayerNorm(5, elementwise_affine=False)(x3),
        "group_norm": lambda: nn.GroupNorm(1, 3)(x4),
        "embedding": lambda: nn.Embedding(10, 3)(lib.tensor([1, 2])),
        "softmax": lambda: F.softmax(x2, dim=1),
        "log_softmax": lambda: F.log_softmax(x2, dim=1),
        "cross_entropy": lambda: F.cross_entropy(x2, target),
        "nll_loss": lambda: F.nll_loss(x2, target),
        "mse_loss": lambda: F.mse_loss(x2, lib.zeros(4, 3)),
        "mse_loss_both": lambda: F.mse_loss(x2, lib.zeros(4, 3, requires_grad=True)),
        "bce": lambda: F.binary_cross_entropy(lib.sigmoid(x2), lib.zeros(4, 3)),
        "bce_logits": lambda: F.binary_cross_entropy_with_logits(x2, lib.zeros(4, 3)),
        "smooth_l1": lambda: F.smooth_l1_loss(x2, lib.zeros(4, 3)),
        "huber": lambda: F.huber_loss(x2, lib.zeros(4, 3)),
        "l1": lambda: F.l1_loss(x2, lib.zeros(4, 3)),
        "mean": lambda: x2.mean(), "sum": lambda: x2.sum(), "view": lambda: x2.view(12),
        "var": lambda: x2.var(), "std": lambda: x2.std(1), "logsumexp": lambda: x2.logsumexp(1),
        "squeeze_dim": lambda: x2.unsqueeze(0).squeeze(0), "squeeze_all": lambda: x2.unsqueeze(0).squeeze(),
        "max_pool2d": lambda: F.max_pool2d(x4, 2), "avg_pool2d": lambda: F.avg_pool2d(x4, 2),
        "max_pool3d": lambda: F.max_pool3d(x4.unsqueeze(2).expand(2, 3, 2, 5, 5), (1, 2, 2)),
        "avg_pool3d": lambda: F.avg_pool3d(x4.unsqueeze(2).expand(2, 3, 2, 5, 5), (1, 2, 2)),
        "conv3d": lambda: nn.Conv3d(3, 2, (1, 3, 3))(x4.unsqueeze(2)),
        "conv_transpose1d": lambda: nn.ConvTranspose1d(3, 2, 3)(x3),
    }


def _structure(t, depth=2):
    node = t.grad_fn
    if depth == 0 or node is None:
        return node.name() if node is not None else None
    return (node.name(), tuple(None if n is None else _child(n, depth - 1) for n, _ in node.next_functions))


def _child(node, depth):
    if depth == 0:
        return node.name()
    return (node.name(), tuple(None if n is None else _child(n, depth - 1) for n, _ in node.next_functions))


@pytest.mark.parametrize("name", list(_layers(unigrad)))
def test_grad_fn_names_and_next_functions_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _layers(unigrad)[name](), _layers(torch)[name]()
    assert _structure(ours, 1) == _structure(theirs, 1)


def test_tutorial_graph_walk_matches_torch():
    """The 60-minute blitz prints loss.grad_fn and walks next_functions down to AccumulateGrad."""
    walks = []
    for lib in (unigrad, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
        loss = lib.nn.functional.mse_loss(net(lib.randn(5, 4)), lib.zeros(5, 2))
        node, walk = loss.grad_fn, []
        while node is not None:
            walk.append(node.name())
            node = node.next_functions[0][0] if node.next_functions else None
        walks.append(walk)
    assert walks[0] == walks[1] == ["MseLossBackward0", "AddmmBackward0", "torch::autograd::AccumulateGrad"]


def test_accumulate_grad_node_as_torch():
    for lib in (unigrad, torch):
        w = lib.ones(2, requires_grad=True)
        node = (w * 2).grad_fn.next_functions[0][0]
        assert node.variable is w and node.next_functions == ()
        assert node.name() == "torch::autograd::AccumulateGrad"
        assert "AccumulateGrad" in repr(node)
        assert isinstance(node, lib.autograd.graph.Node)


# ----- composite nodes ------------------------------------------------------------------------
def test_composite_conv_values_and_gradients():
    rng = np.random.default_rng(0)
    arrays = (rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3))
    results = []
    for lib in (unigrad, torch):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = lib.nn.functional.conv2d(x, w, b, padding=1, stride=2)
        results.append((out, lib.autograd.grad((out * out).sum(), (x, w, b))))
    assert_close(results[0], results[1])


@pytest.mark.parametrize("make", [
    lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (x.shape[-1],), w[0, 0, 0], b[:x.shape[-1]]),
    lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, b[:2], b[1:3], training=True),
])
def test_composite_values_gradients_and_double_backward(make):
    rng = np.random.default_rng(0)
    arrays = (rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3))
    results = []
    for lib in (unigrad, torch):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = make(lib, x, w, b)
        grads = lib.autograd.grad((out * out).sum(), (x, w, b), create_graph=True, allow_unused=True)
        second = lib.autograd.grad(sum(g.sum() * g.sum() for g in grads if g is not None), (x, w, b),
                                   allow_unused=True)
        results.append((out, [g for g in grads if g is not None], [g for g in second if g is not None]))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1], rtol=1e-6, atol=1e-8)
    assert_close(results[0][2], results[1][2], rtol=1e-6, atol=1e-8)


def test_composite_gradgradcheck():
    rng = np.random.default_rng(1)
    x = unigrad.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    w = unigrad.tensor(rng.standard_normal(4), requires_grad=True)
    assert unigrad.autograd.gradgradcheck(
        lambda a, b: unigrad.nn.functional.layer_norm(a, (4,), b), (x, w))


@pytest.mark.parametrize("with_post_hook", [False, True])
def test_composite_frees_its_subgraph_unless_retained(with_post_hook):
    x = unigrad.ones(2, 3, requires_grad=True)
    out = unigrad.nn.functional.layer_norm(x * 2, (3,))
    node = out.grad_fn
    inner = node._next[0]  # the composition's own last node
    assert node.name() == "NativeLayerNormBackward0" and inner is not node
    if with_post_hook:
        node.register_hook(lambda grad_inputs, grad_outputs: None)
    out.sum().backward(retain_graph=True)
    assert inner.backward_fn is not None
    out.sum().backward()
    assert node.backward_fn is None and inner.backward_fn is None
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()


def test_composite_node_hooks_see_its_declared_inputs():
    seen = {}
    for lib in (unigrad, torch):
        lib.manual_seed(0)
        conv = lib.nn.Conv2d(2, 3, 3)
        out = conv(lib.ones(1, 2, 4, 4, requires_grad=True))
        record = seen.setdefault(lib.__name__, [])
        out.grad_fn.register_prehook(lambda go: record.append(("pre", tuple(go[0].shape))))
        out.grad_fn.register_hook(lambda gi, go: record.append(
            ("post", tuple(None if g is None else tuple(g.shape) for g in gi))))
        out.sum().backward()
    assert seen["unigrad"] == seen["torch"]


# ----- Node API -------------------------------------------------------------------------------
@LIBS
def test_node_hooks_and_metadata(lib):
    record = []
    x = lib.ones(2, requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert isinstance(node, lib.autograd.graph.Node) and node.metadata == {}
    node.metadata["tag"] = 1
    assert y.grad_fn.metadata["tag"] == 1
    handle = node.register_prehook(lambda grad_outputs: (grad_outputs[0] * 10,))
    node.register_hook(lambda grad_inputs, grad_outputs: record.append(
        ([g.tolist() for g in grad_inputs if g is not None], grad_outputs[0].tolist())))
    accumulate = node.next_functions[0][0]
    accumulate.register_prehook(lambda grad_outputs: record.append(("acc", grad_outputs[0].tolist())))
    y.sum().backward(retain_graph=True)
    assert record == [([[10.0, 10.0], [10.0, 10.0]], [10.0, 10.0]), ("acc", [20.0, 20.0])]
    assert x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# ----- anomaly mode -------------------------------------------------------------------------
def test_anomaly_flags_as_torch():
    for lib in (unigrad, torch):
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.autograd.set_detect_anomaly(True, check_nan=False)
        assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        lib.autograd.set_detect_anomaly(False)
        with lib.autograd.set_detect_anomaly(True):
            assert lib.is_anomaly_enabled()
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(False)


def test_anomaly_nan_names_the_node_and_shows_the_forward():
    messages = []
    for lib in (unigrad, torch):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with pytest.warns(UserWarning) as caught:
            with lib.autograd.detect_anomaly():
                y = x.sqrt()
                assert "traceback_" in y.grad_fn.metadata
                with pytest.raises(RuntimeError) as error:
                    (y * 0).sum().backward()
        messages.append(str(error.value))
        texts = [str(w.message) for w in caught]
        assert any("Anomaly Detection has been enabled" in t for t in texts)
        assert any(t.startswith("Error detected in SqrtBackward0. Traceback of forward call") and
                   "test_autograd_more.py" in t for t in texts)
    assert messages[0] == messages[1] == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not unigrad.is_anomaly_enabled()


def test_anomaly_error_in_custom_backward_is_reported_and_reraised():
    for lib in (unigrad, torch):
        def backward(ctx, g):
            raise ValueError("boom")
        fn = _function(lib, backward)
        x = lib.ones(2, requires_grad=True)

        with pytest.warns(UserWarning, match="Error detected in CustomBackward"):
            with pytest.raises(ValueError, match="boom"):
                with lib.autograd.detect_anomaly():
                    fn.apply(x).sum().backward()
    no_nan_check = unigrad.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with unigrad.autograd.detect_anomaly(check_nan=False):
            (no_nan_check.sqrt() * 0).sum().backward()
    assert np.isnan(no_nan_check.grad.item())


# ----- saved tensor hooks -------------------------------------------------------------------
@LIBS
def test_saved_tensor_hooks_are_called_as_torch(lib):
    events = []

    def pack(t):
        events.append(("pack", tuple(t.shape)))
        return t

    def unpack(t):
        events.append(("unpack", tuple(t.shape)))
        return t

    a = lib.ones(5, requires_grad=True)
    b = lib.ones(5, requires_grad=True) * 2
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = a * b
    assert events == [("pack", (5,)), ("pack", (5,))]
    y.sum().backward()
    assert events[2:] == [("unpack", (5,)), ("unpack", (5,))]
    assert a.grad.tolist() == [2.0] * 5


@LIBS
def test_saved_tensor_hooks_replace_what_a_custom_function_keeps(lib):
    store = {}

    def pack(t):
        store[len(store)] = t.detach().clone() * 1  # keep a copy; only its key is saved
        return len(store) - 1

    def unpack(key):
        return store[key]

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = lib.tensor([1.0, 3.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = Square.apply(x)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 6.0] and len(store) == 1
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
        z = Square.apply(lib.tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
        z.sum().backward()


@LIBS
def test_save_on_cpu_and_disabled_hooks(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with lib.autograd.graph.save_on_cpu():
        loss = (x.exp() * x).sum()
    loss.backward()
    expected = (np.exp([1.0, 2.0, 3.0]) * (1 + np.array([1.0, 2.0, 3.0]))).tolist()
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-5)
    with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass


# ----- Variable ---------------------------------------------------------------------------------
@LIBS
def test_variable_as_torch(lib):
    t = lib.ones(2)
    v = lib.autograd.Variable(t, requires_grad=True)
    assert v is not t and v.requires_grad and not t.requires_grad
    assert isinstance(t, lib.autograd.Variable)
    v.data[0] = 5.0
    assert t[0].item() == 5.0  # shares storage
    b = lib.ones(2, requires_grad=True) * 2
    w = lib.autograd.Variable(b)
    assert w.grad_fn is None and not w.requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        lib.autograd.Variable([1, 2])
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert not lib.autograd.Variable(lib.ones(1), volatile=True).requires_grad


# ----- torch.autograd.functional ----------------------------------------------------------------
def _cube(lib):
    return lambda a: (a ** 3).sum()


FUNCTIONAL_CASES = [
    ("jacobian", lambda lib: (lambda a: a ** 2 * a.sum(),), ([1.0, 2.0, 3.0],), {}),
    ("jacobian", lambda lib: (lambda a, b: (a * b, a.exp()),), ([1.0, 2.0], [3.0, -1.0]), {}),
    ("jacobian", lambda lib: (lambda a: a.reshape(2, 2) @ a.reshape(2, 2),), ([1.0, 2.0, 0.5, -1.0],), {}),
    ("hessian", lambda lib: (lambda a: (a ** 3).sum() * a[0],), ([1.0, 2.0],), {}),
    ("hessian", lambda lib: (lambda a, b: (a * b.sin()).sum(),), ([1.0, 2.0], [0.3, 0.7]), {}),
    ("vjp", lambda lib: (lambda a: a ** 2,), ([1.0, 2.0],), {"v": [1.0, -1.0]}),
    ("jvp", lambda lib: (lambda a: a.exp() * a.sum(),), ([1.0, 2.0],), {"v": [0.5, 1.0]}),
    ("jvp", lambda lib: (lambda a, b: (a * b, b.sum()),), ([1.0, 2.0], [3.0, 4.0]), {"v": ([1.0, 0.0], [0.0, 1.0])}),
    ("vhp", lambda lib: (lambda a: (a ** 3).sum(),), ([1.0, 2.0],), {"v": [1.0, 1.0]}),
    ("hvp", lambda lib: (lambda a: (a.exp() * a).sum(),), ([1.0, 2.0],), {"v": [1.0, -2.0]}),
    ("vjp", lambda lib: (lambda a: (a ** 2).sum(),), ([1.0, 2.0],), {}),
]


def _convert(lib, value):
    if isinstance(value, tuple):
        return tuple(_convert(lib, v) for v in value)
    return lib.tensor(value, dtype=lib.float64)


@pytest.mark.parametrize("name, make, inputs, kwargs", FUNCTIONAL_CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_autograd_functional_matches_torch(name, make, inputs, kwargs, create_graph):
    results = []
    for lib in (unigrad, torch):
        (func,) = make(lib)
        args = tuple(_convert(lib, i) for i in inputs)
        extra = {k: _convert(lib, v) for k, v in kwargs.items()}
        result = getattr(lib.autograd.functional, name)(func, args if len(args) > 1 else args[0],
                                                        create_graph=create_graph, **extra)
        results.append(result)
    assert_close(results[0], results[1])


def test_autograd_functional_errors_match_torch():
    for name, call in (
        ("v missing", lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.ones(2))),
        ("bad v", lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.ones(2), lib.ones(3))),
        ("not tensor", lambda lib: lib.autograd.functional.jacobian(lambda a: a, [1.0])),
        ("strict", lambda lib: lib.autograd.functional.jacobian(lambda a, b: a * 2, (lib.ones(2), lib.ones(2)),
                                                               strict=True)),
        ("hessian tuple", lambda lib: lib.autograd.functional.hessian(lambda a: (a.sum(), a.sum()), lib.ones(2))),
        ("hessian many", lambda lib: lib.autograd.functional.hessian(lambda a: a * 2, lib.ones(2))),
    ):
        ours, theirs = _error(lambda: call(unigrad)), _error(lambda: call(torch))
        assert theirs is not None, name
        assert ours is not None and ours[0] is theirs[0], (name, ours, theirs)
        assert ours[1].replace("unigrad.api.tensor.Tensor", "torch.Tensor").replace(
            "unigrad.Size", "torch.Size") == theirs[1], name
