"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameters and outputs.

The input projection of every time step is one matmul; the recurrence of a layer and direction is
one autograd Function (``recurrence.py``).
"""
from __future__ import annotations

import math

from ...amp.autocast_mode import cast_inputs, run_module
from ...api import autocast_state, creation
from ...api.ops import linalg, shape as sh
from ...api.tensor import Tensor
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module
from .cell_steps import gru_step, lstm_step, rnn_step
from .recurrence import LSTMRecurrence, Recurrence
from .rnn_packed import PackedSequence, packed_forward

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_autocast = autocast_state.local


def _same(t):
    return t


_LAST_STEP_NODE = {"RNN_TANH": "TanhBackward0", "RNN_RELU": "ReluBackward0", "GRU": "AddBackward0"}


def _name_outputs(out, h_n, mode: str) -> None:
    """The recurrence's outputs named like PyTorch's graph: the sequence is a stack of the steps'
    hidden states, the final state the last step's activation."""
    if out._grad_fn is not None:
        out._grad_fn._name = "StackBackward0"
    if h_n._grad_fn is not None:
        h_n._grad_fn._name = _LAST_STEP_NODE[mode]


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        if proj_size:
            raise NotImplementedError("LSTM projections (proj_size > 0) are not supported")
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1]")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(creation.empty(shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op, as PyTorch's is off cuDNN: unigrad keeps no packed weight buffer."""

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction: ``[[w_ih, w_hh, b_ih, b_hh], ...]``."""
        per_layer = 4 if self.bias else 2
        weights = [getattr(self, name) for name in self._flat_weights_names]
        return [weights[i:i + per_layer] for i in range(0, len(weights), per_layer)]

    def _weights(self, layer: int, direction: int):
        suffix = "_reverse" if direction == 1 else ""
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}") if self.bias or "weight" in kind else None  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def forward(self, x: Tensor, hx=None):
        if isinstance(x, PackedSequence):
            return packed_forward(self, x, hx)
        if _autocast.active:  # the whole layer is one autocast op, as PyTorch's fused RNN ops are
            return run_module(self.mode.lower(), self._forward, (x, hx))
        return self._forward(x, hx)

    def _forward(self, x: Tensor, hx, cast=_same):
        batched = x.ndim == 3
        if not batched:
            if x.ndim != 2:
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {x.ndim}D")
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        directions = 2 if self.bidirectional else 1
        h0, c0 = self._initial_state(hx, batch, directions, x, batched)
        layer_input = x
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh = (w if w is None else cast(w) for w in self._weights(layer, direction))
                width = layer_input.shape[-1]
                bias = None if b_ih is None else (b_ih + b_hh if self.mode != "GRU" else b_ih)
                xproj = linalg.linear(layer_input.reshape(steps * batch, width), w_ih, bias)
                xproj = xproj.reshape(steps, batch, w_ih.shape[0])
                gru_bias = b_hh if self.mode == "GRU" and b_hh is not None else None
                if self.mode == "GRU" and gru_bias is None:
                    gru_bias = creation.zeros(w_hh.shape[0], dtype=x.dtype, device=x.device)
                if self.mode == "LSTM":
                    out, h_n, c_n = LSTMRecurrence.apply(xproj, h0[index], c0[index], w_hh, direction == 1)
                    last_c.append(c_n)
                else:
                    out, h_n = Recurrence.apply(self.mode, xproj, h0[index], w_hh, gru_bias, direction == 1)
                    _name_outputs(out, h_n, self.mode)
                outputs.append(out)
                last_h.append(h_n)
            layer_input = outputs[0] if directions == 1 else sh.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = sh.stack(last_h)
        if self.batch_first and batched:
            output = output.transpose(0, 1)
            if output._grad_fn is not None and self.mode != "LSTM":
                output._grad_fn._name = "TransposeBackward1"  # PyTorch's RNN kernels transpose_ in place
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        if self.mode == "LSTM":
            c_n = sh.stack(last_c)
            return output, (h_n, c_n if batched else c_n.squeeze(1))
        return output, h_n

    def _initial_state(self, hx, batch, directions, x, batched):
        shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            zeros = creation.zeros(shape, dtype=x.dtype, device=x.device)
            return zeros, (zeros if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            h0, c0 = hx
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            self._check_state(h0, shape, "h0", x)
            self._check_state(c0, shape, "c0", x)
            return h0, c0
        h0 = hx if batched else hx.unsqueeze(1)
        self._check_state(h0, shape, "hx", x)
        return h0, None

    @staticmethod
    def _check_state(state, shape, name, x):
        if tuple(state.shape) != shape:
            raise RuntimeError(f"Expected hidden size {shape}, got {list(state.shape)} for {name}")
        if state.dtype is not x.dtype:
            raise RuntimeError(f"Input and hidden tensors are not the same dtype, found input tensor with "
                               f"{x.dtype.name} and hidden tensor ({name}) with {state.dtype.name}")
        if state.device != x.device:
            raise RuntimeError(f"Input and hidden tensors are not at the same device, found input tensor at "
                               f"{x.device} and hidden tensor ({name}) at {state.device}")

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN with tanh or relu nonlinearity."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty(gates * hidden_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates * hidden_size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _batched(self, x, hx, count):
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        if hx is None:
            zeros = creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            hx = (zeros,) * count if count > 1 else zeros
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if count > 1 else hx.unsqueeze(0)
        return x, hx, batched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x, hx=None):
        x, hx, batched = self._batched(x, hx, 1)
        if _autocast.active:
            x, hx = cast_inputs(f"rnn_{self.nonlinearity}_cell", x, hx)
        h = rnn_step(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.nonlinearity != "tanh")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, x, hx=None):
        x, (h, c), batched = self._batched(x, hx, 2)
        if _autocast.active:
            x, h, c = cast_inputs("lstm_cell", x, h, c)
        h, c = lstm_step(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, x, hx=None):
        x, h, batched = self._batched(x, hx, 1)
        if _autocast.active:
            x, h = cast_inputs("gru_cell", x, h)
        out = gru_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
