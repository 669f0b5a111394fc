"""Normalisation layers as composites: batch, layer, group and instance norm."""
from __future__ import annotations

import functools

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw, shape as shape_ops
from ...api.tensor import Tensor
from ...autograd.function import Function
from ...autograd.composite import presents_as
from ...autograd.grad_mode import no_grad
from . import fused_norms


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


@_float32_statistics
def batch_norm(x: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over the batch (and spatial) dims; in training, update the running statistics
    in place with the unbiased variance, as PyTorch does."""
    if x.ndim < 2:
        raise ValueError(f"expected 2D or more input (got {x.ndim}D input)")
    channels = x.shape[1]
    if training:
        count = x.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(x.shape)}")
        if fused_norms.fused_norm_applies(x, weight, bias, channels):
            out, mean, var = fused_norms.batch_norm_training(x, weight, bias, eps)
            if running_mean is not None:
                _update_running(running_mean, running_var, x._like(mean), x._like(var), momentum, count)
            return out
    elif (running_mean is not None and running_var is not None
          and fused_norms.fused_norm_applies(x, weight, bias, channels)
          and fused_norms.fused_norm_applies(x, running_mean, running_var, channels)):
        return fused_norms.batch_norm_inference(x, running_mean, running_var, weight, bias, eps)
    return _batch_norm_composite(x, running_mean, running_var, weight, bias, training, momentum, eps)


def _update_running(running_mean, running_var, mean: Tensor, var: Tensor, momentum: float, count: int) -> None:
    """The running estimates move towards the batch mean and the unbiased batch variance."""
    with no_grad():
        running_mean.mul_(1 - momentum).add_(mean.reshape(-1).to(running_mean.dtype) * momentum)
        unbiased = var.reshape(-1) * (count / (count - 1))
        running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)


@presents_as("NativeBatchNormBackward0", "x", "weight", "bias")
def _batch_norm_composite(x: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
                          momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    dims = (0,) + tuple(range(2, x.ndim))
    shape = _channel_shape(x)
    if training:
        count = x.numel() // x.shape[1]
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
    size = 1
    for n in normalized_shape:
        size *= n
    if fused_norms.fused_norm_applies(x, weight, bias, size) and x.numel():
        return fused_norms.layer_norm(x, dims, weight, bias, eps)
    return _layer_norm_composite(x, dims, weight, bias, eps)


@presents_as("NativeLayerNormBackward0", "x", "weight", "bias")
def _layer_norm_composite(x: Tensor, dims, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
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


def _verify_spatial_size(x: Tensor) -> None:
    spatial = 1
    for size in x.shape[2:]:
        spatial *= size
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{_size_repr(x.shape)}")


def _size_repr(shape) -> str:
    return f"unigrad.Size({list(shape)})"


@_float32_statistics
def instance_norm(x: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims; with ``running_mean`` and
    ``running_var``, update them in place with the batch average of the per-sample statistics
    (or, without ``use_input_stats``, normalise with them)."""
    shape = _channel_shape(x)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        out = (x - running_mean.reshape(shape)) * pw.rsqrt(running_var.reshape(shape) + eps)
        return _affine(out, weight, bias, shape)
    _verify_spatial_size(x)
    dims = tuple(range(2, x.ndim))
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    if running_mean is not None or running_var is not None:
        count = x.numel() // max(x.shape[0] * x.shape[1], 1)
        with no_grad():
            if running_mean is not None:
                batch_mean = mean.detach().reshape(x.shape[0], x.shape[1]).mean(0)
                running_mean.mul_(1 - momentum).add_(batch_mean.to(running_mean.dtype) * momentum)
            if running_var is not None:
                unbiased = var.detach().reshape(x.shape[0], x.shape[1]).mean(0) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
    return _affine(centered * pw.rsqrt(var + eps), weight, bias, shape)


def _normalized_dims(x: Tensor, normalized_shape) -> tuple:
    """The trailing dims ``normalized_shape`` names (checked against ``x``'s shape)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(normalized_shape) > x.ndim or tuple(x.shape[x.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*{', '.join(map(str, normalized_shape))}], but got input of "
                           f"size{list(x.shape)}")
    return normalized_shape, tuple(range(x.ndim - len(normalized_shape), x.ndim))


def rms_norm(x: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims; ``eps``
    defaults to the machine epsilon of the dtype the statistics are computed in."""
    normalized_shape, dims = _normalized_dims(x, normalized_shape)
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight "
                           f"of shape {list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    work = x.float() if x._dtype in dtypes.LOW_PRECISION else x
    if eps is None:
        eps = dtypes.finfo(work.dtype).eps
    out = work * pw.rsqrt((work * work).mean(dims, keepdim=True) + eps)
    if work is not x:
        out = out.to(x.dtype)
    return out * weight if weight is not None else out


def local_response_norm(x: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean of x^2 over a window of size channels) ** beta`` (the window is
    zero-padded at the ends and always divided by ``size``)."""
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {x.ndim} dimensions)")
    if x.numel() == 0:
        return x
    channels = x.shape[1]
    square = x * x
    before, after = size // 2, (size - 1) // 2
    pieces = []
    if before:
        pieces.append(creation.zeros((x.shape[0], before) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device))
    pieces.append(square)
    if after:
        pieces.append(creation.zeros((x.shape[0], after) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device))
    padded = shape_ops.cat(pieces, 1) if len(pieces) > 1 else square
    total = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        total = total + padded.narrow(1, offset, channels)
    div = pw.pow(total * (alpha / size) + k, beta)
    return x / div


def _channel_windows(channels: int, rows) -> np.ndarray:
    """A (channels, channels) 0/1 matrix: row c marks the channels ``rows(c)`` sums."""
    matrix = np.zeros((channels, channels))
    for c in range(channels):
        matrix[c, list(rows(c))] = 1.0
    return matrix


def _over_channels(x: Tensor, matrix) -> Tensor:
    """``out[:, c] = sum_j matrix[c, j] x[:, j]`` for a 4-D (N, C, H, W) ``x``."""
    weights = creation.tensor(matrix.T, dtype=x.dtype, device=x.device)
    return (x.permute(0, 2, 3, 1) @ weights).permute(0, 3, 1, 2)


class CrossMapLRN2d(Function):
    """PyTorch's legacy cross-channel LRN, reproduced exactly: its forward's running window never
    drops channel 0 once it has moved past it, and its hand-written backward uses a window offset
    from the forward's; both are kept so values and gradients match PyTorch's."""

    @staticmethod
    def forward(ctx, x: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        if x.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {x.ndim}D instead.")
        channels = x.shape[1]
        pre_pad = int((size - 1) / 2 + 1)

        def window(c):
            members = set(range(0, min(c + pre_pad - 1, channels - 1) + 1))
            if c > pre_pad:
                members -= set(range(1, c - pre_pad + 1))
            return sorted(members)

        scale = _over_channels(x * x, _channel_windows(channels, window)) * (alpha / size) + k
        out = x * pw.pow(scale, -beta)
        ctx.save_for_backward(x, out, scale)
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, out, scale = ctx.saved_tensors
        size, channels = ctx.size, x.shape[1]
        offset = int(size - (size - 1) / 2)

        def window(c):
            return range(max(c - offset, 0), min(c + size - 1 - offset, channels - 1) + 1)

        ratio = _over_channels(grad * out / scale, _channel_windows(channels, window))
        grad_x = pw.pow(scale, -ctx.beta) * grad - x * ratio * (2 * ctx.alpha * ctx.beta / size)
        return grad_x, None, None, None, None


@autocast_op("normalize")
def normalize(x: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    return x / pw.clamp_min(x.norm(p, dim, keepdim=True), eps).expand_as(x)
