"""Reductions (sum, mean, max, var, logsumexp, softmax, ...) with their gradients."""
from __future__ import annotations

import builtins
import math

from .. import autocast_state, dtypes
from ..autocast_state import autocast_op
from . import pointwise as pw
from . import shape as sh
from ...autograd.composite import presents_as
from ...autograd.grad_mode import no_grad as _no_grad
from .support import Tensor, cast_tensor, expand_buf, grad_state, normalize_dims, wrap_dim
from ... import return_types

_autocast = autocast_state.local

MaxResult = return_types.max
MinResult = return_types.min


def _kept_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else size for i, size in enumerate(shape))


def _reduced_shape(shape: tuple, dims: tuple, keepdim: bool) -> tuple:
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(size for i, size in enumerate(shape) if i not in dims)


def _spread(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """A reduced gradient broadcast back over the input's ``shape`` (one stride-0 view)."""
    own = g._backend.strides(g._buf)
    if keepdim:
        strides = [0 if i in dims and size != 1 else own[i] for i, size in enumerate(shape)]
    else:
        rest = iter(own)
        strides = [0 if i in dims else next(rest) for i in range(len(shape))]
    if tuple(strides) == own and g._buf.shape == shape:
        return g
    if not (g._requires_grad and grad_state.enabled):  # no graph to record: the bare view
        return Tensor._make(g._backend.as_strided(g._buf, shape, tuple(strides), 0), g._dtype,
                            g._device, g._backend)
    g_shape = g._buf.shape
    kept = _kept_shape(shape, dims)
    return sh.make_view(g, shape, strides, 0, "ExpandBackward0",
                        lambda gg: (sum(gg, dims, keepdim=True).reshape(g_shape)
                                    if kept != g_shape else sum(gg, dims, keepdim=True),),
                        lambda t: _spread(t, shape, dims, keepdim))


def _accumulation_dtype(x: Tensor, dtype) -> dtypes.dtype:
    if dtype is not None:
        return dtypes.as_dtype(dtype)
    if not x._dtype.is_floating_point:
        return dtypes.int64
    return x._dtype


def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims if None); integers and bool sum to int64."""
    if _autocast.active:
        return autocast_state.dispatch("sum", sum, (x, dim, keepdim), {"dtype": dtype})
    shape = x._buf.shape
    dims = normalize_dims(dim, len(shape))
    out_dtype = _accumulation_dtype(x, dtype)
    work = dtypes.accumulate_dtype(out_dtype)
    source = x if x._dtype is out_dtype or not out_dtype.is_floating_point else cast_tensor(x, out_dtype)
    buf = x._backend.sum(source._buf if work is out_dtype else x._backend.cast(source._buf, work),
                         dims, keepdim, work)
    if work is not out_dtype:
        buf = x._backend.cast(buf, out_dtype)
    out = Tensor._make(buf, out_dtype, x._device, x._backend)
    if source._requires_grad and grad_state.enabled:
        source_shape = source._buf.shape
        out._attach("SumBackward1" if dim is not None else "SumBackward0",
                    lambda g: (_spread(g, source_shape, dims, keepdim),), (source,))
    return out


def mean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim`` (floating dtypes)."""
    if dtype is not None:
        x = cast_tensor(x, dtypes.as_dtype(dtype))
    if not x._dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x._dtype.name}")
    shape = x._buf.shape
    dims = normalize_dims(dim, len(shape))
    count = 1
    for d in dims:
        count *= shape[d]
    work = dtypes.accumulate_dtype(x._dtype)
    source = x._buf if work is x._dtype else x._backend.cast(x._buf, work)
    buf = x._backend.div(x._backend.sum(source, dims, keepdim, work), float(count) if count else math.nan)
    if work is not x._dtype:
        buf = x._backend.cast(buf, x._dtype)
    out = Tensor._make(buf, x._dtype, x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        out._attach("MeanBackward1" if dim is not None else "MeanBackward0",
                    lambda g: (_spread(_divided(g, count), shape, dims, keepdim),), (x,))
    return out


def _divided(g: Tensor, count: int) -> Tensor:
    if g._requires_grad and grad_state.enabled:
        return g / count
    return Tensor._make(g._backend.div(g._buf, float(count)), g._dtype, g._device, g._backend)


@autocast_op("prod")
def prod(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (one dim, or all if None)."""
    shape = x._buf.shape
    dims = normalize_dims(dim, len(shape))
    out_dtype = _accumulation_dtype(x, dtype)
    source = cast_tensor(x, out_dtype) if out_dtype.is_floating_point else x
    out = Tensor._make(x._backend.prod(source._buf, dims, keepdim, out_dtype), out_dtype,
                       x._device, x._backend)
    if source._requires_grad and grad_state.enabled:
        def backward(g):
            # Exact with zeros: each element's gradient is the product of the others.
            is_zero = pw.eq(source, 0)
            zeros = sum(is_zero, dims, keepdim=True)
            product_of_nonzero = prod(pw.where(is_zero, 1.0, source), dims, keepdim=True)
            total = product_of_nonzero * pw.eq(zeros, 0)
            others = pw.where(pw.eq(zeros, 0), total / pw.where(is_zero, 1.0, source),
                              pw.where(is_zero & pw.eq(zeros, 1), product_of_nonzero, 0.0))
            return (_spread(g, shape, dims, keepdim) * others,)
        out._attach("ProdBackward1" if dim is not None else "ProdBackward0", backward, (source,), (source,))
    return out


def _check_nonempty(x: Tensor, dims: tuple, op: str) -> None:
    for d in dims:
        if x._buf.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                             f"(input shape {list(x._buf.shape)})")
    if not dims and x.numel() == 0:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")


def _extreme(x: Tensor, dim, keepdim: bool, primitive: str, name: str, label: str | None = None) -> Tensor:
    if dim is None and not x.numel():
        raise RuntimeError(f"{label or primitive}(): Expected reduction dim to be specified for input.numel() "
                           f"== 0. Specify the reduction dim with the 'dim' argument.")
    dims = normalize_dims(dim, x.ndim)
    _check_nonempty(x, dims, label or primitive)
    out = Tensor._make(getattr(x._backend, primitive)(x._buf, dims, keepdim), x._dtype,
                       x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        shape = x._buf.shape
        result = pw._saved(out)

        def backward(g):
            # Ties share the gradient evenly (PyTorch's amax/amin rule).
            hits = pw.eq(x, _spread(result, shape, dims, keepdim))
            count = sum(hits, dims, keepdim=True)
            return (_spread(g, shape, dims, keepdim) * hits / count,)
        out._attach(name, backward, (x,), (x, result))
    return out


def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims if empty); NaN propagates."""
    return _extreme(x, dim if dim != () else None, keepdim, "max", "AmaxBackward0", "amax")


def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims if empty); NaN propagates."""
    return _extreme(x, dim if dim != () else None, keepdim, "min", "AminBackward0", "amin")


def _with_indices(x: Tensor, dim, keepdim: bool, largest: bool):
    """``(values, indices)`` along ``dim``; the values are one node (MaxBackward0 / MinBackward0)
    sending the gradient to the chosen positions."""
    d = wrap_dim(dim, x.ndim)
    _check_nonempty(x, (d,) if x.ndim else (), "max" if largest else "min")
    indices = (argmax if largest else argmin)(x, d, keepdim=True)
    from .indexing import gather, scatter_add_into_zeros
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        values = gather(x, d, indices) if x.ndim else x.clone()
        if not keepdim and x.ndim:
            values, indices_out = values.squeeze(d), indices.squeeze(d)
        else:
            indices_out = indices
    finally:
        grad_state.enabled = enabled
    if x._requires_grad and enabled:
        shape, squeezed = x._buf.shape, not keepdim and x.ndim

        def backward(g):
            if not shape:
                return (g,)
            return (scatter_add_into_zeros(g.unsqueeze(d) if squeezed else g, d, indices, shape),)
        values = Tensor._make(values._buf, values._dtype, values._device, values._backend)
        values._attach("MaxBackward0" if largest else "MinBackward0", backward, (x,))
    return values, indices_out


def max(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """``max(x)``: the largest element; ``max(x, dim)``: ``(values, indices)`` along ``dim``;
    ``max(x, other)``: element-wise maximum."""
    if dim is None:
        return _extreme(x, None, False, "max", "MaxBackward1")
    if isinstance(dim, Tensor):
        return pw.maximum(x, dim)
    return MaxResult(*_with_indices(x, dim, keepdim, True))


def min(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, other)``."""
    if dim is None:
        return _extreme(x, None, False, "min", "MinBackward1")
    if isinstance(dim, Tensor):
        return pw.minimum(x, dim)
    return MinResult(*_with_indices(x, dim, keepdim, False))


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor if ``dim`` is None)."""
    if dim is None:
        flat = x.reshape(-1)
        _check_nonempty(flat, (0,), "argmax")
        out = flat._like(x._backend.argmax(flat._buf, 0, False), dtypes.int64)
        return out.reshape((1,) * x.ndim) if keepdim else out
    d = wrap_dim(dim, x.ndim)
    if not x.ndim:
        return x._like(x._backend.full((), 0, dtypes.int64), dtypes.int64)
    _check_nonempty(x, (d,), "argmax")
    return x._like(x._backend.argmax(x._buf, d, keepdim), dtypes.int64)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element; computed as the argmax of an order-reversing map."""
    x = x.detach()
    if x._dtype.is_floating_point:
        flipped = pw.neg(x)
    elif x._dtype is dtypes.bool:
        flipped = pw.logical_not(x)
    else:
        flipped = pw.bitwise_not(x)  # ~x reverses order and, unlike -x, never overflows
    return argmax(flipped, dim, keepdim)


@presents_as("VarBackward0", "x")
def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 unless ``unbiased=False``)."""
    if isinstance(dim, bool) and unbiased is None:  # var(x, False) means unbiased=False
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = normalize_dims(dim, x.ndim)
    count = 1
    for d in dims:
        count *= x._buf.shape[d]
    centered = x - mean(x, dims, keepdim=True)
    total = sum(centered * centered, dims, keepdim)
    return total / builtins.max(count - correction, 0)


@presents_as("StdBackward0", "x")
def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: ``sqrt(var(...))``."""
    return pw.sqrt(var(x, dim, unbiased, keepdim, correction=correction))


@presents_as("LogsumexpBackward0", "x")
@autocast_op("logsumexp")
def logsumexp(x: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, without overflow."""
    x = pw.float_operand(x)
    dims = normalize_dims(dim, x.ndim)
    peak = amax(x.detach(), dims, keepdim=True) if x.numel() else x.detach().sum(dims, True)
    peak = pw.where(pw.isinf(peak), 0.0, peak)
    total = sum(pw.exp(x - peak), dims, keepdim=True)
    out = pw.log(total) + peak
    return out if keepdim else out.squeeze(dims) if dims else out


def _check_floating(x: Tensor, op: str) -> None:
    """PyTorch's softmax kernels exist for floating dtypes only (pass ``dtype=`` to convert)."""
    if not x._dtype.is_floating_point:
        raise NotImplementedError(f'"{op}_lastdim_kernel_impl" not implemented for \'{x._dtype.name}\'')


def _softmax_dim(x: Tensor, dim) -> int:
    if dim is None:
        raise TypeError("softmax(): argument 'dim' must be given (implicit dim is deprecated)")
    return wrap_dim(dim, x.ndim)


@autocast_op("log_softmax")
def log_softmax(x: Tensor, dim=None, dtype=None) -> Tensor:
    """``x - logsumexp(x, dim)``; the backend's fused kernel when it has one."""
    if dtype is not None:
        x = cast_tensor(x, dtypes.as_dtype(dtype))
    _check_floating(x, "log_softmax")
    d = _softmax_dim(x, dim)
    if x.ndim == 0:
        return x * 0.0
    fast = x._backend.log_softmax
    if fast is not None and not _FORCE_COMPOSITE[0]:
        buf = fast(x._buf, d)
    else:
        with _no_grad():
            buf = (x - logsumexp(x, d, keepdim=True))._buf
    out = Tensor._make(buf, x._dtype, x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        y = pw._saved(out)
        out._attach("LogSoftmaxBackward0", lambda g: (_log_softmax_backward(g, y, d),), (x,), (y,))
    return out


def _log_softmax_backward(g: Tensor, y: Tensor, d: int) -> Tensor:
    if (g._requires_grad or y._requires_grad) and grad_state.enabled:
        return g - pw.exp(y) * sum(g, d, keepdim=True)
    b = g._backend
    total = b.sum(g._buf, (d,), True, g._dtype)
    if not b.native_broadcasting:
        total = expand_buf(g._like(total), g._buf.shape)
    return g._like(b.sub(g._buf, b.mul(b.exp(y._buf), total)))


@autocast_op("softmax")
def softmax(x: Tensor, dim=None, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, computed stably."""
    if dtype is not None:
        x = cast_tensor(x, dtypes.as_dtype(dtype))
    _check_floating(x, "softmax")
    d = _softmax_dim(x, dim)
    if x.ndim == 0:
        return x * 0.0 + 1.0
    fast = x._backend.softmax
    if fast is not None and not _FORCE_COMPOSITE[0]:
        buf = fast(x._buf, d)
    else:
        with _no_grad():
            e = pw.exp(x - amax(x, d, keepdim=True))
            buf = (e / sum(e, d, keepdim=True))._buf
    out = Tensor._make(buf, x._dtype, x._device, x._backend)
    if x._requires_grad and grad_state.enabled:
        y = pw._saved(out)
        out._attach("SoftmaxBackward0",
                    lambda g: (y * (g - sum(g * y, d, keepdim=True)),), (x,), (y,))
    return out


#: set to True (or env UNIGRAD_FORCE_COMPOSITE=1) to bypass backend fast paths, for testing
_FORCE_COMPOSITE = [False]



def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``dim`` is non-zero: where the count of non-zero elements
    is the number reduced over (two primitives for a bool tensor)."""
    flags = pw.ne(x, 0) if x._dtype is not dtypes.bool else x
    dims = normalize_dims(dim, x.ndim)
    shape, reduced = x._buf.shape, 1
    for d in dims:
        reduced *= shape[d]
    counts = x._backend.sum(flags._buf, dims, keepdim, dtypes.int64)
    return x._like(x._backend.eq(counts, reduced), dtypes.bool)


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``dim`` is non-zero."""
    flags = pw.ne(x, 0) if x._dtype is not dtypes.bool else x
    dims = normalize_dims(dim, x.ndim)
    counts = x._backend.sum(flags._buf, dims, keepdim, dtypes.int64)
    return x._like(x._backend.lt(x._backend.full(counts.shape, 0, dtypes.int64), counts), dtypes.bool)


def count_nonzero(x: Tensor, dim=None) -> Tensor:
    return sum(pw.ne(x, 0), dim)


from .scans import cumsum  # noqa: E402,F401  (the scans live in scans.py)
from .norms import norm  # noqa: E402,F401  (norms live in norms.py)

# PyTorch also accepts NumPy's ``axis=``/``keepdims=`` for these (see numpy_names)
from .numpy_names import accept_numpy_names as _accept_numpy_names  # noqa: E402

(sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, softmax, log_softmax,
 all, any, count_nonzero) = map(_accept_numpy_names, (
    sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, softmax,
    log_softmax, all, any, count_nonzero))
