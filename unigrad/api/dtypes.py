"""Data types, PyTorch's type-promotion rules and the default floating dtype."""
from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "half", "float", "double", "short", "int", "long",
    "promote_types", "get_default_dtype", "set_default_dtype", "from_numpy_dtype", "as_dtype",
    "finfo", "iinfo",
]

# Categories order the kinds of number: a higher category always wins in promotion.
BOOL, INTEGRAL, FLOATING = 0, 1, 2


class dtype:
    """A tensor element type (``unigrad.float32`` and friends). Compare with ``is`` or ``==``."""

    __slots__ = ("name", "numpy", "itemsize", "category", "is_floating_point", "is_signed")

    def __init__(self, name: str, numpy_dtype: np.dtype, category: int) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.itemsize = self.numpy.itemsize
        self.category = category
        self.is_floating_point = category == FLOATING
        self.is_signed = category == FLOATING or (category == INTEGRAL and self.numpy.kind == "i")

    def __repr__(self) -> str:
        return f"unigrad.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = dtype("float16", np.float16, FLOATING)
#: brain floating point: float32's exponent range with 8 significant bits (NumPy dtype from ml_dtypes)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOATING)
float32 = dtype("float32", np.float32, FLOATING)
float64 = dtype("float64", np.float64, FLOATING)
int8 = dtype("int8", np.int8, INTEGRAL)
int16 = dtype("int16", np.int16, INTEGRAL)
int32 = dtype("int32", np.int32, INTEGRAL)
int64 = dtype("int64", np.int64, INTEGRAL)
uint8 = dtype("uint8", np.uint8, INTEGRAL)
bool = dtype("bool", np.bool_, BOOL)  # noqa: A001 - PyTorch's public name
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
#: the dtypes a backend holds unless it declares otherwise (bfloat16 is opt-in)
CORE_DTYPES = tuple(d for d in ALL_DTYPES if d is not bfloat16)
#: 16-bit floats: reductions and normalisation statistics accumulate them in float32
LOW_PRECISION = (float16, bfloat16)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NUMPY = {d.numpy: d for d in ALL_DTYPES}

_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors created from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (``float16``, ``bfloat16``, ``float32`` or ``float64``)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def as_dtype(value) -> dtype:
    """Accept a unigrad dtype, a NumPy dtype, a Python type or a dtype name."""
    if value.__class__ is dtype:
        return value
    if isinstance(value, str):
        found = _BY_NAME.get(value.replace("unigrad.", "").replace("torch.", ""))
        if found is None:
            raise TypeError(f"unknown dtype {value!r}; known dtypes: {', '.join(_BY_NAME)}")
        return found
    if value is builtins_float:
        return _default_float
    if value is builtins_int:
        return int64
    if value is builtins_bool:
        return bool
    name = getattr(value, "name", None)  # e.g. torch.float32 has no .name but str() works
    if name is None and value.__class__.__module__ == "torch":
        return as_dtype(str(value))
    return from_numpy_dtype(value)


def from_numpy_dtype(value) -> dtype:
    """Map a NumPy dtype to the unigrad dtype, raising ``TypeError`` for unsupported ones."""
    try:
        found = _BY_NUMPY.get(np.dtype(value))
    except TypeError:
        found = None
    if found is None:
        raise TypeError(f"unsupported dtype {value!r}; unigrad supports {', '.join(_BY_NAME)}")
    return found


import builtins as _builtins  # noqa: E402

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool

_promotion_cache: dict = {}


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, by PyTorch's rules."""
    if a is b:
        return a
    key = (a, b)
    found = _promotion_cache.get(key)
    if found is None:
        if a.category != b.category:
            found = a if a.category > b.category else b
        elif a.is_floating_point:
            # float16 and bfloat16 hold no common subset but float32; otherwise the wider wins
            found = float32 if a.itemsize == b.itemsize else (a if a.itemsize > b.itemsize else b)
        else:
            found = _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]
        _promotion_cache[key] = found
    return found


def accumulate_dtype(d: dtype) -> dtype:
    """The dtype sums and statistics of ``d`` are computed in: float32 for 16-bit floats."""
    return float32 if d is float16 or d is bfloat16 else d


class finfo:
    """Machine limits of a floating dtype, as ``torch.finfo``: ``bits``, ``eps``, ``max``, ``min``,
    ``tiny`` (smallest normal), ``resolution`` and ``dtype``."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002 - PyTorch's name
        d = _default_float if type is None else as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"finfo needs a floating dtype, got {d}")
        info = ml_dtypes.finfo(d.numpy)
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.eps, self.max, self.min = builtins_float(info.eps), builtins_float(info.max), builtins_float(info.min)
        self.tiny = self.smallest_normal = builtins_float(info.tiny)
        self.resolution = 10.0 ** -builtins_int(-np.log10(self.eps))  # PyTorch: 10**-precision

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max``, ``min``, ``dtype``."""

    def __init__(self, type: dtype) -> None:  # noqa: A002 - PyTorch's name
        d = as_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"iinfo needs an integer dtype, got {d}")
        info = np.iinfo(np.uint8 if d is bool else d.numpy)
        self.dtype, self.bits = d.name, d.itemsize * 8
        self.max, self.min = builtins_int(info.max), builtins_int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python number taking part in an op ("wrapped number")."""
    cls = value.__class__
    if cls is builtins_bool or cls is np.bool_:
        return bool
    if cls is builtins_int or isinstance(value, np.integer):
        return int64
    return _default_float


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # Mirrors c10's combine_categories: a lower tier only matters when it has a higher category.
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """The dtype of an op over tensors and Python scalars, as ``torch.result_type`` computes it.

    Dimensioned tensors decide first, then zero-dim tensors, then Python scalars; a later tier
    only counts if its category (bool < integer < floating) is higher.
    """
    dim_result = zero_result = wrapped_result = None
    for x in operands:
        d = getattr(x, "_dtype", None)
        if d is None:
            s = scalar_dtype(x)
            wrapped_result = s if wrapped_result is None else promote_types(wrapped_result, s)
        elif not x._buf.shape:
            zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            dim_result = d if dim_result is None else promote_types(dim_result, d)
    return _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))
