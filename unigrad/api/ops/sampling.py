"""multinomial: categories drawn from the unigrad random stream by inverse transform sampling.

Each draw scales a uniform number by a row's total weight and binary-searches the running sums of
the weights. Every step is exact or correctly rounded the same way everywhere (the stream's
uniform floats, IEEE additions in a fixed order, multiplications, comparisons), so one seed gives
bitwise the same samples on every backend. A few weights (at most ``_HOST_WEIGHTS``) are drawn from
on the host, whatever the device: one read of the weights and uniforms instead of a dozen launches.
Without replacement, draws are made one after the other, each from the weights not yet drawn.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ...autograd.grad_mode import no_grad
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .prefix_scan import inclusive_scan
from .random import uniform_buffer
from .searching import search_rows
from .support import Tensor


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """``num_samples`` category indices per row of the 1-D or 2-D non-negative weights ``input``
    (they need not sum to one), drawn with or without ``replacement``: int64 of shape
    ``(num_samples,)`` or ``(rows, num_samples)``."""
    if not input._dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{names.get(input._dtype.name, input._dtype.name)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    categories = input._buf.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = input._buf.shape[0] if input.ndim == 2 else 1
    if rows == 0:
        return input._like(input._backend.empty((0, num_samples), dtypes.int64), dtypes.int64)
    if ((replacement or num_samples == 1) and rows * categories <= _HOST_WEIGHTS
            and rows * num_samples * categories <= 1 << 20):
        # a few weights (a policy's action probabilities): drawn on the host from one read of
        # the weights and the stream's uniforms, the same on every backend
        backend = input._backend
        work = dtypes.accumulate_dtype(input._dtype)  # 16-bit weights are summed in float32
        host = backend.to_numpy(input._buf).reshape(rows, categories).astype(work.numpy, copy=False)
        _check_host_distribution(host, replacement and num_samples > 1)
        uniforms = backend.to_numpy(uniform_buffer(backend, (rows, num_samples), work, generator))
        picked = _draw_on_host(host, uniforms)
        if input.ndim == 1:
            picked = picked.reshape(num_samples)
        return input._like(backend.from_numpy(picked), dtypes.int64)
    with no_grad():
        weights = sh.reshape(input.detach(), (rows, categories))
        work = dtypes.accumulate_dtype(weights._dtype)  # 16-bit weights are summed in float32
        weights = pw.to_dtype(weights, work)
        _check_distribution(weights, replacement and num_samples > 1)
        uniforms = weights._like(uniform_buffer(weights._backend, (rows, num_samples), work, generator))
        if replacement or num_samples == 1:
            samples = _draw(weights, uniforms)
        else:
            samples = _draw_without_replacement(weights, uniforms)
    return samples if input.ndim == 2 else sh.reshape(samples, (num_samples,))


#: at most this many weights are drawn from on the host (see multinomial)
_HOST_WEIGHTS = 256


def _check_distribution(weights: Tensor, with_replacement: bool) -> None:
    """PyTorch's checks of the weights, read on the host in one transfer (PyTorch reads them too)."""
    summary = sh.stack([red.amin(weights), red.amax(weights), red.amin(red.sum(weights, 1))])
    _check_summary(*(float(v) for v in summary.tolist()), with_replacement)


def _check_host_distribution(host, with_replacement: bool) -> None:
    _check_summary(float(host.min()), float(host.max()), float(host.sum(1).min()), with_replacement)


def _check_summary(low: float, high: float, smallest_total: float, with_replacement: bool) -> None:
    if with_replacement:
        if not low >= 0:  # NaN too, as in PyTorch
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not math.isfinite(high):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    elif not (low >= 0 and high < math.inf):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not smallest_total > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _hillis_steele_sums(x):
    """Running sums along the last axis, each element added in ``inclusive_scan``'s order."""
    n, shift = x.shape[-1], 1
    while shift < n:
        following = x.copy()
        following[..., shift:] = x[..., shift:] + x[..., :-shift]
        x, shift = following, shift * 2
    return x


def _draw_on_host(weights, uniforms):
    """``_draw`` on host arrays, for a few weights: the same running sums, then the count of sums
    not above each target (the first sum above it), the last positive weight for
    a target that rounds up to the total."""
    positive = weights > 0
    sums = _hillis_steele_sums(weights)  # the device path's order of additions, so the same sums
    sums = np.maximum.accumulate(np.where(positive, sums, -np.inf), axis=1)
    targets = uniforms * sums[:, -1:]
    picked = (sums[:, None, :] <= targets[:, :, None]).sum(axis=2)
    columns = np.arange(weights.shape[1])
    last_positive = np.where(positive, columns, -1).max(axis=1, keepdims=True)
    return np.minimum(picked, last_positive).astype(np.int64)


def _draw(weights: Tensor, uniforms: Tensor) -> Tensor:
    """One category per uniform: ``weights`` is ``(rows, n)`` with a positive total per row,
    ``uniforms`` ``(rows, s)`` in [0, 1). Returns int64 ``(rows, s)``."""
    from ..creation import arange
    n = weights._buf.shape[1]
    positive = pw.gt(weights, 0.0)
    # running sums, made non-decreasing and constant across zero weights: the first sum above a
    # target then always belongs to a positive weight
    sums = inclusive_scan(pw.where(positive, inclusive_scan(weights, "add"), -math.inf), "maximum")
    totals = sh.narrow(sums, 1, n - 1, 1)
    targets = uniforms * totals
    rows, draws = targets._buf.shape
    if n <= 256 and rows * draws * n <= 1 << 20:
        # few categories: the first sum above a target is at the count of sums not above it (the
        # sums do not decrease), one comparison instead of a binary search's log2(n) rounds
        not_above = pw.le(sh.unsqueeze(sums, 1), sh.unsqueeze(targets, 2))  # (rows, draws, n)
        picked = red.sum(not_above, 2)
    else:
        picked = search_rows(sums, targets, right=True)
    # a target that rounds up to the total finds no sum above it: take the last positive weight
    last_positive = red.amax(pw.where(positive, arange(n, device=weights._device), -1), 1, keepdim=True)
    return pw.minimum(picked, last_positive)


def _draw_without_replacement(weights: Tensor, uniforms: Tensor) -> Tensor:
    """Sequential draws, each from the weights not drawn yet; once those are all zero (fewer
    positive weights than samples) the remaining categories are drawn uniformly."""
    from ..creation import ones_like
    from .shape import cat
    samples = []
    available = ones_like(weights)
    for step in range(uniforms._buf.shape[1]):
        remaining = weights * available
        exhausted = pw.logical_not(red.any(pw.gt(remaining, 0.0), 1, keepdim=True))
        drawn = _draw(pw.where(exhausted, available, remaining), sh.narrow(uniforms, 1, step, 1))
        samples.append(drawn)
        available = available.scatter(1, drawn, 0.0)
    return cat(samples, 1)
