"""Exception classes of unigrad's own (everything else raises Python's built-in types, the same
ones PyTorch raises)."""
from __future__ import annotations


class OutOfMemoryError(RuntimeError, MemoryError):
    """An allocation the device cannot satisfy. A RuntimeError, as ``torch.OutOfMemoryError`` is
    (so PyTorch code catching RuntimeError sees it), and a MemoryError."""
