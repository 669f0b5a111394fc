"""Double backward: ``gradgradcheck`` of every kind of convolution, and second derivatives of
pooling, normalization, losses and activations against PyTorch's (``create_graph=True`` then a
gradient of the first gradients)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import unigrad
from unigrad.autograd import gradgradcheck
from parity import assert_close

R = np.random.default_rng(11)


def leaf(shape):
    return unigrad.tensor(R.standard_normal(shape), requires_grad=True)


CONVOLUTIONS = {  # (function, input shape, weight shape, keyword arguments), tiny for gradgradcheck
    "conv1d": ("conv1d", (1, 1, 4), (1, 1, 2), {}),
    "conv1d_stride_pad_bias": ("conv1d", (1, 1, 5), (2, 1, 2), {"stride": 2, "padding": 1, "bias": (2,)}),
    "conv2d": ("conv2d", (1, 1, 3, 3), (1, 1, 2, 2), {}),
    "conv2d_dilated_padded": ("conv2d", (1, 1, 4, 3), (1, 1, 2, 2), {"dilation": 2, "padding": 1}),
    "conv2d_grouped": ("conv2d", (1, 2, 3, 3), (2, 1, 2, 1), {"groups": 2, "bias": (2,)}),
    "conv2d_strided": ("conv2d", (1, 1, 4, 4), (1, 1, 2, 2), {"stride": (2, 1)}),
    "conv3d": ("conv3d", (1, 1, 2, 2, 3), (1, 1, 1, 2, 2), {"padding": (0, 1, 0)}),
    "conv_transpose1d": ("conv_transpose1d", (1, 1, 3), (1, 1, 2), {"stride": 2, "output_padding": 1}),
    "conv_transpose2d": ("conv_transpose2d", (1, 1, 2, 2), (1, 1, 2, 2), {"padding": 1, "bias": (1,)}),
    "conv_transpose2d_grouped_dilated": ("conv_transpose2d", (1, 2, 2, 2), (2, 1, 2, 1),
                                         {"groups": 2, "dilation": 2}),
    "conv_transpose3d": ("conv_transpose3d", (1, 1, 1, 2, 2), (1, 1, 1, 2, 2), {"stride": (1, 2, 1)}),
}


@pytest.mark.parametrize("case", list(CONVOLUTIONS))
def test_convolution_gradgradcheck(case):
    name, x_shape, w_shape, kwargs = CONVOLUTIONS[case]
    kwargs = dict(kwargs)
    inputs = [leaf(x_shape), leaf(w_shape)]
    if "bias" in kwargs:
        inputs.append(leaf(kwargs.pop("bias")))
    function = getattr(unigrad.nn.functional, name)
    assert gradgradcheck(lambda *args: function(*args, **kwargs), tuple(inputs))


def second_order(lib, fn, arrays, seed: int = 0):
    """First gradients (with ``create_graph``) of a weighted sum of ``fn``'s output with respect
    to every float input, then the gradients of a weighted sum of those."""
    rng = np.random.default_rng(seed)
    inputs = [lib.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
              for a in arrays]
    leaves = [t for t in inputs if isinstance(t, (torch.Tensor, unigrad.Tensor)) and t.requires_grad]
    out = fn(lib, *inputs)
    weight = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    firsts = lib.autograd.grad((out * weight).sum(), leaves, create_graph=True, allow_unused=True)
    total = 0
    for first in firsts:
        if first is not None and first.requires_grad:
            total = total + (first * lib.tensor(rng.standard_normal(tuple(first.shape)),
                                                dtype=first.dtype)).sum()
    seconds = lib.autograd.grad(total, leaves, allow_unused=True) if not isinstance(total, int) \
        else [None] * len(leaves)
    # (PyTorch may return a ZeroTensor, which must be materialized to be compared)
    return [f if f is not None else lib.zeros_like(x) for f, x in zip(firsts, leaves)], \
        [lib.zeros_like(x) + s if s is not None else lib.zeros_like(x) for s, x in zip(seconds, leaves)]


X4 = R.standard_normal((2, 3, 5, 5))
X2 = R.standard_normal((4, 3))
P2 = R.random((4, 3)) * 0.8 + 0.1
T = np.array([0, 2, 1, 2])

DOUBLE = {
    # pooling
    "max_pool2d": (lambda lib, x: lib.nn.functional.max_pool2d(x, 2, padding=1), X4),
    "avg_pool2d": (lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, stride=2, padding=1), X4),
    "adaptive_avg_pool2d": (lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (2, 3)), X4),
    "adaptive_max_pool2d": (lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 2), X4),
    "lp_pool2d": (lambda lib, x: lib.nn.functional.lp_pool2d(x.abs() + 0.5, 2, 2), X4),
    # normalization
    "batch_norm_train": (lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, training=True),
                         X4, R.standard_normal(3), R.standard_normal(3)),
    "batch_norm_eval": (lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, lib.zeros(3, dtype=x.dtype), lib.ones(3, dtype=x.dtype), w, b, training=False),
        X4, R.standard_normal(3), R.standard_normal(3)),
    "layer_norm": (lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (5,), w, b),
                   X4, R.standard_normal(5), R.standard_normal(5)),
    "group_norm": (lambda lib, x, w, b: lib.nn.functional.group_norm(x, 3, w, b),
                   X4, R.standard_normal(3), R.standard_normal(3)),
    "instance_norm": (lambda lib, x: lib.nn.functional.instance_norm(x), X4),
    # losses
    "mse": (lambda lib, x, y: lib.nn.functional.mse_loss(x, y), X2, R.standard_normal((4, 3))),
    "l1": (lambda lib, x, y: lib.nn.functional.l1_loss(x, y), X2, R.standard_normal((4, 3))),
    "smooth_l1": (lambda lib, x, y: lib.nn.functional.smooth_l1_loss(x, y, beta=0.5), X2, R.standard_normal((4, 3))),
    "huber": (lambda lib, x, y: lib.nn.functional.huber_loss(x, y, delta=0.7), X2, R.standard_normal((4, 3))),
    "cross_entropy": (lambda lib, x, t: lib.nn.functional.cross_entropy(x, t), X2, T),
    "cross_entropy_smoothing": (lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1), X2, T),
    "nll": (lambda lib, x, t: lib.nn.functional.nll_loss(lib.log_softmax(x, 1), t), X2, T),
    "bce": (lambda lib, p, y: lib.nn.functional.binary_cross_entropy(p, y), P2, R.random((4, 3))),
    "bce_logits": (lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(x, y), X2, R.random((4, 3))),
    "kl_div": (lambda lib, x, y: lib.nn.functional.kl_div(lib.log_softmax(x, 1), y, reduction="batchmean"),
               X2, P2),
    "cosine_similarity": (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), X2, R.standard_normal((4, 3))),
    "pairwise_distance": (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), X2, R.standard_normal((4, 3))),
    # activations
    **{name: (lambda lib, x, name=name, kw=kw: getattr(lib.nn.functional, name)(x, **kw), X2)
       for name, kw in {"relu": {}, "gelu": {}, "silu": {}, "elu": {"alpha": 0.7}, "selu": {},
                        "celu": {"alpha": 0.5}, "softplus": {"beta": 2.0}, "leaky_relu": {"negative_slope": 0.2},
                        "hardtanh": {"min_val": -0.5, "max_val": 0.5}, "mish": {}, "logsigmoid": {},
                        "tanhshrink": {}, "softsign": {}, "hardswish": {},
                        "log_softmax": {"dim": 1}, "softmax": {"dim": 0}, "softmin": {"dim": 1}}.items()},
    "gelu_tanh": (lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"), X2),
    "glu": (lambda lib, x: lib.nn.functional.glu(x, 0), X2),
    "prelu": (lambda lib, x, w: lib.nn.functional.prelu(x, w), X2, R.random(3)),
    "sigmoid_tanh": (lambda lib, x: lib.sigmoid(x) * lib.tanh(x), X2),
    "normalize": (lambda lib, x: lib.nn.functional.normalize(x, dim=1), X2),
}


@pytest.mark.parametrize("case", list(DOUBLE))
def test_second_derivatives_match_torch(case):
    fn, *arrays = DOUBLE[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = second_order(unigrad, fn, arrays)
        theirs = second_order(torch, fn, arrays)
    assert_close(ours[0], theirs[0], rtol=1e-6, atol=1e-8, what="first gradients")
    assert_close(ours[1], theirs[1], rtol=1e-5, atol=1e-7, what="second gradients")


def test_convolution_second_derivatives_match_torch():
    x, w, b = R.standard_normal((2, 2, 5, 5)), R.standard_normal((4, 1, 3, 3)), R.standard_normal(4)

    def fn(lib, x, w, b):
        return lib.nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2).tanh()
    assert_close(second_order(unigrad, fn, (x, w, b)), second_order(torch, fn, (x, w, b)),
                 rtol=1e-6, atol=1e-8)
