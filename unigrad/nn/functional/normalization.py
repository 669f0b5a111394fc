"""Normalisation layers as composites: batch, layer, group and instance norm."""
from __future__ import annotations

import functools

from ...api import dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw
from ...api.tensor import Tensor
from ...autograd.composite import presents_as
from ...autograd.grad_mode import no_grad


def _float32_statistics(norm):
    """A 16-bit input is normalised in float32 (statistics included) and the result rounded back
    to its dtype, as PyTorch's kernels do; parameters and running statistics keep their dtype."""
    @functools.wraps(norm)
    def run(x: Tensor, *args, **kwargs) -> Tensor:
        if x._dtype in dtypes.LOW_PRECISION:
            return norm(x.float(), *args, **kwargs).to(x._dtype)
        return norm(x, *args, **kwargs)
    return run


def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(out: Tensor, weight, bias, shape=None) -> Tensor:
    """``out * weight + bias`` with per-channel parameters reshaped to ``shape`` (if given)."""
    if weight is not None:
        out = out * (weight.reshape(shape) if shape else weight)
    if bias is not None:
        out = out + (bias.reshape(shape) if shape else bias)
    return out


@presents_as("NativeBatchNormBackward0", "x", "weight", "bias")
@_float32_statistics
def batch_norm(x: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over the batch (and spatial) dims; in training, update the running statistics
    in place with the unbiased variance, as PyTorch does."""
    if x.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {x.ndim}D input)")
    dims = (0,) + tuple(range(2, x.ndim))
    shape = _channel_shape(x)
    if training:
        count = x.numel() // x.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(x.shape)}")
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) * (x - mean)).mean(dims, keepdim=True)
        if running_mean is not None:
            with no_grad():
                factor = momentum
                running_mean.mul_(1 - factor).add_(mean.detach().reshape(-1).to(running_mean.dtype) * factor)
                unbiased = var.detach().reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - factor).add_(unbiased.to(running_var.dtype) * factor)
    else:
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
    return _affine((x - mean) * pw.rsqrt(var + eps), weight, bias, shape)


@presents_as("NativeLayerNormBackward0", "x", "weight", "bias")
@autocast_op("layer_norm")
@_float32_statistics
def layer_norm(x: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
                           f"size {list(x.shape)}")
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return _affine(centered * pw.rsqrt(var + eps), weight, bias)


@presents_as("NativeGroupNormBackward0", "x", "weight", "bias")
@autocast_op("group_norm")
@_float32_statistics
def group_norm(x: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise over groups of channels (and spatial dims)."""
    n, c = x.shape[0], x.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(x.shape)} and num_groups={num_groups}")
    grouped = x.reshape(n, num_groups, -1)
    mean = grouped.mean(-1, keepdim=True)
    centered = grouped - mean
    var = (centered * centered).mean(-1, keepdim=True)
    return _affine((centered * pw.rsqrt(var + eps)).reshape(x.shape), weight, bias, _channel_shape(x))


@_float32_statistics
def instance_norm(x: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    dims = tuple(range(2, x.ndim))
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    out = centered * pw.rsqrt((centered * centered).mean(dims, keepdim=True) + eps)
    return _affine(out, weight, bias, _channel_shape(x))


@autocast_op("normalize")
def normalize(x: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    return x / pw.clamp(x.norm(p, dim, keepdim=True), min=eps)
