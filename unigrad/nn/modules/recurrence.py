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
    """LSTM layer, one direction: ``xproj`` (L, N, 4H) holds ``x W_ih^T + b_ih + b_hh``.

    The forward keeps every step's gate activations, cell states and their tanh in three buffers
    over all steps, so that the backward forms everything that does not depend on the gradient
    flowing back through time in a few passes over all steps at once; each step then takes seven
    primitives (one of them the matmul through ``W_hh``).
    """

    @staticmethod
    def forward(ctx, xproj: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool):
        b, dtype = xproj._backend, xproj._dtype
        steps, batch, width = xproj.shape
        hidden = width // 4
        x = xproj._buf if xproj.is_contiguous() else xproj.contiguous()._buf
        w_t = _transposed(b, w_hh._buf)
        out = b.empty((steps, batch, hidden), dtype)
        acts = b.empty((steps, batch, width), dtype)  # i, f, o (sigmoid) and g (tanh) per step
        # cell states with the initial one at the start of their order: c_prev of every step is
        # one view, c_new another
        cells = b.empty((steps + 1, batch, hidden), dtype)
        tanh_cells = b.empty((steps, batch, hidden), dtype)
        plane, gate_plane = batch * hidden, batch * width
        b.copy_(_step(b, cells, steps if reverse else 0, batch, hidden), c0._buf)
        h, c = h0._buf, None
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            gates = b.matmul(h, w_t)
            b.add(gates, b.as_strided(x, (batch, width), (width, 1), t * gate_plane), out=gates)
            act = _step(b, acts, t, batch, width)
            b.copy_(act, _sigmoid(b, gates, xproj))
            i, f, g, o = _gate_views(b, act, batch, hidden)
            b.tanh(b.as_strided(gates, (batch, hidden), (width, 1), 2 * hidden), out=g)
            c_prev = c if c is not None else _step(b, cells, steps if reverse else 0, batch, hidden)
            c = _step(b, cells, t if reverse else t + 1, batch, hidden)
            b.mul(f, c_prev, out=c)
            b.add(c, b.mul(i, g), out=c)
            tc = b.tanh(c, out=_step(b, tanh_cells, t, batch, hidden))
            h = b.as_strided(out, (batch, hidden), (hidden, 1), t * plane)
            b.mul(o, tc, out=h)
        ctx.save_for_backward(w_hh)
        ctx.reverse, ctx.buffers = reverse, (out, acts, cells, tanh_cells, h0._buf)
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
        out, acts, cells, tanh_cells, h0 = ctx.buffers
        b, dtype = g_out._backend, g_out._dtype
        steps, batch, hidden = out.shape
        width = 4 * hidden
        reverse = ctx.reverse
        c_prev, _ = _cell_views(b, cells, steps, batch, hidden, reverse)
        factors = _lstm_backward_factors(b, dtype, out, acts, c_prev, tanh_cells)
        through_c, through_o, ifg = factors  # (L, N, H), (L, N, H), (L, N, 3, H)
        g_seq = g_out._buf if g_out.is_contiguous() else g_out.contiguous()._buf
        d_gates = b.empty((steps, batch, width), dtype)
        gh, gc = g_hn._buf, g_cn._buf
        forward_order = range(steps - 1, -1, -1) if reverse else range(steps)
        plane = batch * hidden
        carry = gc  # the gradient reaching this step's cell state from the later ones
        for n, t in enumerate(reversed(forward_order)):
            step_out = b.as_strided(g_seq, (batch, hidden), (hidden, 1), t * plane)
            gh = b.add(gh, step_out) if n == 0 else b.add(gh, step_out, out=gh)  # never into g_hn
            d = _step(b, d_gates, t, batch, width)
            b.mul(gh, _step(b, through_o, t, batch, hidden),
                  out=b.as_strided(d_gates, (batch, hidden), (width, 1), t * batch * width + 3 * hidden))
            gc = b.mul(gh, _step(b, through_c, t, batch, hidden))
            b.add(gc, carry, out=gc)
            # d_i, d_f, d_g at once: gc broadcast over the three blocks
            blocks = b.as_strided(d, (batch, 3, hidden), (width, hidden, 1), 0)
            spread = b.as_strided(gc, (batch, 3, hidden), (hidden, 0, 1), 0)
            b.mul(spread, b.as_strided(ifg, (batch, 3, hidden), (3 * hidden, hidden, 1), t * 3 * plane),
                  out=blocks)
            carry = b.mul(gc, b.as_strided(acts, (batch, hidden), (width, 1), t * batch * width + hidden))  # gc f
            gh = b.matmul(d, w_hh._buf)
        # the recurrent weight's gradient: every step's gates against the state it started from
        first = forward_order[0]
        g_w = b.matmul(_transposed(b, _step(b, d_gates, first, batch, width)), h0)
        if steps > 1:
            rows = (steps - 1) * batch
            later = b.as_strided(d_gates, (rows, width), (width, 1), (0 if reverse else batch * width))
            states = b.as_strided(out, (rows, hidden), (hidden, 1), (plane if reverse else 0))
            b.add(g_w, b.matmul(_transposed(b, later), states), out=g_w)
        wrap = lambda buf: Tensor._make(buf, dtype, g_out._device, b)  # noqa: E731
        return wrap(d_gates), wrap(gh), wrap(carry), wrap(g_w), None


def _sigmoid(b, buf, like: Tensor):
    """The sigmoid of a buffer: the backend's fast path, else the frontend's composite."""
    if b.sigmoid is not None:
        return b.sigmoid(buf)
    return pw.sigmoid(Tensor._make(buf, like._dtype, like._device, b))._buf


def _step(b, buf, t: int, rows: int, cols: int):
    """Step ``t`` of a contiguous (L, rows, cols) buffer, as a (rows, cols) view."""
    return b.as_strided(buf, (rows, cols), (cols, 1), t * rows * cols)


def _cell_views(b, cells, steps: int, batch: int, hidden: int, reverse: bool):
    """The (L, N, H) views of every step's previous and new cell state (the buffer holds the
    initial state first in processing order: at position 0, or at L when running in reverse)."""
    plane = batch * hidden
    shape, strides = (steps, batch, hidden), (plane, hidden, 1)
    first, second = b.as_strided(cells, shape, strides, 0), b.as_strided(cells, shape, strides, plane)
    return (second, first) if reverse else (first, second)


def _lstm_backward_factors(b, dtype, out, acts, c_prev, tanh_cells):
    """What every step's gate gradients are made of, for all steps at once: ``o (1 - tanh(c)^2)``
    (the cell state's share of h's gradient), ``tanh(c) o (1 - o)`` (o's), and, side by side
    as (L, N, 3, H), ``g i (1 - i)``, ``c_prev f (1 - f)`` and ``i (1 - g^2)`` (i's, f's and g's
    share of the cell state's gradient)."""
    steps, batch, hidden = out.shape
    width, plane = 4 * hidden, batch * hidden
    shape = (steps, batch, hidden)
    i, f, g, o = (b.as_strided(acts, shape, (batch * width, width, 1), k * hidden) for k in range(4))
    through_c = b.mul(out, tanh_cells)  # o tanh(c)^2
    b.sub(o, through_c, out=through_c)
    through_o = b.mul(o, o)
    b.sub(o, through_o, out=through_o)
    b.mul(through_o, tanh_cells, out=through_o)
    ifg = b.empty((steps, batch, 3, hidden), dtype)
    k_i, k_f, k_g = (b.as_strided(ifg, shape, (3 * plane, 3 * hidden, 1), k * hidden) for k in range(3))
    b.mul(i, i, out=k_i)
    b.sub(i, k_i, out=k_i)
    b.mul(k_i, g, out=k_i)
    b.mul(f, f, out=k_f)
    b.sub(f, k_f, out=k_f)
    b.mul(k_f, c_prev, out=k_f)
    b.mul(g, g, out=k_g)
    b.mul(k_g, i, out=k_g)
    b.sub(i, k_g, out=k_g)
    return through_c, through_o, ifg


def _transposed(b, buf):
    rows, cols = buf.shape
    row_stride, col_stride = b.strides(buf)
    return b.as_strided(buf, (cols, rows), (col_stride, row_stride), 0)


def _gate_views(b, buf, batch: int, hidden: int):
    """The i, f, g, o column blocks of a contiguous (N, 4H) buffer."""
    return tuple(b.as_strided(buf, (batch, hidden), (4 * hidden, 1), k * hidden) for k in range(4))


def _replay_backward(ctx, g_out, g_hn, g_cn):
    """The differentiable LSTM backward (``_through_time``), fed with this forward's saved buffers."""
    (w_hh,) = ctx.saved_tensors
    out, acts, cells, tanh_cells, h0 = ctx.buffers
    b, dtype, device = g_out._backend, g_out._dtype, g_out._device
    steps, batch, hidden = out.shape
    wrap = lambda buf: Tensor._make(buf, dtype, device, b)  # noqa: E731
    order = range(steps - 1, -1, -1) if ctx.reverse else range(steps)
    saved, h = [], wrap(h0)
    c = wrap(_step(b, cells, steps if ctx.reverse else 0, batch, hidden))
    for t in order:
        i, f, g, o = (wrap(v) for v in _gate_views(b, _step(b, acts, t, batch, 4 * hidden), batch, hidden))
        h_new = wrap(_step(b, out, t, batch, hidden))
        saved.append((h, c, i, f, g, o, wrap(_step(b, tanh_cells, t, batch, hidden)), h_new))
        h, c = h_new, wrap(_step(b, cells, t if ctx.reverse else t + 1, batch, hidden))
    g_xproj, g_h0, g_c0, g_w_hh, _ = _through_time("LSTM", ctx.reverse, saved, w_hh, g_out, g_hn, g_cn)
    return g_xproj, g_h0, g_c0, g_w_hh, None
