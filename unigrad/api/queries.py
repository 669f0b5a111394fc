"""Questions about tensors and shapes: ``typename``, ``is_nonzero``, ``is_same_size``,
``is_signed``, ``broadcast_shapes``... (PyTorch's top-level predicates)."""
from __future__ import annotations

from .tensor import Size, Tensor

__all__ = ["broadcast_shapes", "is_complex", "is_conj", "is_distributed", "is_inference", "is_neg",
           "is_nonzero", "is_same_size", "is_signed", "is_storage", "typename"]


def typename(obj) -> str:
    """``'torch.FloatTensor'`` for a tensor, else the object's ``module.qualname``."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj) -> bool:
    """False: unigrad exposes no storage objects."""
    return False


def is_nonzero(x: Tensor) -> bool:
    """The truth value of a one-element tensor."""
    n = x.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(x.item())


def is_same_size(x: Tensor, other: Tensor) -> bool:
    return x.shape == other.shape


def is_signed(x: Tensor) -> bool:
    """True for floating and signed integer dtypes."""
    return x.dtype.is_signed


def is_complex(x: Tensor) -> bool:
    """False: unigrad has no complex dtypes."""
    return False


def is_conj(x: Tensor) -> bool:
    return False


def is_neg(x: Tensor) -> bool:
    return False


def is_distributed(x: Tensor) -> bool:
    return False


def is_inference(x: Tensor) -> bool:
    """Whether ``x`` was created inside ``inference_mode()``."""
    return x.is_inference()


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of ``shapes`` broadcast to (ints count as 1-D shapes), with PyTorch's
    error for shapes that do not broadcast."""
    normalized = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in normalized), default=0)
    result = [1] * ndim
    for shape in normalized:
        for size in shape:
            if size < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
    for index, shape in enumerate(normalized):
        for back in range(1, len(shape) + 1):
            size, current = shape[-back], result[-back]
            if current == 1 or size == current:
                result[-back] = size
            elif size != 1:  # PyTorch's message shows the broadcast shape as far as it got
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at -{back}! Mismatching "
                    f"argument at index {index} had {shape}; but expected shape should be "
                    f"broadcastable to {result}")
    return Size(result)

