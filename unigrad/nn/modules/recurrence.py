"""The recurrence of one layer and direction over all time steps, as one autograd Function.

``Recurrence`` (RNN, GRU) is written with tensor ops, so its backward (``_through_time``, also the
LSTM's under ``create_graph``) is itself differentiable. ``LSTMRecurrence`` runs the LSTM on backend
buffers: the forward writes each hidden state straight into the output sequence and keeps each
step's activations; the backward writes every step's gate gradients into one (L, N, 4H) buffer, so
nothing is concatenated or stacked and the recurrent weight's gradient is two matmuls over all
steps. It uses primitives only (``out=`` into strided views), so it runs on every backend.
"""
from __future__ import annotations

from ...api.ops import pointwise as pw, shape as sh
from ...api.ops.support import grad_state
from ...api.tensor import Tensor
from ...autograd.function import Function


def _sigmoid_grad(y: Tensor) -> Tensor:
    """``y (1 - y)`` written as ``y - y y``: two primitives, no tensor of ones."""
    return y - y * y


class Recurrence(Function):
    """RNN or GRU, one layer, one direction: ``xproj`` (L, N, G*H) already holds ``x W_ih^T + b_ih``
    (and ``b_hh`` for RNN; GRU needs it inside the reset gate)."""

    @staticmethod
    def forward(ctx, mode: str, xproj: Tensor, h0: Tensor, w_hh: Tensor, b_hh, reverse: bool):
        steps = xproj.shape[0]
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        w_t = w_hh.t()
        h = h0
        outputs = [None] * steps
        saved = []
        for t in order:
            hidden = h @ w_t
            if mode == "GRU":
                hidden = hidden + b_hh
                xr, xz, xn = xproj[t].chunk(3, 1)
                hr, hz, hn = hidden.chunk(3, 1)
                r, z = pw.sigmoid(xr + hr), pw.sigmoid(xz + hz)
                n = pw.tanh(xn + r * hn)
                h_new = (1.0 - z) * n + z * h
                saved.append((h, r, z, n, hn))
            else:
                pre = xproj[t] + hidden
                h_new = pw.tanh(pre) if mode == "RNN_TANH" else pw.relu(pre)
                saved.append((h, h_new))
            outputs[t] = h_new
            h = h_new
        ctx.mode, ctx.reverse, ctx.saved = mode, reverse, saved
        ctx.save_for_backward(w_hh)
        return sh.stack(outputs), h

    @staticmethod
    def backward(ctx, g_out: Tensor, g_hn: Tensor):
        (w_hh,) = ctx.saved_tensors
        stacked_gates, gh, _, g_w_hh, g_b_hh = _through_time(ctx.mode, ctx.reverse, ctx.saved, w_hh, g_out, g_hn)
        return None, stacked_gates, gh, g_w_hh, g_b_hh, None


def _through_time(mode: str, reverse: bool, saved, w_hh: Tensor, g_out: Tensor, gh: Tensor, gc=None):
    """Back-propagation through time with tensor ops (so itself differentiable), from the
    per-step records ``saved`` in forward order: the gates' gradients (L, N, G*H), those of the
    initial states, and the recurrent weight's and (GRU) bias's."""
    steps = len(saved)
    order = range(steps) if reverse else range(steps - 1, -1, -1)
    d_gates = [None] * steps
    d_hidden = [None] * steps  # the gradient reaching h @ W_hh^T (+ b_hh)
    previous_h = [None] * steps
    for t, record in zip(order, reversed(saved)):
        gh = gh + g_out[t]
        if mode == "LSTM":
            h, c, i, f, g, o, tc, h_new = record
            go = gh * tc
            gc = gc + gh * (o - h_new * tc)  # o (1 - tanh(c)^2)
            gi = gc * i
            gates = sh.cat([gc * g * _sigmoid_grad(i), gc * c * _sigmoid_grad(f),
                            gi - gi * g * g, go * _sigmoid_grad(o)], 1)  # tanh' = 1 - g^2
            gc = gc * f
            d_gates[t] = d_hidden[t] = gates
            gh = None  # h_{t-1} reaches h_t only through the gates
        elif mode == "GRU":
            h, r, z, n, hn = record
            dn = gh * (1.0 - z)
            dz = gh * (h - n) * _sigmoid_grad(z)
            da = dn * (1.0 - n * n)
            dr = da * hn * _sigmoid_grad(r)
            d_gates[t] = sh.cat([dr, dz, da], 1)
            d_hidden[t] = sh.cat([dr, dz, da * r], 1)
            gh = gh * z
        else:
            h, h_new = record
            if mode == "RNN_TANH":
                local = gh * h_new
                d_gates[t] = d_hidden[t] = gh - local * h_new  # tanh' = 1 - y^2
            else:
                d_gates[t] = d_hidden[t] = gh * (h_new > 0).to(h_new.dtype)
            gh = None
        previous_h[t] = h
        through = d_hidden[t] @ w_hh
        gh = through if gh is None else gh + through
    hidden = sh.stack(d_hidden)  # (L, N, G*H)
    stacked_gates = sh.stack(d_gates) if mode == "GRU" else hidden  # only GRU's two differ
    width = hidden.shape[-1]
    flat = hidden.reshape(-1, width)
    g_w_hh = flat.t() @ sh.stack(previous_h).reshape(-1, w_hh.shape[1])
    g_b_hh = flat.sum(0) if mode == "GRU" else None
    return stacked_gates, gh, gc, g_w_hh, g_b_hh


class LSTMRecurrence(Function):
    """LSTM layer, one direction: ``xproj`` (L, N, 4H) holds ``x W_ih^T + b_ih + b_hh``."""

    @staticmethod
    def forward(ctx, xproj: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool):
        b, dtype = xproj._backend, xproj._dtype
        steps, batch, width = xproj.shape
        hidden = width // 4
        x = xproj._buf if xproj.is_contiguous() else xproj.contiguous()._buf
        w_t = _transposed(b, w_hh._buf)
        out = b.empty((steps, batch, hidden), dtype)
        h, c = h0._buf, c0._buf
        acts, cells, tanh_cells = [None] * steps, [None] * steps, [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            gates = b.matmul(h, w_t)
            b.add(gates, b.as_strided(x, (batch, width), (width, 1), t * batch * width), out=gates)
            act = pw.sigmoid(Tensor._make(gates, dtype, xproj._device, b))._buf  # i, f, o (g's slot redone)
            i, f, g, o = _gate_views(b, act, batch, hidden)
            b.tanh(_gate_views(b, gates, batch, hidden)[2], out=g)
            c = b.mul(f, c)
            b.add(c, b.mul(i, g), out=c)
            tc = b.tanh(c)
            h = b.as_strided(out, (batch, hidden), (hidden, 1), t * batch * hidden)
            b.mul(o, tc, out=h)
            acts[t], cells[t], tanh_cells[t] = act, c, tc
        ctx.save_for_backward(w_hh)
        ctx.reverse, ctx.buffers = reverse, (out, acts, cells, tanh_cells, h0._buf, c0._buf)
        h_n, c_n = b.empty((batch, hidden), dtype), b.empty((batch, hidden), dtype)
        b.copy_(h_n, h)  # the returned states own their memory: backward still reads these
        b.copy_(c_n, c)
        wrap = lambda buf: Tensor._make(buf, dtype, xproj._device, b)  # noqa: E731
        return wrap(out), wrap(h_n), wrap(c_n)

    @staticmethod
    def backward(ctx, g_out: Tensor, g_hn: Tensor, g_cn: Tensor):
        if grad_state.enabled:  # create_graph: replay with differentiable tensor ops
            return _replay_backward(ctx, g_out, g_hn, g_cn)
        (w_hh,) = ctx.saved_tensors
        out, acts, cells, tanh_cells, h0, c0 = ctx.buffers
        b, dtype = g_out._backend, g_out._dtype
        steps, batch, hidden = out.shape
        width = 4 * hidden
        g_seq = g_out._buf if g_out.is_contiguous() else g_out.contiguous()._buf
        d_gates = b.empty((steps, batch, width), dtype)
        gh, gc = g_hn._buf, g_cn._buf
        forward_order = range(steps - 1, -1, -1) if ctx.reverse else range(steps)
        previous = -1 if not ctx.reverse else 1
        for n, t in enumerate(reversed(forward_order)):
            i, f, g, o = _gate_views(b, acts[t], batch, hidden)
            tc = tanh_cells[t]
            h_new = b.as_strided(out, (batch, hidden), (hidden, 1), t * batch * hidden)
            c_prev = cells[t + previous] if 0 <= t + previous < steps else c0
            step_out = b.as_strided(g_seq, (batch, hidden), (hidden, 1), t * batch * hidden)
            gh = b.add(gh, step_out) if n == 0 else b.add(gh, step_out, out=gh)  # never into g_hn
            local = b.mul(h_new, tc)
            b.sub(o, local, out=local)  # o (1 - tanh(c)^2)
            b.mul(local, gh, out=local)
            gc = b.add(gc, local) if n == 0 else b.add(gc, local, out=gc)  # never into g_cn
            d = b.as_strided(d_gates, (batch, width), (width, 1), t * batch * width)
            di, df, dg, do = _gate_views(b, d, batch, hidden)
            _sigmoid_grad_into(b, o, tc, gh, do)  # gh tanh(c) o (1 - o)
            _sigmoid_grad_into(b, i, g, gc, di)  # gc g i (1 - i)
            _sigmoid_grad_into(b, f, c_prev, gc, df)  # gc c_prev f (1 - f)
            b.mul(gc, i, out=dg)
            squared = b.mul(dg, g)
            b.mul(squared, g, out=squared)
            b.sub(dg, squared, out=dg)  # gc i (1 - g^2)
            b.mul(gc, f, out=gc)
            gh = b.matmul(d, w_hh._buf)
        # the recurrent weight's gradient: every step's gates against the state it started from
        first = forward_order[0]
        g_w = b.matmul(_transposed(b, b.as_strided(d_gates, (batch, width), (width, 1), first * batch * width)), h0)
        if steps > 1:
            rows = (steps - 1) * batch
            later = b.as_strided(d_gates, (rows, width), (width, 1), (0 if ctx.reverse else batch * width))
            states = b.as_strided(out, (rows, hidden), (hidden, 1), (batch * hidden if ctx.reverse else 0))
            b.add(g_w, b.matmul(_transposed(b, later), states), out=g_w)
        wrap = lambda buf: Tensor._make(buf, dtype, g_out._device, b)  # noqa: E731
        return wrap(d_gates), wrap(gh), wrap(gc), wrap(g_w), None


def _transposed(b, buf):
    rows, cols = buf.shape
    row_stride, col_stride = b.strides(buf)
    return b.as_strided(buf, (cols, rows), (col_stride, row_stride), 0)


def _gate_views(b, buf, batch: int, hidden: int):
    """The i, f, g, o column blocks of a contiguous (N, 4H) buffer."""
    return tuple(b.as_strided(buf, (batch, hidden), (4 * hidden, 1), k * hidden) for k in range(4))


def _sigmoid_grad_into(b, y, other, grad, out) -> None:
    """``out = grad * other * y * (1 - y)``, written as ``y - y y`` (no tensor of ones)."""
    b.mul(y, y, out=out)
    b.sub(y, out, out=out)
    b.mul(out, other, out=out)
    b.mul(out, grad, out=out)


def _replay_backward(ctx, g_out, g_hn, g_cn):
    """The differentiable LSTM backward (``_through_time``), fed with this forward's saved buffers."""
    (w_hh,) = ctx.saved_tensors
    out, acts, cells, tanh_cells, h0, c0 = ctx.buffers
    b, dtype, device = g_out._backend, g_out._dtype, g_out._device
    steps, batch, hidden = out.shape
    wrap = lambda buf: Tensor._make(buf, dtype, device, b)  # noqa: E731
    order = range(steps - 1, -1, -1) if ctx.reverse else range(steps)
    saved, h, c = [], wrap(h0), wrap(c0)
    for t in order:
        i, f, g, o = (wrap(v) for v in _gate_views(b, acts[t], batch, hidden))
        h_new = wrap(b.as_strided(out, (batch, hidden), (hidden, 1), t * batch * hidden))
        saved.append((h, c, i, f, g, o, wrap(tanh_cells[t]), h_new))
        h, c = h_new, wrap(cells[t])
    g_xproj, g_h0, g_c0, g_w_hh, _ = _through_time("LSTM", ctx.reverse, saved, w_hh, g_out, g_hn, g_cn)
    return g_xproj, g_h0, g_c0, g_w_hh, None
