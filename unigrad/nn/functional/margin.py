"""Margin and ranking losses: margin ranking, hinge embedding, soft margin, multi-class and
multi-label margin, multi-label soft margin, triplet margin (with a distance function)."""
from __future__ import annotations

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw
from ...api.tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from .activation import logsigmoid
from .distance import pairwise_distance
from .loss import _check_reduction, _elementwise_loss, _legacy, _needs_graph, _reduce


@autocast_op("margin_ranking_loss")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target (input1 - input2) + margin)``."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return _reduce(pw.clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def _size(t: Tensor) -> str:
    return f"torch.Size({list(t.shape)})"


@autocast_op("hinge_embedding_loss")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1`` (both
    terms where the target is neither)."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    beyond_margin = pw.where(target != 1, pw.clamp(margin - input, min=0.0), 0.0)
    return _reduce(beyond_margin + pw.where(target != -1, input, 0.0), reduction)


@autocast_op("soft_margin_loss")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``, one graph node (``SoftMarginLossBackward0``)."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument "
                           "'target'. This input cannot have requires_grad True.")
    return _elementwise_loss(
        "SoftMarginLossBackward0", lambda x, y: _softplus(-y * x),
        (lambda x, y: -y * pw.sigmoid(-y * x), None), (input, target), reduction)


def _softplus(z: Tensor) -> Tensor:
    """``log(1 + exp(z))`` without overflow."""
    return pw.maximum(z, 0.0) + pw.log1p(pw.exp(-pw.abs(z)))


def _as_rows(input: Tensor, target: Tensor, name: str):
    """(N, C) rows and (N,) targets of a multi-class loss (a 1-D input is one sample)."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    rows = input if input.ndim == 2 else input.unsqueeze(0)
    batch = rows.shape[0]
    if target.ndim > 1 or target.numel() != batch:
        raise RuntimeError(f"{name}: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{batch}], but got "
                           f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    return rows, target.reshape(batch).long()


@autocast_op("multi_margin_loss")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C`` per sample,
    one graph node (``MultiMarginLossBackward0``)."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    rows, labels = _as_rows(input, target, "multi_margin_loss")
    classes = rows.shape[1]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    if not labels._backend.deferred_index_checks and labels.numel() and bool(((labels < 0) | (labels >= classes)).any()):
        raise RuntimeError("target out of range")
    with no_grad():
        others = creation.arange(classes, device=rows.device).unsqueeze(0) != labels.unsqueeze(1)
        picked = rows.gather(1, labels.unsqueeze(1))
        z = rows - picked + margin
        active = (z > 0) & others
        terms = pw.where(active, z if p == 1 else z * z, 0.0)
        scale = weight.to(rows.dtype)[labels].unsqueeze(1) if weight is not None else None
        if scale is not None:
            terms = terms * scale
        losses = terms.sum(1) / classes
        out = _reduce(losses, reduction)
        if reduction == "none":
            out = out.reshape(tuple(target.shape) if input.ndim == 1 else (rows.shape[0],))
    if _needs_graph(input):
        def backward(g):
            per_sample = g.reshape(-1, 1) if reduction == "none" else g
            factor = per_sample / (classes * (rows.shape[0] if reduction == "mean" else 1))
            slope = active.to(rows.dtype) * (1.0 if p == 1 else 2.0 * z)
            if scale is not None:
                slope = slope * scale
            grad = slope * factor
            grad = grad - creation.zeros_like(grad).scatter(1, labels.unsqueeze(1), grad.sum(1, keepdim=True))
            return (grad.reshape(tuple(input.shape)),)
        out._attach("MultiMarginLossBackward0", backward, (input,), (input,))
    return out


@autocast_op("multilabel_margin_loss")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """``sum_{j in targets} sum_{k not in targets} max(0, 1 - (x_j - x_k)) / C`` per sample; the
    target lists class indices, ended by the first -1. One node (``MultilabelMarginLossBackward0``)."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    rows = input if input.ndim == 2 else input.unsqueeze(0)
    labels = (target if target.ndim == 2 else target.unsqueeze(0)).long()
    batch, classes = rows.shape
    if not labels._backend.deferred_index_checks and labels.numel() and \
            bool(((labels < -1) | (labels >= classes)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    with no_grad():
        # the listed targets: entries before the first -1 of each row
        listed = _before_first(labels, -1)
        safe = pw.where(listed, labels, 0)
        listed_f = listed.to(rows.dtype)
        is_target = creation.zeros(batch, classes, dtype=rows.dtype, device=rows.device).scatter_add(1, safe, listed_f) > 0
        picked = rows.gather(1, safe)  # x_j for each listed target j (B, C)
        z = 1.0 - picked.unsqueeze(2) + rows.unsqueeze(1)  # (B, j, k)
        active = (z > 0) & listed.unsqueeze(2) & (~is_target).unsqueeze(1)
        losses = pw.where(active, z, 0.0).sum((1, 2)) / classes
        out = _reduce(losses, reduction)
        if reduction == "none" and input.ndim == 1:
            out = out.reshape(())
    if _needs_graph(input):
        def backward(g):
            per_sample = g.reshape(-1, 1) if reduction == "none" else g
            factor = per_sample / (classes * (batch if reduction == "mean" else 1))
            counts = active.to(rows.dtype)
            towards_others = counts.sum(1) * factor  # + for each non-target k
            from_targets = counts.sum(2) * factor  # - for each listed target j
            grad = towards_others - creation.zeros_like(towards_others).scatter_add(1, safe, from_targets)
            return (grad.reshape(tuple(input.shape)),)
        out._attach("MultilabelMarginLossBackward0", backward, (input,), (input,))
    return out


def _before_first(labels: Tensor, stop: int) -> Tensor:
    """Per row, True up to (not including) the first entry equal to ``stop``."""
    hit = (labels == stop).to(dtypes.float32)
    seen = hit.cumsum(1) if labels.shape[1] else hit
    return seen == 0


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over the classes of each sample."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[input.ndim - 1]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _same_rank(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
                           f"negative {negative.ndim}D inputs")


@autocast_op("triplet_margin_loss")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the pairwise ``p``-distance (with
    ``swap``, ``d(a, n)`` is replaced by ``d(p, n)`` where that is smaller)."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _same_rank(anchor, positive, negative)
    return _triplet(lambda a, b: pairwise_distance(a, b, p, eps), anchor, positive, negative, margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """The triplet margin loss with any ``distance_function`` (default: pairwise distance)."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _same_rank(anchor, positive, negative)
    return _triplet(distance_function or pairwise_distance, anchor, positive, negative, margin, swap, reduction)


def _triplet(distance, anchor, positive, negative, margin, swap, reduction) -> Tensor:
    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        to_negative = pw.minimum(to_negative, distance(positive, negative))
    return _reduce(pw.clamp(to_positive + margin - to_negative, min=0.0), reduction)
