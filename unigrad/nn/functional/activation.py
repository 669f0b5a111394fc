"""Activation functions, composed from frontend ops (so every backend runs them)."""
from __future__ import annotations

import math

from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw, reduction as red
from ...api.tensor import Tensor


def _maybe_inplace(x: Tensor, result: Tensor, inplace: bool) -> Tensor:
    return x.copy_(result) if inplace else result


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return x.relu_() if inplace else pw.relu(x)


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(x, 0.0, 6.0, inplace)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    return x.clamp_(min_val, max_val) if inplace else pw.clamp(x, min_val, max_val)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, pw.where(x > 0, x, x * negative_slope), inplace)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, pw.where(x > 0, x, pw.expm1(pw.minimum(x, 0.0)) * alpha), inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, pw.where(x > 0, x, pw.expm1(pw.minimum(x, 0.0) / alpha) * alpha), inplace)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (exact, with erf) or its tanh approximation."""
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (pw.tanh(inner) + 1.0)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return x * 0.5 * (pw.erf(x * (1.0 / math.sqrt(2.0))) + 1.0)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, x * pw.sigmoid(x), inplace)


@autocast_op("softplus")
def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` (as PyTorch)."""
    scaled = x * beta
    # max(z, 0) + log1p(exp(-|z|)) never overflows, in any dtype
    soft = (pw.maximum(scaled, 0.0) + pw.log1p(pw.exp(-pw.abs(scaled)))) / beta
    return pw.where(scaled > threshold, x, soft)


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, x * pw.tanh(softplus(x)), inplace)


def sigmoid(x: Tensor) -> Tensor:
    return pw.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return pw.tanh(x)


def logsigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow: ``min(x, 0) - log1p(exp(-|x|))``."""
    return pw.minimum(x, 0.0) - pw.log1p(pw.exp(-pw.abs(x)))


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, pw.clamp(x / 6.0 + 0.5, 0.0, 1.0), inplace)


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(x, x * pw.clamp(x + 3.0, 0.0, 6.0) / 6.0, inplace)


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
