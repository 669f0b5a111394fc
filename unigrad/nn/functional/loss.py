"""Loss functions with PyTorch's reductions, defaults and numerically stable formulations."""
from __future__ import annotations

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw, reduction as red
from ...api.ops.support import values_checked_on_host
from ...api.tensor import Tensor
from .activation import log_softmax


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _same_shape(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}) in {name}. This will likely lead to incorrect results due "
                      "to broadcasting.", stacklevel=3)


@autocast_op("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, _legacy(size_average, reduce, reduction))


@autocast_op("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    _same_shape(input, target, "l1_loss")
    return _reduce(pw.abs(input - target), _legacy(size_average, reduce, reduction))


@autocast_op("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = pw.abs(input - target)
    if beta == 0.0:
        loss = diff
    else:
        loss = pw.where(diff < beta, diff * diff * (0.5 / beta), diff - 0.5 * beta)
    return _reduce(loss, _legacy(size_average, reduce, reduction))


@autocast_op("huber_loss")
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = pw.abs(input - target)
    loss = pw.where(diff < delta, diff * diff * 0.5, (diff - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_class_weight(weight, classes: int) -> None:
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")


def _check_probabilities(t: Tensor, what: str) -> None:
    """PyTorch's CPU check that BCE's input and target lie in [0, 1] (see values_checked_on_host)."""
    if values_checked_on_host(t) and t.numel() and not ((t >= 0) & (t <= 1)).all().item():
        raise RuntimeError(f"all elements of {what} should be between 0 and 1")


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    if x.ndim <= 2:
        return x if x.ndim == 2 else x.unsqueeze(0)
    return x.movedim(1, -1).reshape(-1, x.shape[1])


@autocast_op("nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (N, C) or (N, C, d...)."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if input.ndim == 2 and target.shape[:1] != input.shape[:1]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    if input.ndim >= 2 and target.shape != input.shape[:1] + input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, got "
                           f"{list(target.shape)}")
    _check_class_weight(weight, input.shape[1] if input.ndim >= 2 else input.shape[0])
    logp = _class_last(input)
    flat = target.reshape(-1).long()
    valid = flat != ignore_index
    safe = pw.where(valid, flat, 0)
    classes = logp.shape[1]
    if not target._backend.deferred_index_checks and bool(((safe < 0) | (safe >= classes)).any()):
        bad = int(safe[(safe < 0) | (safe >= classes)][0].item())
        raise IndexError(f"Target {bad} is out of bounds (number of classes: {classes}).")
    picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    loss = -picked * w
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


@autocast_op("cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input))`` for class indices, or the soft-target cross-entropy for
    class probabilities; optional ``weight``, ``ignore_index`` and ``label_smoothing``."""
    reduction = _legacy(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    _check_class_weight(weight, input.shape[class_dim])
    logp = log_softmax(input, class_dim)
    classes = input.shape[class_dim]
    if target.dtype.is_floating_point:
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim, classes)
    if input.ndim == 1:
        logp, target = logp.unsqueeze(0), target.unsqueeze(0)
        loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
        return loss.squeeze(0) if reduction == "none" else loss
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0.0:
        return loss
    ignore = target == ignore_index
    if weight is not None:
        shape = [1] * logp.ndim
        shape[class_dim] = classes
        smooth = -(logp * weight.reshape(shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            safe = pw.where(ignore, 0, target)
            smooth = smooth.sum() / (weight[safe] * (~ignore).to(weight.dtype)).sum()
        else:
            smooth = smooth.sum() / (~ignore).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim, classes):
    if tuple(target.shape) != tuple(logp.shape):
        raise RuntimeError(f"Expected target of shape {list(logp.shape)} for class probabilities, "
                           f"got {list(target.shape)}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = logp * target
    if weight is not None:
        shape = [1] * logp.ndim
        shape[class_dim] = classes
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (logp.numel() // classes) if logp.ndim > 1 else loss.sum()
    return _reduce(loss, reduction)


@autocast_op("binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100, as PyTorch does."""
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size ({list(target.shape)}) that is different to the "
                         f"input size ({list(input.shape)}) is deprecated. Please ensure they have "
                         "the same size.")
    _check_probabilities(input.detach(), "input")
    _check_probabilities(target.detach(), "target")
    log_x = pw.clamp(pw.log(input), min=-100.0)
    log_1mx = pw.clamp(pw.log(1.0 - input), min=-100.0)
    loss = -(target * log_x + (1.0 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy(size_average, reduce, reduction))


@autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None) -> Tensor:
    """BCE on logits without overflow: ``(1-t) x + w_pos (log1p(exp(-|x|)) + max(-x, 0))``."""
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size ({list(target.shape)}) must be the same as input size "
                         f"({list(input.shape)})")
    softplus_neg = pw.log1p(pw.exp(-pw.abs(input))) + pw.maximum(-input, 0.0)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy(size_average, reduce, reduction))


@autocast_op("kl_div")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log target - input)`` (input holds log-probabilities)."""
    if log_target:
        loss = pw.exp(target) * (target - input)
    else:  # xlogy(t, t) - t * input, with 0 log 0 = 0 (negative targets give nan, as in torch)
        safe = pw.where(target == 0, 1.0, target)
        loss = pw.where(target == 0, 0.0, target * pw.log(safe)) - target * input
    reduction = _legacy(size_average, reduce, reduction)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


@autocast_op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    dot = (x1 * x2).sum(dim)
    n1 = pw.clamp((x1 * x1).sum(dim), min=eps * eps)
    n2 = pw.clamp((x2 * x2).sum(dim), min=eps * eps)
    return dot * pw.rsqrt(n1 * n2)


@autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(x1, x2, target, margin: float = 0.0, reduction: str = "mean") -> Tensor:
    cos = cosine_similarity(x1, x2, dim=-1, eps=1e-12)
    loss = pw.where(target > 0, 1.0 - cos, pw.clamp(cos - margin, min=0.0))
    return _reduce(loss, reduction)


@autocast_op("poisson_nll_loss")
def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean") -> Tensor:
    loss = pw.exp(input) - target * input if log_input else input - target * pw.log(input + eps)
    return _reduce(loss, reduction)
