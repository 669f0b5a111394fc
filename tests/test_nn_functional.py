"""Activations, losses and other nn.functional entry points against torch (values and grads)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import torch

import unigrad
from parity import check

R = np.random.default_rng(8)


def randn(*shape, scale=1.0):
    return (R.standard_normal(shape) * scale).astype(np.float64)


def F(lib):
    return lib.nn.functional


ACTIVATIONS = {
    "relu": lambda lib, x: F(lib).relu(x),
    "relu6": lambda lib, x: F(lib).relu6(x * 4),
    "leaky_relu": lambda lib, x: F(lib).leaky_relu(x, 0.2),
    "elu": lambda lib, x: F(lib).elu(x, 1.5),
    "selu": lambda lib, x: F(lib).selu(x),
    "celu": lambda lib, x: F(lib).celu(x, 0.7),
    "gelu": lambda lib, x: F(lib).gelu(x),
    "gelu_tanh": lambda lib, x: F(lib).gelu(x, approximate="tanh"),
    "silu": lambda lib, x: F(lib).silu(x),
    "mish": lambda lib, x: F(lib).mish(x),
    "sigmoid": lambda lib, x: F(lib).sigmoid(x),
    "tanh": lambda lib, x: F(lib).tanh(x),
    "softplus": lambda lib, x: F(lib).softplus(x * 10, beta=2, threshold=5),
    "hardtanh": lambda lib, x: F(lib).hardtanh(x, -0.5, 0.5),
    "logsigmoid": lambda lib, x: F(lib).logsigmoid(x * 30),
    "hardswish": lambda lib, x: F(lib).hardswish(x * 4),
    "hardsigmoid": lambda lib, x: F(lib).hardsigmoid(x * 4),
    "softsign": lambda lib, x: F(lib).softsign(x),
    "softmax": lambda lib, x: F(lib).softmax(x, dim=1),
    "log_softmax": lambda lib, x: F(lib).log_softmax(x, dim=-1),
    "softmin": lambda lib, x: F(lib).softmin(x, dim=0),
    "glu": lambda lib, x: F(lib).glu(x, -1),
    "normalize": lambda lib, x: F(lib).normalize(x, dim=1),
}

MODULE_ACTIVATIONS = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Sigmoid",
                      "Tanh", "Softplus", "Hardtanh", "LogSigmoid", "Hardswish", "Hardsigmoid"]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name):
    check(ACTIVATIONS[name], randn(4, 6) + 0.01)


@pytest.mark.parametrize("name", MODULE_ACTIVATIONS)
def test_activation_modules(name):
    check(lambda lib, x: getattr(lib.nn, name)()(x), randn(3, 5) * 3 + 0.01)
    assert repr(getattr(unigrad.nn, name)()) == repr(getattr(torch.nn, name)())


def test_inplace_activations():
    for name in ("ReLU", "ReLU6", "LeakyReLU", "ELU", "SiLU", "Hardtanh"):
        x = unigrad.tensor(randn(8))
        expected = getattr(torch.nn, name)()(torch.tensor(x.numpy()))
        out = getattr(unigrad.nn, name)(inplace=True)(x)
        np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-12)
        assert out is x or np.shares_memory(out.numpy(), x.numpy())


def _target_indices(n, c, *extra):
    return torch.tensor(R.integers(0, c, (n,) + extra))


LOSSES = [
    ("mse", lambda lib, x, t: F(lib).mse_loss(x, t), (4, 3), "float"),
    ("mse_sum", lambda lib, x, t: F(lib).mse_loss(x, t, reduction="sum"), (4, 3), "float"),
    ("l1_none", lambda lib, x, t: F(lib).l1_loss(x, t, reduction="none"), (4, 3), "float"),
    ("smooth_l1", lambda lib, x, t: F(lib).smooth_l1_loss(x * 3, t, beta=0.5), (4, 3), "float"),
    ("huber", lambda lib, x, t: F(lib).huber_loss(x * 3, t, delta=0.7), (4, 3), "float"),
    ("bce", lambda lib, x, t: F(lib).binary_cross_entropy(lib.sigmoid(x), t.abs().clamp(0, 1)), (4, 3), "float"),
    ("bce_weighted", lambda lib, x, t: F(lib).binary_cross_entropy(lib.sigmoid(x), (t > 0).double(), weight=x.detach().abs()), (4, 3), "float"),
    ("bce_logits", lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x * 5, (t > 0).double()), (4, 3), "float"),
    ("bce_logits_pos_weight", lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x, (t > 0).double(), pos_weight=lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64), reduction="sum"), (4, 3), "float"),
    ("kl_div", lambda lib, x, t: F(lib).kl_div(lib.log_softmax(x, 1), lib.softmax(t, 1), reduction="batchmean"), (4, 3), "float"),
    ("kl_div_log_target", lambda lib, x, t: F(lib).kl_div(lib.log_softmax(x, 1), lib.log_softmax(t, 1), reduction="sum", log_target=True), (4, 3), "float"),
    ("cross_entropy", lambda lib, x, t: F(lib).cross_entropy(x, t), (5, 4), "index"),
    ("cross_entropy_sum", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="sum"), (5, 4), "index"),
    ("cross_entropy_none", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="none"), (5, 4), "index"),
    ("cross_entropy_weight", lambda lib, x, t: F(lib).cross_entropy(x, t, weight=lib.tensor([1.0, 2.0, 0.5, 3.0], dtype=lib.float64)), (5, 4), "index"),
    ("cross_entropy_ignore", lambda lib, x, t: F(lib).cross_entropy(x, lib.where(t == 1, -100, t)), (5, 4), "index"),
    ("cross_entropy_smoothing", lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=0.2), (5, 4), "index"),
    ("cross_entropy_smoothing_weight_ignore", lambda lib, x, t: F(lib).cross_entropy(x, lib.where(t == 0, 3, t), weight=lib.tensor([1.0, 2.0, 0.5, 3.0], dtype=lib.float64), ignore_index=3, label_smoothing=0.1), (5, 4), "index"),
    ("cross_entropy_spatial", lambda lib, x, t: F(lib).cross_entropy(x, t), (2, 3, 4, 2), "spatial"),
    ("cross_entropy_probs", lambda lib, x, t: F(lib).cross_entropy(x, lib.softmax(t, 1)), (5, 4), "float"),
    ("cross_entropy_probs_smooth", lambda lib, x, t: F(lib).cross_entropy(x, lib.softmax(t, 1), label_smoothing=0.3), (5, 4), "float"),
    ("nll", lambda lib, x, t: F(lib).nll_loss(lib.log_softmax(x, 1), t), (5, 4), "index"),
    ("nll_weight_none", lambda lib, x, t: F(lib).nll_loss(lib.log_softmax(x, 1), t, weight=lib.tensor([1.0, 2.0, 0.5, 3.0], dtype=lib.float64), reduction="none"), (5, 4), "index"),
    ("cosine_embedding", lambda lib, x, t: F(lib).cosine_embedding_loss(x, t, lib.tensor([1, -1, 1, -1]), margin=0.1), (4, 3), "float"),
]


@pytest.mark.parametrize("name,fn,shape,kind", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss(name, fn, shape, kind):
    x = randn(*shape)
    if kind == "float":
        t = randn(*shape)
    elif kind == "index":
        t = R.integers(0, shape[1], (shape[0],))
    else:
        t = R.integers(0, shape[1], (shape[0],) + shape[2:])
    check(fn, x, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss",
                                  "NLLLoss", "BCEWithLogitsLoss", "KLDivLoss"])
def test_loss_modules(name):
    x = randn(5, 4)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        t = R.integers(0, 4, (5,))
    else:
        t = randn(5, 4)
        if name == "BCEWithLogitsLoss":
            t = (t > 0).astype(np.float64)
    check(lambda lib, a, b: getattr(lib.nn, name)()(a, b), x, t, rtol=1e-10)


def test_bce_with_logits_is_stable_for_huge_logits():
    x = unigrad.tensor([1e4, -1e4, 5e3], requires_grad=True)
    t = unigrad.tensor([0.0, 1.0, 1.0])
    loss = unigrad.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(2e4)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_errors():
    x = unigrad.zeros(3, 4)
    deferred = unigrad.backends.registry.get_backend(x.device).deferred_index_checks  # reported at the next read
    with pytest.raises(IndexError, match="out of range" if deferred else "Target 7 is out of bounds"):
        unigrad.nn.functional.cross_entropy(x, unigrad.tensor([0, 7, 1])).item()
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)\."):
        unigrad.nn.functional.nll_loss(x, unigrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 5\], got \[3, 4\]"):
        unigrad.nn.functional.nll_loss(unigrad.zeros(3, 4, 5), unigrad.zeros(3, 4, dtype=unigrad.int64))


OTHER = {
    "pad_constant": (lambda lib, x: F(lib).pad(x, (1, 2, 0, 1), value=0.5), (2, 3, 4)),
    "pad_reflect": (lambda lib, x: F(lib).pad(x, (2, 1), mode="reflect"), (2, 3, 4)),
    "pad_replicate": (lambda lib, x: F(lib).pad(x, (1, 2, 2, 0), mode="replicate"), (1, 2, 3, 4)),
    "pad_circular": (lambda lib, x: F(lib).pad(x, (1, 1), mode="circular"), (1, 2, 4)),
    "pad_negative": (lambda lib, x: F(lib).pad(x, (-1, 1)), (2, 4)),
    "interpolate_nearest": (lambda lib, x: F(lib).interpolate(x, scale_factor=2), (1, 2, 3, 4)),
    "interpolate_nearest_size": (lambda lib, x: F(lib).interpolate(x, size=(5, 3)), (1, 2, 3, 4)),
    "interpolate_bilinear": (lambda lib, x: F(lib).interpolate(x, size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
    "interpolate_bilinear_corners": (lambda lib, x: F(lib).interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    "sdpa": (lambda lib, x: F(lib).scaled_dot_product_attention(x, x * 0.5, x + 1), (2, 3, 5, 4)),
    "sdpa_causal": (lambda lib, x: F(lib).scaled_dot_product_attention(x, x, x, is_causal=True), (2, 5, 4)),
    "unfold": (lambda lib, x: F(lib).unfold(x, (2, 3), padding=1, stride=2), (2, 3, 5, 6)),
    "tensor_unfold": (lambda lib, x: x.unfold(1, 3, 2), (2, 7, 3)),
    "cosine_similarity": (lambda lib, x: F(lib).cosine_similarity(x, x.flip(0), dim=1), (4, 3)),
    "layer_norm": (lambda lib, x: F(lib).layer_norm(x, (4,)), (3, 4)),
    "group_norm": (lambda lib, x: F(lib).group_norm(x, 2), (2, 4, 3)),
    "instance_norm": (lambda lib, x: F(lib).instance_norm(x), (2, 3, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_functional(name):
    fn, shape = OTHER[name]
    check(fn, randn(*shape), rtol=1e-10, atol=1e-12)


def test_one_hot_and_embedding_functional():
    idx = np.array([[0, 3], [2, 2]])
    check(lambda lib, i: F(lib).one_hot(i, 5), idx, grad=False)
    check(lambda lib, i: F(lib).one_hot(i), idx, grad=False)
    check(lambda lib, w, i: F(lib).embedding(i, w, padding_idx=2), randn(5, 3), idx)


def test_dropout_masks_scale_and_determinism():
    x = unigrad.ones(10_000)
    unigrad.manual_seed(3)
    a = unigrad.nn.functional.dropout(x, 0.3)
    unigrad.manual_seed(3)
    b = unigrad.nn.functional.dropout(x, 0.3)
    assert a.tolist() == b.tolist()
    values = np.unique(a.numpy())
    assert values[0] == 0.0 and len(values) == 2 and values[1] == pytest.approx(1 / 0.7, rel=1e-6)
    assert abs((a.numpy() == 0).mean() - 0.3) < 0.02
    assert unigrad.nn.functional.dropout(x, 0.3, training=False) is x
    d2 = unigrad.nn.functional.dropout2d(unigrad.ones(4, 8, 3, 3), 0.5)
    per_channel = d2.numpy().reshape(4, 8, 9)
    assert np.all((per_channel == per_channel[..., :1]))  # whole channels dropped or kept
    layer = unigrad.nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_dropout_is_one_product_with_the_streams_mask_as_pytorch_records_it(dtype):
    """``x * noise``, noise = 1/(1-p) where the stream's float32 uniform is >= p, else 0: one
    MulBackward0 (PyTorch's graph), the same mask for every dtype, the gradient the noise."""
    dt = getattr(unigrad, dtype)
    try:
        x = unigrad.tensor(randn(6, 9), dtype=dt, requires_grad=True)
    except TypeError as unsupported:  # the default device may lack 16-bit floats (PoCL: float16)
        assert "does not support dtype" in str(unsupported)
        return
    unigrad.manual_seed(11)
    y = unigrad.nn.functional.dropout(x, 0.4)
    unigrad.manual_seed(11)
    keep = unigrad.rand(6, 9) >= 0.4
    noise = keep.to(dt) * (1 / 0.6)
    assert y.dtype is dt and y.grad_fn.name() == "MulBackward0"
    assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["AccumulateGrad", "NoneType"]
    np.testing.assert_array_equal(y.detach().float().numpy(), (x.detach() * noise).float().numpy())
    y.backward(unigrad.ones_like(y))
    np.testing.assert_array_equal(x.grad.float().numpy(), noise.float().numpy())


def test_conv_gradcheck_and_pool_gradcheck():
    from unigrad.autograd import gradcheck
    x = unigrad.tensor(randn(1, 2, 5, 5), requires_grad=True)
    w = unigrad.tensor(randn(3, 2, 3, 3), requires_grad=True)
    assert gradcheck(lambda a, b: unigrad.nn.functional.conv2d(a, b, stride=2, padding=1), (x, w))
    assert gradcheck(lambda a: unigrad.nn.functional.max_pool2d(a, 2), (x,))
    assert gradcheck(lambda a: unigrad.nn.functional.avg_pool2d(a, 3, 1, 1), (x,))
    t = unigrad.tensor(randn(1, 3, 3, 3), requires_grad=True)
    wt = unigrad.tensor(randn(3, 2, 2, 2), requires_grad=True)
    assert gradcheck(lambda a, b: unigrad.nn.functional.conv_transpose2d(a, b, stride=2), (t, wt))


@pytest.mark.parametrize("n,dilation,padding", [(2, 1, 0), (2, (1, 2), 1), (1, 2, 2)])
def test_stride_one_conv_input_gradient_and_its_double_backward_match_torch(n, dilation, padding):
    """The stride-1 input gradient (shifted runs over a pitched column gradient) and, through
    create_graph, the gradient of that gradient with respect to the weight and the output seed."""
    from unigrad.autograd import gradcheck, grad
    rng = np.random.default_rng(7)
    shape, w_shape = ((2, 3, 6, 7), (4, 3, 3, 2)) if n == 2 else ((2, 3, 9), (4, 3, 3))
    data, weight = rng.standard_normal(shape), rng.standard_normal(w_shape)
    conv_ours = unigrad.nn.functional.conv2d if n == 2 else unigrad.nn.functional.conv1d
    conv_torch = torch.nn.functional.conv2d if n == 2 else torch.nn.functional.conv1d
    results = []
    for lib, conv in ((unigrad, conv_ours), (torch, conv_torch)):
        x, w = lib.tensor(data, requires_grad=True), lib.tensor(weight, requires_grad=True)
        out = conv(x, w, None, 1, padding, dilation)
        seed = lib.tensor(rng.standard_normal(tuple(out.shape)) if lib is unigrad else results[0][3],
                          requires_grad=True)
        (g_x,) = grad(out, x, seed, create_graph=True) if lib is unigrad else torch.autograd.grad(
            out, x, seed, create_graph=True)
        probe = lib.tensor(np.cos(np.arange(g_x.numel())).reshape(tuple(g_x.shape)))
        g_w, g_seed = (grad if lib is unigrad else torch.autograd.grad)((g_x * probe).sum(), (w, seed))
        results.append([t.detach().numpy() for t in (g_x, g_w, g_seed)] + [seed.detach().numpy()])
    for ours, theirs in zip(results[0][:3], results[1][:3]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    x = unigrad.tensor(data[:1, :, :5], requires_grad=True)
    w = unigrad.tensor(weight[:2], requires_grad=True)
    assert gradcheck(lambda a, b: conv_ours(a, b, None, 1, padding, dilation), (x, w))


def test_lstm_gradcheck():
    from unigrad.autograd import gradcheck
    unigrad.manual_seed(0)
    lstm = unigrad.nn.LSTM(2, 3).double()
    x = unigrad.tensor(randn(4, 1, 2), requires_grad=True)
    assert gradcheck(lambda a: lstm(a)[0], (x,))
    gru = unigrad.nn.GRU(2, 3).double()
    assert gradcheck(lambda a: gru(a)[1], (x,))


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.integers(1, 4), ow=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_adaptive_max_pool_indices_pick_first_maximum_like_torch(h, w, oh, ow, seed):
    """Small integer values make ties common: both the values and the first-maximum indices
    (and so the gradient routing) must match torch, for even and uneven splits."""
    a = np.random.default_rng(seed).integers(0, 3, size=(2, 2, h, w)).astype(np.float32)
    tv, ti = torch.nn.functional.adaptive_max_pool2d(torch.tensor(a), (oh, ow), return_indices=True)
    uv, ui = unigrad.nn.functional.adaptive_max_pool2d(unigrad.tensor(a), (oh, ow), return_indices=True)
    np.testing.assert_array_equal(uv.numpy(), tv.numpy())
    np.testing.assert_array_equal(ui.numpy(), ti.numpy())
    assert ui.dtype == unigrad.int64
    tv1, ti1 = torch.nn.functional.adaptive_max_pool1d(torch.tensor(a[:, :, 0]), ow, return_indices=True)
    uv1, ui1 = unigrad.nn.functional.adaptive_max_pool1d(unigrad.tensor(a[:, :, 0]), ow, return_indices=True)
    np.testing.assert_array_equal(uv1.numpy(), tv1.numpy())
    np.testing.assert_array_equal(ui1.numpy(), ti1.numpy())


def test_an_empty_batch_flows_through_conv_pool_and_linear_with_zero_gradients():
    x = unigrad.zeros(0, 3, 8, 8, requires_grad=True)
    conv, fc = unigrad.nn.Conv2d(3, 4, 3, padding=1), unigrad.nn.Linear(64, 2)
    pooled, indices = unigrad.nn.functional.max_pool2d(unigrad.relu(conv(x)), 2, return_indices=True)
    out = fc(pooled.flatten(1))
    out.sum().backward()
    assert tuple(out.shape) == (0, 2) and tuple(indices.shape) == (0, 4, 4, 4) and tuple(x.grad.shape) == (0, 3, 8, 8)
    for p in list(conv.parameters()) + list(fc.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(tuple(p.shape), np.float32))
