"""One time step of ``LSTMCell``, ``GRUCell`` and ``RNNCell`` as one autograd Function each.

A cell written with tensor ops records a dozen small ops per step (two linears, a chunk, the
gates, the state update); at the hidden sizes of small recurrent models (50-250) each op costs
more in bookkeeping than in arithmetic. These Functions compute the step on backend buffers
(primitives only, so every backend runs them) in the same order of operations as the tensor-op
cell, so the values are the same, and write the backward on buffers too: the gate gradients go
into one (N, G*H) buffer, from which the input, state, weight and bias gradients are one matmul
or sum each. Under ``create_graph`` the backward is replayed with differentiable tensor ops.
"""
from __future__ import annotations

from ...api import autocast_state, dtypes
from ...api.ops import linalg, pointwise as pw, shape as sh
from ...api.ops.support import expand_buf, grad_state
from ...api.tensor import Tensor
from ...autograd.function import Function
from .. import functional as F

_autocast = autocast_state.local


def fused_step_applies(gates: int, x, states, w_ih, w_hh, b_ih, b_hh) -> bool:
    """Whether the operands are what the fused step handles: 2-D floating tensors of one dtype and
    device with matching sizes, outside autocast. Anything else takes the tensor-op cell (and its
    error messages and autocast casts)."""
    if _autocast.active or x.__class__ is not Tensor or w_ih.__class__ is not Tensor or w_hh.__class__ is not Tensor:
        return False
    dtype, device = x._dtype, x._device
    if not dtype.is_floating_point or len(x._buf.shape) != 2 or len(w_hh._buf.shape) != 2:
        return False
    rows, hidden = w_hh._buf.shape
    if rows != gates * hidden or w_ih._buf.shape != (rows, x._buf.shape[1]):
        return False
    batch = x._buf.shape[0]
    for t in (w_ih, w_hh, *states):
        if t.__class__ is not Tensor or t._dtype is not dtype or t._device is not device:
            return False
    for state in states:
        if state._buf.shape != (batch, hidden):
            return False
    for bias in (b_ih, b_hh):
        if bias is not None and (bias.__class__ is not Tensor or bias._dtype is not dtype
                                 or bias._device is not device or bias._buf.shape != (rows,)):
            return False
    return True


def _contiguous(t: Tensor):
    return t._buf if t.is_contiguous() else t.contiguous()._buf


def _transposed(b, buf):
    rows, cols = buf.shape
    row_stride, col_stride = b.strides(buf)
    return b.as_strided(buf, (cols, rows), (col_stride, row_stride), 0)


def _columns(b, buf, count: int):
    """The ``count`` equal column blocks of a contiguous (N, count*H) buffer, as views."""
    batch, width = buf.shape
    hidden = width // count
    return [b.as_strided(buf, (batch, hidden), (width, 1), k * hidden) for k in range(count)]


def _projection(b, x: Tensor, weight: Tensor, bias):
    """``x @ weight^T + bias`` into a fresh buffer (the order of F.linear's additions)."""
    out = b.matmul(x._buf, _transposed(b, weight._buf))
    if bias is not None:
        addend = bias._buf if b.native_broadcasting else expand_buf(bias, out.shape)
        b.add(out, addend, out=out)
    return out


def _sigmoid_buf(x: Tensor, buf):
    return pw.sigmoid(Tensor._make(buf, x._dtype, x._device, x._backend))._buf


def _sigmoid_grad_into(b, y, other, grad, out) -> None:
    """``out = grad * other * y * (1 - y)``, written as ``y - y y`` (no tensor of ones)."""
    b.mul(y, y, out=out)
    b.sub(y, out, out=out)
    b.mul(out, other, out=out)
    b.mul(out, grad, out=out)


def _parameter_grads(needs, d_input, d_hidden, x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor) -> list:
    """``[x, h, W_ih, W_hh, b_ih, b_hh]``'s gradients (those ``needs`` asks for) from the gradients
    of the projections ``x W_ih^T + b_ih`` (``d_input``) and ``h W_hh^T + b_hh`` (``d_hidden``)."""
    b, dtype, device = x._backend, x._dtype, x._device
    need_x, need_h, need_w_ih, need_w_hh, need_b_ih, need_b_hh = needs
    grads = [b.matmul(d_input, w_ih._buf) if need_x else None,
             b.matmul(d_hidden, w_hh._buf) if need_h else None,
             b.matmul(_transposed(b, d_input), _contiguous(x)) if need_w_ih else None,
             b.matmul(_transposed(b, d_hidden), _contiguous(h)) if need_w_hh else None,
             _column_sums(b, d_input, dtype) if need_b_ih else None, None]
    if need_b_hh:
        grads[5] = grads[4] if d_hidden is d_input and grads[4] is not None else _column_sums(b, d_hidden, dtype)
    return [None if buf is None else Tensor._make(buf, dtype, device, b) for buf in grads]


def _column_sums(b, buf, dtype):
    accumulate = dtypes.accumulate_dtype(dtype)
    if accumulate is dtype:
        return b.sum(buf, (0,), False, dtype)
    return b.cast(b.sum(b.cast(buf, accumulate), (0,), False, accumulate), dtype)


def _replayed_parameter_grads(needs, d_input, d_hidden, x, h, w_ih, w_hh) -> list:
    """``_parameter_grads`` with differentiable tensor ops (for ``create_graph``)."""
    need_x, need_h, need_w_ih, need_w_hh, need_b_ih, need_b_hh = needs
    return [d_input @ w_ih if need_x else None, d_hidden @ w_hh if need_h else None,
            d_input.t() @ x if need_w_ih else None, d_hidden.t() @ h if need_w_hh else None,
            d_input.sum(0) if need_b_ih else None, d_hidden.sum(0) if need_b_hh else None]


# ----- LSTM ----------------------------------------------------------------------------------------
class LSTMCellStep(Function):
    """``(h', c')`` of one LSTM step: gates ``i, f, g, o`` from ``x W_ih^T + b_ih + h W_hh^T + b_hh``,
    ``c' = f c + i g``, ``h' = o tanh(c')``."""

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh):
        b = x._backend
        gates = _projection(b, x, w_ih, b_ih)
        b.add(gates, _projection(b, h, w_hh, b_hh), out=gates)
        act = _sigmoid_buf(x, gates)  # i, f, o; g's block is redone with tanh
        i, f, g, o = _columns(b, act, 4)
        b.tanh(_columns(b, gates, 4)[2], out=g)
        c_new = b.mul(f, c._buf)
        b.add(c_new, b.mul(i, g), out=c_new)
        tanh_c = b.tanh(c_new)
        h_new = b.mul(o, tanh_c)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x, h, c, w_ih, w_hh, b_ih, b_hh)
        ctx.buffers = (act, tanh_c)
        return Tensor._make(h_new, x._dtype, x._device, b), Tensor._make(c_new, x._dtype, x._device, b)

    @staticmethod
    def backward(ctx, g_h, g_c):
        x, h, c, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        if g_h is None and g_c is None:
            return (None,) * 7
        needs = ctx.needs_input_grad
        if grad_state.enabled:  # create_graph: a differentiable replay
            d, g_prev_c = _lstm_gate_grads_replayed(x, h, c, w_ih, w_hh, b_ih, b_hh, g_h, g_c)
            grads = _replayed_parameter_grads(needs[:2] + needs[3:], d, d, x, h, w_ih, w_hh)
        else:
            d, g_prev_c = _lstm_gate_grads(x, c, ctx.buffers, g_h, g_c, needs[2])
            grads = _parameter_grads(needs[:2] + needs[3:], d, d, x, h, w_ih, w_hh)
        return (grads[0], grads[1], g_prev_c if needs[2] else None, *grads[2:])


def _lstm_gate_grads(x: Tensor, c: Tensor, buffers, g_h, g_c, need_c: bool):
    """The gradient of the gate pre-activations (N, 4H) and of the previous cell state."""
    act, tanh_c = buffers
    b, dtype = x._backend, x._dtype
    i, f, g, o = _columns(b, act, 4)
    d = b.empty(act.shape, dtype)
    di, df, dg, do = _columns(b, d, 4)
    if g_h is not None:
        gh = g_h._buf
        _sigmoid_grad_into(b, o, tanh_c, gh, do)  # gh tanh(c') o (1 - o)
        gc = b.mul(tanh_c, tanh_c)
        b.mul(gc, o, out=gc)
        b.sub(o, gc, out=gc)  # o (1 - tanh(c')^2)
        b.mul(gc, gh, out=gc)
        if g_c is not None:
            b.add(gc, g_c._buf, out=gc)
    else:
        b.copy_(do, b.full(do.shape, 0, dtype))
        gc = g_c._buf
    _sigmoid_grad_into(b, i, g, gc, di)  # gc g i (1 - i)
    _sigmoid_grad_into(b, f, c._buf, gc, df)  # gc c f (1 - f)
    b.mul(gc, i, out=dg)
    squared = b.mul(dg, g)
    b.mul(squared, g, out=squared)
    b.sub(dg, squared, out=dg)  # gc i (1 - g^2)
    g_prev_c = Tensor._make(b.mul(gc, f), dtype, x._device, b) if need_c else None
    return d, g_prev_c


def _lstm_gate_grads_replayed(x, h, c, w_ih, w_hh, b_ih, b_hh, g_h, g_c):
    i, f, g, o = (linalg.linear(x, w_ih, b_ih) + linalg.linear(h, w_hh, b_hh)).chunk(4, 1)
    i, f, g, o = pw.sigmoid(i), pw.sigmoid(f), pw.tanh(g), pw.sigmoid(o)
    tanh_c = pw.tanh(f * c + i * g)
    if g_h is not None:
        gc = g_h * o * (1 - tanh_c * tanh_c)
        gc = gc if g_c is None else gc + g_c
        do = g_h * tanh_c * o * (1 - o)
    else:
        gc, do = g_c, o * 0
    d = sh.cat([gc * g * i * (1 - i), gc * c * f * (1 - f), gc * i * (1 - g * g), do], 1)
    return d, gc * f


# ----- GRU -----------------------------------------------------------------------------------------
class GRUCellStep(Function):
    """``h'`` of one GRU step: ``r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)``,
    ``n = tanh(x_n + r h_n)``, ``h' = (1 - z) n + z h`` (``x_* = x W_i*^T + b_i*``,
    ``h_* = h W_h*^T + b_h*``)."""

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        b = x._backend
        xi = _projection(b, x, w_ih, b_ih)
        hh = _projection(b, h, w_hh, b_hh)
        batch, width = xi.shape
        hidden = width // 3
        rz = _sigmoid_buf(x, b.add(b.as_strided(xi, (batch, 2 * hidden), (width, 1), 0),
                                   b.as_strided(hh, (batch, 2 * hidden), (width, 1), 0)))
        r, z = _columns(b, rz, 2)
        xn, hn = _columns(b, xi, 3)[2], _columns(b, hh, 3)[2]
        n = b.mul(r, hn)
        b.add(xn, n, out=n)
        b.tanh(n, out=n)
        h_new = b.sub(b.full(z.shape, 1.0, x._dtype), z)  # 1 - z
        b.mul(h_new, n, out=h_new)
        b.add(h_new, b.mul(z, h._buf), out=h_new)
        ctx.save_for_backward(x, h, w_ih, w_hh, b_ih, b_hh)
        ctx.buffers = (rz, n, hn)
        return Tensor._make(h_new, x._dtype, x._device, b)

    @staticmethod
    def backward(ctx, g_h):
        x, h, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if grad_state.enabled:  # create_graph: a differentiable replay
            xr, xz, xn = linalg.linear(x, w_ih, b_ih).chunk(3, 1)
            hr, hz, hn = linalg.linear(h, w_hh, b_hh).chunk(3, 1)
            r, z = pw.sigmoid(xr + hr), pw.sigmoid(xz + hz)
            n = pw.tanh(xn + r * hn)
            dn = g_h * (1 - z) * (1 - n * n)
            dz = g_h * (h - n) * z * (1 - z)
            dr = dn * hn * r * (1 - r)
            grads = _replayed_parameter_grads(needs, sh.cat([dr, dz, dn], 1), sh.cat([dr, dz, dn * r], 1),
                                              x, h, w_ih, w_hh)
            if grads[1] is not None:  # h also reaches h' directly, through z h
                grads[1] = grads[1] + g_h * z
            return tuple(grads)
        rz, n, hn = ctx.buffers
        b, dtype = x._backend, x._dtype
        r, z = _columns(b, rz, 2)
        gh = g_h._buf
        batch, hidden = n.shape
        d_input = b.empty((batch, 3 * hidden), dtype)
        dr, dz, dn = _columns(b, d_input, 3)
        b.mul(gh, z, out=dn)
        b.sub(gh, dn, out=dn)  # gh (1 - z)
        squared = b.mul(n, n)
        b.mul(squared, dn, out=squared)
        b.sub(dn, squared, out=dn)  # gh (1 - z) (1 - n^2)
        _sigmoid_grad_into(b, z, b.sub(h._buf, n), gh, dz)  # gh (h - n) z (1 - z)
        _sigmoid_grad_into(b, r, hn, dn, dr)  # dn h_n r (1 - r)
        d_hidden = b.empty((batch, 3 * hidden), dtype)
        b.copy_(b.as_strided(d_hidden, (batch, 2 * hidden), (3 * hidden, 1), 0),
                b.as_strided(d_input, (batch, 2 * hidden), (3 * hidden, 1), 0))
        b.mul(dn, r, out=_columns(b, d_hidden, 3)[2])
        grads = _parameter_grads(needs, d_input, d_hidden, x, h, w_ih, w_hh)
        if grads[1] is not None:  # h also reaches h' directly, through z h
            b.add(grads[1]._buf, b.mul(gh, z), out=grads[1]._buf)
        return tuple(grads)


# ----- Elman RNN -----------------------------------------------------------------------------------
class RNNCellStep(Function):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh, relu: bool):
        b = x._backend
        pre = _projection(b, x, w_ih, b_ih)
        b.add(pre, _projection(b, h, w_hh, b_hh), out=pre)
        if relu:
            h_new = pw.relu(Tensor._make(pre, x._dtype, x._device, b))._buf
        else:
            h_new = b.tanh(pre, out=pre)
        ctx.save_for_backward(x, h, w_ih, w_hh, b_ih, b_hh)
        ctx.relu, ctx.buffers = relu, (h_new,)
        return Tensor._make(h_new, x._dtype, x._device, b)

    @staticmethod
    def backward(ctx, g_h):
        x, h, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        needs = ctx.needs_input_grad[:6]
        if grad_state.enabled:  # create_graph: a differentiable replay
            pre = linalg.linear(x, w_ih, b_ih) + linalg.linear(h, w_hh, b_hh)
            if ctx.relu:
                d = g_h * (pre > 0).to(g_h.dtype)
            else:
                y = pw.tanh(pre)
                d = g_h * (1 - y * y)
            return (*_replayed_parameter_grads(needs, d, d, x, h, w_ih, w_hh), None)
        (h_new,) = ctx.buffers
        b, gh = x._backend, g_h._buf
        if ctx.relu:
            d = b.where(b.lt(b.neg(h_new), 0.0), gh, 0.0)  # gh where h' > 0
        else:
            d = b.mul(h_new, h_new)
            b.mul(d, gh, out=d)
            b.sub(gh, d, out=d)  # gh (1 - h'^2)
        return (*_parameter_grads(needs, d, d, x, h, w_ih, w_hh), None)


def _name_outputs(outputs, names) -> None:
    """PyTorch's grad_fn names for a step's outputs: those of its cell's last ops."""
    for out, name in zip(outputs, names):
        node = out.grad_fn
        if node is not None:
            node._name = name


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """``(h', c')`` of LSTMCell: the fused step, or the tensor-op cell for operands it does not take."""
    if not fused_step_applies(4, x, (h, c), w_ih, w_hh, b_ih, b_hh):
        i, f, g, o = (F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)).chunk(4, 1)
        c = pw.sigmoid(f) * c + pw.sigmoid(i) * pw.tanh(g)
        return pw.sigmoid(o) * pw.tanh(c), c
    out = LSTMCellStep.apply(x, h, c, w_ih, w_hh, b_ih, b_hh)
    _name_outputs(out, ("MulBackward0", "AddBackward0"))
    return out


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """``h'`` of GRUCell: the fused step, or the tensor-op cell for operands it does not take."""
    if not fused_step_applies(3, x, (h,), w_ih, w_hh, b_ih, b_hh):
        xr, xz, xn = F.linear(x, w_ih, b_ih).chunk(3, 1)
        hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, 1)
        r, z = pw.sigmoid(xr + hr), pw.sigmoid(xz + hz)
        n = pw.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h
    out = GRUCellStep.apply(x, h, w_ih, w_hh, b_ih, b_hh)
    _name_outputs((out,), ("AddBackward0",))
    return out


def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, relu: bool):
    """``h'`` of RNNCell: the fused step, or the tensor-op cell for operands it does not take."""
    if not fused_step_applies(1, x, (h,), w_ih, w_hh, b_ih, b_hh):
        pre = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
        return pw.relu(pre) if relu else pw.tanh(pre)
    out = RNNCellStep.apply(x, h, w_ih, w_hh, b_ih, b_hh, relu)
    _name_outputs((out,), ("ReluBackward0" if relu else "TanhBackward0",))
    return out
