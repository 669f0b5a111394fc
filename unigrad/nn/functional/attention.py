"""Scaled dot-product and multi-head attention."""
from __future__ import annotations

import math

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import linalg, pointwise as pw
from ...api.tensor import Tensor
from .dropout import dropout
from .linear import linear


def _additive_mask(mask: Tensor, dtype) -> Tensor:
    if mask.dtype is dtypes.bool:  # True means "may attend"
        return pw.where(mask, 0.0, -math.inf).to(dtype)
    return mask


@autocast_op("scaled_dot_product_attention")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(q k^T * scale + mask) v`` over the last two dims."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = linalg.matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        length, source = query.shape[-2], key.shape[-2]
        causal = creation.ones(length, source, dtype=dtypes.bool, device=query.device).tril()
        scores = scores + _additive_mask(causal, scores.dtype)
    if attn_mask is not None:
        scores = scores + _additive_mask(attn_mask, scores.dtype)
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return linalg.matmul(weights, value)


@autocast_op("multi_head_attention_forward")
def multi_head_attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, average_attn_weights=True,
                                 dropout_p=0.0, training=True, is_causal=False):
    """The computation of ``nn.MultiheadAttention`` on (L, N, E) inputs (sequence first)."""
    length, batch, embed = query.shape
    source = key.shape[0]
    head = embed // num_heads
    if query is key and key is value:
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    # (L, N, E) -> (N, H, L, head)
    q = q.reshape(length, batch * num_heads, head).transpose(0, 1).reshape(batch, num_heads, length, head)
    k = k.reshape(source, batch * num_heads, head).transpose(0, 1).reshape(batch, num_heads, source, head)
    v = v.reshape(source, batch * num_heads, head).transpose(0, 1).reshape(batch, num_heads, source, head)
    scores = linalg.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(head))
    if attn_mask is not None:
        mask = attn_mask if attn_mask.dtype is not dtypes.bool else pw.where(attn_mask, -math.inf, 0.0)
        mask = mask.to(scores.dtype)
        scores = scores + (mask.reshape(batch, num_heads, length, source) if mask.ndim == 3 else mask)
    elif is_causal:
        causal = creation.ones(length, source, dtype=dtypes.bool, device=query.device).triu(1)
        scores = scores + pw.where(causal, -math.inf, 0.0).to(scores.dtype)
    if key_padding_mask is not None:
        pad = key_padding_mask if key_padding_mask.dtype is not dtypes.bool \
            else pw.where(key_padding_mask, -math.inf, 0.0)
        scores = scores + pad.to(scores.dtype).reshape(batch, 1, 1, source)
    weights = scores.softmax(-1)
    if dropout_p > 0.0 and training:
        weights = dropout(weights, dropout_p)
    out = linalg.matmul(weights, v)  # (N, H, L, head)
    out = out.permute(2, 0, 1, 3).reshape(length, batch, embed)
    out = linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        return out, None
    return out, (weights.mean(1) if average_attn_weights else weights)
