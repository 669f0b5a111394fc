"""PyTorch's ``out=`` argument: the result written into a given tensor.

``torch.add(a, b, out=c)`` computes as usual, then writes into ``c`` (resized to the result's
shape, warning when a non-empty tensor of another shape is resized, as PyTorch does) and returns
``c``. As in PyTorch, ``out=`` does not take part in autograd: it is refused when the result
requires grad, and the result's dtype must cast to ``out``'s under the same-kind rule.
"""
from __future__ import annotations

import functools
import warnings

from .. import dtypes
from .support import Tensor


def write_out(result: Tensor, out: Tensor, name: str) -> Tensor:
    """Copy ``result`` into ``out`` with PyTorch's checks; returns ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if result.requires_grad or out.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if result.device != out.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got {out.device} instead")
    if result.dtype.category > out.dtype.category:
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(out.dtype)}")
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                          "release outputs will not be resized unless they have zero elements. You can "
                          "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                          "with t.resize_(0).", UserWarning, stacklevel=3)
        from ..creation import empty
        out.data = empty(result.shape, dtype=out.dtype, device=out.device)
    out.copy_(result)
    return out


_TYPE_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _type_name(dtype: dtypes.dtype) -> str:
    """PyTorch's scalar type name, as its messages spell it."""
    return _TYPE_NAMES.get(dtype.name, dtype.name)


def accept_out(fn):
    """``fn`` with a keyword-only ``out=``; without it, ``fn`` runs unchanged."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else write_out(result, out, name)
    return wrapper
