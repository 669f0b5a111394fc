"""Give an array backend bfloat16 by computing it in float32.

For an array backend (NumPy-like ``xp``) whose arrays can *hold* bfloat16 and convert it to and
from float32 (``astype``) but whose kernels are missing or incomplete for it,
``compute_bfloat16_in_float32(cls)`` makes the backend rely on nothing else:

* arithmetic primitives widen bfloat16 operands to float32, run the float32 kernel and round a
  value result back to bfloat16 once -- what PyTorch's bfloat16 kernels do (float "opmath", one
  rounding per op);
* primitives that only move bits (``copy_``, ``gather``, ``scatter``) run on uint16 views;
* conversions (``cast``, ``full``, ``arange``) go through float32.
"""
from __future__ import annotations

import functools

import numpy as np

from ..api import dtypes

_BF16 = dtypes.bfloat16.numpy
_FLOAT32 = np.dtype(np.float32)
_BITS = np.dtype(np.uint16)

#: primitives whose result has the operands' dtype (rounded back to bfloat16)
VALUE_PRIMITIVES = ("neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tanh", "erf",
                    "floor", "round", "add", "sub", "mul", "div", "pow", "maximum", "minimum",
                    "remainder", "where", "max", "min", "matmul", "sigmoid", "softmax", "log_softmax",
                    "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "erfc",
                    "erfinv", "lgamma", "digamma")
#: primitives whose result dtype does not follow the operands (bool, int64, the requested dtype)
OTHER_PRIMITIVES = ("eq", "lt", "argmax", "sum", "prod")


def _widen(value):
    return value.astype(_FLOAT32) if getattr(value, "dtype", None) is _BF16 else value


def _wrap(method, rounds: bool):
    @functools.wraps(method)
    def run(self, *args, out=None):
        if args[0].dtype is not _BF16 and (len(args) < 2 or getattr(args[1], "dtype", None) is not _BF16):
            return method(self, *args) if out is None else method(self, *args, out=out)
        widened = [_widen(a) for a in args]
        to_bf16 = rounds
        if len(args) > 3 and args[3] is dtypes.bfloat16:  # sum/prod asked for bfloat16 itself
            widened[3], to_bf16 = dtypes.float32, True
        result = method(self, *widened)
        if to_bf16 and getattr(result, "dtype", None) is _FLOAT32:
            result = result.astype(_BF16)
        if out is None:
            return result
        self.copy_(out, result)
        return out
    return run


def _bits(value):
    return value.view(_BITS) if getattr(value, "dtype", None) is _BF16 else value


def _bit_moving(method, returns: bool):
    @functools.wraps(method)
    def run(self, x, *args):
        if x.dtype is not _BF16:
            return method(self, x, *args)
        result = method(self, x.view(_BITS), *(_bits(a) for a in args))
        return result.view(_BF16) if returns else None
    return run


def _copy(method):
    @functools.wraps(method)
    def run(self, dst, src):
        if dst.dtype is _BF16:
            return method(self, dst.view(_BITS), src.view(_BITS))
        return method(self, dst, src)
    return run


def _cast(method):
    @functools.wraps(method)
    def run(self, x, dtype):
        if dtype is dtypes.bfloat16:
            work = x.astype(_FLOAT32) if x.dtype is _BF16 or x.dtype is _FLOAT32 else method(self, x, dtypes.float32)
            return work.astype(_BF16)
        if x.dtype is _BF16:
            x = x.astype(_FLOAT32)
            return x if dtype is dtypes.float32 else method(self, x, dtype)
        return method(self, x, dtype)
    return run


def _through_float32(method):
    """``full``/``arange``: create in float32, round to bfloat16."""
    @functools.wraps(method)
    def run(self, *args):
        dtype = args[-1]
        if dtype is not dtypes.bfloat16:
            return method(self, *args)
        return method(self, *args[:-1], dtypes.float32).astype(_BF16)
    return run


def _scatter_add(method):
    @functools.wraps(method)
    def run(self, x, axis, index, src):
        if x.dtype is not _BF16:
            return method(self, x, axis, index, src)
        work = x.astype(_FLOAT32)
        method(self, work, axis, index, _widen(src))
        self.copy_(x, work.astype(_BF16))
    return run


def _scatter_reduce(method):
    @functools.wraps(method)
    def run(self, x, axis, index, src, reduce):
        if x.dtype is not _BF16:
            return method(self, x, axis, index, src, reduce)
        work = x.astype(_FLOAT32)
        if method(self, work, axis, index, _widen(src), reduce) is NotImplemented:
            return NotImplemented
        self.copy_(x, work.astype(_BF16))
        return None
    return run


def _max_pool(method):
    """Window maxima in float32; the values round back exactly (each is a bfloat16 input)."""
    @functools.wraps(method)
    def run(self, x, *args):
        if x.dtype is not _BF16:
            return method(self, x, *args)
        result = method(self, x.astype(_FLOAT32), *args)
        if result is NotImplemented:
            return result
        values, positions = result
        return values.astype(_BF16), positions
    return run


def _sort(method):
    """Sort the float32 widening; the values round back exactly (each is a bfloat16 input)."""
    @functools.wraps(method)
    def run(self, x, axis, descending):
        if x.dtype is not _BF16:
            return method(self, x, axis, descending)
        values, indices = method(self, x.astype(_FLOAT32), axis, descending)
        return values.astype(_BF16), indices
    return run


def compute_bfloat16_in_float32(cls):
    """Class decorator: route the arithmetic primitives of ``cls`` through float32 for bfloat16."""
    for name in VALUE_PRIMITIVES + OTHER_PRIMITIVES:
        method = getattr(cls, name, None)
        if callable(method):
            setattr(cls, name, _wrap(method, name in VALUE_PRIMITIVES))
    cls.scatter_add = _scatter_add(cls.scatter_add)
    if callable(getattr(cls, "max_pool", None)):
        cls.max_pool = _max_pool(cls.max_pool)
    if callable(getattr(cls, "sort", None)):
        cls.sort = _sort(cls.sort)
    if callable(getattr(cls, "scatter_reduce", None)):
        cls.scatter_reduce = _scatter_reduce(cls.scatter_reduce)
    cls.gather = _bit_moving(cls.gather, True)
    cls.scatter = _bit_moving(cls.scatter, False)
    cls.copy_ = _copy(cls.copy_)
    cls.cast = _cast(cls.cast)
    cls.full = _through_float32(cls.full)
    cls.arange = _through_float32(cls.arange)
    return cls
