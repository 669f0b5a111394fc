"""In-place activations whose gradient PyTorch computes from the result: ``relu_``,
``leaky_relu_`` (slope >= 0), ``elu_`` / ``selu_`` / ``celu_`` (alpha >= 0), ``sigmoid_``, ``tanh_``;
and ``hardtanh_``, whose node keeps a copy of the result (PyTorch's keeps the input).

The op writes straight into x's buffer (no copy of the old values, no out-of-place result copied
back) and, under autograd, its node (PyTorch's name, over x's previous history) saves x itself at
its new version: a later in-place change of x makes backward raise PyTorch's version error. On a
view the base's history becomes ``CopySlices`` (``autograd/views.rebase``). A negative slope is
recorded too, and its backward raises PyTorch's error, as PyTorch does.

Each ``write(x)`` puts the op's value of ``x`` into ``x._buf`` (a tensor that records nothing);
each ``backward(g, y)`` gives x's gradient from the result ``y`` with differentiable ops when a
higher-order graph is recorded, and with a few buffer passes otherwise.
"""
from __future__ import annotations

import weakref

from ...autograd import views
from ...autograd.node import edge_of, node_over
from . import pointwise as pw
from .inplace import check_no_internal_overlap, make_inplace
from .support import Tensor, grad_state, scalar_for

LEAKY_RELU_SLOPE_MESSAGE = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, please "
    "call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you "
    "do require supporting in-place leakRelu backward calculation with negative slope")
ELU_SLOPE_MESSAGE = (
    "In-place elu backward calculation is triggered with a negative slope which is not supported. "
    "This is caused by calling in-place forward function with a negative slope, please call "
    "out-of-place version instead.")


def write_inplace(x: Tensor, write, name: str, backward, *, save_copy: bool = False) -> Tensor:
    """``write`` x's new value into its buffer, bump its version and, under autograd, make x's
    history a node called ``name`` (``backward(g, result)``) over its previous one. The node
    saves x itself, or with ``save_copy`` a copy of the result (where PyTorch saves the
    original input, which a later in-place change of x does not touch)."""
    check_no_internal_overlap(x)
    recording = grad_state.enabled and views.requires_grad_inplace(x)
    if recording:
        views.check_inplace(x)  # before writing: an error leaves x intact
        history = edge_of(x)  # (a view's node is regenerated first if its storage was modified)
    write(Tensor._make(x._buf, x._dtype, x._device, x._backend))
    x._version[0] += 1
    if recording:
        _record(x, history, name, backward, save_copy)
    return x


def _record(x: Tensor, history, name: str, backward, save_copy: bool) -> None:
    result = Tensor._make(x._buf, x._dtype, x._device, x._backend)
    if save_copy:
        buf = x._backend.empty(x._buf.shape, x._dtype)
        x._backend.copy_(buf, x._buf)
        saved = Tensor._make(buf, x._dtype, x._device, x._backend)
    else:
        saved = Tensor._make(x._buf, x._dtype, x._device, x._backend)
        saved._version = x._version  # x itself for the version check, without a reference cycle
    node = node_over(name, lambda g: (backward(g, saved),), (history,), (saved,))
    if not save_copy:
        saved._producer = weakref.ref(node)  # differentiable through this node under create_graph
    result._grad_fn, result._requires_grad = node, True
    views.rebase(x, result)


def _higher_order(g: Tensor) -> bool:
    return g._requires_grad and grad_state.enabled


def _new(like: Tensor, buf) -> Tensor:
    return Tensor._make(buf, like._dtype, like._device, like._backend)


def _copied(function):
    """A ``write`` that computes ``function(x)`` out of place and copies it into ``x``'s buffer
    (for ops without a single in-place primitive)."""
    def write(x: Tensor) -> None:
        value = function(x)
        if value._dtype is not x._dtype:  # (an autocast policy may compute in another dtype)
            value = value.to(x._dtype)
        x._backend.copy_(x._buf, value._buf)
    return write


# ----- relu ------------------------------------------------------------------------------------
def _relu_write(x: Tensor) -> None:
    x._backend.maximum(x._buf, scalar_for(0, x._dtype), out=x._buf)


_general_relu_ = make_inplace(pw.relu, "relu_")


def relu_(x: Tensor) -> Tensor:
    """In-place ``relu``."""
    if not x._dtype.is_floating_point:
        return _general_relu_(x)
    return write_inplace(x, _relu_write, "ReluBackward0", pw.relu_backward)


# ----- leaky_relu ------------------------------------------------------------------------------
def _leaky_write(slope: float, compute):
    if slope == 0:  # x * 0 is NaN at +inf, where the result is inf: select instead
        return _copied(compute)
    # max(x, slope x) for slope < 1 (either sign), min(x, slope x) above: two passes, no select
    def write(x: Tensor) -> None:
        b = x._backend
        scaled = b.mul(x._buf, slope)
        (b.maximum if slope <= 1 else b.minimum)(x._buf, scaled, out=x._buf)
    return write


def leaky_relu_backward(slope: float):
    """PyTorch's ``leaky_relu_backward``: ``g`` where ``t`` (the input, or the result for a
    slope >= 0) is > 0, ``g * slope`` elsewhere (NaN included)."""
    def backward(g: Tensor, t: Tensor) -> Tensor:
        if _higher_order(g):
            return pw.where(pw.gt(t, 0), g, g * slope)
        # g times a factor of exactly 1 or slope, from the 0/1 indicator p of t > 0 as
        # (p - 1) * -slope + p (every step exact): cheaper than a select between g and g * slope
        b, dtype = g._backend, g._dtype
        indicator = b.cast(b.lt(b.neg(t._buf), scalar_for(0, dtype)), dtype)
        factor = b.sub(indicator, scalar_for(1, dtype))
        b.mul(factor, scalar_for(-slope, dtype), out=factor)
        b.add(factor, indicator, out=factor)
        return _new(g, b.mul(factor, g._buf, out=factor))
    return backward


def _leaky_inplace_backward(slope: float):
    from_input = leaky_relu_backward(slope)

    def backward(g: Tensor, y: Tensor) -> Tensor:
        if slope < 0:  # y > 0 no longer tells where x was
            raise RuntimeError(LEAKY_RELU_SLOPE_MESSAGE)
        return from_input(g, y)
    return backward


def leaky_relu_(x: Tensor, negative_slope: float, compute, general) -> Tensor:
    """In-place ``leaky_relu``; ``compute(x)`` is the out-of-place value, ``general`` the
    copying in-place path (for dtypes this path does not take)."""
    if not x._dtype.is_floating_point:
        return general(x, negative_slope)
    slope = float(negative_slope)
    return write_inplace(x, _leaky_write(slope, compute), "LeakyReluBackward1",
                         _leaky_inplace_backward(slope))


# ----- hardtanh --------------------------------------------------------------------------------
def hardtanh_backward(min_val: float, max_val: float, from_result: bool = False):
    """PyTorch's ``hardtanh_backward``: zero where the input is <= min_val or >= max_val, the
    gradient elsewhere (NaN included). ``from_result``: given the result, which equals a bound
    exactly there."""
    def backward(g: Tensor, t: Tensor) -> Tensor:
        if _higher_order(g):
            return pw.where(pw.logical_not(pw.le(t, min_val) | pw.ge(t, max_val)), g, 0.0)
        b, x, dtype = g._backend, t._buf, t._dtype
        low, high = scalar_for(min_val, dtype), scalar_for(max_val, dtype)
        # bool buffers: add is or, mul is and, eq(_, False) is not
        if from_result:
            keep = b.eq(b.add(b.eq(x, low), b.eq(x, high)), False)
        else:
            keep = b.mul(b.lt(x, high), b.eq(b.add(b.lt(x, low), b.eq(x, low)), False))
            b.add(keep, b.eq(b.eq(x, x), False), out=keep)  # NaN
        return _new(g, b.where(keep, g._buf, scalar_for(0, g._dtype)))
    return backward


def hardtanh_(x: Tensor, min_val: float, max_val: float, general) -> Tensor:
    """In-place ``hardtanh`` (``clamp`` to [min_val, max_val]); ``general`` is the copying path
    for other dtypes. PyTorch's node saves the input: here a copy of the result, which gives the
    same gradient."""
    if not x._dtype.is_floating_point:
        return general(x, min_val, max_val)
    low, high = float(min_val), float(max_val)

    def write(t: Tensor) -> None:
        b = t._backend
        b.maximum(t._buf, low, out=t._buf)
        b.minimum(t._buf, high, out=t._buf)
    return write_inplace(x, write, "HardtanhBackward0", hardtanh_backward(low, high, True),
                         save_copy=True)


# ----- elu, selu, celu -------------------------------------------------------------------------
def _elu_backward(alpha: float, scale: float, input_scale: float):
    """PyTorch's ``elu_backward(..., is_result=True, result)``: ``g * input_scale * (y + alpha *
    scale)`` where ``y <= 0``, ``g * scale`` elsewhere (NaN included)."""
    negative_coefficient = alpha * scale

    def backward(g: Tensor, y: Tensor) -> Tensor:
        if alpha < 0:
            raise RuntimeError(ELU_SLOPE_MESSAGE)
        positive_part = g * scale if scale != 1.0 else g
        return pw.where(pw.le(y, 0), g * ((y + negative_coefficient) * input_scale), positive_part)
    return backward


def elu_(x: Tensor, compute, name: str, alpha: float, scale: float, input_scale: float,
         general) -> Tensor:
    """In-place elu (``EluBackward1``), selu (elu's node) or celu (``CeluBackward1``):
    ``compute(x)`` is the out-of-place value; ``general()`` the copying path for other dtypes."""
    if not x._dtype.is_floating_point:
        return general()
    return write_inplace(x, _copied(compute), name, _elu_backward(alpha, scale, input_scale))


# ----- sigmoid, tanh ---------------------------------------------------------------------------
def _sigmoid_write(x: Tensor) -> None:
    b = x._backend
    if b.sigmoid is not None:
        b.copy_(x._buf, b.sigmoid(x._buf))
    else:
        b.copy_(x._buf, pw.sigmoid(x)._buf)


def _sigmoid_backward(g: Tensor, y: Tensor) -> Tensor:
    return g * y * (1 - y)


def _tanh_write(x: Tensor) -> None:
    x._backend.tanh(x._buf, out=x._buf)


def _tanh_backward(g: Tensor, y: Tensor) -> Tensor:
    return g * (1 - y * y)


_general_sigmoid_ = make_inplace(pw.sigmoid, "sigmoid_")
_general_tanh_ = make_inplace(pw.tanh, "tanh_")


def sigmoid_(x: Tensor) -> Tensor:
    """In-place ``sigmoid``."""
    if not x._dtype.is_floating_point:
        return _general_sigmoid_(x)
    return write_inplace(x, _sigmoid_write, "SigmoidBackward0", _sigmoid_backward)


def tanh_(x: Tensor) -> Tensor:
    """In-place ``tanh``."""
    if not x._dtype.is_floating_point:
        return _general_tanh_(x)
    return write_inplace(x, _tanh_write, "TanhBackward0", _tanh_backward)
