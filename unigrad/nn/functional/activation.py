"""Activation functions, composed from frontend ops (so every backend runs them)."""
from __future__ import annotations

import functools
import math

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import inplace as inplace_ops, pointwise as pw, reduction as red, shape as sh
from ...api.ops import result_inplace
from ...api.ops.support import sum_to_shape
from ...api.tensor import Tensor
from ...autograd.grad_mode import _state as _grad, is_grad_enabled, no_grad


def _with_inplace(function):
    """``function`` plus its in-place form: the result is written into ``x``; under autograd it is
    computed from a copy of x, so the gradient sees the original values (PyTorch's original self)."""
    function.inplace = inplace_ops.make_inplace(function, function.__name__ + "_")
    return function


def _apply(function, x: Tensor, inplace: bool, *args) -> Tensor:
    return function.inplace(x, *args) if inplace else function(x, *args)


def _one_node(x: Tensor, name: str, compute, derivative=None, backward=None) -> Tensor:
    """``compute(x)`` (built from frontend ops, recording nothing) as one node called ``name``
    (PyTorch's fused kernel) whose backward is ``g * derivative(x)`` (or ``backward(g, x)``),
    made of differentiable ops, so double backward works."""
    enabled = _grad.enabled
    _grad.enabled = False
    try:
        out = compute(x)
    finally:
        _grad.enabled = enabled
    if x._requires_grad and enabled:
        if out is x or out._base is not None:
            out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
        if backward is None:
            out._attach(name, lambda g: (g * derivative(x),), (x,), (x,))
        else:
            out._attach(name, lambda g: (backward(g, x),), (x,), (x,))
    return out


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return x.relu_() if inplace else pw.relu(x)


def relu_(x: Tensor) -> Tensor:
    return x.relu_()


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(x, 0.0, 6.0, inplace)


@_with_inplace
def _hardtanh(x: Tensor, min_val: float, max_val: float) -> Tensor:
    return _one_node(x, "HardtanhBackward0", lambda t: pw.clamp(t, min_val, max_val),
                     backward=result_inplace.hardtanh_backward(min_val, max_val))


_hardtanh.inplace = functools.partial(result_inplace.hardtanh_, general=_hardtanh.inplace)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(_hardtanh, x, inplace, min_val, max_val)


def hardtanh_(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(x, min_val, max_val, True)


@_with_inplace
def _leaky_relu(x: Tensor, negative_slope: float) -> Tensor:
    if x._dtype.is_floating_point and 0 < negative_slope <= 1:  # (0 * inf would be NaN)
        compute = lambda t: pw.maximum(t, t * negative_slope)  # noqa: E731  (two passes, no select)
    else:
        compute = lambda t: _leaky_relu_compute(t, negative_slope)  # noqa: E731
    return _one_node(x, "LeakyReluBackward0", compute,
                     backward=result_inplace.leaky_relu_backward(negative_slope))


def _leaky_relu_compute(x: Tensor, negative_slope: float) -> Tensor:
    return pw.where(x > 0, x, x * negative_slope)


def _leaky_relu_inplace(general):
    """In-place leaky_relu written into x, PyTorch's result-based ``LeakyReluBackward1``."""
    def inplace(x: Tensor, negative_slope: float) -> Tensor:
        return result_inplace.leaky_relu_(x, negative_slope,
                                          lambda t: _leaky_relu_compute(t, negative_slope), general)
    return inplace


_leaky_relu.inplace = _leaky_relu_inplace(_leaky_relu.inplace)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _apply(_leaky_relu, x, inplace, negative_slope)


def leaky_relu_(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _apply(_leaky_relu, x, True, negative_slope)


def _scaled_elu(x: Tensor, alpha: float, scale: float, input_scale: float, name: str) -> Tensor:
    """PyTorch's elu kernel: ``scale * x`` above 0, ``scale * alpha * (exp(input_scale x) - 1)``
    below, with its derivative."""
    def compute(t):
        return _elu_values(t, alpha, scale, input_scale)

    def derivative(t):  # PyTorch's test: the negative branch where t <= 0 (not at NaN)
        return pw.where(t <= 0, pw.exp(pw.minimum(t, 0.0) * input_scale) * (alpha * scale * input_scale), scale)
    return _one_node(x, name, compute, derivative)


def _elu_values(t: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    negative = pw.expm1(pw.minimum(t, 0.0) * input_scale) * (alpha * scale)
    return pw.where(t > 0, t * scale if scale != 1.0 else t, negative)


def _elu_inplace(function, name: str, parameters):
    """``function``'s in-place form, written into x with PyTorch's result-based node ``name``
    (``parameters(*args)`` gives its alpha, scale and input_scale)."""
    general = function.inplace

    def inplace(x: Tensor, *args) -> Tensor:
        alpha, scale, input_scale = parameters(*args)
        return result_inplace.elu_(x, lambda t: _elu_values(t, alpha, scale, input_scale), name,
                                   alpha, scale, input_scale, lambda: general(x, *args))
    function.inplace = inplace


@_with_inplace
def _elu(x: Tensor, alpha: float) -> Tensor:
    return _scaled_elu(x, alpha, 1.0, 1.0, "EluBackward0")


_elu_inplace(_elu, "EluBackward1", lambda alpha: (alpha, 1.0, 1.0))


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _apply(_elu, x, inplace, alpha)


def elu_(x: Tensor, alpha: float = 1.0) -> Tensor:
    return _apply(_elu, x, True, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_with_inplace
def _selu(x: Tensor) -> Tensor:
    return _scaled_elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0, "EluBackward0")


_elu_inplace(_selu, "EluBackward1", lambda: (_SELU_ALPHA, _SELU_SCALE, 1.0))


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_selu, x, inplace)


def selu_(x: Tensor) -> Tensor:
    return _apply(_selu, x, True)


def _celu_parameters(alpha: float) -> tuple:
    """celu as elu: its alpha, scale and input scale."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return alpha, 1.0, 1.0 / alpha


@_with_inplace
def _celu(x: Tensor, alpha: float) -> Tensor:
    return _scaled_elu(x, *_celu_parameters(alpha), "CeluBackward0")


_elu_inplace(_celu, "CeluBackward1", _celu_parameters)


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
    return _prelu_node(x, slope)


def _prelu_node(x: Tensor, slope: Tensor) -> Tensor:
    """``where(x > 0, x, slope x)`` as one node over ``x`` and the reshaped weight
    (PyTorch's PreluKernelBackward0)."""
    enabled = _grad.enabled
    _grad.enabled = False
    try:
        out = pw.where(x > 0, x, x * slope)
    finally:
        _grad.enabled = enabled
    need_x, need_slope = x._requires_grad, slope._requires_grad
    if enabled and (need_x or need_slope):
        shape = slope._buf.shape

        def backward(g):
            positive = x > 0
            gx = pw.where(positive, g, g * slope) if need_x else None
            gs = sum_to_shape(pw.where(positive, 0.0, g * x), shape) if need_slope else None
            return gx, gs
        out._attach("PreluKernelBackward0", backward, (x, slope), (x, slope))
    return out


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
        return _one_node(x, "GeluBackward0", _gelu_tanh, _gelu_tanh_derivative)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    if x._dtype.is_floating_point and x._dtype.itemsize != 2:
        return _gelu_exact(x)
    return _one_node(x, "GeluBackward0", lambda t: t * 0.5 * (pw.erf(t * _SQRT_HALF) + 1.0),
                     _gelu_derivative)


def _gelu_derivative(t: Tensor) -> Tensor:
    """``Phi(x) + x phi(x)``, differentiable (for double backward)."""
    return (pw.erf(t * _SQRT_HALF) + 1.0) * 0.5 + t * pw.exp(t * t * -0.5) * _INV_SQRT_2PI


def _gelu_exact(x: Tensor) -> Tensor:
    """``x Phi(x)`` on buffers, keeping ``Phi(x)`` for the backward (which then needs no erf)."""
    b = x._backend
    cdf = b.erf(b.mul(x._buf, _SQRT_HALF))
    b.add(cdf, 1.0, out=cdf)
    b.mul(cdf, 0.5, out=cdf)
    out = x._like(b.mul(x._buf, cdf))
    if x._requires_grad and _grad.enabled:
        def backward(g):
            if _grad.enabled:  # create_graph: differentiable in x
                return (g * _gelu_derivative(x),)
            xb = x._buf
            pdf = b.mul(xb, xb)
            b.mul(pdf, -0.5, out=pdf)
            b.exp(pdf, out=pdf)
            b.mul(pdf, _INV_SQRT_2PI, out=pdf)
            b.mul(pdf, xb, out=pdf)
            b.add(pdf, cdf, out=pdf)  # Phi(x) + x phi(x)
            return (g._like(b.mul(g._buf, pdf)),)
        out._attach("GeluBackward0", backward, (x,), (x,))
    return out


_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA, _GELU_KAPPA = math.sqrt(2.0 / math.pi), 0.044715


def _gelu_tanh(t: Tensor) -> Tensor:
    return t * 0.5 * (pw.tanh((t + t * t * t * _GELU_KAPPA) * _GELU_BETA) + 1.0)


def _gelu_tanh_derivative(t: Tensor) -> Tensor:
    """PyTorch's formula: ``0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) beta (1 + 3 kappa x^2)``."""
    square = t * t
    tanh_inner = pw.tanh((t + square * t * _GELU_KAPPA) * _GELU_BETA)
    right = (1.0 - tanh_inner * tanh_inner) * (t * 0.5) * ((square * (3.0 * _GELU_KAPPA) + 1.0) * _GELU_BETA)
    return (tanh_inner + 1.0) * 0.5 + right


@_with_inplace
def _silu(x: Tensor) -> Tensor:
    def derivative(t):
        sig = pw.sigmoid(t)
        return sig * (t * (1.0 - sig) + 1.0)
    return _one_node(x, "SiluBackward0", lambda t: t * pw.sigmoid(t), derivative)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_silu, x, inplace)


@autocast_op("softplus")
def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` (as PyTorch)."""
    def compute(t):
        scaled = t * beta
        # max(z, 0) + log1p(exp(-|z|)) never overflows, in any dtype
        soft = (pw.maximum(scaled, 0.0) + pw.log1p(pw.exp(-pw.abs(scaled)))) / beta
        return pw.where(scaled > threshold, t, soft)

    def derivative(t):
        scaled = t * beta
        return pw.where(scaled > threshold, 1.0, pw.sigmoid(scaled))
    return _one_node(x, "SoftplusBackward0", compute, derivative)


@_with_inplace
def _mish(x: Tensor) -> Tensor:
    def derivative(t):
        tanh_softplus = pw.tanh(softplus(t))
        return tanh_softplus + t * pw.sigmoid(t) * (1.0 - tanh_softplus * tanh_softplus)
    return _one_node(x, "MishBackward0", lambda t: t * pw.tanh(softplus(t)), derivative)


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    return _apply(_mish, x, inplace)


def sigmoid(x: Tensor) -> Tensor:
    return pw.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return pw.tanh(x)


def logsigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow: ``min(x, 0) - log1p(exp(-|x|))``."""
    return _one_node(x, "LogSigmoidBackward0",
                     lambda t: pw.minimum(t, 0.0) - pw.log1p(pw.exp(-pw.abs(t))),
                     lambda t: pw.sigmoid(-t))


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
    def derivative(t):  # PyTorch's: 0 below -3, x/3 + 1/2 up to 3, 1 above
        return pw.where(t < -3.0, 0.0, pw.where(t <= 3.0, t / 3.0 + 0.5, 1.0))
    return _one_node(x, "HardswishBackward0", lambda t: t * pw.clamp(t + 3.0, 0.0, 6.0) / 6.0,
                     derivative)


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
    """``a * sigmoid(b)`` for the halves ``a``, ``b`` of ``x`` along ``dim`` (one node)."""
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = x.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % x.ndim} is size {size}")

    def halves(t):
        return sh.narrow(t, dim, 0, size // 2), sh.narrow(t, dim, size // 2, size // 2)

    enabled = _grad.enabled
    _grad.enabled = False
    try:
        a, b = halves(x)
        out = a * pw.sigmoid(b)
    finally:
        _grad.enabled = enabled
    if x._requires_grad and enabled:
        def backward(g):
            first, second = halves(x)
            gate = pw.sigmoid(second)
            return (sh.cat([g * gate, g * first * gate * (1.0 - gate)], dim),)
        out._attach("GluBackward0", backward, (x,), (x,))
    return out


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
