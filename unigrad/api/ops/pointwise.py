"""Element-wise ops: each forward next to its gradient, built on backend primitives."""
from __future__ import annotations

import math
from builtins import any as builtins_any

from .. import autocast_state, dtypes
from ..autocast_state import autocast_op
from ...autograd.grad_mode import no_grad as _no_grad
from .support import (Tensor, binary_operands, broadcast_buffers, broadcast_error, broadcast_shapes, call_binary,
                      cast_tensor,
                      check_device, expand_buf, float_operand, grad_state, scalar_for,
                      sum_to_shape)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_autocast = autocast_state.local


_make = Tensor._make


def _new(x: Tensor, buf, dtype=None) -> Tensor:
    return Tensor._make(buf, dtype or x._dtype, x._device, x._backend)


def _saved(t: Tensor) -> Tensor:
    """An alias of an op's own output for its backward, without a reference cycle; the engine
    links it to the op's node while a higher-order graph is built (``create_graph=True``)."""
    alias = Tensor._make(t._buf, t._dtype, t._device, t._backend)
    alias._version = t._version
    alias._producer = True  # replaced by a weak reference to the node in Tensor._attach
    return alias


# ----- casting -----------------------------------------------------------------------------------
def to_dtype(x: Tensor, dtype: dtypes.dtype) -> Tensor:
    """``x`` converted to ``dtype`` (gradients flow back converted to ``x``'s dtype)."""
    if x._dtype is dtype:
        return x
    if dtype not in x._backend.supported_dtypes:
        from ..creation import unsupported_dtype_message
        raise TypeError(unsupported_dtype_message(x._backend, x._device, dtype))
    out = _new(x, x._backend.cast(x._buf, dtype), dtype)
    if x._requires_grad and grad_state.enabled and dtype.is_floating_point:
        source = x._dtype
        out._attach("ToCopyBackward0", lambda g: (to_dtype(g, source),), (x,))
    return out


# ----- unary ---------------------------------------------------------------------------------------
def _unary(name: str, primitive: str, backward=None, *, to_float: bool = True, uses_output=False,
           autocast: str | None = None):
    """Define an element-wise op from a primitive; ``backward(g, x, out)`` gives x's gradient;
    ``autocast`` names the op in autocast's lists."""

    def op(x: Tensor) -> Tensor:
        if autocast is not None and _autocast.active:
            return autocast_state.dispatch(autocast, op, (x,), {})
        if to_float and not x._dtype.is_floating_point:
            x = float_operand(x)
        out = _new(x, getattr(x._backend, primitive)(x._buf))
        if backward is not None and x._requires_grad and grad_state.enabled:
            if uses_output:
                y = _saved(out)
                out._attach(name, lambda g: (backward(g, x, y),), (x,), (y,))
            else:
                out._attach(name, lambda g: (backward(g, x, None),), (x,), (x,))
        return out

    op.__name__ = primitive
    return op


neg = _unary("NegBackward0", "neg", lambda g, x, y: -g, to_float=False)
exp = _unary("ExpBackward0", "exp", lambda g, x, y: g * y, uses_output=True, autocast="exp")
log = _unary("LogBackward0", "log", lambda g, x, y: g / x, autocast="log")
log1p = _unary("Log1PBackward0", "log1p", lambda g, x, y: g / (x + 1), autocast="log1p")
expm1 = _unary("Expm1Backward0", "expm1", lambda g, x, y: g * (y + 1), uses_output=True, autocast="expm1")
sqrt = _unary("SqrtBackward0", "sqrt", lambda g, x, y: g / (y * 2), uses_output=True)
sin = _unary("SinBackward0", "sin", lambda g, x, y: g * cos(x))
cos = _unary("CosBackward0", "cos", lambda g, x, y: -g * sin(x))
tanh = _unary("TanhBackward0", "tanh", lambda g, x, y: g * (1 - y * y), uses_output=True)
erf = _unary("ErfBackward0", "erf", lambda g, x, y: g * exp(-(x * x)) * _TWO_OVER_SQRT_PI)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """Absolute value."""
    if x._dtype is dtypes.bool or (not x._dtype.is_signed and not x._dtype.is_floating_point):
        return x.clone()
    out = _new(x, x._backend.abs(x._buf))
    if x._requires_grad and grad_state.enabled:
        out._attach("AbsBackward0", lambda g: (g * sign(x),), (x,), (x,))
    return out


def _rounding(primitive_name: str, compose=None):
    def op(x: Tensor) -> Tensor:
        if not x._dtype.is_floating_point:
            return x.clone()
        buf = compose(x) if compose else getattr(x._backend, primitive_name)(x._buf)
        out = _new(x, buf)
        if x._requires_grad and grad_state.enabled:
            out._attach(f"{primitive_name.capitalize()}Backward0", lambda g: (g * 0,), (x,))
        return out

    op.__name__ = primitive_name
    return op


floor = _rounding("floor")
round = _rounding("round")  # noqa: A001
ceil = _rounding("ceil", lambda x: x._backend.neg(x._backend.floor(x._backend.neg(x._buf))))


def _trunc_buf(x: Tensor):
    b = x._backend
    down = b.floor(x._buf)
    up = b.neg(b.floor(b.neg(x._buf)))
    return b.where(b.lt(x._buf, 0.0), up, down)


trunc = _rounding("trunc", _trunc_buf)
fix = trunc


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element; NaN stays NaN."""
    b = x._backend
    if x._dtype is dtypes.bool:
        return x.clone()
    zero = scalar_for(0, x._dtype)
    positive = b.cast(b.lt(zero_buf := b.full(x._buf.shape, zero, x._dtype), x._buf), x._dtype)
    negative = b.cast(b.lt(x._buf, zero_buf), x._dtype)
    buf = b.sub(positive, negative) if x._dtype is not dtypes.uint8 else positive
    if x._dtype.is_floating_point:  # NaN propagates
        buf = b.where(b.eq(x._buf, x._buf), buf, x._buf)
    out = _new(x, buf)
    if x._requires_grad and grad_state.enabled:
        out._attach("SignBackward0", lambda g: (g * 0,), (x,))
    return out


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
    x = float_operand(x)
    b = x._backend
    if b.sigmoid is not None:
        buf = b.sigmoid(x._buf)
    else:
        e = b.exp(b.neg(b.abs(x._buf)))  # exp(-|x|) never overflows
        one_plus = b.add(e, 1.0)
        buf = b.where(b.lt(x._buf, 0.0), b.div(e, one_plus),
                      b.div(b.full(e.shape, 1.0, x._dtype), one_plus))
    out = _new(x, buf)
    if x._requires_grad and grad_state.enabled:
        y = _saved(out)
        out._attach("SigmoidBackward0", lambda g: (g * y * (1 - y),), (x,), (y,))
    return out


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)``; NaN stays NaN."""
    b = x._backend
    zero = scalar_for(0, x._dtype)
    out = _new(x, b.maximum(x._buf, zero))
    if x._requires_grad and grad_state.enabled:
        y = _saved(out)
        out._attach("ReluBackward0", lambda g: (relu_backward(g, y),), (x,), (y,))
    return out


def relu_backward(g: Tensor, y: Tensor) -> Tensor:
    """PyTorch's ``threshold_backward(grad, result, 0)``: zero where the result is <= 0. A relu
    result is >= 0 or NaN, so the gradient passes wherever it is not 0 (NaN included)."""
    if g._requires_grad and grad_state.enabled:
        return where(ne(y, 0), g, 0.0)
    b = g._backend
    zero = b.eq(y._buf, scalar_for(0, y._dtype))
    return _new(g, b.where(b.eq(zero, False), g._buf, scalar_for(0, g._dtype)))


@autocast_op("rsqrt")
def rsqrt(x: Tensor) -> Tensor:
    """``1 / sqrt(x)``."""
    return reciprocal(sqrt(x))


@autocast_op("reciprocal")
def reciprocal(x: Tensor) -> Tensor:
    """``1 / x``."""
    x = float_operand(x)
    out = _new(x, x._backend.div(x._backend.full(x._buf.shape, 1.0, x._dtype), x._buf))
    if x._requires_grad and grad_state.enabled:
        y = _saved(out)
        out._attach("ReciprocalBackward0", lambda g: (-g * y * y,), (x,), (y,))
    return out


def square(x: Tensor) -> Tensor:
    return mul(x, x)


def _scaled_log(base: float, name: str):
    scale = 1.0 / math.log(base)

    def op(x: Tensor) -> Tensor:
        x = float_operand(x)
        b = x._backend
        out = _new(x, b.mul(b.log(x._buf), scalar_for(scale, x._dtype)))
        if x._requires_grad and grad_state.enabled:
            out._attach(name, lambda g: (g / (x * math.log(base)),), (x,), (x,))
        return out

    op.__name__ = name[:5].lower()
    return op


log2 = autocast_op("log2")(_scaled_log(2.0, "Log2Backward0"))
log10 = autocast_op("log10")(_scaled_log(10.0, "Log10Backward0"))


@autocast_op("tan")
def tan(x: Tensor) -> Tensor:
    """``sin(x) / cos(x)``."""
    x = float_operand(x)
    b = x._backend
    out = _new(x, b.div(b.sin(x._buf), b.cos(x._buf)))
    if x._requires_grad and grad_state.enabled:
        y = _saved(out)
        out._attach("TanBackward0", lambda g: (g * (y * y + 1),), (x,), (y,))
    return out


# ----- binary --------------------------------------------------------------------------------------
def _both_of_two(g):
    return g, g


def _first_of_two(g):
    return (g, None)


def _alpha_combination(a, b, alpha, subtract: bool) -> Tensor:
    """``a + alpha * b`` (or ``a - alpha * b``) as one node over ``a`` and ``b``, as PyTorch's."""
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        x, y, dtype = binary_operands(a, b, "sub" if subtract else "add")
        out = (sub if subtract else add)(x, _scaled(y, alpha, dtype))
    finally:
        grad_state.enabled = enabled
    a_t = a if a.__class__ is Tensor else None
    b_t = b if b.__class__ is Tensor else None
    need_a, need_b = a_t is not None and a_t._requires_grad, b_t is not None and b_t._requires_grad
    if enabled and (need_a or need_b):
        scale = -alpha if subtract else alpha

        def backward(g):
            ga = cast_tensor(sum_to_shape(g, a_t._buf.shape), a_t._dtype) if need_a else None
            gb = cast_tensor(sum_to_shape(g * scale, b_t._buf.shape), b_t._dtype) if need_b else None
            return ga, gb
        out._attach("SubBackward0" if subtract else "AddBackward0", backward, (a_t, b_t))
    return out


def _scaled(y, alpha, dtype):
    """``alpha * y`` in the result's dtype (after promotion, as PyTorch scales ``other``)."""
    if isinstance(alpha, float) and not dtype.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if y.__class__ is Tensor:
        return mul(y, alpha)
    return scalar_for(y * alpha, dtype)


def add(a, b, *, alpha=1) -> Tensor:
    """``a + alpha * b`` with broadcasting and type promotion."""
    if alpha != 1:
        return _alpha_combination(a, b, alpha, False)
    if a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype and a._device is b._device \
            and a._backend.native_broadcasting:  # the common case, without preparation
        x, y, dtype = a, b, a._dtype
        try:
            buf = a._backend.add(a._buf, b._buf)
        except ValueError as error:
            raise broadcast_error(a, b, "add", error) from None
    else:
        x, y, dtype = binary_operands(a, b, "add")
        buf = call_binary(x._backend.add, x, y, "add")
    out = _make(buf, dtype, x._device, x._backend)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            if sx == sy:  # no broadcasting to undo: no closure to make
                out._attach("AddBackward0", _both_of_two, (x, y))
            else:
                out._attach("AddBackward0", lambda g: (sum_to_shape(g, sx), sum_to_shape(g, sy)), (x, y))
        else:
            out._attach("AddBackward0", _first_of_two, (x, None))
    return out


def sub(a, b, *, alpha=1) -> Tensor:
    """``a - alpha * b``."""
    if alpha != 1:
        _check_sub_operands(a, b, None)
        return _alpha_combination(a, b, alpha, True)
    if a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype and a._device is b._device \
            and a._dtype is not dtypes.bool and a._backend.native_broadcasting:
        x, y, dtype = a, b, a._dtype  # the common case, without preparation
        try:
            buf = a._backend.sub(a._buf, b._buf)
        except ValueError as error:
            raise broadcast_error(a, b, "sub", error) from None
    else:
        x, y, dtype = binary_operands(a, b, "sub")
        _check_sub_operands(a, b, dtype)
        buf = call_binary(x._backend.sub, x, y, "sub")
    out = _make(buf, dtype, x._device, x._backend)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            out._attach("SubBackward0", lambda g: (sum_to_shape(g, sx), sum_to_shape(-g, sy)), (x, y))
        else:
            out._attach("SubBackward0", _first_of_two, (x, None))
    return out


def _check_sub_operands(a, b, dtype) -> None:
    if dtype is dtypes.bool or a.__class__ is bool or b.__class__ is bool or (
            a.__class__ is Tensor and a._dtype is dtypes.bool) or (
            b.__class__ is Tensor and b._dtype is dtypes.bool):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")


def rsub(a, b, *, alpha=1) -> Tensor:
    """``b - alpha * a``; ``x.__rsub__(scalar)`` (``2 - x``) is one node, PyTorch's RsubBackward1."""
    if (alpha == 1 and a.__class__ is Tensor and b.__class__ in (int, float) and
            (a._dtype.is_floating_point or a._dtype.is_signed and b.__class__ is int)):
        x, y, dtype = binary_operands(a, b, "rsub")
        backend = x._backend
        out = _new(x, backend.add(backend.neg(x._buf), y), dtype)
        if x._requires_grad and grad_state.enabled:
            out._attach("RsubBackward1", _negated, (x,))
        return out
    return sub(b, a, alpha=alpha)


def _negated(g):
    return (-g,)


def mul(a, b) -> Tensor:
    """``a * b``."""
    if a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype and a._device is b._device \
            and a._backend.native_broadcasting:  # the common case, without preparation
        x, y, dtype = a, b, a._dtype
        try:
            buf = a._backend.mul(a._buf, b._buf)
        except ValueError as error:
            raise broadcast_error(a, b, "mul", error) from None
    else:
        x, y, dtype = binary_operands(a, b, "mul")
        buf = call_binary(x._backend.mul, x, y, "mul")
    out = _make(buf, dtype, x._device, x._backend)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            need_x, need_y = x._requires_grad, y._requires_grad
            out._attach("MulBackward0", lambda g: (
                sum_to_shape(g * y, sx) if need_x else None,
                sum_to_shape(g * x, sy) if need_y else None), (x, y), (x, y))
        else:
            out._attach("MulBackward0", lambda g: (g * y, None), (x, None))
    return out


def div(a, b, *, rounding_mode: str | None = None) -> Tensor:
    """True division ``a / b`` (integers divide as floats); ``rounding_mode`` "trunc" or "floor"."""
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    if a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype and a._device is b._device \
            and a._dtype.is_floating_point and a._backend.native_broadcasting:
        x, y, dtype = a, b, a._dtype  # the common case, without preparation
        try:
            buf = a._backend.div(a._buf, b._buf)
        except ValueError as error:
            raise broadcast_error(a, b, "div", error) from None
    else:
        x, y, dtype = binary_operands(a, b, "div")
        if not dtype.is_floating_point:
            dtype = dtypes.get_default_dtype()
            x = cast_tensor(x, dtype)
            y = cast_tensor(y, dtype) if y.__class__ is Tensor else float(y)
        buf = call_binary(x._backend.div, x, y, "div")
    out = _make(buf, dtype, x._device, x._backend)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            need_x, need_y = x._requires_grad, y._requires_grad
            out._attach("DivBackward0", lambda g: (
                sum_to_shape(g / y, sx) if need_x else None,
                sum_to_shape(-g * x / (y * y), sy) if need_y else None), (x, y), (x, y))
        else:
            out._attach("DivBackward0", lambda g: (g / y, None), (x, None))
    return out


true_divide = div


def _rounded_div(a, b, mode: str) -> Tensor:
    x, y, dtype = binary_operands(a, b, "div")
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found {mode!r}")
    if dtype.is_floating_point:
        q = div(x, y)
        return floor(q) if mode == "floor" else trunc(q)
    r = remainder(x, y)  # the sign of y, so x - r is an exact multiple of y (a zero y raises)
    floored = _integer_exact_div(x - r, y, dtype)
    if mode == "floor":
        return floored
    # trunc differs from floor for negative non-integral quotients: one more.
    negative_quotient = ne(lt(x, 0), lt(y, 0) if y.__class__ is Tensor else (y < 0))
    return floored + cast_tensor(ne(r, 0) & negative_quotient, dtype)


def _integer_exact_div(q: Tensor, y, dtype) -> Tensor:
    # q is an exact multiple of y: float64 division then rounding recovers it for |q| < 2**53.
    qf = cast_tensor(q, dtypes.float64)
    yf = cast_tensor(y, dtypes.float64) if y.__class__ is Tensor else float(y)
    return cast_tensor(round(div(qf, yf)), dtype)


def floor_divide(a, b) -> Tensor:
    return div(a, b, rounding_mode="floor")


def _check_integer_divisor(x: Tensor, y) -> None:
    """An integer zero divisor raises ``RuntimeError: ZeroDivisionError``, as in PyTorch. A backend
    with ``deferred_division_checks`` flags zero elements of a tensor divisor on the device (no
    host round trip) and raises at the next synchronisation."""
    if y.__class__ is not Tensor:
        if y == 0 and x.numel():
            raise RuntimeError("ZeroDivisionError")
    elif not y._backend.deferred_division_checks and x.numel() and bool(eq(y, 0).any()):
        raise RuntimeError("ZeroDivisionError")


def remainder(a, b) -> Tensor:
    """``a - floor(a / b) * b`` (the sign of ``b``), like Python's ``%``."""
    x, y, dtype = binary_operands(a, b, "remainder")
    if not dtype.is_floating_point:
        _check_integer_divisor(x, y)
    out = _new(x, call_binary(x._backend.remainder, x, y, "remainder"), dtype)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            out._attach("RemainderBackward0", lambda g: (
                sum_to_shape(g, sx), sum_to_shape(-g * floor(x / y), sy)), (x, y), (x, y))
        else:
            out._attach("RemainderBackward0", lambda g: (g,), (x,))
    return out


def fmod(a, b) -> Tensor:
    """C-style remainder: the sign of ``a``."""
    r = remainder(a, b)
    x = a if a.__class__ is Tensor else r
    mismatch = ne(r, 0) & ne(lt(r, 0), lt(x, 0))
    return where(mismatch, r - b, r)


def pow(a, b) -> Tensor:  # noqa: A001
    """``a ** b``."""
    if _autocast.active:
        return autocast_state.dispatch("pow", pow, (a, b), {})
    x, y, dtype = binary_operands(a, b, "pow")
    if not dtype.is_floating_point:
        negative = (y < 0) if y.__class__ is not Tensor else bool((y < 0).any())
        if negative:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    out = _new(x, call_binary(x._backend.pow, x, y, "pow"), dtype)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        if y.__class__ is Tensor:
            sx, sy = x._buf.shape, y._buf.shape
            result = _saved(out)
            need_x, need_y = x._requires_grad, y._requires_grad

            def backward(g):
                gx = sum_to_shape(g * y * pow(x, y - 1), sx) if need_x else None
                gy = None
                if need_y:  # d/dy x**y = x**y log x, taken as 0 where x == 0 and y >= 0
                    safe = where(eq(x, 0) & ge(y, 0), 0.0, g * result * log(x))
                    gy = sum_to_shape(safe, sy)
                return gx, gy
            if a.__class__ is not Tensor:  # a Python number to a tensor power: PyTorch's pow(Scalar, Tensor)
                out._attach("PowBackward2", lambda g: (backward(g)[1],), (y,), (x, y, result))
            else:
                out._attach("PowBackward1", backward, (x, y), (x, y, result))
        elif y == 0:
            out._attach("PowBackward0", lambda g: (g * 0,), (x,))
        else:
            out._attach("PowBackward0", lambda g: (g * y * pow(x, y - 1),), (x,), (x,))
    return out


def _extremum(primitive: str, name: str):
    def op(a, b) -> Tensor:
        x, y, dtype = binary_operands(a, b, primitive)
        out = _new(x, call_binary(getattr(x._backend, primitive), x, y, primitive), dtype)
        if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
            sx = x._buf.shape
            sy = y._buf.shape if y.__class__ is Tensor else None
            better = gt if primitive == "maximum" else lt

            def backward(g):
                # ties share the gradient equally, as in PyTorch
                tie = eq(x, y)
                gx = where(better(x, y), g, where(tie, g * 0.5, 0.0))
                gy = where(better(y, x), g, where(tie, g * 0.5, 0.0)) if sy is not None else None
                return sum_to_shape(gx, sx), (sum_to_shape(gy, sy) if gy is not None else None)
            out._attach(name, backward, (x, y if y.__class__ is Tensor else None), (x,))
        return out

    op.__name__ = primitive
    return op


maximum = _extremum("maximum", "MaximumBackward0")
minimum = _extremum("minimum", "MinimumBackward0")


def clamp(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    """Limit ``x`` to ``[min, max]`` (either bound may be None; bounds may be tensors)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    with _no_grad():
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
    out = _new(out, out._buf, out._dtype)
    lo = min if isinstance(min, Tensor) else None
    hi = max if isinstance(max, Tensor) else None
    if grad_state.enabled and builtins_any(t is not None and t._requires_grad for t in (x, lo, hi)):
        def backward(g):
            # PyTorch's rule: x gets the gradient inside [min, max], a bound where it is active.
            keep = None
            if min is not None:
                keep = ge(x, min)
            if max is not None:
                keep = le(x, max) if keep is None else keep & le(x, max)
            gx = sum_to_shape(where(keep, g, 0.0), x._buf.shape)
            glo = ghi = None
            if lo is not None:
                active = lt(x, lo) if max is None else lt(x, lo) & lt(lo, max)
                glo = sum_to_shape(where(active, g, 0.0), lo._buf.shape)
            if hi is not None:
                active = gt(x, hi) if min is None else gt(x, hi) | lt(hi, min)
                ghi = sum_to_shape(where(active, g, 0.0), hi._buf.shape)
            return gx, glo, ghi
        if lo is None and hi is None:  # scalar bounds: PyTorch's clamp(Tensor, Scalar?, Scalar?)
            out._attach("ClampBackward1", lambda g: backward(g)[:1], (x,), (x,))
        else:
            out._attach("ClampBackward0", backward, (x, lo, hi), (x,))
    return out


clip = clamp


def clamp_min(x: Tensor, min) -> Tensor:  # noqa: A002
    """``max(x, min)`` with PyTorch's clamp gradient rule."""
    return _named_clamp(clamp(x, min=min), "ClampMinBackward0", min)


def clamp_max(x: Tensor, max) -> Tensor:  # noqa: A002
    """``min(x, max)`` with PyTorch's clamp gradient rule."""
    return _named_clamp(clamp(x, max=max), "ClampMaxBackward0", max)


def _named_clamp(out: Tensor, name: str, bound) -> Tensor:
    if out._grad_fn is not None and not isinstance(bound, Tensor):
        out._grad_fn._name = name
    return out



# ----- comparisons and logic (no gradient) ----------------------------------------------------
def _compare(a, b, op: str):
    x, y, _ = binary_operands(a, b, op)
    xb, yb = broadcast_buffers(x, y, op)
    return x, xb, yb


def eq(a, b) -> Tensor:
    x, xb, yb = _compare(a, b, "eq")
    return _new(x, x._backend.eq(xb, yb), dtypes.bool)


def lt(a, b) -> Tensor:
    x, xb, yb = _compare(a, b, "lt")
    return _new(x, x._backend.lt(xb, yb), dtypes.bool)


def gt(a, b) -> Tensor:
    x, xb, yb = _compare(a, b, "gt")
    if not hasattr(yb, "shape"):
        yb = x._backend.full(xb.shape, yb, x._dtype)
    return _new(x, x._backend.lt(yb, xb), dtypes.bool)


#: integer dtypes whose comparisons with a small Python int take one or two primitives
_WIDE_INTEGERS = (dtypes.int64, dtypes.int32)


def _small_int_beside_wide_integers(a, b) -> bool:
    return b.__class__ is int and a.__class__ is Tensor and a._dtype in _WIDE_INTEGERS and -2 ** 30 < b < 2 ** 30


def le(a, b) -> Tensor:
    if _small_int_beside_wide_integers(a, b):  # a <= b  <=>  a < b + 1 among integers
        return _new(a, a._backend.lt(a._buf, b + 1), dtypes.bool)
    x, xb, yb = _compare(a, b, "le")
    bk = x._backend
    return _new(x, bk.add(bk.lt(xb, yb), bk.eq(xb, yb)), dtypes.bool)


def ge(a, b) -> Tensor:
    if _small_int_beside_wide_integers(a, b):  # a >= b  <=>  not a < b (integers have no NaN)
        bk = a._backend
        return _new(a, bk.eq(bk.lt(a._buf, b), False), dtypes.bool)
    x, xb, yb = _compare(a, b, "ge")
    bk = x._backend
    if not hasattr(yb, "shape"):
        yb = bk.full(xb.shape, yb, x._dtype)
    return _new(x, bk.add(bk.lt(yb, xb), bk.eq(xb, yb)), dtypes.bool)


def ne(a, b) -> Tensor:
    x, xb, yb = _compare(a, b, "ne")
    bk = x._backend
    return _new(x, bk.eq(bk.eq(xb, yb), False), dtypes.bool)


def logical_not(x: Tensor) -> Tensor:
    b = x._backend
    return _new(x, b.eq(x._buf, scalar_for(0, x._dtype)), dtypes.bool)


def _as_bool(t):
    return t if t.__class__ is not Tensor or t._dtype is dtypes.bool else ne(t, 0)


def logical_and(a, b) -> Tensor:
    return bitwise_and(_as_bool(a), _as_bool(b))


def logical_or(a, b) -> Tensor:
    return bitwise_or(_as_bool(a), _as_bool(b))


def logical_xor(a, b) -> Tensor:
    return ne(_as_bool(a), _as_bool(b))


def _check_integral(dtype, op):
    if dtype.is_floating_point:  # PyTorch's dispatch error: a NotImplementedError
        raise NotImplementedError(f"\"{op}\" not implemented for '{dtype.name}' (bool and integer dtypes only)")


def bitwise_and(a, b) -> Tensor:
    x, y, dtype = binary_operands(a, b, "bitwise_and")
    _check_integral(dtype, "bitwise_and")
    xb, yb = broadcast_buffers(x, y, "bitwise_and")
    return _new(x, x._backend.bitwise_and(xb, yb), dtype)


def bitwise_or(a, b) -> Tensor:
    x, y, dtype = binary_operands(a, b, "bitwise_or")
    _check_integral(dtype, "bitwise_or")
    xb, yb = broadcast_buffers(x, y, "bitwise_or")
    bk = x._backend
    if dtype is dtypes.bool:
        return _new(x, bk.add(xb, yb), dtype)
    # a | b == a + b - (a & b), exact in two's complement
    return _new(x, bk.sub(bk.add(xb, yb), bk.bitwise_and(xb, yb)), dtype)


def bitwise_xor(a, b) -> Tensor:
    x, y, dtype = binary_operands(a, b, "bitwise_xor")
    _check_integral(dtype, "bitwise_xor")
    xb, yb = broadcast_buffers(x, y, "bitwise_xor")
    bk = x._backend
    if dtype is dtypes.bool:
        return _new(x, bk.eq(bk.eq(xb, yb), False), dtype)
    # a ^ b == (a | b) - (a & b) == a + b - 2 (a & b)
    both = bk.bitwise_and(xb, yb)
    return _new(x, bk.sub(bk.sub(bk.add(xb, yb), both), both), dtype)


def invert(x: Tensor) -> Tensor:
    """``~x``: ``bitwise_not``, which the operator refuses (TypeError) for floating tensors."""
    if x._dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors "
                        f"(got {x._dtype.name})")
    return bitwise_not(x)


def bitwise_not(x: Tensor) -> Tensor:
    _check_integral(x._dtype, "bitwise_not")
    b = x._backend
    if x._dtype is dtypes.bool:
        return logical_not(x)
    if x._dtype is dtypes.uint8:
        return _new(x, b.sub(b.full(x._buf.shape, 255, x._dtype), x._buf))
    return _new(x, b.sub(b.neg(x._buf), 1))


def isnan(x: Tensor) -> Tensor:
    return ne(x, x)


def isinf(x: Tensor) -> Tensor:
    if not x._dtype.is_floating_point:
        return _new(x, x._backend.full(x._buf.shape, False, dtypes.bool), dtypes.bool)
    return eq(abs(x.detach()), math.inf)


def isfinite(x: Tensor) -> Tensor:
    if not x._dtype.is_floating_point:
        return _new(x, x._backend.full(x._buf.shape, True, dtypes.bool), dtypes.bool)
    return lt(abs(x.detach()), math.inf)


# ----- ternary -------------------------------------------------------------------------------------
def where(condition: Tensor, a, b) -> Tensor:
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (broadcast together)."""
    if condition.__class__ is not Tensor:
        raise TypeError("where(): condition must be a bool Tensor")
    if condition._dtype is not dtypes.bool:
        if condition._dtype is not dtypes.uint8:  # uint8 is deprecated in PyTorch, still accepted
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                               f"dtype {condition._dtype.name}")
        condition = ne(condition, 0)
    if a.__class__ is not Tensor and b.__class__ is not Tensor:
        dtype = dtypes.result_type(a, b)
        x = condition._like(condition._backend.full((), scalar_for(a, dtype), dtype), dtype)
        a = x
    x, y, dtype = binary_operands(a, b, "where")
    if condition._device is not x._device:
        check_device(condition, x, "where")
    value_shape = x._buf.shape if y.__class__ is not Tensor else broadcast_shapes(
        x._buf.shape, y._buf.shape, op="where")
    shape = broadcast_shapes(condition._buf.shape, value_shape, op="where")
    bk = x._backend
    if bk.native_broadcasting:
        cb, xb = condition._buf, x._buf
        yb = y._buf if y.__class__ is Tensor else y
    else:
        cb, xb = expand_buf(condition, shape), expand_buf(x, shape)
        yb = expand_buf(y, shape) if y.__class__ is Tensor else y
    out = _new(x, bk.where(cb, xb, yb), dtype)
    if grad_state.enabled and (x._requires_grad or (y.__class__ is Tensor and y._requires_grad)):
        sx = x._buf.shape
        sy = y._buf.shape if y.__class__ is Tensor else None
        out._attach("WhereBackward0", lambda g: (
            sum_to_shape(where(condition, g, 0.0), sx),
            sum_to_shape(where(condition, 0.0, g), sy) if sy is not None else None),
            (x, y if y.__class__ is Tensor else None))
    return out


def lerp(start: Tensor, end, weight) -> Tensor:
    """``start + weight * (end - start)``."""
    return start + weight * (end - start)


@autocast_op("addcmul")
def addcmul(x: Tensor, a, b, *, value=1) -> Tensor:
    """``x + value * a * b``."""
    return x + a * b * value if value != 1 else x + a * b


@autocast_op("addcdiv")
def addcdiv(x: Tensor, a, b, *, value=1) -> Tensor:
    """``x + value * a / b``."""
    return x + a / b * value if value != 1 else x + a / b
