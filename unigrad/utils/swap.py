"""``torch.utils.swap_tensors``: exchange the contents of two tensor objects in place."""
from __future__ import annotations

from ..api.tensor import Tensor

__all__ = ["swap_tensors"]

# every slot a tensor's state lives in; weak references stay with the object, and the gradient
# accumulator (which points back at its tensor object) is made afresh for each
_STATE_SLOTS = tuple(name for name in Tensor.__slots__ if name not in ("__weakref__", "_grad_accumulator"))
_MISSING = object()


def swap_tensors(t1: Tensor, t2: Tensor) -> None:
    """Swap everything about ``t1`` and ``t2`` (values, dtype, device, autograd state, class)
    while each Python object keeps its identity."""
    if not (isinstance(t1, Tensor) and isinstance(t2, Tensor)):
        raise TypeError(f"Expected two Tensors, got {type(t1).__name__} and {type(t2).__name__}")
    for name in _STATE_SLOTS:
        first, second = getattr(t1, name, _MISSING), getattr(t2, name, _MISSING)
        _set(t1, name, second)
        _set(t2, name, first)
    t1._grad_accumulator = t2._grad_accumulator = None
    cls1, cls2 = type(t1), type(t2)
    if cls1 is not cls2:
        t1.__class__, t2.__class__ = cls2, cls1


def _set(tensor: Tensor, name: str, value) -> None:
    if value is _MISSING:
        if hasattr(tensor, name):
            object.__delattr__(tensor, name)
    else:
        object.__setattr__(tensor, name, value)
