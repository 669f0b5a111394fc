"""Activation functions, composed from frontend ops (so every backend runs them)."""
from __future__ import annotations

import math

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import inplace as inplace_ops, pointwise as pw, reduction as red
from ...api.tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad


def _with_inplace(function):
    """``function`` plus its in-place form: the result is written into ``x``; under autograd it is
    computed from a copy of x, so the gradient sees the original values (PyTorch's original self)."""
    function.inplace = inplace_ops.make_inplace(function, function.__name__ + "_")
    return function


def _apply(function, x: Tensor, inplace: bool, *args) -> Tensor:
    return function.inplace(x, *args) if inplace else function(x, *args)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return x.relu_() if inplace else pw.relu(x)


def relu_(x: Tensor) -> Tensor:
    return x.relu_()


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(x, 0.0, 6.0, inplace)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return x.clamp_(min_val, max_val) if inplace else pw.clamp(x, min_val, max_val)


def hardtanh_(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(x, min_val, max_val, True)


@_with_inplace
def _leaky_relu(x: Tensor, negative_slope: float) -> Tensor:
    return pw.where(x > 0, x, x * negative_slope)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _apply(_leaky_relu, x, inplace, negative_slope)


def leaky_relu_(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _apply(_leaky_relu, x, True, negative_slope)


@_with_inplace
def _elu(x: Tensor, alpha: float) -> Tensor:
    return pw.where(x > 0, x, pw.expm1(pw.minimum(x, 0.0)) * alpha)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _apply(_elu, x, inplace, alpha)


def elu_(x: Tensor, alpha: float = 1.0) -> Tensor:
    return _apply(_elu, x, True, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_with_inplace
def _selu(x: Tensor) -> Tensor:
    return _elu(x, _SELU_ALPHA) * _SELU_SCALE


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_selu, x, inplace)


def selu_(x: Tensor) -> Tensor:
    return _apply(_selu, x, True)


@_with_inplace
def _celu(x: Tensor, alpha: float) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return pw.where(x > 0, x, pw.expm1(pw.minimum(x, 0.0) / alpha) * alpha)


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _apply(_celu, x, inplace, alpha)


def celu_(x: Tensor, alpha: float = 1.0) -> Tensor:
    return _apply(_celu, x, True, alpha)


@_with_inplace
def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    return pw.where(x > threshold, x, value)


def threshold(x: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _apply(_threshold, x, inplace, threshold, value)


def threshold_(x: Tensor, threshold: float, value: float) -> Tensor:
    return _apply(_threshold, x, True, threshold, value)


def _check_rrelu_bounds(lower: float, upper: float) -> None:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")


@_with_inplace
def _rrelu(x: Tensor, lower: float, upper: float, training: bool) -> Tensor:
    if not training:
        return _leaky_relu(x, (lower + upper) / 2)
    # one slope per element from the Philox stream (float32 draws whatever x's dtype, so the
    # slopes depend only on the stream)
    with no_grad():
        slopes = creation.rand(tuple(x.shape), dtype=dtypes.float32, device=x.device)
        slopes = (slopes * (upper - lower) + lower).to(x.dtype)
    return pw.where(x > 0, x, x * slopes)


def rrelu(x: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training each negative element is scaled by a slope drawn
    uniformly from [lower, upper]; in evaluation by their mean."""
    _check_rrelu_bounds(lower, upper)
    return _apply(_rrelu, x, inplace, lower, upper, training)


def rrelu_(x: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    _check_rrelu_bounds(lower, upper)
    return _apply(_rrelu, x, True, lower, upper, training)


@autocast_op("prelu")
def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)`` with one slope, or one per channel (dim 1)."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if x.ndim == 0:
        if weight.numel() != 1:
            raise RuntimeError("Not allow zero-dim input tensor.")
        return pw.where(x > 0, x, x * weight.reshape(()))
    channels = x.shape[1] if x.ndim >= 2 else 1
    count = weight.numel()
    if count != 1 and count != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {count} and channel size = {channels}.")
    if count == 1 or x.ndim == 1:
        slope = weight.reshape(())
    else:
        slope = weight.reshape((channels,) + (1,) * (x.ndim - 2))
    return pw.where(x > 0, x, x * slope)


def hardshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return pw.where(pw.abs(x) > lambd, x, 0.0)


def softshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_ATEN_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}, but found {lambd:g}")
    return pw.where(x > lambd, x - lambd, pw.where(x < -lambd, x + lambd, 0.0))


_ATEN_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}


def tanhshrink(x: Tensor) -> Tensor:
    return x - pw.tanh(x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (exact, with erf) or its tanh approximation."""
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (pw.tanh(inner) + 1.0)
    if approximate != "none":
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return x * 0.5 * (pw.erf(x * (1.0 / math.sqrt(2.0))) + 1.0)


@_with_inplace
def _silu(x: Tensor) -> Tensor:
    return x * pw.sigmoid(x)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_silu, x, inplace)


@autocast_op("softplus")
def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` (as PyTorch)."""
    scaled = x * beta
    # max(z, 0) + log1p(exp(-|z|)) never overflows, in any dtype
    soft = (pw.maximum(scaled, 0.0) + pw.log1p(pw.exp(-pw.abs(scaled)))) / beta
    return pw.where(scaled > threshold, x, soft)


@_with_inplace
def _mish(x: Tensor) -> Tensor:
    return x * pw.tanh(softplus(x))


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_mish, x, inplace)


def sigmoid(x: Tensor) -> Tensor:
    return pw.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return pw.tanh(x)


def logsigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow: ``min(x, 0) - log1p(exp(-|x|))``."""
    return pw.minimum(x, 0.0) - pw.log1p(pw.exp(-pw.abs(x)))


_ONE_SIXTH_FLOAT32 = float(np.float32(1.0 / 6.0))  # PyTorch's backward constant, in every dtype


@_with_inplace
def _hardsigmoid(x: Tensor) -> Tensor:
    with no_grad():
        out = pw.clamp(x + 3.0, 0.0, 6.0) / 6.0
    if x.requires_grad and is_grad_enabled():
        out._attach("HardsigmoidBackward0",
                    lambda g: (g * ((x > -3.0) & (x < 3.0)).to(g.dtype) * _ONE_SIXTH_FLOAT32,), (x,), (x,))
    return out


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_hardsigmoid, x, inplace)


@_with_inplace
def _hardswish(x: Tensor) -> Tensor:
    return x * pw.clamp(x + 3.0, 0.0, 6.0) / 6.0


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_hardswish, x, inplace)


def softsign(x: Tensor) -> Tensor:
    return x / (pw.abs(x) + 1.0)


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit-dim rule


@autocast_op("softmax")
def softmax(x: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return red.softmax(x, dim if dim is not None else _softmax_dim(x.ndim), dtype)


@autocast_op("log_softmax")
def log_softmax(x: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return red.log_softmax(x, dim if dim is not None else _softmax_dim(x.ndim), dtype)


@autocast_op("softmin")
def softmin(x: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    return softmax(-x, dim, dtype=dtype)


def glu(x: Tensor, dim: int = -1) -> Tensor:
    a, b = x.chunk(2, dim)
    return a * pw.sigmoid(b)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Samples from the Gumbel-softmax distribution (Gumbel noise from unigrad's Philox stream).
    ``hard``: one-hot samples whose gradient is that of the soft samples (straight-through)."""
    with no_grad():
        uniform = creation.rand(tuple(logits.shape), dtype=logits.dtype, device=logits.device)
        # Exponential(1) samples, kept off 0 so every Gumbel sample is finite
        exponential = pw.clamp(-pw.log1p(-uniform), min=float(dtypes.finfo(logits.dtype).tiny))
        gumbels = -pw.log(exponential)
    y_soft = red.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = creation.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
