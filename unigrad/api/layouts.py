"""Layouts and memory formats (``torch.strided``, ``torch.channels_last``...): unigrad tensors are
always strided; the memory formats are accepted where PyTorch takes them and name stride orders."""
from __future__ import annotations

__all__ = ["channels_last", "channels_last_3d", "contiguous_format", "layout", "memory_format",
           "preserve_format", "sparse_bsc", "sparse_bsr", "sparse_coo", "sparse_csc", "sparse_csr",
           "strided", "jagged"]


class layout:
    """A tensor layout; every unigrad tensor is ``strided``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


class memory_format:
    """The order of a tensor's strides (``contiguous_format``, ``channels_last``...)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")

contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
