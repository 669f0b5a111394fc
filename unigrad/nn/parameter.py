"""``Parameter``: a tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from ..api.tensor import Tensor


class _ParameterMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._is_param


class Parameter(metaclass=_ParameterMeta):
    """``Parameter(data, requires_grad=True)``: a leaf tensor sharing ``data``'s storage that
    ``Module.__setattr__`` registers. It *is* a ``Tensor`` (``isinstance(p, Tensor)``), so ops on
    it run at full speed; ``isinstance(p, nn.Parameter)`` tells it apart."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Tensor:
        if data is None:
            from ..api.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        param = Tensor._make(data._buf, data._dtype, data._device, data._backend)
        param._version = data._version
        param._is_param = True
        if requires_grad:
            param.requires_grad_(True)
        return param


class Buffer:
    """Marks a tensor assigned to a Module attribute as a buffer (``torch.nn.Buffer``)."""

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        self.data, self.persistent = data, persistent
