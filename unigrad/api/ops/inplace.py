"""In-place ops. Each computes the new value out of place, then ``commit`` writes it into the
tensor's storage, bumps the version counter and, under autograd, rebases the graph (including the
graph of the base when the tensor is a view), as PyTorch does."""
from __future__ import annotations

from ...autograd.node import Node
from .. import dtypes
from . import indexing, shape as sh
from .pointwise import where
from .support import Tensor, expand_buf, grad_state, scalar_for


def _check_leaf(x: Tensor) -> None:
    if x._requires_grad and x.grad_fn is None and x._base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = x._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _cast_for(x: Tensor, value: Tensor, op: str) -> Tensor:
    if value._dtype is x._dtype:
        return value
    if value._dtype.category > x._dtype.category:
        raise RuntimeError(f"result type {value._dtype.name} can't be cast to the desired output "
                           f"type {x._dtype.name} (in {op})")
    return value.to(x._dtype)


def commit(x: Tensor, new: Tensor, op: str = "in-place op") -> Tensor:
    """Make ``new`` (x's shape) the value of ``x`` in place; returns ``x``."""
    if grad_state.enabled and (x._requires_grad or new._requires_grad):
        _check_leaf(x)
    new = _cast_for(x, new, op)
    if new._buf.shape != x._buf.shape:
        try:
            new = sh.expand(new, x._buf.shape)
        except RuntimeError:
            raise RuntimeError(f"{op}: output with shape {list(x.shape)} doesn't match the "
                               f"broadcast shape {list(new.shape)}") from None
    if new._buf is not x._buf:
        x._backend.copy_(x._buf, new._buf)
    x._version[0] += 1
    if grad_state.enabled and (x._requires_grad or new._requires_grad):
        _rebase(x, new)
    return x


def _rebase(x: Tensor, new: Tensor) -> None:
    if x._base is None:
        x.grad_fn = new.grad_fn
        x._requires_grad = new._requires_grad
        return
    base, replay = x._base, x._view_fn
    base_shape = base._buf.shape
    need_new = new._requires_grad

    def copy_slices_backward(g):
        ones = g._like(g._backend.full(base_shape, True, dtypes.bool), dtypes.bool)
        region = sh.view_scatter(replay(ones), replay, base_shape)
        kept = where(region, 0.0, g)
        return kept, (replay(g) if need_new else None)

    base.grad_fn = Node("CopySlices", copy_slices_backward, (base, new))
    base._requires_grad = True
    # the view's gradient lands in the base's region the view covers
    x.grad_fn = Node("AsStridedBackward0", lambda g: (sh.view_scatter(g, replay, base_shape),), (base,))
    x._requires_grad = True


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value``."""
    if grad_state.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
        commit(x, indexing.index_put(x, key, value), "setitem")
        return
    indexing.setitem_(x, key, value)
    x._version[0] += 1


def copy_(x: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, converted to ``x``'s dtype and device) into ``x``."""
    if not isinstance(src, Tensor):
        from ..creation import tensor
        src = tensor(src, dtype=x._dtype, device=x._device)
    src = src.to(device=x._device, dtype=x._dtype)
    if _overlaps(x, src):
        src = sh.clone(src)
    if not (grad_state.enabled and (x._requires_grad or src._requires_grad)):
        x._backend.copy_(x._buf, indexing._broadcast_buf(src, x._buf.shape, "copy_"))
        x._version[0] += 1
        return x
    return commit(x, src if src._buf.shape == x._buf.shape else sh.expand(src, x._buf.shape), "copy_")


def _overlaps(a: Tensor, b: Tensor) -> bool:
    return indexing._shares_storage(a, b)


def fill_(x: Tensor, value) -> Tensor:
    """Set every element to ``value``."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        return copy_(x, value)
    full = x._like(x._backend.full(x._buf.shape, scalar_for(value, x._dtype), x._dtype))
    return commit(x, full, "fill_")


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def make_inplace(function, name: str):
    """``x.op_(...)``: ``function(x, ...)`` committed into ``x``."""

    def inplace(x: Tensor, *args, **kwargs) -> Tensor:
        if grad_state.enabled and (x._requires_grad or any(
                isinstance(a, Tensor) and a._requires_grad for a in args)):
            # The backward may need x's old values, which the commit overwrites: like PyTorch's
            # "original self", compute from a copy.
            _check_leaf(x)
            return commit(x, function(sh.clone(x), *args, **kwargs), name)
        return commit(x, function(x, *args, **kwargs), name)

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of ``{function.__name__}``."
    return inplace


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from U[a, b)."""
    from .random import uniform_buffer
    _check_floating(x, "uniform_")
    u = x._like(uniform_buffer(x._backend, x._buf.shape, x._dtype, generator))
    return _commit_sample(x, u * (b - a) + a if (a, b) != (0.0, 1.0) else u)


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    from .random import normal_buffer
    _check_floating(x, "normal_")
    z = x._like(normal_buffer(x._backend, x._buf.shape, x._dtype, generator))
    return _commit_sample(x, z * std + mean if (mean, std) != (0.0, 1.0) else z)


def random_(x: Tensor, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
    """Fill with integers uniform in [low, high)."""
    from .random import integer_buffer
    if high is None:
        low, high = 0, low if low else (2 ** 24 if x._dtype.is_floating_point else 2 ** 31)
    values = x._like(integer_buffer(x._backend, x._buf.shape, low, high, dtypes.int64, generator),
                     dtypes.int64)
    return _commit_sample(x, values.to(x._dtype))


def bernoulli_(x: Tensor, p: float = 0.5, *, generator=None) -> Tensor:
    from .random import uniform_buffer
    u = x._like(uniform_buffer(x._backend, x._buf.shape, dtypes.float32, generator), dtypes.float32)
    return _commit_sample(x, (u < p).to(x._dtype))


def _commit_sample(x: Tensor, sample: Tensor) -> Tensor:
    return commit(x, sample, "random fill")


def _check_floating(x: Tensor, op: str) -> None:
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{op} expects a floating point tensor, got {x._dtype.name}")


def _needs_graph(x: Tensor, args) -> bool:
    if not grad_state.enabled:
        return False
    return x._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _direct_operand(x: Tensor, other, primitive: str, name: str):
    """What the backend can apply straight into ``x``'s buffer, or None for the general path
    (a graph to record, a dtype conversion, another device, overlapping memory, an error)."""
    if grad_state.enabled and (x._requires_grad or (other.__class__ is Tensor and other._requires_grad)):
        return None
    dtype = x._dtype
    if other.__class__ is Tensor:
        if other._dtype is not dtype or other._device is not x._device:
            return None
        operand = other._buf
        if operand is not x._buf and indexing._shares_storage(x, other):
            return None
        shape = x._buf.shape
        if operand.shape != shape:
            if sh.broadcast_shapes(operand.shape, shape, op=name) != shape:
                return None  # the general path raises the shape error
            if not x._backend.native_broadcasting:
                operand = expand_buf(other, shape)
        return operand
    kind = other.__class__
    if dtype.is_floating_point:
        return float(other) if kind is float or kind is int else None
    if kind is int and primitive != "div" and dtype is not dtypes.bool:
        return other
    return None


def fast_binary_inplace(primitive: str, function, name: str):
    """``x.add_(y)`` and friends: written straight into ``x``'s buffer when no graph is recorded
    and no conversion is needed; otherwise the general ``make_inplace`` path."""
    general = make_inplace(function, name)

    def inplace(x: Tensor, other, *, alpha=1) -> Tensor:
        operand = _direct_operand(x, other, primitive, name)
        if operand is None:
            return general(x, other, alpha=alpha) if alpha != 1 else general(x, other)
        backend = x._backend
        if alpha != 1:
            operand = operand * alpha if operand.__class__ in (int, float, bool) \
                else backend.mul(operand, alpha)
        getattr(backend, primitive)(x._buf, operand, out=x._buf)
        x._version[0] += 1
        return x

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of ``{function.__name__}``."
    return inplace


def fast_unary_inplace(primitive: str, function, name: str):
    """``x.exp_()`` and friends, straight into ``x``'s buffer when no graph is recorded."""
    general = make_inplace(function, name)

    def inplace(x: Tensor) -> Tensor:
        if _needs_graph(x, ()) or not x._dtype.is_floating_point:
            return general(x)
        getattr(x._backend, primitive)(x._buf, out=x._buf)
        x._version[0] += 1
        return x

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of ``{function.__name__}``."
    return inplace
