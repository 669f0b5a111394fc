"""``torch.autograd.Variable``: the deprecated wrapper, now any tensor (``isinstance(t, Variable)``
is True for tensors) and a constructor returning ``data`` detached with ``requires_grad`` set."""
from __future__ import annotations

import warnings

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from ..api.tensor import Tensor
        return isinstance(obj, Tensor)

    def __call__(cls, data=None, requires_grad: bool = False, volatile=None):
        from ..api.creation import empty
        from ..api.tensor import Tensor
        if volatile is not None:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a tensor sharing ``tensor``'s storage."""
