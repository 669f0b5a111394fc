"""In-place ops. Each computes the new value out of place, then ``commit`` writes it into the
tensor's storage, bumps the version counter and, under autograd, rewrites the graph as PyTorch
does (``autograd/views.py``: the base's ``CopySlices`` when the tensor is a view). Activations
whose gradient needs only their result write into the tensor instead (``result_inplace``)."""
from __future__ import annotations

from ...autograd import views
from .. import dtypes
from . import indexing, random_chunks, shape as sh
from .support import Tensor, expand_buf, grad_state, scalar_for, sum_to_shape


def _check_leaf(x: Tensor) -> None:
    views.check_inplace(x)


OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor refers to a "
                   "single memory location. Please clone() the tensor before performing the operation.")


def check_no_internal_overlap(x: Tensor) -> None:
    """PyTorch's refusal to write an op's results into a tensor some of whose elements share
    memory (an expanded view): the result would depend on the order of the writes. (Filling with
    one value, ``fill_``/``zero_`` and ``x[key] = value``, stays allowed, as in PyTorch.)"""
    if x._base is not None:
        for size, stride in zip(x._buf.shape, x._backend.strides(x._buf)):
            if stride == 0 and size > 1:
                raise RuntimeError(OVERLAP_MESSAGE)


def _cast_for(x: Tensor, value: Tensor, op: str) -> Tensor:
    if value._dtype is x._dtype:
        return value
    if value._dtype.category > x._dtype.category:
        raise RuntimeError(f"result type {value._dtype.name} can't be cast to the desired output "
                           f"type {x._dtype.name} (in {op})")
    return value.to(x._dtype)


def _records(x: Tensor, new) -> bool:
    """Whether writing ``new`` into ``x`` is recorded by autograd."""
    return grad_state.enabled and (views.requires_grad_inplace(x) or (
        new.__class__ is Tensor and new._requires_grad))


def commit(x: Tensor, new: Tensor, op: str = "in-place op", node: str | None = None) -> Tensor:
    """Make ``new`` (x's shape) the value of ``x`` in place; returns ``x``. Under autograd,
    ``new.grad_fn`` becomes x's history; a ``new`` without one (a fill) gets a node called
    ``node`` passing x's old value a zero gradient."""
    recording = _records(x, new)
    if recording:
        views.check_inplace(x)
        if not new._requires_grad:
            new = _zero_gradient(x, new, node or _ZERO_NODES.get(op, "FillBackward0"))
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
    if recording:
        views.rebase(x, new)
    return x


_ZERO_NODES = {"fill_": "FillBackward2", "zero_": "ZeroBackward0", "uniform_": "UniformBackward0",
               "normal_": "NormalBackward0", "random_": "RandomBackward1",
               "bernoulli_": "BernoulliBackward1"}


def _zero_gradient(x: Tensor, new: Tensor, name: str) -> Tensor:
    """``new`` as the output of a node over x's current history that passes it zeros."""
    out = Tensor._make(new._buf, new._dtype, new._device, new._backend)
    return out._attach(name, _zeros_for, (x,))


def _zeros_for(g: Tensor) -> tuple:
    return (g._like(g._backend.full(g._buf.shape, 0, g._dtype)),)


def _snapshot(x: Tensor) -> Tensor:
    """x's current values in a new buffer, standing for its old value in an in-place op's graph
    (PyTorch's "original self"): it carries x's history, adding no node of its own."""
    backend = x._backend
    buf = backend.empty(x._buf.shape, x._dtype)
    backend.copy_(buf, x._buf)
    snapshot = Tensor._make(buf, x._dtype, x._device, backend)
    if x._requires_grad:
        node = x.grad_fn  # a view's history, regenerated first if its storage was modified
        if node is not None:
            snapshot._grad_fn, snapshot._requires_grad = node, True
    return snapshot


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value``: under autograd, a copy into the view ``x[key]`` (the base's history
    becomes ``CopySlices``), or ``index_put`` for advanced indices."""
    if _records(x, value):
        if indexing.has_advanced(key):
            commit(x, indexing.index_put(x, key, value), "setitem")
            return
        target = indexing.getitem(x, key)
        if isinstance(value, Tensor):
            value = _fitted(value, target._buf.shape)
        copy_(target, value)
        return
    indexing.setitem_(x, key, value)
    x._version[0] += 1


def _fitted(value: Tensor, shape: tuple) -> Tensor:
    """``value`` for the indexing result of ``shape``: leading size-1 dims dropped (as PyTorch
    does), and a clear error when it does not broadcast."""
    vshape, shape = value._buf.shape, tuple(shape)
    if len(vshape) > len(shape) and all(n == 1 for n in vshape[:len(vshape) - len(shape)]):
        value = sh.reshape(value, vshape[len(vshape) - len(shape):])
    try:
        fits = sh.broadcast_shapes(value._buf.shape, shape) == shape
    except RuntimeError:
        fits = False
    if not fits:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(shape)}")
    return value


def copy_(x: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, converted to ``x``'s dtype and device) into ``x``."""
    check_no_internal_overlap(x)
    if not isinstance(src, Tensor):
        from ..creation import tensor
        src = tensor(src, dtype=x._dtype, device=x._device)
    if not _records(x, src):
        values = src.to(device=x._device, dtype=x._dtype)
        if _overlaps(x, values):
            values = sh.clone(values)
        x._backend.copy_(x._buf, indexing._broadcast_buf(values, x._buf.shape, "copy_"))
        x._version[0] += 1
        return x
    views.check_inplace(x)
    detached = src.detach()
    values = detached.to(device=x._device, dtype=x._dtype)
    if _overlaps(x, values):
        values = sh.clone(values)
    if values._buf.shape != x._buf.shape:
        values = sh.expand(values, x._buf.shape)
    new = Tensor._make(values._buf, x._dtype, x._device, x._backend)
    src_shape, src_dtype, src_device = src._buf.shape, src._dtype, src._device
    need_src = src._requires_grad

    def backward(g):
        g_src = None
        if need_src:
            g_src = sum_to_shape(g, src_shape).to(device=src_device, dtype=src_dtype)
        return _zeros_for(g)[0], g_src
    new._attach("torch::autograd::CopyBackwards", backward, (x, src))
    return commit(x, new, "copy_")


def _overlaps(a: Tensor, b: Tensor) -> bool:
    return indexing._shares_storage(a, b)


def fill_(x: Tensor, value) -> Tensor:
    """Set every element to ``value``."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        return copy_(x, value)
    if not (value.__class__ is int and 0 <= value <= 1):
        from ..creation import check_fill_value  # creation builds on the ops: imported late
        value = check_fill_value(value, x._dtype)
    full = x._like(x._backend.full(x._buf.shape, scalar_for(value, x._dtype), x._dtype))
    return commit(x, full, "fill_")


def zero_(x: Tensor) -> Tensor:
    full = x._like(x._backend.full(x._buf.shape, scalar_for(0, x._dtype), x._dtype))
    return commit(x, full, "zero_")


def make_inplace(function, name: str):
    """``x.op_(...)``: ``function(x, ...)`` committed into ``x``."""

    def inplace(x: Tensor, *args, **kwargs) -> Tensor:
        check_no_internal_overlap(x)
        if grad_state.enabled and (views.requires_grad_inplace(x) or any(
                isinstance(a, Tensor) and a._requires_grad for a in args)):
            # The backward may need x's old values, which the commit overwrites: compute from a
            # snapshot of them that carries x's history.
            views.check_inplace(x)
            return commit(x, function(_snapshot(x), *args, **kwargs), name)
        return commit(x, function(x, *args, **kwargs), name)

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of ``{function.__name__}``."
    return inplace


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from U[a, b)."""
    from .random import uniform_buffer
    _check_floating(x, "uniform_")
    check_no_internal_overlap(x)
    if random_chunks.applies(x, _records(x, None)):
        random_chunks.uniform_(x, a, b, generator)
        x._version[0] += 1
        return x
    backend = x._backend
    u = uniform_buffer(backend, x._buf.shape, x._dtype, generator)
    if (a, b) != (0.0, 1.0):  # u * (b - a) + a, in the sample's own buffer
        backend.mul(u, float(b - a), out=u)
        backend.add(u, float(a), out=u)
    return _commit_sample(x, x._like(u), "uniform_")


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    from .random import normal_buffer
    _check_floating(x, "normal_")
    check_no_internal_overlap(x)
    if random_chunks.applies(x, _records(x, None)):
        random_chunks.normal_(x, mean, std, generator)
        x._version[0] += 1
        return x
    backend = x._backend
    z = normal_buffer(backend, x._buf.shape, x._dtype, generator)
    if (mean, std) != (0.0, 1.0):  # z * std + mean, in the sample's own buffer
        backend.mul(z, float(std), out=z)
        backend.add(z, float(mean), out=z)
    return _commit_sample(x, x._like(z), "normal_")


def random_(x: Tensor, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
    """Fill with integers uniform in [low, high)."""
    from .random import integer_buffer
    check_no_internal_overlap(x)
    if high is None:
        low, high = 0, low if low else (2 ** 24 if x._dtype.is_floating_point else 2 ** 31)
    values = x._like(integer_buffer(x._backend, x._buf.shape, low, high, dtypes.int64, generator),
                     dtypes.int64)
    return _commit_sample(x, values.to(x._dtype), "random_")


def bernoulli_(x: Tensor, p: float = 0.5, *, generator=None) -> Tensor:
    from .random import uniform_buffer
    check_no_internal_overlap(x)
    u = x._like(uniform_buffer(x._backend, x._buf.shape, dtypes.float32, generator), dtypes.float32)
    return _commit_sample(x, (u < p).to(x._dtype), "bernoulli_")


def _commit_sample(x: Tensor, sample: Tensor, op: str = "random fill") -> Tensor:
    return commit(x, sample, op)


def _check_floating(x: Tensor, op: str) -> None:
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{op} expects a floating point tensor, got {x._dtype.name}")


def _needs_graph(x: Tensor, args) -> bool:
    if not grad_state.enabled:
        return False
    return views.requires_grad_inplace(x) or any(isinstance(a, Tensor) and a._requires_grad
                                                 for a in args)


def _direct_operand(x: Tensor, other, primitive: str, name: str):
    """What the backend can apply straight into ``x``'s buffer, or None for the general path
    (a graph to record, a dtype conversion, another device, overlapping memory, an error)."""
    if grad_state.enabled and (x._requires_grad or (other.__class__ is Tensor and other._requires_grad)
                               or (x._base is not None and x._base._requires_grad)):
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
        check_no_internal_overlap(x)
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
        check_no_internal_overlap(x)
        if _needs_graph(x, ()) or not x._dtype.is_floating_point:
            return general(x)
        getattr(x._backend, primitive)(x._buf, out=x._buf)
        x._version[0] += 1
        return x

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of ``{function.__name__}``."
    return inplace
