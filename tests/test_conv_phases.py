"""Strided convolutions with enough channels (8 and up) for kernel-offset-major columns: the input
gradient of a convolution and the forward of a transposed one run col2im by phases (position
modulo stride). Values, gradients and second derivatives against torch, 1-D to 3-D."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close, check

# (spatial size, kernel, stride, padding, dilation, output_padding) per case
GEOMETRIES = {
    "k4s2p1": (6, 4, 2, 1, 1, 0),  # DCGAN's layers
    "k3s2p1op1": (5, 3, 2, 1, 1, 1),
    "k3s3p0op2": (4, 3, 3, 0, 1, 2),  # output_padding past the padding: zero rows appended
    "k3s2d2": (7, 3, 2, 2, 2, 1),
    "k5s3p2": (5, 5, 3, 2, 1, 0),
    "k1s2": (5, 1, 2, 0, 1, 1),
}


def _spatial(n: int, size: int) -> tuple:
    return tuple(size + i for i in range(n))  # unequal dims catch swapped axes


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_strided_conv_input_gradient(n, name):
    size, k, s, p, d, _ = GEOMETRIES[name]
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, 8) + _spatial(n, size)).astype(np.float32)
    w = rng.standard_normal((9, 8) + (k,) * n).astype(np.float32)
    b = rng.standard_normal(9).astype(np.float32)
    check(lambda lib, x, w, b: getattr(lib.nn.functional, f"conv{n}d")(x, w, b, stride=s, padding=p, dilation=d),
          x, w, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_strided_conv_transpose(n, name):
    size, k, s, p, d, op = GEOMETRIES[name]
    rng = np.random.default_rng(10 + n)
    x = rng.standard_normal((2, 9) + _spatial(n, size - 2)).astype(np.float32)
    w = rng.standard_normal((9, 8) + (k,) * n).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    check(lambda lib, x, w, b: getattr(lib.nn.functional, f"conv_transpose{n}d")(
        x, w, b, stride=s, padding=p, output_padding=op, dilation=d), x, w, b, rtol=1e-4, atol=1e-4)


def test_unbatched_conv_transpose_with_few_output_channels():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 5, 4)).astype(np.float32)  # one output channel: one GEMM
    w = rng.standard_normal((16, 1, 4, 4)).astype(np.float32)
    check(lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, stride=2, padding=1), x, w,
          rtol=1e-4, atol=1e-4)


def _second_derivatives(lib, fn, x, w):
    xt = lib.tensor(x, requires_grad=True)
    wt = lib.tensor(w, requires_grad=True)
    y = fn(lib, xt, wt)
    g = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))
    gx, gw = lib.autograd.grad(y, (xt, wt), g, create_graph=True)
    ((gx * gx).sum() + (gw * gw).sum()).backward()
    return gx, gw, xt.grad, wt.grad


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
def test_second_derivatives_through_phases(transposed):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 8, 5, 6))
    if transposed:
        w = rng.standard_normal((8, 8, 3, 3))
        fn = lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    else:
        w = rng.standard_normal((8, 8, 3, 3))
        fn = lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2, padding=1)
    ours = _second_derivatives(unigrad, fn, x, w)
    theirs = _second_derivatives(torch, fn, x, w)
    for what, a, b in zip(("grad x", "grad w", "grad grad x", "grad grad w"), ours, theirs):
        assert_close(a, b, what=what)


@pytest.mark.parametrize("order", [None, (0, 2, 3, 1)], ids=["c_order", "channels_last"])
@pytest.mark.parametrize("stride, dilation", [((2, 3), (1, 1)), ((2, 2), (2, 1))])
def test_fold_of_kernel_major_patches(order, stride, dilation):
    from unigrad.api.ops import windows as win
    rng = np.random.default_rng(7)
    kernel, out_sizes, batch, channels = (3, 2), (4, 3), 2, 3
    shape = (batch, channels) + tuple((o - 1) * s + d * (k - 1) + 1 + 1  # one unreached row/column
                                      for o, s, d, k in zip(out_sizes, stride, dilation, kernel))
    memory = rng.standard_normal(kernel + (batch, channels) + out_sizes)  # kernel dims outermost
    leaf = unigrad.tensor(memory, requires_grad=True)
    patches = leaf.permute(2, 3, 4, 5, 0, 1)  # (N, C, *out, *k)
    out = win.fold(patches, shape, kernel, stride, dilation, order)
    columns = torch.tensor(memory).permute(2, 3, 0, 1, 4, 5).reshape(batch, -1, out_sizes[0] * out_sizes[1])
    expected = torch.nn.functional.fold(columns, shape[2:], kernel, dilation=dilation, stride=stride)
    assert_close(out, expected)
    weight = rng.standard_normal(shape)
    (out * unigrad.tensor(weight)).sum().backward()  # the adjoint: every patch element reads its position
    expected_grad = torch.nn.functional.unfold(torch.tensor(weight), kernel, dilation=dilation, stride=stride)
    expected_grad = expected_grad.reshape((batch, channels) + kernel + out_sizes).permute(2, 3, 0, 1, 4, 5)
    assert_close(leaf.grad, expected_grad, what="grad")
