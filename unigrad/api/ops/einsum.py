"""Tensor contractions: ``einsum`` and ``tensordot``, mapped onto batched ``matmul``.

``einsum`` takes diagonals of labels repeated within an operand (strided views), sums out labels
no later step needs, then contracts two operands at a time, greedily picking the pair whose result
is smallest (as opt_einsum's greedy path does). Each pairwise contraction is one matmul over
``(batch, free of a, contracted) x (batch, contracted, free of b)``, or a broadcast multiply when
nothing is contracted. Every step is a differentiable tensor op, so gradients of any order follow.
"""
from __future__ import annotations

import math
import string

from ..autocast_state import autocast_op
from . import shape as sh
from .linalg import matmul
from .support import Tensor, check_device, wrap_dim

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # sublist ints 0-51 map to these


# ----- parsing ------------------------------------------------------------------------------------
def _sublist_equation(args) -> tuple:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as ``("ab,bc->ac", [op1, op2])``."""
    operands, terms = [], []
    items = list(args)
    while len(items) >= 2:
        operands.append(items.pop(0))
        terms.append(_sublist_term(items.pop(0)))
    output = _sublist_term(items[0]) if items else None
    return ",".join(terms) + ("->" + output if output is not None else ""), operands


def _sublist_term(sublist) -> str:
    out = []
    for item in sublist:
        if item is Ellipsis:
            out.append("...")
        elif isinstance(item, int) and 0 <= item < 52:
            out.append(_LETTERS[item])
        else:
            raise ValueError(f"einsum(): subscript in subscript list is not within the valid range "
                             f"[0, 52), got {item!r}")
    return "".join(out)


_ELLIPSIS = "..."


def _parse_term(term: str, position: str) -> list:
    """Labels of one term; ``"..."`` stands for the ellipsis."""
    labels, i = [], 0
    while i < len(term):
        char = term[i]
        if char == ".":
            if term[i:i + 3] != _ELLIPSIS or _ELLIPSIS in labels:
                what = "that is not part of any ellipsis" if term[i:i + 3] != _ELLIPSIS else \
                    "more than once (only one ellipsis is allowed)"
                raise RuntimeError(f"einsum(): found '.' for {position} {what}")
            labels.append(_ELLIPSIS)
            i += 3
            continue
        if char not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               f"string, subscripts must be in [a-zA-Z]")
        labels.append(char)
        i += 1
    return labels


def _operands(equation_or_first, rest) -> tuple:
    if isinstance(equation_or_first, str):
        operands = list(rest)
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
        return equation_or_first.replace(" ", ""), operands
    return _sublist_equation((equation_or_first,) + tuple(rest))


# ----- the contraction ----------------------------------------------------------------------------
class _Operand:
    """A tensor whose dims carry labels (one per dim, distinct)."""

    __slots__ = ("tensor", "labels")

    def __init__(self, tensor: Tensor, labels: list) -> None:
        self.tensor, self.labels = tensor, labels


@autocast_op("einsum")
def einsum(equation, *operands) -> Tensor:
    """Sums of products of the operands' elements over the labels of Einstein notation:
    ``einsum("bij,bjk->bik", a, b)``; also ``...``, repeated labels (diagonals), an implicit
    output, and the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    equation, operands = _operands(equation, operands)
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for i, t in enumerate(operands):
        if t.__class__ is not Tensor:
            raise TypeError(f"einsum(): operand {i} must be a Tensor, got {type(t).__name__}")
        check_device(operands[0], t, "einsum")
        if t._dtype is not operands[0]._dtype:
            raise RuntimeError(f"einsum(): expected all operands to have one dtype, but operand 0 "
                               f"is {operands[0]._dtype.name} and operand {i} is {t._dtype.name}")
    parsed = [_parse_term(term, f"operand {i}") for i, term in enumerate(terms)]
    ellipsis_ndim = 0
    for i, (labels, t) in enumerate(zip(parsed, operands)):
        named = len(labels) - (1 if _ELLIPSIS in labels else 0)
        if _ELLIPSIS in labels:
            if named > t.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                                   f"is more than the number of dimensions ({t.ndim}) for operand {i}")
            ellipsis_ndim = max(ellipsis_ndim, t.ndim - named)
        elif named != t.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does "
                               f"not match the number of dimensions ({t.ndim}) for operand {i} and "
                               f"no ellipsis was given")
    ellipsis_labels = [(_ELLIPSIS, k) for k in range(ellipsis_ndim)]
    expanded = [_expand_ellipsis(labels, t.ndim, ellipsis_ndim) for labels, t in zip(parsed, operands)]
    sizes = _label_sizes(expanded, operands)
    output = _output_labels(arrow, rhs, parsed, expanded, ellipsis_labels)
    items = [_prepare(_Operand(t, labels), sizes, i) for i, (t, labels) in enumerate(zip(operands, expanded))]
    while len(items) > 1:
        i, j = _cheapest_pair(items, output, sizes)
        needed = set(output)
        for k, item in enumerate(items):
            if k != i and k != j:
                needed.update(item.labels)
        merged = _contract(items[i], items[j], needed, sizes)
        items = [item for k, item in enumerate(items) if k != i and k != j] + [merged]
    result = _sum_out(items[0], set(output))
    return sh.permute(result.tensor, [result.labels.index(label) for label in output])


def _expand_ellipsis(labels: list, ndim: int, ellipsis_ndim: int) -> list:
    """Labels per dim; the ellipsis dims become ``("...", k)``, right-aligned so that they
    broadcast like NumPy's."""
    if _ELLIPSIS not in labels:
        return list(labels)
    at = labels.index(_ELLIPSIS)
    own = ndim - (len(labels) - 1)
    covered = [(_ELLIPSIS, ellipsis_ndim - own + k) for k in range(own)]
    return labels[:at] + covered + labels[at + 1:]


def _label_sizes(expanded: list, operands: list) -> dict:
    sizes: dict = {}
    for i, (labels, t) in enumerate(zip(expanded, operands)):
        seen: dict = {}
        for label, size in zip(labels, t._buf.shape):
            if label in seen and seen[label] != size:
                raise RuntimeError(f"einsum(): subscript {label} is repeated for operand {i} but the "
                                   f"sizes don't match, {seen[label]} != {size}")
            seen[label] = size
            known = sizes.get(label)
            if known is None or known == 1:
                sizes[label] = size
            elif size != 1 and size != known:
                name = "..." if isinstance(label, tuple) else label
                raise RuntimeError(f"einsum(): subscript {name} has size {size} for operand {i} "
                                   f"which does not broadcast with previously seen size {known}")
    return sizes


def _output_labels(arrow: str, rhs: str, parsed: list, expanded: list, ellipsis_labels: list) -> list:
    if not arrow:
        counts: dict = {}
        for labels in parsed:
            for label in labels:
                if label != _ELLIPSIS:
                    counts[label] = counts.get(label, 0) + 1
        once = sorted((label for label, n in counts.items() if n == 1), key=_LETTERS.index)
        return ellipsis_labels + once
    requested = _parse_term(rhs, "the output")
    used = {label for labels in parsed for label in labels}
    output = []
    for label in requested:
        if label == _ELLIPSIS:
            output += ellipsis_labels
            continue
        if label in output:
            raise RuntimeError(f"einsum(): output subscript {label} appears more than once in the output")
        if label not in used:
            raise RuntimeError(f"einsum(): output subscript {label} does not appear in the equation "
                               f"for any input operand")
        output.append(label)
    return output


def _prepare(item: _Operand, sizes: dict, position: int) -> _Operand:
    """Take the diagonal of repeated labels and drop size-1 dims that broadcast."""
    t, labels = item.tensor, list(item.labels)
    while True:
        repeated = next((label for k, label in enumerate(labels) if label in labels[k + 1:]), None)
        if repeated is None:
            break
        first = labels.index(repeated)
        second = labels.index(repeated, first + 1)
        t = sh.diagonal(t, 0, first, second)
        labels = [label for k, label in enumerate(labels) if k not in (first, second)] + [repeated]
    broadcast = [k for k, label in enumerate(labels) if t._buf.shape[k] == 1 and sizes[label] != 1]
    if broadcast:
        t = sh.squeeze(t, broadcast)
        labels = [label for k, label in enumerate(labels) if k not in broadcast]
    return _Operand(t, labels)


def _sum_out(item: _Operand, needed: set) -> _Operand:
    unused = [k for k, label in enumerate(item.labels) if label not in needed]
    if not unused:
        return item
    return _Operand(item.tensor.sum(unused),
                    [label for k, label in enumerate(item.labels) if k not in unused])


def _cheapest_pair(items: list, output: list, sizes: dict) -> tuple:
    best, best_cost = (0, 1), None
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            needed = set(output)
            for k, item in enumerate(items):
                if k != i and k != j:
                    needed.update(item.labels)
            kept = (set(items[i].labels) | set(items[j].labels)) & needed
            cost = math.prod(sizes[label] for label in kept)
            if best_cost is None or cost < best_cost:
                best, best_cost = (i, j), cost
    return best


def _contract(a: _Operand, b: _Operand, needed: set, sizes: dict) -> _Operand:
    """``a`` and ``b`` contracted over their shared labels that ``needed`` lacks."""
    a = _sum_out(a, needed | set(b.labels))
    b = _sum_out(b, needed | set(a.labels))
    batch = [label for label in a.labels if label in b.labels and label in needed]
    summed = [label for label in a.labels if label in b.labels and label not in needed]
    a_free = [label for label in a.labels if label not in b.labels]
    b_free = [label for label in b.labels if label not in a.labels]
    batch_shape = tuple(sizes[label] for label in batch)
    a_t = sh.permute(a.tensor, [a.labels.index(label) for label in batch + a_free + summed])
    b_t = sh.permute(b.tensor, [b.labels.index(label) for label in batch + summed + b_free])
    if not summed:  # an outer product over the free labels: a broadcast multiply
        a_t = sh.reshape(a_t, batch_shape + tuple(sizes[label] for label in a_free) + (1,) * len(b_free))
        b_t = sh.reshape(b_t, batch_shape + (1,) * len(a_free) + tuple(sizes[label] for label in b_free))
        return _Operand(a_t * b_t, batch + a_free + b_free)
    rows = math.prod(sizes[label] for label in a_free)
    inner = math.prod(sizes[label] for label in summed)
    cols = math.prod(sizes[label] for label in b_free)
    product = matmul(sh.reshape(a_t, batch_shape + (rows, inner)),
                     sh.reshape(b_t, batch_shape + (inner, cols)))
    shape = batch_shape + tuple(sizes[label] for label in a_free + b_free)
    return _Operand(sh.reshape(product, shape), batch + a_free + b_free)


# ----- tensordot ----------------------------------------------------------------------------------
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first ``dims`` of ``b``, or the dims
    listed in ``dims = (dims_a, dims_b)``."""
    if out is not None:
        raise TypeError("tensordot(): the out= argument is not supported")
    check_device(a, b, "tensordot")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2 or isinstance(dims[0], int) != isinstance(dims[1], int):
            raise TypeError("tensordot(): dims must be an int or a pair of lists of dims")
        dims_a = [dims[0]] if isinstance(dims[0], int) else list(dims[0])
        dims_b = [dims[1]] if isinstance(dims[1], int) else list(dims[1])
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [wrap_dim(d, a.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a._buf.shape[da] != b._buf.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._buf.shape[da]} in dim {da} and second has size "
                               f"{b._buf.shape[db]} in dim {db}")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"tensordot(): expected both tensors to have one dtype, but got "
                           f"{a._dtype.name} and {b._dtype.name}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    inner = math.prod(a._buf.shape[d] for d in dims_a)
    rows = math.prod(a._buf.shape[d] for d in free_a)
    cols = math.prod(b._buf.shape[d] for d in free_b)
    left = sh.reshape(sh.permute(a, free_a + dims_a), (rows, inner))
    right = sh.reshape(sh.permute(b, dims_b + free_b), (inner, cols))
    shape = tuple(a._buf.shape[d] for d in free_a) + tuple(b._buf.shape[d] for d in free_b)
    return sh.reshape(matmul(left, right), shape)
