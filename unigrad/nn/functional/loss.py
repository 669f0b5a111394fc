"""Loss functions with PyTorch's reductions, defaults and numerically stable formulations."""
from __future__ import annotations

import math

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import pointwise as pw
from ...api.ops.support import sum_to_shape, values_checked_on_host
from ...api.tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from .activation import log_softmax, logsigmoid
from .distance import cosine_similarity  # noqa: F401 - also importable from here


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
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _check_reduction(reduction: str) -> str:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _weighted(elements: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_by_weight: bool = True) -> Tensor:
    """PyTorch's weighted regression losses: ``elements * weight`` reduced, the mean taken over
    the weights' sum (huber's over the element count)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    weighted = elements * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum() if mean_by_weight else weighted.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _needs_graph(*tensors) -> bool:
    return is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _elementwise_loss(name: str, value, partials: tuple, operands: tuple, reduction: str) -> Tensor:
    """A loss that is one graph node named ``name`` (as PyTorch's fused loss kernels are):
    ``value(*operands)`` gives the per-element loss and ``partials[i](*operands)`` its derivative
    with respect to operand i (None: not differentiable), evaluated only for operands that need a
    gradient; both are built from differentiable ops, so the gradient is itself differentiable."""
    _check_reduction(reduction)
    with no_grad():
        elements = value(*operands)
        out = _reduce(elements, reduction)
    if _needs_graph(*operands):
        count = elements.numel()

        def backward(g):
            scale = g if reduction != "mean" else g / count
            grads = []
            for operand, partial in zip(operands, partials):
                if partial is None or not operand.requires_grad:
                    grads.append(None)
                else:
                    grads.append(sum_to_shape(partial(*operands) * scale, tuple(operand.shape)))
            return tuple(grads)
        out._attach(name, backward, operands, operands)
    return out


@autocast_op("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error ``(input - target)^2`` (optionally weighted element-wise)."""
    _same_shape(input, target, "mse_loss")
    reduction = _legacy(size_average, reduce, reduction)
    if weight is not None:
        diff = input - target
        return _weighted(diff * diff, weight, input, reduction)
    return _elementwise_loss(
        "MseLossBackward0", lambda x, t: (x - t) * (x - t),
        (lambda x, t: (x - t) * 2.0, lambda x, t: (t - x) * 2.0), (input, target), reduction)


@autocast_op("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error (optionally weighted element-wise)."""
    _same_shape(input, target, "l1_loss")
    reduction = _legacy(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(pw.abs(input - target), weight, input, reduction)
    return _reduce(pw.abs(input - target), reduction)


@autocast_op("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``)."""
    _same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    reduction = _legacy(size_average, reduce, reduction)

    def value(x, t):
        diff = pw.abs(x - t)
        if beta == 0.0:
            return diff
        return pw.where(diff < beta, diff * diff * (0.5 / beta), diff - 0.5 * beta)

    def slope(x, t):
        d = x - t
        return pw.sign(d) if beta == 0.0 else pw.clamp(d / beta, -1.0, 1.0)
    return _elementwise_loss("SmoothL1LossBackward0", value, (slope, lambda x, t: -slope(x, t)), (input, target),
                             reduction)


@autocast_op("huber_loss")
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    _same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(huber_loss(input, target, "none", delta), weight, input, reduction, False)

    def value(x, t):
        diff = pw.abs(x - t)
        return pw.where(diff < delta, diff * diff * 0.5, (diff - 0.5 * delta) * delta)

    def slope(x, t):
        return pw.clamp(x - t, -delta, delta)
    return _elementwise_loss("HuberLossBackward0", value, (slope, lambda x, t: -slope(x, t)), (input, target),
                             reduction)


def _check_class_weight(weight, classes: int) -> None:
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")


def _check_probabilities(t: Tensor, what: str) -> None:
    """PyTorch's CPU check that BCE's input and target lie in [0, 1] (see values_checked_on_host)."""
    if values_checked_on_host(t) and t.numel() and not ((t >= 0) & (t <= 1)).all().item():
        raise RuntimeError(f"all elements of {what} should be between 0 and 1")


_ATEN_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_nll_shapes(input: Tensor, target: Tensor, weight) -> None:
    if target.dtype.is_floating_point or target.dtype is dtypes.bool:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_ATEN_NAMES.get(target.dtype.name, target.dtype.name)}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target.ndim == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    else:
        batch = target.shape[0] if target.ndim else 0
        if input.shape[0] != batch:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch}).")
        if input.ndim == 2 and target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim > 2 and tuple(target.shape) != tuple(input.shape[:1]) + tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {list(input.shape[:1]) + list(input.shape[2:])}, got "
                               f"{list(target.shape)}")
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C)."""
    if x.ndim <= 2:
        return x if x.ndim == 2 else x.unsqueeze(0)
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _classes_back(rows: Tensor, like: Tensor) -> Tensor:
    """The inverse of ``_classes_last`` for a tensor shaped like ``like``."""
    if like.ndim <= 2:
        return rows.reshape(tuple(like.shape))
    moved = tuple(like.shape[:1]) + tuple(like.shape[2:]) + (like.shape[1],)
    return rows.reshape(moved).movedim(-1, 1)


@autocast_op("nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (N, C), (C,) or
    (N, C, d...): one graph node (``NllLossBackward0``), as in PyTorch."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    _check_nll_shapes(input, target, weight)
    logp = _classes_last(input)
    flat = target.reshape(-1).long()
    valid = flat != ignore_index
    safe = pw.where(valid, flat, 0)
    classes = logp.shape[1]
    if not target._backend.deferred_index_checks and bool(((safe < 0) | (safe >= classes)).any()):
        bad = int(safe[(safe < 0) | (safe >= classes)][0].item())
        raise IndexError(f"Target {bad} is out of bounds.")
    with no_grad():
        w = valid.to(logp.dtype)
        if weight is not None:
            w = w * weight.to(logp.dtype)[safe]
        picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
        losses = -picked * w
        if reduction == "none":
            out = losses.reshape(tuple(target.shape) if input.ndim != 1 else ())
        elif reduction == "sum":
            out = losses.sum()
        else:
            total = w.sum()
            out = losses.sum() / total
    if _needs_graph(input):
        def backward(g):
            if reduction == "none":
                scale = g.reshape(-1) * w
            elif reduction == "sum":
                scale = w * g
            else:
                scale = w * (g / total)
            rows = creation.zeros(tuple(logp.shape), dtype=logp.dtype, device=logp.device)
            rows = rows.scatter(1, safe.unsqueeze(1), (-scale).unsqueeze(1))
            return (_classes_back(rows, input),)
        out._attach("NllLossBackward0", backward, (input,), (input,))
    return out


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
    if input.ndim == 1:  # one sample: as a batch of one
        loss = cross_entropy(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index=ignore_index,
                             reduction=reduction, label_smoothing=label_smoothing)
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


_BCE_EPSILON = float(np.float32(1e-12))  # PyTorch's kernel constant is a float, in every dtype


@autocast_op("binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` with each log clamped at -100, as PyTorch does; the
    gradient's denominator ``x (1 - x)`` is kept at least 1e-12, so it is finite at 0 and 1."""
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the "
                         f"input size ({_size(input.shape)}) is deprecated. Please ensure they have "
                         "the same size.")
    _check_probabilities(input.detach(), "input")
    _check_probabilities(target.detach(), "target")
    reduction = _legacy(size_average, reduce, reduction)
    if weight is not None:
        weight = weight.to(input.dtype)

    def value(x, t):
        loss = -(t * pw.clamp(pw.log(x), min=-100.0) + (1.0 - t) * pw.clamp(pw.log(1.0 - x), min=-100.0))
        return loss * weight if weight is not None else loss

    def weighted(derivative):
        return derivative if weight is None else lambda x, t: derivative(x, t) * weight

    def d_input(x, t):
        return (x - t) / pw.clamp((1.0 - x) * x, min=_BCE_EPSILON)

    def d_target(x, t):
        return pw.log(1.0 - x) - pw.log(x)  # -logit(x), unclamped as in PyTorch
    return _elementwise_loss("BinaryCrossEntropyBackward0", value, (weighted(d_input), weighted(d_target)),
                             (input, target), reduction)


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


@autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None) -> Tensor:
    """BCE on logits without overflow: ``(1 - t) x - (1 + (p - 1) t) log sigmoid(x)``."""
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    reduction = _legacy(size_average, reduce, reduction)

    def value(x, t):
        if pos_weight is not None:
            loss = (1 - t) * x - ((pos_weight - 1) * t + 1) * logsigmoid(x)
        else:
            loss = (1 - t) * x - logsigmoid(x)
        return loss * weight if weight is not None else loss

    def weighted(derivative):
        return derivative if weight is None else lambda x, t: derivative(x, t) * weight

    def d_input(x, t):
        if pos_weight is None:
            return pw.sigmoid(x) - t
        scaled = pos_weight * t
        return (scaled + 1 - t) * pw.sigmoid(x) - scaled

    def d_target(x, t):
        return -x if pos_weight is None else logsigmoid(-x) - logsigmoid(x) * pos_weight
    return _elementwise_loss("BinaryCrossEntropyWithLogitsBackward0", value, (weighted(d_input), weighted(d_target)),
                             (input, target), reduction)


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
    if reduction == "mean":
        import warnings
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support "
                      "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                      "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                      "major release.", stacklevel=3)
    return _reduce(loss, reduction)


_COSINE_EPSILON = 1e-12


@autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where it is -1."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    sizes = f"{list(input1.shape)} and {list(input2.shape)}"
    if target.ndim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}.")
    if target.ndim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}.")
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    squares1 = (input1 * input1).sum(dim) + _COSINE_EPSILON
    squares2 = (input2 * input2).sum(dim) + _COSINE_EPSILON
    cos = dot / pw.sqrt(squares1 * squares2)
    loss = pw.where(target == 1, 1.0 - cos, 0.0) + pw.where(target == -1, pw.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(loss, reduction)


@autocast_op("poisson_nll_loss")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(x) - t x`` (log-rate input) or ``x - t log(x + eps)``,
    plus Stirling's approximation of ``log(t!)`` for targets above 1 when ``full``."""
    reduction = _check_reduction(_legacy(size_average, reduce, reduction))
    loss = pw.exp(input) - target * input if log_input else input - target * pw.log(input + eps)
    if full:
        # computed for every target and masked, as PyTorch does (so target gradients match too)
        stirling = target * pw.log(target) - target + pw.log(target * (2 * math.pi)) * 0.5
        loss = loss + pw.where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``0.5 (log var + (input - target)^2 / var)`` with the
    variance clamped (not differentiably) at ``eps``; ``var`` may omit or size 1 one dim of input."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = creation.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (pw.clamp(var, min=eps) - var).detach()
    loss = (pw.log(var) + (input - target) * (input - target) / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
