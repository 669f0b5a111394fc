"""Products beyond matmul: kron, inner, vdot, vecdot, multi_dot/chain_matmul, matrix_power, cross."""
from __future__ import annotations

import math
import warnings

from ...autograd.grad_mode import no_grad
from ..autocast_state import autocast_op
from . import shape as sh
from .composite import as_node
from .einsum import tensordot
from .linalg import dot, matmul
from .support import (Tensor, binary_operands, broadcast_shapes, check_device, grad_state,
                      sum_to_shape, wrap_dim)


def kron(a: Tensor, b: Tensor) -> Tensor:
    """Kronecker product: blocks ``a[i, j] * b`` (dims padded with leading ones to match)."""
    ndim = max(a.ndim, b.ndim)
    a_shape = (1,) * (ndim - a.ndim) + tuple(a._buf.shape)
    b_shape = (1,) * (ndim - b.ndim) + tuple(b._buf.shape)
    a_spread = sh.reshape(a, tuple(s for size in a_shape for s in (size, 1)))
    b_spread = sh.reshape(b, tuple(s for size in b_shape for s in (1, size)))
    return sh.reshape(a_spread * b_spread, tuple(x * y for x, y in zip(a_shape, b_shape)))


def inner(a: Tensor, b: Tensor) -> Tensor:
    """Sum of products over the last dims (a scalar operand multiplies)."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a._buf.shape[-1] != b._buf.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(a.shape)} and {list(b.shape)}")
    return tensordot(a, b, ([-1], [-1]))


@autocast_op("vdot")
def vdot(a: Tensor, b: Tensor) -> Tensor:
    """Dot product of two 1-D tensors (for real tensors the same as ``dot``)."""
    if a.ndim == 1 and b.ndim == 1 and a._dtype is not b._dtype:
        raise RuntimeError(f"vdot : expected both vectors to have same dtype, but found "
                           f"{a._dtype.name} and {b._dtype.name}")
    return as_node(dot(a, b), "VdotBackward0")


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products of the vectors along ``dim`` of the broadcast ``x`` and ``y``."""
    for t in (x, y):
        if not t._dtype.is_floating_point:
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {t._dtype.name}")
    return (x * y).sum(dim)


# ----- chains of products -------------------------------------------------------------------------
def _chain_order(shapes: list) -> list:
    """The cheapest parenthesisation of a matrix chain (classic dynamic programme):
    ``split[i][j]`` is where the product of matrices ``i..j`` splits."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(matrices: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return matrices[i]
    k = split[i][j]
    return matmul(_chain(matrices, split, i, k), _chain(matrices, split, k + 1, j))


@autocast_op("multi_dot")
def multi_dot(tensors) -> Tensor:
    """Product of a chain of matrices in the cheapest order; the first may be a row vector
    and the last a column vector (1-D)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    for i, t in enumerate(tensors):
        if t.__class__ is not Tensor:
            raise TypeError(f"multi_dot(): tensor {i} must be a Tensor, got {type(t).__name__}")
        check_device(first, t, "multi_dot")
        if t._dtype is not first._dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 "
                               f"is {first._dtype.name} and tensor {i} {t._dtype.name}")
        if 0 < i < len(tensors) - 1 and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    matrices = list(tensors)
    if first.ndim == 1:
        matrices[0] = sh.unsqueeze(first, 0)
    if last.ndim == 1:
        matrices[-1] = sh.unsqueeze(last, 1)
    for i in range(len(matrices) - 1):
        if matrices[i]._buf.shape[1] != matrices[i + 1]._buf.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} cannot "
                               f"be multiplied")
    split = _chain_order([m._buf.shape for m in matrices])
    out = _chain(matrices, split, 0, len(matrices) - 1)
    if first.ndim == 1 and last.ndim == 1:
        return sh.reshape(out, ())
    if first.ndim == 1:
        return sh.squeeze(out, 0)
    if last.ndim == 1:
        return sh.squeeze(out, 1)
    return out


@autocast_op("chain_matmul")
def chain_matmul(*matrices) -> Tensor:
    """Deprecated spelling of ``linalg.multi_dot`` for 2-D matrices."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return sh.clone(matrices[0])
    return multi_dot(matrices)


def matrix_power(a: Tensor, n: int) -> Tensor:
    """``a`` multiplied by itself ``n >= 0`` times (batches of square matrices), by squaring."""
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    rows, cols = a._buf.shape[-2:]
    if rows != cols:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {rows} by {cols} matrices")
    if n < 0:
        raise NotImplementedError("linalg.matrix_power: negative powers need the matrix inverse, "
                                  "which is outside unigrad's linear algebra (no decompositions)")
    if n == 0:
        from ..creation import eye
        identity = eye(rows, dtype=a._dtype, device=a._device)
        return sh.clone(sh.expand(identity, a._buf.shape))
    result, power = None, a
    while n:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return sh.clone(result) if result is a else result


# ----- cross products -----------------------------------------------------------------------------
def linalg_cross(a: Tensor, b: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (``a`` and ``b`` broadcast together)."""
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, a.ndim)
    if a._buf.shape[d] != 3 or b._buf.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a._buf.shape[d]} and {b._buf.shape[d]}")
    check_device(a, b, "linalg.cross")
    return _cross(a, b, d)


@autocast_op("cross")
def cross(a: Tensor, b: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: ``linalg.cross`` along ``dim``, or (deprecated) the first dim of size 3."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross. The "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        shape = broadcast_shapes(a._buf.shape, b._buf.shape, op="cross") if a.ndim == b.ndim \
            else a._buf.shape
        dim = next((i for i, size in enumerate(shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(a, b, dim=dim)


def _cross(a: Tensor, b: Tensor, d: int) -> Tensor:
    a_in, b_in = a, b
    shape = broadcast_shapes(a._buf.shape, b._buf.shape, op="linalg.cross")
    with no_grad():
        x, y = binary_operands(a, b, "linalg.cross")[:2]
        x, y = sh.expand(x, shape), sh.expand(y, shape)
        x0, x1, x2 = (sh.narrow(x, d, k, 1) for k in range(3))
        y0, y1, y2 = (sh.narrow(y, d, k, 1) for k in range(3))
        out = sh.cat([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], d)
    if grad_state.enabled and (a_in._requires_grad or b_in._requires_grad):
        need_a, need_b = a_in._requires_grad, b_in._requires_grad
        a_shape, b_shape = a_in._buf.shape, b_in._buf.shape

        def backward(g):
            # (a x b) . g = a . (b x g) = b . (g x a)
            ga = sum_to_shape(_cross(b_in, g, d), a_shape).to(a_in._dtype) if need_a else None
            gb = sum_to_shape(_cross(g, a_in, d), b_shape).to(b_in._dtype) if need_b else None
            return ga, gb
        out._attach("LinalgCrossBackward0", backward, (a_in, b_in), (a_in, b_in))
    return out
