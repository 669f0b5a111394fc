"""``torch.testing.assert_close``: compare tensors, numbers and nested sequences/mappings of them
with PyTorch's default tolerances per dtype and its failure messages."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .api import dtypes
from .api.tensor import Tensor

__all__ = ["assert_allclose", "assert_close"]

# (rtol, atol) by dtype, PyTorch's defaults
_TOLERANCES = {
    dtypes.float16: (1e-3, 1e-5), dtypes.bfloat16: (1.6e-2, 1e-5), dtypes.float32: (1.3e-6, 1e-5),
    dtypes.float64: (1e-7, 1e-7),
}


class _Mismatch(AssertionError):
    pass


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close: tensors of the same
    shape (and dtype and device unless told otherwise) with ``|a - e| <= atol + rtol * |e|``
    element-wise, numbers likewise, and sequences or mappings of them item by item."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, options, path=())
    except _Mismatch as error:
        text = str(error)
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise AssertionError(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True, msg: str = "") -> None:
    """The deprecated spelling: tensors built from both sides, dtype not checked."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 check_device=False, msg=msg or None)


def _where(path) -> str:
    return "" if not path else f"\n\nThe failure occurred for item {''.join(f'[{p!r}]' for p in path)}"


def _compare(actual, expected, options, path) -> None:
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        return _compare_tensors(actual, expected, options, path)
    if _is_number(actual) and _is_number(expected):
        return _compare_numbers(actual, expected, options, path)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
                            + _where(path))
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, options, path + (i,))
        return None
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual "
                            f"mapping: {sorted(set(expected) - set(actual))}\nExtra keys in the "
                            f"actual mapping: {sorted(set(actual) - set(expected))}" + _where(path))
        for key in expected:
            _compare(actual[key], expected[key], options, path + (key,))
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, Tensor)


def _tolerances(dtype, options) -> tuple:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    return _TOLERANCES.get(dtype, (0.0, 0.0))


def _compare_numbers(actual, expected, options, path) -> None:
    dtype = dtypes.float64 if isinstance(actual, float) or isinstance(expected, float) else None
    rtol, atol = _tolerances(dtype, options)
    if _close(float(actual), float(expected), rtol, atol, options["equal_nan"]):
        return
    difference = abs(actual - expected)
    relative = difference / abs(expected) if expected else math.inf
    bounds = " (up to {} allowed)" if dtype is not None else ""
    raise _Mismatch(f"Scalars are not {'close' if dtype is not None else 'equal'}!\n\nExpected {expected} "
                    f"but got {actual}.\nAbsolute difference: {difference}{bounds.format(atol)}\n"
                    f"Relative difference: {relative}{bounds.format(rtol)}" + _where(path))


def _close(a: float, e: float, rtol: float, atol: float, equal_nan: bool) -> bool:
    if math.isnan(a) or math.isnan(e):
        return equal_nan and math.isnan(a) and math.isnan(e)
    return a == e or abs(a - e) <= atol + rtol * abs(e)


def _compare_tensors(actual: Tensor, expected: Tensor, options, path) -> None:
    for name, a, e, wanted in (("shape", actual.shape, expected.shape, True),
                               ("device", actual.device, expected.device, options["check_device"]),
                               ("dtype", actual.dtype, expected.dtype, options["check_dtype"]),
                               ("stride()", actual.stride(), expected.stride(), options["check_stride"])):
        if wanted and a != e:
            raise _Mismatch(f"The values for attribute '{name}' do not match: {a!r} != {e!r}." + _where(path))
    dtype = dtypes.promote_types(actual.dtype, expected.dtype)
    rtol, atol = _tolerances(dtype, options)
    a, e = _host(actual), _host(expected)
    if not a.shape:
        if _close(a.item(), e.item(), rtol, atol, options["equal_nan"]):
            return None
        scalar = dtype.is_floating_point
        bounds = " (up to {} allowed)" if scalar else ""
        difference = abs(a.item() - e.item())
        relative = difference / abs(e.item()) if e.item() else math.inf
        raise _Mismatch(f"Scalars are not {'close' if scalar else 'equal'}!\n\nExpected {e.item()} but "
                        f"got {a.item()}.\nAbsolute difference: {difference}{bounds.format(atol)}\n"
                        f"Relative difference: {relative}{bounds.format(rtol)}" + _where(path))
    work = np.float32 if not dtype.is_floating_point or dtype.itemsize < 4 else dtype.numpy
    af, ef = a.astype(work), e.astype(work)
    with np.errstate(invalid="ignore", divide="ignore"):
        close = (af == ef) | (np.abs(af - ef) <= atol + rtol * np.abs(ef))
        if options["equal_nan"]:
            close |= np.isnan(af) & np.isnan(ef)
        if close.all():
            return None
        absolute = np.abs(a - e) if not dtype.is_floating_point else np.abs(af - ef)
        relative = np.abs(af - ef) / np.abs(ef)
    kind = "close" if dtype.is_floating_point else "equal"
    bounds = " (up to {} allowed)" if dtype.is_floating_point else ""
    mismatched = int((~close).sum())
    abs_index = _argmax(absolute)
    rel_index = _argmax(relative)
    raise _Mismatch(
        f"Tensor-likes are not {kind}!\n\nMismatched elements: {mismatched} / {close.size} "
        f"({100 * mismatched / close.size:.1f}%)\nGreatest absolute difference: "
        f"{absolute[abs_index].item()} at index {abs_index}{bounds.format(atol)}\n"
        f"Greatest relative difference: {relative[rel_index].item()} at index {rel_index}"
        f"{bounds.format(rtol)}" + _where(path))


def _host(t: Tensor) -> np.ndarray:
    values = np.asarray(t.detach()._host())
    return values.astype(np.float32) if t.dtype in dtypes.LOW_PRECISION else values


def _argmax(values: np.ndarray) -> tuple:
    """The index of the largest value (the first NaN if there is one), as PyTorch's max."""
    flat = values.reshape(-1)
    nans = np.flatnonzero(np.isnan(flat)) if flat.dtype.kind == "f" else ()
    position = int(nans[0]) if len(nans) else int(np.argmax(flat))
    return tuple(int(i) for i in np.unravel_index(position, values.shape))
