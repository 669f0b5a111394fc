"""Scans along one dim: cumsum, cumprod, cummax/cummin, logcumsumexp, and diff and the
trapezoid rules built on them.

A scan is computed in ``ceil(log2(n))`` steps (Hillis-Steele): step ``k`` combines every element
with the one ``2**k`` before it, as a few element-wise primitives over two overlapping slices. The
work is ``O(n log n)`` primitive element operations and no ``n x n`` temporaries, and integer scans
stay exact. Each combine keeps the earlier operand on the left, so a scan is correct for any
associative operation (also the non-commutative ones: ``cummax`` indices, affine maps).
"""
from __future__ import annotations

from collections import namedtuple

from .. import dtypes
from ..autocast_state import autocast_op
from . import pointwise as pw
from . import shape as sh
from .support import Tensor, cast_tensor, grad_state, wrap_dim

CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


# ----- the scan over buffers --------------------------------------------------------------------
def _part(backend, buf, d: int, start: int, length: int):
    """``buf[start:start+length]`` along ``d`` as a view buffer."""
    shape = list(buf.shape)
    shape[d] = length
    strides = backend.strides(buf)
    return backend.as_strided(buf, tuple(shape), strides, start * strides[d])


def _fresh_copy(backend, buf, dtype):
    out = backend.empty(buf.shape, dtype)
    backend.copy_(out, buf)
    return out


def _scan_buffers(backend, bufs: tuple, dtypes_: tuple, d: int, combine) -> tuple:
    """Inclusive scan along ``d`` of same-shaped buffers (a value and maybe its index).

    ``combine(earlier, later, out)`` takes tuples of same-shaped buffer views and writes the
    combination of each pair into ``out``. Returns new buffers."""
    n = bufs[0].shape[d]
    if n <= 1:
        return tuple(_fresh_copy(backend, b, t) for b, t in zip(bufs, dtypes_))
    current, step = bufs, 1
    while step < n:
        new = tuple(backend.empty(b.shape, t) for b, t in zip(bufs, dtypes_))
        for target, source in zip(new, current):
            backend.copy_(_part(backend, target, d, 0, step), _part(backend, source, d, 0, step))
        combine(tuple(_part(backend, b, d, 0, n - step) for b in current),
                tuple(_part(backend, b, d, step, n - step) for b in current),
                tuple(_part(backend, b, d, step, n - step) for b in new))
        current, step = new, step * 2
    return current


def _elementwise_combine(backend, primitive: str):
    operation = getattr(backend, primitive)

    def combine(earlier, later, out):
        operation(earlier[0], later[0], out=out[0])
    return combine


def _as_rows(x: Tensor) -> Tensor:
    """A 0-d tensor scans as one element."""
    return sh.reshape(x, (1,)) if x.ndim == 0 else x


def _accumulating_scan(x: Tensor, dim: int, dtype, primitive: str, name: str) -> Tensor:
    """cumsum/cumprod: integers and bool accumulate in int64 (or ``dtype``), 16-bit floats in
    float32 rounded once at the end, as PyTorch's CPU kernels do."""
    d = wrap_dim(dim, x.ndim)
    if dtype is not None:
        x = cast_tensor(x, dtypes.as_dtype(dtype))
    elif not x._dtype.is_floating_point:
        x = cast_tensor(x, dtypes.int64)
    rows = _as_rows(x)
    backend = x._backend
    work = dtypes.accumulate_dtype(x._dtype) if x._dtype.is_floating_point else x._dtype
    source = rows._buf if work is x._dtype else backend.cast(rows._buf, work)
    (buf,) = _scan_buffers(backend, (source,), (work,), d, _elementwise_combine(backend, primitive))
    if work is not x._dtype:
        buf = backend.cast(buf, x._dtype)
    if x.ndim == 0:
        buf = backend.as_strided(buf, (), (), 0)
    out = Tensor._make(buf, x._dtype, x._device, backend)
    if x._requires_grad and grad_state.enabled:
        if primitive == "add":
            out._attach(name, lambda g: (_reverse_cumsum(g, d),), (x,))
        else:
            y = pw._saved(out)
            out._attach(name, lambda g: (_cumprod_backward(g, x, y, d),), (x,), (x, y))
    return out


@autocast_op("cumsum")
def cumsum(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; integers and bool sum to int64 unless ``dtype`` is given."""
    return _accumulating_scan(x, dim, dtype, "add", "CumsumBackward0")


@autocast_op("cumprod")
def cumprod(x: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; integers and bool multiply in int64 unless ``dtype``."""
    return _accumulating_scan(x, dim, dtype, "mul", "CumprodBackward0")


def _reverse_cumsum(g: Tensor, d: int) -> Tensor:
    if g.ndim == 0:
        return g
    return sh.flip(cumsum(sh.flip(g, d), d), d)


def _cumprod_backward(g: Tensor, x: Tensor, y: Tensor, d: int) -> Tensor:
    """``dL/dx_i = prod_{j<i} x_j * S_i`` with ``S_i = g_i + x_{i+1} S_{i+1}``: exact with zeros
    in ``x`` (no division), and differentiable again (every step is a tensor op)."""
    if x.ndim == 0:
        return g
    n = x._buf.shape[d]
    if n <= 1:
        return g
    shape = list(x._buf.shape)
    shape[d] = 1
    ones = x._like(x._backend.full(tuple(shape), 1, x._dtype))
    before = sh.cat([ones, sh.narrow(y, d, 0, n - 1)], d)  # exclusive cumprod
    following = sh.cat([sh.narrow(x, d, 1, n - 1), ones * 0.0], d)  # x_{i+1}, 0 past the end
    return before * _affine_suffix_scan(following, g, d)


def _affine_suffix_scan(a: Tensor, b: Tensor, d: int) -> Tensor:
    """``S_i = b_i + a_i S_{i+1}`` (``S_n = 0``) along ``d`` as a scan of affine maps, composed
    from tensor ops so that it is differentiable."""
    a, b = sh.flip(a, d), sh.flip(b, d)
    n = a._buf.shape[d]
    step = 1
    while step < n:
        # later map (A2, B2) after earlier map (A1, B1): (A1 A2, B2 + A2 B1)
        a_early, b_early = sh.narrow(a, d, 0, n - step), sh.narrow(b, d, 0, n - step)
        a_late, b_late = sh.narrow(a, d, step, n - step), sh.narrow(b, d, step, n - step)
        b = sh.cat([sh.narrow(b, d, 0, step), b_late + a_late * b_early], d)
        a = sh.cat([sh.narrow(a, d, 0, step), a_late * a_early], d)
        step *= 2
    return sh.flip(b, d)


# ----- cummax / cummin --------------------------------------------------------------------------
def _extremum_combine(backend, largest: bool, floating: bool):
    """Keep the later (value, index) when it is NaN, or ties or beats the earlier one and the
    earlier one is not NaN: PyTorch's rule, an associative "max by (is NaN, value, index)"."""
    def combine(earlier, later, out):
        (v1, i1), (v2, i2) = earlier, later
        beaten = backend.lt(v2, v1) if largest else backend.lt(v1, v2)
        take_later = backend.eq(beaten, False)
        if floating:
            later_nan = backend.eq(backend.eq(v2, v2), False)
            earlier_number = backend.eq(v1, v1)
            take_later = backend.add(later_nan, backend.mul(earlier_number, take_later))
        backend.copy_(out[0], backend.where(take_later, v2, v1))
        backend.copy_(out[1], backend.where(take_later, i2, i1))
    return combine


def _cumulative_extremum(x: Tensor, dim: int, largest: bool):
    if x._dtype is dtypes.bool:  # ordered as 0 < 1 (comparisons take numbers only)
        values, indices = _cumulative_extremum(cast_tensor(x, dtypes.uint8), dim, largest)
        return (CummaxResult if largest else CumminResult)(cast_tensor(values, dtypes.bool), indices)
    d = wrap_dim(dim, x.ndim)
    rows = _as_rows(x)
    backend = x._backend
    n = rows._buf.shape[d]
    positions = backend.arange(0, n, 1, dtypes.int64)
    shape = [1] * rows.ndim
    shape[d] = n
    positions = backend.as_strided(positions, tuple(shape), (1,) * rows.ndim, 0)
    positions = _broadcast_buffer(backend, positions, rows._buf.shape)
    values, indices = _scan_buffers(
        backend, (rows._buf, positions), (x._dtype, dtypes.int64), d,
        _extremum_combine(backend, largest, x._dtype.is_floating_point))
    if x.ndim == 0:
        values = backend.as_strided(values, (), (), 0)
        indices = backend.as_strided(indices, (), (), 0)
    out = Tensor._make(values, x._dtype, x._device, backend)
    index = Tensor._make(indices, dtypes.int64, x._device, backend)
    if x._requires_grad and grad_state.enabled:
        from .indexing import scatter_add_into_zeros
        shape = x._buf.shape
        name = "CummaxBackward0" if largest else "CumminBackward0"
        out._attach(name, lambda g: (scatter_add_into_zeros(g, d, index, shape) if g.ndim else g,),
                    (x,))
    return (CummaxResult if largest else CumminResult)(out, index)


def _broadcast_buffer(backend, buf, shape: tuple):
    if buf.shape == shape:
        return buf
    own = backend.strides(buf)
    strides = tuple(0 if size == 1 and target != 1 else own[i]
                    for i, (size, target) in enumerate(zip(buf.shape, shape)))
    return backend.as_strided(buf, shape, strides, 0)


def cummax(x: Tensor, dim: int):
    """Running maximum along ``dim`` and the index where it was found (the last such index;
    a NaN stays the maximum once seen)."""
    return _cumulative_extremum(x, dim, True)


def cummin(x: Tensor, dim: int):
    """Running minimum along ``dim`` and the index where it was found."""
    return _cumulative_extremum(x, dim, False)


# ----- logcumsumexp -----------------------------------------------------------------------------
def _log_add_exp_combine(backend):
    """``max + log1p(exp(min - max))``; equal infinities combine to themselves, NaN propagates."""
    def combine(earlier, later, out):
        high = backend.maximum(earlier[0], later[0])
        low = backend.minimum(earlier[0], later[0])
        differ = backend.eq(backend.eq(high, low), False)
        gap = backend.where(differ, backend.sub(low, high), 0.0)
        backend.add(high, backend.log1p(backend.exp(gap)), out=out[0])
    return combine


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, without overflow or underflow."""
    if not x._dtype.is_floating_point:
        raise NotImplementedError(f'"logcumsumexp" not implemented for \'{x._dtype.name}\' '
                                  f"(floating point inputs only)")
    d = wrap_dim(dim, x.ndim)
    rows = _as_rows(x)
    backend = x._backend
    work = dtypes.accumulate_dtype(x._dtype)
    source = rows._buf if work is x._dtype else backend.cast(rows._buf, work)
    (buf,) = _scan_buffers(backend, (source,), (work,), d, _log_add_exp_combine(backend))
    if work is not x._dtype:
        buf = backend.cast(buf, x._dtype)
    if x.ndim == 0:
        buf = backend.as_strided(buf, (), (), 0)
    out = Tensor._make(buf, x._dtype, x._device, backend)
    if x._requires_grad and grad_state.enabled:
        y = pw._saved(out)
        out._attach("LogcumsumexpBackward0", lambda g: (_logcumsumexp_backward(g, x, y, d),),
                    (x,), (x, y))
    return out


def _logcumsumexp_backward(g: Tensor, x: Tensor, y: Tensor, d: int) -> Tensor:
    """PyTorch's formula: ``sum_{k>=i} g_k exp(x_i - y_k)``, with the positive and negative parts
    of ``g`` taken through reverse logcumsumexp in log space so nothing overflows."""
    if g.ndim == 0 or g.numel() == 0:
        return g
    lowest = float(dtypes.finfo(g._dtype).min)
    log_abs = pw.log(pw.abs(g))

    def reverse_logcumsumexp(t):
        return sh.flip(logcumsumexp(sh.flip(t, d), d), d)

    positive = pw.where(pw.gt(g, 0), log_abs, lowest)
    negative = pw.where(pw.lt(g, 0), log_abs, lowest)
    return (pw.exp(reverse_logcumsumexp(positive - y) + x)
            - pw.exp(reverse_logcumsumexp(negative - y) + x))


# ----- differences and integration --------------------------------------------------------------
def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """``n``-th forward difference along ``dim`` (``!=`` for bool), after concatenating
    ``prepend`` and ``append``."""
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, x.ndim)
    for extra in (prepend, append):
        if extra is not None and extra.ndim != x.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None or append is not None:
        x = sh.cat([t for t in (prepend, x, append) if t is not None], d)
    elif n == 0:
        return sh.clone(x)
    for _ in range(n):
        size = x._buf.shape[d]
        if size == 0:
            break
        later, earlier = sh.narrow(x, d, 1, size - 1), sh.narrow(x, d, 0, size - 1)
        x = pw.ne(later, earlier) if x._dtype is dtypes.bool else later - earlier
    return x


def _spacing(y: Tensor, x: Tensor, d: int, op: str) -> Tensor:
    """Differences of the sample points ``x``, shaped to broadcast against ``y``'s slices."""
    if y._dtype is dtypes.bool or x._dtype is dtypes.bool:
        raise RuntimeError(f"{op}: received a bool input for `x` or `y`, but bool is not supported")
    if x.ndim == 1:
        if x._buf.shape[0] != y._buf.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x._buf.shape[0]
        x = sh.reshape(x, shape)
    elif x.ndim < y.ndim:
        x = sh.reshape(x, (1,) * (y.ndim - x.ndim) + tuple(x._buf.shape))
    n = x._buf.shape[d]
    return sh.narrow(x, d, 1, max(n - 1, 0)) - sh.narrow(x, d, 0, max(n - 1, 0))


def _pair_sums(y: Tensor, d: int) -> Tensor:
    """``y[1:] + y[:-1]`` along ``d``."""
    n = y._buf.shape[d]
    return sh.narrow(y, d, min(1, n), max(n - 1, 0)) + sh.narrow(y, d, 0, max(n - 1, 0))


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """Integral of ``y`` along ``dim`` by the trapezoid rule, at the sample points ``x`` or with
    the constant spacing ``dx`` (default 1)."""
    d = wrap_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: give either "
                        "x or dx, not both")
    if y._buf.shape[d] == 0:
        from ..creation import zeros
        return zeros(y._buf.shape[:d] + y._buf.shape[d + 1:], dtype=y._dtype, device=y._device)
    if x is not None:
        return (_spacing(y, x, d, "trapezoid") * _pair_sums(y, d) / 2.0).sum(d)
    if y._dtype is dtypes.bool:
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
    n = y._buf.shape[d]
    return (y.sum(d) - (sh.select(y, d, 0) + sh.select(y, d, n - 1)) * 0.5) * (1 if dx is None else dx)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """Running integral of ``y`` along ``dim`` by the trapezoid rule (one element shorter)."""
    d = wrap_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: give "
                        "either x or dx, not both")
    if x is not None:
        step = _spacing(y, x, d, "cumulative_trapezoid") / 2.0
    else:
        if y._dtype is dtypes.bool:
            raise RuntimeError("cumulative_trapezoid: received a bool input for `x` or `y`, but "
                               "bool is not supported")
        step = (1 if dx is None else dx) / 2.0
    return cumsum(step * _pair_sums(y, d), d)
