"""Norms and distances: linalg.vector_norm / matrix_norm / norm, torch.norm, renorm, dist,
cdist and pdist. Decomposition-based norms (nuclear, spectral) are outside unigrad."""
from __future__ import annotations

import math
import numbers
import warnings

from .. import dtypes
from ...autograd.grad_mode import no_grad
from ..autocast_state import autocast_op
from . import pointwise as pw
from . import reduction as red
from . import shape as sh
from .composite import as_node
from .linalg import matmul
from .support import Tensor, cast_tensor, check_device, grad_state, normalize_dims, wrap_dim

_SVD_ORDERS = ("nuc", 2, -2)


def _reduce_dims(dim, ndim: int) -> tuple:
    """``dim`` as sorted distinct dims; None or an empty list mean every dim."""
    if dim is None or (not isinstance(dim, int) and len(tuple(dim)) == 0):
        return tuple(range(ndim))
    return normalize_dims(dim, ndim)


def _check_floating(x: Tensor, op: str) -> None:
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{x._dtype.name}")


def _with_dtype(x: Tensor, dtype, op: str) -> Tensor:
    if dtype is None:
        return x
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating_point or dtypes.promote_types(x._dtype, dtype) is not dtype:
        raise RuntimeError(f"{op}: the dtype of the input ({x._dtype.name}) should be convertible "
                           f"without narrowing to the specified dtype ({dtype.name})")
    return cast_tensor(x, dtype)


# ----- vector norms -------------------------------------------------------------------------------
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum(|x|**ord)**(1/ord)`` over ``dim`` (every dim if None); ``ord`` may be ``inf``,
    ``-inf`` or 0 (the count of non-zeros)."""
    if isinstance(ord, str) or not isinstance(ord, numbers.Number):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    _check_floating(x, "linalg.vector_norm")
    x = _with_dtype(x, dtype, "linalg.vector_norm")
    dims = _reduce_dims(dim, x.ndim)
    p = float(ord)
    if p < 0 or math.isinf(p):
        every_dim = dim is None or (not isinstance(dim, int) and len(tuple(dim)) == 0)
        if x.numel() == 0 and (every_dim or not x.ndim):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               f"tensor because the operation does not have an identity")
        for d in dims:
            if x._buf.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   f"operation does not have an identity")
    with no_grad():
        work = dtypes.accumulate_dtype(x._dtype)  # 16-bit floats: squares and powers in float32
        out = cast_tensor(_vector_norm_value(cast_tensor(x, work), p, dims, keepdim), x._dtype)
    out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    if x._requires_grad and grad_state.enabled:
        norm = pw._saved(out)
        out._attach("LinalgVectorNormBackward0",
                    lambda g: (_norm_backward(g, x, p, norm, dims, keepdim),), (x,), (x, norm))
    return out


def _vector_norm_value(x: Tensor, p: float, dims: tuple, keepdim: bool) -> Tensor:
    magnitude = pw.abs(x)
    if p == math.inf:
        return red.amax(magnitude, dims, keepdim) if dims else magnitude
    if p == -math.inf:
        return red.amin(magnitude, dims, keepdim) if dims else magnitude
    if p == 0:
        return red.sum(cast_tensor(pw.ne(x, 0), x._dtype), dims, keepdim)
    if p == 1:
        return red.sum(magnitude, dims, keepdim)
    if p == 2:
        return pw.sqrt(red.sum(x * x, dims, keepdim))
    return pw.pow(red.sum(pw.pow(magnitude, p), dims, keepdim), 1.0 / p)


def _unsqueezed(t: Tensor, dims: tuple, ndim: int) -> Tensor:
    for d in dims:
        t = sh.unsqueeze(t, d)
    return t


def _norm_backward(g: Tensor, x: Tensor, p: float, norm: Tensor, dims: tuple, keepdim: bool):
    """PyTorch's ``norm_backward``: zero where the norm is 0 (no NaN), ties of the inf-norm
    share the gradient."""
    if not keepdim and x.ndim:
        g, norm = _unsqueezed(g, dims, x.ndim), _unsqueezed(norm, dims, x.ndim)
    if p == 0:
        return x * 0
    if p == 1:
        return pw.sign(x) * g
    if p == 2:
        return g * pw.where(pw.eq(norm, 0), 0.0, x / norm)
    if math.isinf(p):
        magnitude = pw.abs(x)
        hits = cast_tensor(pw.eq(magnitude, norm) | pw.isnan(magnitude), x._dtype)
        return pw.sign(x) * (g / red.sum(hits, dims, keepdim=True) * hits) if dims else \
            pw.sign(x) * g * hits
    if p < 1:
        scaled = pw.sign(x) * pw.where(pw.eq(x, 0), 0.0, pw.pow(pw.abs(x), p - 1))
        return scaled * g * pw.pow(norm, 1 - p)
    scale = pw.where(pw.eq(norm, 0), 0.0, g / pw.pow(norm, p - 1))
    if p < 2:
        return pw.sign(x) * pw.pow(pw.abs(x), p - 1) * scale
    return x * pw.pow(pw.abs(x), p - 2) * scale


# ----- matrix norms -------------------------------------------------------------------------------
def matrix_norm(a: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """Frobenius (``"fro"``), max column sum (1), max row sum (``inf``) and their minimum
    counterparts (-1, ``-inf``) over the matrices in ``dim``."""
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_floating(a, "linalg.matrix_norm")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = wrap_dim(dims[0], a.ndim), wrap_dim(dims[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in _SVD_ORDERS and not isinstance(ord, bool):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values; "
                                  f"decompositions are outside unigrad's linear algebra")
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if math.isinf(ord):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = vector_norm(a, 1, (d0,), keepdim, dtype=dtype)
    return red.amax(sums, d1, keepdim) if ord > 0 else red.amin(sums, d1, keepdim)


def linalg_norm(a: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``linalg.norm``: a vector norm, or a matrix norm over two dims (``ord`` a string, or
    given for a 2-D input)."""
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if dims is not None and len(dims) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if dims is None and ord is not None and a.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                           f"or 2D. Got {a.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(a, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    if ord is not None and ((dims is not None and len(dims) == 2) or (dims is None and a.ndim == 2)):
        return matrix_norm(a, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(a, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


@autocast_op("norm")
def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """``torch.norm``: the vector ``p``-norm over ``dim`` (``"fro"`` is the 2-norm), or a
    matrix norm for a string ``p`` other than ``"fro"``."""
    if out is not None:
        raise TypeError("norm(): the out= argument is not supported")
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(x, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(x, p, dims if dims is not None else tuple(range(x.ndim)), keepdim,
                           dtype=dtype)
    return vector_norm(x, 2 if p is None else p, dims, keepdim, dtype=dtype)


def frobenius_norm(x: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """The 2-norm over ``dim`` (PyTorch's deprecated spelling)."""
    warnings.warn("frobenius_norm is deprecated; use linalg.vector_norm(A, 2., dim, keepdim) instead",
                  UserWarning, stacklevel=2)
    return vector_norm(x, 2, dim, keepdim)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The ``pow``-norm over every dim but ``dim``, keeping a size-1 dim for each (weight norm's
    ``||v||``); ``dim=-1`` is the norm of all of ``v``."""
    if dim == -1:
        return vector_norm(v, pow)
    d = wrap_dim(dim, v.ndim)
    others = tuple(k for k in range(v.ndim) if k != d)
    return vector_norm(v, pow, others, True) if others else pw.abs(v)  # one element per slice


# ----- renorm and distances -----------------------------------------------------------------------
@autocast_op("renorm")
def renorm(x: Tensor, p, dim: int, maxnorm) -> Tensor:
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to
    ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``)."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    d = wrap_dim(dim, x.ndim)
    others = tuple(k for k in range(x.ndim) if k != d)
    work = dtypes.accumulate_dtype(x._dtype) if x._dtype.is_floating_point else None
    norms = vector_norm(x, p, others, True, dtype=work if work is not x._dtype else None)
    factor = pw.where(pw.gt(norms, maxnorm), maxnorm / (norms + 1e-7), 1.0)
    return as_node(x * cast_tensor(factor, x._dtype), "RenormBackward0")


@autocast_op("dist")
def dist(a: Tensor, b: Tensor, p=2) -> Tensor:
    """The ``p``-norm of ``a - b`` (broadcast)."""
    check_device(a, b, "dist")
    for t in (a, b):
        if not t._dtype.is_floating_point:
            raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                               f"Got {t._dtype.name} instead.")
    return as_node(vector_norm(a - b, p), "DistBackward0")


_COMPUTE_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
                  "donot_use_mm_for_euclid_dist": 2}


@autocast_op("cdist")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """``p``-norm distances between each row of ``x1`` (..., P, M) and of ``x2`` (..., R, M);
    batch dims broadcast. For p=2 with more than 25 rows (or when asked) the distances come
    from one matrix product, ``|a|^2 - 2 a.b + |b|^2``, as PyTorch computes them."""
    for name, t in (("X1", x1), ("X2", x2)):
        if not t._dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {t._dtype.name}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    check_device(x1, x2, "cdist")
    if x1._buf.shape[-1] != x2._buf.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._buf.shape[-1]} X2: {x2._buf.shape[-1]}")
    if x1._dtype is not x2._dtype:
        raise RuntimeError(f"cdist: expected both inputs to have one dtype, but got "
                           f"{x1._dtype.name} and {x2._dtype.name}")
    mode = _COMPUTE_MODES[compute_mode]
    rows1, rows2 = x1._buf.shape[-2], x2._buf.shape[-2]
    batch = tuple(sh.broadcast_shapes(x1._buf.shape[:-2], x2._buf.shape[:-2], op="cdist"))
    a = sh.expand(x1, batch + tuple(x1._buf.shape[-2:]))
    b = sh.expand(x2, batch + tuple(x2._buf.shape[-2:]))
    if rows1 == 0 or rows2 == 0 or math.prod(batch) == 0 or x1._buf.shape[-1] == 0:
        return (a.sum(-1, keepdim=True) + b.sum(-1).unsqueeze(-2)) * 0.0
    if p == 2 and (mode == 1 or (mode == 0 and (rows1 > 25 or rows2 > 25))):
        return _euclidean_dist(a, b)
    differences = sh.unsqueeze(a, -2) - sh.unsqueeze(b, -3)
    return as_node(vector_norm(differences, p, -1), "CdistBackward0")


def _euclidean_dist(a: Tensor, b: Tensor) -> Tensor:
    """Distances through one product of ``[-2a, |a|^2, 1]`` and ``[b, 1, |b|^2]``, clamped at 0
    before the square root; the gradient is PyTorch's ``_euclidean_dist_backward``."""
    with no_grad():
        a_norm = (a * a).sum(-1, keepdim=True)
        b_norm = (b * b).sum(-1, keepdim=True)
        left = sh.cat([a * -2.0, a_norm, a_norm * 0.0 + 1.0], -1)
        right = sh.cat([b, b_norm * 0.0 + 1.0, b_norm], -1)
        squared = matmul(left, sh.transpose(right, -2, -1))
        out = pw.sqrt(pw.maximum(squared, 0.0))
    out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    if grad_state.enabled and (a._requires_grad or b._requires_grad):
        result = pw._saved(out)
        need_a, need_b = a._requires_grad, b._requires_grad

        def backward(g):
            ratio = pw.where(pw.eq(result, 0), 0.0, g / result)
            ga = a * ratio.sum(-1, keepdim=True) - matmul(ratio, b) if need_a else None
            gb = b * sh.unsqueeze(ratio.sum(-2), -1) - matmul(sh.transpose(ratio, -2, -1), a) \
                if need_b else None
            return ga, gb
        out._attach("EuclideanDistBackward0", backward, (a, b), (a, b, result))
    return out


@autocast_op("pdist")
def pdist(x: Tensor, p: float = 2.0) -> Tensor:
    """``p``-norm distances between every pair of rows ``i < j`` of the 2-D ``x``, in row-major
    order of the pairs (the condensed form)."""
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not x._dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = x._buf.shape[0]
    if n <= 1:
        return sh.reshape(x, (-1,))[:0] * 1.0
    from .matrices import triu_indices
    pairs = triu_indices(n, n, 1, device=x._device)
    first, second = x[pairs[0]], x[pairs[1]]
    return as_node(vector_norm(first - second, p, -1), "PdistBackward0")
