"""Top-level ``torch.*`` spellings of nn operations, with ATen's signatures.

PyTorch exposes many ``nn.functional`` operations a second time at the top level with the argument
lists of its ATen kernels (``torch.dropout(input, p, train)``, ``torch.embedding(weight, indices)``,
``torch.batch_norm(..., training, momentum, eps, cudnn_enabled)``, integer ``reduction`` codes);
code found on the internet calls them. Each one here forwards to the functional form.
"""
from __future__ import annotations

from ..nn import functional as F

__all__ = [
    "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "batch_norm", "bilinear",
    "binary_cross_entropy_with_logits", "celu", "celu_", "cosine_embedding_loss", "cosine_similarity",
    "ctc_loss", "dropout", "dropout_", "embedding", "feature_alpha_dropout", "feature_alpha_dropout_",
    "feature_dropout", "feature_dropout_", "group_norm", "hardshrink", "hinge_embedding_loss",
    "instance_norm", "kl_div", "layer_norm", "margin_ranking_loss", "max_pool1d_with_indices",
    "pairwise_distance", "poisson_nll_loss", "prelu", "rms_norm", "rrelu", "rrelu_", "selu", "selu_",
    "threshold", "threshold_", "triplet_margin_loss",
]

#: ATen's integer reduction codes (``at::Reduction``)
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(code) -> str:
    if isinstance(code, str):
        return code
    if code not in _REDUCTIONS:
        raise RuntimeError(f"{code} is not a valid value for reduction")
    return _REDUCTIONS[code]


# ----- dropout family: (input, p, train) ---------------------------------------------------------
def dropout(input, p: float, train: bool):
    return F.dropout(input, p, train)


def dropout_(input, p: float, train: bool):
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p: float, train: bool):
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input, p: float, train: bool):
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p: float, train: bool):
    """Whole channels (dim 1) zeroed, whatever the number of spatial dims."""
    return _feature(F.dropout2d, input, p, train, False)


def feature_dropout_(input, p: float, train: bool):
    return _feature(F.dropout2d, input, p, train, True)


def feature_alpha_dropout(input, p: float, train: bool):
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p: float, train: bool):
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def _feature(drop, input, p, train, inplace):
    if input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got {input.ndim}")
    flat = input.reshape(input.shape[0], input.shape[1], -1, 1) if input.ndim != 4 else input
    out = drop(flat, p, train, inplace=inplace)
    if inplace:
        return input
    return out.reshape(tuple(input.shape))


# ----- normalisation ----------------------------------------------------------------------------
def batch_norm(input, weight, bias, running_mean, running_var, training: bool, momentum: float,
               eps: float, cudnn_enabled: bool = True):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats: bool,
                  momentum: float, eps: float, cudnn_enabled: bool = True):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5, cudnn_enable: bool = True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5, cudnn_enabled: bool = True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return F.rms_norm(input, normalized_shape, weight, eps)


# ----- activations -----------------------------------------------------------------------------
def celu(input, alpha: float = 1.0):
    return F.celu(input, alpha)


def celu_(input, alpha: float = 1.0):
    return F.celu(input, alpha, inplace=True)


def selu(input):
    return F.selu(input)


def selu_(input):
    return F.selu(input, inplace=True)


def threshold(input, threshold: float, value: float):  # noqa: A002 - ATen's names
    return F.threshold(input, threshold, value)


def threshold_(input, threshold: float, value: float):
    return F.threshold(input, threshold, value, inplace=True)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, generator=None):
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, generator=None):
    return F.rrelu(input, lower, upper, training, inplace=True)


def hardshrink(input, lambd: float = 0.5):
    return F.hardshrink(input, lambd)


def prelu(input, weight):
    return F.prelu(input, weight)


# ----- layers and distances ----------------------------------------------------------------------
def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse: bool = False):
    """ATen's order: the weight first; ``padding_idx=-1`` means none."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def bilinear(input1, input2, weight, bias=None):
    return F.bilinear(input1, input2, weight, bias)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    return F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    return F.max_pool1d_with_indices(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_max_pool1d(input, output_size):
    """Values and indices, as ATen returns both."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


# ----- losses: integer reduction codes --------------------------------------------------------------
def kl_div(input, target, reduction=1, *, log_target: bool = False):
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction=1):
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction=1):
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction=1):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction=1):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction=1,
             zero_infinity: bool = False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      reduction=_reduction(reduction), zero_infinity=zero_infinity)
