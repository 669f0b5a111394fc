"""Embeddings (``embedding``, ``embedding_bag``) and one-hot encoding."""
from __future__ import annotations

import math

from ...api import creation, dtypes
from ...api.ops import indexing, pointwise as pw, shape as shape_ops
from ...api.ops.support import values_checked_on_host
from ...api.tensor import Tensor
from ...autograd.composite import presents_as
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad


class _EmbeddingLookup(Function):
    """Row lookup whose gradient skips ``padding_idx`` (its row never trains) and, with
    ``scale_grad_by_freq``, divides each row's gradient by how often the row was looked up."""

    @staticmethod
    def forward(ctx, weight: Tensor, indices: Tensor, padding_idx, scale_grad_by_freq: bool = False):
        ctx.shape, ctx.padding_idx, ctx.scale_grad_by_freq = tuple(weight.shape), padding_idx, scale_grad_by_freq
        ctx.save_for_backward(indices)
        return weight[indices]

    @staticmethod
    def backward(ctx, grad: Tensor):
        (indices,) = ctx.saved_tensors
        rows, width = ctx.shape
        flat = indices.reshape(-1)
        index = flat.unsqueeze(1).expand(flat.shape[0], width)
        total = indexing.scatter_add(creation.zeros(rows, width, dtype=grad.dtype, device=grad.device),
                                     0, index, grad.reshape(-1, width))
        if ctx.scale_grad_by_freq:
            counts = indexing.scatter_add(creation.zeros(rows, dtype=grad.dtype, device=grad.device), 0, flat,
                                          creation.ones(flat.shape[0], dtype=grad.dtype, device=grad.device))
            total = total / pw.clamp(counts, min=1.0).unsqueeze(1)
        if ctx.padding_idx is not None:
            total[ctx.padding_idx] = 0.0
        return total, None, None, None


def _check_indices(indices: Tensor, what: str = "indices") -> None:
    if indices.dtype.is_floating_point or indices.dtype is dtypes.bool:
        raise RuntimeError(f"Expected tensor for argument #1 '{what}' to have one of the following "
                           f"scalar types: Long, Int; but got {indices.dtype} instead")


def _refuse_sparse(sparse: bool) -> None:
    if sparse:
        raise NotImplementedError("sparse=True (sparse gradients) is not supported by unigrad: its "
                                  "tensors are dense; use sparse=False")


def _renorm_rows(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale, in place, every row of ``weight`` that ``indices`` names and whose ``norm_type``-norm
    exceeds ``max_norm`` down to norm ``max_norm`` (PyTorch's embedding_renorm_)."""
    with no_grad():
        used = indices.reshape(-1).long()
        norms = weight[used].norm(norm_type, dim=1, keepdim=True)
        scale = (norms > max_norm).to(weight.dtype) * (max_norm / (norms + 1e-7) - 1.0) + 1.0
        weight[used] = weight[used] * scale


def _lookup(weight: Tensor, indices: Tensor, padding_idx, scale_grad_by_freq: bool) -> Tensor:
    indices = indices.long() if indices.dtype is not dtypes.int64 else indices
    if padding_idx is None and not scale_grad_by_freq:
        return weight[indices]
    return _EmbeddingLookup.apply(weight, indices, padding_idx, scale_grad_by_freq)


@presents_as("EmbeddingBackward0", "weight")
def embedding(indices: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by integer ``indices``."""
    _check_indices(indices)
    _refuse_sparse(sparse)
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += weight.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    return _lookup(weight, indices, padding_idx, scale_grad_by_freq)


def _cat(a: Tensor, b: Tensor) -> Tensor:
    return shape_ops.cat([a, b], 0)


def _count_at_most(ascending: Tensor, queries: Tensor) -> Tensor:
    """For each query, how many entries of the ascending 1-D ``ascending`` are <= it (a binary
    search run for every query at once: log2(len) gathers)."""
    size = ascending.shape[0]
    low = creation.zeros(tuple(queries.shape), dtype=dtypes.int64, device=queries.device)
    high = creation.full(tuple(queries.shape), size, dtype=dtypes.int64, device=queries.device)
    for _ in range(max(size, 1).bit_length()):
        middle = pw.floor_divide(low + high, 2)
        probe = ascending[pw.clamp(middle, 0, max(size - 1, 0))] if size else middle
        right = (middle < high) & (probe <= queries)
        low = pw.where(right, middle + 1, low)
        high = pw.where(right, high, middle)
    return low


def _bags(indices: Tensor, offsets: Tensor, bags: int):
    """``(bag of each position, whether the position is in a bag, bag ends)`` for a 1-D input cut
    into ``bags`` bags at ``offsets`` (bags may be empty; the last one ends with the input, as in
    PyTorch, whatever a final offset says)."""
    n = indices.shape[0]
    starts = pw.clamp(offsets.long()[:bags], 0, n)
    positions = creation.arange(n, device=indices.device)
    bag = _count_at_most(starts, positions) - 1
    inside = bag >= 0
    ends = _cat(starts[1:], creation.full((1,), n, dtype=dtypes.int64, device=indices.device))
    return pw.where(inside, bag, 0), inside, ends


def _bag_maxima(rows: Tensor, bag: Tensor, kept: Tensor, ends: Tensor, n: int):
    """For each bag and feature, the position of the bag's largest row value (the first of equal
    ones): an inclusive segmented max-scan by doubling, read at each bag's last position."""
    with no_grad():
        values = pw.where(kept.unsqueeze(1), rows, -math.inf)
        where_from = creation.arange(n, device=rows.device).unsqueeze(1).expand(tuple(rows.shape))
        step = 1
        while step < n:
            earlier = values[:-step]
            same_bag = (bag[step:] == bag[:-step]).unsqueeze(1)
            take = same_bag & (earlier >= values[step:])
            values = _cat(values[:step], pw.where(take, earlier, values[step:]))
            where_from = _cat(where_from[:step], pw.where(take, where_from[:-step], where_from[step:]))
            step *= 2
        return where_from[pw.clamp(ends - 1, 0, max(n - 1, 0))]


def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, without materialising the rows of each
    bag separately: ``input`` is (B, N) (B bags of N) or 1-D cut into bags at ``offsets``."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    _check_indices(input, "indices")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a "
                             "mini-batch of fixed length sequences. However, found offsets of type "
                             f"{type(offsets)}")
        offsets = creation.arange(0, input.numel(), max(input.shape[1], 1), device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _refuse_sparse(sparse)
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights "
                                  f"is only supported for mode='sum' (got mode='{mode}'). Please open a "
                                  "feature request on GitHub.")
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{weight.shape[0]} "
                               f"through {weight.shape[0] - 1}, but got {padding_idx}")
        padding_idx %= weight.shape[0]
    if offsets.shape[0] and not input._backend.deferred_index_checks:
        first = int(offsets[0].item())
        if first != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                               f"to start from position 0. However, got {first}")
    return _embedding_bag(input, weight, offsets, scale_grad_by_freq, mode, per_sample_weights,
                          include_last_offset, padding_idx)


def _embedding_bag(indices, weight, offsets, scale_grad_by_freq, mode, per_sample_weights,
                   include_last_offset, padding_idx) -> Tensor:
    n, width = indices.shape[0], weight.shape[1]
    bags = offsets.shape[0] - (1 if include_last_offset else 0)
    if n == 0 or bags <= 0:
        return weight.sum() * 0.0 + creation.zeros(max(bags, 0), width, dtype=weight.dtype, device=weight.device)
    bag, inside, ends = _bags(indices, offsets, bags)
    kept = inside if padding_idx is None else inside & (indices != padding_idx)
    members = indexing.scatter_add(creation.zeros(bags, dtype=weight.dtype, device=weight.device), 0, bag,
                                   kept.to(weight.dtype))
    if mode == "max":
        picked = _bag_maxima(_lookup(weight, indices, None, False).detach(), bag, kept, ends, n)
        rows = indices.long()[picked.reshape(-1)].reshape(bags, width)
        return weight.gather(0, rows) * (members > 0).to(weight.dtype).unsqueeze(1)
    rows = _lookup(weight, indices, None, scale_grad_by_freq)
    factor = kept.to(weight.dtype)
    if per_sample_weights is not None:
        factor = factor * per_sample_weights
    index = bag.unsqueeze(1).expand(n, width)
    out = indexing.scatter_add(creation.zeros(bags, width, dtype=weight.dtype, device=weight.device), 0, index,
                               rows * factor.unsqueeze(1))
    if mode == "mean":
        out = out / pw.clamp(members, min=1.0).unsqueeze(1)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(..., num_classes)`` int64 tensor with a 1 at each index."""
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes < 0:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    elif values_checked_on_host(tensor) and tensor.numel():
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.max().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    # a scatter, so that devices with deferred index checks report classes out of range too
    out = creation.zeros(tuple(tensor.shape) + (num_classes,), dtype=dtypes.int64, device=tensor.device)
    return out.scatter_(-1, tensor.unsqueeze(-1), 1) if tensor.numel() and num_classes else out
