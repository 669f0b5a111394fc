"""Variable-length sequences for the recurrent layers (``torch.nn.utils.rnn``): ``PackedSequence``
and the functions that pack, pad and unpad.

A packed sequence stores the time steps one after another, each holding only the sequences still
running (``batch_sizes[t]`` of them, longest first). Packing and padding are one gather each
(``index_select``), with the indices computed on the host from the lengths, which PyTorch also
keeps on the CPU; so they run on the data's device and are differentiable."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

from ...api import creation, dtypes
from ...api.ops import shape as sh
from ...api.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

PackedSequence_ = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``: the packed time steps, how many
    sequences each step holds (an int64 CPU tensor), and the permutation from the caller's batch
    order to longest-first (and back), or None when the batch came sorted."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                                 unsorted_indices))

    def pin_memory(self) -> "PackedSequence":
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          bind(self.sorted_indices, lambda t: t.pin_memory()),
                          bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs) -> "PackedSequence":
        """``data`` converted like ``Tensor.to``; the permutations follow it to its device and
        ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)
        sorted_indices = bind(self.sorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        unsorted_indices = bind(self.unsorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        if self.data.is_cuda and not args and "device" not in kwargs:
            return self
        if not args and "device" not in kwargs:
            kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs) -> "PackedSequence":
        kwargs.setdefault("device", "cpu")
        return self.to(*args, **kwargs)

    def double(self) -> "PackedSequence":
        return self.to(dtype=dtypes.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=dtypes.float32)

    def half(self) -> "PackedSequence":
        return self.to(dtype=dtypes.float16)

    def long(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int64)

    def int(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int32)

    def short(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int16)

    def char(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int8)

    def byte(self) -> "PackedSequence":
        return self.to(dtype=dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                "created manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    output = creation.empty_like(permutation)
    output.scatter_(0, permutation, creation.arange(permutation.numel(), device=permutation.device))
    return output


def _host_lengths(lengths) -> Tensor:
    if not isinstance(lengths, Tensor):
        return creation.as_tensor(lengths, dtype=dtypes.int64, device="cpu")
    return lengths.to(dtype=dtypes.int64)


def _batch_sizes(lengths: list) -> list:
    """How many sequences are still running at each time step (lengths sorted, longest first)."""
    sizes, running = [], len(lengths)
    for t in range(lengths[0]):
        while running and lengths[running - 1] <= t:
            running -= 1
        sizes.append(running)
    return sizes


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (``T x B x *``, or ``B x T x *`` with ``batch_first``) of sequences of
    the given ``lengths``; unless ``enforce_sorted``, the batch is first sorted longest first
    (``sorted_indices`` records how)."""
    lengths = _host_lengths(lengths)
    if enforce_sorted:
        sorted_indices = None
    else:
        values = lengths.tolist()
        order = sorted(range(len(values)), key=lambda i: -values[i])  # stable, as PyTorch's CPU sort
        sorted_indices = creation.tensor(order, dtype=dtypes.int64, device="cpu")
        lengths = creation.tensor([values[i] for i in order], dtype=dtypes.int64, device="cpu")
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _pack(input: Tensor, lengths: Tensor, batch_first: bool):
    if lengths.device.type != "cpu" or lengths.ndim != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.ndim}D {lengths.device} Long tensor")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    values = lengths.tolist()
    if len(values) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={batch})")
    if values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in "
                           "'lengths' that is <= 0")
    if any(a < b for a, b in zip(values, values[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                           "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                           "pack_sequence to sidestep this requirement if you do not need ONNX "
                           "exportability.")
    if values[0] > steps:  # PyTorch reads past the end of the input here; refuse instead
        raise RuntimeError(f"Expected every length to be at most the padded length {steps}, but got "
                           f"{values[0]}")
    sizes = _batch_sizes(values)
    if batch_first:
        rows = [b * steps + t for t, size in enumerate(sizes) for b in range(size)]
    else:
        rows = [t * batch + b for t, size in enumerate(sizes) for b in range(size)]
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, creation.tensor(rows, dtype=dtypes.int64, device=input.device))
    return data, creation.tensor(sizes, dtype=dtypes.int64, device="cpu")


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length=None):
    """The inverse of ``pack_padded_sequence``: the padded batch (in the caller's original order)
    and the lengths (an int64 CPU tensor)."""
    sizes = sequence.batch_sizes.tolist()
    max_seq_length = len(sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence "
                             f"in input, but got total_length={total_length} and max sequence length "
                             f"being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = sizes[0]
    pad_row = data.shape[0]  # index of the padding row appended below
    rows, offset = [], 0
    for t in range(max_seq_length):
        size = sizes[t] if t < len(sizes) else 0
        step = list(range(offset, offset + size)) + [pad_row] * (batch - size)
        offset += size
        rows.append(step)
    if batch_first:
        rows = [rows[t][b] for b in range(batch) for t in range(max_seq_length)]
    else:
        rows = [r for step in rows for r in step]
    padding = creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    source = sh.cat([data, padding], 0)
    padded = source.index_select(0, creation.tensor(rows, dtype=dtypes.int64, device=data.device))
    padded = padded.reshape(*((batch, max_seq_length) if batch_first else (max_seq_length, batch)),
                            *data.shape[1:])
    lengths = creation.tensor([sum(1 for s in sizes if s > b) for b in range(batch)], dtype=dtypes.int64,
                              device="cpu")
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack variable-length sequences (``L_i x *``) into one ``T x B x *`` tensor (``B x T x *``
    with ``batch_first``), padding each on the ``padding_side`` to the longest."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for seq in sequences[1:]:
        if tuple(seq.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: the sequences' trailing dimensions must agree, but got "
                               f"{list(seq.shape[1:])} and {list(trailing)}")
    longest = max(seq.shape[0] for seq in sequences)
    padded = []
    for seq in sequences:
        missing = longest - seq.shape[0]
        if missing:
            filler = creation.full((missing, *trailing), padding_value, dtype=seq.dtype, device=seq.device)
            seq = sh.cat([seq, filler] if padding_side == "right" else [filler, seq], 0)
        padded.append(seq)
    return sh.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The inverse of ``pad_sequence`` (right padding): the sequences, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    counts = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    if len(counts) != padded_sequences.shape[0]:
        raise ValueError("zip() argument 2 is shorter than argument 1" if len(counts) < padded_sequences.shape[0]
                         else "zip() argument 2 is longer than argument 1")
    return [seq[:int(length)] for seq, length in zip(padded_sequences, counts)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of variable-length tensors (``L_i x *``) directly."""
    lengths = creation.as_tensor([v.size(0) for v in sequences], dtype=dtypes.int64, device="cpu")
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of tensors a PackedSequence holds, in the caller's original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
