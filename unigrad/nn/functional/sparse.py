"""Embeddings and one-hot encoding."""
from __future__ import annotations

from ...api import creation, dtypes
from ...api.ops import indexing
from ...api.ops.support import values_checked_on_host
from ...api.tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad


class _EmbeddingLookup(Function):
    """Row lookup whose gradient skips ``padding_idx`` (its row never trains, as in PyTorch)."""

    @staticmethod
    def forward(ctx, weight: Tensor, indices: Tensor, padding_idx):
        ctx.shape, ctx.padding_idx = tuple(weight.shape), padding_idx
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
        if ctx.padding_idx is not None:
            total[ctx.padding_idx] = 0.0
        return total, None, None


def embedding(indices: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by integer ``indices``."""
    if indices.dtype.is_floating_point:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {indices.dtype} instead")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if max_norm is not None:
        with no_grad():
            used = indices.reshape(-1).long()
            norms = weight[used].norm(norm_type, dim=1, keepdim=True)
            scale = (norms > max_norm).to(weight.dtype) * (max_norm / (norms + 1e-7) - 1.0) + 1.0
            weight[used] = weight[used] * scale
    indices = indices.long() if indices.dtype is not dtypes.int64 else indices
    if padding_idx is None and not scale_grad_by_freq:
        return weight[indices]
    return _EmbeddingLookup.apply(weight, indices, padding_idx)


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
