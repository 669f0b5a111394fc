"""Batch norm and layer norm as one graph node each, computed on backend buffers.

The composites in ``normalization.py`` record a dozen ops per call (statistics, centering,
scaling, the affine) and a longer backward; here the forward takes five to seven passes over the
input and the backward PyTorch's closed form (two reductions, then one expression), with
PyTorch's node (``NativeBatchNormBackward0``, ``NativeLayerNormBackward0``) over its inputs
``(input, weight, bias)``. Under ``create_graph`` the backward is the same closed form written
with differentiable tensor ops, so double backward works. Primitives only: every backend runs
this.
"""
from __future__ import annotations

from ...api.ops import pointwise as pw
from ...api.ops.support import contiguous_strides as _contiguous_strides, expand_buf, grad_state
from ...api.tensor import Tensor


def fused_norm_applies(x: Tensor, weight, bias, size: int) -> bool:
    """Whether the fused path takes these operands: a float32/float64 input and parameters of its
    dtype and device with ``size`` elements (anything else takes the composite)."""
    if x.__class__ is not Tensor or not x._dtype.is_floating_point or x._dtype.itemsize == 2:
        return False
    for p in (weight, bias):
        if p is not None and (p.__class__ is not Tensor or p._dtype is not x._dtype
                              or p._device is not x._device or p.numel() != size):
            return False
    return True


def _saved(*tensors) -> tuple:
    """What the node checks for in-place changes before its backward runs."""
    return tuple(t for t in tensors if t is not None)


def _spread(b, buf, shape):
    """A reduced (keepdim) buffer beside one of ``shape``: as it is where the backend broadcasts,
    else a stride-0 view."""
    if b.native_broadcasting or buf.shape == shape:
        return buf
    return expand_buf(Tensor._make(buf, None, None, b), shape)


def _per_channel(b, t: Tensor, shape):
    """A parameter of C elements as a (1, C, 1, ...) buffer."""
    return b.as_strided(t._buf, shape, tuple(0 if s == 1 else b.strides(t._buf)[0] for s in shape), 0)


def _reciprocal_sqrt(b, var, eps: float, dtype):
    """``1 / sqrt(var + eps)`` (a new buffer; ``var`` is small: one value per channel or row)."""
    out = b.add(var, eps)
    b.sqrt(out, out=out)
    return b.div(b.full(out.shape, 1.0, dtype), out)


def _mean(b, buf, dims, count: int, dtype):
    out = b.sum(buf, dims, True, dtype)
    return b.div(out, float(count), out=out)


# ----- batch norm ----------------------------------------------------------------------------------
def batch_norm_training(x: Tensor, weight, bias, eps: float):
    """``(out, mean, var)``: the batch-normalised ``x`` (one node) and the biased batch statistics
    (buffers of shape (1, C, 1, ...), for the running estimates)."""
    b, dtype = x._backend, x._dtype
    shape = x._buf.shape
    dims = (0,) + tuple(range(2, len(shape)))
    channel_shape = (1, shape[1]) + (1,) * (len(shape) - 2)
    count = 1
    for d in dims:
        count *= shape[d]
    xb = x._buf
    mean = _mean(b, xb, dims, count, dtype)
    centered = b.sub(xb, _spread(b, mean, shape))
    out = b.mul(centered, centered)
    var = _mean(b, out, dims, count, dtype)
    invstd = _reciprocal_sqrt(b, var, eps, dtype)
    scale = invstd if weight is None else b.mul(invstd, _per_channel(b, weight, channel_shape))
    b.mul(centered, _spread(b, scale, shape), out=out)
    if bias is not None:
        b.add(out, _spread(b, _per_channel(b, bias, channel_shape), shape), out=out)
    result = Tensor._make(out, dtype, x._device, b)
    if grad_state.enabled and (x._requires_grad or (weight is not None and weight._requires_grad)
                               or (bias is not None and bias._requires_grad)):
        def backward(g):
            if grad_state.enabled:  # create_graph
                return _batch_norm_backward_replayed(g, x, weight, bias, eps, dims)
            return _batch_norm_backward(g, x, weight, bias, centered, invstd, scale, dims, count)
        result._attach("NativeBatchNormBackward0", backward, (x, weight, bias), _saved(x, weight))
    return result, mean, var


def _batch_norm_backward(g: Tensor, x, weight, bias, centered, invstd, scale, dims, count):
    b, dtype = g._backend, g._dtype
    gb, shape = g._buf, centered.shape
    g_sum = b.sum(gb, dims, True, dtype)
    product = b.mul(gb, centered)
    g_centered = b.sum(product, dims, True, dtype)  # sum of g (x - mean)
    wrap = lambda buf: Tensor._make(buf, dtype, g._device, b)  # noqa: E731
    g_weight = g_bias = g_x = None
    if weight is not None and weight._requires_grad:
        g_weight = wrap(b.mul(g_centered, invstd)).reshape(weight.shape)
    if bias is not None and bias._requires_grad:
        g_bias = wrap(g_sum).reshape(bias.shape)
    if x._requires_grad:
        # dx = scale (g - mean(g) - (x - mean) invstd^2 mean(g (x - mean)))
        coef_centered = b.mul(b.mul(invstd, invstd), g_centered)
        b.mul(coef_centered, scale, out=coef_centered)
        b.div(coef_centered, float(-count), out=coef_centered)
        coef_constant = b.mul(g_sum, scale)
        b.div(coef_constant, float(-count), out=coef_constant)
        b.mul(centered, _spread(b, coef_centered, shape), out=product)
        b.add(product, _spread(b, coef_constant, shape), out=product)
        scaled_g = b.mul(gb, _spread(b, scale, shape))
        b.add(product, scaled_g, out=product)
        g_x = wrap(product)
    return g_x, g_weight, g_bias


def _batch_norm_backward_replayed(g: Tensor, x, weight, bias, eps, dims):
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    invstd = pw.rsqrt((centered * centered).mean(dims, keepdim=True) + eps)
    normalized = centered * invstd
    channel_shape = mean.shape
    g_weight = (g * normalized).sum(dims).reshape(weight.shape) if weight is not None else None
    g_bias = g.sum(dims).reshape(bias.shape) if bias is not None else None
    scale = invstd if weight is None else invstd * weight.reshape(channel_shape)
    g_x = scale * (g - g.mean(dims, keepdim=True) - normalized * (g * normalized).mean(dims, keepdim=True))
    return (g_x if x._requires_grad else None,
            g_weight if weight is not None and weight._requires_grad else None,
            g_bias if bias is not None and bias._requires_grad else None)


def batch_norm_inference(x: Tensor, running_mean: Tensor, running_var: Tensor, weight, bias, eps: float):
    """``x`` normalised with the running statistics (one node)."""
    b, dtype = x._backend, x._dtype
    shape = x._buf.shape
    channel_shape = (1, shape[1]) + (1,) * (len(shape) - 2)
    dims = (0,) + tuple(range(2, len(shape)))
    mean = _per_channel(b, running_mean, channel_shape)
    invstd = _reciprocal_sqrt(b, _per_channel(b, running_var, channel_shape), eps, dtype)
    scale = invstd if weight is None else b.mul(invstd, _per_channel(b, weight, channel_shape))
    out = b.sub(x._buf, _spread(b, mean, shape))
    b.mul(out, _spread(b, scale, shape), out=out)
    if bias is not None:
        b.add(out, _spread(b, _per_channel(b, bias, channel_shape), shape), out=out)
    result = Tensor._make(out, dtype, x._device, b)
    if grad_state.enabled and (x._requires_grad or (weight is not None and weight._requires_grad)
                               or (bias is not None and bias._requires_grad)):
        def backward(g):
            if grad_state.enabled:  # create_graph
                invstd_t = pw.rsqrt(running_var.reshape(channel_shape) + eps)
                normalized = (x - running_mean.reshape(channel_shape)) * invstd_t
                scale_t = invstd_t if weight is None else invstd_t * weight.reshape(channel_shape)
                return (g * scale_t if x._requires_grad else None,
                        (g * normalized).sum(dims).reshape(weight.shape)
                        if weight is not None and weight._requires_grad else None,
                        g.sum(dims).reshape(bias.shape) if bias is not None and bias._requires_grad else None)
            gb = g._buf
            wrap = lambda buf: Tensor._make(buf, dtype, g._device, b)  # noqa: E731
            g_x = wrap(b.mul(gb, _spread(b, scale, shape))) if x._requires_grad else None
            g_weight = g_bias = None
            if weight is not None and weight._requires_grad:
                centered = b.sub(x._buf, _spread(b, mean, shape))
                b.mul(centered, gb, out=centered)
                g_weight = wrap(b.mul(b.sum(centered, dims, True, dtype), invstd)).reshape(weight.shape)
            if bias is not None and bias._requires_grad:
                g_bias = wrap(b.sum(gb, dims, True, dtype)).reshape(bias.shape)
            return g_x, g_weight, g_bias
        result._attach("NativeBatchNormBackward0", backward, (x, weight, bias), _saved(x, weight))
    return result


# ----- layer norm ----------------------------------------------------------------------------------
def layer_norm(x: Tensor, dims: tuple, weight, bias, eps: float) -> Tensor:
    """``x`` normalised over its trailing ``dims`` (one node)."""
    b, dtype = x._backend, x._dtype
    xb = x._buf if x.is_contiguous() else x.contiguous()._buf
    shape = xb.shape
    size = 1
    for d in dims:
        size *= shape[d]
    rows = 1
    for s in shape[:len(shape) - len(dims)]:
        rows *= s
    flat = b.as_strided(xb, (rows, size), (size, 1), 0)  # (M, D)
    mean = _mean(b, flat, (1,), size, dtype)
    normalized = b.sub(flat, _spread(b, mean, (rows, size)))
    square = b.mul(normalized, normalized)
    invstd = _reciprocal_sqrt(b, _mean(b, square, (1,), size, dtype), eps, dtype)
    b.mul(normalized, _spread(b, invstd, (rows, size)), out=normalized)  # x-hat, kept for backward
    out = square
    if weight is not None:
        b.mul(normalized, _spread(b, _row_vector(b, weight, size), (rows, size)), out=out)
    else:
        b.copy_(out, normalized)
    if bias is not None:
        b.add(out, _spread(b, _row_vector(b, bias, size), (rows, size)), out=out)
    result = Tensor._make(b.as_strided(out, shape, _contiguous_strides(shape), 0), dtype, x._device, b)
    if grad_state.enabled and (x._requires_grad or (weight is not None and weight._requires_grad)
                               or (bias is not None and bias._requires_grad)):
        def backward(g):
            if grad_state.enabled:  # create_graph
                return _layer_norm_backward_replayed(g, x, dims, weight, bias, eps)
            return _layer_norm_backward(g, x, weight, bias, normalized, invstd, rows, size)
        result._attach("NativeLayerNormBackward0", backward, (x, weight, bias), _saved(x, weight))
    return result


def _row_vector(b, t: Tensor, size: int):
    """A parameter of the normalized shape as a (1, D) buffer."""
    flat = t._buf if t.is_contiguous() else t.contiguous()._buf
    return b.as_strided(flat, (1, size), (size, 1), 0)


def _layer_norm_backward(g: Tensor, x, weight, bias, normalized, invstd, rows: int, size: int):
    b, dtype = g._backend, g._dtype
    gb = g._buf if g.is_contiguous() else g.contiguous()._buf
    g_flat = b.as_strided(gb, (rows, size), (size, 1), 0)
    wrap = lambda buf, like: Tensor._make(b.as_strided(buf, tuple(like.shape), _contiguous_strides(like.shape), 0),  # noqa: E731
                                          dtype, g._device, b)
    g_weight = g_bias = g_x = None
    if bias is not None and bias._requires_grad:
        g_bias = wrap(b.sum(g_flat, (0,), False, dtype), bias)
    if weight is not None and weight._requires_grad:
        product = b.mul(g_flat, normalized)
        g_weight = wrap(b.sum(product, (0,), False, dtype), weight)
    if x._requires_grad:
        # dx = invstd (gw - mean(gw) - x-hat mean(gw x-hat)), gw = g * weight
        shape2 = (rows, size)
        gw = b.mul(g_flat, _spread(b, _row_vector(b, weight, size), shape2)) if weight is not None else g_flat
        coef = _mean(b, b.mul(gw, normalized), (1,), size, dtype)
        g_mean = _mean(b, gw, (1,), size, dtype)
        out = b.mul(normalized, _spread(b, coef, shape2))
        b.add(out, _spread(b, g_mean, shape2), out=out)
        b.sub(gw, out, out=out)
        b.mul(out, _spread(b, invstd, shape2), out=out)
        g_x = wrap(out, x)
    return g_x, g_weight, g_bias


def _layer_norm_backward_replayed(g: Tensor, x, dims, weight, bias, eps):
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    invstd = pw.rsqrt((centered * centered).mean(dims, keepdim=True) + eps)
    normalized = centered * invstd
    lead = tuple(range(x.ndim - len(dims)))
    g_weight = (g * normalized).sum(lead) if weight is not None and weight._requires_grad else None
    g_bias = g.sum(lead) if bias is not None and bias._requires_grad else None
    gw = g * weight if weight is not None else g
    g_x = invstd * (gw - gw.mean(dims, keepdim=True) - normalized * (gw * normalized).mean(dims, keepdim=True))
    return g_x if x._requires_grad else None, g_weight, g_bias
