"""Builders for element-wise ops whose forward is a primitive, an optional primitive or a
composite: each op is defined next to its gradient (written with differentiable tensor ops, so
double backward works) and PyTorch's grad_fn name, as in ``pointwise``."""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .. import autocast_state, dtypes
from .pointwise import _saved
from .support import Tensor, binary_operands, cast_tensor, float_operand, grad_state, sum_to_shape

_LOW_PRECISION = (dtypes.float16, dtypes.bfloat16)
_autocast = autocast_state.local


def composite(function):
    """A forward (tensor -> buffer) computing ``function`` of the detached input without recording
    a graph; float16 and bfloat16 are computed in float32 and rounded once, as PyTorch does."""
    def forward(*tensors: Tensor):
        with no_grad():
            detached = [t.detach() if t.__class__ is Tensor else t for t in tensors]
            dtype = tensors[0]._dtype
            if dtype in _LOW_PRECISION:
                widened = [t.float() if t.__class__ is Tensor else t for t in detached]
                return function(*widened).to(dtype)._buf
            return function(*detached)._buf
    return forward


def unary(name: str, grad_name: str, forward, backward=None, *, uses_output: bool = False,
          autocast: str | None = None):
    """An op of one tensor computed in floating point (integers and bool become the default
    dtype). ``forward(x) -> buffer``; ``backward(g, x, y) -> x's gradient`` where ``y`` is the
    op's output when ``uses_output`` (else None)."""

    def op(x: Tensor) -> Tensor:
        if autocast is not None and _autocast.active:
            return autocast_state.dispatch(autocast, op, (x,), {})
        x = float_operand(x)
        out = x._like(forward(x))
        if backward is not None and x._requires_grad and grad_state.enabled:
            if uses_output:
                y = _saved(out)
                out._attach(grad_name, lambda g: (backward(g, x, y),), (x,), (y,))
            else:
                out._attach(grad_name, lambda g: (backward(g, x, None),), (x,), (x,))
        return out

    op.__name__ = name
    return op


def floating_operands(a, b, name: str):
    """``binary_operands`` whose result dtype is floating (integers and bool promote to the
    default dtype, as PyTorch's float ops do)."""
    x, y, dtype = binary_operands(a, b, name)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
        x = cast_tensor(x, dtype)
        y = cast_tensor(y, dtype) if y.__class__ is Tensor else float(y)
    return x, y, dtype


def binary(name: str, grad_name: str, forward, backward=None, *, uses_output: bool = False,
           to_float: bool = True):
    """An op of two operands (a Tensor and a Tensor or Python number) with broadcasting and type
    promotion. ``forward(x, y) -> buffer`` of the broadcast shape; ``backward(g, x, y, out) ->
    (gx, gy)`` before reduction to each operand's shape (either may be None)."""

    def op(a, b) -> Tensor:
        x, y, dtype = floating_operands(a, b, name) if to_float else binary_operands(a, b, name)
        out = Tensor._make(forward(x, y), dtype, x._device, x._backend)
        y_tensor = y.__class__ is Tensor
        need_x, need_y = x._requires_grad, y_tensor and y._requires_grad
        if backward is not None and grad_state.enabled and (need_x or need_y):
            result = _saved(out) if uses_output else None
            sx, sy = x._buf.shape, (y._buf.shape if y_tensor else None)

            def backward_fn(g):
                gx, gy = backward(g, x, y, result)
                return (sum_to_shape(gx, sx) if need_x and gx is not None else None,
                        sum_to_shape(gy, sy) if need_y and gy is not None else None)

            saved = (x, y) if y_tensor else (x,)
            out._attach(grad_name, backward_fn, (x, y if y_tensor else None),
                        saved + ((result,) if result is not None else ()))
        return out

    op.__name__ = name
    return op
