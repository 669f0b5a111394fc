"""Conformance cases of ``nn.utils``: packing and padding variable-length sequences, and an LSTM
run on a PackedSequence (each step on the sequences still running; reverse direction from each
sequence's own end). Packing and padding are gathers (exact); the LSTM is transcendental."""
from __future__ import annotations

from .cases import FLOATS, Case, _module_case, fixed

_LENGTHS = [6, 3, 5, 1]  # unsorted: exercises sorted_indices / unsorted_indices


def _pack_pad(lib, x, a, b):
    rnn = lib.nn.utils.rnn
    packed = rnn.pack_padded_sequence(x, _LENGTHS, enforce_sorted=False)
    padded, _ = rnn.pad_packed_sequence(packed, batch_first=True, padding_value=-1.0, total_length=7)
    stacked = rnn.pad_sequence([a, b[:2], b], padding_side="left", padding_value=0.5)
    return packed.data, padded, stacked


def _PackedLSTM(lib):  # noqa: N802 - builds a module
    class PackedLSTM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lib.nn.LSTM(4, 5, num_layers=2, bidirectional=True)

        def forward(self, x):
            rnn = lib.nn.utils.rnn
            out, (h, c) = self.lstm(rnn.pack_padded_sequence(x, _LENGTHS, enforce_sorted=False))
            padded, _ = rnn.pad_packed_sequence(out)
            return padded, h, c
    return PackedLSTM()


CASES = [
    Case("nn.utils.pack_pad_sequence", "nn", _pack_pad,
         fixed(((6, 4, 3), "real"), ((2, 3), "real"), ((4, 3), "real")), ("matrix",), FLOATS, True,
         "exact", ("gather",)),
]

MODULE_CASES = [
    _module_case("LSTM_packed", lambda lib: _PackedLSTM(lib), [((6, 4, 4), "real")], "transcendental",
                 ("matmul", "exp", "tanh", "gather")),
]
