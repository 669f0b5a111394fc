"""Connectionist Temporal Classification loss: the log-space forward (alpha) recursion over
the blank-extended targets of the whole batch at once, and PyTorch's alpha-beta gradient.

The loss of each sample is one graph node (``CtcLossBackward0``). As in PyTorch, its gradient
with respect to ``log_probs`` is ``exp(log_probs) - exp(log(alpha beta summed per class) + nll -
log_probs)``: the gradient of the loss through a ``log_softmax`` producing ``log_probs``, which is
what networks feed CTC (the ``exp(log_probs)`` term cancels in log_softmax's backward).
"""
from __future__ import annotations

import math

import numpy as np

from ...api import creation, dtypes
from ...api.autocast_state import autocast_op
from ...api.ops import indexing, pointwise as pw, shape as shape_ops
from ...api.tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from .loss import _check_reduction

_NEG_INF = -math.inf


def _lengths(values, what: str) -> list:
    if isinstance(values, Tensor):
        return [int(v) for v in values.reshape(-1).tolist()]
    return [int(v) for v in values]


def _logsumexp(*terms: Tensor) -> Tensor:
    """Element-wise ``log(sum(exp(terms)))`` that is -inf where every term is -inf (never NaN)."""
    top = terms[0]
    for term in terms[1:]:
        top = pw.maximum(top, term)
    shift = pw.where(top == _NEG_INF, 0.0, top)
    total = pw.exp(terms[0] - shift)
    for term in terms[1:]:
        total = total + pw.exp(term - shift)
    return pw.log(total) + shift


def _shift_right(x: Tensor, by: int) -> Tensor:
    """``x`` moved ``by`` places along its last dim, -inf coming in."""
    if by >= x.shape[-1]:
        return creation.full(tuple(x.shape), _NEG_INF, dtype=x.dtype, device=x.device)
    pad = creation.full(tuple(x.shape[:-1]) + (by,), _NEG_INF, dtype=x.dtype, device=x.device)
    return shape_ops.cat([pad, x[..., :-by]], -1)


def _shift_left(x: Tensor, by: int) -> Tensor:
    if by >= x.shape[-1]:
        return creation.full(tuple(x.shape), _NEG_INF, dtype=x.dtype, device=x.device)
    pad = creation.full(tuple(x.shape[:-1]) + (by,), _NEG_INF, dtype=x.dtype, device=x.device)
    return shape_ops.cat([x[..., by:], pad], -1)


class _Problem:
    """The blank-extended targets of a batch and the masks both recursions use."""

    def __init__(self, log_probs: Tensor, targets: Tensor, input_lengths: list, target_lengths: list, blank: int):
        steps, batch, _ = log_probs.shape
        longest = max(target_lengths, default=0)
        width = 2 * longest + 1
        # where each sample's k-th label sits in ``targets`` (2-D: row b; 1-D: concatenated)
        where = np.zeros((batch, max(longest, 1)), dtype=np.int64)
        start = 0
        for b, length in enumerate(target_lengths):
            base = b * targets.shape[1] if targets.ndim == 2 else start
            where[b, :length] = base + np.arange(length)
            start += length
        picked = targets.reshape(-1).long()[creation.tensor(where, device=log_probs.device)] \
            if targets.numel() else creation.zeros(batch, max(longest, 1), dtype=dtypes.int64, device=log_probs.device)
        has_label = creation.tensor(np.arange(max(longest, 1))[None, :] < np.array(target_lengths)[:, None],
                                    device=log_probs.device)
        labels = pw.where(has_label, picked, blank)[:, :longest]
        blanks = creation.full((batch, longest + 1), blank, dtype=dtypes.int64, device=log_probs.device)
        pairs = shape_ops.stack([blanks[:, :longest], labels], 2).reshape(batch, 2 * longest)
        extended = shape_ops.cat([pairs, blanks[:, longest:]], 1)
        self.extended = extended  # (N, S): blank, l1, blank, l2, ..., blank
        self.skip = (extended != blank) & (extended != _shift_labels(extended))  # s-2 -> s allowed
        self.in_target = creation.tensor(np.arange(width)[None, :] < 2 * np.array(target_lengths)[:, None] + 1,
                                          device=log_probs.device)
        self.final = creation.tensor(_final_positions(target_lengths, width), device=log_probs.device)
        self.emit = log_probs.gather(2, extended.unsqueeze(0).expand(steps, batch, width))  # (T, N, S)
        self.input_lengths, self.target_lengths = input_lengths, target_lengths
        self.steps, self.batch, self.width = steps, batch, width

    def alpha(self) -> Tensor:
        """``alpha[t, n, s]``: log-probability of the prefixes ending in extended label s at t."""
        first = pw.where(self.in_target & (creation.arange(self.width, device=self.emit.device) < 2),
                         self.emit[0], _NEG_INF)
        rows = [first]
        previous = first
        for t in range(1, self.steps):
            skipped = pw.where(self.skip, _shift_right(previous, 2), _NEG_INF)
            current = _logsumexp(previous, _shift_right(previous, 1), skipped) + self.emit[t]
            previous = pw.where(self.in_target, current, _NEG_INF)
            rows.append(previous)
        return shape_ops.stack(rows)

    def beta(self) -> Tensor:
        """``beta[t, n, s]``: log-probability of the suffixes from extended label s at t (the
        emission at t included, as in PyTorch)."""
        last = creation.tensor(np.array(self.input_lengths) - 1, device=self.emit.device).unsqueeze(1)
        can_skip = _shift_left(self.skip.to(self.emit.dtype), 2) > 0  # s -> s+2 allowed
        following = creation.full((self.batch, self.width), _NEG_INF, dtype=self.emit.dtype, device=self.emit.device)
        rows = [None] * self.steps
        for t in range(self.steps - 1, -1, -1):
            skipped = pw.where(can_skip, _shift_left(following, 2), _NEG_INF)
            current = _logsumexp(following, _shift_left(following, 1), skipped) + self.emit[t]
            current = pw.where(self.in_target, current, _NEG_INF)
            start = pw.where(self.final, self.emit[t], _NEG_INF)
            current = pw.where(last == t, start, pw.where(last > t, current, _NEG_INF))
            rows[t] = following = current
        return shape_ops.stack(rows)

    def negative_log_likelihood(self, alpha: Tensor) -> Tensor:
        """``-log p(target | input)`` per sample, from alpha at each sample's last step."""
        last = np.array([max(t - 1, 0) for t in self.input_lengths])
        at_end = alpha[creation.tensor(last, device=alpha.device), creation.arange(self.batch, device=alpha.device)]
        ends = pw.where(self.final, at_end, _NEG_INF)
        top = ends.amax(1, keepdim=True)
        shift = pw.where(top == _NEG_INF, 0.0, top)
        likelihood = pw.log(pw.exp(ends - shift).sum(1, keepdim=True)) + shift
        empty = creation.tensor([0.0 if length == 0 else math.inf for length in self.target_lengths],
                                dtype=alpha.dtype, device=alpha.device)
        no_input = creation.tensor([t == 0 for t in self.input_lengths], device=alpha.device)
        return pw.where(no_input, empty, -likelihood.squeeze(1))


def _shift_labels(extended: Tensor) -> Tensor:
    """``extended[:, s - 2]`` (-1 for s < 2)."""
    pad = creation.full((extended.shape[0], min(2, extended.shape[1])), -1, dtype=dtypes.int64, device=extended.device)
    return shape_ops.cat([pad, extended[:, :-2]], 1)


def _final_positions(target_lengths: list, width: int) -> np.ndarray:
    """The extended positions a complete path may end in: the last label and the blank after it."""
    final = np.zeros((len(target_lengths), width), dtype=bool)
    for b, length in enumerate(target_lengths):
        final[b, 2 * length] = True
        if length:
            final[b, 2 * length - 1] = True
    return final


def _ctc_gradient(problem: _Problem, log_probs: Tensor, alpha: Tensor, nll: Tensor, zero_infinity: bool) -> Tensor:
    """PyTorch's gradient of each sample's loss with respect to ``log_probs`` (T, N, C), unscaled."""
    beta = problem.beta()
    joint = alpha + beta  # (T, N, S)
    top = joint.amax(2, keepdim=True)
    shift = pw.where(top == _NEG_INF, 0.0, top)
    index = problem.extended.unsqueeze(0).expand(tuple(joint.shape))
    per_class = indexing.scatter_add(creation.zeros(tuple(log_probs.shape), dtype=log_probs.dtype,
                                                    device=log_probs.device), 2, index, pw.exp(joint - shift))
    log_per_class = pw.log(per_class) + shift
    grad = pw.exp(log_probs) - pw.exp(log_per_class + nll.reshape(1, -1, 1) - log_probs)
    steps = creation.arange(problem.steps, device=log_probs.device).reshape(-1, 1, 1)
    inside = steps < creation.tensor(problem.input_lengths, device=log_probs.device).reshape(1, -1, 1)
    if zero_infinity:
        inside = inside & (nll != math.inf).reshape(1, -1, 1)
    return pw.where(inside, grad, 0.0)


def _check(log_probs: Tensor, targets: Tensor, input_lengths: list, target_lengths: list, blank: int) -> None:
    steps, batch, classes = log_probs.shape
    where = "(while checking arguments for ctc_loss_allocate_outputs)"
    if not log_probs.dtype.is_floating_point:
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{log_probs.dtype}\'')
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    for name, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        for length in lengths:
            if length < 0:
                raise RuntimeError(f"Expected {name} to have value at least 0, but got value {length} {where}")
    for length in input_lengths:
        if length > steps:
            raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value {length} {where}")
    if targets.ndim == 1:
        if sum(target_lengths) != targets.shape[0]:
            raise RuntimeError(f"Expected tensor to have size {sum(target_lengths)} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets' {where}")
    else:
        for length in target_lengths:
            if length > targets.shape[1]:
                raise RuntimeError(f"Expected tensor to have size at least {length} at dimension 1, but got size "
                                   f"{targets.shape[1]} for argument #2 'targets' {where}")


def _per_sample_ctc(log_probs: Tensor, targets: Tensor, input_lengths: list, target_lengths: list, blank: int,
                    zero_infinity: bool) -> Tensor:
    """Each sample's ``-log p(target | input)``, one graph node (``CtcLossBackward0``)."""
    with no_grad():
        problem = _Problem(log_probs.detach(), targets, input_lengths, target_lengths, blank)
        alpha = problem.alpha()
        nll = problem.negative_log_likelihood(alpha)
    if log_probs.requires_grad and is_grad_enabled():
        source = log_probs.detach()

        def backward(g):
            with no_grad():
                grad = _ctc_gradient(problem, source, alpha, nll, zero_infinity)
            return (grad * g.reshape(1, -1, 1),)
        nll._attach("CtcLossBackward0", backward, (log_probs,), (log_probs,))
    return nll


@autocast_op("ctc_loss")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of ``log_probs`` (T, N, C) or unbatched (T, C) against ``targets`` (N, S)
    padded or 1-D concatenated, with per-sample ``input_lengths`` and ``target_lengths``.
    ``reduction='mean'`` divides each loss by its target length, then averages over the batch."""
    _check_reduction(reduction)
    batched = log_probs.ndim == 3
    if not batched:  # one sample; its 1-D target is the concatenated form of a batch of one
        log_probs = log_probs.unsqueeze(1)
    inputs = _lengths(input_lengths, "input_lengths")
    labels = _lengths(target_lengths, "target_lengths")
    _check(log_probs, targets, inputs, labels, blank)
    losses = _per_sample_ctc(log_probs, targets, inputs, labels, blank, zero_infinity)
    if zero_infinity:
        losses = pw.where(losses == math.inf, 0.0, losses)
    if reduction == "mean":
        lengths = creation.tensor([max(n, 1) for n in labels], dtype=losses.dtype, device=losses.device)
        return (losses / lengths).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.squeeze(0)
