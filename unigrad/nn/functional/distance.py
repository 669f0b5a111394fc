"""Distances between vectors: ``pairwise_distance``, ``cosine_similarity`` (and the vector norm
with PyTorch's gradient, which is 0 where the norm is 0)."""
from __future__ import annotations

import math

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw, reduction as red
from ...api.ops.shape import broadcast_tensors
from ...api.tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad


def _norm_backward(g: Tensor, x: Tensor, norm: Tensor, p: float, dim, keepdim: bool) -> Tensor:
    """PyTorch's norm_backward: the gradient of ``||x||_p`` over ``dim``, 0 where the norm is 0."""
    if not keepdim:
        g, norm = g.unsqueeze(dim), norm.unsqueeze(dim)
    if p == 0:
        return x * 0.0
    if p == 1:
        return pw.sign(x) * g
    if p == 2:
        return x * (g / pw.where(norm == 0, math.inf, norm))
    if math.isinf(p):
        ties = (pw.abs(x) == norm).to(x.dtype)
        return pw.sign(x) * ties * (g / ties.sum(dim, keepdim=True))
    magnitude = pw.abs(x)
    if p < 1:
        scaled = pw.sign(x) * pw.where(x == 0, 0.0, pw.pow(magnitude, p - 1))
        return scaled * g * pw.pow(norm, 1 - p)
    if p < 2:
        scaled = pw.sign(x) * pw.pow(magnitude, p - 1)
    else:
        scaled = x * pw.pow(magnitude, p - 2)
    return scaled * pw.where(norm == 0, 0.0, g / pw.pow(norm, p - 1))


def vector_norm(x: Tensor, p: float = 2.0, dim: int = -1, keepdim: bool = False) -> Tensor:
    """``||x||_p`` over one dim (``p`` may be 0 or +-inf) with PyTorch's ``NormBackward1``."""
    with no_grad():
        norm = red.norm(x, p, dim, keepdim)
    if x.requires_grad and is_grad_enabled():
        dim = dim % max(x.ndim, 1)
        result = pw._saved(norm)  # the norm itself, differentiable when the backward is recorded
        norm._attach("NormBackward1", lambda g: (_norm_backward(g, x, result, p, dim, keepdim),),
                     (x,), (x, result))
    return norm


@autocast_op("pairwise_distance")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (of the broadcast shape)."""
    innermost = max(x1.ndim, x2.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, innermost, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The ``p``-norm distance between every pair of rows of (N, M) ``input``: the N (N - 1) / 2
    entries above the diagonal of the distance matrix, row by row."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = np.triu_indices(input.shape[0], 1)
    rows = creation.tensor(np.stack([first, second]), dtype=dtypes.int64, device=input.device)
    return vector_norm(input[rows[0]] - input[rows[1]], p, -1)


@autocast_op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1 / max(||x1||, eps), x2 / max(||x2||, eps)>`` along ``dim`` of the broadcast shape
    (each normalised first, so the result stays in [-1, 1]; as in PyTorch the clamp to ``eps`` is
    not differentiated)."""
    common = dtypes.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_ATEN_NAMES.get(common.name, common.name)}")
    x1, x2 = broadcast_tensors(x1.to(common), x2.to(common))
    n1, n2 = vector_norm(x1, 2, dim, True), vector_norm(x2, 2, dim, True)
    n1 = n1 + (pw.clamp(n1, min=eps) - n1).detach()
    n2 = n2 + (pw.clamp(n2, min=eps) - n2).detach()
    return ((x1 / n1) * (x2 / n2)).sum(dim)


_ATEN_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
