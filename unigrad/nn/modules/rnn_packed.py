"""RNN, LSTM and GRU over a ``PackedSequence``: each time step runs only the sequences still going
(``batch_sizes[t]`` of them, longest first), so every sequence's final state is taken at its own
last step and a reverse direction starts each sequence at its own end.

The input projection of a layer and direction is one matmul over all packed steps, as on the
padded path; the recurrence is written with tensor ops (sliced to the running rows), so values
and gradients (and double backward) come from autograd."""
from __future__ import annotations

from ...amp.autocast_mode import run_module
from ...api import autocast_state, creation
from ...api.ops import linalg, pointwise as pw, shape as sh
from ...api.tensor import Tensor
from .. import functional as F
from ..utils.rnn import PackedSequence

_autocast = autocast_state.local


def packed_forward(rnn, packed: PackedSequence, hx):
    """``rnn``'s forward on a PackedSequence: ``(PackedSequence output, h_n)`` (``(h_n, c_n)`` for
    an LSTM), the states in the caller's batch order."""
    if _autocast.active:  # the whole layer is one autocast op, as on the padded path
        states = () if hx is None else (tuple(hx) if rnn.mode == "LSTM" else (hx,))

        def forward(data, *rest):
            *cast_states, cast = rest
            given = None if not cast_states else (tuple(cast_states) if rnn.mode == "LSTM" else cast_states[0])
            return _run(rnn, packed._replace(data=data), given, cast)
        return run_module(rnn.mode.lower() + "_packed", forward, (packed.data, *states))
    return _run(rnn, packed, hx, lambda t: t)


def _permute(state: Tensor, indices):
    return state if indices is None else state.index_select(1, indices)


def _run(rnn, packed: PackedSequence, hx, cast):
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    if data.ndim != 2:
        raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
    if data.shape[-1] != rnn.input_size:
        raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {rnn.input_size}, "
                           f"got {data.shape[-1]}")
    sizes = batch_sizes.tolist()
    directions = 2 if rnn.bidirectional else 1
    shape = (rnn.num_layers * directions, sizes[0], rnn.hidden_size)
    if hx is None:
        h0 = creation.zeros(shape, dtype=data.dtype, device=data.device)
        c0 = h0 if rnn.mode == "LSTM" else None
    elif rnn.mode == "LSTM":
        h0, c0 = (_permute(s, sorted_indices) for s in hx)
        rnn._check_state(h0, shape, "h0", data)
        rnn._check_state(c0, shape, "c0", data)
    else:
        h0, c0 = _permute(hx, sorted_indices), None
        rnn._check_state(h0, shape, "hx", data)
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    layer_input = data
    last_h, last_c = [], []
    for layer in range(rnn.num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            w_ih, w_hh, b_ih, b_hh = (w if w is None else cast(w) for w in rnn._weights(layer, direction))
            bias = None if b_ih is None else (b_ih + b_hh if rnn.mode != "GRU" else b_ih)
            xproj = linalg.linear(layer_input, w_ih, bias)
            recurrent_bias = b_hh if rnn.mode == "GRU" else None
            out, h_n, c_n = _layer(rnn.mode, xproj, sizes, offsets, h0[index],
                                   None if c0 is None else c0[index], w_hh, recurrent_bias, direction == 1)
            outputs.append(out)
            last_h.append(h_n)
            last_c.append(c_n)
        layer_input = outputs[0] if directions == 1 else sh.cat(outputs, -1)
        if rnn.dropout and rnn.training and layer < rnn.num_layers - 1:
            layer_input = F.dropout(layer_input, rnn.dropout, True)
    output = PackedSequence(layer_input, batch_sizes, sorted_indices, unsorted_indices)
    h_n = _permute(sh.stack(last_h), unsorted_indices)
    if rnn.mode == "LSTM":
        return output, (h_n, _permute(sh.stack(last_c), unsorted_indices))
    return output, h_n


def _layer(mode: str, xproj: Tensor, sizes: list, offsets: list, h0: Tensor, c0, w_hh: Tensor,
           b_hh, reverse: bool):
    """One layer and direction over the packed steps: the packed outputs and the final states
    (every sequence's state after its own last step)."""
    w_t = w_hh.t()
    steps = len(sizes)
    outputs = [None] * steps
    if not reverse:
        h, c = h0, c0
        for t in range(steps):
            size = sizes[t]
            running = size < h.shape[0]
            h_new, c_new = _cell(mode, xproj[offsets[t]:offsets[t] + size], h[:size] if running else h,
                                 None if c is None else (c[:size] if running else c), w_t, b_hh)
            outputs[t] = h_new
            # the sequences that have ended keep their last state
            h = sh.cat([h_new, h[size:]], 0) if running else h_new
            if c is not None:
                c = sh.cat([c_new, c[size:]], 0) if running else c_new
    else:
        h = h0[:sizes[-1]]
        c = None if c0 is None else c0[:sizes[-1]]
        for t in range(steps - 1, -1, -1):
            size = sizes[t]
            if size > h.shape[0]:  # longer sequences start here, from their initial state
                h = sh.cat([h, h0[h.shape[0]:size]], 0)
                if c is not None:
                    c = sh.cat([c, c0[c.shape[0]:size]], 0)
            h, c = _cell(mode, xproj[offsets[t]:offsets[t] + size], h, c, w_t, b_hh)
            outputs[t] = h
    return sh.cat(outputs, 0), h, c


def _cell(mode: str, x: Tensor, h: Tensor, c, w_t: Tensor, b_hh):
    """One step: ``x`` holds the input projection (with the biases PyTorch adds there)."""
    hidden = h @ w_t
    if mode == "LSTM":
        i, f, g, o = (x + hidden).chunk(4, 1)
        c_new = pw.sigmoid(f) * c + pw.sigmoid(i) * pw.tanh(g)
        return pw.sigmoid(o) * pw.tanh(c_new), c_new
    if mode == "GRU":
        if b_hh is not None:
            hidden = hidden + b_hh
        xr, xz, xn = x.chunk(3, 1)
        hr, hz, hn = hidden.chunk(3, 1)
        r, z = pw.sigmoid(xr + hr), pw.sigmoid(xz + hz)
        n = pw.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h, None
    pre = x + hidden
    return (pw.tanh(pre) if mode == "RNN_TANH" else pw.relu(pre)), None
