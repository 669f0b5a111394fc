"""Shared plumbing for ops: operand preparation (devices, promotion, broadcasting) and helpers.

Everything the frontend promises a backend (see ``unigrad/backends/interface.py``) is established
here, once, for every op.
"""
from __future__ import annotations

import numbers

from ...autograd.grad_mode import _state as grad_state
from ...jit.scalars import TracedFloat
from .. import dtypes
from ..tensor import Tensor, _wrap_dim

__all__ = ["Tensor", "grad_state", "wrap_dim", "check_device", "binary_operands", "broadcast_shapes",
           "call_binary", "broadcast_buffers", "broadcast_error",
           "sum_to_shape", "expand_buf", "normalize_dims", "scalar_for", "to_tensor_like",
           "cast_tensor", "float_operand", "values_checked_on_host"]

wrap_dim = _wrap_dim
_Number = (int, float, bool)


def check_device(a: Tensor, b: Tensor, op: str) -> None:
    if a._device is not b._device:
        raise RuntimeError(
            f"{op}: expected all tensors to be on the same device, but found tensors on "
            f"{a._device} and {b._device}; move one with .to({str(a._device)!r})")


def broadcast_shapes(*shapes, op: str = "broadcast") -> tuple:
    """The broadcast of ``shapes`` by NumPy/PyTorch rules, or a RuntimeError showing them."""
    ndim = max(len(s) for s in shapes)
    result = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, start=ndim - len(shape)):
            if size != 1:
                if result[i] != 1 and result[i] != size:
                    listed = " and ".join(str(list(s)) for s in shapes)
                    raise RuntimeError(
                        f"{op}: shapes {listed} are not broadcastable (size {result[i]} vs {size} "
                        f"at dimension {i - ndim})")
                result[i] = size
    return tuple(result)


def expand_buf(t: Tensor, shape: tuple):
    """``t``'s buffer as a stride-0 broadcast view of ``shape`` (for backends that need it)."""
    buf = t._buf
    if buf.shape == shape:
        return buf
    lead = len(shape) - len(buf.shape)
    own = t._backend.strides(buf)
    strides = [0] * lead + [0 if size == 1 and shape[lead + i] != 1 else own[i]
                            for i, size in enumerate(buf.shape)]
    return t._backend.as_strided(buf, shape, tuple(strides), 0)


def scalar_for(value, dtype: dtypes.dtype):
    """A Python scalar converted to the kind of ``dtype`` (what backends receive). Beside a 16-bit
    float it is rounded to that dtype first, as PyTorch rounds a wrapped scalar to the tensor's dtype."""
    if dtype.is_floating_point:
        cls = value.__class__
        if dtype.itemsize != 2:
            # a traced float stays traced: a compiled program recomputes it on each call
            return value if cls is float or cls is TracedFloat else float(value)
        if cls is TracedFloat:
            return value._concrete("rounding to a 16-bit float")
        return float(dtype.numpy.type(value))
    if dtype is dtypes.bool:
        return bool(value)
    return int(value)


def cast_tensor(t: Tensor, dtype: dtypes.dtype) -> Tensor:
    """``t`` converted to ``dtype`` (differentiable; the same tensor if already of that dtype)."""
    if t._dtype is dtype:
        return t
    return _pointwise().to_dtype(t, dtype)


def to_tensor_like(value, like: Tensor, dtype: dtypes.dtype | None = None) -> Tensor:
    """A 0-d tensor holding the Python scalar ``value`` on ``like``'s device."""
    dtype = dtype or dtypes.scalar_dtype(value)
    buf = like._backend.full((), scalar_for(value, dtype), dtype)
    return Tensor._make(buf, dtype, like._device, like._backend)


def binary_operands(a, b, op: str):
    """Prepare the operands of a binary op.

    Returns ``(x, y, dtype)``: ``x`` a Tensor and ``y`` a Tensor or Python scalar, both of the
    result ``dtype`` (cast if needed, differentiably). Tensor operands keep their own shapes;
    ``call_binary`` broadcasts them for the backend.
    """
    if a.__class__ is not Tensor:
        if b.__class__ is not Tensor:
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        if not isinstance(a, numbers.Number):
            a = _convert_foreign(a, b, op)
        else:
            a = to_tensor_like(a, b, dtypes.result_type(b, a))
    if b.__class__ is Tensor:
        if a._device is not b._device:
            check_device(a, b, op)
        dtype = a._dtype if a._dtype is b._dtype else dtypes.result_type(a, b)
        if a._dtype is not dtype:
            a = cast_tensor(a, dtype)
        if b._dtype is not dtype:
            b = cast_tensor(b, dtype)
        return a, b, dtype
    dtype = a._dtype
    if b.__class__ is float and dtype.is_floating_point and dtype.itemsize != 2:
        return a, b, dtype  # a Python float beside a float32/float64 tensor: nothing to decide
    if not isinstance(b, numbers.Number):
        b = _convert_foreign(b, a, op)
        return binary_operands(a, b, op)
    dtype = dtypes.result_type(a, b)
    if a._dtype is not dtype:
        a = cast_tensor(a, dtype)
    return a, scalar_for(b, dtype), dtype


def _convert_foreign(value, like: Tensor, op: str) -> Tensor:
    """Lists and NumPy arrays meeting a Tensor in an op become tensors on its device."""
    from ..creation import tensor
    try:
        return tensor(value, device=like._device)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: unsupported operand type {type(value).__name__}") from error


def broadcast_buffers(x: Tensor, y, op: str):
    """Both operands' buffers, broadcast to one shape unless the backend broadcasts natively
    (for ops that combine several primitives)."""
    if y.__class__ is not Tensor:
        return x._buf, y
    xb, yb = x._buf, y._buf
    if xb.shape == yb.shape:
        return xb, yb
    shape = broadcast_shapes(xb.shape, yb.shape, op=op)
    if x._backend.native_broadcasting:
        return xb, yb
    return expand_buf(x, shape), expand_buf(y, shape)


def broadcast_error(x: Tensor, y: Tensor, op: str, error: ValueError) -> Exception:
    """The error for a natively broadcasting primitive's ValueError: PyTorch's RuntimeError naming
    both shapes if they do not broadcast, else the primitive's own error."""
    try:
        broadcast_shapes(x._buf.shape, y._buf.shape, op=op)
    except RuntimeError as mismatch:
        return mismatch
    return error


def call_binary(primitive, x: Tensor, y, op: str):
    """``primitive(x, y)`` on buffers, broadcasting as the backend needs. A backend with native
    broadcasting gets the operands as they are, and a shape mismatch is reported afterwards
    (so the common case pays for no shape computation)."""
    if y.__class__ is not Tensor:
        return primitive(x._buf, y)
    xb, yb = x._buf, y._buf
    if x._backend.native_broadcasting:
        try:
            return primitive(xb, yb)
        except ValueError:
            if xb.shape != yb.shape:
                broadcast_shapes(xb.shape, yb.shape, op=op)  # raises the explanatory error
            raise
    if xb.shape == yb.shape:
        return primitive(xb, yb)
    shape = broadcast_shapes(xb.shape, yb.shape, op=op)
    return primitive(expand_buf(x, shape), expand_buf(y, shape))


def sum_to_shape(g: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast gradient back to ``shape`` (the backward of broadcasting)."""
    gshape = g._buf.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and gshape[lead + i] != 1)
    if not (g._requires_grad and grad_state.enabled):
        # No graph to record: one reduction, then a free contiguous reshape of the fresh result.
        backend = g._backend
        accumulate = dtypes.accumulate_dtype(g._dtype)
        source = g._buf if accumulate is g._dtype else backend.cast(g._buf, accumulate)
        buf = backend.sum(source, dims, True, accumulate)
        if accumulate is not g._dtype:
            buf = backend.cast(buf, g._dtype)
        if lead:
            buf = backend.as_strided(buf, shape, contiguous_strides(shape), 0)
        return Tensor._make(buf, g._dtype, g._device, backend)
    summed = _reduction().sum(g, dims, keepdim=True) if dims else g
    if lead:
        summed = summed.reshape(shape)
    return summed


def contiguous_strides(shape) -> tuple:
    """Element strides of a C-contiguous buffer of ``shape``."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _pointwise():
    from . import pointwise  # imported late: pointwise itself builds on this module
    return pointwise


def _reduction():
    from . import reduction  # imported late: reduction itself builds on this module
    return reduction


def normalize_dims(dim, ndim: int) -> tuple:
    """``dim`` (None, int, or sequence) as a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim),) if ndim else ()
    dims = tuple(sorted({wrap_dim(d, ndim) for d in dim}))
    if len(dims) != len(tuple(dim)):
        raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
    return dims if ndim else ()


def values_checked_on_host(t: Tensor) -> bool:
    """Whether to validate ``t``'s values (probabilities in [0, 1], class indices in range...) on
    the host, as PyTorch's CPU kernels do: yes where the values are host memory; no on devices with
    deferred checks, where reading them back would stall the queue (PyTorch's GPU kernels skip most
    such checks too; the deferred index checks still catch out-of-range class indices there)."""
    return not t._backend.deferred_index_checks


def float_operand(t: Tensor) -> Tensor:
    """``t`` itself if floating, else cast to the default float dtype (integer -> float ops)."""
    if t._dtype.is_floating_point:
        return t
    return cast_tensor(t, dtypes.get_default_dtype())
