"""``histogram`` and ``histogramdd``: bin counts (optionally weighted or normalised) and bin edges."""
from __future__ import annotations

import builtins

from .. import creation
from ...autograd.grad_mode import no_grad
from ... import return_types
from . import pointwise as pw
from .searching import searchsorted
from .support import Tensor

__all__ = ["histogram", "histogramdd"]


def _edges(values: Tensor, bins, low_high, name: str, dim: int) -> Tensor:
    """The ``bins + 1`` edges of one dimension: given, or evenly spaced over ``range`` (the data's
    extent when no range is given, widened by a half on each side when it is a single value)."""
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(f"{name}(): bins tensor should have one dimension and at least 1 element")
        return bins.to(values.dtype)
    if int(bins) <= 0:
        raise RuntimeError(f"{name}(): bins must be > 0, but got {bins} for dimension {dim}")
    if low_high is None:
        if values.numel():
            low, high = float(values.min()), float(values.max())
        else:
            low, high = 0.0, 1.0  # PyTorch's range for no data
    else:
        low, high = (float(v) for v in low_high)
        if low > high:
            raise RuntimeError(f"{name}(): max must be larger than min, but got min {low} max {high} "
                               f"for dimension {dim}")
    if low == high:  # NumPy's widening of an empty range
        low, high = low - 0.5, high + 0.5
    return creation.linspace(low, high, int(bins) + 1, dtype=values.dtype, device=values.device)


def _bin_index(values: Tensor, edges: Tensor):
    """Each value's bin (``edges[i] <= x < edges[i+1]``; the last edge belongs to the last bin)
    and whether it lies inside the edges at all."""
    bins = edges.numel() - 1
    index = searchsorted(edges, values, right=True) - 1
    last = edges[-1]
    index = pw.where(pw.eq(values, last), bins - 1, index)
    inside = pw.bitwise_and(pw.ge(values, edges[0]), pw.le(values, last))
    return pw.clamp(index, 0, max(bins - 1, 0)), inside


def histogramdd(input: Tensor, bins, *, range=None, weight: Tensor | None = None,  # noqa: A002
                density: bool = False):
    """A D-dimensional histogram of the points ``input[..., :]`` (the last dim holds the D
    coordinates): ``(hist, bin_edges)``."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                           f"but got input {input.dtype}")
    dims = input.shape[-1] if input.ndim else 1
    points = input.reshape(-1, dims)
    if isinstance(bins, (int, Tensor)):
        bins = [bins] * dims
    bins = list(bins)
    if len(bins) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for each of the {dims} "
                           f"dimensions of the input, but got {len(bins)}")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should have "
                           f"{2 * dims} elements, but got {len(range)}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as "
                           "the input tensor excluding its innermost dimension")
    with no_grad():
        edges, flat, inside, sizes = [], None, None, []
        for d in builtins.range(dims):
            column = points[:, d]
            e = _edges(column, bins[d], None if range is None else range[2 * d:2 * d + 2], "torch.histogramdd", d)
            index, ok = _bin_index(column, e)
            edges.append(e)
            sizes.append(e.numel() - 1)
            flat = index if flat is None else flat * sizes[-1] + index
            inside = ok if inside is None else pw.bitwise_and(inside, ok)
        total = 1
        for size in sizes:
            total *= size
        amounts = weight.reshape(-1).to(input.dtype) if weight is not None else creation.ones(
            points.shape[0], dtype=input.dtype, device=input.device)
        amounts = pw.where(inside, amounts, 0.0) if points.shape[0] else amounts
        hist = creation.zeros(total, dtype=input.dtype, device=input.device)
        if points.shape[0]:
            hist = hist.scatter_add(0, flat, amounts)
        hist = hist.reshape(tuple(sizes))
        if density:
            volume = None
            for d, e in enumerate(edges):
                width = (e[1:] - e[:-1]).reshape(tuple(-1 if k == d else 1 for k in builtins.range(dims)))
                volume = width if volume is None else volume * width
            hist = hist / (hist.sum() * volume)
    return return_types.histogramdd(hist, tuple(edges))


def histogram(input: Tensor, bins=100, *, range=None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False):
    """A histogram of all elements of ``input``: ``(hist, bin_edges)``; ``bins`` is a count of
    equal-width bins over ``range`` (default: the data's extent) or a 1-D tensor of edges."""
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError("torch.histogram: if weight tensor is provided, it should have the same shape "
                           "as the input tensor")
    hist, edges = histogramdd(input.reshape(-1, 1), [bins], range=range,
                              weight=None if weight is None else weight.reshape(-1), density=density)
    return return_types.histogram(hist, edges[0])

